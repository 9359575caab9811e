#pragma once

// A small streaming JSON writer (RFC 8259) that appends to a std::string.
//
//   std::string out;
//   JsonWriter w(&out);
//   w.BeginObject().Key("name").String("main").Key("weights").BeginArray();
//   w.Int(1).Int(2).EndArray().EndObject();        // {"name":"main","weights":[1,2]}
//
// Commas and colons are placed by the writer. Output is always valid JSON text:
//   - strings are escaped per RFC 8259 (", \, and every control character below 0x20),
//     and bytes that are not valid UTF-8 become U+FFFD, as JSON text must be UTF-8 (profiles
//     carry symbol names from binaries, which are arbitrary bytes);
//   - doubles use the shortest form that reads back exactly; NaN and infinities, which JSON
//     cannot express, are written as null.
// Misuse (a value where a key is due, unbalanced End*) is a programming error and aborts.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth {

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string_view s, std::string* out);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next value is this key's. Only inside an object.
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();

  // True once one complete top-level value has been written.
  bool done() const { return stack_.empty() && wrote_top_level_; }

 private:
  enum class Scope : uint8_t { kObject, kArray };
  struct Open {
    Scope scope;
    bool empty = true;
  };

  // Emits the separator a value needs here and checks it may appear.
  void BeforeValue();
  void End(Scope scope, char close);

  std::string* out_;
  std::vector<Open> stack_;
  bool after_key_ = false;
  bool wrote_top_level_ = false;
};

}  // namespace hearth
