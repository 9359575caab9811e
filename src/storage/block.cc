#include "storage/block.h"

#include "base/fmt.h"
#include <zstd.h>

#include <algorithm>

#include "base/crc32c.h"
#include "base/varint.h"
#include "base/status_macros.h"
#include "profile/pprof_codec.h"

namespace hearth::storage {
namespace {

constexpr std::string_view kMagic = "HRTHBLK1";
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kMaxFooterBytes = 1 << 20;
constexpr uint32_t kMaxFrameBytes = 1u << 30;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

using varint::PutS;
using varint::PutStr;
using varint::PutU;
using varint::Reader;

void PutFrameRef(std::string* out, const Block::FrameRef& r) {
  PutU(out, r.offset);
  PutU(out, r.length);
  PutU(out, r.raw_length);
  PutU(out, r.crc);
}
bool GetFrameRef(Reader& r, Block::FrameRef* f) {
  return r.U(&f->offset) && r.U32(&f->length) && r.U32(&f->raw_length) && r.U32(&f->crc);
}

// Appends zstd(raw) to a file being written and returns its ref.
class FrameWriter {
 public:
  FrameWriter(WritableFile* file, int level) : file_(file), level_(level) {}
  absl::StatusOr<Block::FrameRef> Write(std::string_view raw) {
    if (raw.size() > kMaxFrameBytes) {
      return absl::ResourceExhaustedError(fmt::format("block frame of {} bytes is too large",
                                                      raw.size()));
    }
    buf_.resize(ZSTD_compressBound(raw.size()));
    size_t n = ZSTD_compress(buf_.data(), buf_.size(), raw.data(), raw.size(), level_);
    if (ZSTD_isError(n)) return absl::InternalError(ZSTD_getErrorName(n));
    buf_.resize(n);
    Block::FrameRef ref;
    ref.offset = file_->Size();
    ref.length = static_cast<uint32_t>(n);
    ref.raw_length = static_cast<uint32_t>(raw.size());
    ref.crc = crc32c::Value(buf_);
    HEARTH_RETURN_IF_ERROR(file_->Append(buf_));
    return ref;
  }

 private:
  WritableFile* file_;
  int level_;
  std::string buf_;
};

std::string EncodeTree(const StackTree& tree) {
  std::string out;
  PutU(&out, tree.size());
  // Parents as distance back from the node (small for depth-first insertion orders).
  for (uint32_t n = 1; n < tree.size(); ++n) PutU(&out, n - tree.parent(n));
  for (uint32_t n = 1; n < tree.size(); ++n) PutU(&out, tree.location(n));
  return out;
}

absl::StatusOr<StackTree> DecodeTree(std::string_view data, size_t num_locations) {
  Reader r(data);
  uint64_t n;
  // Every node costs at least two bytes: a count beyond that is damage, not a request.
  if (!r.U(&n) || n == 0 || n > data.size()) return absl::DataLossError("stack tree: bad size");
  std::vector<uint32_t> parents(n, 0), locations(n, profile::kNone);
  for (uint32_t i = 1; i < n; ++i) {
    uint64_t back;
    if (!r.U(&back) || back == 0 || back > i) return absl::DataLossError("stack tree: bad parent");
    parents[i] = static_cast<uint32_t>(i - back);
  }
  for (uint32_t i = 1; i < n; ++i) {
    if (!r.U32(&locations[i])) return absl::DataLossError("stack tree: bad location");
  }
  if (!r.done()) return absl::DataLossError("stack tree: trailing bytes");
  return StackTree::FromColumns(std::move(parents), std::move(locations), num_locations);
}

void PutSchema(std::string* out, const SeriesSchema& s) {
  PutU(out, s.sample_types.size());
  for (const ValueTypeDesc& t : s.sample_types) {
    PutStr(out, t.type);
    PutStr(out, t.unit);
  }
  PutStr(out, s.period_type.type);
  PutStr(out, s.period_type.unit);
  PutS(out, s.period);
  PutS(out, s.default_index);
}

bool GetSchema(Reader& r, SeriesSchema* s) {
  uint64_t n;
  if (!r.U(&n) || n > 256) return false;
  s->sample_types.resize(n);
  for (ValueTypeDesc& t : s->sample_types) {
    if (!r.Str(&t.type) || !r.Str(&t.unit)) return false;
  }
  int64_t def;
  if (!r.Str(&s->period_type.type) || !r.Str(&s->period_type.unit) || !r.S(&s->period) ||
      !r.S(&def) || def < -1 || def >= static_cast<int64_t>(n)) {
    return false;
  }
  s->default_index = static_cast<int>(def);
  return true;
}

}  // namespace

std::string BlockFileName(const BlockMeta& meta) {
  return fmt::format("{:020d}-{:020d}-{:016x}.hblk", meta.min_ts, meta.max_ts, meta.id);
}

absl::StatusOr<uint64_t> WriteBlock(Env* env, const std::string& path, BlockMeta meta,
                                    const profile::Profile& entities, const StackTree& tree,
                                    std::span<const BlockSeriesIn> series,
                                    const BlockWriteOptions& options) {
  const std::string tmp = path + ".tmp";
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(tmp));
  HEARTH_RETURN_IF_ERROR(file->Append(kMagic));
  FrameWriter frames(file.get(), options.zstd_level);

  meta.min_ts = INT64_MAX;
  meta.max_ts = INT64_MIN;
  meta.num_series = meta.num_rows = meta.num_samples = 0;
  std::string series_table;
  PutU(&series_table, series.size());
  for (const BlockSeriesIn& s : series) {
    const RowBatch& rows = *s.rows;
    PutU(&series_table, s.labels->size());
    for (const auto& [k, v] : *s.labels) {
      PutStr(&series_table, k);
      PutStr(&series_table, v);
    }
    PutSchema(&series_table, *s.schema);
    // Pages: consecutive rows up to the row and sample budgets.
    std::vector<Block::Page> pages;
    size_t r = 0;
    while (r < rows.rows()) {
      size_t end = r;
      size_t samples = 0;
      while (end < rows.rows() && end - r < options.max_rows_per_page &&
             (end == r || samples + (rows.row_end[end] - rows.row_begin(end)) <=
                              options.max_samples_per_page)) {
        samples += rows.row_end[end] - rows.row_begin(end);
        ++end;
      }
      Block::Page page;
      page.min_ts = rows.ts[r];
      page.max_ts = rows.ts[end - 1];
      page.rows = static_cast<uint32_t>(end - r);
      page.samples = static_cast<uint32_t>(samples);
      HEARTH_ASSIGN_OR_RETURN(page.meta, frames.Write(EncodePageMeta(rows, r, end)));
      HEARTH_ASSIGN_OR_RETURN(page.samples_frame, frames.Write(EncodePageSamples(rows, r, end)));
      pages.push_back(page);
      meta.min_ts = std::min(meta.min_ts, page.min_ts);
      meta.max_ts = std::max(meta.max_ts, page.max_ts);
      meta.num_rows += page.rows;
      meta.num_samples += samples;
      r = end;
    }
    PutU(&series_table, pages.size());
    for (const Block::Page& p : pages) {
      PutS(&series_table, p.min_ts);
      PutS(&series_table, p.max_ts - p.min_ts);
      PutU(&series_table, p.rows);
      PutU(&series_table, p.samples);
      PutFrameRef(&series_table, p.meta);
      PutFrameRef(&series_table, p.samples_frame);
    }
    ++meta.num_series;
  }
  if (meta.num_rows == 0) meta.min_ts = meta.max_ts = 0;

  HEARTH_ASSIGN_OR_RETURN(Block::FrameRef symbols_ref,
                          frames.Write(profile::EncodePprof(entities)));
  HEARTH_ASSIGN_OR_RETURN(Block::FrameRef tree_ref, frames.Write(EncodeTree(tree)));
  HEARTH_ASSIGN_OR_RETURN(Block::FrameRef series_ref, frames.Write(series_table));

  std::string footer;
  PutU(&footer, kFormatVersion);
  PutU(&footer, meta.id);
  PutStr(&footer, meta.tenant);
  PutU(&footer, static_cast<uint8_t>(meta.resolution));
  PutS(&footer, meta.min_ts);
  PutS(&footer, meta.max_ts);
  PutU(&footer, meta.level);
  PutU(&footer, meta.wal_seq);
  PutS(&footer, meta.created_ns);
  PutU(&footer, meta.num_series);
  PutU(&footer, meta.num_rows);
  PutU(&footer, meta.num_samples);
  PutU(&footer, meta.sources.size());
  for (uint64_t s : meta.sources) PutU(&footer, s);
  PutFrameRef(&footer, symbols_ref);
  PutFrameRef(&footer, tree_ref);
  PutFrameRef(&footer, series_ref);
  std::string tail = footer;
  PutU32(&tail, static_cast<uint32_t>(footer.size()));
  PutU32(&tail, crc32c::Value(footer));
  tail.append(kMagic);
  HEARTH_RETURN_IF_ERROR(file->Append(tail));
  const uint64_t size = file->Size();
  HEARTH_RETURN_IF_ERROR(file->Sync());
  HEARTH_RETURN_IF_ERROR(file->Close());
  HEARTH_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  size_t slash = path.rfind('/');
  HEARTH_RETURN_IF_ERROR(env->SyncDir(slash == std::string::npos ? "." : path.substr(0, slash)));
  return size;
}

absl::StatusOr<std::unique_ptr<Block>> Block::Open(Env* env, const std::string& path) {
  std::unique_ptr<Block> b(new Block());
  b->path_ = path;
  HEARTH_ASSIGN_OR_RETURN(b->file_, env->NewRandomAccessFile(path));
  const uint64_t size = b->file_->Size();
  auto corrupt = [&path](std::string_view why) {
    return absl::DataLossError(fmt::format("block {}: {}", path, why));
  };
  const size_t tail_len = 8 + kMagic.size();
  if (size < kMagic.size() + tail_len) return corrupt("file too short to be a block");
  std::string head, tail;
  HEARTH_RETURN_IF_ERROR(b->file_->Read(0, kMagic.size(), &head));
  HEARTH_RETURN_IF_ERROR(b->file_->Read(size - tail_len, tail_len, &tail));
  if (head != kMagic || tail.substr(8) != kMagic) return corrupt("bad magic (not a block)");
  const uint32_t footer_len = GetU32(tail.data());
  const uint32_t footer_crc = GetU32(tail.data() + 4);
  if (footer_len > kMaxFooterBytes || footer_len > size - tail_len - kMagic.size()) {
    return corrupt("bad footer length");
  }
  std::string footer;
  HEARTH_RETURN_IF_ERROR(b->file_->Read(size - tail_len - footer_len, footer_len, &footer));
  if (crc32c::Value(footer) != footer_crc) return corrupt("footer checksum mismatch");
  Reader r(footer);
  uint64_t version, resolution, nsources;
  BlockMeta& m = b->meta_;
  if (!r.U(&version) || version != kFormatVersion) return corrupt("unsupported format version");
  if (!r.U(&m.id) || !r.Str(&m.tenant) || !r.U(&resolution) || resolution > 2 ||
      !r.S(&m.min_ts) || !r.S(&m.max_ts) || !r.U32(&m.level) || !r.U(&m.wal_seq) ||
      !r.S(&m.created_ns) ||
      !r.U(&m.num_series) || !r.U(&m.num_rows) || !r.U(&m.num_samples) || !r.U(&nsources) ||
      nsources > 100000) {
    return corrupt("bad footer");
  }
  m.resolution = static_cast<Resolution>(resolution);
  m.sources.resize(nsources);
  for (uint64_t& s : m.sources) {
    if (!r.U(&s)) return corrupt("bad footer");
  }
  if (!GetFrameRef(r, &b->symbols_ref_) || !GetFrameRef(r, &b->tree_ref_) ||
      !GetFrameRef(r, &b->series_ref_) || !r.done()) {
    return corrupt("bad footer frame references");
  }
  b->sizes_.symbols = b->symbols_ref_.length;
  b->sizes_.tree = b->tree_ref_.length;
  b->sizes_.series = b->series_ref_.length;

  HEARTH_ASSIGN_OR_RETURN(std::string table, b->ReadFrame(b->series_ref_, "series table"));
  Reader t(table);
  uint64_t nseries;
  if (!t.U(&nseries) || nseries != m.num_series || nseries > table.size()) {
    return corrupt("series table: bad series count");
  }
  b->series_.resize(nseries);
  for (uint64_t i = 0; i < nseries; ++i) {
    Series& s = b->series_[i];
    uint64_t nlabels, npages;
    if (!t.U(&nlabels) || nlabels > t.remaining()) return corrupt("series table: bad labels");
    s.labels.resize(nlabels);
    for (auto& [k, v] : s.labels) {
      if (!t.Str(&k) || !t.Str(&v)) return corrupt("series table: bad labels");
    }
    if (!GetSchema(t, &s.schema)) return corrupt("series table: bad schema");
    if (!t.U(&npages) || npages > t.remaining()) return corrupt("series table: bad page count");
    s.pages.resize(npages);
    for (Page& p : s.pages) {
      int64_t span;
      if (!t.S(&p.min_ts) || !t.S(&span) || span < 0 || !t.U32(&p.rows) || !t.U32(&p.samples) ||
          !GetFrameRef(t, &p.meta) || !GetFrameRef(t, &p.samples_frame)) {
        return corrupt("series table: bad page reference");
      }
      p.max_ts = p.min_ts + span;
      b->sizes_.pages_meta += p.meta.length;
      b->sizes_.pages_samples += p.samples_frame.length;
    }
    b->postings_.Add(static_cast<uint32_t>(i), s.labels);
  }
  if (!t.done()) return corrupt("series table: trailing bytes");
  return b;
}

absl::StatusOr<std::string> Block::ReadFrame(const FrameRef& ref, std::string_view what) const {
  auto corrupt = [&](std::string_view why) {
    return absl::DataLossError(fmt::format("block {}: {}: {}", path_, what, why));
  };
  if (ref.offset + ref.length > file_->Size() || ref.raw_length > kMaxFrameBytes) {
    return corrupt("frame outside the file");
  }
  std::string compressed;
  HEARTH_RETURN_IF_ERROR(file_->Read(ref.offset, ref.length, &compressed));
  if (compressed.size() != ref.length) return corrupt("short read");
  if (crc32c::Value(compressed) != ref.crc) return corrupt("checksum mismatch");
  std::string raw(ref.raw_length, '\0');
  size_t n = ZSTD_decompress(raw.data(), raw.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != ref.raw_length) return corrupt("zstd frame does not decode");
  return raw;
}

std::pair<int64_t, int64_t> Block::series_time_range(size_t s) const {
  const auto& pages = series_[s].pages;
  if (pages.empty()) return {INT64_MAX, INT64_MIN};
  return {pages.front().min_ts, pages.back().max_ts};
}

absl::Status Block::ReadRows(size_t series, int64_t lo, int64_t hi, bool with_samples,
                             RowBatch* out) const {
  const Series& s = series_[series];
  for (size_t i = 0; i < s.pages.size(); ++i) {
    const Page& p = s.pages[i];
    if (p.max_ts < lo || p.min_ts >= hi) continue;
    std::string what = fmt::format("series {} page {}", LabelsString(s.labels), i);
    HEARTH_ASSIGN_OR_RETURN(std::string meta_bytes, ReadFrame(p.meta, what + " meta"));
    RowBatch page;
    page.num_values = out->num_values;
    if (auto st = DecodePageMeta(meta_bytes, &page); !st.ok()) {
      return absl::DataLossError(fmt::format("block {}: {}: {}", path_, what, st.message()));
    }
    if (page.rows() != p.rows) {
      return absl::DataLossError(fmt::format("block {}: {}: row count mismatch", path_, what));
    }
    if (with_samples) {
      HEARTH_ASSIGN_OR_RETURN(std::string sample_bytes,
                              ReadFrame(p.samples_frame, what + " samples"));
      if (auto st = DecodePageSamples(sample_bytes, &page); !st.ok()) {
        return absl::DataLossError(fmt::format("block {}: {}: {}", path_, what, st.message()));
      }
    }
    for (size_t r = 0; r < page.rows(); ++r) {
      if (page.ts[r] < lo || page.ts[r] >= hi) continue;
      if (with_samples) {
        out->AppendRowFrom(page, r);
      } else {
        out->AppendRowMetaFrom(page, r);
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RowSource::SymbolsView> Block::Symbols() const {
  std::lock_guard<std::mutex> lock(symbols_mu_);
  if (symbols_ == nullptr) {
    HEARTH_ASSIGN_OR_RETURN(std::string pprof, ReadFrame(symbols_ref_, "symbols"));
    auto entities = profile::DecodePprofUncompressed(pprof);
    if (!entities.ok()) {
      return absl::DataLossError(
          fmt::format("block {}: symbols: {}", path_, entities.status().message()));
    }
    HEARTH_ASSIGN_OR_RETURN(std::string tree_bytes, ReadFrame(tree_ref_, "stack tree"));
    auto tree = DecodeTree(tree_bytes, entities->locations.size());
    if (!tree.ok()) {
      return absl::DataLossError(fmt::format("block {}: {}", path_, tree.status().message()));
    }
    auto loaded = std::make_shared<LoadedSymbols>();
    loaded->entities = std::move(*entities);
    loaded->tree = std::move(*tree);
    loaded->bytes = pprof.size() * 3 + tree_bytes.size() * 4;
    symbols_ = std::move(loaded);
  }
  return SymbolsView{&symbols_->entities, &symbols_->tree, symbols_};
}

void Block::DropSymbols() {
  std::lock_guard<std::mutex> lock(symbols_mu_);
  symbols_.reset();
}

size_t Block::SymbolBytes() const {
  std::lock_guard<std::mutex> lock(symbols_mu_);
  return symbols_ == nullptr ? 0 : symbols_->bytes;
}

absl::Status Block::Verify() const {
  HEARTH_RETURN_IF_ERROR(Symbols().status());
  for (size_t s = 0; s < series_.size(); ++s) {
    RowBatch rows;
    rows.num_values = static_cast<uint32_t>(series_[s].schema.sample_types.size());
    HEARTH_RETURN_IF_ERROR(ReadRows(s, INT64_MIN, INT64_MAX, true, &rows));
    auto view = Symbols();
    for (uint32_t node : rows.nodes) {
      if (node >= view->tree->size()) {
        return absl::DataLossError(fmt::format("block {}: series {}: node {} outside the tree",
                                               path_, LabelsString(series_[s].labels), node));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace hearth::storage
