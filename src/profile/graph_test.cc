#include "profile/graph.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace hearth::profile {
namespace {

// Builds profiles with one function per name; a location is a list of function names,
// innermost (inlined) first.
class GraphTest : public ::testing::Test {
 protected:
  GraphTest() {
    p_.sample_types.push_back({p_.strings.Intern("samples"), p_.strings.Intern("count")});
    p_.sample_types.push_back({p_.strings.Intern("cpu"), p_.strings.Intern("nanoseconds")});
  }

  uint32_t Fn(std::string_view name) {
    for (uint32_t i = 0; i < p_.functions.size(); ++i) {
      if (p_.Str(p_.functions[i].name) == name) return i;
    }
    Function f;
    f.id = p_.functions.size() + 1;
    f.name = p_.strings.Intern(name);
    p_.functions.push_back(f);
    return static_cast<uint32_t>(p_.functions.size() - 1);
  }

  uint32_t Loc(std::initializer_list<std::string_view> fns, uint64_t address = 0) {
    Location l;
    l.id = p_.locations.size() + 1;
    l.address = address;
    l.lines_begin = static_cast<uint32_t>(p_.lines.size());
    l.num_lines = static_cast<uint32_t>(fns.size());
    for (std::string_view f : fns) p_.lines.push_back(Line{Fn(f), 0, 0});
    p_.locations.push_back(l);
    return static_cast<uint32_t>(p_.locations.size() - 1);
  }

  // stack: leaf first.
  void Add(std::vector<uint32_t> stack, int64_t count, int64_t cpu) {
    int64_t values[] = {count, cpu};
    p_.AddSample(stack, values, {});
  }

  // node name -> {flat, cum} of a graph, plus its inline label.
  struct Row {
    std::string name;
    int64_t flat, cum;
    InlineKind inl;
    bool operator==(const Row&) const = default;
  };
  std::vector<Row> Rows(const Graph& g) {
    std::vector<Row> rows;
    std::vector<InlineKind> kinds = g.InlineKinds();
    for (size_t i = 0; i < g.nodes().size(); ++i) {
      const GraphNode& n = g.nodes()[i];
      rows.push_back({g.table().name(n.id), n.flat, n.cum, kinds[i]});
    }
    return rows;
  }

  Profile p_;
};

using K = InlineKind;

GraphOptions Options(size_t value_index, std::optional<size_t> mean_divisor = std::nullopt,
                     bool drop_negative = false) {
  GraphOptions o;
  o.value_index = value_index;
  o.mean_divisor_index = mean_divisor;
  o.drop_negative = drop_negative;
  return o;
}

TEST_F(GraphTest, FlatCumAndRecursionCountedOnce) {
  const uint32_t main = Loc({"main"}), f = Loc({"f"}), g = Loc({"g"});
  Add({f, g, f, main}, 1, 10);  // f -> g -> f recursion: f's cum once
  Add({f, f, main}, 1, 5);      // direct recursion adds no self edge
  Add({main}, 1, 1);
  NodeTable t(p_, {});
  Graph graph = Graph::Build(p_, t, Options(1));
  graph.SortNodes(false);
  EXPECT_EQ(Rows(graph),
            (std::vector<Row>{
                {"f", 15, 15, K::kNone}, {"main", 1, 16, K::kNone}, {"g", 0, 10, K::kNone}}));
  for (const GraphEdge& e : graph.edges()) EXPECT_NE(e.src, e.dst);
  EXPECT_EQ(graph.FlatSum(), 16);
}

TEST_F(GraphTest, InlineAndPartialInline) {
  const uint32_t main = Loc({"main"});
  const uint32_t inl = Loc({"leaf", "caller"});  // leaf inlined into caller
  const uint32_t leaf = Loc({"leaf"});           // leaf also called normally
  const uint32_t only_inl = Loc({"small", "main"});
  Add({inl, main}, 1, 100);
  Add({leaf, main}, 1, 3);
  Add({only_inl}, 1, 50);
  NodeTable t(p_, {});
  Graph g = Graph::Build(p_, t, Options(1));
  g.SortNodes(false);
  EXPECT_EQ(Rows(g), (std::vector<Row>{{"leaf", 103, 103, K::kPartialInline},
                                       {"small", 50, 50, K::kInline},
                                       {"caller", 0, 100, K::kNone},
                                       {"main", 0, 153, K::kNone}}));
  // Trimming the light (non-inline) edge main -> leaf first makes leaf "(inline)".
  EXPECT_EQ(g.TrimLowFrequencyEdges(4), 1);
  EXPECT_EQ(g.InlineKinds()[0], K::kInline);
}

TEST_F(GraphTest, RebuildWithKeptNodesMovesNoFlat) {
  const uint32_t main = Loc({"main"}), mid = Loc({"mid"}), leaf = Loc({"leaf"});
  Add({leaf, mid, main}, 1, 1);  // leaf is light: dropped
  Add({mid, main}, 1, 20);
  NodeTable t(p_, {});
  GraphOptions o = Options(1);
  Graph full = Graph::Build(p_, t, o);
  size_t kept_count;
  NodeMask kept = full.DiscardLowFrequencyNodes(2, &kept_count);
  EXPECT_EQ(kept_count, 2u);
  Graph g = Graph::Build(p_, t, o, &kept);
  g.SortNodes(false);
  // The sample whose leaf was dropped contributes cum but no flat anywhere.
  EXPECT_EQ(Rows(g), (std::vector<Row>{{"mid", 20, 21, K::kNone}, {"main", 0, 21, K::kNone}}));

  // A dropped node in the middle makes the edge over it residual.
  kept[t.LocationNodes(mid)[0]] = 0;
  kept[t.LocationNodes(leaf)[0]] = 1;
  Graph r = Graph::Build(p_, t, o, &kept);
  ASSERT_EQ(r.edges().size(), 1u);
  EXPECT_TRUE(r.edges()[0].residual);
  EXPECT_EQ(r.edges()[0].weight, 1);
}

TEST_F(GraphTest, MeanAndDropNegative) {
  const uint32_t a = Loc({"a"}), b = Loc({"b"});
  Add({a}, 2, 10);
  Add({a}, 3, 20);
  Add({b}, 1, -7);
  NodeTable t(p_, {});
  Graph g = Graph::Build(p_, t, Options(1, 0));
  g.SortNodes(false);
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].FlatValue(), 30 / 5);
  EXPECT_EQ(g.nodes()[1].FlatValue(), -7);
  Graph pos = Graph::Build(p_, t, Options(1, std::nullopt, true));
  ASSERT_EQ(pos.nodes().size(), 1u);
  EXPECT_EQ(t.name(pos.nodes()[0].id), "a");
}

TEST_F(GraphTest, SortTieBreaks) {
  // Same flat: name order; same flat and name: NodeInfo string (objfile differs).
  Mapping m1, m2;
  m1.id = 1;
  m1.filename = p_.strings.Intern("/b/app");
  m2.id = 2;
  m2.filename = p_.strings.Intern("/a/app");
  p_.mappings = {m1, m2};
  const uint32_t x = Loc({"x"}), y = Loc({"y"});
  Location u1, u2;
  u1.id = 10;
  u1.mapping = 0;
  u2.id = 11;
  u2.mapping = 1;
  p_.locations.push_back(u1);
  p_.locations.push_back(u2);
  const uint32_t l1 = static_cast<uint32_t>(p_.locations.size() - 2);
  const uint32_t l2 = l1 + 1;
  Add({y}, 1, 5);
  Add({x}, 1, 5);
  Add({l1}, 1, 5);
  Add({l2}, 1, 5);
  Add({x, y}, 1, 1);  // y: cum 6
  NodeTable t(p_, {});
  Graph g = Graph::Build(p_, t, Options(1));
  g.SortNodes(false);
  std::vector<std::string> order;
  for (const GraphNode& n : g.nodes()) order.push_back(NodeInfoString(t.info(n.id)));
  EXPECT_EQ(order,
            (std::vector<std::string>{"{x  0  0 0 }",                            // flat 6
                                      "{  0  0 0 /a/app}", "{  0  0 0 /b/app}",  // "[app]" twice
                                      "{y  0  0 0 }"}));
  g.SortNodes(true);
  EXPECT_EQ(t.name(g.nodes()[0].id), "x");  // cum 6, name before y (cum 6)
  EXPECT_EQ(t.name(g.nodes()[1].id), "y");
}

TEST_F(GraphTest, TrimmedGraphCounts) {
  const uint32_t main = Loc({"main"});
  std::vector<uint32_t> leaves;
  for (std::string_view n : {"a", "b", "c", "d"}) leaves.push_back(Loc({n}));
  Add({leaves[0], main}, 1, 1000);
  Add({leaves[1], main}, 1, 500);
  Add({leaves[2], main}, 1, 100);
  Add({leaves[3], main}, 1, 4);  // below 0.005 of 1604
  NodeTable t(p_, {});
  TrimmedGraph tg = BuildTrimmedGraph(
      p_, t, Options(1),
      TrimOptions{
          .node_fraction = 0.005, .edge_fraction = 0.001, .node_count = 2, .cum_sort = false});
  EXPECT_EQ(tg.dropped_nodes, 1);
  EXPECT_EQ(tg.orig_count, 4);  // main, a, b, c
  EXPECT_EQ(Rows(tg.graph),
            (std::vector<Row>{{"a", 1000, 1000, K::kNone}, {"b", 500, 500, K::kNone}}));
}

TEST(NodeInfoTest, PrintableName) {
  NodeInfo info;
  info.name = "main.fib";
  EXPECT_EQ(PrintableName(info), "main.fib");
  info.file = "/src/main.go";
  EXPECT_EQ(PrintableName(info), "main.fib /src/main.go");
  info.lineno = 26;
  info.address = 0x674ea4;
  EXPECT_EQ(PrintableName(info), "0000000000674ea4 main.fib /src/main.go:26");
  EXPECT_EQ(NodeInfoString(info), "{main.fib  6770340 /src/main.go 0 26 }");
  NodeInfo bin;
  bin.objfile = "/usr/lib/libc.so.6";
  EXPECT_EQ(PrintableName(bin), "[libc.so.6]");
  EXPECT_EQ(PrintableName(NodeInfo{}), "<unknown>");
}

TEST(NodeInfoTest, GoPathFunctions) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("a//b/./c/"), "a/b/c");
  EXPECT_EQ(CleanPath("/../abc"), "/abc");
  EXPECT_EQ(CleanPath("abc/../.."), "..");
  EXPECT_EQ(CleanPath("../../a/b/../c"), "../../a/c");
  EXPECT_EQ(CleanPath("/a/b/.."), "/a");
  EXPECT_EQ(CleanPath("node:internal/timers"), "node:internal/timers");
  EXPECT_EQ(CleanPath("file:///x"), "file:/x");
  EXPECT_EQ(BasePath("/opt/bin/app"), "app");
  EXPECT_EQ(BasePath("/opt/bin/"), "bin");
  EXPECT_EQ(BasePath("///"), "/");
  EXPECT_EQ(BasePath(""), ".");
}

TEST_F(GraphTest, FilesAreCleanedAndProcCwdTrimmed) {
  const uint32_t l = Loc({"f"});
  p_.functions[p_.lines[p_.locations[l].lines_begin].function].filename =
      p_.strings.Intern("/proc/self/cwd/./src//x.go");
  NodeTable plain(p_, {});
  EXPECT_EQ(plain.info(0).file, "/proc/self/cwd/src/x.go");
  NodeTable report(p_, NodeOptions{.trim_proc_cwd = true});
  EXPECT_EQ(report.info(0).file, "src/x.go");
}

}  // namespace
}  // namespace hearth::profile
