#pragma once

// Where the files for a module are, in the order tried:
//
//   binary   1. --binary overrides: same build id, else same basename (a build id mismatch
//               rejects the file even then)
//            2. search paths, pprof's PPROF_BINARY_PATH layout, for each DIR:
//                 DIR/<build-id>/<basename>, DIR/<build-id>/*, DIR/<path>/<build-id>,
//                 DIR/<basename>, DIR/<path>
//            3. debug-file directories by build id: DIR/.build-id/ab/cdef….debug (a debug
//               file has the program headers and symbols too)
//            4. the path the process mapped, on this machine (optional)
//   debug    when the binary has no DWARF: DIR/.build-id/ab/cdef….debug, then the
//            .gnu_debuglink name next to the binary, in its .debug/, and under each
//            DIR/<binary's directory>/ (GDB's order)
//   alt      dwz .gnu_debugaltlink: DIR/.build-id/…, the link relative to the debug file
//
// Every candidate must carry the expected build id when one is known; a debuglink target
// without build ids must match the recorded CRC32.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "symbolize/elf_file.h"
#include "symbolize/symbolizer.h"

namespace hearth::symbolize {

struct FinderOptions {
  std::vector<std::string> binaries;
  std::vector<std::string> search_paths;
  std::vector<std::string> debug_file_directories = {"/usr/lib/debug"};
  bool use_mapping_paths = true;
};

class FileFinder {
 public:
  explicit FileFinder(FinderOptions options);

  // Opens the binary for `module`; the error tells what was tried and why each failed.
  absl::StatusOr<std::unique_ptr<ElfFile>> FindBinary(const Module& module) const;
  // Opens the separate debug file of `binary`, or returns null if there is none.
  std::unique_ptr<ElfFile> FindDebugFile(const ElfFile& binary) const;
  // Opens a dwz supplementary file; `debug_path` is the file that names it.
  std::unique_ptr<ElfFile> FindAltFile(std::string_view name, std::string_view build_id,
                                       const std::string& debug_path) const;

  // The candidate paths for `module`, in order (exposed for tests).
  std::vector<std::string> BinaryCandidates(const Module& module) const;

 private:
  struct Override {
    std::string path;
    std::string basename;
    std::string build_id;
  };
  std::vector<std::string> BuildIdPaths(std::string_view build_id) const;

  FinderOptions options_;
  std::vector<Override> overrides_;
};

// The last path component ("/a/b/libc.so.6" -> "libc.so.6").
std::string_view Basename(std::string_view path);

}  // namespace hearth::symbolize
