#pragma once

// Units and number formatting exactly as pprof prints them (google/pprof
// internal/measurement): memory B/kB/MB/GB/TB/PB (powers of 1024), time ns/us/ms/s/hrs,
// GCU; "minimum"/"auto" pick the largest unit that keeps the value >= 1.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace hearth::profile {

// Converts `value` in `from_unit` to `to_unit` ("minimum"/"auto" autoscale). Returns the
// scaled value and the unit label to print (empty for unitless counts).
std::pair<double, std::string> ScaleValue(int64_t value, std::string_view from_unit,
                                          std::string_view to_unit);

// "%.2f" of the scaled value with a trailing ".00" removed, then the unit; "0" for zero.
std::string ScaledLabel(int64_t value, std::string_view from_unit, std::string_view to_unit);

// ScaledLabel(value, unit, "auto").
std::string UnitLabel(int64_t value, std::string_view unit);

// pprof's Percentage: "  100%" near 100, "%5.2f%%" when >= 1, else "%5.2g%%".
std::string Percentage(int64_t value, int64_t total);

// True when two value types can be merged after unit conversion (type names equal up to a
// trailing 's'; units equal or of the same kind).
bool CompatibleValueTypes(std::string_view type1, std::string_view unit1,
                          std::string_view type2, std::string_view unit2);

// The factor that converts 1 `from_unit` into `to_unit` (1 if either is not a known unit or
// they are of different kinds).
double UnitRatio(std::string_view from_unit, std::string_view to_unit);

// Go formatting helpers used by pprof's text reports.
// time.Duration.String(): "1h2m3.5s", "10.23s", "1.5ms", "0s".
std::string GoDurationString(int64_t nanos);
// fmt.Sprintf("%.<prec>g", v) with Go's rules (same exponent form as C: "5e-05").
std::string GoFormatG(double v, int prec);

}  // namespace hearth::profile
