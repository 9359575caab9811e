#!/usr/bin/env bash
# The main job as it exists today: build `hearth` and show it on a real profile.
# (This grows into the server + agent + UI as those land.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release >/dev/null
profile=testdata/fixtures/go/http/cpuburn.profile.10s.pb.gz
echo "\$ build/hearth top $profile | head -20"
build/hearth top "$profile" | head -20
echo
echo "hearth is built at build/hearth. Try: build/hearth --help, build/hearth traces $profile"
