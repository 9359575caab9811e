#include "storage/symbols.h"

#include <fmt/format.h>

namespace hearth::storage {

StackTree::StackTree() {
  parents_.push_back(0);
  locations_.push_back(profile::kNone);
}

absl::StatusOr<StackTree> StackTree::FromColumns(std::vector<uint32_t> parents,
                                                 std::vector<uint32_t> locations,
                                                 size_t num_locations) {
  if (parents.empty() || parents.size() != locations.size()) {
    return absl::DataLossError("stack tree: column lengths differ or the root is missing");
  }
  for (size_t n = 1; n < parents.size(); ++n) {
    if (parents[n] >= n) {
      return absl::DataLossError(fmt::format("stack tree: node {} has parent {} (must be smaller)",
                                             n, parents[n]));
    }
    if (locations[n] >= num_locations) {
      return absl::DataLossError(
          fmt::format("stack tree: node {} refers to location {} of {}", n, locations[n],
                      num_locations));
    }
  }
  StackTree t;
  t.parents_ = std::move(parents);
  t.locations_ = std::move(locations);
  t.parents_[0] = 0;
  t.locations_[0] = profile::kNone;
  t.indexed_ = false;
  return t;
}

void StackTree::BuildIndex() {
  index_.reserve(parents_.size());
  for (uint32_t n = 1; n < parents_.size(); ++n) {
    index_.emplace(uint64_t{parents_[n]} << 32 | locations_[n], n);
  }
  indexed_ = true;
}

uint32_t StackTree::Insert(uint32_t parent, uint32_t location) {
  if (!indexed_) BuildIndex();
  auto [it, inserted] =
      index_.try_emplace(uint64_t{parent} << 32 | location, static_cast<uint32_t>(parents_.size()));
  if (inserted) {
    parents_.push_back(parent);
    locations_.push_back(location);
  }
  return it->second;
}

uint32_t StackTree::InsertStack(std::span<const uint32_t> leaf_first) {
  uint32_t node = 0;
  for (auto it = leaf_first.rbegin(); it != leaf_first.rend(); ++it) node = Insert(node, *it);
  return node;
}

void StackTree::Stack(uint32_t node, std::vector<uint32_t>* leaf_first) const {
  leaf_first->clear();
  while (node != 0) {
    leaf_first->push_back(locations_[node]);
    node = parents_[node];
  }
}

size_t StackTree::MemoryBytes() const {
  return parents_.capacity() * 8 + index_.capacity() * (sizeof(uint64_t) + sizeof(uint32_t) + 1);
}

uint32_t SymbolTable::AddStack(std::span<const uint32_t> leaf_first_locations) {
  const size_t depth = leaf_first_locations.size();
  size_t common = 0;
  // Root-first position i is leaf-first index depth-1-i.
  while (common < depth && common < prev_locations_.size() &&
         importer_.MapLocation(leaf_first_locations[depth - 1 - common]) ==
             prev_locations_[common]) {
    ++common;
  }
  prev_locations_.resize(common);
  prev_nodes_.resize(common);
  uint32_t node = common == 0 ? 0 : prev_nodes_[common - 1];
  for (size_t i = common; i < depth; ++i) {
    const uint32_t loc = importer_.MapLocation(leaf_first_locations[depth - 1 - i]);
    node = tree_.Insert(node, loc);
    prev_locations_.push_back(loc);
    prev_nodes_.push_back(node);
  }
  return node;
}

size_t SymbolTable::MemoryBytes() const {
  const profile::Profile& p = builder_.profile();
  size_t strings = 0;
  for (std::string_view s : p.strings.views()) strings += s.size() + 24;
  // Entities plus the builder's dedup indexes (roughly the same again).
  size_t entities = p.locations.size() * sizeof(profile::Location) +
                    p.lines.size() * sizeof(profile::Line) +
                    p.functions.size() * sizeof(profile::Function) +
                    p.mappings.size() * sizeof(profile::Mapping);
  return strings * 2 + entities * 2 + tree_.MemoryBytes();
}

}  // namespace hearth::storage
