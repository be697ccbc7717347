// Micro-benchmarks of the engine's kernels (Google Benchmark): the samplers, the event queue, routing after a
// closure and one day of departures over 100,000 nodes. Built with HAVEN_BUILD_BENCHMARKS (target haven_bench),
// run by `tools/bench/run --micro`; never by CTest. docs/benchmarks.md compares the workloads with these bounds.

#include <benchmark/benchmark.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "haven/engine/event_queue.hpp"
#include "haven/engine/network.hpp"
#include "haven/engine/random.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/generate.hpp"
#include "haven/scenario/load.hpp"

namespace {

using namespace haven;

RandomStream bench_stream(std::uint64_t entity = 0) {
  return RandomStream(StreamKey{1, 0, RandomPurpose::test, entity, 0});
}

// ---- samplers ---------------------------------------------------------------------------------------------------
// Binomial(n, p) per draw: small n p goes by inversion, large by BTRD.
void BM_Binomial(benchmark::State& state) {
  const auto n = state.range(0);
  const double p = static_cast<double>(state.range(1)) * 1e-4;
  RandomStream stream = bench_stream();
  std::int64_t sum = 0;
  for (auto _ : state) sum += sample_binomial(stream, n, p);
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Binomial)
    ->ArgNames({"n", "p_x1e4"})
    ->Args({10, 100})
    ->Args({1000, 10})
    ->Args({1000, 1000})
    ->Args({100000, 1})
    ->Args({100000, 2500})
    ->Args({10000000, 2500});

void BM_Uniform(benchmark::State& state) {
  RandomStream stream = bench_stream();
  double sum = 0.0;
  for (auto _ : state) sum += stream.uniform();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Uniform);

// A split of n people over K destinations with lognormal weights (items = categories).
void BM_Multinomial(benchmark::State& state) {
  const auto n = state.range(0);
  const auto k = static_cast<std::size_t>(state.range(1));
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> w(0.0, 1.0);
  std::vector<double> weights(k);
  for (auto& x : weights) x = w(rng);
  std::vector<std::int64_t> out(k);
  RandomStream stream = bench_stream();
  for (auto _ : state) {
    sample_multinomial(stream, n, weights, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k));
}
BENCHMARK(BM_Multinomial)
    ->ArgNames({"n", "K"})
    ->Args({5, 300})
    ->Args({100, 50})
    ->Args({1000, 300})
    ->Args({100000, 300})
    ->Args({100000, 50});

void BM_ExpectedMultinomial(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> w(0.0, 1.0);
  std::vector<double> weights(k);
  for (auto& x : weights) x = w(rng);
  std::vector<std::int64_t> out(k);
  for (auto _ : state) {
    expected_multinomial(123'456'789, weights, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k));
}
BENCHMARK(BM_ExpectedMultinomial)->Arg(8)->Arg(300);

// ---- event queue ------------------------------------------------------------------------------------------------
// The hold model: pop the earliest event, push one a random fraction of a day to a few days later, with `size`
// events pending (items = pop + push pairs).
void BM_EventQueueHold(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> delay(0.05, 3.0);
  EventQueue<std::uint32_t> queue;
  for (std::size_t i = 0; i < size; ++i) queue.push(delay(rng), 5, static_cast<std::uint32_t>(i));
  for (auto _ : state) {
    auto entry = queue.pop();
    queue.push(entry->time + delay(rng), 5, entry->payload);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueHold)->Arg(1000)->Arg(100'000)->Arg(1'000'000);

// ---- a synthetic network ----------------------------------------------------------------------------------------
const Scenario& synthetic(std::int64_t nodes) {
  static std::map<std::int64_t, Scenario> cache;
  auto it = cache.find(nodes);
  if (it != cache.end()) return it->second;
  GeneratorSettings settings;
  settings.nodes = nodes;
  settings.corridors = nodes * 4;
  settings.people = 1000.0 * static_cast<double>(nodes);
  settings.bombardments = 0;
  settings.days = 1;
  auto scenario = load_scenario_text(generate_scenario_yaml(settings), "synthetic");
  if (!scenario.scenario) throw std::runtime_error("the generated scenario does not load");
  return cache.emplace(nodes, std::move(*scenario.scenario)).first->second;
}

// Closing a corridor, then the candidate lists of every node the closure invalidated (items = searches).
void BM_RoutingAfterClosure(benchmark::State& state) {
  const Scenario& s = synthetic(state.range(0));
  RoadNetwork network(s, s.parameters);
  const auto n = static_cast<NodeIndex>(s.nodes.size());
  for (NodeIndex i = 0; i < n; ++i) network.candidates(i, s.parameters.awareness_range_km);
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<CorridorIndex> any(0, static_cast<CorridorIndex>(s.corridors.size()) - 2);
  std::uint64_t searches = 0;
  for (auto _ : state) {
    const CorridorIndex c = any(rng);
    network.set_corridor_open(c, false);
    network.set_corridor_open(c, true);
    const auto before = network.searches();
    for (NodeIndex i = 0; i < n; ++i) network.candidates(i, s.parameters.awareness_range_km);
    searches += network.searches() - before;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(searches));
  state.counters["searches_per_closure"] =
      static_cast<double>(searches) / static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
}
BENCHMARK(BM_RoutingAfterClosure)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// The fastest route between two random nodes, without range limit (re-routing a cohort; evacuations).
void BM_RouteUnbounded(benchmark::State& state) {
  const Scenario& s = synthetic(state.range(0));
  RoadNetwork network(s, s.parameters);
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<NodeIndex> any(0, static_cast<NodeIndex>(s.nodes.size()) - 3);
  for (auto _ : state) benchmark::DoNotOptimize(network.route(any(rng), any(rng)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteUnbounded)->Arg(10'000)->Unit(benchmark::kMicrosecond);

// One day of departures over 100,000 nodes: every node under fire (one bombardment covering the whole map), so
// every node draws its leavers and splits them over its candidates. Measured: a 2-day run minus a 1-day run of
// the same scenario, so the first day's candidate searches and the set-up cancel out (items = node-days).
Scenario under_fire(std::int64_t nodes, int days) {
  Scenario s = synthetic(nodes);
  s.days = days;
  Bombardment b;
  b.target.lat_deg = s.nodes[0].lat_deg;
  b.target.lon_deg = s.nodes[0].lon_deg;
  b.target.radius_km = 20'000.0;
  b.intensity_strikes_per_day = 0.5;
  s.events.push_back(Event{"everywhere", 0, std::nullopt, b, ""});
  return s;
}

void BM_DepartureDay(benchmark::State& state) {
  const auto nodes = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  const Scenario one = under_fire(nodes, 1);
  const Scenario two = under_fire(nodes, 2);
  RunConfig config;
  config.threads = threads;
  for (auto _ : state) {
    state.PauseTiming();
    Simulation first(one, config);
    state.ResumeTiming();
    auto started = std::chrono::steady_clock::now();
    first.run();
    const double one_day = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    state.PauseTiming();
    Simulation second(two, config);
    state.ResumeTiming();
    started = std::chrono::steady_clock::now();
    second.run();
    const double two_days = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    state.SetIterationTime(std::max(0.0, two_days - one_day));
  }
  state.SetItemsProcessed(state.iterations() * nodes);
}
BENCHMARK(BM_DepartureDay)
    ->ArgNames({"nodes", "threads"})
    ->Args({100'000, 1})
    ->Args({100'000, 2})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
