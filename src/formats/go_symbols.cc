#include "formats/go_symbols.h"

#include <algorithm>
#include <string>

#include "base/strings.h"

namespace hearth::formats::legacy {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view SkipBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  return s;
}

bool ParseHex(std::string_view s, uint64_t* out) {
  if (!s.starts_with("0x")) return false;
  return ParseInt(s.substr(2), out, 16);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t r, std::string* out) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  if (r < 0x80) {
    *out += static_cast<char>(r);
  } else if (r < 0x800) {
    *out += static_cast<char>(0xC0 | (r >> 6));
    *out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    *out += static_cast<char>(0xE0 | (r >> 12));
    *out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (r >> 18));
    *out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// Reads a Go double-quoted string literal (strconv.Quote's output) from the front of `s`.
bool UnquoteGo(std::string_view* s, std::string* out) {
  out->clear();
  if (s->empty() || s->front() != '"') return false;
  size_t i = 1;
  while (i < s->size()) {
    char c = (*s)[i];
    if (c == '"') {
      s->remove_prefix(i + 1);
      return true;
    }
    if (c != '\\') {
      *out += c;
      ++i;
      continue;
    }
    if (++i >= s->size()) return false;
    char e = (*s)[i++];
    switch (e) {
      case 'a': *out += '\a'; break;
      case 'b': *out += '\b'; break;
      case 'f': *out += '\f'; break;
      case 'n': *out += '\n'; break;
      case 'r': *out += '\r'; break;
      case 't': *out += '\t'; break;
      case 'v': *out += '\v'; break;
      case '\\': *out += '\\'; break;
      case '"': *out += '"'; break;
      case '\'': *out += '\''; break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s->size()) return false;
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          int d = HexDigit((*s)[i + k]);
          if (d < 0) return false;
          v = v << 4 | static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x') {
          *out += static_cast<char>(v);  // A raw byte.
        } else {
          AppendUtf8(v, out);
        }
        break;
      }
      default: {
        // Octal \ooo.
        if (e < '0' || e > '7' || i + 2 > s->size()) return false;
        uint32_t v = static_cast<uint32_t>(e - '0');
        for (size_t k = 0; k < 2; ++k) {
          char d = (*s)[i + k];
          if (d < '0' || d > '7') return false;
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        if (v > 255) return false;
        i += 2;
        *out += static_cast<char>(v);
      }
    }
  }
  return false;
}

}  // namespace

bool GoStackSymbols::AddComment(std::string_view line) {
  line = SkipBlanks(line);
  if (line.size() < 2 || line[0] != '#' || !IsBlank(line[1])) return false;
  std::string_view rest = SkipBlanks(line.substr(1));
  if (!rest.starts_with("0x")) return false;
  size_t end = 0;
  while (end < rest.size() && !IsBlank(rest[end])) ++end;
  Comment c;
  if (!ParseHex(rest.substr(0, end), &c.pc)) return false;
  c.entry = c.pc;
  rest = SkipBlanks(rest.substr(end));
  if (!rest.empty()) {
    // "name+0xoff" then, after tabs, "file:line". Function names may hold spaces, not tabs.
    size_t tab = rest.find('\t');
    std::string_view name = rest.substr(0, tab);
    std::string_view where =
        tab == std::string_view::npos ? std::string_view() : TrimSpace(rest.substr(tab));
    if (size_t plus = name.rfind('+'); plus != std::string_view::npos) {
      uint64_t off;
      if (ParseHex(name.substr(plus + 1), &off)) {
        c.entry = c.pc - off;
        name = name.substr(0, plus);
      }
    }
    name = TrimSpace(name);
    std::string_view file = where;
    if (size_t colon = where.rfind(':'); colon != std::string_view::npos) {
      if (ParseInt(where.substr(colon + 1), &c.line)) file = where.substr(0, colon);
    }
    if (!name.empty()) {
      profile::StrId n = b_.Str(name);
      c.function = b_.AddFunction(n, n, b_.Str(file), 0);
    }
  }
  comments_.push_back(c);
  return true;
}

void GoStackSymbols::EmitFrames(std::span<const uint64_t> addrs, bool drop_hidden_leaf_frames,
                                RecordSet& out) {
  const size_t n = addrs.size();
  begin_.assign(n, 0);
  end_.assign(n, 0);
  // Match comments to addresses in order. Go prints a comment's pc as the address minus 1
  // (the call instruction), or the address itself after a signal (sigpanic). A comment run
  // with one pc covers a run of equal addresses (recursion), shared out evenly; comments
  // that match nothing are ignored.
  last_match_.clear();
  for (size_t t = 0; t < n; ++t) {
    last_match_[addrs[t] - 1] = static_cast<uint32_t>(t);
    last_match_[addrs[t]] = static_cast<uint32_t>(t);
  }
  // Whether comment c matches an address at index j or later.
  auto matches_from = [&](size_t c, size_t j) {
    auto it = last_match_.find(comments_[c].pc);
    return it != last_match_.end() && it->second >= j;
  };
  auto matches = [&](size_t c, size_t j) {
    return comments_[c].pc == addrs[j] - 1 || comments_[c].pc == addrs[j];
  };
  size_t k = 0;
  bool any = false;
  for (size_t j = 0; j < n;) {
    while (k < comments_.size() && !matches_from(k, j)) ++k;
    if (k >= comments_.size() || !matches(k, j)) {
      begin_[j] = end_[j] = static_cast<uint32_t>(k);
      ++j;
      continue;
    }
    size_t run = 1;
    while (k + run < comments_.size() && comments_[k + run].pc == comments_[k].pc) ++run;
    size_t same = 1;
    while (j + same < n && addrs[j + same] == addrs[j]) ++same;
    size_t share = std::max<size_t>(1, run / same);
    for (size_t t = 0; t < same; ++t) {
      size_t b = k + std::min(run, t * share);
      size_t e = t + 1 == same ? k + run : std::min(k + run, b + share);
      begin_[j + t] = static_cast<uint32_t>(b);
      end_[j + t] = static_cast<uint32_t>(e);
      any = any || e > b;
    }
    k += run;
    j += same;
  }
  size_t first = 0, last_matched = 0;
  while (first < n && begin_[first] == end_[first]) ++first;
  for (size_t j = first; j < n; ++j) {
    if (begin_[j] != end_[j]) last_matched = j;
  }

  for (size_t j = 0; j < n; ++j) {
    bool matched = begin_[j] != end_[j];
    if (any && !matched) {
      // Before the first matched frame: runtime frames Go hid; after the last one:
      // runtime.goexit. Anything else unmatched is kept, unsymbolized.
      if (j > last_matched || (j < first && drop_hidden_leaf_frames)) continue;
      out.AddFrame(addrs[j] - 1);
      continue;
    }
    lines_.clear();
    size_t last = j;
    for (;;) {
      for (uint32_t c = begin_[last]; c < end_[last]; ++c) {
        if (comments_[c].function != profile::kNone) {
          lines_.push_back({comments_[c].function, comments_[c].line, 0});
        }
      }
      // The next address continues this location if it is a call inlined into the same
      // physical function: same entry, another function (recursion is never inlined).
      size_t next = last + 1;
      if (next >= n || begin_[next] == end_[next] || end_[last] == begin_[last]) break;
      const Comment& inner = comments_[end_[last] - 1];
      const Comment& outer = comments_[begin_[next]];
      if (inner.function == profile::kNone || outer.function == profile::kNone ||
          inner.entry != outer.entry || inner.function == outer.function) {
        break;
      }
      last = next;
    }
    out.AddFrame(addrs[j] - 1, lines_);
    j = last;
  }
  comments_.clear();
}

bool ParseGoLabels(std::string_view line, profile::ProfileBuilder& b,
                   std::vector<profile::Label>* out) {
  line = TrimSpace(line);
  if (!line.starts_with("#")) return false;
  line = TrimSpace(line.substr(1));
  if (!line.starts_with("labels:")) return false;
  line = TrimSpace(line.substr(7));
  if (!line.starts_with("{") || !line.ends_with("}")) return false;
  line = line.substr(1, line.size() - 2);
  std::string key, value;
  for (;;) {
    line = TrimSpace(line);
    if (line.empty()) return true;
    if (!UnquoteGo(&line, &key)) return false;
    line = TrimSpace(line);
    if (!line.starts_with(":")) return false;
    line = TrimSpace(line.substr(1));
    if (!UnquoteGo(&line, &value)) return false;
    profile::Label l;
    l.key = b.Str(key);
    l.str = b.Str(value);
    out->push_back(l);
    line = TrimSpace(line);
    if (line.starts_with(","))
      line.remove_prefix(1);
    else if (!line.empty())
      return false;
  }
}

}  // namespace hearth::formats::legacy
