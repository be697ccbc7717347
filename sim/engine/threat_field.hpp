#pragma once
// Internal: the threat field. What bombardments, front lines and ceasefires do to each node: today's exposure,
// the threat people feel (with its memory, RuleSet::updated_threat) and how many days in a row a node has been
// safe (what returns wait for). Knows nothing of people.

#include <cstdint>
#include <utility>
#include <vector>

#include "engine_common.hpp"
#include "haven/engine/rules.hpp"

namespace haven::engine {

class ThreatField {
 public:
  // Each bombardment's footprint (nodes within the kernel's reach, with their weights) is computed here, once.
  ThreatField(const Scenario& scenario, const RuleSet& rules);

  // Scenario event `e` (a bombardment or armed conflict, a ceasefire) starts or ends.
  void set_bombardment(std::uint32_t e, bool active);
  void set_ceasefire(std::uint32_t e, bool active);
  // A capture makes `node` a front line while it lasts (captures may overlap).
  void add_front_line(NodeIndex node) { ++front_line_[at(node)]; }
  void remove_front_line(NodeIndex node) { --front_line_[at(node)]; }

  // Today's exposure, threat and safe days from the events in force; each node in parallel on large networks.
  void update(int threads);
  // Takes `saved`'s threat, exposure, front lines and the events in force (Simulation::resume_from); each event's
  // footprint stays this scenario's own.
  void adopt(const ThreatField& saved) {
    threat_ = saved.threat_;
    exposure_ = saved.exposure_;
    safe_days_ = saved.safe_days_;
    front_line_ = saved.front_line_;
    active_bombardments_ = saved.active_bombardments_;
    active_ceasefires_ = saved.active_ceasefires_;
  }

  [[nodiscard]] const Eigen::VectorXd& threat() const noexcept { return threat_; }
  [[nodiscard]] double threat_at(std::size_t node) const { return threat_[idx(node)]; }
  [[nodiscard]] int safe_days(std::size_t node) const { return safe_days_[node]; }
  [[nodiscard]] const std::vector<std::pair<NodeIndex, double>>& footprint(std::uint32_t e) const {
    return footprints_[e];
  }

 private:
  [[nodiscard]] bool ceasefire_covers(double lat, double lon) const;
  [[nodiscard]] std::pair<double, double> area_point(const Area& area) const;

  const Scenario& s_;
  const ModelParameters& p_;
  const RuleSet& rules_;
  Eigen::VectorXd threat_;
  std::vector<double> exposure_;
  std::vector<int> safe_days_;
  std::vector<int> front_line_;
  std::vector<std::uint32_t> active_bombardments_;
  std::vector<std::uint32_t> active_ceasefires_;
  std::vector<std::vector<std::pair<NodeIndex, double>>> footprints_;
  std::vector<std::pair<double, double>> aim_points_;
};

}  // namespace haven::engine
