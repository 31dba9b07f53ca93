// number_text.h — how the trace library writes a number of milliseconds into a trace, a report or
// a message: at most three decimals, no trailing zeros, never "-0", so the same time reads the same
// in an imported trace, a finding and a report.
#pragma once

#include <cstdio>
#include <string>

namespace connstate::trace::internal {

inline std::string number_text(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

}  // namespace connstate::trace::internal
