// make_stack.cpp — parses a --sut string into a stack under test.
#include "connstate/harness/args.h"
#include "connstate/harness/stack.h"

namespace connstate::harness {

std::unique_ptr<StackUnderTest> make_stack(const std::string& sut) {
  const auto colon = sut.find(':');
  const std::string scheme = sut.substr(0, colon);
  const std::string rest = colon == std::string::npos ? std::string() : sut.substr(colon + 1);
  if (scheme == "reference") {
    if (rest.empty()) return make_reference_stack(kDefaultProfile);
    auto p = parse_profile(rest);
    if (!p) throw UsageError("--sut reference:" + rest + ": unknown profile (see 'connstate profiles')");
    return make_reference_stack(*p);
  }
  throw UsageError("--sut '" + sut + "': expected reference:<profile>");
}

}  // namespace connstate::harness
