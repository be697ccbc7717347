// Small scenarios with answers known by hand, in expected mode (docs/model.md has the equations).
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

// Quiet parameters: nobody moves on or goes home unless a test says so.
void still(ModelParameters& p) {
  p.onward_base_rate_per_day = 0.0;
  p.onward_threat_factor = 0.0;
  p.return_rate_per_day = 0.0;
}

}  // namespace

namespace {

// A town of 1e6 under 4 strikes/day for 20 days, with a safe place 556 km away (beyond any strike's reach); the
// hazard is 0.2 T / (T + 4).
struct ConstantStrikes {
  Scenario scenario;
  NodeIndex town, safe;
};

ConstantStrikes constant_strikes(double onset_days) {
  ScenarioBuilder b(20);
  const auto town = b.node("a", 0, 0, 1'000'000);
  const auto safe = b.node("safe", 0, 5, 0, NodeKind::town, 1e12);
  b.corridor(town, safe, 10);
  b.bombard(town, 4.0, 0);
  b.parameters().threat_onset_days = onset_days;
  b.parameters().threat_half_saturation = 4.0;
  b.parameters().max_departure_rate_per_day = 0.2;
  return {b.scenario(), town, safe};
}

}  // namespace

TEST_CASE("a node under constant threat empties as the hazard says") {
  const auto [s, a, safe] = constant_strikes(0.0);  // felt at once: the same hazard every day
  const auto r = run(s);
  const double p = 1.0 - std::exp(-0.1);  // hazard 0.2 * 4 / (4 + 4)
  for (std::size_t day = 0; day < 20; ++day) {
    const double expected = 1e6 * std::pow(1.0 - p, static_cast<double>(day + 1));
    CHECK(people(r, r.residents_[day](a, 0)) == doctest::Approx(expected).epsilon(1e-9));
  }
  CHECK(people(r, r.residents_[19](safe, 0)) == 0.0);
}

TEST_CASE("under constant strikes felt threat builds up with the onset time and the hazard with it") {
  const auto [s, a, safe] = constant_strikes(5.0);
  const auto r = run(s);
  double expected = 1e6;
  for (std::size_t day = 0; day < 20; ++day) {
    // Day d's threat is 4 (1 - e^{-(d+1)/5}); the hazard is 0.2 T / (T + 4).
    const double threat = 4.0 * (1.0 - std::exp(-static_cast<double>(day + 1) / 5.0));
    CHECK(r.threat_[day](a) == doctest::Approx(threat).epsilon(1e-12));
    expected *= std::exp(-0.2 * threat / (threat + 4.0));
    CHECK(people(r, r.residents_[day](a, 0)) == doctest::Approx(expected).epsilon(1e-9));
  }
}

TEST_CASE("leavers split over two destinations as the weights say") {
  ScenarioBuilder b(10);
  const auto a = b.node("a", 0, 0, 1'000'000);
  const auto town = b.node("town", 1, 0, 0, NodeKind::town, 1e12);
  const auto camp = b.node("camp", 1, 0.01, 0, NodeKind::camp, 1e12);
  b.corridor(a, town, 30);
  b.corridor(a, camp, 30);
  b.bombard(a, 4.0, 0);
  still(b.parameters());
  b.parameters().attractiveness_town = 1.0;
  b.parameters().attractiveness_camp = 2.0;
  const auto r = run(b.scenario());
  Count to_town = 0, to_camp = 0;
  for (std::size_t day = 0; day < 10; ++day) {
    to_town += r.arrivals_[day](town);
    to_camp += r.arrivals_[day](camp);
  }
  REQUIRE(to_town > 0);
  CHECK(static_cast<double>(to_camp) / static_cast<double>(to_town) == doctest::Approx(2.0).epsilon(1e-9));
}

TEST_CASE("a closed corridor carries nobody") {
  ScenarioBuilder b(10);
  const auto a = b.node("a", 0, 0, 100'000);
  const auto town = b.node("town", 1, 0, 0, NodeKind::town, 1e12);
  const auto camp = b.node("camp", 1, 0.01, 0, NodeKind::camp, 1e12);
  const auto closed = b.corridor(a, town, 30, CorridorKind::road, std::nullopt, true);
  b.corridor(a, camp, 30);
  b.bombard(a, 4.0, 0);
  still(b.parameters());
  const auto r = run(b.scenario());
  for (std::size_t day = 0; day < 10; ++day) {
    CHECK(r.corridor_inflow_[day](closed) == 0);
    CHECK(r.arrivals_[day](town) == 0);
  }
  CHECK(r.displaced_[9](camp, 0) == r.cumulative_displaced_[9]);
}

TEST_CASE("a full camp diverts people to where there is room") {
  auto build = [](double camp_capacity) {
    ScenarioBuilder b(10);
    const auto a = b.node("a", 0, 0, 100'000);
    const auto camp = b.node("camp", 1, 0, 0, NodeKind::camp, camp_capacity);
    const auto town = b.node("town", 1, 0.01, 0, NodeKind::town, 1e12);
    b.node_at(camp).displaced_by_group = {50'000};
    b.corridor(a, camp, 30);
    b.corridor(a, town, 30);
    b.bombard(a, 4.0, 0);
    still(b.parameters());
    return b.scenario();
  };
  auto arrivals_at = [](const MemoryRecorder& r, NodeIndex node) {
    Count total = 0;
    for (const auto& day : r.arrivals_) total += day(node);
    return total;
  };
  const auto roomy = run(build(1e9));
  const auto full = run(build(1000));  // 50 times over capacity
  // With room, the camp draws twice the town's share; full, it draws almost nobody.
  CHECK(arrivals_at(roomy, 1) > arrivals_at(roomy, 2));
  CHECK(static_cast<double>(arrivals_at(full, 1)) < 1e-6 * static_cast<double>(arrivals_at(full, 2)));
  // People above capacity are counted as unsheltered: all 50,000 displaced minus the 1,000 places.
  CHECK(people(full, full.unsheltered_[0](1)) == doctest::Approx(49'000.0));
}

TEST_CASE("a corridor with capacity 100/day delivers 100/day and the rest wait") {
  ScenarioBuilder b(15);
  const auto a = b.node("a", 0, 0, 100'000);
  const auto safe = b.node("safe", 2, 0, 0, NodeKind::town, 1e12);
  const auto road = b.corridor(a, safe, 10, CorridorKind::road, 100.0);
  b.bombard(a, 50.0, 0);
  still(b.parameters());
  for (auto mode : {Mode::expected, Mode::stochastic}) {
    CAPTURE(to_string(mode));
    const auto r = run(b.scenario(), mode);
    Count delivered = 0;
    for (std::size_t day = 0; day < 15; ++day) {
      CHECK(people(r, r.corridor_inflow_[day](road)) == 100.0);
      delivered += r.arrivals_[day](safe);
      CHECK(people(r, r.waiting_[day](a)) ==
            doctest::Approx(people(r, r.cumulative_displaced_[day]) - 100.0 * static_cast<double>(day + 1)));
    }
    CHECK(people(r, delivered) == 1500.0);  // 0.1 day of travel: everyone who entered has arrived
  }
}

TEST_CASE("returns start once the origin has been safe for return_delay_days") {
  ScenarioBuilder b(30);
  const auto a = b.node("a", 0, 0, 100'000);
  const auto safe = b.node("safe", 2, 0, 0, NodeKind::town, 1e12);
  b.corridor(a, safe, 10);
  b.bombard(a, 10.0, 0, 5);  // days 0-4
  still(b.parameters());
  auto& p = b.parameters();
  p.threat_onset_days = 0.0;  // threat 10 from day 0, so the fading starts from a known value
  p.threat_memory_days = 2.0;
  p.return_threat_threshold = 0.2;
  p.return_delay_days = 3.0;
  p.return_rate_per_day = 0.1;
  const auto r = run(b.scenario());
  // Threat 10 e^{-(d-4)/2} first drops below 0.2 on day 12; the third safe day is day 14.
  for (std::size_t day = 0; day < 30; ++day) {
    CAPTURE(day);
    if (day < 14) {
      CHECK(r.returns_[day](a) == 0);
    } else {
      CHECK(r.returns_[day](a) > 0);
    }
  }
  CHECK(r.threat_[11](a) >= 0.2);
  CHECK(r.threat_[12](a) < 0.2);
  // One definition of arrivals: people arriving home are returns, never arrivals (a hosts nobody).
  for (std::size_t day = 0; day < 30; ++day) CHECK(r.arrivals_[day](a) == 0);
}

TEST_CASE("an evacuation moves its daily rate while it lasts") {
  ScenarioBuilder b(10);
  const auto a = b.node("a", 0, 0, 10'000);
  const auto bus_stop = b.node("dest", 2, 0, 0, NodeKind::city, 1e12);
  b.corridor(a, bus_stop, 20);
  b.event(Evacuation{a, bus_stop, 500.0}, 2, 6);
  still(b.parameters());
  const auto r = run(b.scenario());
  for (std::size_t day = 0; day < 10; ++day) {
    CAPTURE(day);
    CHECK(people(r, r.departures_[day](a)) == (day >= 2 && day < 6 ? 500.0 : 0.0));
  }
  CHECK(people(r, r.displaced_[9](bus_stop, 0)) == 2000.0);
  CHECK(people(r, r.cumulative_displaced_[9]) == 2000.0);
}

TEST_CASE("a ceasefire suppresses strikes in its window and a capture makes a front line") {
  ScenarioBuilder b(20);
  const auto a = b.node("a", 0, 0, 1000);
  const auto other = b.node("other", 2, 0, 1000);
  b.corridor(a, other, 10);
  b.bombard(a, 10.0, 0);
  b.event(Ceasefire{}, 5, 11);  // everywhere, days 5-10
  Capture capture;
  capture.node = other;
  capture.by = "them";
  b.event(capture, 15);
  b.parameters().threat_onset_days = 0.0;  // strikes and front lines felt at once, so each day shows its exposure
  b.parameters().threat_memory_days = 0.5;
  b.parameters().ceasefire_compliance = 0.9;
  const auto r = run(b.scenario());
  CHECK(r.threat_[4](a) == 10.0);
  CHECK(r.threat_[7](a) == doctest::Approx(1.0));  // 10 x (1 - 0.9); the memory has faded by then
  CHECK(r.threat_[12](a) == 10.0);
  CHECK(r.threat_[14](other) == 0.0);
  CHECK(r.threat_[15](other) == b.scenario().parameters.front_line_threat);
}

TEST_CASE("groups leave at their own rates") {
  ScenarioBuilder b(5);
  b.groups({Group{"children", 0.5, 2.0, 1.0}, Group{"adults", 0.5, 1.0, 1.0}});
  const auto a = b.node("a", 0, 0, 1'000'000);
  const auto safe = b.node("safe", 2, 0, 0, NodeKind::town, 1e12);
  b.corridor(a, safe, 10);
  b.bombard(a, 4.0, 0);
  b.parameters().threat_onset_days = 0.0;
  b.parameters().threat_half_saturation = 4.0;
  b.parameters().max_departure_rate_per_day = 0.2;
  const auto r = run(b.scenario());
  CHECK(people(r, r.residents_[0](a, 0)) == doctest::Approx(500'000 * std::exp(-0.2)));
  CHECK(people(r, r.residents_[0](a, 1)) == doctest::Approx(500'000 * std::exp(-0.1)));
}

TEST_CASE("people whose way ahead closes re-route or settle where they are") {
  ScenarioBuilder b(10);
  const auto a = b.node("a", 0, 0, 100'000);
  const auto mid = b.node("mid", 2, 0, 0, NodeKind::town, 1e12);
  const auto camp = b.node("camp", 2.1, 0, 0, NodeKind::camp, 1e12);
  b.corridor(a, mid, 50, CorridorKind::track);  // 50 km at 30 km/day: arrive mid-way through day 1
  const auto last = b.corridor(mid, camp, 10);
  b.bombard(a, 10.0, 0, 1);
  b.event(CorridorClosure{last}, 1);
  still(b.parameters());
  b.parameters().attractiveness_town = 0.0;  // everyone heads for the camp
  const auto r = run(b.scenario());
  CHECK(r.displaced_[9](camp, 0) == 0);
  CHECK(r.displaced_[9](mid, 0) == r.cumulative_displaced_[9]);
  bool stranded_logged = false;
  for (const auto& e : r.events_) stranded_logged = stranded_logged || e.kind == "stranded";
  CHECK(stranded_logged);
}

TEST_CASE("overlapping closures and capacity changes stack and unwind to the scenario's values") {
  ScenarioBuilder b(20);
  const auto a = b.node("a", 0, 0, 100'000);
  const auto camp = b.node("camp", 2, 0, 0, NodeKind::camp, 13'000);
  const auto road = b.corridor(a, camp, 10);
  b.event(CorridorClosure{road}, 2, 10);  // days 2-9
  b.event(CorridorClosure{road}, 5, 13);  // days 5-12: the road must stay closed until day 13
  b.event(CapacityChange{camp, 50'000}, 3, 8);
  b.event(CapacityChange{camp, 70'000}, 5, 15);
  b.bombard(a, 10.0, 0);
  still(b.parameters());
  const auto r = run(b.scenario());
  auto open_on = [&](int day) {
    bool open = true;
    for (const auto& e : r.events_) {
      if (e.corridor == road && e.time_days <= day) open = e.value > 0.0;
    }
    return open;
  };
  auto capacity_on = [&](int day) {
    double capacity = 13'000;
    for (const auto& e : r.events_) {
      if (e.node == camp && e.kind.rfind("capacity_change", 0) == 0 && e.time_days <= day) capacity = e.value;
    }
    return capacity;
  };
  CHECK(open_on(1));
  CHECK_FALSE(open_on(2));
  CHECK_FALSE(open_on(11));  // the first closure ended, the second still holds
  CHECK(open_on(13));
  for (int day = 2; day < 13; ++day) CHECK(r.corridor_inflow_[static_cast<std::size_t>(day)](road) == 0);
  CHECK(capacity_on(4) == 50'000);
  CHECK(capacity_on(6) == 70'000);
  CHECK(capacity_on(9) == 70'000);   // the first change ended, the later one still holds
  CHECK(capacity_on(16) == 13'000);  // both ended: the scenario's own capacity
  // The daily record carries the capacity in force, as the log says.
  for (int day : {1, 4, 6, 9, 16}) {
    CAPTURE(day);
    REQUIRE(r.capacity_[static_cast<std::size_t>(day)].size() == 2);
    CHECK(r.capacity_[static_cast<std::size_t>(day)][static_cast<std::size_t>(camp)] == capacity_on(day));
  }
}

TEST_CASE("nobody returns to an unsafe origin even with no return delay") {
  ScenarioBuilder b(15);
  const auto a = b.node("a", 0, 0, 100'000);
  const auto safe = b.node("safe", 2, 0, 0, NodeKind::town, 1e12);
  b.corridor(a, safe, 10);
  b.bombard(a, 10.0, 0);  // never stops
  still(b.parameters());
  b.parameters().return_delay_days = 0.0;
  b.parameters().return_rate_per_day = 0.5;
  const auto r = run(b.scenario());
  for (const auto& day : r.returns_) CHECK(day(a) == 0);
}

TEST_CASE("movers whose only way on is home or under extreme fire stay put without numeric trouble") {
  // Regression: the pooled onward split divided by the weight left once home is excluded, which can cancel to
  // almost nothing; it once overflowed and hung the largest-remainder split.
  ScenarioBuilder b(12);
  const auto home = b.node("home", 0, 0, 50'000);
  const auto host = b.node("host", 1, 0, 0, NodeKind::town, 1e12);
  const auto inferno = b.node("inferno", 1, 1, 1000, NodeKind::town, 1e12);
  b.corridor(home, host, 10);
  b.corridor(host, inferno, 10);
  b.bombard(home, 50.0, 0);
  b.bombard(host, 50.0, 3);
  b.bombard(inferno, 1e6, 0);
  b.parameters().safety_scale = 0.01;
  for (auto mode : {Mode::expected, Mode::stochastic}) {
    const auto r = run(b.scenario(), mode);
    Count initial = 51'000 * r.units_per_person();
    for (std::size_t day = 0; day < r.days(); ++day) REQUIRE(r.accounted(day) == initial);
    CHECK(r.displaced_[11](host, 0) > 0);
  }
}
