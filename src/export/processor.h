#pragma once

// The Collector's resource processor, on series labels, applied to every profile before it
// is queued for export:
//
//   insert  key=value if the series has no `key`
//   update  key=value if it has one
//   upsert  key=value either way
//   delete  remove `key`
//
// Actions run in the order given; each sees the labels as the previous one left them.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "export/exporter.h"

namespace hearth::exporter {

struct ResourceAction {
  enum class Kind { kInsert, kUpdate, kUpsert, kDelete };
  Kind kind = Kind::kUpsert;
  std::string key;
  std::string value;  // not for kDelete
};

// "insert", "update", "upsert", "delete".
absl::StatusOr<ResourceAction::Kind> ParseResourceActionKind(std::string_view name);

class ResourceProcessor {
 public:
  // Checks every action: a label name ([a-zA-Z_][a-zA-Z0-9_.]*), a non-empty value unless
  // deleting (an empty label value means no label). The error names the action by index.
  static absl::StatusOr<ResourceProcessor> Create(std::vector<ResourceAction> actions);
  ResourceProcessor() = default;

  void Apply(Labels& labels) const;
  bool empty() const { return actions_.empty(); }

 private:
  explicit ResourceProcessor(std::vector<ResourceAction> actions) : actions_(std::move(actions)) {}
  std::vector<ResourceAction> actions_;
};

}  // namespace hearth::exporter
