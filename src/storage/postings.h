#pragma once

// The label index of a head or block: for every label name, every value, the sorted list of
// series ids carrying it.
//
//   "service_name" -> { "api" -> [0, 3, 7], "db" -> [1, 2] }
//   "__name__"     -> { "process_cpu" -> [0, 1, 2, 3, 7] }
//
// Select() resolves = and =~ through the value lists (a regexp is tried once per distinct
// value, not once per series), intersects, then applies != and !~ as exclusions.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "storage/schema.h"

namespace hearth::storage {

class Postings {
 public:
  // Ids must be added in increasing order.
  void Add(uint32_t series, const Labels& labels);
  // Series ids (sorted) whose labels satisfy every matcher of `sel`.
  std::vector<uint32_t> Select(const Selector& sel, uint32_t num_series) const;

  // Label names / values present (sorted), optionally restricted to some series.
  std::vector<std::string> Names() const;
  std::vector<std::string> Values(const std::string& name) const;
  const std::vector<uint32_t>* Lookup(const std::string& name, const std::string& value) const;
  size_t MemoryBytes() const { return bytes_; }

 private:
  std::map<std::string, std::map<std::string, std::vector<uint32_t>>, std::less<>> index_;
  size_t bytes_ = 0;
};

}  // namespace hearth::storage
