#include "threat_field.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "haven/engine/network.hpp"
#include "spatial_index.hpp"

namespace haven::engine {

ThreatField::ThreatField(const Scenario& scenario, const RuleSet& rules)
    : s_(scenario), p_(scenario.parameters), rules_(rules) {
  const auto n = s_.nodes.size();
  threat_ = Eigen::VectorXd::Zero(idx(n));
  safe_days_.assign(n, 0);
  front_line_.assign(n, 0);
  footprints_.resize(s_.events.size());
  aim_points_.resize(s_.events.size(), {0.0, 0.0});
  SpatialIndex index(s_.nodes);
  const double reach_beyond_radius_km = strike_reach_beyond_radius_km(p_.threat_kernel_km);
  for (std::size_t e = 0; e < s_.events.size(); ++e) {
    // Armed conflict at a node exposes it as strikes on the node would (docs/model.md, armed conflict).
    Area target;
    if (const auto* b = std::get_if<Bombardment>(&s_.events[e].action)) {
      target = b->target;
    } else if (const auto* a = std::get_if<ArmedConflict>(&s_.events[e].action)) {
      target.node = a->node;
    } else {
      continue;
    }
    const auto [lat, lon] = area_point(target);
    aim_points_[e] = {lat, lon};
    for (NodeIndex i : index.within(lat, lon, target.radius_km + reach_beyond_radius_km)) {
      const auto& node = s_.nodes[at(i)];
      const double distance = i == target.node ? 0.0 : great_circle_km(lat, lon, node.lat_deg, node.lon_deg);
      const double weight = rules_.strike_kernel(distance, target.radius_km, p_);
      if (weight >= negligible_kernel_weight) footprints_[e].emplace_back(i, weight);
    }
  }
}

namespace {
void set_active(std::vector<std::uint32_t>& list, std::uint32_t e, bool active) {
  if (active) {
    list.push_back(e);
  } else {
    list.erase(std::remove(list.begin(), list.end(), e), list.end());
  }
}
}  // namespace

void ThreatField::set_bombardment(std::uint32_t e, bool active) {
  set_active(active_bombardments_, e, active);
}
void ThreatField::set_ceasefire(std::uint32_t e, bool active) {
  set_active(active_ceasefires_, e, active);
}

std::pair<double, double> ThreatField::area_point(const Area& area) const {
  if (area.node != no_node) return {s_.nodes[at(area.node)].lat_deg, s_.nodes[at(area.node)].lon_deg};
  return {area.lat_deg.value_or(0.0), area.lon_deg.value_or(0.0)};
}

bool ThreatField::ceasefire_covers(double lat, double lon) const {
  for (auto e : active_ceasefires_) {
    const auto& area = std::get<Ceasefire>(s_.events[e].action).area;
    if (area.node == no_node && !area.lat_deg) return true;  // everywhere
    const auto [clat, clon] = area_point(area);
    if (great_circle_km(lat, lon, clat, clon) <= area.radius_km + 1e-9) return true;
  }
  return false;
}

void ThreatField::update(int threads) {
  const auto n = s_.nodes.size();
  exposure_.assign(n, 0.0);
  for (auto e : active_bombardments_) {
    const auto& action = s_.events[e].action;
    double intensity = std::holds_alternative<Bombardment>(action)
                           ? std::get<Bombardment>(action).intensity_strikes_per_day
                           : std::get<ArmedConflict>(action).intensity * p_.armed_conflict_strikes_per_day;
    if (ceasefire_covers(aim_points_[e].first, aim_points_[e].second)) intensity *= 1.0 - p_.ceasefire_compliance;
    for (const auto& [node, weight] : footprints_[e]) exposure_[at(node)] += intensity * weight;
  }
  // Each node's update reads and writes only its own state: in parallel on large networks, same values.
  const auto nodes = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static) num_threads(threads) if (nodes > 4096)
  for (std::int64_t k = 0; k < nodes; ++k) {
    const auto i = static_cast<std::size_t>(k);
    if (front_line_[i] > 0) {
      const double suppression =
          ceasefire_covers(s_.nodes[i].lat_deg, s_.nodes[i].lon_deg) ? 1.0 - p_.ceasefire_compliance : 1.0;
      exposure_[i] += p_.front_line_threat * suppression;
    }
    threat_[idx(i)] = rules_.updated_threat(threat_[idx(i)], exposure_[i], p_);
    safe_days_[i] = rules_.is_safe(threat_[idx(i)], p_) ? safe_days_[i] + 1 : 0;
  }
}

}  // namespace haven::engine
