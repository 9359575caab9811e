#pragma once

// A small bounded least-recently-used map (opened symbol files are few, each heavy).
//
//   order_:  most recent ── ... ── least recent (evicted first)
//   index_:  key -> position in order_

#include <cstddef>
#include <list>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace hearth::symbolize {

template <typename K, typename V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The value for `key`, marked most recently used; nullptr if absent.
  V* Get(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // Inserts or replaces, evicting the least recently used entry beyond capacity.
  V* Put(const K& key, V value) {
    if (V* existing = Get(key)) {
      *existing = std::move(value);
      return existing;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    while (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return &order_.front().second;
  }

  size_t size() const { return order_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  size_t capacity_;
  std::list<std::pair<K, V>> order_;
  absl::flat_hash_map<K, typename std::list<std::pair<K, V>>::iterator> index_;
};

}  // namespace hearth::symbolize
