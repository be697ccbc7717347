#include <fmt/format.h>

#include <cmath>

#include "haven/engine/simulation.hpp"
#include "haven/serve/session.hpp"
#include "haven/util/date.hpp"

namespace haven::serve {

std::string Session::value_now(const std::string& path) const {
  return value_in(scenario_, path);
}

std::string Session::value_in(const Scenario& s, const std::string& path) {
  const auto number = [](double value) {
    return std::isinf(value) ? std::string("unlimited") : fmt::format("{}", value);
  };
  if (path.starts_with("parameters.")) {
    const std::string name = path.substr(std::string_view("parameters.").size());
    const double* value = s.parameters.find(name);
    if (!value) return {};
    return number(*value);
  }
  // section.id.key, the id without dots (plain_id).
  const auto first = path.find('.');
  const auto last = path.rfind('.');
  if (first == std::string::npos || last == first) return {};
  const std::string section = path.substr(0, first);
  const std::string id = path.substr(first + 1, last - first - 1);
  const std::string key = path.substr(last + 1);
  if (section == "nodes" && (key == "population" || key == "displaced")) {
    for (const auto& node : s.nodes) {
      if (node.id != id) continue;
      std::int64_t people = 0;
      for (const auto count : key == "population" ? node.residents_by_group : node.displaced_by_group) people += count;
      return fmt::format("{}", people);
    }
  } else if (section == "nodes" && key == "capacity") {
    for (const auto& node : s.nodes) {
      if (node.id != id) continue;
      // A place without a capacity of its own: what the rules give it, said as a default.
      const double given = starting_capacity_people(s, static_cast<std::size_t>(&node - s.nodes.data()));
      // Under Flee's rules only a camp's capacity limits anyone (scaled by flee_capacity_scaling, which the edit
      // does not set); a given one elsewhere is said as not limiting.
      if (node.capacity_people && (s.rules != RuleSetKind::flee || node.kind == NodeKind::camp))
        return number(*node.capacity_people);
      if (node.capacity_people) return "unlimited (Flee's rules limit only camps)";
      return fmt::format("{} by default", std::isinf(given) ? std::string("unlimited") : fmt::format("{:.0f}", given));
    }
  } else if (section == "nodes") {
    for (const auto& node : s.nodes) {
      if (node.id != id) continue;
      if (key == "closed") return node.closed ? "true" : "false";
      if (key == "lat") return number(node.lat_deg);
      if (key == "lon") return number(node.lon_deg);
      if (key == "kind") return to_string(node.kind);
      if (key == "control") return node.control.empty() ? "none" : node.control;
      if (key == "name") return node.name;
    }
  } else if (section == "groups") {
    for (const auto& group : s.groups) {
      if (group.id != id) continue;
      if (key == "share") return number(group.share);
      if (key == "departure_factor") return number(group.departure_factor);
      if (key == "speed_factor") return number(group.speed_factor);
    }
  } else if (section == "corridors") {
    for (const auto& corridor : s.corridors) {
      if (corridor.id != id) continue;
      if (key == "closed") return corridor.closed ? "true" : "false";
      if (key == "capacity_people_per_day")
        return corridor.capacity_people_per_day ? number(*corridor.capacity_people_per_day) : "none";
    }
  } else if (section == "events") {
    for (const auto& event : s.events) {
      if (event.id != id) continue;
      if (key == "date") return format_iso_date(add_days(s.start_date, event.start_day));
      if (key == "day") return fmt::format("{}", event.start_day);
      if (key == "duration_days") return event.end_day ? fmt::format("{}", *event.end_day - event.start_day) : "";
      // Where a bombardment or ceasefire is aimed: a place, or a point.
      const Area* area = nullptr;
      if (const auto* b = std::get_if<Bombardment>(&event.action)) area = &b->target;
      if (const auto* c = std::get_if<Ceasefire>(&event.action)) area = &c->area;
      if (area && key == "node")
        return area->node != no_node ? s.nodes[static_cast<std::size_t>(area->node)].id : "a point";
      if (area && (key == "lat" || key == "lon")) {
        const auto& given = key == "lat" ? area->lat_deg : area->lon_deg;
        if (given) return number(*given);
        if (area->node != no_node) {
          const auto& place = s.nodes[static_cast<std::size_t>(area->node)];
          return fmt::format("{} ({})", number(key == "lat" ? place.lat_deg : place.lon_deg), place.id);
        }
      }
      if (key == "radius_km") {
        if (const auto* b = std::get_if<Bombardment>(&event.action)) return number(b->target.radius_km);
        if (const auto* c = std::get_if<Ceasefire>(&event.action)) return number(c->area.radius_km);
      }
      if (key == "until")
        return event.end_day ? format_iso_date(add_days(s.start_date, *event.end_day - 1)) : "open-ended";
      if (key == "intensity") {
        if (const auto* b = std::get_if<Bombardment>(&event.action)) return number(b->intensity_strikes_per_day);
        if (const auto* a = std::get_if<ArmedConflict>(&event.action)) return number(a->intensity);
      }
      // What a planner compares in a meeting: a camp's new capacity, an evacuation's rate, who takes a place.
      if (const auto* c = std::get_if<CapacityChange>(&event.action); c && key == "capacity")
        return number(c->capacity_people);
      if (const auto* e = std::get_if<Evacuation>(&event.action); e && key == "rate")
        return number(e->rate_people_per_day);
      if (const auto* c = std::get_if<Capture>(&event.action); c && key == "by") return c->by;
    }
  }
  return {};
}

}  // namespace haven::serve
