#pragma once
// Flee 3's rules (Brunel University's agent-based simulator, flee/moving.py, flee/scoring.py, flee/spawning.py),
// written as pure functions of a location's state and the flee_* parameters, for the engine's Flee rule set
// (`rules: flee`, sim/engine/flee_step.cpp). docs/model.md ("The Flee rule set") gives every equation and where
// Haven departs from Flee.
//
// These are not a RuleSet: Flee's people are not driven by threat, and its state (agents on links, a recent
// travel distance per person) differs from Haven's, so the Flee rule set has its own day step and only shares the
// run's DayRecord series with Haven's rules.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "haven/scenario/parameters.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

// The event kinds Flee's rules act on (the conflicts.csv and closures.csv of Flee's own input); under them every
// other kind (a bombardment, a ceasefire, a capacity change, ...) changes nothing (docs/model.md). The run's world
// is built from exactly these (sim/engine/flee_run.cpp checks each of its branches against this at compile time),
// and haven serve's warnings and its page's Add form read them from here.
template <typename Action>
inline constexpr bool flee_rules_act_on_v =
    std::is_same_v<Action, ArmedConflict> || std::is_same_v<Action, CorridorClosure> ||
    std::is_same_v<Action, CorridorOpening> || std::is_same_v<Action, BorderClosure> ||
    std::is_same_v<Action, BorderOpening> || std::is_same_v<Action, CampClosure> ||
    std::is_same_v<Action, CountryClosure>;

// The names (event_kind_names) of the kinds flee_rules_act_on_v holds for, in that list's order.
[[nodiscard]] std::vector<std::string_view> flee_event_kinds();
// Whether Flee's rules act on an event of kind `kind` (its name in a scenario file).
[[nodiscard]] bool flee_rules_act_on(std::string_view kind);

// Flee's location types, as they stand on a day (a camp closure turns a camp into a town, a conflict's onset a town
// into a conflict zone).
enum class FleeLocationType : std::int8_t { town, conflict_zone, camp, forwarding_hub, marker };

// The flee_* parameters (and the spawn decay) read once from ModelParameters.
struct FleeSettings {
  double max_move_speed_km_per_day = 360.0;
  double max_walk_speed_km_per_day = 35.0;
  bool start_on_foot = false;
  bool avoid_short_stints = false;
  double conflict_movechance = 1.0;
  double camp_movechance = 0.001;
  double default_movechance = 0.3;
  double movechance_pop_base = 10000.0;
  double movechance_pop_scale_factor = 0.0;
  int awareness_level = 1;
  double softening_km = 10.0;
  double weight_softening = 0.0;
  double distance_power = 1.0;
  double weight_power = 1.0;
  double pruning_threshold = 1.0;
  double camp_weight = 1.0;
  double conflict_weight = 0.316227766017;
  double foreign_weight = 1.0;
  double capacity_buffer = 0.9;
  double capacity_scaling = 1.0;
  bool insert_day0 = true;
  double spawn_decay_interval_days = 30.0;
  std::array<double, 5> spawn_decay{1.0, 1.0, 1.0, 1.0, 1.0};

  [[nodiscard]] static FleeSettings from(const ModelParameters& p);
};

// What Flee's rules read of a location on a day.
struct FleeLocationState {
  FleeLocationType type = FleeLocationType::town;
  double conflict_intensity = 0.0;  // > 0 while a conflict zone
  int conflict_start_day = -1;      // the day its conflict began (Flee's time_of_conflict)
  bool foreign = false;
  double population = 0.0;  // residents (Flee's pop)
  double capacity = -1.0;   // < 1 after scaling: no limit (Flee's -1)
  double agents = 0.0;      // displaced people there now (numAgents)
  static constexpr double no_capacity = -1.0;
  static constexpr double unlimited = std::numeric_limits<double>::infinity();
};

namespace flee_rules {

// Flee's conflict decay: spawn_decay[min(floor(days / interval), 4)] (SimulationSettings.get_conflict_decay).
[[nodiscard]] double conflict_decay(int days_since_conflict, const FleeSettings& s);

// A location type's base move chance (flee.py Location.__init__).
[[nodiscard]] inline double base_move_chance(FleeLocationType type, const FleeSettings& s) {
  switch (type) {
    case FleeLocationType::conflict_zone:
      return s.conflict_movechance;
    case FleeLocationType::camp:
      return s.camp_movechance;
    case FleeLocationType::forwarding_hub:
    case FleeLocationType::marker:
      return 1.0;
    case FleeLocationType::town:
      break;
  }
  return s.default_movechance;
}

// The chance that a person at `location` sets off today (moving.calculateMoveChance): 1 on a known route, 1 in a
// town when forced on by avoid_short_stints, else the type's chance scaled by population.
[[nodiscard]] inline double move_chance(const FleeLocationState& location, bool on_route, bool forced_town_move,
                                        const FleeSettings& s) {
  if (forced_town_move && location.type == FleeLocationType::town) return 1.0;
  if (on_route) return 1.0;
  double chance = base_move_chance(location.type, s);
  if (s.movechance_pop_scale_factor != 0.0) {
    const double size = std::max(location.population, location.capacity);
    chance *= std::pow(size / s.movechance_pop_base, s.movechance_pop_scale_factor);
  }
  return std::clamp(chance, 0.0, 1.0);
}

// A location's attractiveness on `day` (scoring.updateLocationScore): foreign, camp and conflict multipliers.
[[nodiscard]] double location_score(const FleeLocationState& location, int day, const FleeSettings& s);

// 1 below capacity_buffer x scaled capacity, 0 at or above it, linear between (moving.getCapMultiplier).
[[nodiscard]] inline double capacity_multiplier(double agents, double capacity, const FleeSettings& s) {
  const double scaled = capacity * s.capacity_scaling;
  if (scaled < 1.0) return 1.0;  // Flee's -1: no limit (also a camp whose day-0 people used its capacity up)
  if (std::isinf(scaled)) return 1.0;
  if (agents <= s.capacity_buffer * scaled) return 1.0;
  if (agents >= scaled) return 0.0;
  const double residual = agents - s.capacity_buffer * scaled;
  return std::clamp(1.0 - residual / (scaled * (1.0 - s.capacity_buffer)), 0.0, 1.0);
}

// The weight of ending a route at a location of `score` after `route_length_km` (moving.calculateLinkWeight):
// ((weight_softening + score) / (softening + length)^distance_power x capacity multiplier)^weight_power.
[[nodiscard]] double route_weight(double score, double route_length_km, double capacity_multiplier,
                                  const FleeSettings& s);
// The same weight in two parts, so that the part that depends on the route alone is computed once per network:
// route_distance_factor = (softening + length)^distance_power, and route_weight_of_factor gives route_weight's
// value, bit for bit, from it.
[[nodiscard]] double route_distance_factor(double route_length_km, const FleeSettings& s);
[[nodiscard]] double route_weight_of_factor(double score, double distance_factor, double capacity_multiplier,
                                            const FleeSettings& s);

// A location's share of the day's new displaced people (spawning.refresh_spawn_weights): population x intensity x
// decay for conflict zones, 0 elsewhere.
[[nodiscard]] double spawn_weight(const FleeLocationState& location, int day, const FleeSettings& s);

// Whether a person who has just arrived somewhere is pushed on through a town the same day (flee.py finish_travel
// with avoid_short_stints): (recent + moved today / max speed) / 2 < 0.5.
[[nodiscard]] inline bool forced_town_move(double recent_travel, double moved_today_km, const FleeSettings& s) {
  return s.avoid_short_stints && (recent_travel + moved_today_km / s.max_move_speed_km_per_day) / 2.0 < 0.5;
}

// The recent travel distance at the end of a day (flee.py Ecosystem.evolve): (recent + moved today / max speed) / 2.
[[nodiscard]] inline double updated_recent_travel(double recent_travel, double moved_today_km, const FleeSettings& s) {
  return (recent_travel + moved_today_km / s.max_move_speed_km_per_day) / 2.0;
}

// Normalised route probabilities: weights over their sum, equal shares when all are 0 (moving.normalizeWeights),
// after dropping the routes below max / pruning_threshold (moving.pruneRoutes). Writes into `weights`.
void normalise_route_weights(std::span<double> weights, const FleeSettings& s);

}  // namespace flee_rules

}  // namespace haven
