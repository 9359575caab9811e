#pragma once

// Engine internals shared by engine.cc and engine_maintenance.cc.

#include <algorithm>
#include <array>
#include <memory>
#include <shared_mutex>
#include <vector>

#include "storage/block.h"
#include "storage/engine.h"
#include "storage/head.h"

namespace hearth::storage {

struct Engine::Tenant {
  // Guards *head: appends take it exclusively, queries shared. The pointer itself (and
  // flushing, blocks) change only under Engine::mu_ (plus this, for head).
  std::shared_mutex mu;
  std::shared_ptr<Head> head = std::make_shared<Head>();
  std::vector<std::shared_ptr<Head>> flushing;  // immutable, being written to blocks
  std::array<std::vector<std::shared_ptr<Block>>, 3> blocks;  // by resolution, by min_ts

  void AddBlock(std::shared_ptr<Block> b) {
    auto& list = blocks[static_cast<int>(b->resolution())];
    auto it = std::upper_bound(list.begin(), list.end(), b, [](const auto& x, const auto& y) {
      return x->min_ts() < y->min_ts();
    });
    list.insert(it, std::move(b));
  }
};

// What a query reads, taken under Engine::mu_ and then used without it.
struct Engine::Snapshot {
  Tenant* tenant = nullptr;
  std::shared_ptr<Head> head;
  std::vector<std::shared_ptr<Head>> flushing;
  std::array<std::vector<std::shared_ptr<Block>>, 3> blocks;

  // Every source, for label queries: raw blocks and heads (rollups hold the same series).
  std::vector<const RowSource*> Sources() const {
    std::vector<const RowSource*> out;
    for (const auto& list : blocks) {
      for (const auto& b : list) out.push_back(b.get());
    }
    for (const auto& h : flushing) out.push_back(h.get());
    if (head != nullptr) out.push_back(head.get());
    return out;
  }
};

}  // namespace hearth::storage
