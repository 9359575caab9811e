#!/usr/bin/env bash
# The full test suite: what `make test` and CI run.
#   1. Release build (-Wall -Wextra), every ctest test.
#   2. The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
#   3. Each libFuzzer target for a short time (HEARTH_FUZZ_SECONDS, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export TZ=UTC

step() { printf '\n=== %s ===\n' "$*"; }

step "release build"
scripts/build.sh release
step "tests (release)"
ctest --test-dir build --output-on-failure -j "$(nproc)"

step "sanitizer build (address, undefined)"
scripts/build.sh asan
step "tests (asan+ubsan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"

step "fuzzers"
scripts/build.sh fuzz hearth_fuzzers
seconds=${HEARTH_FUZZ_SECONDS:-60}
for fuzzer in $(find build-fuzz -name '*_fuzzer' -type f -executable | sort); do
  name=$(basename "$fuzzer")
  corpus=$(mktemp -d)
  # Seed with the real fixtures (valid profiles of every format) and with the inputs that
  # once broke this fuzzer (testdata/fuzz/<target>/), so old bugs are re-checked every run.
  find testdata/fixtures -type f -size -1024k ! -path '*/bin/*' -exec cp --backup=numbered {} "$corpus"/ \;
  regressions=testdata/fuzz/${name%_fuzzer}
  [ -d "$regressions" ] && cp "$regressions"/* "$corpus"/
  echo "fuzz: $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=2048 \
    -artifact_prefix=build-fuzz/ "$corpus" \
    2> "build-fuzz/$name.log" || { tail -50 "build-fuzz/$name.log"; exit 1; }
  grep -E '^(Done|#[0-9]+ *DONE)' "build-fuzz/$name.log" | tail -1 || true
  rm -rf "$corpus"
done
step "all tests passed"
