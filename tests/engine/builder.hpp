#pragma once
// Builds small scenarios in code for engine tests (faster and clearer than YAML for hand-computed cases).

#include <fmt/format.h>

#include <string>

#include "haven/scenario/scenario.hpp"

namespace haven::test {

class ScenarioBuilder {
 public:
  explicit ScenarioBuilder(int days = 30) {
    s_.name = "test";
    s_.start_date = Date{std::chrono::year{2020}, std::chrono::month{1}, std::chrono::day{1}};
    s_.days = days;
    s_.groups.push_back(Group{"all", 1.0, 1.0, 1.0});
    // Everyone willing to leave at any threat above 0.02 strikes/day (F = 1 - 2^-50 there): the tests built here
    // hand-compute the departure hazard alone; the tests of the willing share (docs/model.md) set their own.
    s_.parameters.leave_threshold_median = 0.01;
    s_.parameters.leave_threshold_shape = 50.0;
  }

  ScenarioBuilder& groups(std::vector<Group> groups) {
    s_.groups = std::move(groups);
    return *this;
  }

  NodeIndex node(const std::string& id, double lat, double lon, std::int64_t population = 0,
                 NodeKind kind = NodeKind::town, std::optional<double> capacity = std::nullopt) {
    Node n;
    n.id = n.name = id;
    n.kind = kind;
    n.lat_deg = lat;
    n.lon_deg = lon;
    n.capacity_people = capacity;
    // Split over groups by share, the remainder to the first group.
    std::int64_t assigned = 0;
    for (const auto& g : s_.groups) {
      n.residents_by_group.push_back(static_cast<std::int64_t>(static_cast<double>(population) * g.share));
      assigned += n.residents_by_group.back();
    }
    n.residents_by_group[0] += population - assigned;
    n.displaced_by_group.assign(s_.groups.size(), 0);
    s_.nodes.push_back(std::move(n));
    return static_cast<NodeIndex>(s_.nodes.size() - 1);
  }

  Node& node_at(NodeIndex i) { return s_.nodes[static_cast<std::size_t>(i)]; }

  CorridorIndex corridor(NodeIndex from, NodeIndex to, double length_km, CorridorKind kind = CorridorKind::road,
                         std::optional<double> capacity_per_day = std::nullopt, bool closed = false) {
    Corridor c;
    c.from = from;
    c.to = to;
    c.id = fmt::format("{}-{}", s_.nodes[static_cast<std::size_t>(from)].id, s_.nodes[static_cast<std::size_t>(to)].id);
    c.length_km = length_km;
    c.kind = kind;
    c.capacity_people_per_day = capacity_per_day;
    c.closed = closed;
    s_.corridors.push_back(c);
    return static_cast<CorridorIndex>(s_.corridors.size() - 1);
  }

  void event(EventAction action, int start_day, std::optional<int> end_day = std::nullopt) {
    Event e;
    e.id = fmt::format("e{}", s_.events.size());
    e.start_day = start_day;
    e.end_day = end_day;
    e.action = std::move(action);
    s_.events.push_back(std::move(e));
  }

  void bombard(NodeIndex node, double intensity, int start_day, std::optional<int> end_day = std::nullopt) {
    Bombardment b;
    b.target.node = node;
    b.intensity_strikes_per_day = intensity;
    event(b, start_day, end_day);
  }

  ModelParameters& parameters() { return s_.parameters; }
  [[nodiscard]] const Scenario& scenario() const { return s_; }
  Scenario& scenario_mut() { return s_; }

 private:
  Scenario s_;
};

}  // namespace haven::test
