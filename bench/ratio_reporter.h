#pragma once

// A Google Benchmark reporter that pairs each of Hearth's benchmarks with its peer's and
// prints the ratio. Pairs are named alike except for the side: BM_Decode_Hearth/2 and
// BM_Decode_Protobuf/2 form the row "Decode/2" (label: the benchmark's SetLabel).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hearth::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter(std::string ours, std::string peer) : ours_(std::move(ours)), peer_(std::move(peer)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      std::string name = r.benchmark_name();
      bool is_ours = Strip(&name, ours_);
      if (!is_ours && !Strip(&name, peer_)) continue;
      Row& row = rows_[name];
      (is_ours ? row.ours_ns : row.peer_ns) = r.GetAdjustedRealTime();
      if (!r.report_label.empty()) row.label = r.report_label;
    }
  }

  void PrintRatios() const {
    std::printf("\n%-52s %12s %12s %8s\n", "benchmark (input)", ours_.c_str(), peer_.c_str(),
                "speedup");
    for (const auto& [name, row] : rows_) {
      if (row.ours_ns <= 0 || row.peer_ns <= 0) continue;
      const std::string what = row.label.empty() ? name : name + " (" + row.label + ")";
      std::printf("%-52s %9.1f us %9.1f us %7.2fx\n", what.c_str(), row.ours_ns / 1e3,
                  row.peer_ns / 1e3, row.peer_ns / row.ours_ns);
    }
  }

 private:
  struct Row {
    double ours_ns = 0, peer_ns = 0;
    std::string label;
  };
  // Removes "_<side>" (or a "BM_<side>" prefix) from `name`; false if it is not there.
  static bool Strip(std::string* name, const std::string& side) {
    for (const std::string& token : {"_" + side + "/", "_" + side}) {
      const size_t at = name->find(token);
      if (at == std::string::npos) continue;
      name->replace(at, token.size(), token.back() == '/' ? "/" : "");
      return true;
    }
    return false;
  }
  std::string ours_, peer_;
  std::map<std::string, Row> rows_;
};

}  // namespace hearth::bench
