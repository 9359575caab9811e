# The two quick-start commands. Both install their own dependencies (Debian packages).
.PHONY: run test build bench clean

run:
	scripts/run.sh

test:
	scripts/test.sh

build:
	scripts/deps.sh && scripts/build.sh release

bench: build
	bench/run_all.sh

clean:
	rm -rf build build-asan build-fuzz
