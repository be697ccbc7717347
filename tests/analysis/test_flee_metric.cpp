// Flee's ARD (extract-validation-results.py) on hand-computed numbers.

#include <doctest/doctest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "haven/analysis/flee_metric.hpp"
#include "haven/util/date.hpp"

using haven::flee_ard;

namespace {
// Four days, two camps. Day 0 has no one anywhere; day 3's observed total (0.5) is below 1.
const std::vector<std::vector<double>> simulated = {{0, 0}, {30, 10}, {5, 5}, {2, 0}};
const std::vector<std::vector<double>> observed = {{0, 0}, {20, 20}, {30, 10}, {0.5, 0}};
}  // namespace

TEST_CASE("Flee's ARD and rescaled ARD on known numbers dividing by at least 1") {
  // Daily |sim - obs| / max(total, 1): 0/1, 20/40, 30/40, 1.5/1 -> mean 2.75 / 4.
  // Rescaled to the observed total: day 2 becomes {20, 20} -> 20/40; day 3 {0.5, 0} -> 0; day 0 stays 0.
  const auto ard = flee_ard(simulated, observed);
  CHECK(ard.ard == doctest::Approx(0.6875).epsilon(1e-12));
  CHECK(ard.rescaled_ard == doctest::Approx(0.25).epsilon(1e-12));
}

TEST_CASE("Flee's ARD uses the camp totals it is given as Flee's out.csv column") {
  // Flee writes 0 as the UNHCR camp total on days its raw total is 0: every day then divides by 1 and the
  // rescaled camps are all 0.
  const auto ard = flee_ard(simulated, observed, std::vector<double>{0, 0, 0, 0});
  CHECK(ard.ard == doctest::Approx((0 + 20 + 30 + 1.5) / 4).epsilon(1e-12));
  CHECK(ard.rescaled_ard == doctest::Approx((0 + 40 + 40 + 0.5) / 4).epsilon(1e-12));
}

TEST_CASE("Flee's ARD refuses series of different shapes") {
  CHECK_THROWS_AS(flee_ard({{1, 2}}, {{1, 2}, {3, 4}}), std::invalid_argument);
  CHECK_THROWS_AS(flee_ard({{1, 2}}, {{1}}), std::invalid_argument);
  CHECK_THROWS_AS(flee_ard({}, {}), std::invalid_argument);
}

namespace {

// Values per observation id and day, as a run would supply them.
class FixedSeries final : public haven::SimulatedSeries {
 public:
  explicit FixedSeries(std::map<std::string, std::vector<double>> values) : values_(std::move(values)) {}
  [[nodiscard]] std::optional<double> value(const haven::Observation& observation, int day) const override {
    const auto it = values_.find(observation.id);
    if (it == values_.end() || day < 0 || static_cast<std::size_t>(day) >= it->second.size()) return std::nullopt;
    return it->second[static_cast<std::size_t>(day)];
  }

 private:
  std::map<std::string, std::vector<double>> values_;
};

haven::Observation observation(std::string id, std::string variable, haven::NodeIndex node,
                               std::vector<haven::ObservationPoint> points) {
  haven::Observation o;
  o.id = std::move(id);
  o.variable = std::move(variable);
  o.node = node;
  o.points = std::move(points);
  return o;
}

// A town and two camps. Camp one's UNHCR points (0 on day 0, 100 on day 2, 301 on day 4) read day by day as Flee
// reads them: 0, 50, 100, 200 (200.5 truncated), 301; camp two's single point 0 holds every day. The town's series
// and the network-wide one are not camp series.
haven::Scenario camps_scenario() {
  haven::Scenario scenario;
  scenario.name = "camps";
  scenario.start_date = *haven::parse_iso_date("2020-01-01");
  scenario.days = 5;
  for (auto [id, kind] : {std::pair{"town", haven::NodeKind::town}, std::pair{"camp_one", haven::NodeKind::camp},
                          std::pair{"camp_two", haven::NodeKind::camp}}) {
    haven::Node node;
    node.id = id;
    node.kind = kind;
    scenario.nodes.push_back(node);
  }
  scenario.observations.push_back(observation("total", "cumulative_displaced", haven::no_node, {{3, 900}}));
  scenario.observations.push_back(observation("town", "displaced_present", 0, {{3, 40}}));
  scenario.observations.push_back(observation("one", "displaced_present", 1, {{4, 301}, {0, 0}, {2, 100}}));
  scenario.observations.push_back(observation("two", "displaced_present", 2, {{0, 0}}));
  return scenario;
}

// Member one: day 0 puts 10 people in camp one while UNHCR counts nobody: that day divides by 1 and adds 10.
const FixedSeries member_one({{"one", {10, 50, 80, 200, 400}}, {"two", {0, 50, 20, 0, 100}}});
// Member two: nobody in the camps; the rescaled values stay 0.
const FixedSeries member_two({{"one", {0, 0, 0, 0, 0}}, {"two", {0, 0, 0, 0, 0}}});

}  // namespace

TEST_CASE("Flee's daily UNHCR value: first value before then linear between then last after (truncated)") {
  const auto scenario = camps_scenario();
  const auto& one = scenario.observations[2];
  const std::vector<double> expected = {0, 0, 50, 100, 200, 301, 301};
  for (int day = -1; day <= 5; ++day) {
    CAPTURE(day);
    CHECK(haven::flee_interpolated_value(one, day) == expected[static_cast<std::size_t>(day + 1)]);
  }
  CHECK(haven::per_camp_observations(scenario) == std::vector<std::size_t>{2, 3});
}

TEST_CASE("Flee's ARD of a run against per-camp series with days when no one is observed included") {
  const auto scenario = camps_scenario();
  const auto result = haven::flee_ard_of(scenario, {&member_one}, 0, 4);
  REQUIRE(result.summary);
  // Day by day, sum |sim - obs| / max(total, 1): 10/1, 50/50, 40/100, 0/200, 199/301.
  const double ard = (10.0 + 1.0 + 0.4 + 0.0 + 199.0 / 301.0) / 5.0;
  CHECK(result.summary->ard_mean == doctest::Approx(ard).epsilon(1e-12));
  // Rescaled to the day's observed total: day 0 scales to 0 (total 0) -> 0; day 1 {25, 25} -> 50/50; day 2 0.4;
  // day 3 0; day 4 x 301/500 = {240.8, 60.2} -> 120.4/301 = 0.4.
  CHECK(result.summary->rescaled_mean == doctest::Approx((0 + 1.0 + 0.4 + 0 + 0.4) / 5.0).epsilon(1e-12));
  CHECK(result.summary->camps == 2);
  CHECK(result.summary->camp_total_mean == 500);
  CHECK(result.summary->camp_total_observed == 301);
  CHECK(result.not_computed.empty());
}

TEST_CASE("Flee's ARD of an ensemble is each member's ARD with their mean and 5-95% band") {
  const auto scenario = camps_scenario();
  const auto result = haven::flee_ard_of(scenario, {&member_one, &member_two}, 0, 4);
  REQUIRE(result.summary);
  const double one = (10.0 + 1.0 + 0.4 + 0.0 + 199.0 / 301.0) / 5.0;
  const double two = (0 + 1.0 + 1.0 + 1.0 + 1.0) / 5.0;  // nobody simulated: every day with people off by 100%
  REQUIRE(result.summary->members.size() == 2);
  CHECK(result.summary->members[1].ard == doctest::Approx(two).epsilon(1e-12));
  CHECK(result.summary->members[1].rescaled_ard == doctest::Approx(two).epsilon(1e-12));
  CHECK(result.summary->ard_mean == doctest::Approx((one + two) / 2).epsilon(1e-12));
  CHECK(result.summary->ard_p05 == doctest::Approx(two + 0.05 * (one - two)).epsilon(1e-12));
  CHECK(result.summary->ard_p95 == doctest::Approx(two + 0.95 * (one - two)).epsilon(1e-12));
  CHECK(result.summary->camp_total_mean == 250);
  CHECK(result.summary->camp_total_p05 == doctest::Approx(25));
  const std::string text = haven::flee_ard_text(scenario, result);
  CHECK(text.find("Flee's ARD over 2 camps and 5 days (2020-01-01 to 2020-01-05), 2 runs: mean 1.606") !=
        std::string::npos);
}

TEST_CASE("Flee's ARD over a window and not computed when a run misses a day") {
  const auto scenario = camps_scenario();
  const auto window = haven::flee_ard_of(scenario, {&member_one}, 1, 3);
  REQUIRE(window.summary);
  CHECK(window.summary->ard_mean == doctest::Approx((1.0 + 0.4 + 0.0) / 3.0).epsilon(1e-12));
  const FixedSeries short_run({{"one", {10, 50}}, {"two", {0, 50}}});
  const auto missing = haven::flee_ard_of(scenario, {&short_run}, 0, 4);
  CHECK_FALSE(missing.summary);
  CHECK(missing.not_computed == "it needs every day of the period (the run did not record that day)");
  CHECK(haven::flee_ard_text(scenario, missing) ==
        "Flee's ARD: not computed: it needs every day of the period (the run did not record that day)\n");
  haven::Scenario no_camps = scenario;
  no_camps.observations.resize(2);
  const auto none = haven::flee_ard_of(no_camps, {&member_one}, 0, 4);
  CHECK_FALSE(none.summary);
  CHECK(haven::flee_ard_text(no_camps, none).empty());
}

TEST_CASE("Flee's ARD agrees with Flee's own extract-validation-results.py on the same out.csv") {
  // The camps above over 31 days (Flee's script needs 31), days 5-30 as day 4. Written as Flee's out.csv and read
  // by extract-validation-results.py at Flee's commit 02cd2cbd (docs/flee.md), it printed
  // "Error (normal): 0.9435644625442072" and "Error (rescaled): 0.3935483870967743".
  const auto scenario = camps_scenario();
  std::vector<double> one = {10, 50, 80, 200}, two = {0, 50, 20, 0};
  one.resize(31, 400);
  two.resize(31, 100);
  const FixedSeries long_run({{"one", one}, {"two", two}});
  const auto result = haven::flee_ard_of(scenario, {&long_run}, 0, 30);
  REQUIRE(result.summary);
  CHECK(result.summary->ard_mean == doctest::Approx(0.9435644625442072).epsilon(1e-14));
  CHECK(result.summary->rescaled_mean == doctest::Approx(0.3935483870967743).epsilon(1e-14));
}
