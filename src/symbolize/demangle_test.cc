// Demangling against real tools' output: C++ names as `go tool pprof` (Go 1.19's
// demangler) prints them, Rust v0 as llvm-cxxfilt prints them, Rust legacy as binutils
// c++filt does (hash dropped). The tables and the scripts that made them are in testdata/.

#include "symbolize/demangle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "base/strings.h"
#include "symbolize/rust_demangle.h"

namespace hearth::symbolize {
namespace {

const std::string kTestdata = std::string(HEARTH_SOURCE_DIR) + "/src/symbolize/testdata/";

std::vector<std::vector<std::string>> ReadTsv(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  std::vector<std::vector<std::string>> rows;
  if (!text.ok()) return rows;
  for (std::string_view line : Split(*text, '\n')) {
    if (line.empty()) continue;
    std::vector<std::string> row;
    for (std::string_view f : Split(line, '\t')) row.emplace_back(f);
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(DemangleTest, CppMatchesPprofSimplifiedAndTemplates) {
  const auto rows = ReadTsv(kTestdata + "cpp/cpp_symbols.tsv");
  ASSERT_GT(rows.size(), 300u);
  int checked = 0;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 4u);
    EXPECT_EQ(Demangle(row[0], DemangleMode::kSimplified), row[1]) << row[0];
    EXPECT_EQ(Demangle(row[0], DemangleMode::kTemplates), row[2]) << row[0];
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(rows.size()));
}

TEST(DemangleTest, CppFullAndNone) {
  EXPECT_EQ(Demangle("_Z3fibi", DemangleMode::kFull), "fib(int)");
  EXPECT_EQ(Demangle("_Z3fibi", DemangleMode::kNone), "_Z3fibi");
  EXPECT_EQ(Demangle("_ZNKSt4lessINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEEclERKS5_S8_",
                     DemangleMode::kSimplified),
            "std::less::operator()");
  EXPECT_EQ(Demangle("_Z3fooi.part.0", DemangleMode::kFull), "foo(int) [clone .part.0]");
  // Not mangled, or not valid: unchanged in every mode.
  for (DemangleMode m : {DemangleMode::kFull, DemangleMode::kSimplified}) {
    EXPECT_EQ(Demangle("main", m), "main");
    EXPECT_EQ(Demangle("_Zgarbage", m), "_Zgarbage");
    EXPECT_EQ(Demangle("", m), "");
  }
}

TEST(DemangleTest, SimplifyKeepsOperatorsLambdasAndAnonymousNamespaces) {
  EXPECT_EQ(SimplifyCppName("std::vector<int>::push_back(int const&)", false),
            "std::vector::push_back");
  EXPECT_EQ(SimplifyCppName("bool std::operator< <char>(std::string const&, char const*)", false),
            "std::operator<");
  EXPECT_EQ(SimplifyCppName("main::{lambda(int)#1}::operator()(int) const", false),
            "main::{lambda(int)#1}::operator()");
  EXPECT_EQ(SimplifyCppName("(anonymous namespace)::f(int)", false), "(anonymous namespace)::f");
  EXPECT_EQ(SimplifyCppName("A<int>::operator->() const", true), "A<int>::operator->");
  EXPECT_EQ(SimplifyCppName("vtable for Foo<int>", false), "vtable for Foo");
}

TEST(DemangleTest, ParseMode) {
  EXPECT_EQ(ParseDemangleMode(""), DemangleMode::kSimplified);
  EXPECT_EQ(ParseDemangleMode("simple"), DemangleMode::kSimplified);
  EXPECT_EQ(ParseDemangleMode("full"), DemangleMode::kFull);
  EXPECT_EQ(ParseDemangleMode("templates"), DemangleMode::kTemplates);
  EXPECT_EQ(ParseDemangleMode("none"), DemangleMode::kNone);
  EXPECT_EQ(ParseDemangleMode("fancy"), std::nullopt);
}

TEST(RustDemangleTest, MatchesLlvmCxxfiltAndCxxfilt) {
  const auto rows = ReadTsv(kTestdata + "rust/rust_symbols.tsv");
  int v0 = 0, legacy = 0;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 3u);
    if (row[0] == "v0") {
      EXPECT_EQ(DemangleRustV0(row[1]).value_or("<failed>"), row[2]) << row[1];
      ++v0;
    } else {
      EXPECT_TRUE(IsRustLegacy(row[1])) << row[1];
      std::string want = row[2];
      // c++filt (and pprof's demangler) leave non-ASCII `$u..$` escapes encoded;
      // rustc-demangle decodes them, and so do we.
      if (want == "generics::outer::h$ue9$llo_w$uf6$rld") want = "generics::outer::héllo_wörld";
      EXPECT_EQ(DemangleRustLegacy(row[1]).value_or("<failed>"), want) << row[1];
      EXPECT_EQ(Demangle(row[1], DemangleMode::kSimplified), want) << row[1];
      ++legacy;
      continue;
    }
    // Demangle picks the right scheme; Rust names are never simplified further.
    EXPECT_EQ(Demangle(row[1], DemangleMode::kSimplified), row[2]) << row[1];
  }
  EXPECT_GT(v0, 200);
  EXPECT_GT(legacy, 50);
}

TEST(RustDemangleTest, KnownExamples) {
  // From the v0 RFC and rustc-demangle's tests.
  EXPECT_EQ(DemangleRustV0("_RNvNtCs1234_7mycrate3foo3bar"), "mycrate::foo::bar");
  EXPECT_EQ(DemangleRustV0("_RNvCsgEmfK2I1SDS_4core4main.llvm.123"), "core::main");
  EXPECT_EQ(DemangleRustV0("_RNCNvCs1234_7mycrate4main0"), "mycrate::main::{closure#0}");
  EXPECT_EQ(DemangleRustV0("_RNCNvCs1234_7mycrate4mains_0"), "mycrate::main::{closure#1}");
  // Punycode: "héllo_wörld".
  EXPECT_EQ(DemangleRustV0("_RNvCs1234_1mu15hllo_wrld_b4a2m"), "m::héllo_wörld");
  EXPECT_EQ(DemangleRustLegacy("_ZN3std2rt10lang_start17h0123456789abcdefE"),
            "std::rt::lang_start");
  EXPECT_EQ(DemangleRustLegacy("_ZN4core3ptr13drop_in_place17h0123456789abcdefE.llvm.42"),
            "core::ptr::drop_in_place");
  // A C++ name that only looks similar is not Rust legacy (no 17h<hash>E).
  EXPECT_FALSE(IsRustLegacy("_ZN3foo3barEv"));
  EXPECT_EQ(Demangle("_ZN3foo3barEv", DemangleMode::kSimplified), "foo::bar");
}

TEST(RustDemangleTest, RejectsMalformedAndHostileInput) {
  for (const char* bad : {"_R", "_RX", "_RNvC", "_RNvCs1234_7mycrat", "_RB_", "_RNvB0_3foo",
                          "_RINvCs1234_1m1tKe_EB2_", "_R0NvC1a1b"}) {
    EXPECT_EQ(DemangleRustV0(bad), std::nullopt) << bad;
  }
  // Deep nesting is refused, not a stack overflow.
  std::string deep = "_R";
  for (int i = 0; i < 5000; ++i) deep += "RR";
  deep += "e";
  EXPECT_EQ(DemangleRustV0("_RINvC1a1tR" + deep.substr(2) + "E"), std::nullopt);
  // Backrefs that would expand exponentially are cut off by the output limit.
  std::string bomb = "_RINvC1a1tT";
  for (int i = 0; i < 40; ++i) bomb += "TB9_B9_E";
  EXPECT_EQ(DemangleRustV0(bomb), std::nullopt);
  EXPECT_EQ(DemangleRustLegacy("_ZN999999999999foo17h0123456789abcdefE"), std::nullopt);
}

}  // namespace
}  // namespace hearth::symbolize
