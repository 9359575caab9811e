#include "symbolize/elf_symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdwelf.h>

#include "base/status_macros.h"

namespace hearth::symbolize {
namespace {

bool IsMangled(const char* name) {
  return name != nullptr && name[0] == '_' && (name[1] == 'Z' || name[1] == 'R');
}

const char* StringAttr(Dwarf_Die* die, int name) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, name, &attr) == nullptr) return nullptr;
  return dwarf_formstring(&attr);
}

}  // namespace

ElfSymbolizer::~ElfSymbolizer() {
  // Members already die in a safe order; spelled out because it matters.
  index_.reset();
  dwarf_.reset();
  alt_dwarf_.reset();
}

absl::StatusOr<std::unique_ptr<ElfSymbolizer>> ElfSymbolizer::Create(
    std::unique_ptr<ElfFile> binary, std::unique_ptr<ElfFile> debug, DemangleMode demangle,
    const AltFinder& find_alt) {
  if (binary == nullptr && debug == nullptr) {
    return absl::InvalidArgumentError("no file to symbolize with");
  }
  std::unique_ptr<ElfSymbolizer> s(new ElfSymbolizer());
  s->demangle_ = demangle;
  const ElfFile& primary = binary != nullptr ? *binary : *debug;
  s->layout_ = primary.layout();
  s->build_id_ = primary.build_id();
  s->description_ = primary.path();
  if (binary != nullptr && debug != nullptr) {
    s->description_ += " (debug info: " + debug->path() + ")";
  }

  ElfFile* dwarf_source = nullptr;
  if (debug != nullptr && debug->has_debug_info()) {
    dwarf_source = debug.get();
  } else if (binary != nullptr && binary->has_debug_info()) {
    dwarf_source = binary.get();
  }
  if (dwarf_source != nullptr) {
    s->dwarf_.reset(dwarf_begin_elf(dwarf_source->elf(), DWARF_C_READ, nullptr));
    if (s->dwarf_ != nullptr) {
      // dwz: libdw looks for the supplementary file itself in the default places; if that
      // failed, ask the caller's search paths.
      const char* alt_name = nullptr;
      const void* alt_id = nullptr;
      const ssize_t alt_id_len = dwelf_dwarf_gnu_debugaltlink(s->dwarf_.get(), &alt_name, &alt_id);
      if (alt_id_len > 0 && dwarf_getalt(s->dwarf_.get()) == nullptr && find_alt) {
        s->alt_ = find_alt(alt_name, HexString(alt_id, static_cast<size_t>(alt_id_len)));
        if (s->alt_ != nullptr) {
          s->alt_dwarf_.reset(dwarf_begin_elf(s->alt_->elf(), DWARF_C_READ, nullptr));
          if (s->alt_dwarf_ != nullptr) dwarf_setalt(s->dwarf_.get(), s->alt_dwarf_.get());
        }
      }
      s->index_ = std::make_unique<DwarfIndex>(s->dwarf_.get(), s->layout_.type == ET_REL);
      if (s->index_->num_cus() == 0) s->index_.reset();
    }
  }

  // Symbols: a full .symtab wherever it is, else the binary's .dynsym.
  if (debug != nullptr && debug->has_symtab()) {
    s->symbols_ = SymbolTable::Read(debug->elf());
  }
  if (s->symbols_.empty() && binary != nullptr) s->symbols_ = SymbolTable::Read(binary->elf());
  if (binary != nullptr) s->symbols_.AddPltSymbols(binary->elf());
  s->layout_.stext = s->symbols_.stext();

  s->binary_ = std::move(binary);
  s->debug_ = std::move(debug);
  if (s->index_ == nullptr && s->symbols_.empty()) {
    return absl::NotFoundError(s->description_ + ": no DWARF and no function symbols");
  }
  return s;
}

absl::StatusOr<std::unique_ptr<ElfSymbolizer>> ElfSymbolizer::OpenFile(const std::string& path,
                                                                       DemangleMode demangle) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ElfFile> file, ElfFile::Open(path));
  return Create(std::move(file), nullptr, demangle);
}

absl::StatusOr<uint64_t> ElfSymbolizer::FileAddress(const MappingRange& m, uint64_t address) const {
  HEARTH_ASSIGN_OR_RETURN(uint64_t base, ComputeBase(layout_, m, address));
  return address - base;
}

const ElfSymbolizer::Name& ElfSymbolizer::DieName(Dwarf_Die* die) {
  auto [it, inserted] = names_.try_emplace(die->addr);
  Name& n = it->second;
  if (!inserted) return n;
  const char* linkage = StringAttr(die, DW_AT_linkage_name);
  if (linkage == nullptr) linkage = StringAttr(die, DW_AT_MIPS_linkage_name);
  const char* plain = StringAttr(die, DW_AT_name);
  n.has_linkage_name = linkage != nullptr;
  n.system_name = linkage != nullptr ? linkage : plain;
  if (linkage != nullptr) {
    n.name = Demangle(linkage, demangle_);
  } else if (plain != nullptr) {
    n.name = plain;
  }
  int line = 0;
  if (dwarf_decl_line(die, &line) == 0 && line > 0) n.decl_line = line;
  return n;
}

const ElfSymbolizer::Name& ElfSymbolizer::SymbolName(const char* symbol) {
  auto [it, inserted] = names_.try_emplace(symbol);
  Name& n = it->second;
  if (inserted) {
    n.system_name = symbol;
    n.has_linkage_name = true;
    n.name = Demangle(symbol, demangle_);
  }
  return n;
}

bool ElfSymbolizer::Symbolize(uint64_t file_address, std::vector<Frame>* frames) {
  frames->clear();
  raw_.clear();
  // Views: file names live in libdw's line tables, names in names_ or the ELF string
  // tables, all as long as this object.
  auto view = [](const char* s) { return s != nullptr ? std::string_view(s) : std::string_view(); };
  if (index_ != nullptr && index_->Lookup(file_address, &raw_)) {
    for (size_t i = 0; i < raw_.size(); ++i) {
      DwarfIndex::RawFrame& r = raw_[i];
      Frame& f = frames->emplace_back();
      f.file = view(r.file);
      f.line = r.line;
      f.column = r.column;
      const Name* name = r.has_function ? &DieName(&r.function) : nullptr;
      if (name != nullptr) f.start_line = name->decl_line;
      // DWARF without linkage names (C++ from some producers, or no subprogram at all):
      // the symbol table's mangled name says more than a bare DW_AT_name.
      if (i + 1 == raw_.size() && (name == nullptr || !name->has_linkage_name)) {
        if (const SymbolTable::Symbol* sym = symbols_.Find(file_address)) {
          if (name == nullptr || name->name.empty() || IsMangled(sym->name)) {
            name = &SymbolName(sym->name);
          }
        }
      }
      if (name != nullptr) {
        f.function = name->name;
        f.system_name = view(name->system_name);
      }
    }
    return true;
  }
  if (const SymbolTable::Symbol* sym = symbols_.Find(file_address)) {
    const Name& name = SymbolName(sym->name);
    frames->push_back({.function = name.name, .system_name = view(name.system_name)});
    return true;
  }
  return false;
}

}  // namespace hearth::symbolize
