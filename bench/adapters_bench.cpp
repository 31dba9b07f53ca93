// adapters_bench.cpp — snapshots per second through a stack under test: plugin: (in-process C ABI)
// and exec: (protocol 1 over pipes, pipelined) for a C++ adapter (`connstate serve`) and the Python
// example, at several in-flight windows. Inputs: every snapshot of at most 4 transports (164,502).
// The plugin is measured three ways: answers as enums (evaluate_states: ABI 2's batch entry, no
// text), answers as text (evaluate), and the same plugin built for ABI 1 (a call per snapshot).
//
// Usage: adapters_bench PLUGIN.so CONNSTATE_BINARY PYTHON_ADAPTER.py [PLUGIN_V1.so]   (bench/run passes them)
#include <benchmark/benchmark.h>

#include "connstate/harness/stack.h"

namespace {
using namespace connstate::harness;
using connstate::TransportState;

std::string g_plugin, g_cli, g_python, g_plugin_v1;

const std::vector<const Case*>& all_snapshots() {
  static std::vector<Case> cases;
  static std::vector<const Case*> ptrs;
  if (cases.empty()) {
    add_exhaustive_suite(cases, 4);
    for (const auto& c : cases) ptrs.push_back(&c);
  }
  return ptrs;
}

void evaluate_all(benchmark::State& state, StackUnderTest& stack, std::size_t limit) {
  const auto& cases = all_snapshots();
  const std::size_t n = std::min(limit, cases.size());
  std::vector<SnapshotAnswer> answers(512);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; i += 512) {
      const std::size_t k = std::min<std::size_t>(512, n - i);
      stack.evaluate(std::span<const Case* const>(cases.data() + i, k), std::span<SnapshotAnswer>(answers.data(), k));
      if (answers[0].status != AnswerStatus::Ok) state.SkipWithError("stack answered with an error");
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_Plugin(benchmark::State& state) {
  auto stack = make_stack("plugin:" + g_plugin);
  evaluate_all(state, *stack, all_snapshots().size());
}

// The same snapshots packed as a generator can hand them over: one buffer of transports, and per
// snapshot its closed flag and its slice of that buffer.
const std::vector<SnapshotView>& packed_snapshots() {
  static std::vector<TransportState> transports;
  static std::vector<SnapshotView> views;
  if (views.empty()) {
    const auto& cases = all_snapshots();
    std::size_t total = 0;
    for (const Case* c : cases) total += c->transports.size();
    transports.reserve(total);  // never reallocated below: the views point into it
    for (const Case* c : cases) {
      const std::size_t first = transports.size();
      transports.insert(transports.end(), c->transports.begin(), c->transports.end());
      views.push_back({c->closed, std::span<const TransportState>(transports.data() + first, c->transports.size())});
    }
  }
  return views;
}

// The typed path: what a runner that needs no text calls.
void evaluate_states_all(benchmark::State& state, StackUnderTest& stack) {
  const auto& snapshots = packed_snapshots();
  const std::size_t n = snapshots.size();
  std::vector<SnapshotStates> answers(512);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; i += 512) {
      const std::size_t k = std::min<std::size_t>(512, n - i);
      stack.evaluate_states(std::span<const SnapshotView>(snapshots.data() + i, k), std::span<SnapshotStates>(answers.data(), k));
      if (answers[0].status != AnswerStatus::Ok) state.SkipWithError("stack answered with an error");
    }
    benchmark::DoNotOptimize(answers.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_PluginStates(benchmark::State& state) {
  auto stack = make_stack("plugin:" + g_plugin);
  evaluate_states_all(state, *stack);
}

void BM_PluginV1States(benchmark::State& state) {
  auto stack = make_stack("plugin:" + g_plugin_v1);
  evaluate_states_all(state, *stack);
}

void BM_ReferenceStates(benchmark::State& state) {
  auto stack = make_stack("reference:rec-2025");
  evaluate_states_all(state, *stack);
}

void BM_ExecCpp(benchmark::State& state) {
  StackOptions o;
  o.window = static_cast<std::size_t>(state.range(0));
  auto stack = make_stack("exec:" + g_cli + " serve", o);
  evaluate_all(state, *stack, all_snapshots().size());
}

void BM_ExecPython(benchmark::State& state) {
  StackOptions o;
  o.window = static_cast<std::size_t>(state.range(0));
  auto stack = make_stack("exec:/usr/bin/python3 " + g_python, o);
  evaluate_all(state, *stack, 20000);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: adapters_bench PLUGIN.so CONNSTATE_BINARY PYTHON_ADAPTER.py [PLUGIN_V1.so] [benchmark flags]\n");
    return 2;
  }
  g_plugin = argv[1];
  g_cli = argv[2];
  g_python = argv[3];
  if (argc > 4) g_plugin_v1 = argv[4];
  benchmark::RegisterBenchmark("BM_Plugin", BM_Plugin)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_PluginStates", BM_PluginStates)->Unit(benchmark::kMillisecond);
  if (!g_plugin_v1.empty())
    benchmark::RegisterBenchmark("BM_PluginV1States", BM_PluginV1States)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ReferenceStates", BM_ReferenceStates)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ExecCpp", BM_ExecCpp)->Arg(1)->Arg(8)->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("BM_ExecPython", BM_ExecPython)->Arg(1)->Arg(8)->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
