// Semantics a planner relies on (issue 13): a junction is never a shelter; people at a captured node flee away
// from the side that took it; a captured node whose roads are closed does not hold its people for good. Tiny
// scenarios in expected mode, answers by hand (docs/model.md).
#include <doctest/doctest.h>

#include <cmath>
#include <utility>

#include "builder.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"

using namespace haven;
using haven::test::ScenarioBuilder;

namespace {

MemoryRecorder run(const Scenario& s) {
  MemoryRecorder recorder;
  Simulation simulation(s, RunConfig{.seed = 1, .mode = Mode::expected, .threads = 1});
  simulation.add_observer(recorder);
  simulation.run();
  return recorder;
}

double people(const MemoryRecorder& r, Count units) {
  return static_cast<double>(units) / static_cast<double>(r.units_per_person());
}

// People entering `corridor` before day `day` and from then on.
std::pair<Count, Count> inflow_before_and_after(const MemoryRecorder& r, CorridorIndex corridor, std::size_t day) {
  Count before = 0, after = 0;
  for (std::size_t t = 0; t < r.corridor_inflow_.size(); ++t)
    (t < day ? before : after) += r.corridor_inflow_[t](corridor);
  return {before, after};
}

// Nobody moves on or goes home unless the rule under test says so; strikes are felt at once.
void still(ModelParameters& p) {
  p.onward_base_rate_per_day = 0.0;
  p.onward_threat_factor = 0.0;
  p.return_rate_per_day = 0.0;
  p.threat_onset_days = 0.0;
}

}  // namespace

TEST_CASE("a transit node without a capacity is passed through: leavers go beyond it and nobody stays there") {
  // Town (1e6, 4 strikes/day) - 10 km - junction - 10 km - camp, far apart on the map (no strike reaches past the
  // town). The junction, were it a destination, would take attractiveness_transit e^{-10/60} against the camp's
  // attractiveness_camp e^{-20/60} of every leaver.
  ScenarioBuilder b(10);
  const auto town = b.node("town", 0, 0, 1'000'000);
  const auto junction = b.node("junction", 0, 5, 0, NodeKind::transit);
  const auto camp = b.node("camp", 0, 10, 0, NodeKind::camp, 1e12);
  b.corridor(town, junction, 10);
  b.corridor(junction, camp, 10);
  b.bombard(town, 4.0, 0);
  still(b.parameters());
  b.parameters().threat_half_saturation = 4.0;
  b.parameters().max_departure_rate_per_day = 0.2;
  const auto r = run(b.scenario());
  const double p = 1.0 - std::exp(-0.1);  // hazard 0.2 * 4 / (4 + 4)
  for (std::size_t day = 0; day < 10; ++day) {
    const double at_home = 1e6 * std::pow(1.0 - p, static_cast<double>(day + 1));
    CHECK(people(r, r.residents_[day](town, 0)) == doctest::Approx(at_home).epsilon(1e-9));
    CHECK(r.arrivals_[day](junction) == 0);
    CHECK(r.displaced_[day](junction, 0) == 0);
    // 20 km of road is well under a day: everyone who left is at the camp by the record.
    CHECK(people(r, r.displaced_[day](camp, 0)) == doctest::Approx(1e6 - at_home).epsilon(1e-9));
  }
}

TEST_CASE("people at a transit node without a capacity move on at once and are unsheltered while they cannot") {
  SUBCASE("a way on: all of them leave on day 0 (no onward hazard needed)") {
    ScenarioBuilder b(3);
    const auto junction = b.node("junction", 0, 0, 0, NodeKind::transit);
    const auto camp = b.node("camp", 0, 1, 0, NodeKind::camp, 1e12);
    b.node_at(junction).displaced_by_group = {1000};
    b.corridor(junction, camp, 10);
    still(b.parameters());
    const auto r = run(b.scenario());
    for (std::size_t day = 0; day < 3; ++day) {
      CHECK(r.displaced_[day](junction, 0) == 0);
      CHECK(people(r, r.displaced_[day](camp, 0)) == 1000.0);
      CHECK(r.unsheltered_[day](junction) == 0);
    }
  }
  SUBCASE("no way on: they stay, every one of them unsheltered") {
    ScenarioBuilder b(3);
    const auto junction = b.node("junction", 0, 0, 0, NodeKind::transit);
    b.node("elsewhere", 0, 1, 100);
    b.node_at(junction).displaced_by_group = {1000};
    still(b.parameters());
    const auto r = run(b.scenario());
    for (std::size_t day = 0; day < 3; ++day) {
      CHECK(people(r, r.displaced_[day](junction, 0)) == 1000.0);
      CHECK(people(r, r.unsheltered_[day](junction)) == 1000.0);
    }
  }
}

TEST_CASE("a transit node with a capacity hosts people and counts those beyond it as unsheltered") {
  ScenarioBuilder b(3);
  const auto junction = b.node("junction", 0, 0, 0, NodeKind::transit, 400.0);
  const auto camp = b.node("camp", 0, 1, 0, NodeKind::camp, 1e12);
  b.node_at(junction).displaced_by_group = {1000};
  b.corridor(junction, camp, 10);
  still(b.parameters());
  const auto r = run(b.scenario());
  for (std::size_t day = 0; day < 3; ++day) {
    CHECK(people(r, r.displaced_[day](junction, 0)) == 1000.0);  // nobody moves on without a reason
    CHECK(people(r, r.unsheltered_[day](junction)) == 600.0);    // min(D, R + D - C) = 1000 - 400
    CHECK(r.displaced_[day](camp, 0) == 0);
  }
}

TEST_CASE("people at a captured node flee away from the captor and not into the territory it holds") {
  // A node taken by the government on day 0 (front-line threat) and two equal refuges 30 km away, one held by each
  // side. The people there are of the side that held it on day 0 (or of none): the captor's refuge weighs
  // cross_line_attractiveness times the other one.
  auto arrivals_ratio = [](const std::string& held_on_day_0) {
    ScenarioBuilder b(10);
    const auto home = b.node("home", 0, 0, 1'000'000);
    const auto held = b.node("held", 0, 5, 0, NodeKind::town, 1e12);
    const auto free = b.node("free", 0, -5, 0, NodeKind::town, 1e12);
    b.node_at(home).control = held_on_day_0;
    b.node_at(held).control = "government";
    b.node_at(free).control = "opposition";
    b.corridor(home, held, 30);
    b.corridor(home, free, 30);
    b.event(Capture{home, "government"}, 0);
    still(b.parameters());
    const auto r = run(b.scenario());
    Count to_held = 0, to_free = 0;
    for (std::size_t day = 0; day < 10; ++day) {
      to_held += r.arrivals_[day](held);
      to_free += r.arrivals_[day](free);
    }
    REQUIRE(to_free > 0);
    return static_cast<double>(to_held) / static_cast<double>(to_free);
  };
  const double cross_line = ModelParameters{}.cross_line_attractiveness;
  CHECK(arrivals_ratio("opposition") == doctest::Approx(cross_line).epsilon(1e-6));
  CHECK(arrivals_ratio("") == doctest::Approx(cross_line).epsilon(1e-6));
}

TEST_CASE("a captured node whose roads are closed lets its people go once the fighting for it ends") {
  // Home (1e6, 4 strikes/day throughout) is fought over on days 0-4 and its only road is closed from day 0 for
  // good. Nobody can leave while the capture lasts; from day 5 the road is open again and residents leave at the
  // hazard 0.2 * 4 / (4 + 4) a day.
  ScenarioBuilder b(12);
  const auto home = b.node("home", 0, 0, 1'000'000);
  const auto camp = b.node("camp", 0, 5, 0, NodeKind::camp, 1e12);
  const auto road = b.corridor(home, camp, 10);
  b.bombard(home, 4.0, 0);
  b.event(Capture{home, "government"}, 0, 5);
  b.event(CorridorClosure{road}, 0);
  still(b.parameters());
  b.parameters().threat_half_saturation = 4.0;
  b.parameters().max_departure_rate_per_day = 0.2;
  const auto r = run(b.scenario());
  const double p = 1.0 - std::exp(-0.1);
  for (std::size_t day = 0; day < 12; ++day) {
    const double at_home = day < 5 ? 1e6 : 1e6 * std::pow(1.0 - p, static_cast<double>(day - 4));
    CHECK(people(r, r.residents_[day](home, 0)) == doctest::Approx(at_home).epsilon(1e-9));
    CHECK(people(r, r.displaced_[day](camp, 0)) == doctest::Approx(1e6 - at_home).epsilon(1e-9));
  }
}

TEST_CASE("when the fighting for a captured node ends its roads open but not those across the front line") {
  // Town (opposition) is taken by the government on days 0-4; its roads to the camp (uncontested) and to the
  // front (still the opposition's) are closed from day 0 for good. At the capture's end the road to the camp opens;
  // the road to the front, the front line, stays closed: nobody crosses it. (Idlib 2019-20's front-line closures,
  // "until the other end falls (or to the end)", were reopened and ~750,000 crossings went through.)
  ScenarioBuilder b(12);
  const auto town = b.node("town", 0, 0, 1'000'000);
  const auto camp = b.node("camp", 0, 0.05, 0, NodeKind::camp, 1e12);
  const auto front = b.node("front", 0.05, 0, 0, NodeKind::camp, 1e12);
  b.node_at(town).control = "opposition";
  b.node_at(front).control = "opposition";
  const auto to_camp = b.corridor(town, camp, 5);
  const auto across = b.corridor(town, front, 5);
  b.bombard(town, 4.0, 0);
  b.event(Capture{town, "government"}, 0, 5);
  b.event(CorridorClosure{to_camp}, 0);
  b.event(CorridorClosure{across}, 0);
  still(b.parameters());
  const auto r = run(b.scenario());
  Count into_camp = 0, into_front = 0;
  for (std::size_t day = 0; day < 12; ++day) {
    const Count camp_today = r.corridor_inflow_[day](to_camp) + 0;
    if (day < 5) CHECK(camp_today == 0);
    into_camp += camp_today;
    into_front += r.corridor_inflow_[day](across);
    CHECK(r.displaced_[day](front, 0) == 0);
  }
  CHECK(into_camp > 0);  // opened at the capture's end
  CHECK(into_front == 0);
  // Once the front node falls too, the road between them is no front line: it opens when that fighting ends.
  b.event(Capture{front, "government"}, 6, 8);
  const auto later = run(b.scenario());
  Count crossed = 0;
  for (std::size_t day = 0; day < 12; ++day) {
    if (day < 8) CHECK(later.corridor_inflow_[day](across) == 0);
    crossed += later.corridor_inflow_[day](across);
  }
  CHECK(crossed > 0);
}

TEST_CASE("a town retaken the day its fighting ends keeps its roads closed until the new fighting ends") {
  // Town (opposition) is retaken by the opposition on days 0-3 (fought over), and by the government from day 4 to
  // 7: the fighting goes on across day 4. Its road to the camp, closed for good from day 0, stays closed until
  // day 8 (Idlib 2019-20's Saraqeb: its roads reopened on 2 Mar while the government retook it that day, and
  // 607,506 crossings went through them).
  ScenarioBuilder b(12);
  const auto town = b.node("town", 0, 0, 1'000'000);
  const auto camp = b.node("camp", 0, 0.05, 0, NodeKind::camp, 1e12);
  b.node_at(town).control = "opposition";
  const auto road = b.corridor(town, camp, 5);
  b.bombard(town, 4.0, 0);
  b.event(Capture{town, "opposition"}, 0, 4);
  b.event(Capture{town, "government"}, 4, 8);
  b.event(CorridorClosure{road}, 0);
  still(b.parameters());
  const auto r = run(b.scenario());
  Count through = 0;
  for (std::size_t day = 0; day < 12; ++day) {
    CAPTURE(day);
    if (day < 8) CHECK(r.corridor_inflow_[day](road) == 0);
    through += r.corridor_inflow_[day](road);
  }
  CHECK(through > 0);  // open once the last fighting ends
}

TEST_CASE("a capture's end reopens the same roads whatever the order of the events that end that day") {
  // The road from town to camp is closed for good, opened on days 2-5 by an opening; town is fought over on days
  // 0-5. Both end on day 5: the capture's end sees the road closed again (the opening over) and reopens it, listed
  // before or after the opening alike.
  MemoryRecorder runs[2];
  for (const bool capture_first : {true, false}) {
    ScenarioBuilder b(10);
    const auto town = b.node("town", 0, 0, 1'000'000);
    const auto camp = b.node("camp", 0, 0.05, 0, NodeKind::camp, 1e12);
    const auto road = b.corridor(town, camp, 5);
    b.bombard(town, 4.0, 0);
    b.event(CorridorClosure{road}, 0);
    if (capture_first) b.event(Capture{town, "government"}, 0, 5);
    b.event(CorridorOpening{road}, 2, 5);
    if (!capture_first) b.event(Capture{town, "government"}, 0, 5);
    still(b.parameters());
    runs[capture_first ? 0 : 1] = run(b.scenario());
  }
  for (std::size_t day = 0; day < 10; ++day) {
    CAPTURE(day);
    CHECK(runs[0].residents_[day] == runs[1].residents_[day]);
    if (day >= 5) CHECK(runs[0].corridor_inflow_[day](0) > 0);  // open again from day 5 in both
  }
  // ... because the capture's end reopened it on day 5 in both orders (not by the luck of a tie's order).
  for (const auto& r : runs) {
    const auto reopened = std::count_if(r.events_.begin(), r.events_.end(), [](const EventRecord& e) {
      return e.kind == "corridor_reopened" && e.time_days == 5.0 && e.corridor == 0;
    });
    CHECK(reopened == 1);
  }
}

TEST_CASE("a border crossing that closes lets nobody across: people on their way are held at it") {
  // Home (bombarded) -> camp -> gate (a border crossing) -> abroad (external): the gate is open on days 0-2 and
  // closed from day 3. Before, people set off for abroad; after, nobody enters the gate's road abroad, and those
  // on their way stop at the gate. The same with the other side given by countries instead of an external node.
  for (const bool by_country : {false, true}) {
    CAPTURE(by_country);
    ScenarioBuilder b(20);
    const auto home = b.node("home", 0, 0, 1'000'000);
    const auto camp = b.node("camp", 0, 0.3, 0, NodeKind::camp, 1e12);
    const auto gate = b.node("gate", 0, 0.6, 0, NodeKind::border_crossing, 1e12);
    const auto abroad = b.node("abroad", 0, 0.7, 0, by_country ? NodeKind::camp : NodeKind::external, 1e12);
    if (by_country) {
      for (const auto node : {home, camp, gate}) b.node_at(node).country = "Here";
      b.node_at(abroad).country = "There";
    }
    b.corridor(home, camp, 10);
    b.corridor(camp, gate, 60, CorridorKind::track);  // a day and more on foot: many are on it at the closure
    const auto across = b.corridor(gate, abroad, 10, CorridorKind::crossing);
    b.bombard(home, 20.0, 0);
    b.event(BorderClosure{gate}, 3);
    still(b.parameters());
    const auto r = run(b.scenario());
    const auto inflow = inflow_before_and_after(r, across, 3);
    const Count before = inflow.first, after = inflow.second;
    CHECK(before > 0);
    CHECK(after == 0);
    // Those on their way when it closed are at the gate, and stay (nobody moves on in this scenario).
    CHECK(r.displaced_[19].row(gate).sum() > 0);
    CHECK(r.displaced_[19].row(gate).sum() == r.displaced_[4].row(gate).sum());
  }
}

TEST_CASE("an evacuation without an open route moves nobody and the run's summary counts its blocked days") {
  // 1,000 a day for 5 days from home to a camp whose only road is closed on days 0-2: 3 days blocked, 2 moved.
  ScenarioBuilder b(8);
  const auto home = b.node("home", 0, 0, 100'000);
  const auto camp = b.node("camp", 0, 0.3, 0, NodeKind::camp, 1e12);
  const auto road = b.corridor(home, camp, 10);
  b.event(CorridorClosure{road}, 0, 3);
  b.event(Evacuation{home, camp, 1000.0}, 0, 5);
  still(b.parameters());
  MemoryRecorder recorder;
  Simulation simulation(b.scenario(), RunConfig{.seed = 1, .mode = Mode::expected, .threads = 1});
  simulation.add_observer(recorder);
  const RunSummary summary = simulation.run();
  REQUIRE(summary.evacuations.size() == 1);
  const auto& total = summary.evacuations[0];
  CHECK(total.event == 1);
  CHECK(total.days_active == 5);
  CHECK(total.days_blocked == 3);
  CHECK(total.moved == doctest::Approx(2000.0));
  CHECK(total.not_moved == doctest::Approx(3000.0));
  CHECK(people(recorder, recorder.displaced_[7].row(camp).sum()) == doctest::Approx(2000.0));
}

TEST_CASE(
    "a closed border crossing facing another country's crossing lets nobody across either way the road is written") {
  // home -> here (a crossing of Here) = there (a crossing of There) -> refuge: the road between the two crossings is
  // written from `there` to `here`, so leaving `here` is leaving its `to` end. `here` closes on day 3.
  ScenarioBuilder b(20);
  const auto home = b.node("home", 0, 0, 1'000'000);
  const auto here = b.node("here", 0, 0.5, 0, NodeKind::border_crossing, 1e12);
  const auto there = b.node("there", 0, 0.6, 0, NodeKind::border_crossing, 1e12);
  const auto refuge = b.node("refuge", 0, 0.7, 0, NodeKind::camp, 1e12);
  for (const auto node : {home, here}) b.node_at(node).country = "Here";
  for (const auto node : {there, refuge}) b.node_at(node).country = "There";
  b.corridor(home, here, 60, CorridorKind::track);
  const auto between = b.corridor(there, here, 2, CorridorKind::crossing);
  b.corridor(there, refuge, 10);
  b.bombard(home, 20.0, 0);
  b.event(BorderClosure{here}, 3);
  still(b.parameters());
  const auto r = run(b.scenario());
  const auto inflow = inflow_before_and_after(r, between, 3);
  const Count before = inflow.first, after = inflow.second;
  CHECK(before > 0);
  CHECK(after == 0);
  CHECK(r.displaced_[19].row(here).sum() > 0);
}
