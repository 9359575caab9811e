#include "symbolize/elf_file.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace hearth::symbolize {
namespace {

// Far above any real file (Linux kernels have ~80 sections, LTO'd C++ maybe 100k with
// -ffunction-sections in relocatable objects); a header claiming more is hostile.
constexpr size_t kMaxSections = size_t{1} << 20;
constexpr size_t kMaxProgramHeaders = 1 << 16;

void InitLibelf() {
  // elf_version must precede any other libelf call; thread-safe static init.
  static const bool ok = elf_version(EV_CURRENT) != EV_NONE;
  (void)ok;
}

absl::Status ErrnoStatus(const std::string& path, std::string_view what) {
  const int e = errno;
  std::string msg = fmt::format("{}: {}: {}", path, what, std::strerror(e));
  if (e == ENOENT || e == ENOTDIR) return absl::NotFoundError(msg);
  if (e == EACCES || e == EPERM) return absl::PermissionDeniedError(msg);
  return absl::UnavailableError(msg);
}

absl::Status ElfError(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}: {}", path, what, elf_errmsg(-1)));
}

}  // namespace

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

ScopedFd& ScopedFd::operator=(ScopedFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

std::string HexString(const void* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ElfFile>> ElfFile::Open(const std::string& path) {
  InitLibelf();
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->path_ = path;
  f->fd_ = ScopedFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f->fd_.get() < 0) return ErrnoStatus(path, "cannot open");
  struct stat st;
  if (::fstat(f->fd_.get(), &st) != 0) return ErrnoStatus(path, "cannot stat");
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(path + ": not a regular file");
  f->stamp_ = {.size = static_cast<uint64_t>(st.st_size),
               .mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
               .inode = st.st_ino,
               .device = st.st_dev};
  if (st.st_size < static_cast<off_t>(EI_NIDENT)) {
    return absl::InvalidArgumentError(path + ": not an ELF file (too short)");
  }
  f->elf_.reset(elf_begin(f->fd_.get(), ELF_C_READ_MMAP, nullptr));
  if (f->elf_ == nullptr) return ElfError(path, "cannot read ELF");
  if (absl::Status s = f->Init(); !s.ok()) return s;
  return f;
}

absl::StatusOr<std::unique_ptr<ElfFile>> ElfFile::FromMemory(std::string_view image,
                                                             std::string name) {
  InitLibelf();
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->path_ = std::move(name);
  f->stamp_.size = image.size();
  if (image.size() < EI_NIDENT) {
    return absl::InvalidArgumentError(f->path_ + ": not an ELF file (too short)");
  }
  f->image_ = std::make_unique<char[]>(image.size());
  std::memcpy(f->image_.get(), image.data(), image.size());
  f->elf_.reset(elf_memory(f->image_.get(), image.size()));
  if (f->elf_ == nullptr) return ElfError(f->path_, "cannot read ELF");
  if (absl::Status s = f->Init(); !s.ok()) return s;
  return f;
}

absl::Status ElfFile::Init() {
  Elf* e = elf_.get();
  if (elf_kind(e) != ELF_K_ELF) return absl::InvalidArgumentError(path_ + ": not an ELF file");
  GElf_Ehdr ehdr;
  if (gelf_getehdr(e, &ehdr) == nullptr) return ElfError(path_, "bad ELF header");
  layout_.type = ehdr.e_type;
  layout_.is_kernel_image = path_.find("vmlinux") != std::string::npos;

  size_t phnum = 0;
  if (elf_getphdrnum(e, &phnum) != 0) return ElfError(path_, "bad program header count");
  if (phnum > kMaxProgramHeaders) {
    return absl::InvalidArgumentError(fmt::format("{}: {} program headers, above the limit of {}",
                                                  path_, phnum, kMaxProgramHeaders));
  }
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(e, static_cast<int>(i), &ph) == nullptr) {
      return ElfError(path_, fmt::format("bad program header {}", i));
    }
    if (ph.p_type != PT_LOAD) continue;
    layout_.loads.push_back({.offset = ph.p_offset,
                             .vaddr = ph.p_vaddr,
                             .filesz = ph.p_filesz,
                             .memsz = ph.p_memsz,
                             .flags = ph.p_flags});
  }

  size_t shnum = 0, shstrndx = 0;
  if (elf_getshdrnum(e, &shnum) != 0) return ElfError(path_, "bad section header count");
  if (shnum > kMaxSections) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {} sections, above the limit of {}", path_, shnum, kMaxSections));
  }
  const bool have_names = shnum > 0 && elf_getshdrstrndx(e, &shstrndx) == 0;
  for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn != nullptr; scn = elf_nextscn(e, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) return ElfError(path_, "bad section header");
    if (sh.sh_type == SHT_SYMTAB && sh.sh_size > 0) has_symtab_ = true;
    if (sh.sh_type == SHT_DYNSYM && sh.sh_size > 0) has_dynsym_ = true;
    if (!have_names) continue;
    const char* name = elf_strptr(e, shstrndx, sh.sh_name);
    if (name == nullptr) continue;
    const std::string_view n(name);
    if ((n == ".debug_info" || n == ".zdebug_info") && sh.sh_type != SHT_NOBITS && sh.sh_size > 0) {
      has_debug_info_ = true;
    }
    if (n == ".text") {
      for (const LoadSegment& p : layout_.loads) {
        if ((p.flags & PF_X) != 0 && sh.sh_addr >= p.vaddr && sh.sh_addr - p.vaddr < p.memsz) {
          layout_.text = p;
          break;
        }
      }
    }
  }

  const void* id = nullptr;
  const ssize_t id_len = dwelf_elf_gnu_build_id(e, &id);
  if (id_len > 0 && id != nullptr) build_id_ = HexString(id, static_cast<size_t>(id_len));
  GElf_Word crc = 0;
  if (const char* link = dwelf_elf_gnu_debuglink(e, &crc); link != nullptr) {
    debuglink_ = link;
    debuglink_crc_ = crc;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> FileCrc32(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(path, "cannot open");
  uLong crc = crc32(0, nullptr, 0);
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(path, "cannot read");
    }
    if (n == 0) break;
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buf), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace hearth::symbolize
