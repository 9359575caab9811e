#include "base/compress.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace hearth {
namespace {

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

size_t OutputCap(size_t input_size, const DecompressLimits& limits) {
  size_t by_ratio =
      input_size > SIZE_MAX / limits.max_ratio ? SIZE_MAX : input_size * limits.max_ratio;
  by_ratio = std::max(by_ratio, limits.max_small_output_bytes);
  return std::min(by_ratio, limits.max_output_bytes);
}

absl::Status CapError(size_t cap, size_t input_size, const DecompressLimits& limits) {
  if (cap == limits.max_output_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "gzip: decompressed size exceeds the limit of {} bytes", limits.max_output_bytes));
  }
  return absl::ResourceExhaustedError(fmt::format(
      "gzip: decompression ratio exceeds {}:1 ({} compressed bytes expand past {} bytes)",
      limits.max_ratio, input_size, cap));
}

// Streaming fallback with zlib for members whose trailer lies about their size (or
// exceed the first guess): grows the output geometrically up to `cap`.
absl::Status InflateMemberZlib(std::string_view in, size_t cap, std::string* out, size_t* consumed,
                               bool* hit_cap) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return absl::InternalError("zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  size_t start = out->size();
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t produced = out->size() - start;
    if (produced >= cap) {
      inflateEnd(&zs);
      *hit_cap = true;
      return absl::OkStatus();
    }
    size_t chunk = std::min<size_t>(std::max<size_t>(produced, 64 << 10), cap - produced);
    chunk = std::min<size_t>(chunk, UINT32_MAX);
    size_t old = out->size();
    out->resize(old + chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + old);
    zs.avail_out = static_cast<uInt>(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(old + chunk - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("gzip: truncated stream");
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      std::string msg = zs.msg ? zs.msg : "corrupt data";
      inflateEnd(&zs);
      return absl::InvalidArgumentError("gzip: " + msg);
    }
  }
  *consumed = in.size() - zs.avail_in;
  inflateEnd(&zs);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> GzipDecompress(std::string_view data, const DecompressLimits& limits) {
  if (!IsGzip(data)) return absl::InvalidArgumentError("gzip: missing gzip magic bytes");
  const size_t input_size = data.size();
  const size_t cap = OutputCap(input_size, limits);
  std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> d(libdeflate_alloc_decompressor());
  std::string out;
  while (!data.empty()) {
    if (!IsGzip(data)) {
      // Trailing zero padding after the last member is tolerated (gzip(1) does too).
      if (data.find_first_not_of('\0') == std::string_view::npos) break;
      return absl::InvalidArgumentError("gzip: garbage after the last gzip member");
    }
    if (data.size() < 18) return absl::InvalidArgumentError("gzip: truncated stream");
    // ISIZE (the member's size mod 2^32) is only a hint: it can lie, and in a multi-member
    // stream it belongs to the last member. Try libdeflate with it, fall back to zlib.
    uint32_t isize;
    std::memcpy(&isize, data.data() + data.size() - 4, 4);
    size_t room = cap - out.size();
    size_t in_consumed = 0;
    bool done = false;
    if (isize <= room && isize > 0) {
      size_t old = out.size();
      out.resize(old + isize);
      size_t actual = 0;
      libdeflate_result r = libdeflate_gzip_decompress_ex(
          d.get(), data.data(), data.size(), out.data() + old, isize, &in_consumed, &actual);
      if (r == LIBDEFLATE_SUCCESS) {
        out.resize(old + actual);
        done = true;
      } else {
        out.resize(old);  // Wrong size hint or bad data: zlib below decides which.
      }
    }
    if (!done) {
      bool hit_cap = false;
      absl::Status s = InflateMemberZlib(data, room, &out, &in_consumed, &hit_cap);
      if (!s.ok()) return s;
      if (hit_cap) return CapError(cap, input_size, limits);
    }
    if (in_consumed == 0) return absl::InvalidArgumentError("gzip: empty member");
    data.remove_prefix(in_consumed);
  }
  return out;
}

std::string GzipCompress(std::string_view data, int level) {
  std::unique_ptr<libdeflate_compressor, CompressorDeleter> c(
      libdeflate_alloc_compressor(std::clamp(level, 1, 12)));
  std::string out;
  out.resize(libdeflate_gzip_compress_bound(c.get(), data.size()));
  size_t n = libdeflate_gzip_compress(c.get(), data.data(), data.size(), out.data(), out.size());
  out.resize(n);
  return out;
}

}  // namespace hearth
