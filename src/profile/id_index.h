#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "profile/profile.h"

namespace hearth::profile {

// Maps wire ids (arbitrary nonzero uint64: pprof location/function/mapping ids) to table
// indices. Ids are almost always dense
// (1..N), so small ids go to a vector; others to a hash map.
class IdIndex {
 public:
  explicit IdIndex(size_t count) : dense_(count + 1, kNone) {}

  // False if the id is 0 or already present.
  bool Insert(uint64_t id, uint32_t index) {
    if (id == 0) return false;
    if (id < dense_.size()) {
      if (dense_[id] != kNone) return false;
      dense_[id] = index;
      return true;
    }
    return sparse_.emplace(id, index).second;
  }

  uint32_t Find(uint64_t id) const {
    if (id < dense_.size()) return dense_[id];
    return FindSparse(id);
  }
  uint32_t FindSparse(uint64_t id) const {
    auto it = sparse_.find(id);
    return it == sparse_.end() ? kNone : it->second;
  }
  const uint32_t* dense_data() const { return dense_.data(); }
  size_t dense_size() const { return dense_.size(); }

 private:
  std::vector<uint32_t> dense_;
  absl::flat_hash_map<uint64_t, uint32_t> sparse_;
};

}  // namespace hearth::profile
