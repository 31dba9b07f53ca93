// make_stack.cpp — parses a --sut string into a stack under test.
#include "connstate/harness/args.h"
#include "connstate/harness/stack.h"

namespace connstate::harness {

std::unique_ptr<StackUnderTest> make_stack(const std::string& sut, const StackOptions& options) {
  const auto colon = sut.find(':');
  const std::string scheme = sut.substr(0, colon);
  const std::string rest = colon == std::string::npos ? std::string() : sut.substr(colon + 1);
  if (scheme == "reference") {
    if (rest.empty()) return make_reference_stack(kDefaultProfile);
    auto p = parse_profile(rest);
    if (!p) throw UsageError("--sut reference:" + rest + ": unknown profile (see 'connstate profiles')");
    return make_reference_stack(*p);
  }
  if (scheme == "plugin") {
    if (rest.empty()) throw UsageError("--sut plugin: needs a path to a shared library, e.g. plugin:./libmystack.so");
    return make_plugin_stack(rest);
  }
  if (scheme == "exec") {
    if (rest.find_first_not_of(" \t") == std::string::npos)
      throw UsageError("--sut exec: needs a command line, e.g. \"exec:python3 adapter.py\"");
    return make_exec_stack(rest, options);
  }
  throw UsageError("--sut '" + sut + "': expected reference:<profile>, plugin:<path.so> or exec:<command line>");
}

}  // namespace connstate::harness

namespace connstate::harness {
namespace {

class UnavailableStack final : public StackUnderTest {
 public:
  UnavailableStack(const std::string& sut, const StackError& why) : reason_(why.what()), evidence_(why.evidence) {
    info_.sut = sut;
    info_.name = "(could not be started)";
  }
  const StackInfo& info() const override { return info_; }
  void evaluate(std::span<const Case* const>, std::span<SnapshotAnswer> answers) override {
    for (auto& a : answers) {
      a.status = AnswerStatus::Error;
      a.message = "the stack could not be started: " + reason_;
      a.evidence = evidence_;
    }
  }
  SequenceAnswer run_sequence(const Case&) override {
    SequenceAnswer a;
    a.status = AnswerStatus::Error;
    a.message = "the stack could not be started: " + reason_;
    a.evidence = evidence_;
    return a;
  }
  std::string diagnostics() override { return reason_ + (evidence_.empty() ? "" : "\n" + evidence_); }
  bool gave_up() const override { return true; }

 private:
  StackInfo info_;
  std::string reason_;
  std::string evidence_;
};

}  // namespace

std::unique_ptr<StackUnderTest> make_unavailable_stack(const std::string& sut, const StackError& why) {
  return std::make_unique<UnavailableStack>(sut, why);
}

}  // namespace connstate::harness

namespace connstate::harness {

// Text answers parsed back into enums: a state string the stack made up is an error, as the
// runner's verdicts treat it.
void StackUnderTest::evaluate_states(std::span<const SnapshotView> snapshots, std::span<SnapshotStates> answers) {
  std::vector<Case> cases(snapshots.size());
  std::vector<const Case*> pointers;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    cases[i].id = "snapshot-" + std::to_string(i);
    cases[i].closed = snapshots[i].closed;
    cases[i].transports.assign(snapshots[i].transports.begin(), snapshots[i].transports.end());
    pointers.push_back(&cases[i]);
  }
  std::vector<SnapshotAnswer> text(cases.size());
  evaluate(pointers, text);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SnapshotStates& a = answers[i];
    a = SnapshotStates{text[i].status, std::nullopt, std::nullopt};
    if (a.status != AnswerStatus::Ok) continue;
    const ObservedStates& s = text[i].states;
    if (s.connection_state) {
      a.connection_state = parse_state<PeerConnectionState>(*s.connection_state);
      if (!a.connection_state) a.status = AnswerStatus::Error;
    }
    if (s.ice_connection_state) {
      a.ice_connection_state = parse_state<IceConnectionState>(*s.ice_connection_state);
      if (!a.ice_connection_state) a.status = AnswerStatus::Error;
    }
  }
}

}  // namespace connstate::harness
