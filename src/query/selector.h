#pragma once

// The selector language, shared by `hearth db query`, the server and the UI:
//
//   process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api", region=~"us-.*"}
//   process_cpu{service_name!="batch"}          short type: the series' default value
//   {service_name="api"}                          any type (where the caller allows it)
//   memory:inuse_space:bytes:space:bytes
//
// Matchers: = != =~ !~ (regexps are RE2, fully anchored). Values are "double-quoted" (with
// \" \\ \n \t escapes), 'single-quoted' or `raw`. Errors give the 1-based column and what
// was expected there.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/schema.h"

namespace hearth::query {

struct ParsedSelector {
  storage::ProfileTypeId type;  // name empty when the selector had none
  std::vector<storage::Matcher> matchers;
};

absl::StatusOr<ParsedSelector> ParseSelector(std::string_view text);

// The canonical text of a selector (parse -> print -> parse is the identity).
std::string FormatSelector(const ParsedSelector& s);

}  // namespace hearth::query
