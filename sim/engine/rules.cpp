#include "haven/engine/rules.hpp"

#include <cmath>
#include <limits>

namespace haven {

double DefaultRules::strike_kernel(double distance_km, double radius_km, const ModelParameters& p) const {
  if (distance_km <= radius_km) return 1.0;
  return std::exp(-(distance_km - radius_km) / p.threat_kernel_km);
}

double DefaultRules::updated_threat(double previous_threat, double exposure, const ModelParameters& p) const {
  // People wait to see whether bombardment lasts: felt threat closes the gap to a higher exposure by the fraction
  // 1 - exp(-1/threat_onset_days) a day, so a burst of a few days moves few and weeks of it empty a town (Sept 2018
  // against Dec 2019). Once strikes stop or lessen, the memory of them fades with time constant threat_memory_days.
  if (exposure > previous_threat && p.threat_onset_days > 0.0) {
    return previous_threat + (exposure - previous_threat) * -std::expm1(-1.0 / p.threat_onset_days);
  }
  return std::max(exposure, previous_threat * std::exp(-1.0 / p.threat_memory_days));
}

double DefaultRules::threat_hazard_per_day(double threat, const ModelParameters& p) {
  if (threat <= 0.0) return 0.0;
  return p.max_departure_rate_per_day * threat / (threat + p.threat_half_saturation);
}

double DefaultRules::leave_probability(double threat, double group_departure_factor, const ModelParameters& p) const {
  return 1.0 - std::exp(-threat_hazard_per_day(threat, p) * group_departure_factor);
}

double DefaultRules::willing_fraction(double threat, const ModelParameters& p) const {
  // Log-logistic thresholds: F(T) = T^k / (T^k + median^k), written as 1 / (1 + (median / T)^k) so that large
  // shapes do not overflow.
  if (threat <= 0.0) return 0.0;
  return 1.0 / (1.0 + std::pow(p.leave_threshold_median / threat, p.leave_threshold_shape));
}

double DefaultRules::onward_probability(double threat, double group_departure_factor, NodeKind host_kind,
                                        const ModelParameters& p) const {
  double hazard =
      p.onward_threat_factor * threat_hazard_per_day(threat, p) * group_departure_factor + p.onward_base_rate_per_day;
  if (host_kind == NodeKind::camp) hazard *= p.camp_stay_factor;
  // People who crossed the border stay outside the modelled area.
  if (host_kind == NodeKind::external) hazard = 0.0;
  return 1.0 - std::exp(-hazard);
}

double DefaultRules::kind_attractiveness(NodeKind kind, const ModelParameters& p) {
  switch (kind) {
    case NodeKind::town:
      return p.attractiveness_town;
    case NodeKind::city:
      return p.attractiveness_city;
    case NodeKind::camp:
      return p.attractiveness_camp;
    case NodeKind::border_crossing:
      return p.attractiveness_border_crossing;
    case NodeKind::transit:
      return p.attractiveness_transit;
    case NodeKind::external:
      return p.attractiveness_external;
  }
  return 0.0;
}

double DefaultRules::safety_and_room(const DestinationState& d, const ModelParameters& p) {
  const double safety = std::exp(-d.threat_strikes_per_day / p.safety_scale);
  double crowding = 1.0;
  if (std::isfinite(d.capacity_people)) {
    // Logistic in occupancy/capacity: ~1 when empty, 1/2 at capacity, falling fast beyond it.
    const double occupancy_ratio = d.occupancy_people / std::max(d.capacity_people, 1.0);
    crowding = 1.0 / (1.0 + std::exp((occupancy_ratio - 1.0) / p.crowding_softness));
  }
  return safety * crowding;
}

double DefaultRules::destination_appeal(const DestinationState& d, const ModelParameters& p) const {
  return kind_attractiveness(d.kind, p) * safety_and_room(d, p);
}

bool DefaultRules::is_refuge(const DestinationState& d, const ModelParameters& p) const {
  return kind_attractiveness(d.kind, p) > 0.0 && safety_and_room(d, p) >= refuge_min_safety_and_room;
}

double DefaultRules::route_factor(double road_distance_km, bool held_by_other_side, const ModelParameters& p) const {
  // A power law in the softened distance: twice as far costs the same factor on 5 km and on 250 km roads, so the
  // rule holds on a province's network and on a country's (issue 13). An exponential with a fixed scale made every
  // destination beyond a few scales vanish on Flee's coarse networks.
  const double distance_factor = std::pow(1.0 + road_distance_km / p.distance_scale_km, -p.distance_power);
  return distance_factor * (held_by_other_side ? p.cross_line_attractiveness : 1.0);
}

double DefaultRules::return_probability(int safe_days_at_origin, const ModelParameters& p) const {
  // Nobody goes home to a place that is not safe today, whatever the delay.
  if (safe_days_at_origin < 1 || static_cast<double>(safe_days_at_origin) < p.return_delay_days) return 0.0;
  return 1.0 - std::exp(-p.return_rate_per_day);
}

bool DefaultRules::is_safe(double threat, const ModelParameters& p) const {
  return threat < p.return_threat_threshold;
}

}  // namespace haven
