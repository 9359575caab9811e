#include "profile/units.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <span>

#include "base/strings.h"

namespace hearth::profile {
namespace {

struct Unit {
  std::string_view canonical;
  std::initializer_list<std::string_view> aliases;
  double factor;
};

struct UnitKind {
  std::span<const Unit> units;
  Unit default_unit;
};

constexpr double kNs = 1, kUs = 1e3, kMs = 1e6, kSec = 1e9, kHour = 3600e9;

const Unit kMemoryUnits[] = {
    {"B", {"b", "byte"}, 1},
    {"kB", {"kb", "kbyte", "kilobyte"}, double(1 << 10)},
    {"MB", {"mb", "mbyte", "megabyte"}, double(1 << 20)},
    {"GB", {"gb", "gbyte", "gigabyte"}, double(1 << 30)},
    {"TB", {"tb", "tbyte", "terabyte"}, double(uint64_t{1} << 40)},
    {"PB", {"pb", "pbyte", "petabyte"}, double(uint64_t{1} << 50)},
};
const Unit kTimeUnits[] = {
    {"ns", {"ns", "nanosecond"}, kNs},  {"us", {"μs", "us", "microsecond"}, kUs},
    {"ms", {"ms", "millisecond"}, kMs}, {"s", {"s", "sec", "second"}, kSec},
    {"hrs", {"hour", "hr"}, kHour},
};
const Unit kGcuUnits[] = {
    {"n*GCU", {"nanogcu"}, 1e-9}, {"u*GCU", {"microgcu"}, 1e-6}, {"m*GCU", {"milligcu"}, 1e-3},
    {"GCU", {"gcu"}, 1},          {"k*GCU", {"kilogcu"}, 1e3},   {"M*GCU", {"megagcu"}, 1e6},
    {"G*GCU", {"gigagcu"}, 1e9},  {"T*GCU", {"teragcu"}, 1e12},  {"P*GCU", {"petagcu"}, 1e15},
};

const UnitKind kKinds[] = {
    {kMemoryUnits, {"B", {}, 1}},
    {kTimeUnits, {"s", {}, kSec}},
    {kGcuUnits, {"GCU", {}, 1}},
};

// pprof's sniffUnit: lower-case, drop a trailing 's' from names longer than 2 characters.
const Unit* Sniff(const UnitKind& kind, std::string_view unit) {
  const std::string lower = AsciiLower(unit);
  std::string_view u = lower;
  if (u.size() > 2 && u.back() == 's') u.remove_suffix(1);
  for (const Unit& x : kind.units) {
    for (std::string_view a : x.aliases) {
      if (a == u) return &x;
    }
  }
  return nullptr;
}

// Largest unit whose factor keeps value >= 1, as pprof's autoScale.
bool AutoScale(const UnitKind& kind, double value, double* out, std::string* unit) {
  double f = 0;
  std::string_view name;
  for (const Unit& u : kind.units) {
    if (u.factor >= f && value / u.factor >= 1.0) {
      f = u.factor;
      name = u.canonical;
    }
  }
  if (f == 0) return false;
  *out = value / f;
  *unit = std::string(name);
  return true;
}

bool Convert(const UnitKind& kind, int64_t value, std::string_view from, std::string_view to,
             double* out, std::string* unit) {
  const Unit* from_unit = Sniff(kind, from);
  if (from_unit == nullptr) return false;
  double v = static_cast<double>(value) * from_unit->factor;
  if (to == "minimum" || to == "auto") {
    if (AutoScale(kind, v, out, unit)) return true;
    *out = v / kind.default_unit.factor;
    *unit = std::string(kind.default_unit.canonical);
    return true;
  }
  const Unit* to_unit = Sniff(kind, to);
  if (to_unit == nullptr) {
    *out = v / kind.default_unit.factor;
    *unit = std::string(kind.default_unit.canonical);
    return true;
  }
  *out = v / to_unit->factor;
  *unit = std::string(to_unit->canonical);
  return true;
}

}  // namespace

std::pair<double, std::string> ScaleValue(int64_t value, std::string_view from_unit,
                                          std::string_view to_unit) {
  if (value < 0 && -value > 0) {
    auto [v, u] = ScaleValue(-value, from_unit, to_unit);
    return {-v, u};
  }
  double out;
  std::string unit;
  for (const UnitKind& kind : kKinds) {
    if (Convert(kind, value, from_unit, to_unit, &out, &unit)) return {out, unit};
  }
  if (to_unit == "count" || to_unit == "sample" || to_unit == "unit" || to_unit == "minimum" ||
      to_unit == "auto") {
    return {static_cast<double>(value), ""};
  }
  return {static_cast<double>(value), std::string(to_unit)};
}

std::string ScaledLabel(int64_t value, std::string_view from_unit, std::string_view to_unit) {
  auto [v, u] = ScaleValue(value, from_unit, to_unit);
  std::string sv = fmt::format("{:.2f}", v);
  if (sv.ends_with(".00")) sv.resize(sv.size() - 3);
  if (sv == "0" || sv == "-0") return "0";
  return sv + u;
}

std::string UnitLabel(int64_t value, std::string_view unit) {
  return ScaledLabel(value, unit, "auto");
}

std::string Percentage(int64_t value, int64_t total) {
  double ratio = 0;
  if (total != 0) ratio = std::fabs(static_cast<double>(value) / static_cast<double>(total)) * 100;
  if (ratio >= 99.95 && ratio <= 100.05) return "  100%";
  if (ratio >= 1.0) return fmt::format("{:5.2f}%", ratio);
  std::string g = GoFormatG(ratio, 2);
  if (g.size() < 5) g.insert(0, 5 - g.size(), ' ');
  return g + "%";
}

bool CompatibleValueTypes(std::string_view type1, std::string_view unit1, std::string_view type2,
                          std::string_view unit2) {
  if (type1.ends_with('s')) type1.remove_suffix(1);
  if (type2.ends_with('s')) type2.remove_suffix(1);
  if (type1 != type2) return false;
  if (unit1 == unit2) return true;
  for (const UnitKind& kind : kKinds) {
    if (Sniff(kind, unit1) != nullptr && Sniff(kind, unit2) != nullptr) return true;
  }
  return false;
}

double UnitRatio(std::string_view from_unit, std::string_view to_unit) {
  for (const UnitKind& kind : kKinds) {
    const Unit* from = Sniff(kind, from_unit);
    const Unit* to = Sniff(kind, to_unit);
    if (from != nullptr && to != nullptr) return from->factor / to->factor;
  }
  return 1;
}

std::string GoFormatG(double v, int prec) {
  // C's %g and Go's %g agree for finite values: shortest of %e/%f per the same exponent
  // rule, trailing zeros removed, at least two exponent digits.
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", prec, v);
  return buf;
}

namespace {

// Go's fmtFrac/fmtInt for Duration.String: writes v / 10^prec with trailing zeros removed.
std::string FracString(uint64_t v, int prec, uint64_t* rest) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    int digit = static_cast<int>(v % 10);
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) digits.insert(digits.begin(), '.');
  *rest = v;
  return digits;
}

}  // namespace

std::string GoDurationString(int64_t nanos) {
  if (nanos == 0) return "0s";
  bool neg = nanos < 0;
  uint64_t u = neg ? uint64_t(0) - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  std::string out;
  if (u < 1000000000) {
    // Sub-second: ns, µs or ms with a fraction.
    int prec;
    std::string unit;
    if (u < 1000) {
      return fmt::format("{}{}ns", neg ? "-" : "", u);
    } else if (u < 1000000) {
      prec = 3;
      unit = "µs";
    } else {
      prec = 6;
      unit = "ms";
    }
    uint64_t rest;
    std::string frac = FracString(u, prec, &rest);
    out = fmt::format("{}{}{}", rest, frac, unit);
  } else {
    uint64_t rest;
    std::string frac = FracString(u, 9, &rest);  // seconds fraction
    uint64_t secs = rest % 60;
    rest /= 60;
    out = fmt::format("{}{}s", secs, frac);
    if (rest > 0) {
      uint64_t mins = rest % 60;
      rest /= 60;
      out = fmt::format("{}m", mins) + out;
      if (rest > 0) out = fmt::format("{}h", rest) + out;
    }
  }
  return neg ? "-" + out : out;
}

}  // namespace hearth::profile
