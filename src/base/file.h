#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hearth {

// Reads a whole file, refusing files larger than max_bytes (with a message that names the
// file and the limit). "-" reads standard input.
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes = size_t{1} << 30);

// Writes a file atomically: to a temporary name in the same directory, fsync, then rename.
absl::Status WriteFileAtomic(const std::string& path, std::string_view data);

}  // namespace hearth
