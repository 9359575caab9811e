#include "symbolize/symbolize_profile.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace hearth::symbolize {
namespace {

using profile::kNone;
using profile::Profile;
using profile::StrId;

bool HasNamedLine(const Profile& p, const profile::Location& l) {
  for (const profile::Line& ln : p.Lines(l)) {
    if (ln.function != kNone && !p.Str(p.functions[ln.function].name).empty()) return true;
  }
  return false;
}

// Adds functions to a profile, reusing equal ones (pprof's function key).
class FunctionTable {
 public:
  explicit FunctionTable(Profile& p) : p_(p) {
    for (uint32_t i = 0; i < p.functions.size(); ++i) {
      const profile::Function& f = p.functions[i];
      index_.try_emplace(std::tuple(f.name, f.system_name, f.filename, f.start_line), i);
      next_id_ = std::max(next_id_, f.id + 1);
    }
  }

  uint32_t Add(const Frame& frame) {
    const StrId name = p_.strings.Intern(frame.function);
    const StrId system_name =
        frame.system_name.empty() ? name : p_.strings.Intern(frame.system_name);
    const StrId file = p_.strings.Intern(frame.file);
    auto [it, inserted] = index_.try_emplace(std::tuple(name, system_name, file, frame.start_line),
                                             static_cast<uint32_t>(p_.functions.size()));
    if (inserted) {
      profile::Function f;
      f.id = next_id_++;
      f.name = name;
      f.system_name = system_name;
      f.filename = file;
      f.start_line = frame.start_line;
      p_.functions.push_back(f);
    }
    return it->second;
  }

 private:
  Profile& p_;
  absl::flat_hash_map<std::tuple<StrId, StrId, StrId, int64_t>, uint32_t> index_;
  uint64_t next_id_ = 1;
};

}  // namespace

absl::StatusOr<Report> SymbolizeProfile(Profile& p, const Options& options) {
  LocalSymbolizer symbolizer(options.local);
  return SymbolizeProfile(p, symbolizer, options);
}

absl::StatusOr<Report> SymbolizeProfile(Profile& p, Symbolizer& symbolizer,
                                        const Options& options) {
  HEARTH_RETURN_IF_ERROR(profile::Validate(p));
  Report report;

  // Locations to fill, grouped by mapping.
  std::vector<std::vector<uint32_t>> by_mapping(p.mappings.size());
  for (uint32_t i = 0; i < p.locations.size(); ++i) {
    const profile::Location& l = p.locations[i];
    if (l.mapping == kNone || l.address == 0) continue;
    if (!options.force && HasNamedLine(p, l)) continue;
    by_mapping[l.mapping].push_back(i);
  }

  FunctionTable functions(p);
  std::vector<uint64_t> addresses;
  for (uint32_t m = 0; m < p.mappings.size(); ++m) {
    if (by_mapping[m].empty()) continue;
    profile::Mapping& mapping = p.mappings[m];
    addresses.clear();
    for (uint32_t loc : by_mapping[m]) addresses.push_back(p.locations[loc].address);
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());

    Module module;
    module.path = std::string(p.Str(mapping.filename));
    module.build_id = AsciiLower(p.Str(mapping.build_id));
    module.memory_start = mapping.memory_start;
    module.memory_limit = mapping.memory_limit;
    module.file_offset = mapping.file_offset;
    ModuleSymbols symbols = symbolizer.Symbolize(module, addresses);

    MappingReport& mr = report.mappings.emplace_back();
    mr.mapping = m;
    mr.file = module.path;
    mr.source = symbols.source;
    mr.status = symbols.status;
    mr.addresses = addresses.size();
    // Defend against a Symbolizer that answers for fewer addresses than asked.
    const size_t answered = std::min(symbols.frames.size(), addresses.size());
    for (size_t i = 0; i < answered; ++i) mr.symbolized += symbols.frames.real(i) ? 1 : 0;

    for (uint32_t loc : by_mapping[m]) {
      profile::Location& l = p.locations[loc];
      const size_t a = static_cast<size_t>(
          std::lower_bound(addresses.begin(), addresses.end(), l.address) - addresses.begin());
      if (a >= answered || symbols.frames[a].empty()) continue;
      const bool real = symbols.frames.real(a);
      if (!real && (!options.fallback_names || HasNamedLine(p, l))) continue;
      l.lines_begin = static_cast<uint32_t>(p.lines.size());
      for (const Frame& f : symbols.frames[a]) {
        p.lines.push_back({.function = functions.Add(f), .line = f.line, .column = f.column});
      }
      l.num_lines = static_cast<uint32_t>(p.lines.size() - l.lines_begin);
      l.is_folded = false;
      ++report.locations_updated;
    }
    mapping.has_functions |= symbols.has_functions;
    mapping.has_filenames |= symbols.has_filenames;
    mapping.has_line_numbers |= symbols.has_line_numbers;
    mapping.has_inline_frames |= symbols.has_inline_frames;
  }
  return report;
}

}  // namespace hearth::symbolize
