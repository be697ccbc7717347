// Haven's rules for the format's Flee extensions (docs/model.md): armed conflict as threat, camp and country
// closures, forced redirection, and departures given by an observed series. Expected mode, hand-computed values.
#include <doctest/doctest.h>

#include <cmath>

#include "builder.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"

using namespace haven;
using haven::test::ScenarioBuilder;

namespace {

MemoryRecorder run(const Scenario& s, Mode mode = Mode::expected, std::uint64_t seed = 1, int threads = 1) {
  MemoryRecorder recorder;
  Simulation simulation(s, RunConfig{.seed = seed, .mode = mode, .threads = threads});
  simulation.add_observer(recorder);
  simulation.run();
  return recorder;
}

double people(const MemoryRecorder& r, Count units) {
  return static_cast<double>(units) / static_cast<double>(r.units_per_person());
}

void still(ModelParameters& p) {
  p.onward_base_rate_per_day = 0.0;
  p.onward_threat_factor = 0.0;
  p.return_rate_per_day = 0.0;
}

Observation series(std::string id, std::vector<std::pair<int, double>> points) {
  Observation o;
  o.id = std::move(id);
  o.variable = "displaced_present";
  for (auto [day, value] : points) o.points.push_back(ObservationPoint{day, value, 1.0, ""});
  return o;
}

}  // namespace

TEST_CASE("armed conflict exposes its node to intensity x armed_conflict_strikes_per_day strikes a day") {
  ScenarioBuilder b(6);
  const auto a = b.node("a", 0, 0, 1'000'000);
  const auto safe = b.node("safe", 0, 5, 0, NodeKind::town, 1e12);
  b.corridor(a, safe, 10);
  b.event(ArmedConflict{a, 0.25}, 1, 4);
  b.parameters().threat_onset_days = 0.0;
  b.parameters().armed_conflict_strikes_per_day = 16.0;
  b.parameters().threat_half_saturation = 4.0;
  b.parameters().max_departure_rate_per_day = 0.2;
  still(b.parameters());
  const auto r = run(b.scenario());
  CHECK(r.threat_[0](a) == 0.0);
  CHECK(r.threat_[1](a) == doctest::Approx(4.0).epsilon(1e-12));  // 0.25 x 16
  CHECK(r.threat_[3](a) == doctest::Approx(4.0).epsilon(1e-12));
  // As a bombardment of 4 strikes/day would: hazard 0.2 x 4 / (4 + 4) = 0.1 on days 1..3.
  CHECK(people(r, r.residents_[3](a, 0)) == doctest::Approx(1e6 * std::exp(-0.3)).epsilon(1e-9));
  CHECK(r.threat_[5](a) == doctest::Approx(4.0 * std::exp(-8.0)).epsilon(1e-9));  // ended on day 4; memory 0.25 d
}

TEST_CASE("a camp closure admits nobody while it holds and people choose the camp again after it") {
  ScenarioBuilder b(8);
  const auto a = b.node("a", 0, 0, 1'000'000);
  const auto town = b.node("town", 1, 0, 0, NodeKind::town, 1e12);
  const auto camp = b.node("camp", 1, 0.01, 0, NodeKind::camp, 1e12);
  b.corridor(a, town, 30);
  b.corridor(a, camp, 30);
  b.bombard(a, 4.0, 0);
  b.event(CampClosure{camp}, 0, 4);
  still(b.parameters());
  const auto r = run(b.scenario());
  Count early = 0, late = 0;
  for (std::size_t day = 0; day < 4; ++day) early += r.arrivals_[day](camp);
  for (std::size_t day = 4; day < 8; ++day) late += r.arrivals_[day](camp);
  CHECK(early == 0);
  CHECK(late > 0);
  CHECK(r.arrivals_[0](town) > 0);  // the closed camp's share went to the town
}

TEST_CASE("a country closure closes every corridor between the two countries both ways for its window") {
  ScenarioBuilder b(6);
  const auto a = b.node("a", 0, 0, 1'000'000);
  const auto b1 = b.node("b1", 1, 0, 0, NodeKind::town, 1e12);
  const auto c1 = b.node("c1", 1, 0.01, 0, NodeKind::camp, 1e12);
  b.node_at(a).country = "A";
  b.node_at(b1).country = "A";
  b.node_at(c1).country = "C";
  const auto home = b.corridor(a, b1, 30);
  const auto across = b.corridor(c1, a, 30);  // written the other way round
  b.bombard(a, 4.0, 0);
  b.event(CountryClosure{"C", "A"}, 0, 3);
  still(b.parameters());
  const auto r = run(b.scenario());
  for (std::size_t day = 0; day < 3; ++day) {
    CHECK(r.corridor_inflow_[day](across) == 0);
    CHECK(r.corridor_inflow_[day](home) > 0);
  }
  CHECK(r.corridor_inflow_[3](across) > 0);
}

TEST_CASE("forced redirection sends on whoever arrives at 'from' while it holds - those there before stay") {
  ScenarioBuilder b(10);
  const auto a = b.node("a", 0, 0, 100'000);
  const auto hub = b.node("hub", 0, 0.1, 0, NodeKind::town, 1e12);
  const auto camp = b.node("camp", 0, 0.2, 0, NodeKind::camp, 1e12);
  b.node_at(hub).displaced_by_group = {1000};
  b.corridor(a, hub, 10);
  const auto on = b.corridor(hub, camp, 10);
  b.scenario_mut().corridors[static_cast<std::size_t>(on)].forced_redirection = true;
  b.bombard(a, 4.0, 0, 3);
  still(b.parameters());
  b.parameters().attractiveness_camp = 0.0;  // nobody would choose the camp: only the redirection takes them there
  SUBCASE("in force: the 1000 there on day 0 stay, every arrival goes on to the camp") {
    const auto r = run(b.scenario());
    Count left = 100'000 * r.units_per_person() - r.residents_[9](a, 0);
    CHECK(left > 0);
    CHECK(people(r, r.displaced_[9](hub, 0)) == 1000.0);
    CHECK(r.displaced_[9](camp, 0) == left);
    CHECK(r.accounted(9) == r.accounted(0));
  }
  SUBCASE("ended: arrivals stay at the hub") {
    b.event(RedirectionEnd{on}, 0);
    const auto r = run(b.scenario());
    CHECK(r.displaced_[9](camp, 0) == 0);
    CHECK(r.displaced_[9](hub, 0) ==
          100'000 * r.units_per_person() - r.residents_[9](a, 0) + 1000 * r.units_per_person());
  }
}

namespace {

// Two conflict origins (intensity 1 from day 0 and 0.5 from day 0) and a camp; the observed total rises by 100 a
// day from day 2 to day 6 (points at day 2: 50, day 6: 450), falls to 400 on day 8 and reaches 500 on day 10.
Scenario given_scenario() {
  ScenarioBuilder b(14);
  const auto a = b.node("a", 0, 0, 30'000);
  const auto c = b.node("c", 0, 0.05, 20'000);
  const auto camp = b.node("camp", 1, 0, 0, NodeKind::camp, 1e12);
  b.corridor(a, camp, 10);
  b.corridor(c, camp, 10);
  b.event(ArmedConflict{a, 1.0}, 0);
  b.event(ArmedConflict{c, 0.5}, 0);
  still(b.parameters());
  b.parameters().armed_conflict_strikes_per_day = 0.0;  // no threat: only the given departures move anyone
  auto& s = b.scenario_mut();
  s.observations.push_back(series("total", {{2, 50.0}, {6, 450.0}, {8, 400.0}, {10, 500.0}}));
  s.departures = DepartureSettings{DepartureMode::given, "total"};
  return s;
}

}  // namespace

TEST_CASE("given departures: the daily rise of the observation placed by population x intensity") {
  const Scenario s = given_scenario();
  const auto r = run(s);
  // Due by day d: running max of the interpolated series less its day-0 value (50).
  const double due[] = {0, 0, 0, 100, 200, 300, 400, 400, 400, 400, 450, 450, 450, 450};
  for (std::size_t day = 0; day < 14; ++day) {
    const double left = 50'000.0 - people(r, r.residents_[day](0, 0) + r.residents_[day](1, 0));
    CHECK(left == doctest::Approx(due[day]).epsilon(1e-9));
    if (day == 3) {
      // Weights 30000 x 1 : 20000 x 0.5 = 3 : 1 of the day's 100.
      CHECK(30'000.0 - people(r, r.residents_[day](0, 0)) == doctest::Approx(75.0).epsilon(1e-9));
      CHECK(20'000.0 - people(r, r.residents_[day](1, 0)) == doctest::Approx(25.0).epsilon(1e-9));
    }
  }
  // The fall to 400 (days 7-8) is made up by the rise back to 450 (day 9) before anyone else leaves.
  CHECK(r.accounted(13) == r.accounted(0));  // conservation, exact in units
}

TEST_CASE("given departures that find every road closed leave from their node once one opens and none are lost") {
  // Origin a's only road is closed on days 0-6, c's is open. a's share of each day's rise (3/4: weights 30000 x 1
  // against 20000 x 0.5) cannot set off: it stays due at a and leaves when the road opens, while c's quarter leaves
  // day by day as without the closure. Before, a's leavers were counted as placed and never left (burundi2015,
  // whose capital's roads are closed for its first 90 days, lost 54% of its given departures); then, carried over as
  // a whole, they were split again over every origin and left from c.
  ScenarioBuilder b(14);
  const auto a = b.node("a", 0, 0, 30'000);
  const auto c = b.node("c", 0, 0.05, 20'000);
  const auto camp = b.node("camp", 1, 0, 0, NodeKind::camp, 1e12);
  const auto from_a = b.corridor(a, camp, 10);
  b.corridor(c, camp, 10);
  b.event(ArmedConflict{a, 1.0}, 0);
  b.event(ArmedConflict{c, 0.5}, 0);
  b.event(CorridorClosure{from_a}, 0, 7);
  still(b.parameters());
  b.parameters().armed_conflict_strikes_per_day = 0.0;
  auto& s = b.scenario_mut();
  s.observations.push_back(series("total", {{2, 50.0}, {6, 450.0}, {8, 400.0}, {10, 500.0}}));
  s.departures = DepartureSettings{DepartureMode::given, "total"};
  const double due[] = {0, 0, 0, 100, 200, 300, 400, 400, 400, 400, 450, 450, 450, 450};
  const auto r = run(b.scenario());
  const auto left = [&](std::size_t day, NodeIndex node, double residents) {
    return residents - people(r, r.residents_[day](node, 0));
  };
  // The shares follow the residents left (c's fall, a's do not while it waits): within 0.5% of 1/4 and 3/4.
  for (std::size_t day = 0; day < 14; ++day) {
    CAPTURE(day);
    CHECK(left(day, c, 20'000.0) == doctest::Approx(0.25 * due[day]).epsilon(5e-3));
    if (day < 7) CHECK(left(day, a, 30'000.0) == 0.0);
    if (day >= 7) CHECK(left(day, a, 30'000.0) == doctest::Approx(0.75 * due[day]).epsilon(5e-3));
    CHECK(left(day, a, 30'000.0) + left(day, c, 20'000.0) ==
          doctest::Approx(day < 7 ? 0.25 * due[day] : due[day]).epsilon(5e-3));
  }
  CHECK(left(13, a, 30'000.0) + left(13, c, 20'000.0) == doctest::Approx(450.0).epsilon(1e-9));
  CHECK(r.accounted(13) == r.accounted(0));
  // Stochastic: the same totals by the end, from each origin's own share.
  const auto drawn = run(b.scenario(), Mode::stochastic);
  CHECK(people(drawn, drawn.residents_[6](a, 0)) == 30'000.0);
  CHECK(50'000.0 - people(drawn, drawn.residents_[13](a, 0) + drawn.residents_[13](c, 0)) == 450.0);
  // Closed to the end: a's leavers stay home, counted among its residents, and the log says how many at the end.
  for (auto& event : b.scenario_mut().events) {
    if (std::holds_alternative<CorridorClosure>(event.action)) event.end_day.reset();
  }
  const auto shut = run(b.scenario());
  CHECK(people(shut, shut.residents_[13](a, 0)) == 30'000.0);
  CHECK(shut.accounted(13) == shut.accounted(0));
  std::vector<EventRecord> not_left;
  for (const auto& e : shut.events_)
    if (e.kind == "given_not_left") not_left.push_back(e);
  REQUIRE(not_left.size() == 1);
  CHECK(not_left[0].node == a);
  CHECK(not_left[0].time_days == 14.0);
  CHECK(not_left[0].value == doctest::Approx(0.75 * 450.0).epsilon(5e-3));
  for (const auto& e : r.events_) CHECK(e.kind != "given_not_left");  // none when the road opened
}

TEST_CASE("given departures decay with the time since the conflict began (spawn_decay_*)") {
  ScenarioBuilder b(40);
  const auto a = b.node("a", 0, 0, 10'000);
  const auto old = b.node("old", 0, 0.05, 10'000);
  const auto camp = b.node("camp", 1, 0, 0, NodeKind::camp, 1e12);
  b.corridor(a, camp, 10);
  b.corridor(old, camp, 10);
  b.event(ArmedConflict{old, 1.0}, 0);
  b.event(ArmedConflict{a, 1.0}, 31);
  still(b.parameters());
  b.parameters().armed_conflict_strikes_per_day = 0.0;
  b.parameters().spawn_decay_interval_days = 10.0;
  b.parameters().spawn_decay_4 = 0.25;  // 'old' is 31-39 days into its conflict on days 31-39: step 4
  auto& s = b.scenario_mut();
  s.observations.push_back(series("total", {{30, 0.0}, {35, 500.0}}));
  s.departures = DepartureSettings{DepartureMode::given, "total"};
  const auto r = run(s);
  // Day 31: 100 due; weights 10000 x 1 (a, step 0) : 10000 x 0.25 (old, step 3) = 4 : 1.
  CHECK(10'000.0 - people(r, r.residents_[31](a, 0)) == doctest::Approx(80.0).epsilon(1e-9));
  CHECK(10'000.0 - people(r, r.residents_[31](old, 0)) == doctest::Approx(20.0).epsilon(1e-9));
}

TEST_CASE("given departures are bit-identical at 1 and 2 threads and conserve people (stochastic)") {
  const Scenario s = given_scenario();
  const auto one = run(s, Mode::stochastic, 7, 1);
  const auto two = run(s, Mode::stochastic, 7, 2);
  for (std::size_t day = 0; day < 14; ++day) {
    CHECK(one.residents_[day] == two.residents_[day]);
    CHECK(one.displaced_[day] == two.displaced_[day]);
    CHECK(one.accounted(day) == 50'000);
  }
  // Stochastic: the totals are still exact (the split over origins is random, the number is not).
  CHECK(50'000 - one.residents_[13].sum() == 450);
}
