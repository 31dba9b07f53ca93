// derivation_bench.cpp — snapshots per second through the reference derivation, and steps per
// second through the event model (its fast path and, for comparison, its task-by-task path), on
// random inputs (fixed seed), per profile and transport count.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "connstate/derivation.h"
#include "connstate/peer_connection_model.h"

namespace {
using namespace connstate;

std::vector<TransportState> random_transports(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<TransportState> out(count);
  for (auto& t : out) {
    t.ice = static_cast<IceTransportState>(rng() % 7);
    t.dtls = static_cast<DtlsTransportState>(rng() % 5);
  }
  return out;
}

// items = snapshots derived; each snapshot has `transports` transports, inputs cycle over 4096 snapshots.
void BM_Derive(benchmark::State& state) {
  const auto profile = static_cast<Profile>(state.range(0));
  const auto per = static_cast<std::size_t>(state.range(1));
  constexpr std::size_t kSnapshots = 4096;
  const auto pool = random_transports(per * kSnapshots, 42);
  std::size_t i = 0;
  for (auto _ : state) {
    const Derivation d = derive(profile, false, std::span<const TransportState>(pool.data() + i * per, per));
    benchmark::DoNotOptimize(d);
    i = (i + 1) & (kSnapshots - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(to_string(profile)));
}

// The packed fast path: both states, no rule ids (derive_states in derivation.h).
void BM_DeriveStates(benchmark::State& state) {
  const auto profile = static_cast<Profile>(state.range(0));
  const auto per = static_cast<std::size_t>(state.range(1));
  constexpr std::size_t kSnapshots = 4096;
  const auto pool = random_transports(per * kSnapshots, 42);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(derive_states(profile, false, std::span<const TransportState>(pool.data() + i * per, per)));
    i = (i + 1) & (kSnapshots - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(to_string(profile)));
}

// A batch of snapshots per iteration: what a sweep does (independent lookups overlap).
void BM_DeriveStatesBatch(benchmark::State& state) {
  const auto profile = static_cast<Profile>(state.range(0));
  const auto per = static_cast<std::size_t>(state.range(1));
  constexpr std::size_t kSnapshots = 4096;
  const auto pool = random_transports(per * kSnapshots, 42);
  std::vector<PackedStates> out(kSnapshots);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kSnapshots; ++i)
      out[i] = derive_states(profile, false, std::span<const TransportState>(pool.data() + i * per, per));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSnapshots));
  state.SetLabel(std::string(to_string(profile)));
}

// The readable rule-by-rule path (what the tables are computed from), for comparison.
void BM_DeriveByRules(benchmark::State& state) {
  const auto profile = static_cast<Profile>(state.range(0));
  const auto per = static_cast<std::size_t>(state.range(1));
  constexpr std::size_t kSnapshots = 4096;
  const auto pool = random_transports(per * kSnapshots, 42);
  std::size_t i = 0;
  for (auto _ : state) {
    const Presence p = presence_of(profile, std::span<const TransportState>(pool.data() + i * per, per));
    benchmark::DoNotOptimize(derive_by_rules(profile, false, p));
    i = (i + 1) & (kSnapshots - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(to_string(profile)));
}

// Random ICE/DTLS changes over 4 transports (no close), 65,536 of them, cycled.
std::vector<Step> random_changes() {
  std::mt19937 rng(7);
  std::vector<Step> steps(1 << 16);
  for (auto& s : steps) {
    const auto t = static_cast<TransportId>(rng() % 4);
    s = (rng() & 1) ? Step::ice(t, static_cast<IceTransportState>(rng() % 7))
                    : Step::dtls(t, static_cast<DtlsTransportState>(rng() % 5));
  }
  return steps;
}

// items = model steps through `apply` (ICE/DTLS changes take its branch-free path) or, with
// `by_tasks`, through apply_by_tasks (the spec's tasks one by one), on the same steps.
template <bool by_tasks> void model_steps(benchmark::State& state) {
  const auto profile = static_cast<Profile>(state.range(0));
  const std::vector<Step> steps = random_changes();
  PeerConnectionModel pc(profile);
  for (TransportId t = 0; t < 4; ++t) pc.add(t);
  std::size_t i = 0;
  for (auto _ : state) {
    if constexpr (by_tasks) benchmark::DoNotOptimize(pc.apply_by_tasks(steps[i]));
    else benchmark::DoNotOptimize(pc.apply(steps[i]));
    i = (i + 1) & (steps.size() - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(to_string(profile)));
}
void BM_ModelSteps(benchmark::State& state) { model_steps<false>(state); }
void BM_ModelStepsByTasks(benchmark::State& state) { model_steps<true>(state); }

void transport_counts(benchmark::internal::Benchmark* b) {
  for (int p = 0; p < 4; ++p)
    for (int n : {1, 2, 4, 8, 16, 64}) b->Args({p, n});
}

}  // namespace

BENCHMARK(BM_Derive)->Apply(transport_counts);
BENCHMARK(BM_DeriveStates)->Apply(transport_counts);
BENCHMARK(BM_DeriveStatesBatch)->Apply(transport_counts);
BENCHMARK(BM_DeriveByRules)->Args({0, 4})->Args({3, 4});
BENCHMARK(BM_ModelSteps)->DenseRange(0, 3);
BENCHMARK(BM_ModelStepsByTasks)->DenseRange(0, 3);
BENCHMARK_MAIN();
