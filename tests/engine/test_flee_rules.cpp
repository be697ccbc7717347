// The Flee rule set (rules: flee): Flee 3's rules as pure functions, and its day step on tiny hand-made networks,
// against values computed by hand from Flee's formulas (docs/model.md, "The Flee rule set").
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/flee_step.hpp"
#include "haven/engine/flee_rules.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/load.hpp"

using namespace haven;
using namespace haven::engine;

namespace {

// FabFlee's validation setting (conflicts/simsetting.yml) where it differs from Flee's defaults.
FleeSettings validation_settings() {
  FleeSettings s;
  s.max_move_speed_km_per_day = 400.0;
  s.avoid_short_stints = true;
  s.default_movechance = 0.5;
  s.softening_km = 50.0;
  s.distance_power = 0.75;
  s.conflict_weight = 0.25;
  s.capacity_scaling = 1.25;
  s.spawn_decay_interval_days = 30.0;
  s.spawn_decay = {1.0, 1.0, 1.0, 0.5, 0.1};
  return s;
}

FleeLocationState location(FleeLocationType type) {
  FleeLocationState state;
  state.type = type;
  return state;
}

constexpr Count units = 1'000'000;  // expected mode: a millionth of a person

double people(Count u) {
  return static_cast<double>(u) / static_cast<double>(units);
}

// A world of `n` towns without people, linked by `links` (from, to, km) both ways, for `days` days.
FleeWorld world(std::size_t n, const std::vector<std::tuple<int, int, double>>& links, int days) {
  FleeWorld w;
  w.locations.resize(n);
  for (std::size_t c = 0; c < links.size(); ++c) {
    const auto& [a, b, km] = links[c];
    w.links.push_back(FleeLink{a, b, km, static_cast<CorridorIndex>(c)});
    w.links.push_back(FleeLink{b, a, km, static_cast<CorridorIndex>(c)});
  }
  w.finish_links(days);
  return w;
}

// Conflict at `node` from `day` on, with `population` residents.
void conflict(FleeWorld& w, int node, int from_day, double population, double intensity = 1.0) {
  w.locations[static_cast<std::size_t>(node)].population = population;
  for (int d = from_day; d < w.days; ++d)
    w.conflict_intensity[static_cast<std::size_t>(d)][static_cast<std::size_t>(node)] = intensity;
}

void camp(FleeWorld& w, int node, double capacity, double already_there = 0.0) {
  auto& l = w.locations[static_cast<std::size_t>(node)];
  l.type = FleeLocationType::camp;
  l.capacity = capacity;
  l.initial_agents = static_cast<Count>(already_there * static_cast<double>(units));
}

Draws expected_draws() {
  return Draws{1, 0, Mode::expected};
}

}  // namespace

TEST_CASE("flee rules: move chance by location type and on a route and when pushed through a town") {
  const auto s = validation_settings();
  CHECK(flee_rules::move_chance(location(FleeLocationType::conflict_zone), false, false, s) == 1.0);
  CHECK(flee_rules::move_chance(location(FleeLocationType::town), false, false, s) == 0.5);
  CHECK(flee_rules::move_chance(location(FleeLocationType::camp), false, false, s) == 0.001);
  CHECK(flee_rules::move_chance(location(FleeLocationType::forwarding_hub), false, false, s) == 1.0);
  CHECK(flee_rules::move_chance(location(FleeLocationType::camp), true, false, s) == 1.0);    // on a known route
  CHECK(flee_rules::move_chance(location(FleeLocationType::town), false, true, s) == 1.0);    // pushed on
  CHECK(flee_rules::move_chance(location(FleeLocationType::camp), false, true, s) == 0.001);  // towns only

  auto scaled = s;
  scaled.movechance_pop_scale_factor = 0.5;  // 0.5 x (40,000 / 10,000)^0.5 = 1.0
  auto town = location(FleeLocationType::town);
  town.population = 40000.0;
  CHECK(flee_rules::move_chance(town, false, false, scaled) == doctest::Approx(1.0));
  town.population = 2500.0;  // 0.5 x (2,500 / 10,000)^0.5 = 0.25
  CHECK(flee_rules::move_chance(town, false, false, scaled) == doctest::Approx(0.25));
}

TEST_CASE("flee rules: conflict decay steps every interval and stays at the last value") {
  const auto s = validation_settings();
  CHECK(flee_rules::conflict_decay(0, s) == 1.0);
  CHECK(flee_rules::conflict_decay(89, s) == 1.0);
  CHECK(flee_rules::conflict_decay(90, s) == 0.5);
  CHECK(flee_rules::conflict_decay(119, s) == 0.5);
  CHECK(flee_rules::conflict_decay(120, s) == 0.1);
  CHECK(flee_rules::conflict_decay(5000, s) == 0.1);
  CHECK(flee_rules::conflict_decay(-1, s) == 1.0);
}

TEST_CASE("flee rules: scores and the capacity multiplier and route weights") {
  auto s = validation_settings();
  s.foreign_weight = 2.0;
  s.camp_weight = 3.0;
  auto foreign_camp = location(FleeLocationType::camp);
  foreign_camp.foreign = true;
  CHECK(flee_rules::location_score(foreign_camp, 10, s) == doctest::Approx(6.0));
  auto zone = location(FleeLocationType::conflict_zone);
  zone.conflict_intensity = 1.0;
  zone.conflict_start_day = 0;
  CHECK(flee_rules::location_score(zone, 10, s) == doctest::Approx(0.25));  // 0.25^(1 x 1)
  CHECK(flee_rules::location_score(zone, 95, s) == doctest::Approx(0.5));   // 0.25^(0.5 x 1)
  zone.conflict_intensity = 0.5;
  CHECK(flee_rules::location_score(zone, 10, s) == doctest::Approx(0.5));  // 0.25^(1 x 0.5)

  // Capacity 1,000 x scaling 1.25 = 1,250; the buffer begins at 0.9 x 1,250 = 1,125.
  CHECK(flee_rules::capacity_multiplier(1000.0, 1000.0, s) == 1.0);
  CHECK(flee_rules::capacity_multiplier(1125.0, 1000.0, s) == 1.0);
  CHECK(flee_rules::capacity_multiplier(1187.5, 1000.0, s) == doctest::Approx(0.5));  // 1 - 62.5 / 125
  CHECK(flee_rules::capacity_multiplier(1250.0, 1000.0, s) == 0.0);
  CHECK(flee_rules::capacity_multiplier(5000.0, FleeLocationState::no_capacity, s) == 1.0);
  CHECK(flee_rules::capacity_multiplier(5000.0, 0.5, s) == 1.0);  // scaled below 1: no limit, as Flee

  // (0 + 1) / (50 + 100)^0.75 = 1 / 42.8623...; a capacity multiplier of 0.5 halves it.
  CHECK(flee_rules::route_weight(1.0, 100.0, 1.0, s) == doctest::Approx(1.0 / 42.86228));
  CHECK(flee_rules::route_weight(1.0, 100.0, 0.5, s) == doctest::Approx(0.5 / 42.86228));
  auto powered = s;
  powered.weight_softening = 1.0;
  powered.weight_power = 2.0;  // ((1 + 1) / 42.86228)^2
  CHECK(flee_rules::route_weight(1.0, 100.0, 1.0, powered) == doctest::Approx(std::pow(2.0 / 42.86228, 2.0)));
  // The engine computes the distance part once per network: the same weight, bit for bit.
  for (const auto& settings : {s, powered}) {
    for (const double km : {0.0, 37.5, 100.0, 811.3}) {
      const double factor = flee_rules::route_distance_factor(km, settings);
      CHECK(factor == doctest::Approx(std::pow(settings.softening_km + km, settings.distance_power)));
      CHECK(flee_rules::route_weight_of_factor(0.25, factor, 0.7, settings) ==
            flee_rules::route_weight(0.25, km, 0.7, settings));
    }
  }

  std::vector<double> weights{1.0, 3.0};
  flee_rules::normalise_route_weights(weights, s);
  CHECK(weights[0] == doctest::Approx(0.25));
  CHECK(weights[1] == doctest::Approx(0.75));
  std::vector<double> zeros{0.0, 0.0, 0.0, 0.0};
  flee_rules::normalise_route_weights(zeros, s);
  CHECK(zeros[2] == doctest::Approx(0.25));
  auto pruned = s;
  pruned.pruning_threshold = 2.0;  // routes under 3 / 2 = 1.5 are dropped
  std::vector<double> three{1.0, 3.0, 2.0};
  flee_rules::normalise_route_weights(three, pruned);
  CHECK(three[0] == 0.0);
  CHECK(three[1] == doctest::Approx(0.6));
  CHECK(three[2] == doctest::Approx(0.4));
}

TEST_CASE("flee rules: spawn weight and short stints") {
  const auto s = validation_settings();
  auto zone = location(FleeLocationType::conflict_zone);
  zone.population = 2000.0;
  zone.conflict_intensity = 0.5;
  zone.conflict_start_day = 10;
  CHECK(flee_rules::spawn_weight(zone, 20, s) == doctest::Approx(1000.0));  // 2,000 x 0.5 x 1
  CHECK(flee_rules::spawn_weight(zone, 100, s) == doctest::Approx(500.0));  // day 90 of the conflict: x 0.5
  CHECK(flee_rules::spawn_weight(location(FleeLocationType::town), 20, s) == 0.0);

  CHECK(flee_rules::forced_town_move(0.2, 150.0, s));   // (0.2 + 0.375) / 2 < 0.5
  CHECK(!flee_rules::forced_town_move(0.8, 300.0, s));  // (0.8 + 0.75) / 2 >= 0.5
  auto off = s;
  off.avoid_short_stints = false;
  CHECK(!flee_rules::forced_town_move(0.0, 0.0, off));
  CHECK(flee_rules::updated_recent_travel(0.5, 200.0, s) == doctest::Approx(0.5));  // (0.5 + 0.5) / 2
}

TEST_CASE("flee step: people pass several links in one day and a long link takes several days") {
  // conflict zone 0 -100 km- town 1 -100 km- camp 2; the conflict zone scores 0 so nobody turns back.
  auto s = validation_settings();
  s.insert_day0 = false;
  s.conflict_weight = 0.0;
  s.camp_movechance = 0.0;
  auto w = world(3, {{0, 1, 100.0}, {1, 2, 100.0}}, 4);
  conflict(w, 0, 0, 1000.0);
  camp(w, 2, 10000.0);
  for (auto& total : w.observed_total) total = 100.0;  // 100 people flee on day 0
  {
    FleeStep step(w, s, expected_draws(), units);
    step.step(0);
    CHECK(people(step.spawned_total()) == doctest::Approx(100.0));
    CHECK(people(step.agents()[2]) == doctest::Approx(100.0));  // 100 km + 100 km < 400 km: in the camp at once
    CHECK(people(step.arrivals()[1]) == doctest::Approx(100.0));
    CHECK(people(step.departures()[1]) == doctest::Approx(100.0));
    CHECK(people(step.agents()[1]) == doctest::Approx(0.0));
  }
  s.max_move_speed_km_per_day = 90.0;  // 90 km a day: day 0 on the first link, day 1 onto the second, day 2 there
  FleeStep slow(w, s, expected_draws(), units);
  slow.step(0);
  CHECK(people(slow.on_links().sum()) == doctest::Approx(100.0));
  slow.step(1);
  CHECK(people(slow.arrivals()[1]) == doctest::Approx(100.0));  // 10 km left of the day: on at once
  CHECK(people(slow.agents()[1]) == doctest::Approx(0.0));
  CHECK(people(slow.agents()[2]) == doctest::Approx(0.0));
  slow.step(2);
  CHECK(people(slow.agents()[2]) == doctest::Approx(100.0));
}

TEST_CASE("flee step: route choice follows the weights and a camp near capacity is cut off") {
  // conflict zone 0 with two camps 100 km away: camp 1 (capacity 100, full) and camp 2 (capacity 1,000, empty),
  // and a town 3 at 300 km.
  auto s = validation_settings();
  s.insert_day0 = false;
  s.camp_movechance = 0.0;
  s.capacity_scaling = 1.0;
  auto w = world(4, {{0, 1, 100.0}, {0, 2, 100.0}, {0, 3, 300.0}}, 2);
  conflict(w, 0, 0, 1000.0);
  camp(w, 1, 100.0, 100.0);
  camp(w, 2, 1000.0);
  w.observed_total[0] = 60.0;
  w.observed_total[1] = 60.0;
  FleeStep step(w, s, expected_draws(), units);
  step.step(0);
  // Weights: camp 1 x 0 (at capacity); camp 2 1 / 150^0.75 = 1 / 42.862; town 3 1 / 350^0.75 = 1 / 80.911: shares
  // 0.6537 and 0.3463.
  const double camp_weight = 1.0 / std::pow(150.0, 0.75);
  const double town_weight = 1.0 / std::pow(350.0, 0.75);
  CHECK(people(step.agents()[1]) == doctest::Approx(100.0));
  CHECK(people(step.agents()[2]) == doctest::Approx(60.0 * camp_weight / (camp_weight + town_weight)).epsilon(1e-6));
  CHECK(people(step.agents()[2]) == doctest::Approx(39.22).epsilon(1e-3));
  // The town passes them on the same day (a short stint); back to the conflict zone (score 0.25) or to a camp.
  CHECK(people(step.arrivals()[3]) == doctest::Approx(60.0 * town_weight / (camp_weight + town_weight)).epsilon(1e-6));
}

TEST_CASE("flee step: small parties in stochastic mode choose routes person by person with the route weights") {
  // Ten people a day flee a conflict zone to two camps at 100 and 300 km: parties of at most 16 movers choose
  // person by person (one uniform each); over 300 days their shares must be the weights' (4 standard deviations).
  auto s = validation_settings();
  s.insert_day0 = false;
  s.camp_movechance = 0.0;
  auto w = world(3, {{0, 1, 100.0}, {0, 2, 300.0}}, 300);
  conflict(w, 0, 0, 1000.0);
  camp(w, 1, 1e9);
  camp(w, 2, 1e9);
  for (int d = 0; d < 300; ++d) w.observed_total[static_cast<std::size_t>(d)] = 10.0 * (d + 1);
  FleeStep step(w, s, Draws{11, 0, Mode::stochastic}, 1);
  for (int d = 0; d < 300; ++d) step.step(d);
  const double near = 1.0 / std::pow(150.0, 0.75), far = 1.0 / std::pow(350.0, 0.75);
  const double share = near / (near + far);
  const auto in_camps = static_cast<double>(step.agents()[1] + step.agents()[2]);
  REQUIRE(in_camps == doctest::Approx(3000.0).epsilon(0.01));
  const double sd = std::sqrt(share * (1.0 - share) / in_camps);
  CHECK(static_cast<double>(step.agents()[1]) / in_camps == doctest::Approx(share).epsilon(4.0 * sd / share));
}

TEST_CASE("flee step: Flee's day-0 insertion takes the camp's first people off its capacity") {
  // With insert_day0, camp 1's 100 day-0 people leave it capacity 0: no limit, so both camps draw equally.
  auto s = validation_settings();
  s.camp_movechance = 0.0;
  auto w = world(3, {{0, 1, 100.0}, {0, 2, 100.0}}, 2);
  conflict(w, 0, 0, 1000.0);
  camp(w, 1, 100.0, 100.0);
  camp(w, 2, 1000.0);
  w.observed_total[0] = 0.0;
  w.observed_total[1] = 50.0;
  FleeStep step(w, s, expected_draws(), units);
  CHECK(step.capacity_now(1) == 0.0);
  CHECK(step.capacity_now(2) == 1000.0);
  step.step(0);
  CHECK(people(step.spawned_total()) == 0.0);  // day 0: the camps' people are inserted instead
  step.step(1);
  CHECK(people(step.agents()[1]) == doctest::Approx(125.0));
  CHECK(people(step.agents()[2]) == doctest::Approx(25.0));
}

TEST_CASE("flee step: spawning follows population x intensity x decay a day late and makes up falls") {
  auto s = validation_settings();
  s.insert_day0 = false;
  auto w = world(3, {{0, 2, 100.0}, {1, 2, 100.0}}, 100);
  conflict(w, 0, 0, 1000.0);
  conflict(w, 1, 60, 1000.0, 0.5);
  camp(w, 2, 1e6);
  for (int d = 0; d < 100; ++d) {
    double total = 0.0;
    if (d >= 90) total = 300.0;
    if (d >= 91) total = 600.0;
    if (d >= 92) total = 500.0;  // a fall of 100: made up first by the next rises
    if (d >= 93) total = 550.0;
    if (d >= 94) total = 700.0;
    w.observed_total[static_cast<std::size_t>(d)] = total;
  }
  FleeStep step(w, s, expected_draws(), units);
  for (int d = 0; d < 90; ++d) step.step(d);
  step.step(90);
  // Weights of day 89 (nothing changed on day 90): 1,000 x 1 x 1 and 1,000 x 0.5 x 1.
  CHECK(people(step.spawned_today()[0]) == doctest::Approx(200.0));
  CHECK(people(step.spawned_today()[1]) == doctest::Approx(100.0));
  step.step(91);
  // Weights of day 90: zone 0 is 90 days into its conflict (x 0.5), zone 1 30 days (x 1): 500 and 500.
  CHECK(people(step.spawned_today()[0]) == doctest::Approx(150.0));
  CHECK(people(step.spawned_today()[1]) == doctest::Approx(150.0));
  step.step(92);
  CHECK(people(step.spawned_today().sum()) == 0.0);  // the total fell by 100
  step.step(93);
  CHECK(people(step.spawned_today().sum()) == 0.0);  // +50, still 50 short
  step.step(94);
  CHECK(people(step.spawned_today().sum()) == doctest::Approx(100.0));  // +150 - 50
  CHECK(people(step.spawned_total()) == doctest::Approx(700.0));
}

TEST_CASE("flee step: closed links and closed camps and travellers turned back") {
  auto s = validation_settings();
  s.insert_day0 = false;
  s.camp_movechance = 0.0;
  // conflict zone 0; camp 1 at 100 km, its link closed; town 2 at 100 km; camp 3 at 500 km.
  auto w = world(4, {{0, 1, 100.0}, {0, 2, 100.0}, {0, 3, 500.0}}, 3);
  conflict(w, 0, 0, 1000.0);
  camp(w, 1, 1e6);
  camp(w, 3, 1e6);
  w.locations[2].type = FleeLocationType::town;
  w.link_closed[0][0] = w.link_closed[0][1] = 1;
  w.observed_total = {100.0, 100.0, 100.0};
  FleeStep step(w, s, expected_draws(), units);
  step.step(0);
  CHECK(people(step.agents()[1]) == 0.0);  // nobody takes the closed link
  CHECK(people(step.link_inflow()[0]) == 0.0);
  CHECK(people(step.link_inflow()[4]) > 0.0);  // some set off on the 500 km link
  const double on_long_link = people(step.on_links()[4]);
  CHECK(on_long_link > 0.0);
  // Day 1: the long link closes under them; at the end of it they are back where they set off.
  w.link_closed[1][4] = w.link_closed[1][5] = 1;
  w.link_closed[1][0] = w.link_closed[1][1] = 1;
  step.step(1);
  CHECK(people(step.on_links()[4]) == 0.0);
  CHECK(people(step.agents()[3]) == 0.0);  // nobody reached the camp behind the closed link
  CHECK(people(step.agents().sum() + step.on_links().sum()) == doctest::Approx(100.0));

  // A closed camp is a town for the day: its people leave at the town's move chance.
  auto c = world(2, {{0, 1, 500.0}}, 1);  // a day's distance does not reach the end
  camp(c, 0, 1e6, 100.0);
  c.camp_closed[0][0] = 1;
  FleeStep closed(c, s, expected_draws(), units);
  closed.step(0);
  CHECK(closed.state(0).type == FleeLocationType::town);
  CHECK(people(closed.departures()[0]) == doctest::Approx(50.0));  // default_movechance 0.5
}

TEST_CASE("flee step: people who arrive within a hop pool on the coarse state and nobody is lost") {
  // Validation setting: 400 km a day, so a step is 12.5 km of moved today (or 1/32 of recent + moved / 400).
  auto s = validation_settings();
  auto w = world(3, {{0, 1, 100.0}, {1, 2, 100.0}}, 1);
  FleeStep step(w, s, Draws{1, 0, Mode::stochastic}, 1);
  using Party = FleeStep::Party;
  std::vector<std::pair<NodeIndex, Party>> arrivals{
      {1, Party{3, 0.0, true, {}, 100.0}},           // pushed on: 0 + 100 / 400 = 8/32
      {1, Party{5, 0.0, true, {}, 103.0}},           // 8.24/32: pooled with the first
      {1, Party{2, 1.0 / 32.0, true, {}, 95.0}},     // 1/32 + 7.6/32 = 8.6/32: pooled too (another recent)
      {1, Party{4, 0.0, true, {}, 113.0}},           // 9.04/32: the next step
      {2, Party{6, 0.0, true, {}, 100.0}},           // another location
      {1, Party{7, 0.0, true, {2}, 100.0}},          // another route
      {1, Party{1, 30.0 / 32.0, true, {}, 100.0}},   // 30/32 + 8/32 >= 1: not pushed on, slot by moved (8)
      {1, Party{2, 31.0 / 32.0, true, {}, 110.0}},   // moved 8.8 steps: pooled with the one before
      {1, Party{9, 30.0 / 32.0, true, {}, 120.0}}};  // moved 9.6 steps: its own
  Count before = 0;
  for (const auto& [location, party] : arrivals) before += party.count;
  step.merge_arrivals(arrivals);
  Count after = 0;
  for (const auto& [location, party] : arrivals) after += party.count;
  CHECK(after == before);
  REQUIRE(arrivals.size() == 6);
  // In order of first arrival; the pooled parties carry their members' people-weighted means.
  CHECK(arrivals[0].first == 1);
  CHECK(arrivals[0].second.count == 10);
  CHECK(arrivals[0].second.moved_km == doctest::Approx((3 * 100.0 + 5 * 103.0 + 2 * 95.0) / 10.0));
  CHECK(arrivals[0].second.recent == doctest::Approx(2.0 / 32.0 / 10.0));
  CHECK(arrivals[1].second.count == 4);
  CHECK(arrivals[2].first == 2);
  CHECK(arrivals[3].second.count == 7);
  CHECK(arrivals[3].second.route == std::vector<NodeIndex>{2});
  CHECK(arrivals[4].second.count == 3);
  CHECK(arrivals[4].second.moved_km == doctest::Approx((100.0 + 2 * 110.0) / 3.0));
  CHECK(arrivals[4].second.recent == doctest::Approx((30.0 + 2 * 31.0) / 32.0 / 3.0));
  CHECK(arrivals[5].second.count == 9);
  // Pooling keeps who is pushed on through towns: every member of a pool is on the same side of Flee's threshold.
  CHECK(flee_rules::forced_town_move(arrivals[0].second.recent, arrivals[0].second.moved_km, s));
  CHECK(!flee_rules::forced_town_move(arrivals[4].second.recent, arrivals[4].second.moved_km, s));
}

TEST_CASE("flee step: parties that reach a town within a hop and differ only below the step decide as one") {
  // Two conflict zones 100 km and 103 km from town 2, camp 3 100 km beyond it; nobody turns back (conflict zones
  // score 0). The two parties reach the town in the same hop, 3 km apart: one decision there and one at the camp.
  auto s = validation_settings();
  s.insert_day0 = false;
  s.conflict_weight = 0.0;
  s.camp_movechance = 0.0;
  auto w = world(4, {{0, 2, 100.0}, {1, 2, 103.0}, {2, 3, 100.0}}, 1);
  conflict(w, 0, 0, 1000.0);
  conflict(w, 1, 0, 1000.0);
  camp(w, 3, 1e6);
  w.observed_total[0] = 100.0;
  FleeStep step(w, s, expected_draws(), units);
  step.step(0);
  CHECK(people(step.agents()[3]) == doctest::Approx(100.0));
  CHECK(people(step.arrivals()[2]) == doctest::Approx(100.0));
  CHECK(step.party_decisions() == 4);  // each conflict zone, the town once, the camp once (unpooled: 6)
}

TEST_CASE("flee step: pooling on a network of short links conserves people and repeats itself exactly") {
  // Ten towns in a ring of 20-65 km links around a conflict zone and a camp: people hop through towns many times a
  // day and are pooled at every hop.
  auto s = validation_settings();
  std::vector<std::tuple<int, int, double>> links{{0, 1, 30.0}, {11, 10, 150.0}};
  for (int k = 1; k <= 10; ++k) links.emplace_back(k, k % 10 + 1, 20.0 + 5.0 * k);
  links.emplace_back(6, 10, 40.0);
  links.emplace_back(3, 11, 250.0);
  auto w = world(12, links, 40);
  conflict(w, 0, 0, 5000.0);
  camp(w, 11, 3000.0);
  for (int d = 0; d < 40; ++d) w.observed_total[static_cast<std::size_t>(d)] = 100.0 * (d + 1);
  auto run = [&](std::uint64_t seed) {
    FleeStep step(w, s, Draws{seed, 0, Mode::stochastic}, 1);
    std::vector<Count> trace;
    for (int d = 0; d < 40; ++d) {
      step.step(d);
      CHECK(step.agents().sum() + step.on_links().sum() == step.spawned_total());
      for (Eigen::Index i = 0; i < step.agents().size(); ++i) trace.push_back(step.agents()[i]);
    }
    CHECK(step.spawned_total() == 3900);
    CHECK(step.agents()[11] > 0);
    return trace;
  };
  CHECK(run(5) == run(5));
  CHECK(run(5) != run(6));
}

TEST_CASE("flee step: conserves people and repeats itself exactly for a seed") {
  auto s = validation_settings();
  auto w = world(5, {{0, 1, 120.0}, {1, 2, 80.0}, {1, 3, 300.0}, {3, 4, 450.0}, {0, 4, 700.0}}, 30);
  conflict(w, 0, 0, 5000.0);
  conflict(w, 1, 5, 3000.0, 0.7);
  camp(w, 2, 400.0);
  w.locations[2].initial_agents = 50;  // stochastic mode: 1 unit per person
  camp(w, 4, 2000.0);
  for (int d = 0; d < 30; ++d) w.observed_total[static_cast<std::size_t>(d)] = 50.0 + 40.0 * d;
  auto run = [&](std::uint64_t seed) {
    FleeStep step(w, s, Draws{seed, 0, Mode::stochastic}, 1);
    std::vector<Count> trace;
    for (int d = 0; d < 30; ++d) {
      step.step(d);
      CHECK(step.agents().sum() + step.on_links().sum() == 50 + step.spawned_total());
      for (Eigen::Index i = 0; i < step.agents().size(); ++i) trace.push_back(step.agents()[i]);
    }
    CHECK(step.spawned_total() == 40 * 29);
    return trace;
  };
  CHECK(run(7) == run(7));
  CHECK(run(7) != run(8));
}

namespace {

// A conflict zone, a town, two camps abroad; 200 people flee over 10 days (the rise of the camps' total).
const char* const flee_scenario = R"(scenario:
  name: flee_rules_small
  start_date: 2020-01-01
  days: 12
nodes:
  - {id: zone, kind: town, lat: 10, lon: 10, population: 4000, country: Home}
  - {id: town, kind: town, lat: 10, lon: 11, capacity: unlimited, country: Home}
  - {id: camp1, kind: camp, lat: 10, lon: 12, capacity: 300, displaced: 20, country: Away}
  - {id: camp2, kind: camp, lat: 11, lon: 12, capacity: 1000, country: Away}
home_country: Home
corridors:
  - {from: zone, to: town, length_km: 120, kind: road}
  - {from: town, to: camp1, length_km: 150, kind: road}
  - {from: town, to: camp2, length_km: 450, kind: road}
events:
  - {kind: armed_conflict, node: zone, day: 0, intensity: 0.8}
  - {kind: camp_closure, node: camp2, day: 8, until: 9}
observations:
  - id: camps
    variable: displaced_present
    nodes: [camp1, camp2]
    source: {publisher: test}
    points: [{day: 0, value: 20}, {day: 10, value: 220}]
departures: {mode: given, observation: camps}
rules: flee
parameters:
  flee_max_move_speed_km_per_day: 400
  flee_avoid_short_stints: 1
  flee_softening_km: 50
  flee_distance_power: 0.75
)";

}  // namespace

TEST_CASE("rules: flee runs a scenario through the engine with the run's usual series") {
  auto loaded = load_scenario_text(flee_scenario, "flee_rules_small.yaml");
  REQUIRE(loaded.scenario.has_value());
  CHECK(loaded.scenario->rules == RuleSetKind::flee);
  CHECK(loaded.scenario->parameters.flee_softening_km == 50.0);
  auto run = [&](Mode mode, int threads) {
    auto recorder = std::make_unique<MemoryRecorder>();
    Simulation simulation(*loaded.scenario, RunConfig{3, 0, mode, threads, {}, {}});
    simulation.add_observer(*recorder);
    const auto summary = simulation.run();
    CHECK(summary.cumulative_displaced == doctest::Approx(200.0));
    return recorder;
  };
  const auto expected = run(Mode::expected, 1);
  REQUIRE(expected->days() == 12);
  const Count u = expected->units_per_person();
  for (std::size_t d = 0; d < expected->days(); ++d) {
    // Residents stay (Flee does not take from the population); everyone who fled is somewhere.
    CHECK(expected->residents_[d].sum() == 4000 * u);
    CHECK(expected->displaced_[d].sum() + expected->in_transit_[d].sum() ==
          20 * u + expected->cumulative_displaced_[d]);
  }
  CHECK(expected->cumulative_displaced_[0] == 0);  // day 0: the camps' people are in place instead
  CHECK(expected->cumulative_displaced_[1] == 20 * u);
  CHECK(expected->threat_[0][0] == doctest::Approx(0.8));      // the Flee conflict intensity
  CHECK(expected->capacity_[0][2] == doctest::Approx(280.0));  // 300 less the 20 there on day 0
  CHECK(std::isinf(expected->capacity_[0][1]));
  CHECK(expected->displaced_[11](2, 0) > 0);  // people reach camp1 ...
  CHECK(expected->arrivals_[5][1] > 0);       // ... through the town

  const auto one = run(Mode::stochastic, 1);
  const auto two = run(Mode::stochastic, 2);
  const auto four = run(Mode::stochastic, 4);
  for (std::size_t d = 0; d < one->days(); ++d) {
    CHECK(one->displaced_[d] == two->displaced_[d]);
    CHECK(one->in_transit_[d] == two->in_transit_[d]);
    CHECK(one->displaced_[d] == four->displaced_[d]);
  }
}

TEST_CASE("rules: flee needs given departures") {
  std::string text = flee_scenario;
  text.replace(text.find("departures: {mode: given, observation: camps}"),
               std::string("departures: {mode: given, observation: camps}").size(), "");
  auto loaded = load_scenario_text(text, "flee_rules_small.yaml");
  CHECK(!loaded.scenario.has_value());
  std::ostringstream messages;
  loaded.diagnostics.print(messages);
  CHECK(messages.str().find("Flee's rules are told how many people flee each day") != std::string::npos);
}

TEST_CASE("a parameter its rule set does not read changes no run (what haven serve offers to edit)") {
  // Each parameter the rules do not read (rule_set_reads), moved to another value of its range, one at a time: the
  // run is the same, day by day. Under Flee's rules on the small scenario above; under Haven's on valley.
  auto haven_rules = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  auto flee_rules = load_scenario_text(flee_scenario, "flee_rules_small.yaml");
  REQUIRE(haven_rules.scenario.has_value());
  REQUIRE(flee_rules.scenario.has_value());
  for (const Scenario* base : {&*haven_rules.scenario, &*flee_rules.scenario}) {
    const auto run = [](const Scenario& scenario) {
      auto recorder = std::make_unique<MemoryRecorder>();
      Simulation simulation(scenario, RunConfig{3, 0, Mode::stochastic, 1, {}, {}});
      simulation.add_observer(*recorder);
      simulation.run();
      return recorder;
    };
    const auto as_given = run(*base);
    std::size_t unread = 0;
    std::size_t read = 0;
    for (const auto& spec : parameter_specs) {
      if (rule_set_reads(*base, spec.name)) {
        ++read;
        continue;
      }
      ++unread;
      CAPTURE(spec.name);
      Scenario changed = *base;
      double& value = *changed.parameters.find(spec.name);
      value = value == spec.maximum ? spec.minimum : spec.maximum;
      const auto other = run(changed);
      REQUIRE(other->days() == as_given->days());
      for (std::size_t d = 0; d < as_given->days(); ++d) {
        CHECK(other->residents_[d] == as_given->residents_[d]);
        CHECK(other->displaced_[d] == as_given->displaced_[d]);
        CHECK(other->in_transit_[d] == as_given->in_transit_[d]);
      }
    }
    // Either rule set reads some parameters and leaves others alone: neither list is empty.
    CHECK(unread > 0);
    CHECK(read > 0);
  }
  // And a parameter read does change a run (the comparison above can see a difference).
  Scenario softer = *flee_rules.scenario;
  softer.parameters.flee_default_movechance = 0.0;
  auto recorder = std::make_unique<MemoryRecorder>();
  Simulation simulation(softer, RunConfig{3, 0, Mode::stochastic, 1, {}, {}});
  simulation.add_observer(*recorder);
  simulation.run();
  auto reference = std::make_unique<MemoryRecorder>();
  Simulation as_given(*flee_rules.scenario, RunConfig{3, 0, Mode::stochastic, 1, {}, {}});
  as_given.add_observer(*reference);
  as_given.run();
  bool differs = false;
  for (std::size_t d = 0; d < reference->days(); ++d)
    differs = differs || recorder->displaced_[d] != reference->displaced_[d];
  CHECK(differs);
}

TEST_CASE("flee rules act on conflicts - closures and openings - and on no other kind of event") {
  // Flee's own inputs hold conflicts (conflicts.csv) and closures (closures.csv): those kinds, in the file's order.
  CHECK(haven::flee_event_kinds() == std::vector<std::string_view>{"corridor_closure", "corridor_opening",
                                                                   "border_closure", "border_opening", "armed_conflict",
                                                                   "camp_closure", "country_closure"});
  CHECK(haven::flee_rules_act_on("armed_conflict"));
  for (const char* kind :
       {"bombardment", "ceasefire", "capacity_change", "evacuation", "capture", "redirection_end", "not_a_kind", ""}) {
    CAPTURE(kind);
    CHECK_FALSE(haven::flee_rules_act_on(kind));
  }
}
