#pragma once

// gzip, bounded. Every decompression of untrusted bytes goes through here so that one place
// enforces the output cap and the expansion-ratio cap (a 10 KB gzip bomb must not become 10 GB).

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hearth {

struct DecompressLimits {
  size_t max_output_bytes = size_t{256} << 20;  // 256 MiB
  // Output may be at most this many times the compressed input (plus max_small_output_bytes,
  // so tiny inputs that legitimately expand a lot still work).
  size_t max_ratio = 250;  // deflate tops out near 1032:1, so this must be well below.
  size_t max_small_output_bytes = size_t{1} << 20;
};

inline bool IsGzip(std::string_view data) {
  return data.size() >= 2 && static_cast<uint8_t>(data[0]) == 0x1f &&
         static_cast<uint8_t>(data[1]) == 0x8b;
}

// Decompresses one or more concatenated gzip members. Errors are InvalidArgument (corrupt
// input) or ResourceExhausted (a limit was hit) with a message naming the limit.
absl::StatusOr<std::string> GzipDecompress(std::string_view data,
                                           const DecompressLimits& limits = {});

// Compresses with gzip; level 1 (fastest) .. 12 (smallest), 6 is a good default.
std::string GzipCompress(std::string_view data, int level = 6);

}  // namespace hearth
