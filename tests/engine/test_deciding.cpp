// Deciding alone: who leaves a threatened node and where they go, from the start-of-day state.
#include <doctest/doctest.h>

#include "builder.hpp"
#include "engine/deciding.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

namespace {

struct Rig {
  explicit Rig(const Scenario& s)
      : network(s, s.parameters, &rules),
        ledger(s, 1'000'000),
        threat(s, rules),
        log(observers),
        events(s, network, threat, log),
        incoming(s.nodes.size(), 0),
        decider(s, rules, Draws{1, 0, Mode::expected}, 1'000'000, 1) {}
  void decide(int day) { decider.decide(day, DecisionInputs{ledger, threat, events, network, incoming}); }
  DefaultRules rules;
  RoadNetwork network;
  PopulationLedger ledger;
  ThreatField threat;
  std::vector<Observer*> observers;
  EventLog log;
  ScenarioEvents events;
  std::vector<Count> incoming;
  Decider decider;
};

}  // namespace

TEST_CASE("deciding: nobody leaves an unthreatened node - a bombarded one sends the hazard's share to safe places") {
  ScenarioBuilder b;
  const auto town = b.node("town", 0.0, 0.0, 1'000'000);
  const auto camp = b.node("camp", 0.0, 1.0, 1000, NodeKind::camp, 1e9);
  b.corridor(town, camp, 111.0);
  b.bombard(town, 4.0, 0);
  Rig rig(b.scenario());
  rig.threat.update(1);
  rig.decide(0);
  CHECK(rig.decider.flows(at(town)).empty());

  rig.threat.set_bombardment(0, true);
  rig.threat.update(1);
  rig.decide(1);
  const auto& flows = rig.decider.flows(at(town));
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].kind == Flow::Kind::leave_home);
  CHECK(flows[0].destination == camp);
  const double probability = rig.rules.leave_probability(rig.threat.threat_at(at(town)), 1.0, b.scenario().parameters);
  CHECK(flows[0].count == expected_binomial(1'000'000 * 1'000'000LL, probability));
  CHECK(rig.decider.flows(at(camp)).empty());
  CHECK(rig.decider.appeal()[at(camp)] > 0.0);
}

TEST_CASE("deciding: hosted people whose home is safe again go home along a route found while deciding") {
  ScenarioBuilder b;
  const auto home = b.node("home", 0.0, 0.0, 0);
  const auto camp = b.node("camp", 0.0, 1.0, 0, NodeKind::camp, 1e9);
  b.corridor(home, camp, 111.0);
  b.parameters().onward_base_rate_per_day = 0.0;
  b.parameters().onward_threat_factor = 0.0;
  Rig rig(b.scenario());
  rig.ledger.settle(camp, 0, home, nullptr, false, camp, 1'000'000'000);
  for (int day = 0; day < 30; ++day) rig.threat.update(1);  // a month of quiet at home
  rig.decide(30);
  const auto& flows = rig.decider.flows(at(camp));
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].kind == Flow::Kind::go_home);
  CHECK(flows[0].destination == home);
  REQUIRE(flows[0].route);
  CHECK(flows[0].route->legs.back().to == home);
  CHECK(rig.decider.stay_departures(at(camp)).empty());
}
