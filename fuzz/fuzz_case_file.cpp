// fuzz_case_file.cpp — the case-file loader (harness parse_case_file) on arbitrary text.
//
// Hunts for: crashes, leaks, undefined behaviour, unbounded memory and any exception other
// than InputError in the loader — its JSON reading, field validation, step validation
// through the model, the cross-check of written expectations against the reference, and
// locate() turning a JSON pointer into a line and column. Every case that loads is then
// run through expected_outcome() and alternative_outcome() under each of its profiles,
// exactly as `connstate run` would.
#include <cstdint>
#include <string_view>

#include "connstate/harness/cases.h"
#include "connstate/harness/json_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Budget guard: the largest hand-written case file is ~26 KB. The loader is linear in its
  // input, but a 1 MB document of 100,000 steps runs the model 400,000 times for nothing new.
  if (size > 64 * 1024) return -1;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace connstate;
  try {
    const std::vector<harness::Case> cases = harness::parse_case_file(text, "fuzz.json");
    for (const harness::Case& c : cases) {
      for (const auto& info : kProfiles) {
        if (!c.applies_to(info.profile)) continue;
        const harness::ExpectedOutcome pass = harness::expected_outcome(c, info.profile);
        for (const harness::Alternative& alt : c.alternatives) (void)harness::alternative_outcome(c, alt, pass);
      }
      for (const harness::SequenceStep& s : c.steps) (void)harness::step_text(s);
    }
  } catch (const harness::InputError&) {
    // A malformed file: the loader's documented answer.
  }
  return 0;
}
