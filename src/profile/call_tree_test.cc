#include "profile/call_tree.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "profile/report.h"
#include "profile/test_util.h"

namespace hearth::profile {
namespace {

// A small profile built by hand:
//
//   main ─┬─ a ──── 0x1234 (unsymbolized, no mapping)
//         ├─ b ──── c        (c inlined into b: one location, two lines)
//         └─ [app]           (no function, mapping /usr/bin/app, address 0)
class CallTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_.sample_types.push_back({p_.strings.Intern("samples"), p_.strings.Intern("count")});
    auto fn = [&](std::string_view name) {
      Function f;
      f.id = p_.functions.size() + 1;
      f.name = p_.strings.Intern(name);
      p_.functions.push_back(f);
      return static_cast<uint32_t>(p_.functions.size() - 1);
    };
    const uint32_t main_fn = fn("main"), a_fn = fn("a"), b_fn = fn("b"), c_fn = fn("c");
    Mapping m;
    m.id = 1;
    m.filename = p_.strings.Intern("/usr/bin/app");
    p_.mappings.push_back(m);
    auto loc = [&](std::vector<uint32_t> fns, uint64_t address, uint32_t mapping) {
      Location l;
      l.id = p_.locations.size() + 1;
      l.address = address;
      l.mapping = mapping;
      l.lines_begin = static_cast<uint32_t>(p_.lines.size());
      l.num_lines = static_cast<uint32_t>(fns.size());
      for (uint32_t f : fns) p_.lines.push_back(Line{f, 10, 0});
      p_.locations.push_back(l);
      return static_cast<uint32_t>(p_.locations.size() - 1);
    };
    main_ = loc({main_fn}, 0, kNone);
    a_ = loc({a_fn}, 0, kNone);
    bc_ = loc({c_fn, b_fn}, 0, kNone);  // innermost first
    unsym_ = loc({}, 0x1234, kNone);
    app_ = loc({}, 0, 0);
    Add({a_, main_}, 3);
    Add({bc_, main_}, 2);
    Add({main_}, 1);
    Add({unsym_, a_, main_}, 4);
    Add({app_, main_}, 5);
    Add({bc_, main_}, 0);  // Zero samples add no nodes.
    Add({a_, main_}, 7);   // Same path as the first sample.
  }

  void Add(std::vector<uint32_t> stack, int64_t v) {
    int64_t values[] = {v};
    p_.AddSample(stack, values, {});
  }

  // The node reached by following `names` from the root, or -1.
  int Find(const CallTree& t, std::vector<std::string> names) {
    uint32_t node = 0;
    auto children = t.Children();
    for (const std::string& name : names) {
      int next = -1;
      for (uint32_t c : children[node]) {
        if (t.names()[t.nodes()[c].name] == name) next = static_cast<int>(c);
      }
      if (next < 0) return -1;
      node = static_cast<uint32_t>(next);
    }
    return static_cast<int>(node);
  }

  Profile p_;
  uint32_t main_, a_, bc_, unsym_, app_;
};

TEST_F(CallTreeTest, SelfAndTotalPerPath) {
  CallTree t = CallTree::Build(p_, 0);
  EXPECT_EQ(t.nodes()[0].total, 22);
  EXPECT_EQ(t.nodes()[0].self, 0);

  int main = Find(t, {"main"});
  ASSERT_GE(main, 0);
  EXPECT_EQ(t.nodes()[main].self, 1);
  EXPECT_EQ(t.nodes()[main].total, 22);

  int a = Find(t, {"main", "a"});
  ASSERT_GE(a, 0);
  EXPECT_EQ(t.nodes()[a].self, 10);
  EXPECT_EQ(t.nodes()[a].total, 14);

  // Inlined lines are separate frames, the caller (outermost line) first.
  int c = Find(t, {"main", "b", "c"});
  ASSERT_GE(c, 0);
  EXPECT_EQ(t.nodes()[c].self, 2);
  EXPECT_EQ(t.nodes()[Find(t, {"main", "b"})].self, 0);
  EXPECT_EQ(t.nodes()[Find(t, {"main", "b"})].total, 2);

  EXPECT_EQ(t.nodes()[Find(t, {"main", "a", "0x1234"})].self, 4);
  EXPECT_EQ(t.nodes()[Find(t, {"main", "[app]"})].self, 5);
  // root, main, a, b, c, 0x1234, [app]
  EXPECT_EQ(t.nodes().size(), 7u);
}

TEST_F(CallTreeTest, ChildrenInInsertionOrder) {
  CallTree t = CallTree::Build(p_, 0);
  auto children = t.Children();
  int main = Find(t, {"main"});
  std::vector<std::string> names;
  for (uint32_t c : children[main]) names.push_back(t.names()[t.nodes()[c].name]);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "[app]"}));
  EXPECT_EQ(children[0].size(), 1u);
}

TEST_F(CallTreeTest, FoldedIsSortedBytewise) {
  CallTree t = CallTree::Build(p_, 0);
  EXPECT_EQ(t.ToFolded(),
            "main 1\n"
            "main;[app] 5\n"
            "main;a 10\n"
            "main;a;0x1234 4\n"
            "main;b;c 2\n");
}

TEST_F(CallTreeTest, FrameNames) {
  const Location& bc = p_.locations[bc_];
  EXPECT_EQ(FrameName(p_, bc, &p_.Lines(bc)[0]), "c");
  EXPECT_EQ(FrameName(p_, bc, &p_.Lines(bc)[1]), "b");
  EXPECT_EQ(FrameName(p_, p_.locations[unsym_], nullptr), "0x1234");
  EXPECT_EQ(FrameName(p_, p_.locations[app_], nullptr), "[app]");
  Location bare;
  EXPECT_EQ(FrameName(p_, bare, nullptr), "<unknown>");
  Line no_function;
  EXPECT_EQ(FrameName(p_, p_.locations[unsym_], &no_function), "0x1234");
}

TEST(CallTreeFixtureTest, EmptyProfile) {
  Profile p;
  p.sample_types.push_back({});
  CallTree t = CallTree::Build(p, 0);
  EXPECT_EQ(t.nodes().size(), 1u);
  EXPECT_EQ(t.ToFolded(), "");
}

// folded/*.folded were made from `go tool pprof -raw` output by folded/pprof_raw_to_folded.awk
// (inlined frames expanded, root first, `LC_ALL=C sort`).
struct FoldedCase {
  const char* profile;
  size_t value_index;
  const char* folded;
};

class FoldedFixtureTest : public ::testing::TestWithParam<FoldedCase> {};

TEST_P(FoldedFixtureTest, MatchesAwkOverPprofRaw) {
  const FoldedCase& c = GetParam();
  absl::StatusOr<Profile> p = testing::LoadLikePprof(testing::FixturePath(c.profile));
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<std::string> want = testing::ReadTestFile(testing::FixturePath(c.folded));
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_EQ(CallTree::Build(*p, c.value_index).ToFolded(), *want);

  // The report pipeline's folded export (function granularity) gives the same lines.
  ReportOptions o;
  o.sample_index = std::to_string(c.value_index);
  absl::StatusOr<Report> r = GenerateReport(*std::move(p), ReportFormat::kFolded, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->text, *want);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FoldedFixtureTest,
    ::testing::Values(FoldedCase{"go/http/cpuburn.profile.10s.pb.gz", 0,
                                 "folded/go.cpuburn.profile.10s.samples.folded"},
                      FoldedCase{"go/http/cpuburn.profile.3s.pb.gz", 0,
                                 "folded/go.cpuburn.profile.3s.samples.folded"},
                      FoldedCase{"go/http/leaky.heap.pb.gz", 3,
                                 "folded/go.leaky.heap.inuse_space.folded"}),
    [](const auto& info) {
      std::string name = info.param.folded;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace hearth::profile
