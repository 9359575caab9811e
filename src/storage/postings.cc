#include "storage/postings.h"

#include <algorithm>
#include <iterator>

namespace hearth::storage {

void Postings::Add(uint32_t series, const Labels& labels) {
  for (const auto& [name, value] : labels) {
    auto& values = index_[name];
    auto [it, inserted] = values.try_emplace(value);
    if (inserted) bytes_ += name.size() + value.size() + 96;
    it->second.push_back(series);
    bytes_ += sizeof(uint32_t);
  }
}

namespace {

std::vector<uint32_t> Intersect(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint32_t> Union(std::vector<const std::vector<uint32_t>*> lists) {
  std::vector<uint32_t> out;
  for (const auto* l : lists) out.insert(out.end(), l->begin(), l->end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::vector<uint32_t> Postings::Select(const Selector& sel, uint32_t num_series) const {
  const auto& matchers = sel.matchers();
  std::vector<uint32_t> result;
  bool have_positive = false;
  // Positive matchers that cannot match the empty string narrow the candidate set through
  // the index; the others (x!="a", x=~".*") are checked per candidate below.
  std::vector<size_t> residual;
  for (size_t i = 0; i < matchers.size(); ++i) {
    const Matcher& m = matchers[i];
    const bool positive = m.op == Matcher::Op::kEq || m.op == Matcher::Op::kRe;
    if (!positive || sel.MatchesValue(i, "")) {
      residual.push_back(i);
      continue;
    }
    std::vector<const std::vector<uint32_t>*> lists;
    auto name_it = index_.find(m.name);
    if (name_it != index_.end()) {
      if (m.op == Matcher::Op::kEq) {
        auto v = name_it->second.find(m.value);
        if (v != name_it->second.end()) lists.push_back(&v->second);
      } else {
        for (const auto& [value, ids] : name_it->second) {
          if (sel.MatchesValue(i, value)) lists.push_back(&ids);
        }
      }
    }
    std::vector<uint32_t> ids = Union(std::move(lists));
    result = have_positive ? Intersect(result, ids) : std::move(ids);
    have_positive = true;
    if (result.empty()) return result;
  }
  if (!have_positive) {
    result.resize(num_series);
    for (uint32_t i = 0; i < num_series; ++i) result[i] = i;
  }
  if (residual.empty()) return result;
  // Residual matchers: the value of a series for a name is found through the index.
  for (size_t i : residual) {
    const Matcher& m = matchers[i];
    // Series that have this label with a non-matching value, or lack it while "" fails.
    std::vector<uint32_t> bad;
    auto name_it = index_.find(m.name);
    std::vector<uint32_t> has_label;
    if (name_it != index_.end()) {
      for (const auto& [value, ids] : name_it->second) {
        has_label.insert(has_label.end(), ids.begin(), ids.end());
        if (!sel.MatchesValue(i, value)) bad.insert(bad.end(), ids.begin(), ids.end());
      }
    }
    if (!sel.MatchesValue(i, "")) {
      // Series without the label fail too: keep only those that have it.
      std::sort(has_label.begin(), has_label.end());
      result = Intersect(result, has_label);
    }
    std::sort(bad.begin(), bad.end());
    std::vector<uint32_t> kept;
    std::set_difference(result.begin(), result.end(), bad.begin(), bad.end(),
                        std::back_inserter(kept));
    result = std::move(kept);
  }
  return result;
}

std::vector<std::string> Postings::Names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : index_) out.push_back(name);
  return out;
}

std::vector<std::string> Postings::Values(const std::string& name) const {
  std::vector<std::string> out;
  auto it = index_.find(name);
  if (it == index_.end()) return out;
  for (const auto& [value, _] : it->second) out.push_back(value);
  return out;
}

const std::vector<uint32_t>* Postings::Lookup(const std::string& name,
                                              const std::string& value) const {
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  auto v = it->second.find(value);
  return v == it->second.end() ? nullptr : &v->second;
}

}  // namespace hearth::storage
