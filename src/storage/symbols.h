#pragma once

// The symbols of one block (or of the head): every string, mapping, function and location
// once, plus the stack tree that makes a whole stack one integer.
//
//        node 0 (root, no location)
//        ├── 1 = (0, main)
//        │   ├── 2 = (1, handle)
//        │   │   └── 4 = (2, compute)      a sample of stack main;handle;compute is
//        │   └── 3 = (1, gc)               stored as node 4 and its values
//        └── 5 = (0, runtime.goexit)
//
// Invariant: parent[n] < n for every n > 0, so a single forward pass visits parents first.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "profile/builder.h"
#include "profile/profile.h"

namespace hearth::storage {

class StackTree {
 public:
  StackTree();
  // Rebuilds a tree from its columns (block read path); the lookup index is built lazily.
  static absl::StatusOr<StackTree> FromColumns(std::vector<uint32_t> parents,
                                               std::vector<uint32_t> locations,
                                               size_t num_locations);

  // The node for `location` under `parent`, created if new.
  uint32_t Insert(uint32_t parent, uint32_t location);
  // The leaf node of a leaf-first stack of location indices.
  uint32_t InsertStack(std::span<const uint32_t> leaf_first);

  size_t size() const { return parents_.size(); }
  uint32_t parent(uint32_t n) const { return parents_[n]; }
  uint32_t location(uint32_t n) const { return locations_[n]; }
  const std::vector<uint32_t>& parents() const { return parents_; }
  const std::vector<uint32_t>& locations() const { return locations_; }
  // Leaf-first location indices of the stack ending at `node`.
  void Stack(uint32_t node, std::vector<uint32_t>* leaf_first) const;
  size_t MemoryBytes() const;

 private:
  void BuildIndex();
  std::vector<uint32_t> parents_;
  std::vector<uint32_t> locations_;
  absl::flat_hash_map<uint64_t, uint32_t> index_;  // parent << 32 | location -> node
  bool indexed_ = true;
};

// Mutable symbols (head): entities are interned through a ProfileBuilder, whose profile()
// holds them (it never gets samples).
class SymbolTable {
 public:
  SymbolTable() : importer_(builder_) {}
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // Starts importing stacks of `p`; its locations are interned lazily as stacks use them.
  void Bind(const profile::Profile& p) {
    importer_.Bind(p);
    prev_locations_.clear();
    prev_nodes_.clear();
  }
  // The node of a (bound profile's) leaf-first stack.
  uint32_t AddStack(std::span<const uint32_t> leaf_first_locations);
  // Interns a string (span/trace ids are kept as strings of the table).
  profile::StrId Str(std::string_view s) { return builder_.Str(s); }

  const profile::Profile& entities() const { return builder_.profile(); }
  const StackTree& tree() const { return tree_; }
  size_t MemoryBytes() const;

 private:
  profile::ProfileBuilder builder_;
  profile::EntityImporter importer_;
  StackTree tree_;
  // The previous stack (root first, table location ids) and its nodes: consecutive samples
  // usually share a long root prefix, whose nodes need no lookup at all.
  std::vector<uint32_t> prev_locations_;
  std::vector<uint32_t> prev_nodes_;
};

}  // namespace hearth::storage
