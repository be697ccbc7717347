// The population ledger alone: stocks, stays by (origin, group), pooled settlement and the tallies.
#include <doctest/doctest.h>

#include "builder.hpp"
#include "engine/population.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

TEST_CASE("ledger: leaving home and settling elsewhere conserve people and keep the tallies") {
  ScenarioBuilder b;
  const auto home = b.node("home", 0.0, 0.0, 100);
  const auto camp = b.node("camp", 0.0, 1.0, 0);
  PopulationLedger ledger(b.scenario(), 1);
  CHECK(ledger.initial_total() == 100);

  ledger.leave_home(at(home), 0, 30);
  CHECK(ledger.residents_at(at(home)) == 70);
  CHECK(ledger.departures()[idx(home)] == 30);
  CHECK(ledger.left_home_today() == 30);
  ledger.settle(camp, 0, home, nullptr, false, camp, 30);
  CHECK(ledger.displaced_at(at(camp)) == 30);
  CHECK(ledger.arrivals()[idx(camp)] == 30);
  REQUIRE(ledger.stays(at(camp)).size() == 1);
  CHECK(ledger.stays(at(camp))[0].origin == home);
  CHECK(ledger.residents_at(at(home)) + ledger.displaced_at(at(camp)) == 100);

  // Going home: taken from the stay, counted as a departure, settled as a return.
  ledger.take_from_stay(at(camp), 0, 10);
  ledger.count_departure(at(camp), 10);
  ledger.remove_empty_stays(at(camp));
  ledger.settle(home, 0, home, nullptr, false, home, 10);
  CHECK(ledger.returns()[idx(home)] == 10);
  CHECK(ledger.returned() == 10);
  CHECK(ledger.residents_at(at(home)) == 80);
  CHECK(ledger.cumulative_displaced() == 30);

  const auto od = ledger.origin_destination();
  REQUIRE(od.size() == 1);
  CHECK(od[0].origin == home);
  CHECK(od[0].destination == camp);
  CHECK(od[0].count == 30);

  ledger.zero_daily();
  CHECK(ledger.departures().sum() == 0);
  CHECK(ledger.left_home_today() == 0);
  CHECK(ledger.cumulative_displaced() == 30);  // not a daily tally
}

TEST_CASE("ledger: a pooled cohort is shared out over its homes - never its destination - exactly") {
  ScenarioBuilder b;
  const auto a = b.node("a", 0.0, 0.0, 0);
  const auto c = b.node("c", 0.0, 1.0, 0);
  const auto d = b.node("d", 0.0, 2.0, 0);
  PopulationLedger ledger(b.scenario(), 1);
  const OriginMix mix{{a, 1.0}, {c, 3.0}, {d, 5.0}};  // d is the destination: its share goes to a and c
  ledger.settle(d, 0, no_node, &mix, false, d, 100);
  const auto& stays = ledger.stays(at(d));
  REQUIRE(stays.size() == 2);
  CHECK(stays[0].origin == a);  // sorted by origin
  CHECK(stays[0].count == 25);
  CHECK(stays[1].origin == c);
  CHECK(stays[1].count == 75);
  CHECK(ledger.displaced_at(at(d)) == 100);
  CHECK(ledger.arrivals()[idx(d)] == 100);
}

TEST_CASE("ledger: people displaced before day 0 are hosted without an origin and left out of the OD totals") {
  ScenarioBuilder b;
  const auto camp = b.node("camp", 0.0, 0.0, 0);
  b.node_at(camp).displaced_by_group[0] = 40;
  PopulationLedger ledger(b.scenario(), 1'000'000);
  REQUIRE(ledger.stays(at(camp)).size() == 1);
  CHECK(ledger.stays(at(camp))[0].origin == no_node);
  CHECK(ledger.displaced_at(at(camp)) == 40'000'000);
  ledger.settle(camp, 0, no_node, nullptr, false, camp, 5);
  CHECK(ledger.stays(at(camp)).size() == 1);
  CHECK(ledger.origin_destination().empty());
}
