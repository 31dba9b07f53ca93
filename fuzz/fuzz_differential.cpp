// fuzz_differential.cpp — a stack under test against the reference, step by step.
//
// Hunts for: any observable difference between a stack and the reference event model —
// a state read after a step, an event missing, extra, with another value, in another
// order, fired by close() or after it — and for stacks that fail or return garbage on a
// valid step. The input is a step sequence in the byte grammar of sequence_decoder.h; the
// profile is the stack's (CONNSTATE_FUZZ_PROFILE), not the header's.
//
// Each kind of difference aborts in its own function (difference_<signature> below), so a
// fuzzing engine that groups crashes by stack frames (ClusterFuzz, CIFuzz) files distinct
// bugs as distinct crashes (google/oss-fuzz#2386). Before aborting, the decoded sequence and
// both sides' outcome of every step are printed.
//
// The stack, from the environment:
//   CONNSTATE_FUZZ_SUT     plugin:<path.so> (in-process, fast) or exec:<command line> (a
//                          persistent protocol-1 adapter, slower) or reference:<profile>
//   CONNSTATE_FUZZ_PLUGIN  shorthand for plugin:<path.so>
//   (neither)              libconnstate_reference_plugin.so next to this binary, else the
//                          one this build made: the reference against itself
//   CONNSTATE_FUZZ_PROFILE the profile the stack follows (default: $CONNSTATE_PLUGIN_PROFILE,
//                          else rec-2025); `connstate fuzz --profile` sets both.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "connstate/fuzzing/differential.h"

#ifndef CONNSTATE_FUZZ_DEFAULT_PLUGIN
#define CONNSTATE_FUZZ_DEFAULT_PLUGIN ""
#endif

namespace {
using namespace connstate;
using namespace connstate::fuzz;

struct Target {
  std::string sut;
  Profile profile = kDefaultProfile;
  std::unique_ptr<SequenceRunner> runner;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string default_sut() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = exe.parent_path() / "libconnstate_reference_plugin.so";
    if (std::filesystem::exists(beside, ec)) return "plugin:" + beside.string();
  }
  return std::string("plugin:") + CONNSTATE_FUZZ_DEFAULT_PLUGIN;
}

Target& target() {
  static Target instance = [] {
    Target t;
    t.sut = env("CONNSTATE_FUZZ_SUT");
    if (t.sut.empty() && !env("CONNSTATE_FUZZ_PLUGIN").empty()) t.sut = "plugin:" + env("CONNSTATE_FUZZ_PLUGIN");
    if (t.sut.empty()) t.sut = default_sut();
    std::string profile = env("CONNSTATE_FUZZ_PROFILE");
    if (profile.empty()) profile = env("CONNSTATE_PLUGIN_PROFILE");
    if (!profile.empty()) {
      auto p = parse_profile(profile);
      if (!p) {
        std::fprintf(stderr, "fuzz_differential: unknown profile '%s' in CONNSTATE_FUZZ_PROFILE\n", profile.c_str());
        std::exit(2);
      }
      t.profile = *p;
    }
    try {
      t.runner = make_runner(t.sut);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_differential: cannot start the stack under test %s: %s\n", t.sut.c_str(), e.what());
      std::exit(3);
    }
    std::fprintf(stderr, "fuzz_differential: %s, profile %s\n", t.sut.c_str(), std::string(to_string(t.profile)).c_str());
    return t;
  }();
  return instance;
}

// One abort site per kind of difference: the function name is the crash signature.
#define CONNSTATE_DIFFERENCE_SITE(name)                                                  \
  [[noreturn]] __attribute__((noinline)) void difference_##name(const std::string& report) { \
    std::fputs(report.c_str(), stderr);                                                  \
    std::fputs("==connstate== signature: " #name "\n", stderr);                          \
    std::fflush(stderr);                                                                 \
    std::abort();                                                                        \
  }
CONNSTATE_DIFFERENCE_SITE(stack_error)
CONNSTATE_DIFFERENCE_SITE(event_after_close)
CONNSTATE_DIFFERENCE_SITE(event_on_close)
CONNSTATE_DIFFERENCE_SITE(wrong_ice_connection_state)
CONNSTATE_DIFFERENCE_SITE(wrong_connection_state)
CONNSTATE_DIFFERENCE_SITE(missing_ice_statechange)
CONNSTATE_DIFFERENCE_SITE(extra_ice_statechange)
CONNSTATE_DIFFERENCE_SITE(wrong_ice_statechange)
CONNSTATE_DIFFERENCE_SITE(missing_dtls_statechange)
CONNSTATE_DIFFERENCE_SITE(extra_dtls_statechange)
CONNSTATE_DIFFERENCE_SITE(wrong_dtls_statechange)
CONNSTATE_DIFFERENCE_SITE(missing_iceconnectionstatechange)
CONNSTATE_DIFFERENCE_SITE(extra_iceconnectionstatechange)
CONNSTATE_DIFFERENCE_SITE(wrong_iceconnectionstatechange)
CONNSTATE_DIFFERENCE_SITE(missing_connectionstatechange)
CONNSTATE_DIFFERENCE_SITE(extra_connectionstatechange)
CONNSTATE_DIFFERENCE_SITE(wrong_connectionstatechange)
CONNSTATE_DIFFERENCE_SITE(wrong_event_order)
#undef CONNSTATE_DIFFERENCE_SITE

[[noreturn]] void report_difference(const Difference& d, const std::string& report) {
  switch (d.kind) {
    case DiffKind::StackError: difference_stack_error(report);
    case DiffKind::EventAfterClose: difference_event_after_close(report);
    case DiffKind::EventOnClose: difference_event_on_close(report);
    case DiffKind::WrongIceConnectionState: difference_wrong_ice_connection_state(report);
    case DiffKind::WrongConnectionState: difference_wrong_connection_state(report);
    case DiffKind::MissingIceStatechange: difference_missing_ice_statechange(report);
    case DiffKind::ExtraIceStatechange: difference_extra_ice_statechange(report);
    case DiffKind::WrongIceStatechange: difference_wrong_ice_statechange(report);
    case DiffKind::MissingDtlsStatechange: difference_missing_dtls_statechange(report);
    case DiffKind::ExtraDtlsStatechange: difference_extra_dtls_statechange(report);
    case DiffKind::WrongDtlsStatechange: difference_wrong_dtls_statechange(report);
    case DiffKind::MissingIceConnectionStateChange: difference_missing_iceconnectionstatechange(report);
    case DiffKind::ExtraIceConnectionStateChange: difference_extra_iceconnectionstatechange(report);
    case DiffKind::WrongIceConnectionStateChange: difference_wrong_iceconnectionstatechange(report);
    case DiffKind::MissingConnectionStateChange: difference_missing_connectionstatechange(report);
    case DiffKind::ExtraConnectionStateChange: difference_extra_connectionstatechange(report);
    case DiffKind::WrongConnectionStateChange: difference_wrong_connectionstatechange(report);
    case DiffKind::WrongEventOrder: difference_wrong_event_order(report);
    case DiffKind::Count_: break;
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Budget guard: at most kMaxSteps steps. Every state of 8 transports is reachable in far
  // fewer; longer inputs only make each execution (and each exec: round trip) slower.
  if (size > kMaxInputSize) return -1;
  Target& t = target();
  const CheckResult r = check_input({data, size}, t.profile, *t.runner);
  if (r.difference)
    report_difference(*r.difference, difference_report(r.sequence, r.expected, r.observed, *r.difference, t.sut) +
                                         "profile " + std::string(to_string(t.profile)) +
                                         "; turn this input into a case: connstate case-from-crash INPUT --sut '" +
                                         t.sut + "' --profile " + std::string(to_string(t.profile)) + " --minimize\n");
  return 0;
}
