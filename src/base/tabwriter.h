#pragma once

// Column alignment with the semantics of Go's text/tabwriter (AlignRight, padding, minwidth 0):
// text is split into cells at '\t'; a cell terminated by a tab belongs to a column; the last
// cell of a line is not aligned. A column's width is the widest cell in a run of consecutive
// lines that all have that column, plus the padding. pprof's `-tags` report is printed this
// way, so matching it byte for byte needs the same rules.

#include <string>
#include <string_view>
#include <vector>

namespace hearth {

class TabWriter {
 public:
  enum class Align { kLeft, kRight };
  TabWriter(int padding, Align align) : padding_(padding), align_(align) {}

  // Appends text; lines end at '\n'.
  void Write(std::string_view text);
  // Formats everything written so far and returns it.
  std::string Flush();

 private:
  int padding_;
  Align align_;
  std::string pending_;
};

// Display width in columns: the number of UTF-8 code points.
size_t DisplayWidth(std::string_view s);

}  // namespace hearth
