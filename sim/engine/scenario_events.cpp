#include "scenario_events.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "haven/engine/simulation.hpp"

namespace haven {

double starting_capacity_people(const Scenario& scenario, std::size_t node_index) {
  const auto& node = scenario.nodes.at(node_index);
  if (scenario.rules == RuleSetKind::flee) {
    // Only camps have a capacity in Flee, scaled by flee_capacity_scaling (sim/engine/flee_run.cpp).
    return node.kind == NodeKind::camp && node.capacity_people && std::isfinite(*node.capacity_people)
               ? *node.capacity_people * scenario.parameters.flee_capacity_scaling
               : std::numeric_limits<double>::infinity();
  }
  if (node.capacity_people) return *node.capacity_people;
  // People pass through crossings and transit points or leave the modelled area: no shelter limit there.
  if (node.kind == NodeKind::external || node.kind == NodeKind::border_crossing || node.kind == NodeKind::transit) {
    return std::numeric_limits<double>::infinity();
  }
  double population = 0.0;
  for (auto count : node.residents_by_group) population += static_cast<double>(count);
  for (auto count : node.displaced_by_group) population += static_cast<double>(count);
  return population * scenario.parameters.default_capacity_factor;
}

}  // namespace haven

namespace haven::engine {

ScenarioEvents::ScenarioEvents(const Scenario& scenario, RoadNetwork& network, ThreatField& threat, const EventLog& log)
    : s_(scenario),
      network_(network),
      threat_(threat),
      log_(log),
      corridor_layers_(scenario.corridors.size()),
      node_layers_(scenario.nodes.size()),
      capacity_layers_(scenario.nodes.size()),
      admit_layers_(scenario.nodes.size()),
      conflict_layers_(scenario.nodes.size()),
      redirection_layers_(scenario.corridors.size()) {
  const auto n = s_.nodes.size();
  control_.resize(n);
  capacity_.resize(n);
  side_.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    control_[i] = s_.nodes[i].control;
    capacity_[i] = base_capacity(i);
  }
  for (std::size_t i = 0; i < n; ++i) side_[i] = side_id(control_[i]);
  initial_side_ = side_;
}

double ScenarioEvents::base_capacity(std::size_t i) const {
  return starting_capacity_people(s_, i);
}

bool ScenarioEvents::fighting_goes_on(std::uint32_t e, NodeIndex node) const {
  // Another capture of the node in force on the day this one ends (begun before, or beginning that day: a town
  // retaken the day its last fighting ended) means the fighting for it is not over, and its roads stay as they are.
  const int day = *s_.events[e].end_day;
  for (std::size_t k = 0; k < s_.events.size(); ++k) {
    const Event& other = s_.events[k];
    const auto* capture = std::get_if<Capture>(&other.action);
    if (k == e || capture == nullptr || capture->node != node) continue;
    if (other.start_day <= day && (!other.end_day || *other.end_day > day)) return true;
  }
  return false;
}

void ScenarioEvents::reopen_roads(std::uint32_t e, NodeIndex node) {
  // The fighting for the node is over: its closed roads open again (as a corridor_opening from now on, which a later
  // closure overrides), so that a captured node whose roads were closed does not hold its people for good. Not a
  // road to a place another side holds: that is the front line, and it stays as it is (docs/model.md, "capture").
  for (std::size_t c = 0; c < s_.corridors.size(); ++c) {
    const auto& corridor = s_.corridors[c];
    if (corridor.from != node && corridor.to != node) continue;
    const NodeIndex other = corridor.from == node ? corridor.to : corridor.from;
    if (side_[at(node)] >= 0 && side_[at(other)] >= 0 && side_[at(other)] != side_[at(node)]) continue;
    const auto& layers = corridor_layers_[c];
    const bool open = layers.empty() ? !corridor.closed : layers.back().second > 0.0;
    if (!open) {
      layer_corridor(static_cast<CorridorIndex>(c), e, true, true);
      // Said in the log (as closures and openings are), so that what reads the run knows the road is open again.
      log_("corridor_reopened", s_.events[e].id, node, static_cast<CorridorIndex>(c), 1.0);
    }
  }
}

std::int32_t ScenarioEvents::side_id(const std::string& control) {
  if (control.empty()) return -1;
  auto it = std::find(side_names_.begin(), side_names_.end(), control);
  if (it != side_names_.end()) return static_cast<std::int32_t>(it - side_names_.begin());
  side_names_.push_back(control);
  return static_cast<std::int32_t>(side_names_.size() - 1);
}

void ScenarioEvents::apply(std::uint32_t e, bool starting) {
  const Event& event = s_.events[e];
  const std::string kind = std::string(event_kind_name(event.action)) + (starting ? "_start" : "_end");
  auto remove_layer = [](Layers& layers, std::uint32_t event_index) {
    layers.erase(std::remove_if(layers.begin(), layers.end(), [&](const auto& l) { return l.first == event_index; }),
                 layers.end());
  };
  std::visit(
      [&](const auto& action) {
        using T = std::decay_t<decltype(action)>;
        if constexpr (std::is_same_v<T, Bombardment>) {
          threat_.set_bombardment(e, starting);
          log_(kind, event.id, action.target.node, -1, action.intensity_strikes_per_day);
        } else if constexpr (std::is_same_v<T, Capture>) {
          if (starting) {
            control_[at(action.node)] = action.by;
            side_[at(action.node)] = side_id(action.by);
            threat_.add_front_line(action.node);
          } else {
            threat_.remove_front_line(action.node);
            if (!fighting_goes_on(e, action.node)) reopen_roads(e, action.node);
          }
          log_(kind, event.id, action.node, -1, 0.0);
        } else if constexpr (std::is_same_v<T, CorridorClosure> || std::is_same_v<T, CorridorOpening>) {
          const bool now_open = layer_corridor(action.corridor, e, starting, std::is_same_v<T, CorridorOpening>);
          log_(kind, event.id, no_node, action.corridor, now_open ? 1.0 : 0.0);
        } else if constexpr (std::is_same_v<T, ArmedConflict>) {
          threat_.set_bombardment(e, starting);
          auto& layers = conflict_layers_[at(action.node)];
          starting ? layers.push_back({e, action.intensity}) : remove_layer(layers, e);
          log_(kind, event.id, action.node, -1, action.intensity);
        } else if constexpr (std::is_same_v<T, CampClosure>) {
          auto& layers = admit_layers_[at(action.node)];
          starting ? layers.push_back({e, 0.0}) : remove_layer(layers, e);
          log_(kind, event.id, action.node, -1, admits(at(action.node)) ? 1.0 : 0.0);
        } else if constexpr (std::is_same_v<T, CountryClosure>) {
          // Every corridor between the two countries, in both directions (Flee's two-way border closure).
          double closed = 0.0;
          for (std::size_t c = 0; c < s_.corridors.size(); ++c) {
            if (joins_countries(s_, s_.corridors[c].from, s_.corridors[c].to, action)) {
              layer_corridor(static_cast<CorridorIndex>(c), e, starting, false);
              closed += 1.0;
            }
          }
          log_(kind, event.id, no_node, -1, closed);
        } else if constexpr (std::is_same_v<T, RedirectionEnd>) {
          auto& layers = redirection_layers_[static_cast<std::size_t>(action.corridor)];
          starting ? layers.push_back({e, 0.0}) : remove_layer(layers, e);
          log_(kind, event.id, no_node, action.corridor, redirecting(action.corridor) ? 1.0 : 0.0);
        } else if constexpr (std::is_same_v<T, BorderClosure> || std::is_same_v<T, BorderOpening>) {
          auto& layers = node_layers_[at(action.node)];
          const bool open = std::is_same_v<T, BorderOpening>;
          starting ? layers.push_back({e, open ? 1.0 : 0.0}) : remove_layer(layers, e);
          const bool now_open = layers.empty() ? !s_.nodes[at(action.node)].closed : layers.back().second > 0.0;
          network_.set_node_open(action.node, now_open);
          log_(kind, event.id, action.node, -1, now_open ? 1.0 : 0.0);
        } else if constexpr (std::is_same_v<T, Ceasefire>) {
          threat_.set_ceasefire(e, starting);
          log_(kind, event.id, action.area.node, -1, 0.0);
        } else if constexpr (std::is_same_v<T, CapacityChange>) {
          auto& layers = capacity_layers_[at(action.node)];
          starting ? layers.push_back({e, action.capacity_people}) : remove_layer(layers, e);
          capacity_[at(action.node)] = layers.empty() ? base_capacity(at(action.node)) : layers.back().second;
          log_(kind, event.id, action.node, -1, capacity_[at(action.node)]);
        } else if constexpr (std::is_same_v<T, Evacuation>) {
          if (starting) {
            active_evacuations_.push_back(e);
          } else {
            active_evacuations_.erase(std::remove(active_evacuations_.begin(), active_evacuations_.end(), e),
                                      active_evacuations_.end());
          }
          log_(kind, event.id, action.from, -1, action.rate_people_per_day);
        }
      },
      event.action);
}

bool ScenarioEvents::layer_corridor(CorridorIndex corridor, std::uint32_t e, bool starting, bool opening) {
  auto& layers = corridor_layers_[static_cast<std::size_t>(corridor)];
  if (starting) {
    layers.push_back({e, opening ? 1.0 : 0.0});
  } else {
    layers.erase(std::remove_if(layers.begin(), layers.end(), [&](const auto& l) { return l.first == e; }),
                 layers.end());
  }
  const bool now_open =
      layers.empty() ? !s_.corridors[static_cast<std::size_t>(corridor)].closed : layers.back().second > 0.0;
  network_.set_corridor_open(corridor, now_open);
  return now_open;
}

double ScenarioEvents::conflict_intensity(std::size_t node) const {
  const auto& layers = conflict_layers_[node];
  return layers.empty() ? 0.0 : layers.back().second;
}

int ScenarioEvents::conflict_start_day(std::size_t node) const {
  const auto& layers = conflict_layers_[node];
  return layers.empty() ? 0 : s_.events[layers.back().first].start_day;
}

bool ScenarioEvents::redirecting(CorridorIndex corridor) const {
  const auto c = static_cast<std::size_t>(corridor);
  return s_.corridors[c].forced_redirection && redirection_layers_[c].empty();
}

}  // namespace haven::engine
