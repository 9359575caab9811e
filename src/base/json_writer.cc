#include "base/json_writer.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace hearth {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "JsonWriter: %s\n", what);
    std::abort();
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one
// (overlong forms, surrogates and code points past U+10FFFF are invalid, per RFC 3629).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // Allowed range of the second byte.
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // No overlong 3-byte forms.
    if (b0 == 0xED) hi = 0x9F;  // No UTF-16 surrogates.
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // No overlong 4-byte forms.
    if (b0 == 0xF4) hi = 0x8F;  // Nothing past U+10FFFF.
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t run = 0;  // Start of the pending run of bytes that need no escaping.
  size_t i = 0;
  auto flush = [&](size_t end) { out->append(s.data() + run, end - run); };
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      flush(i);
      out->append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER, one per bad byte.
      run = ++i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
    run = ++i;
  }
  flush(i);
  out->push_back('"');
}

void JsonWriter::BeforeValue() {
  if (stack_.empty()) {
    Check(!wrote_top_level_, "a second top-level value");
    wrote_top_level_ = true;
    return;
  }
  Open& top = stack_.back();
  if (top.scope == Scope::kObject) {
    Check(after_key_, "a value inside an object without a key");
    after_key_ = false;
    return;
  }
  if (!top.empty) out_->push_back(',');
  top.empty = false;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  Check(!stack_.empty() && stack_.back().scope == Scope::kObject, "a key outside an object");
  Check(!after_key_, "two keys in a row");
  Open& top = stack_.back();
  if (!top.empty) out_->push_back(',');
  top.empty = false;
  AppendJsonString(key, out_);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  stack_.push_back({Scope::kObject});
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  stack_.push_back({Scope::kArray});
  return *this;
}

void JsonWriter::End(Scope scope, char close) {
  Check(!stack_.empty() && stack_.back().scope == scope, "End does not match Begin");
  Check(!after_key_, "a key without a value");
  stack_.pop_back();
  out_->push_back(close);
}

JsonWriter& JsonWriter::EndObject() {
  End(Scope::kObject, '}');
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  End(Scope::kArray, ']');
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(s, out_);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  fmt::format_to(std::back_inserter(*out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  fmt::format_to(std::back_inserter(*out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  BeforeValue();
  if (!std::isfinite(v)) {
    out_->append("null");
  } else {
    // {fmt}'s default is the shortest round-trip form ("0.1", "1e+300"), which is valid
    // JSON number syntax for every finite value.
    fmt::format_to(std::back_inserter(*out_), "{}", v);
  }
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  out_->append(v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
  return *this;
}

}  // namespace hearth
