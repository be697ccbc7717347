// The population ledger alone: stocks, stays by (origin, group), pooled settlement and the tallies.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
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

TEST_CASE("a pooled mix shares one-person journeys out over its homes in proportion and not all to the largest") {
  // The bias this replaced: each one-person journey went whole to the home with the largest share, so a home with
  // a tenth of the movers got nobody. Owed shares carried from journey to journey give each home its share of a
  // mix's journeys to within a person.
  const OriginMix mix{{4, 9.0}, {7, 1.0}};
  std::vector<Count> parts(2);
  Count to_small_home = 0;
  for (int journey = 0; journey < 1000; ++journey) {
    share_out_pooled(mix, /*destination=*/11, 1, 1, parts);
    REQUIRE(parts[0] + parts[1] == 1);
    to_small_home += parts[1];
    CHECK(std::abs(static_cast<double>(to_small_home) - 0.1 * (journey + 1)) <= 1.0);
  }
  CHECK(to_small_home == 100);
}

TEST_CASE("a pooled mix's carried shares stay within a person of exact over many journeys of any size") {
  // Random mixes and journeys, in people and in expected mode's micro-units, the destination among the homes or
  // not, with zero and negative weights: every split is whole quanta but the last, sums to its count, never gives
  // the destination or a home without weight anyone, and each home's total stays within (homes + 1) people of its
  // exact share of all journeys.
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  for (int trial = 0; trial < 200; ++trial) {
    OriginMix mix;
    const std::size_t homes = 1 + next() % 14;
    for (std::size_t k = 0; k < homes; ++k) {
      const auto kind = next() % 8;
      const double weight = kind == 0 ? 0.0 : kind == 1 ? -2.0 : static_cast<double>(1 + next() % 997) / 3.0;
      mix.emplace_back(static_cast<NodeIndex>(k), weight);
    }
    const Count units = trial % 4 == 0 ? 1'000'000 : 1;
    std::vector<double> exact(homes, 0.0);
    std::vector<Count> got(homes, 0), parts(homes);
    for (int journey = 0; journey < 300; ++journey) {
      const NodeIndex destination = static_cast<NodeIndex>(next() % (homes + 3));  // past the homes: none of them
      const Count count = journey % 3 == 0   ? units
                          : journey % 3 == 1 ? static_cast<Count>(1 + next() % 12) * units / 3
                                             : static_cast<Count>(1 + next() % 5'000) * units;
      double total = 0.0;
      for (std::size_t k = 0; k < homes; ++k) {
        if (static_cast<NodeIndex>(k) != destination) total += std::max(mix[k].second, 0.0);
      }
      share_out_pooled(mix, destination, count, units, parts);
      Count sum = 0, below_a_person = 0;
      for (std::size_t k = 0; k < homes; ++k) {
        REQUIRE(parts[k] >= 0);
        sum += parts[k];
        below_a_person += parts[k] % units != 0;
        const bool may_get = static_cast<NodeIndex>(k) != destination && mix[k].second > 0.0;
        if (!may_get && total > 0.0) REQUIRE(parts[k] == 0);
        if (total > 0.0 && may_get) exact[k] += static_cast<double>(count) * mix[k].second / total;
        if (total > 0.0) got[k] += parts[k];  // else the general split decides (the test below)
      }
      REQUIRE(sum == count);
      CHECK(below_a_person <= 1);
    }
    for (std::size_t k = 0; k < homes; ++k) {
      if (mix[k].second <= 0.0) continue;
      CHECK(std::abs(static_cast<double>(got[k]) - exact[k]) <=
            static_cast<double>((homes + 1) * static_cast<std::size_t>(units)));
    }
  }
}

TEST_CASE("a pooled mix without a positive weight left shares out by the general split and exactly") {
  // Only the destination is a home, or every weight is zero: nobody is owed anything, and the count still comes
  // out whole (expected_multinomial_in_quanta decides where).
  std::vector<Count> parts(2);
  const OriginMix own_home_only{{3, 5.0}, {4, 0.0}};
  share_out_pooled(own_home_only, 3, 7, 1, parts);
  CHECK(parts[0] + parts[1] == 7);
  const OriginMix broken{{3, 1.0}, {5, std::numeric_limits<double>::infinity()}};
  share_out_pooled(broken, 9, 4, 1, parts);
  CHECK(parts[0] + parts[1] == 4);
  CHECK(broken.carried.quotients.empty());  // nothing owed either
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
