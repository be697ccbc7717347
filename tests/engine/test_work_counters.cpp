// The guard against work regressions (issue 16): the engine's deterministic work counters for the small benchmark
// workloads must equal the committed baseline, tools/bench/work_counters.txt, exactly. Timing is noisy on a shared
// machine; these counts are not, so a change that multiplies the work (more cohorts, events or searches) fails
// here whatever the machine. To change the baseline on purpose: `tools/bench/run --update-counters`
// (docs/benchmarks.md), and say in the commit why the work changed.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "haven/engine/simulation.hpp"
#include "haven/scenario/generate.hpp"
#include "haven/scenario/load.hpp"

using namespace haven;

namespace {

const char* const baseline_path = HAVEN_SOURCE_DIR "/tools/bench/work_counters.txt";

using Counters = std::map<std::string, std::uint64_t>;  // "workload counter" -> value

Scenario generated(const GeneratorSettings& settings) {
  auto result = load_scenario_text(generate_scenario_yaml(settings), settings.name);
  REQUIRE(result.scenario);
  return *result.scenario;
}

void add(Counters& counters, const std::string& workload, const RunSummary& s) {
  counters[workload + " days"] = static_cast<std::uint64_t>(s.days);
  counters[workload + " events_processed"] = s.events_processed;
  counters[workload + " cohorts_created"] = s.cohorts_created;
  counters[workload + " searches_run"] = s.searches_run;
  counters[workload + " flows_committed"] = s.flows_committed;
  counters[workload + " journeys_played_out"] = s.journeys_played_out;
  counters[workload + " cohorts_queued"] = s.cohorts_queued;
  counters[workload + " cohorts_merged"] = s.cohorts_merged;
  counters[workload + " cohorts_alive_peak"] = s.cohorts_alive_peak;
}

// Runs `scenario`; with `check_threads`, also checks that two threads do the same work as one (the counters are
// deterministic).
RunSummary measure(const Scenario& scenario, Mode mode, bool check_threads = false) {
  const RunSummary one = Simulation(scenario, RunConfig{.seed = 5, .mode = mode, .threads = 1}).run();
  if (!check_threads) return one;
  const RunSummary two = Simulation(scenario, RunConfig{.seed = 5, .mode = mode, .threads = 2}).run();
  CHECK(one.events_processed == two.events_processed);
  CHECK(one.cohorts_created == two.cohorts_created);
  CHECK(one.searches_run == two.searches_run);
  CHECK(one.flows_committed == two.flows_committed);
  CHECK(one.cohorts_merged == two.cohorts_merged);
  CHECK(one.cohorts_alive_peak == two.cohorts_alive_peak);
  return one;
}

Counters measure_all() {
  Counters counters;
  const auto valley = load_scenario_or_throw(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  add(counters, "valley", measure(valley, Mode::stochastic, true));
  add(counters, "valley-expected", measure(valley, Mode::expected));
  const auto idlib = load_scenario_or_throw(HAVEN_SOURCE_DIR "/scenarios/idlib_2019_2020.yaml");
  add(counters, "idlib", measure(idlib, Mode::stochastic));
  // tools/bench/run's `conflict` network over its first 150 days, and a small generated network.
  add(counters, "conflict-150d",
      measure(generated({.nodes = 60, .corridors = 90, .people = 2e6, .bombardments = 60, .days = 150, .seed = 1}),
              Mode::stochastic));
  const auto network_1000 =
      generated({.nodes = 1000, .corridors = 3000, .people = 1e6, .bombardments = 100, .days = 30, .seed = 1});
  add(counters, "generated-1000", measure(network_1000, Mode::stochastic, true));
  // The same network with every corridor capped at 20 people a day: queues, cohorts split at full corridors and
  // merged while they wait (the workloads above have no capped corridor).
  Scenario capped = network_1000;
  for (auto& corridor : capped.corridors) corridor.capacity_people_per_day = 20.0;
  add(counters, "generated-1000-capped", measure(capped, Mode::stochastic, true));
  return counters;
}

Counters read_baseline() {
  Counters counters;
  std::ifstream in(baseline_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string workload, counter;
    std::uint64_t value = 0;
    if (fields >> workload >> counter >> value) counters[workload + " " + counter] = value;
  }
  return counters;
}

void write_baseline(const Counters& counters) {
  std::ofstream out(baseline_path);
  out << "# Deterministic work counters per workload (seed 5; 1 and 2 threads agree), checked exactly by\n"
         "# tests/engine/test_work_counters.cpp. Rewrite on purpose with `tools/bench/run --update-counters`.\n"
         "# workload counter value\n";
  for (const auto& [key, value] : counters) out << key << ' ' << value << '\n';
}

}  // namespace

TEST_CASE("work counters of the small benchmark workloads equal the committed baseline") {
  const Counters measured = measure_all();
  if (const char* update = std::getenv("HAVEN_UPDATE_WORK_COUNTERS"); update && std::string(update) == "1") {
    write_baseline(measured);
    MESSAGE("rewrote " << baseline_path);
    return;
  }
  const Counters baseline = read_baseline();
  REQUIRE_MESSAGE(!baseline.empty(), "no baseline at " << baseline_path << ": run tools/bench/run --update-counters");
  for (const auto& entry : measured) {
    const auto& key = entry.first;
    const auto& value = entry.second;
    const auto it = baseline.find(key);
    INFO(key << ": measured " << value
             << (it == baseline.end() ? std::string(", not in the baseline") : fmt::format(", baseline {}", it->second))
             << " (a deliberate change: tools/bench/run --update-counters)");
    CHECK((it != baseline.end() && it->second == value));
  }
  for (const auto& entry : baseline) {
    const auto& key = entry.first;
    INFO(key << " is in the baseline but no longer measured");
    CHECK(measured.count(key) == 1);
  }
}

// Expected mode once split every count over every destination and home in micro-person parts, each its own cohort
// and journey: on a 1,000-node network 30 days never finished, and here (3 days) it made 36,280 cohorts where the
// stochastic run makes 205. Splits in whole people keep it to the stochastic mode's order of work.
TEST_CASE("expected mode on a generated network does the stochastic mode's order of work") {
  const auto network =
      generated({.nodes = 200, .corridors = 800, .people = 1e6, .bombardments = 30, .days = 3, .seed = 1});
  const RunSummary stochastic = measure(network, Mode::stochastic);
  const RunSummary expected = measure(network, Mode::expected, true);
  INFO("expected: " << expected.cohorts_created << " cohorts, " << expected.events_processed << " events; stochastic: "
                    << stochastic.cohorts_created << " cohorts, " << stochastic.events_processed << " events");
  CHECK(stochastic.cohorts_created > 0);
  CHECK(expected.cohorts_created <= 4 * stochastic.cohorts_created);
  CHECK(expected.events_processed <= 4 * stochastic.events_processed);
  CHECK(expected.flows_committed <= 4 * stochastic.flows_committed);
}
