#!/usr/bin/env bash
# Installs everything Hearth needs to build, run and test, from Debian's packages.
# Idempotent and quick when everything is already there. Uses sudo when not root.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang llvm
  # libraries
  libabsl-dev libfmt-dev libre2-dev libdeflate-dev zlib1g-dev libzstd-dev
  libprotobuf-dev protobuf-compiler libcli11-dev libsimdjson-dev libelf-dev libdw-dev
  libgrpc++-dev libcpp-httplib-dev libssl-dev libbrotli-dev libyaml-cpp-dev
  # the eBPF agent: libbpf, bpftool (vmlinux.h, skeletons); perf for its benchmark
  libbpf-dev bpftool linux-perf
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev golang-go time curl openssl
  # the web UI's end-to-end tests and benchmark (driven by playwright-core, no browser download)
  chromium
)

# Node.js runs the SDK and UI tests; a newer node already on the machine is fine.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the tests and of the web UI (Vite, TypeScript, uPlot, playwright-core),
# exactly as locked (re-installed when the lock changes).
cd "$(dirname "$0")/.."
for dir in test/node_sdk ui; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
