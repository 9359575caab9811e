// pprof encoding. Fields are written in the order Go's pprof writes them; repeated integers
// are always packed (valid for every proto3 reader). Each sub-message is built in a scratch
// buffer and copied behind its exact length, so lengths are minimal varints.

#include "base/compress.h"
#include "base/proto_wire.h"
#include "profile/pprof_codec.h"

namespace hearth::profile {
namespace {

using wire::Writer;

class Encoder {
 public:
  explicit Encoder(const Profile& p) : p_(p), w_(&out_) {}

  std::string Run() {
    out_.reserve(EstimateSize());
    for (const ValueType& vt : p_.sample_types) ValueTypeMessage(1, vt);
    for (const Sample& s : p_.samples) SampleMessage(s);
    for (const Mapping& m : p_.mappings) MappingMessage(m);
    for (const Location& l : p_.locations) LocationMessage(l);
    for (const Function& fn : p_.functions) FunctionMessage(fn);
    for (std::string_view s : p_.strings.views()) w_.Bytes(6, s);
    w_.VarintOpt(7, p_.drop_frames);
    w_.VarintOpt(8, p_.keep_frames);
    w_.VarintOpt(9, static_cast<uint64_t>(p_.time_nanos));
    w_.VarintOpt(10, static_cast<uint64_t>(p_.duration_nanos));
    if (p_.period_type.type != 0 || p_.period_type.unit != 0) ValueTypeMessage(11, p_.period_type);
    w_.VarintOpt(12, static_cast<uint64_t>(p_.period));
    w_.PackedVarints(13, p_.comments.begin(), p_.comments.end());
    w_.VarintOpt(14, p_.default_sample_type);
    w_.VarintOpt(15, p_.doc_url);
    return std::move(out_);
  }

 private:
  size_t EstimateSize() const {
    size_t n = 0;
    for (std::string_view s : p_.strings.views()) n += s.size() + 2;
    n += p_.samples.size() * (4 + 2 * p_.sample_types.size()) + p_.stacks.size() * 2;
    n += p_.locations.size() * 16 + p_.functions.size() * 10 + p_.mappings.size() * 30;
    return n;
  }

  // Copies the scratch message behind a tag and its length.
  void Flush(uint32_t field) { w_.Bytes(field, scratch_); }

  void ValueTypeMessage(uint32_t field, const ValueType& vt) {
    scratch_.clear();
    Writer m(&scratch_);
    m.VarintOpt(1, vt.type);
    m.VarintOpt(2, vt.unit);
    Flush(field);
  }

  void SampleMessage(const Sample& s) {
    scratch_.clear();
    Writer m(&scratch_);
    ids_.clear();
    for (uint32_t loc : p_.Stack(s)) ids_.push_back(p_.locations[loc].id);
    m.PackedVarints(1, ids_.begin(), ids_.end());
    auto values = p_.Values(s);
    m.PackedVarints(2, values.begin(), values.end());
    for (const Label& l : p_.Labels(s)) {
      label_.clear();
      Writer lw(&label_);
      lw.VarintOpt(1, l.key);
      lw.VarintOpt(2, l.str);
      lw.VarintOpt(3, static_cast<uint64_t>(l.num));
      lw.VarintOpt(4, l.num_unit);
      m.Bytes(3, label_);
    }
    Flush(2);
  }

  void MappingMessage(const Mapping& mp) {
    scratch_.clear();
    Writer m(&scratch_);
    m.VarintOpt(1, mp.id);
    m.VarintOpt(2, mp.memory_start);
    m.VarintOpt(3, mp.memory_limit);
    m.VarintOpt(4, mp.file_offset);
    m.VarintOpt(5, mp.filename);
    m.VarintOpt(6, mp.build_id);
    m.Bool(7, mp.has_functions);
    m.Bool(8, mp.has_filenames);
    m.Bool(9, mp.has_line_numbers);
    m.Bool(10, mp.has_inline_frames);
    Flush(3);
  }

  void LocationMessage(const Location& l) {
    scratch_.clear();
    Writer m(&scratch_);
    m.VarintOpt(1, l.id);
    if (l.mapping != kNone) m.VarintOpt(2, p_.mappings[l.mapping].id);
    m.VarintOpt(3, l.address);
    for (const Line& ln : p_.Lines(l)) {
      label_.clear();
      Writer lw(&label_);
      if (ln.function != kNone) lw.VarintOpt(1, p_.functions[ln.function].id);
      lw.VarintOpt(2, static_cast<uint64_t>(ln.line));
      lw.VarintOpt(3, static_cast<uint64_t>(ln.column));
      m.Bytes(4, label_);
    }
    m.Bool(5, l.is_folded);
    m.VarintOpt(kPprofFrameTypeField, l.frame_type);
    Flush(4);
  }

  void FunctionMessage(const Function& fn) {
    scratch_.clear();
    Writer m(&scratch_);
    m.VarintOpt(1, fn.id);
    m.VarintOpt(2, fn.name);
    m.VarintOpt(3, fn.system_name);
    m.VarintOpt(4, fn.filename);
    m.VarintOpt(5, static_cast<uint64_t>(fn.start_line));
    Flush(5);
  }

  const Profile& p_;
  std::string out_;
  Writer w_;
  std::string scratch_;
  std::string label_;  // Innermost messages (labels, lines).
  std::vector<uint64_t> ids_;
};

}  // namespace

std::string EncodePprof(const Profile& p) { return Encoder(p).Run(); }

std::string EncodePprofGzip(const Profile& p, int level) {
  return GzipCompress(EncodePprof(p), level);
}

}  // namespace hearth::profile
