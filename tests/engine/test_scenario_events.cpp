// Scenario events alone: what starting and ending each kind changes, and how overlapping windows stack.
#include <doctest/doctest.h>

#include <cmath>

#include "builder.hpp"
#include "engine/scenario_events.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

namespace {

// The parts a ScenarioEvents acts on, for a scenario built by the test (observers: the event log's readers).
struct EventsOf {
  explicit EventsOf(const Scenario& scenario, std::vector<Observer*> readers = {})
      : network(scenario, scenario.parameters, &rules),
        threat(scenario, rules),
        observers(std::move(readers)),
        log(observers),
        events(scenario, network, threat, log) {}
  DefaultRules rules;
  RoadNetwork network;
  ThreatField threat;
  std::vector<Observer*> observers;
  EventLog log;
  ScenarioEvents events;
};

}  // namespace

TEST_CASE("scenario events: overlapping corridor windows stack - the latest in force decides - then the scenario's") {
  ScenarioBuilder b;
  const auto a = b.node("a", 0.0, 0.0, 10);
  const auto c = b.node("c", 0.0, 0.1, 10);
  const auto road = b.corridor(a, c, 11.0);
  b.event(CorridorClosure{road}, 0, 10);  // e0
  b.event(CorridorOpening{road}, 2, 4);   // e1
  DefaultRules rules;
  RoadNetwork network(b.scenario(), b.scenario().parameters, &rules);
  ThreatField threat(b.scenario(), rules);
  std::vector<Observer*> observers;
  MemoryRecorder recorder;
  observers.push_back(&recorder);
  EventLog log(observers);
  ScenarioEvents events(b.scenario(), network, threat, log);

  events.apply(0, true);
  CHECK_FALSE(network.corridor_open(road));
  events.apply(1, true);
  CHECK(network.corridor_open(road));
  events.apply(1, false);
  CHECK_FALSE(network.corridor_open(road));
  events.apply(0, false);
  CHECK(network.corridor_open(road));
  REQUIRE(recorder.events_.size() == 4);
  CHECK(recorder.events_[0].kind == "corridor_closure_start");
}

TEST_CASE("scenario events: a capture changes the side - capacity changes stack and restore the default") {
  ScenarioBuilder b;
  const auto town = b.node("town", 0.0, 0.0, 1000);
  const auto crossing = b.node("crossing", 0.0, 1.0, 0, NodeKind::border_crossing);
  b.node_at(town).control = "government";
  b.event(Capture{town, "opposition"}, 1);          // e0
  b.event(CapacityChange{town, 50.0}, 1, 5);        // e1
  b.event(Evacuation{town, crossing, 10.0}, 1, 3);  // e2
  DefaultRules rules;
  RoadNetwork network(b.scenario(), b.scenario().parameters, &rules);
  ThreatField threat(b.scenario(), rules);
  std::vector<Observer*> observers;
  EventLog log(observers);
  ScenarioEvents events(b.scenario(), network, threat, log);

  const double default_capacity = events.capacity(at(town));
  CHECK(default_capacity == doctest::Approx(1000.0 * b.scenario().parameters.default_capacity_factor));
  CHECK(std::isinf(events.capacity(at(crossing))));
  const auto before = events.side(at(town));
  CHECK(before >= 0);
  events.apply(0, true);
  CHECK(events.side(at(town)) != before);
  CHECK(events.initial_side(at(town)) == before);
  CHECK(events.control(at(town)) == "opposition");

  events.apply(1, true);
  CHECK(events.capacity(at(town)) == 50.0);
  events.apply(1, false);
  CHECK(events.capacity(at(town)) == default_capacity);

  events.apply(2, true);
  CHECK(events.active_evacuations() == std::vector<std::uint32_t>{2});
  events.apply(2, false);
  CHECK(events.active_evacuations().empty());
}

TEST_CASE("scenario events: the capacity a place starts with is the one starting_capacity_people tells others") {
  ScenarioBuilder b;
  const auto town = b.node("town", 0.0, 0.0, 1000);
  const auto camp = b.node("camp", 0.0, 0.5, 0, NodeKind::camp);
  const auto crossing = b.node("crossing", 0.0, 1.0, 0, NodeKind::border_crossing);
  const auto junction = b.node("junction", 0.0, 1.5, 0, NodeKind::transit);
  b.node_at(camp).capacity_people = 300.0;
  EventsOf parts(b.scenario());
  const ScenarioEvents& events = parts.events;
  for (const auto node : {town, camp, crossing, junction}) {
    CAPTURE(node);
    const double told = starting_capacity_people(b.scenario(), at(node));
    CHECK((told == events.capacity(at(node)) || (std::isinf(told) && std::isinf(events.capacity(at(node))))));
  }
  CHECK(starting_capacity_people(b.scenario(), at(town)) ==
        doctest::Approx(1000.0 * b.scenario().parameters.default_capacity_factor));
  CHECK(starting_capacity_people(b.scenario(), at(camp)) == 300.0);
  CHECK(std::isinf(starting_capacity_people(b.scenario(), at(junction))));
  // Under Flee's rules only a camp's capacity limits anyone (sim/engine/flee_run.cpp).
  b.scenario_mut().rules = RuleSetKind::flee;
  CHECK(std::isinf(starting_capacity_people(b.scenario(), at(town))));
  CHECK(starting_capacity_people(b.scenario(), at(camp)) == 300.0);
}
