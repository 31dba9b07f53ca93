// reference_stack.cpp — `reference:<profile>`: the reference itself as a stack under test.
#include "connstate/harness/args.h"
#include "connstate/harness/stack.h"

namespace connstate::harness {
namespace {

class ReferenceStack final : public StackUnderTest {
 public:
  explicit ReferenceStack(Profile p) : profile_(p) {
    info_.sut = "reference:" + std::string(to_string(p));
    info_.name = "connstate reference (" + std::string(to_string(p)) + ")";
    info_.version = CONNSTATE_VERSION;
    info_.reference_profile = p;
  }
  const StackInfo& info() const override { return info_; }

  void evaluate(std::span<const Case* const> cases, std::span<SnapshotAnswer> answers) override {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = *cases[i];
      const Derivation d = derive(profile_, c.closed, c.transports);
      answers[i].status = AnswerStatus::Ok;
      answers[i].states.connection_state =
          d.connection_state ? StateText(std::string(to_string(*d.connection_state))) : std::nullopt;
      answers[i].states.ice_connection_state = std::string(to_string(d.ice_connection_state));
    }
  }

  void evaluate_states(std::span<const SnapshotView> snapshots, std::span<SnapshotStates> answers) override {
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      const PackedStates s = derive_states(profile_, snapshots[i].closed, snapshots[i].transports);
      answers[i] = SnapshotStates{AnswerStatus::Ok, s.connection_state(), s.ice_connection_state()};
    }
  }

  SequenceAnswer run_sequence(const Case& c) override {
    SequenceAnswer a;
    a.steps = expected_outcome(c, profile_).steps;
    return a;
  }

 private:
  Profile profile_;
  StackInfo info_;
};

}  // namespace

std::unique_ptr<StackUnderTest> make_reference_stack(Profile profile) { return std::make_unique<ReferenceStack>(profile); }

}  // namespace connstate::harness
