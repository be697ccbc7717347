#include "haven/engine/flee_rules.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace haven {

FleeSettings FleeSettings::from(const ModelParameters& p) {
  FleeSettings s;
  s.max_move_speed_km_per_day = p.flee_max_move_speed_km_per_day;
  s.max_walk_speed_km_per_day = p.flee_max_walk_speed_km_per_day;
  s.start_on_foot = p.flee_start_on_foot >= 0.5;
  s.avoid_short_stints = p.flee_avoid_short_stints >= 0.5;
  s.conflict_movechance = p.flee_conflict_movechance;
  s.camp_movechance = p.flee_camp_movechance;
  s.default_movechance = p.flee_default_movechance;
  s.movechance_pop_base = p.flee_movechance_pop_base;
  s.movechance_pop_scale_factor = p.flee_movechance_pop_scale_factor;
  s.awareness_level = static_cast<int>(std::lround(p.flee_awareness_level));
  s.softening_km = p.flee_softening_km;
  s.weight_softening = p.flee_weight_softening;
  s.distance_power = p.flee_distance_power;
  s.weight_power = p.flee_weight_power;
  s.pruning_threshold = p.flee_pruning_threshold;
  s.camp_weight = p.flee_camp_weight;
  s.conflict_weight = p.flee_conflict_weight;
  s.foreign_weight = p.flee_foreign_weight;
  s.capacity_buffer = p.flee_capacity_buffer;
  s.capacity_scaling = p.flee_capacity_scaling;
  s.insert_day0 = p.flee_insert_day0 >= 0.5;
  // The spawn decay is shared with Haven's given departures (spawn_decay_*, declared with them).
  s.spawn_decay_interval_days = p.spawn_decay_interval_days;
  s.spawn_decay = {p.spawn_decay_1, p.spawn_decay_2, p.spawn_decay_3, p.spawn_decay_4, p.spawn_decay_5};
  return s;
}

namespace flee_rules {

double conflict_decay(int days_since_conflict, const FleeSettings& s) {
  // Python's int() truncates toward 0; a conflict that began "before day 0" (time_of_conflict -1) is 1 day old.
  const auto step = static_cast<long>(static_cast<double>(days_since_conflict) / s.spawn_decay_interval_days);
  const auto last = static_cast<long>(s.spawn_decay.size()) - 1;
  return s.spawn_decay[static_cast<std::size_t>(std::clamp(step, 0L, last))];
}

double location_score(const FleeLocationState& location, int day, const FleeSettings& s) {
  double score = 1.0;
  if (location.foreign) score *= s.foreign_weight;
  if (location.type == FleeLocationType::camp) score *= s.camp_weight;
  if (location.conflict_intensity > 0.0) {
    score *=
        std::pow(s.conflict_weight, conflict_decay(day - location.conflict_start_day, s) * location.conflict_intensity);
  }
  return score;
}

double route_weight(double score, double route_length_km, double capacity_multiplier, const FleeSettings& s) {
  return route_weight_of_factor(score, route_distance_factor(route_length_km, s), capacity_multiplier, s);
}

double route_distance_factor(double route_length_km, const FleeSettings& s) {
  return std::pow(s.softening_km + route_length_km, s.distance_power);
}

double route_weight_of_factor(double score, double distance_factor, double capacity_multiplier, const FleeSettings& s) {
  const double weight = (s.weight_softening + score) / distance_factor * capacity_multiplier;
  return s.weight_power == 1.0 ? weight : std::pow(weight, s.weight_power);
}

double spawn_weight(const FleeLocationState& location, int day, const FleeSettings& s) {
  if (location.conflict_intensity <= 0.0) return 0.0;
  return location.population * location.conflict_intensity * conflict_decay(day - location.conflict_start_day, s);
}

void normalise_route_weights(std::span<double> weights, const FleeSettings& s) {
  if (weights.empty()) return;
  if (s.pruning_threshold >= 1.001) {
    const double floor = *std::max_element(weights.begin(), weights.end()) / s.pruning_threshold;
    for (double& w : weights) {
      if (w < floor) w = 0.0;
    }
  }
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (total > 0.0) {
    for (double& w : weights) w /= total;
  } else {
    std::fill(weights.begin(), weights.end(), 1.0 / static_cast<double>(weights.size()));
  }
}

}  // namespace flee_rules

}  // namespace haven
