#pragma once
// The resolution test's map, cut finer (issue 13): every node of a scenario becomes `parts` nodes at the same
// place, holding its people split equally, joined to each other by roads of length 0, with every original corridor
// between the first parts of its ends (so the roads between places are the same roads, with the same capacities).
// Events follow the places they name: a capture, closure, capacity change, camp closure or evacuation applies to
// every part (capacities and rates split equally); armed conflict is split into one event per part at 1/parts of
// the intensity, so that each part feels the same threat (the exposures of a place add up) and given departures
// come from every part in proportion to its residents; bombardments and ceasefires are areas on the map and cover
// the parts as they covered the node. Observations of a node become observations of the sum over its parts.

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <variant>
#include <vector>

#include "haven/scenario/scenario.hpp"

namespace haven::test {

inline Scenario split_every_node(const Scenario& s, int parts) {
  Scenario out = s;
  const auto n = static_cast<NodeIndex>(s.nodes.size());
  auto part = [&](NodeIndex node, int p) { return p == 0 ? node : static_cast<NodeIndex>(n * p + node); };
  auto share = [&](std::int64_t people, int p) {  // equal shares, the remainder to the first parts
    return people / parts + (p < people % parts ? 1 : 0);
  };
  out.nodes.clear();
  out.nodes.reserve(s.nodes.size() * static_cast<std::size_t>(parts));
  for (int p = 0; p < parts; ++p) {
    for (const Node& original : s.nodes) {
      Node node = original;
      if (p > 0) node.id = fmt::format("{}__part{}", original.id, p);
      for (auto& r : node.residents_by_group) r = share(r, p);
      for (auto& d : node.displaced_by_group) d = share(d, p);
      if (node.capacity_people && std::isfinite(*node.capacity_people)) *node.capacity_people /= parts;
      out.nodes.push_back(std::move(node));
    }
  }
  // Original corridors keep their indices (events name them), joined at the first parts; forced redirections
  // leave from every part, so that whoever arrives at any part of the place is sent on.
  for (const Corridor& c : s.corridors) {
    if (!c.forced_redirection) continue;
    for (int p = 1; p < parts; ++p) {
      Corridor extra = c;
      extra.id = fmt::format("{}__part{}", c.id, p);
      extra.from = part(c.from, p);
      out.corridors.push_back(std::move(extra));
    }
  }
  for (NodeIndex i = 0; i < n; ++i) {
    for (int p = 0; p < parts; ++p) {
      for (int q = p + 1; q < parts; ++q) {
        Corridor link;
        link.id = fmt::format("{}__link{}_{}", s.nodes[static_cast<std::size_t>(i)].id, p, q);
        link.from = part(i, p);
        link.to = part(i, q);
        link.length_km = 0.0;
        link.kind = CorridorKind::road;
        out.corridors.push_back(std::move(link));
      }
    }
  }
  out.events.clear();
  for (const Event& e : s.events) {
    auto each_part = [&](auto make) {
      for (int p = 0; p < parts; ++p) {
        Event copy = e;
        if (p > 0) copy.id = fmt::format("{}__part{}", e.id, p);
        copy.action = make(p);
        out.events.push_back(std::move(copy));
      }
    };
    std::visit(
        [&](const auto& action) {
          using T = std::decay_t<decltype(action)>;
          if constexpr (std::is_same_v<T, Capture> || std::is_same_v<T, BorderClosure> ||
                        std::is_same_v<T, BorderOpening> || std::is_same_v<T, CampClosure>) {
            each_part([&](int p) {
              T a = action;
              a.node = part(action.node, p);
              return EventAction{a};
            });
          } else if constexpr (std::is_same_v<T, CapacityChange>) {
            each_part([&](int p) {
              T a = action;
              a.node = part(action.node, p);
              a.capacity_people = action.capacity_people / parts;
              return EventAction{a};
            });
          } else if constexpr (std::is_same_v<T, ArmedConflict>) {
            each_part([&](int p) {
              T a = action;
              a.node = part(action.node, p);
              a.intensity = action.intensity / parts;
              return EventAction{a};
            });
          } else if constexpr (std::is_same_v<T, Evacuation>) {
            each_part([&](int p) {
              T a = action;
              a.from = part(action.from, p);
              a.to = part(action.to, p);
              a.rate_people_per_day = action.rate_people_per_day / parts;
              return EventAction{a};
            });
          } else {
            out.events.push_back(e);  // areas on the map, corridors (same indices), countries
          }
        },
        e.action);
  }
  for (Observation& o : out.observations) {
    std::vector<NodeIndex> nodes = o.node != no_node ? std::vector<NodeIndex>{o.node} : o.nodes;
    if (nodes.empty()) continue;
    o.node = no_node;
    o.nodes.clear();
    for (NodeIndex node : nodes) {
      for (int p = 0; p < parts; ++p) o.nodes.push_back(part(node, p));
    }
  }
  out.outputs.nodes.clear();
  return out;
}

}  // namespace haven::test
