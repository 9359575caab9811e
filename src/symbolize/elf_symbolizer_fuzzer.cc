// libFuzzer target: an arbitrary ELF image, opened from memory and asked about a few
// addresses (some fixed, some taken from the image's own bytes so the fuzzer can steer
// them into its sections). Seed it with real binaries, e.g. testdata/fixtures/perf/.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "symbolize/elf_symbolizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using hearth::symbolize::DemangleMode;
  using hearth::symbolize::ElfFile;
  using hearth::symbolize::ElfSymbolizer;
  const std::string_view image(reinterpret_cast<const char*>(data), size);
  auto file = ElfFile::FromMemory(image, "fuzz");
  if (!file.ok()) return 0;
  auto s = ElfSymbolizer::Create(*std::move(file), nullptr, DemangleMode::kSimplified);
  if (!s.ok()) return 0;
  std::vector<uint64_t> addresses = {0, 0x1000, 0x11f6, 0x123a, 0x1650, 0x401000, ~uint64_t{0}};
  for (size_t off = 24; off + 8 <= size && addresses.size() < 16; off += 4099) {
    uint64_t a;
    std::memcpy(&a, data + off, 8);
    addresses.push_back(a);
  }
  std::vector<hearth::symbolize::Frame> frames;
  for (uint64_t a : addresses) {
    (*s)->Symbolize(a, &frames);
    (void)(*s)->FileAddress({a & ~uint64_t{0xfff}, (a & ~uint64_t{0xfff}) + 0x10000, 0x1000}, a);
  }
  return 0;
}
