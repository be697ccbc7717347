#include "haven/scenario/scenario.hpp"

namespace haven {

std::optional<NodeIndex> Scenario::find_node(std::string_view id) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].id == id) return static_cast<NodeIndex>(i);
  }
  return std::nullopt;
}

std::optional<CorridorIndex> Scenario::find_corridor(std::string_view id) const {
  for (std::size_t i = 0; i < corridors.size(); ++i) {
    if (corridors[i].id == id) return static_cast<CorridorIndex>(i);
  }
  return std::nullopt;
}

double Scenario::total_population() const {
  double total = 0.0;
  for (const auto& node : nodes) {
    for (auto count : node.residents_by_group) total += static_cast<double>(count);
    for (auto count : node.displaced_by_group) total += static_cast<double>(count);
  }
  return total;
}

bool rule_set_reads(const Scenario& scenario, std::string_view name) noexcept {
  const bool flees = name.starts_with("flee_");
  const bool spawn_decay = name.starts_with("spawn_decay_");
  if (scenario.rules == RuleSetKind::flee) return flees || spawn_decay;
  return !flees && (!spawn_decay || scenario.departures.mode == DepartureMode::given);
}

const char* to_string(NodeKind kind) noexcept {
  return node_kind_names[static_cast<std::size_t>(kind)].data();
}
const char* to_string(CorridorKind kind) noexcept {
  return corridor_kind_names[static_cast<std::size_t>(kind)].data();
}
const char* event_kind_name(const EventAction& action) noexcept {
  return event_kind_names[action.index()].data();
}

}  // namespace haven
