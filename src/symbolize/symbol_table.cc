#include "symbolize/symbol_table.h"

#include <gelf.h>

#include <algorithm>
#include <cstring>

namespace hearth::symbolize {
namespace {

// A hostile symbol table cannot make us hold more than this many entries (~1.5 GB).
constexpr size_t kMaxSymbols = size_t{64} << 20;

struct Candidate {
  SymbolTable::Symbol sym;
  int rank;  // Lower wins among symbols at one address.
};

int BindingRank(unsigned char bind) {
  switch (bind) {
    case STB_GLOBAL: return 0;
    case STB_WEAK: return 1;
    default: return 2;
  }
}

// Reads the symbols of one symbol-table section into `out`.
void ReadSection(Elf* elf, Elf_Scn* scn, const GElf_Shdr& sh,
                 const std::vector<bool>& exec_sections, std::vector<Candidate>* out,
                 std::optional<uint64_t>* stext) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (data == nullptr || sh.sh_entsize == 0) return;
  const size_t count = std::min<size_t>(sh.sh_size / sh.sh_entsize, kMaxSymbols);
  for (size_t i = 0; i < count && out->size() < kMaxSymbols; ++i) {
    GElf_Sym sym;
    if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) break;
    if (sym.st_name == 0) continue;
    const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (name == nullptr || name[0] == '\0') continue;
    if (!stext->has_value() && std::strcmp(name, "_stext") == 0) *stext = sym.st_value;
    if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
    const unsigned type = GELF_ST_TYPE(sym.st_info);
    bool function = type == STT_FUNC || type == STT_GNU_IFUNC;
    if (type == STT_NOTYPE && sym.st_shndx < exec_sections.size() && exec_sections[sym.st_shndx]) {
      // Hand-written assembly often leaves labels untyped; skip compiler-local ones.
      function = name[0] != '$' && !(name[0] == '.' && name[1] == 'L');
    }
    if (!function) continue;
    out->push_back({{sym.st_value, sym.st_size, name},
                    BindingRank(GELF_ST_BIND(sym.st_info)) * 2 + (sym.st_size == 0 ? 1 : 0)});
  }
}

}  // namespace

SymbolTable SymbolTable::Read(Elf* elf) {
  SymbolTable t;
  std::vector<bool> exec_sections;
  std::vector<Elf_Scn*> symtabs, dynsyms;
  size_t n = 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) break;
    const size_t index = elf_ndxscn(scn);
    if (index >= exec_sections.size()) exec_sections.resize(index + 1);
    exec_sections[index] = (sh.sh_flags & SHF_EXECINSTR) != 0;
    if (sh.sh_type == SHT_SYMTAB) symtabs.push_back(scn);
    if (sh.sh_type == SHT_DYNSYM) dynsyms.push_back(scn);
    if (++n > (size_t{1} << 20)) break;
  }
  std::vector<Candidate> all;
  for (Elf_Scn* scn : symtabs.empty() ? dynsyms : symtabs) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type == SHT_NOBITS) continue;
    ReadSection(elf, scn, sh, exec_sections, &all, &t.stext_);
  }
  // Among aliases, perf's choice (choose_best_symbol): global over weak over local, sized
  // over unsized, fewer leading underscores ("malloc" over "__libc_malloc", "tc_newarray"
  // over "_Znam"), then the longer name; the name decides ties, for determinism.
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
    if (a.sym.address != b.sym.address) return a.sym.address < b.sym.address;
    if (a.rank != b.rank) return a.rank < b.rank;
    const size_t ua = std::strspn(a.sym.name, "_"), ub = std::strspn(b.sym.name, "_");
    if (ua != ub) return ua < ub;
    const size_t la = std::strlen(a.sym.name), lb = std::strlen(b.sym.name);
    if (la != lb) return la > lb;
    return std::strcmp(a.sym.name, b.sym.name) < 0;
  });
  t.symbols_.reserve(all.size());
  for (const Candidate& c : all) {
    if (!t.symbols_.empty() && t.symbols_.back().address == c.sym.address) continue;
    t.symbols_.push_back(c.sym);
  }
  return t;
}

void SymbolTable::AddPltSymbols(Elf* elf) {
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf, &ehdr) == nullptr) return;
  // PLT0 (the resolver trampoline) size; every later entry is 16 bytes on both.
  uint64_t header = 0;
  if (ehdr.e_machine == EM_X86_64) {
    header = 16;
  } else if (ehdr.e_machine == EM_AARCH64) {
    header = 32;
  } else {
    return;
  }
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return;
  Elf_Scn* rela = nullptr;
  GElf_Shdr rela_sh{}, plt_sh{}, plt_sec_sh{};
  bool have_plt = false, have_plt_sec = false;
  size_t n = 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr && ++n < (size_t{1} << 20);
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) return;
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (name == nullptr || sh.sh_type == SHT_NOBITS) continue;
    if (std::strcmp(name, ".rela.plt") == 0 && sh.sh_type == SHT_RELA) {
      rela = scn;
      rela_sh = sh;
    } else if (std::strcmp(name, ".plt") == 0) {
      plt_sh = sh;
      have_plt = true;
    } else if (std::strcmp(name, ".plt.sec") == 0) {  // IBT: the stubs callers jump to.
      plt_sec_sh = sh;
      have_plt_sec = true;
    }
  }
  if (rela == nullptr || rela_sh.sh_entsize == 0 || !(have_plt || have_plt_sec)) return;
  uint64_t first = 0, limit = 0;
  if (have_plt_sec) {
    first = plt_sec_sh.sh_addr;
    limit = plt_sec_sh.sh_addr + plt_sec_sh.sh_size;
  } else {
    first = plt_sh.sh_addr + header;
    limit = plt_sh.sh_addr + plt_sh.sh_size;
  }
  Elf_Scn* dynsym = elf_getscn(elf, rela_sh.sh_link);
  GElf_Shdr dynsym_sh;
  if (dynsym == nullptr || gelf_getshdr(dynsym, &dynsym_sh) == nullptr) return;
  Elf_Data* rela_data = elf_getdata(rela, nullptr);
  Elf_Data* sym_data = elf_getdata(dynsym, nullptr);
  if (rela_data == nullptr || sym_data == nullptr) return;
  const size_t count = rela_sh.sh_size / rela_sh.sh_entsize;
  std::vector<Symbol> added;
  for (size_t i = 0; i < count && first + (i + 1) * 16 <= limit; ++i) {
    GElf_Rela r;
    GElf_Sym sym;
    if (gelf_getrela(rela_data, static_cast<int>(i), &r) == nullptr) break;
    if (gelf_getsym(sym_data, static_cast<int>(GELF_R_SYM(r.r_info)), &sym) == nullptr) continue;
    const char* name = elf_strptr(elf, dynsym_sh.sh_link, sym.st_name);
    if (name == nullptr || name[0] == '\0') continue;
    const uint64_t address = first + i * 16;
    if (const Symbol* existing = Find(address); existing && existing->address == address) continue;
    owned_names_.push_back(std::string(name) + "@plt");
    added.push_back({address, 16, owned_names_.back().c_str()});
  }
  if (added.empty()) return;
  symbols_.insert(symbols_.end(), added.begin(), added.end());
  std::sort(symbols_.begin(), symbols_.end(),
            [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
}

const SymbolTable::Symbol* SymbolTable::Find(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (it == symbols_.begin()) return nullptr;
  const Symbol& s = *(it - 1);
  if (s.size > 0) return address - s.address < s.size ? &s : nullptr;
  // Unsized (assembly) symbols extend to the next symbol, or a page past the last one.
  const uint64_t end = it != symbols_.end() ? it->address : s.address + 4096;
  return address < end ? &s : nullptr;
}

}  // namespace hearth::symbolize
