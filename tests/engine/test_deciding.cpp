// Deciding alone: who leaves a threatened node and where they go, from the start-of-day state.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "builder.hpp"
#include "engine/deciding.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

namespace {

struct Rig {
  explicit Rig(const Scenario& s, int threads = 1, Mode mode = Mode::expected)
      : network(s, s.parameters, &rules),
        ledger(s, 1'000'000),
        threat(s, rules),
        log(observers),
        events(s, network, threat, log),
        incoming(s.nodes.size(), 0),
        decider(s, rules, Draws{1, 0, mode}, 1'000'000, threads, true) {}
  void decide(
      int day, const std::function<void(std::size_t)>& commit = [](std::size_t) {}) {
    decider.decide(day, DecisionInputs{ledger, threat, events, network, incoming}, commit);
  }
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

namespace {

// A ring of towns under fire with a camp at every fourth: every town decides something each day.
Scenario ring_under_fire(std::size_t towns) {
  ScenarioBuilder b;
  std::vector<NodeIndex> nodes;
  for (std::size_t k = 0; k < towns; ++k) {
    const bool camp = k % 4 == 0;
    nodes.push_back(b.node("n" + std::to_string(k), 0.0, 0.1 * static_cast<double>(k), camp ? 0 : 5000,
                           camp ? NodeKind::camp : NodeKind::town, camp ? 1e9 : 0.0));
  }
  for (std::size_t k = 0; k < towns; ++k) b.corridor(nodes[k], nodes[(k + 1) % towns], 11.0);
  for (std::size_t k = 1; k < towns; k += 4) b.bombard(nodes[k], 30.0, 0);
  b.parameters().threat_onset_days = 0.0;
  return b.scenario();
}

bool same_flows(const std::vector<Flow>& a, const std::vector<Flow>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].kind != b[k].kind || a[k].group != b[k].group || a[k].origin != b[k].origin ||
        a[k].destination != b[k].destination || a[k].count != b[k].count || a[k].stay != b[k].stay ||
        a[k].candidate != b[k].candidate || static_cast<bool>(a[k].mix) != static_cast<bool>(b[k].mix) ||
        static_cast<bool>(a[k].route) != static_cast<bool>(b[k].route)) {
      return false;
    }
    if (a[k].mix && *a[k].mix != *b[k].mix) return false;
    if (a[k].route && a[k].route->legs.size() != b[k].route->legs.size()) return false;
  }
  return true;
}

// The ring under fire, its strikes felt, in a rig deciding on one thread (`alone`, which has decided day 0) and
// in one deciding on two (`pair`).
struct RingUnderFire {
  RingUnderFire() {
    for (Rig* rig : {&alone, &pair}) {
      for (std::size_t e = 0; e < s.events.size(); ++e) {
        rig->threat.set_bombardment(static_cast<std::uint32_t>(e), true);
      }
      rig->threat.update(1);
    }
    alone.decide(0);
  }
  const Scenario s = ring_under_fire(40);
  Rig alone{s, 1, Mode::stochastic};
  Rig pair{s, 2, Mode::stochastic};
};

}  // namespace

TEST_CASE(
    "deciding: on two threads each node's commit comes once - in node order on the caller's thread - with its "
    "decisions all taken") {
  RingUnderFire ring;
  std::size_t leaving_nodes = 0;
  for (std::size_t i = 0; i < ring.s.nodes.size(); ++i) leaving_nodes += ring.alone.decider.flows(i).empty() ? 0u : 1u;
  REQUIRE(leaving_nodes >= 10);  // enough nodes with flows that a commit before its decisions would show
  const auto caller = std::this_thread::get_id();
  std::vector<std::size_t> order;
  std::vector<std::size_t> not_as_alone;
  bool off_caller = false;
  ring.pair.decide(0, [&](std::size_t i) {
    order.push_back(i);
    off_caller = off_caller || std::this_thread::get_id() != caller;
    if (!same_flows(ring.pair.decider.flows(i), ring.alone.decider.flows(i))) not_as_alone.push_back(i);
  });
  CHECK_FALSE(off_caller);
  CHECK(not_as_alone.empty());
  std::vector<std::size_t> in_node_order(ring.s.nodes.size());
  for (std::size_t i = 0; i < in_node_order.size(); ++i) in_node_order[i] = i;
  CHECK(order == in_node_order);
}

TEST_CASE(
    "deciding: on two threads wait_for_decisions() - called from the first node's commit - returns with every node "
    "decided") {
  RingUnderFire ring;
  std::vector<std::size_t> undecided;
  ring.pair.decide(0, [&](std::size_t i) {
    if (i != 0) return;
    ring.pair.decider.wait_for_decisions();
    for (std::size_t j = 0; j < ring.s.nodes.size(); ++j) {
      if (!same_flows(ring.pair.decider.flows(j), ring.alone.decider.flows(j))) undecided.push_back(j);
    }
  });
  CHECK(undecided.empty());
  // Outside decide() it returns at once.
  ring.pair.decider.wait_for_decisions();
}

TEST_CASE("deciding: a commit's failure on two threads ends the day's commits there and reaches the caller") {
  RingUnderFire ring;
  std::vector<std::size_t> committed;
  CHECK_THROWS_WITH(ring.pair.decide(0,
                                     [&](std::size_t i) {
                                       if (i == 7) throw std::runtime_error("commit failed at 7");
                                       committed.push_back(i);
                                     }),
                    "commit failed at 7");
  CHECK(committed == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
}
