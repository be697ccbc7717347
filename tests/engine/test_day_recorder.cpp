// The day recorder alone: the DayRecord it assembles from the parts, unsheltered people, peaks and the end.
#include <doctest/doctest.h>

#include "builder.hpp"
#include "engine/day_recorder.hpp"
#include "haven/engine/recorder.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

TEST_CASE("day recorder: a day's record shows the ledger's stocks and tallies - and people beyond capacity") {
  ScenarioBuilder b;
  const auto home = b.node("home", 0.0, 0.0, 100);
  const auto camp = b.node("camp", 0.0, 1.0, 0, NodeKind::camp, 25.0);
  b.corridor(home, camp, 111.0);
  const Scenario& s = b.scenario();
  DefaultRules rules;
  RoadNetwork network(s, s.parameters, &rules);
  PopulationLedger ledger(s, 1);
  ThreatField threat(s, rules);
  MemoryRecorder memory;
  std::vector<Observer*> observers{&memory};
  EventLog log(observers);
  ScenarioEvents events(s, network, threat, log);
  EventQueue<EngineEvent> queue;
  Transport transport(s, 1, network, ledger, queue, log);
  DayRecorder recorder(ledger, transport, threat, events, observers, 1);

  memory.on_start(RunInfo{&s, 1, 0, Mode::stochastic, 2, 1});
  ledger.leave_home(at(home), 0, 40);
  ledger.settle(camp, 0, home, nullptr, false, camp, 40);
  RunSummary summary;
  recorder.record(0, summary);
  REQUIRE(memory.days() == 1);
  CHECK(memory.residents_[0](idx(home), 0) == 60);
  CHECK(memory.displaced_[0](idx(camp), 0) == 40);
  CHECK(memory.departures_[0][idx(home)] == 40);
  CHECK(memory.arrivals_[0][idx(camp)] == 40);
  CHECK(memory.unsheltered_[0][idx(camp)] == 15);  // 40 hosted, room for 25
  CHECK(memory.cumulative_displaced_[0] == 40);
  CHECK(summary.peak_daily_departures == 40.0);
  CHECK(summary.unsheltered_peak == 15.0);

  recorder.finish(summary);
  CHECK(summary.cumulative_displaced == 40.0);
  CHECK(summary.displaced_present_end == 40.0);
  REQUIRE(summary.top_origins.size() == 1);
  CHECK(summary.top_origins[0].node == home);
  REQUIRE(memory.final_.origin_destination.size() == 1);
  CHECK(memory.final_.origin_destination[0].count == 40);
}
