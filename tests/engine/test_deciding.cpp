// Deciding alone: who leaves a threatened node and where they go, from the start-of-day state.
#include <doctest/doctest.h>

#include <cmath>

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
  const auto& p = b.scenario().parameters;
  const double threat = rig.threat.threat_at(at(town));
  // Nobody is away yet: the willing share is the willing fraction of the whole node.
  const double probability = rig.rules.willing_fraction(threat, p) * rig.rules.leave_probability(threat, 1.0, p);
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

TEST_CASE("deciding: only the willing who are still home leave - those already away count against the willing") {
  ScenarioBuilder b;
  const auto town = b.node("town", 0.0, 0.0, 1000);
  const auto camp = b.node("camp", 0.0, 1.0, 0, NodeKind::camp, 1e9);
  b.corridor(town, camp, 111.0);
  b.bombard(town, 40.0, 0);
  b.parameters().threat_onset_days = 0.0;  // felt at once: T = 40
  b.parameters().leave_threshold_median = 40.0;
  b.parameters().leave_threshold_shape = 2.0;
  b.parameters().max_departure_rate_per_day = 0.5;
  b.parameters().threat_half_saturation = 40.0;
  Rig rig(b.scenario());
  rig.threat.set_bombardment(0, true);
  rig.threat.update(1);
  REQUIRE(rig.threat.threat_at(at(town)) == doctest::Approx(40.0));
  const Count unit = 1'000'000;
  // 300 of the 1,000 already left: F(40) = 1/2 of 1,000 are willing, 200 of them still home, out of 700 residents.
  rig.ledger.leave_home(at(town), 0, 300 * unit);
  rig.decide(0);
  const auto& flows = rig.decider.flows(at(town));
  REQUIRE(flows.size() == 1);
  const double hazard = 0.5 * 40.0 / (40.0 + 40.0);  // 0.25 a day
  CHECK(flows[0].count == expected_binomial(700 * unit, (200.0 / 700.0) * (1.0 - std::exp(-hazard))));
  // Once the willing half is away, nobody else leaves, however long the threat lasts.
  rig.ledger.leave_home(at(town), 0, 200 * unit);
  rig.decide(1);
  CHECK(rig.decider.flows(at(town)).empty());
}

TEST_CASE("deciding: the reach grows until it holds a refuge and then to reach_ratio times the nearest refuge") {
  ScenarioBuilder b;
  const auto town = b.node("town", 0.0, 0.0, 1000);
  const auto far_camp = b.node("far_camp", 0.0, 2.0, 0, NodeKind::camp, 1e9);
  const auto farther_camp = b.node("farther_camp", 0.0, 5.0, 0, NodeKind::camp, 1e9);
  b.corridor(town, far_camp, 200.0);
  b.corridor(far_camp, farther_camp, 350.0);  // 550 km from town
  b.bombard(town, 40.0, 0);
  b.parameters().threat_onset_days = 0.0;
  b.parameters().awareness_range_km = 120.0;
  b.parameters().reach_ratio = 3.0;
  SUBCASE("nothing within the first range: 120 -> 240 finds the camp at 200, then 3 x 200 = 600 holds the next") {
    Rig rig(b.scenario());
    rig.threat.set_bombardment(0, true);
    rig.threat.update(1);
    rig.decide(0);
    CHECK(rig.decider.reach_km(at(town)) == 600.0);
    const auto& flows = rig.decider.flows(at(town));
    REQUIRE(flows.size() == 2);
    CHECK(flows[0].destination == far_camp);
    CHECK(flows[1].destination == farther_camp);
    // Weights (1 + d / 10)^-1: 21 and 56 -> shares 56/77 and 21/77 of the leavers.
    CHECK(static_cast<double>(flows[0].count) / static_cast<double>(flows[0].count + flows[1].count) ==
          doctest::Approx(56.0 / 77.0).epsilon(1e-6));
  }
  SUBCASE("reach_ratio 1: the reach stops at the nearest refuge's distance") {
    b.parameters().reach_ratio = 1.0;
    Rig rig(b.scenario());
    rig.threat.set_bombardment(0, true);
    rig.threat.update(1);
    rig.decide(0);
    CHECK(rig.decider.reach_km(at(town)) == 240.0);
    const auto& flows = rig.decider.flows(at(town));
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].destination == far_camp);
  }
  SUBCASE("max_awareness_range_km bounds the growth: no refuge within it, nobody leaves") {
    b.parameters().max_awareness_range_km = 150.0;
    Rig rig(b.scenario());
    rig.threat.set_bombardment(0, true);
    rig.threat.update(1);
    rig.decide(0);
    CHECK(rig.decider.reach_km(at(town)) == 150.0);
    CHECK(rig.decider.flows(at(town)).empty());
  }
}
