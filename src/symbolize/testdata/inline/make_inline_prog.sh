#!/usr/bin/env bash
# Rebuilds the test binaries from inline_prog.cc (g++ 12.2, binutils 2.40 on Debian 12):
#   inline_prog           -O2 -g, with DWARF and .symtab
#   inline_prog.stripped  the same, stripped to .dynsym, with a .gnu_debuglink to ...
#   inline_prog.debug     its DWARF and .symtab (objcopy --only-keep-debug)
# elf_symbolizer_test.cc and local_symbolizer_test.cc use addresses of this exact build
# (0x1208 in shapes::Total, 0x1094 in main, rand@plt at 0x1050): update them if you rebuild.
set -euo pipefail
cd "$(dirname "$0")"
g++ -O2 -g -fno-omit-frame-pointer -o inline_prog inline_prog.cc
objcopy --only-keep-debug inline_prog inline_prog.debug
objcopy --strip-all --add-gnu-debuglink=inline_prog.debug inline_prog inline_prog.stripped
