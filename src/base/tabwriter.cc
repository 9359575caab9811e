#include "base/tabwriter.h"

#include <algorithm>

#include "base/strings.h"

namespace hearth {

size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

void TabWriter::Write(std::string_view text) { pending_.append(text); }

std::string TabWriter::Flush() {
  // cells[line] holds the cells of one line; all but the last are tab-terminated.
  std::vector<std::vector<std::string_view>> cells;
  std::string_view text = pending_;
  bool trailing_newline = !text.empty() && text.back() == '\n';
  if (trailing_newline) text.remove_suffix(1);
  for (std::string_view line : Split(text, '\n')) {
    cells.push_back(Split(line, '\t'));
  }
  // widths[line][col] for tab-terminated cells.
  std::vector<std::vector<size_t>> widths(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) widths[i].assign(cells[i].size(), 0);
  size_t max_cols = 0;
  for (const auto& c : cells) max_cols = std::max(max_cols, c.size());
  for (size_t col = 0; col + 1 < max_cols; ++col) {
    size_t line = 0;
    while (line < cells.size()) {
      if (cells[line].size() <= col + 1) {
        ++line;
        continue;
      }
      size_t begin = line, width = 0;
      while (line < cells.size() && cells[line].size() > col + 1) {
        width = std::max(width, DisplayWidth(cells[line][col]) + padding_);
        ++line;
      }
      for (size_t l = begin; l < line; ++l) widths[l][col] = width;
    }
  }
  std::string out;
  out.reserve(pending_.size() * 2);
  for (size_t i = 0; i < cells.size(); ++i) {
    for (size_t col = 0; col < cells[i].size(); ++col) {
      std::string_view cell = cells[i][col];
      if (col + 1 == cells[i].size()) {
        out.append(cell);
        break;
      }
      size_t pad = widths[i][col] - DisplayWidth(cell);
      if (align_ == Align::kRight) {
        out.append(pad, ' ');
        out.append(cell);
      } else {
        out.append(cell);
        out.append(pad, ' ');
      }
    }
    if (i + 1 < cells.size() || trailing_newline) out.push_back('\n');
  }
  pending_.clear();
  return out;
}

}  // namespace hearth
