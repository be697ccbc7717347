#pragma once
// Internal: what scenario events do when they start and end, and the node state they change besides threat:
// who controls each node (as a side number, so that deciding compares integers), shelter capacity, which
// corridors and borders are open (held by the RoadNetwork) and which evacuations are in force. A new event kind
// is added here (and in the ThreatField if it changes threat), nowhere else in the engine.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine_common.hpp"
#include "haven/engine/network.hpp"
#include "threat_field.hpp"

namespace haven::engine {

class ScenarioEvents {
 public:
  ScenarioEvents(const Scenario& scenario, RoadNetwork& network, ThreatField& threat, const EventLog& log);

  // Scenario event `e` starts (`starting`) or ends now; logged to the observers.
  void apply(std::uint32_t e, bool starting);
  // Takes which events `saved` has in force and what they did to sides and capacities (Simulation::resume_from);
  // `saved` served a scenario whose events before the day it was saved on are this one's, at the same indices.
  void adopt(const ScenarioEvents& saved) {
    control_ = saved.control_;
    side_ = saved.side_;
    initial_side_ = saved.initial_side_;
    side_names_ = saved.side_names_;
    capacity_ = saved.capacity_;
    corridor_layers_ = saved.corridor_layers_;
    node_layers_ = saved.node_layers_;
    capacity_layers_ = saved.capacity_layers_;
    admit_layers_ = saved.admit_layers_;
    conflict_layers_ = saved.conflict_layers_;
    redirection_layers_ = saved.redirection_layers_;
    active_evacuations_ = saved.active_evacuations_;
  }

  // Control as a number per side (-1: uncontested); initial_side() is day 0's.
  [[nodiscard]] std::int32_t side(std::size_t node) const { return side_[node]; }
  [[nodiscard]] std::int32_t initial_side(std::size_t node) const { return initial_side_[node]; }
  [[nodiscard]] const std::vector<std::int32_t>& sides() const noexcept { return side_; }
  [[nodiscard]] const std::string& control(std::size_t node) const { return control_[node]; }
  // Shelter capacity in people (infinite where people pass through).
  [[nodiscard]] double capacity(std::size_t node) const { return capacity_[node]; }
  [[nodiscard]] const std::vector<double>& capacities() const noexcept { return capacity_; }
  // False while a camp_closure holds the node: nobody may choose it as a destination.
  [[nodiscard]] bool admits(std::size_t node) const { return admit_layers_[node].empty(); }
  // The armed conflict at the node (the latest still in force): its intensity (0: none) and the day it began.
  [[nodiscard]] double conflict_intensity(std::size_t node) const;
  [[nodiscard]] int conflict_start_day(std::size_t node) const;
  // True while the corridor's forced_redirection is in force (no redirection_end holds it).
  [[nodiscard]] bool redirecting(CorridorIndex corridor) const;
  // A transit node without a capacity (none given, none in force from a capacity_change) is only a junction:
  // never a destination, and whoever ends up there (stranded, or displaced there on day 0) moves on as soon as
  // anywhere can be reached, counted as unsheltered meanwhile. `capacity: unlimited` makes it a host.
  [[nodiscard]] bool passes_through(std::size_t node) const {
    return s_.nodes[node].kind == NodeKind::transit && !s_.nodes[node].capacity_people &&
           capacity_layers_[node].empty();
  }
  // Evacuation events in force, in the order they started.
  [[nodiscard]] const std::vector<std::uint32_t>& active_evacuations() const noexcept { return active_evacuations_; }

 private:
  // Overlapping windows on the same corridor, border or capacity stack: the latest event still in force decides,
  // and when none is, the scenario's own value holds again.
  using Layers = std::vector<std::pair<std::uint32_t, double>>;  // (event, value), oldest first
  [[nodiscard]] double base_capacity(std::size_t node) const;
  std::int32_t side_id(const std::string& control);
  // Adds or removes event e's layer on a corridor and sets the network's state; true if it is now open.
  bool layer_corridor(CorridorIndex corridor, std::uint32_t e, bool starting, bool opening);
  // Whether another capture of `node` is in force on the day capture `e` ends (the fighting for it is not over).
  [[nodiscard]] bool fighting_goes_on(std::uint32_t e, NodeIndex node) const;
  // At the end of capture `e` of `node`: the node's closed corridors open again.
  void reopen_roads(std::uint32_t e, NodeIndex node);

  const Scenario& s_;
  RoadNetwork& network_;
  ThreatField& threat_;
  const EventLog& log_;
  std::vector<std::string> control_;
  std::vector<std::int32_t> side_;
  std::vector<std::int32_t> initial_side_;
  std::vector<std::string> side_names_;
  std::vector<double> capacity_;
  std::vector<Layers> corridor_layers_;
  std::vector<Layers> node_layers_;
  std::vector<Layers> capacity_layers_;
  std::vector<Layers> admit_layers_;        // camp closures in force per node
  std::vector<Layers> conflict_layers_;     // (event, intensity) of armed conflicts in force per node
  std::vector<Layers> redirection_layers_;  // redirection_end events in force per corridor
  std::vector<std::uint32_t> active_evacuations_;
};

}  // namespace haven::engine
