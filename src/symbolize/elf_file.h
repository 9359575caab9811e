#pragma once

// One opened ELF file (libelf), with the facts symbolization needs read up front: type,
// loadable segments, build id, .gnu_debuglink, whether it carries DWARF and symbols.
//
// The file is mapped read-only (ELF_C_READ_MMAP) or, for fuzzing and tests, read from a
// caller-owned buffer (elf_memory). Every handle is RAII: the fd, the Elf*, and, in
// DwarfHandle, the Dwarf* built on top of it (which must die first, see ElfSymbolizer).

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "symbolize/elf_base.h"

namespace hearth::symbolize {

struct ElfDeleter {
  void operator()(Elf* e) const { elf_end(e); }
};
struct DwarfDeleter {
  void operator()(Dwarf* d) const { dwarf_end(d); }
};
using ElfPtr = std::unique_ptr<Elf, ElfDeleter>;
using DwarfPtr = std::unique_ptr<Dwarf, DwarfDeleter>;

class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd();
  ScopedFd(ScopedFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ScopedFd& operator=(ScopedFd&& o) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Identity of a file on disk, for caches of files without a build id.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
};

class ElfFile {
 public:
  // Opens and validates an ELF file. Errors name the path: NotFound, PermissionDenied,
  // InvalidArgument ("not an ELF file", "truncated section headers" ...).
  static absl::StatusOr<std::unique_ptr<ElfFile>> Open(const std::string& path);
  // Reads an in-memory image (copied: libelf may convert sections in place).
  static absl::StatusOr<std::unique_ptr<ElfFile>> FromMemory(std::string_view image,
                                                             std::string name = "<memory>");

  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  Elf* elf() const { return elf_.get(); }
  const std::string& path() const { return path_; }
  const FileStamp& stamp() const { return stamp_; }
  const ElfLayout& layout() const { return layout_; }
  uint16_t type() const { return layout_.type; }
  // Lower-case hex, "" when the file has no NT_GNU_BUILD_ID note.
  const std::string& build_id() const { return build_id_; }
  // .gnu_debuglink: the separate debug file's name and CRC32, if present.
  const std::string& debuglink() const { return debuglink_; }
  uint32_t debuglink_crc() const { return debuglink_crc_; }
  // Whether .debug_info (or .zdebug_info) is present with contents.
  bool has_debug_info() const { return has_debug_info_; }
  bool has_symtab() const { return has_symtab_; }
  bool has_dynsym() const { return has_dynsym_; }

 private:
  ElfFile() = default;
  absl::Status Init();

  // Declared before elf_, so they outlive it.
  ScopedFd fd_;
  std::unique_ptr<char[]> image_;
  ElfPtr elf_;
  std::string path_;
  FileStamp stamp_;
  ElfLayout layout_;
  std::string build_id_;
  std::string debuglink_;
  uint32_t debuglink_crc_ = 0;
  bool has_debug_info_ = false;
  bool has_symtab_ = false;
  bool has_dynsym_ = false;
};

// The standard CRC32 of a whole file, as .gnu_debuglink records it.
absl::StatusOr<uint32_t> FileCrc32(const std::string& path);

// Lower-case hex of raw bytes.
std::string HexString(const void* data, size_t size);

}  // namespace hearth::symbolize
