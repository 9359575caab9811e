#include "base/tabwriter.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(TabWriterTest, RightAlignsColumnBlocksLikeGo) {
  TabWriter w(1, TabWriter::Align::kRight);
  w.Write("endpoint:\t Total 3.0s\n");
  w.Write(" \t1.3s (44.82%):\t /api/report\n");
  w.Write(" \t500.0ms (16.72%):\t /api/checkout\n");
  w.Write("\n");
  w.Write("k:\t Total 1\n");
  EXPECT_EQ(w.Flush(),
            " endpoint: Total 3.0s\n"
            "              1.3s (44.82%): /api/report\n"
            "           500.0ms (16.72%): /api/checkout\n"
            "\n"
            " k: Total 1\n");
}

TEST(TabWriterTest, LeftAlignAndUtf8Width) {
  TabWriter w(2, TabWriter::Align::kLeft);
  w.Write("µs\tx\n");
  w.Write("abcd\ty\n");
  EXPECT_EQ(w.Flush(), "µs    x\nabcd  y\n");
}

}  // namespace
}  // namespace hearth
