// Hostile ELF input: truncated files, garbage, absurd header counts, corrupt section
// headers and DWARF. Each must end in a clear error or a degraded (but valid) answer, never
// a crash; run this under ASan/UBSan (HEARTH_SANITIZE) to make "never" mean something.

#include <gelf.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "base/file.h"
#include "symbolize/elf_symbolizer.h"

namespace hearth::symbolize {
namespace {

const std::string kPerfWorkload =
    std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/perf/perf_workload";

std::string Image() {
  auto data = ReadFile(kPerfWorkload);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

template <typename T>
void Poke(std::string& image, size_t offset, T value) {
  if (offset + sizeof(T) <= image.size()) std::memcpy(image.data() + offset, &value, sizeof(T));
}

// Opens and symbolizes a few addresses; returns the first error, OK if everything opened.
absl::Status Exercise(const std::string& image) {
  auto file = ElfFile::FromMemory(image, "hostile");
  if (!file.ok()) return file.status();
  auto s = ElfSymbolizer::Create(*std::move(file), nullptr, DemangleMode::kSimplified);
  if (!s.ok()) return s.status();
  std::vector<Frame> frames;
  for (uint64_t a : {uint64_t{0}, uint64_t{0x11f6}, uint64_t{0x123a}, uint64_t{0x1650},
                     uint64_t{0x10e0}, ~uint64_t{0}}) {
    (*s)->Symbolize(a, &frames);
    for (const Frame& f : frames) {
      // Whatever came out must be usable strings.
      EXPECT_LT(f.function.size() + f.file.size(), size_t{1} << 20);
    }
  }
  (void)(*s)->FileAddress({0x55d4a0001000, 0x55d4a0002000, 0x1000}, 0x55d4a000123a);
  return absl::OkStatus();
}

struct Section {
  uint64_t header_offset;  // Of the section header in the file.
  uint64_t offset, size;
  std::string name;
};

std::vector<Section> Sections(const std::string& image) {
  std::vector<Section> out;
  auto file = ElfFile::FromMemory(image);
  if (!file.ok()) return out;
  Elf* e = (*file)->elf();
  GElf_Ehdr eh;
  size_t shstrndx = 0;
  if (gelf_getehdr(e, &eh) == nullptr || elf_getshdrstrndx(e, &shstrndx) != 0) return out;
  for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    const char* name = elf_strptr(e, shstrndx, sh.sh_name);
    out.push_back({eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize, sh.sh_offset, sh.sh_size,
                   name ? name : ""});
  }
  return out;
}

TEST(HostileElfTest, CleanImageWorks) { EXPECT_TRUE(Exercise(Image()).ok()); }

TEST(HostileElfTest, Truncated) {
  const std::string image = Image();
  for (size_t size : {size_t{0}, size_t{4}, size_t{16}, size_t{63}, size_t{64}, size_t{100},
                      size_t{1000}, size_t{4096}, size_t{8192}, size_t{12000}, size_t{16000},
                      size_t{20000}, image.size() - 1}) {
    absl::Status s = Exercise(image.substr(0, size));
    if (size < 64) {
      EXPECT_TRUE(absl::IsInvalidArgument(s)) << size << ": " << s;
    }
  }
  for (size_t size = 64; size < image.size(); size += 397) (void)Exercise(image.substr(0, size));
}

TEST(HostileElfTest, GarbageIsNotElf) {
  std::mt19937 rng(1);
  for (size_t size : {1, 52, 64, 1000, 100000}) {
    std::string junk(size, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    absl::Status s = Exercise(junk);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    if (size >= 4) {
      std::memcpy(junk.data(),
                  "\x7f"
                  "ELF",
                  4);
      (void)Exercise(junk);
    }
  }
}

TEST(HostileElfTest, AbsurdHeaderCounts) {
  const std::string clean = Image();
  {
    std::string image = clean;
    Poke<uint16_t>(image, 60, 0xffff);  // e_shnum
    EXPECT_FALSE(Exercise(image).ok());
  }
  {
    std::string image = clean;
    Poke<uint16_t>(image, 56, 0xffff);  // e_phnum
    (void)Exercise(image);
  }
  {
    std::string image = clean;
    Poke<uint64_t>(image, 40, image.size() - 10);  // e_shoff near the end
    EXPECT_FALSE(Exercise(image).ok());
  }
  {
    std::string image = clean;
    Poke<uint16_t>(image, 62, 0xfffe);  // e_shstrndx out of range
    (void)Exercise(image);
  }
  {
    // Extended numbering: e_shnum 0 means "see section 0's sh_size", made huge.
    std::string image = clean;
    uint64_t shoff = 0;
    std::memcpy(&shoff, image.data() + 40, 8);
    Poke<uint16_t>(image, 60, 0);
    Poke<uint64_t>(image, shoff + 32, 0xffffffffull);
    EXPECT_FALSE(Exercise(image).ok());
  }
}

TEST(HostileElfTest, CorruptSectionHeaders) {
  const std::string clean = Image();
  const std::vector<Section> sections = Sections(clean);
  ASSERT_GT(sections.size(), 30u);
  for (const Section& s : sections) {
    for (uint64_t value : {uint64_t{0xffffffffffff}, uint64_t{clean.size()}, uint64_t{1}}) {
      std::string image = clean;
      Poke<uint64_t>(image, s.header_offset + 24, value);  // sh_offset
      (void)Exercise(image);
      image = clean;
      Poke<uint64_t>(image, s.header_offset + 32, value);  // sh_size
      (void)Exercise(image);
      image = clean;
      Poke<uint64_t>(image, s.header_offset + 56, value);  // sh_entsize
      (void)Exercise(image);
    }
    std::string image = clean;
    Poke<uint32_t>(image, s.header_offset + 40, 0xffff);  // sh_link
    (void)Exercise(image);
  }
}

TEST(HostileElfTest, CorruptDwarfAndSymbols) {
  const std::string clean = Image();
  const std::vector<Section> sections = Sections(clean);
  std::mt19937 rng(7);
  int mutated = 0;
  for (const Section& s : sections) {
    if (!s.name.starts_with(".debug") && s.name != ".symtab" && s.name != ".strtab" &&
        s.name != ".dynsym" && s.name != ".rela.plt") {
      continue;
    }
    for (int round = 0; round < 24; ++round) {
      std::string image = clean;
      const int flips = 1 + round % 8;
      for (int i = 0; i < flips && s.size > 0; ++i) {
        const uint64_t at = s.offset + rng() % s.size;
        if (at < image.size()) image[at] = static_cast<char>(rng());
      }
      (void)Exercise(image);
      ++mutated;
    }
  }
  EXPECT_GT(mutated, 150);
}

// Found by elf_symbolizer_fuzzer: perf_workload with a DW_AT_sibling pointing backwards.
// Walking it without a progress check took 50 s and 1.5 GB.
TEST(HostileElfTest, SiblingLoopRegression) {
  auto data = ReadFile(std::string(HEARTH_SOURCE_DIR) +
                       "/src/symbolize/testdata/fuzz/dwarf_sibling_loop.elf");
  ASSERT_TRUE(data.ok()) << data.status();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(Exercise(*data).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace hearth::symbolize
