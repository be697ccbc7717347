// The population ledger alone: stocks, stays by (origin, group), pooled settlement and the tallies.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

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

TEST_CASE("a normalised pooled mix shares people out over its homes exactly as the mix read afresh does") {
  // OriginMix::normalise() keeps each weight's quotient for the journeys whose destination is none of the homes;
  // every split must give what the same weights give without them, unit for unit: one unit and a few and many,
  // in people and in expected mode's micro-units, with repeated, zero and negative weights, the destination among
  // the homes or not.
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  int fast_splits = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    OriginMix mix;
    const std::size_t homes = 1 + next() % 14;
    for (std::size_t k = 0; k < homes; ++k) {
      const auto kind = next() % 8;
      const double weight = kind == 0   ? 0.0
                            : kind == 1 ? -2.0
                            : kind == 2 ? 1.5
                                        : static_cast<double>(next() % 997) / 3.0;
      mix.emplace_back(static_cast<NodeIndex>(next() % 20), weight);
    }
    OriginMix normalised = mix;
    normalised.normalise();
    CHECK(mix.quotients.empty());
    const NodeIndex destination = static_cast<NodeIndex>(next() % 24);  // 20..23: none of the homes
    const Count units = trial % 4 == 0 ? 1'000'000 : 1;
    const Count count = trial % 3 == 0   ? 1
                        : trial % 3 == 1 ? 1 + static_cast<Count>(next() % 12)
                                         : static_cast<Count>(next() % 50'000) * (units > 1 ? 997 : 1);
    std::vector<std::pair<NodeIndex, Count>> expected, got;
    for_each_home_part(no_node, &mix, false, destination, count, units,
                       [&](NodeIndex home, Count people) { expected.emplace_back(home, people); });
    for_each_home_part(no_node, &normalised, false, destination, count, units,
                       [&](NodeIndex home, Count people) { got.emplace_back(home, people); });
    REQUIRE(got == expected);
    Count total = 0;
    for (const auto& [home, people] : got) total += people;
    if (!got.empty()) CHECK(total == count);
    const bool destination_is_a_home =
        std::any_of(mix.begin(), mix.end(), [&](const auto& part) { return part.first == destination; });
    fast_splits += !normalised.quotients.empty() && !destination_is_a_home && (units == 1 || count < units);
  }
  CHECK(fast_splits > 1000);  // the normalised path was taken, not only the general one
  // No homes at all (never a pooled mix today): normalised or not, the same, and nothing read past the end.
  OriginMix empty;
  empty.normalise();
  CHECK(empty.quotients.empty());
  for (const Count count : {Count{1}, Count{5}}) {
    std::vector<std::pair<NodeIndex, Count>> expected, got;
    const OriginMix fresh;
    for_each_home_part(no_node, &fresh, false, 3, count, 1,
                       [&](NodeIndex home, Count people) { expected.emplace_back(home, people); });
    for_each_home_part(no_node, &empty, false, 3, count, 1,
                       [&](NodeIndex home, Count people) { got.emplace_back(home, people); });
    CHECK(got == expected);
  }
}

TEST_CASE("a pooled mix normalises to quotients summing to one with the largest the first of equals") {
  OriginMix mix{{3, 1.0}, {5, 4.0}, {7, -1.0}, {9, 4.0}};
  mix.normalise();
  REQUIRE(mix.quotients.size() == 4);
  CHECK(mix.quotients[0] == doctest::Approx(1.0 / 9.0));
  CHECK(mix.quotients[2] == 0.0);  // a negative weight counts as none
  CHECK(mix.quotients[0] + mix.quotients[1] + mix.quotients[2] + mix.quotients[3] == doctest::Approx(1.0));
  CHECK(mix.largest == 1);
  OriginMix nobody{{3, 0.0}, {5, -1.0}};
  nobody.normalise();
  CHECK(nobody.quotients.empty());  // no positive weight: the general path decides
  OriginMix broken{{3, 1.0}, {5, std::numeric_limits<double>::infinity()}};
  broken.normalise();
  CHECK(broken.quotients.empty());
}

TEST_CASE(
    "a shared mix counts its owners: copies share it and the last owner frees it and only a sole owner may change it") {
  CHECK_FALSE(SharedMix{});
  CHECK(SharedMix{}.get() == nullptr);
  SharedMix first(OriginMix{{3, 1.0}, {5, 2.0}});
  REQUIRE(first);
  CHECK(first.owners() == 1);
  REQUIRE(first.sole());
  first.owned().emplace_back(7, 3.0);  // a merged cohort's own mix grows in place
  const OriginMix* held = first.get();
  {
    SharedMix second = first;  // a journey of the same movers
    CHECK(second.get() == held);
    CHECK(first.owners() == 2);
    CHECK_FALSE(first.sole());  // shared: never changed in place
    CHECK_FALSE(second.sole());
    SharedMix third;
    third = second;
    CHECK(first.owners() == 3);
    SharedMix moved = std::move(third);
    CHECK_FALSE(third);  // NOLINT(bugprone-use-after-move): a moved-from handle is empty
    CHECK(first.owners() == 3);
    CHECK(moved->size() == 3);
    CHECK((*moved)[2].first == 7);
  }
  CHECK(first.owners() == 1);
  CHECK(first.get() == held);
  first.reset();
  CHECK_FALSE(first);
  CHECK(first.owners() == 0);
}
