// Rust v0 demangling (RFC 2603); see rust_demangle.h.

#include "symbolize/rust_demangle.h"

#include <cstdint>
#include <vector>

#include "symbolize/rust_demangle_util.h"

namespace hearth::symbolize {
namespace {

using rust_internal::AppendUtf8;
using rust_internal::HexValue;
using rust_internal::IsDigit;
using rust_internal::IsHex;
using rust_internal::IsLower;
using rust_internal::IsUpper;

constexpr int kMaxDepth = 256;
// Backrefs can make the output exponential in the input; real names stay far below this.
constexpr size_t kMaxOutputBytes = 64 * 1024;

// RFC 3492 decoding, with '_' as the delimiter between basic and encoded code points
// (v0 replaces punycode's '-', which is not a valid symbol character).
bool DecodePunycode(std::string_view in, std::string* out) {
  std::vector<uint32_t> cps;
  size_t delim = in.rfind('_');
  std::string_view encoded = in;
  if (delim != std::string_view::npos) {
    for (char c : in.substr(0, delim)) cps.push_back(static_cast<unsigned char>(c));
    encoded = in.substr(delim + 1);
  }
  constexpr uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
  uint32_t n = 128, bias = 72;
  uint64_t i = 0;
  size_t p = 0;
  while (p < encoded.size()) {
    const uint64_t old_i = i;
    uint64_t w = 1;
    for (uint32_t k = kBase;; k += kBase) {
      if (p >= encoded.size()) return false;
      const char c = encoded[p++];
      uint32_t digit;
      if (IsLower(c)) {
        digit = c - 'a';
      } else if (IsDigit(c)) {
        digit = c - '0' + 26;
      } else {
        return false;
      }
      i += digit * w;
      const uint32_t t = k <= bias ? kTMin : (k >= bias + kTMax ? kTMax : k - bias);
      if (digit < t) break;
      w *= kBase - t;
      if (i > 0x10ffff * 64ull || w > 0x10ffff * 64ull) return false;
    }
    const uint64_t len = cps.size() + 1;
    uint64_t delta = old_i == 0 ? (i - old_i) / kDamp : (i - old_i) / 2;
    delta += delta / len;
    uint32_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
      delta /= kBase - kTMin;
      k += kBase;
    }
    bias = k + static_cast<uint32_t>(((kBase - kTMin + 1) * delta) / (delta + kSkew));
    n += static_cast<uint32_t>(i / len);
    i %= len;
    if (n > 0x10ffff || cps.size() > 1024) return false;
    cps.insert(cps.begin() + static_cast<ptrdiff_t>(i), n);
    ++i;
  }
  for (uint32_t cp : cps) AppendUtf8(cp, out);
  return true;
}

// A v0 demangler that prints while it parses (rustc-demangle's approach). Any failure
// sets ok_ and unwinds; the result is then discarded.
class V0Printer {
 public:
  explicit V0Printer(std::string_view s) : s_(s) {}

  std::optional<std::string> Run() {
    if (!s_.empty() && IsDigit(s_[0])) return std::nullopt;  // Unknown encoding version.
    Path(/*in_value=*/true);
    // The instantiating crate is not printed.
    if (ok_ && pos_ < s_.size() && IsUpper(s_[pos_])) {
      print_ = false;
      Path(false);
    }
    if (!ok_ || pos_ != s_.size()) return std::nullopt;
    return std::move(out_);
  }

 private:
  struct Ident {
    std::string_view ascii;
    bool punycode = false;
  };

  void Fail() { ok_ = false; }
  bool Eat(char c) {
    if (ok_ && pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Next() {
    if (!ok_ || pos_ >= s_.size()) {
      Fail();
      return '\0';
    }
    return s_[pos_++];
  }
  void Print(std::string_view s) {
    if (!print_ || !ok_) return;
    out_.append(s);
    if (out_.size() > kMaxOutputBytes) Fail();
  }
  void PrintNumber(uint64_t v) { Print(std::to_string(v)); }

  // <base-62-number> = {0-9a-zA-Z} "_"; "_" is 0, "0_" is 1 ...
  uint64_t Base62() {
    if (Eat('_')) return 0;
    uint64_t x = 0;
    while (ok_) {
      const char c = Next();
      if (c == '_') {
        if (x == UINT64_MAX) Fail();
        return x + 1;
      }
      uint64_t d;
      if (IsDigit(c)) {
        d = c - '0';
      } else if (IsLower(c)) {
        d = 10 + (c - 'a');
      } else if (IsUpper(c)) {
        d = 36 + (c - 'A');
      } else {
        Fail();
        return 0;
      }
      if (x > (UINT64_MAX - d) / 62) {
        Fail();
        return 0;
      }
      x = x * 62 + d;
    }
    return 0;
  }
  uint64_t OptBase62(char tag) {
    if (!Eat(tag)) return 0;
    const uint64_t v = Base62();
    if (v == UINT64_MAX) Fail();
    return v + 1;
  }
  uint64_t Decimal() {
    const char c = Next();
    if (!IsDigit(c)) {
      Fail();
      return 0;
    }
    if (c == '0') return 0;
    uint64_t x = c - '0';
    while (ok_ && pos_ < s_.size() && IsDigit(s_[pos_])) {
      if (x > (UINT64_MAX - 9) / 10) {
        Fail();
        return 0;
      }
      x = x * 10 + (s_[pos_++] - '0');
    }
    return x;
  }
  Ident UndisambiguatedIdent() {
    Ident id;
    id.punycode = Eat('u');
    const uint64_t len = Decimal();
    Eat('_');  // Separates the length from identifiers starting with a digit or '_'.
    if (!ok_ || len > s_.size() - pos_) {
      Fail();
      return id;
    }
    id.ascii = s_.substr(pos_, len);
    pos_ += len;
    return id;
  }
  void PrintIdent(const Ident& id) {
    if (!id.punycode) return Print(id.ascii);
    std::string decoded;
    if (!DecodePunycode(id.ascii, &decoded)) return Fail();
    Print(decoded);
  }

  // Runs f at the position a backref points to (strictly before the backref itself),
  // then comes back.
  template <typename F>
  void Backref(F&& f) {
    const size_t start = pos_ - 1;  // The 'B'.
    const uint64_t target = Base62();
    if (!ok_ || target >= start) return Fail();
    if (!print_) return;  // Nothing to print: the target was validated when first parsed.
    const size_t saved = pos_;
    pos_ = target;
    f();
    pos_ = saved;
  }

  struct DepthGuard {
    V0Printer* p;
    explicit DepthGuard(V0Printer* printer) : p(printer) {
      if (++p->depth_ > kMaxDepth) p->Fail();
    }
    ~DepthGuard() { --p->depth_; }
  };

  void PrintLifetime(uint64_t lt) {
    if (lt == 0) return Print("'_");
    if (lt > bound_lifetimes_) return Fail();
    const uint64_t depth = bound_lifetimes_ - lt;
    if (depth < 26) {
      const char name[] = {'\'', static_cast<char>('a' + depth), '\0'};
      Print(name);
    } else {
      Print("'_");
      PrintNumber(depth);
    }
  }

  // <binder> = "G" <base-62-number>: for<'a, 'b, ...> with value+1 lifetimes.
  uint64_t Binder() {
    const uint64_t count = OptBase62('G');
    if (count == 0 || !ok_) return 0;
    if (count > 1024) {
      Fail();
      return 0;
    }
    Print("for<");
    for (uint64_t i = 0; i < count; ++i) {
      if (i > 0) Print(", ");
      ++bound_lifetimes_;
      PrintLifetime(1);
    }
    Print("> ");
    return count;
  }

  void Path(bool in_value) {
    DepthGuard guard(this);
    if (!ok_) return;
    const char tag = Next();
    switch (tag) {
      case 'C': {
        OptBase62('s');  // The crate disambiguator (a hash) is not shown.
        PrintIdent(UndisambiguatedIdent());
        break;
      }
      case 'N': {
        const char ns = Next();
        if (!IsLower(ns) && !IsUpper(ns)) return Fail();
        Path(in_value);
        const uint64_t dis = OptBase62('s');
        const Ident name = UndisambiguatedIdent();
        if (IsUpper(ns)) {
          Print("::{");
          Print(ns == 'C' ? "closure" : ns == 'S' ? "shim" : std::string_view(&ns, 1));
          if (!name.ascii.empty()) {
            Print(":");
            PrintIdent(name);
          }
          Print("#");
          PrintNumber(dis);
          Print("}");
        } else if (!name.ascii.empty()) {
          Print("::");
          PrintIdent(name);
        }
        break;
      }
      case 'M':
      case 'X':
      case 'Y': {
        if (tag != 'Y') {  // <impl-path> = [<disambiguator>] <path>, never printed.
          OptBase62('s');
          const bool saved = print_;
          print_ = false;
          Path(false);
          print_ = saved;
        }
        Print("<");
        Type();
        if (tag != 'M') {
          Print(" as ");
          Path(false);
        }
        Print(">");
        break;
      }
      case 'I': {
        Path(in_value);
        if (in_value) Print("::");
        Print("<");
        GenericArgs();
        Print(">");
        break;
      }
      case 'B': Backref([&] { Path(in_value); }); break;
      default: Fail();
    }
  }

  // {<generic-arg>} "E", comma separated.
  void GenericArgs() {
    for (int i = 0; ok_ && !Eat('E'); ++i) {
      if (i > 0) Print(", ");
      if (Eat('L')) {
        PrintLifetime(Base62());
      } else if (Eat('K')) {
        Const();
      } else {
        Type();
      }
    }
  }

  static const char* BasicType(char c) {
    switch (c) {
      case 'a': return "i8";
      case 'b': return "bool";
      case 'c': return "char";
      case 'd': return "f64";
      case 'e': return "str";
      case 'f': return "f32";
      case 'h': return "u8";
      case 'i': return "isize";
      case 'j': return "usize";
      case 'l': return "i32";
      case 'm': return "u32";
      case 'n': return "i128";
      case 'o': return "u128";
      case 's': return "i16";
      case 't': return "u16";
      case 'u': return "()";
      case 'v': return "...";
      case 'x': return "i64";
      case 'y': return "u64";
      case 'z': return "!";
      case 'p': return "_";
      default: return nullptr;
    }
  }

  void Type() {
    DepthGuard guard(this);
    if (!ok_) return;
    const char tag = Next();
    if (const char* basic = BasicType(tag)) return Print(basic);
    switch (tag) {
      case 'R':
      case 'Q': {
        Print("&");
        if (Eat('L')) {
          const uint64_t lt = Base62();
          if (lt != 0) {
            PrintLifetime(lt);
            Print(" ");
          }
        }
        if (tag == 'Q') Print("mut ");
        Type();
        break;
      }
      case 'P':
        Print("*const ");
        Type();
        break;
      case 'O':
        Print("*mut ");
        Type();
        break;
      case 'A':
        Print("[");
        Type();
        Print("; ");
        Const();
        Print("]");
        break;
      case 'S':
        Print("[");
        Type();
        Print("]");
        break;
      case 'T': {
        Print("(");
        int n = 0;
        for (; ok_ && !Eat('E'); ++n) {
          if (n > 0) Print(", ");
          Type();
        }
        if (n == 1) Print(",");
        Print(")");
        break;
      }
      case 'F': FnSig(); break;
      case 'D': {
        Print("dyn ");
        const uint64_t bound = Binder();
        for (int n = 0; ok_ && !Eat('E'); ++n) {
          if (n > 0) Print(" + ");
          DynTrait();
        }
        bound_lifetimes_ -= bound;
        if (!Eat('L')) return Fail();
        if (const uint64_t lt = Base62(); lt != 0) {
          Print(" + ");
          PrintLifetime(lt);
        }
        break;
      }
      case 'B': Backref([&] { Type(); }); break;
      default:
        --pos_;  // A named type: the tag belongs to the path.
        Path(false);
    }
  }

  void FnSig() {
    const uint64_t bound = Binder();
    if (Eat('U')) Print("unsafe ");
    if (Eat('K')) {
      Print("extern \"");
      if (Eat('C')) {
        Print("C");
      } else {
        const Ident abi = UndisambiguatedIdent();
        if (abi.punycode) return Fail();
        for (char c : abi.ascii) Print(c == '_' ? std::string_view("-") : std::string_view(&c, 1));
      }
      Print("\" ");
    }
    Print("fn(");
    for (int n = 0; ok_ && !Eat('E'); ++n) {
      if (n > 0) Print(", ");
      Type();
    }
    Print(")");
    if (Eat('u')) {
      // Returns (): not printed.
    } else {
      Print(" -> ");
      Type();
    }
    bound_lifetimes_ -= bound;
  }

  // A trait path whose generic arguments stay open so associated-type bindings can join
  // them: dyn Iterator<Item = u8>.
  bool PathMaybeOpenGenerics() {
    DepthGuard guard(this);
    if (Eat('B')) {
      bool open = false;
      Backref([&] { open = PathMaybeOpenGenerics(); });
      return open;
    }
    if (Eat('I')) {
      Path(false);
      Print("<");
      GenericArgs();
      return true;
    }
    Path(false);
    return false;
  }

  void DynTrait() {
    bool open = PathMaybeOpenGenerics();
    while (ok_ && Eat('p')) {
      Print(open ? ", " : "<");
      open = true;
      PrintIdent(UndisambiguatedIdent());
      Print(" = ");
      Type();
    }
    if (open) Print(">");
  }

  // <const-data> = ["n"] {<hex-digit>} "_"; values wider than 64 bits print as hex.
  void ConstInt(bool is_signed) {
    const bool negative = is_signed && Eat('n');
    const size_t start = pos_;
    while (ok_ && pos_ < s_.size() && IsHex(s_[pos_])) ++pos_;
    const std::string_view hex = s_.substr(start, pos_ - start);
    if (!Eat('_')) return Fail();
    if (negative) Print("-");
    if (hex.size() > 16) {
      Print("0x");
      Print(hex);
      return;
    }
    uint64_t v = 0;
    for (char c : hex) v = v * 16 + HexValue(c);
    PrintNumber(v);
  }

  void Const() {
    DepthGuard guard(this);
    if (!ok_) return;
    if (Eat('B')) return Backref([&] { Const(); });
    if (Eat('p')) return Print("_");
    const char ty = Next();
    switch (ty) {
      case 'h':
      case 't':
      case 'm':
      case 'y':
      case 'o':
      case 'j': return ConstInt(false);
      case 'a':
      case 's':
      case 'l':
      case 'x':
      case 'n':
      case 'i': return ConstInt(true);
      case 'b': {
        const size_t start = pos_;
        while (ok_ && pos_ < s_.size() && IsHex(s_[pos_])) ++pos_;
        const std::string_view v = s_.substr(start, pos_ - start);
        if (!Eat('_')) return Fail();
        if (v == "0") return Print("false");
        if (v == "1") return Print("true");
        return Fail();
      }
      case 'c': {
        const size_t start = pos_;
        while (ok_ && pos_ < s_.size() && IsHex(s_[pos_])) ++pos_;
        const std::string_view hex = s_.substr(start, pos_ - start);
        if (!Eat('_') || hex.empty() || hex.size() > 6) return Fail();
        uint32_t cp = 0;
        for (char c : hex) cp = cp * 16 + HexValue(c);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return Fail();
        std::string ch = "'";
        if (cp == '\'' || cp == '\\') ch.push_back('\\');
        AppendUtf8(cp, &ch);
        ch.push_back('\'');
        return Print(ch);
      }
      default: return Fail();  // Structured constants (str, refs, arrays, ADTs) are not decoded.
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string out_;
  bool ok_ = true;
  bool print_ = true;
  int depth_ = 0;
  uint64_t bound_lifetimes_ = 0;
};

// The part of a name before a vendor suffix such as ".llvm.1234" or ".cold".
std::string_view StripSuffix(std::string_view s, size_t from) {
  const size_t dot = s.find('.', from);
  return dot == std::string_view::npos ? s : s.substr(0, dot);
}

}  // namespace

std::optional<std::string> DemangleRustV0(std::string_view symbol) {
  if (!symbol.starts_with("_R")) return std::nullopt;
  return V0Printer(StripSuffix(symbol, 2).substr(2)).Run();
}

}  // namespace hearth::symbolize
