#include "edit_words.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "haven/scenario/parameters.hpp"
#include "haven/util/geo.hpp"

namespace haven::serve {

namespace {

// "radius_km" -> "radius km"; "capacity_people_per_day" -> "capacity people per day".
std::string in_words(std::string_view key) {
  std::string text(key);
  std::replace(text.begin(), text.end(), '_', ' ');
  std::replace(text.begin(), text.end(), '.', ' ');
  return text;
}

std::string units_in_words(std::string_view units) {
  if (units == "km/day") return "km per day";
  if (units == "1/day") return "per day";
  if (units == "strikes/day") return "strikes per day";
  return std::string(units);
}

const std::string& node_name(const Scenario& scenario, NodeIndex node) {
  return scenario.nodes[static_cast<std::size_t>(node)].name;
}

std::string road_in_words(const Scenario& scenario, const Corridor& road) {
  return fmt::format("{} – {}", node_name(scenario, road.from), node_name(scenario, road.to));
}

// The place within 15 km of a point, nearest first, or none.
std::string place_near(const Scenario& scenario, double lat_deg, double lon_deg) {
  constexpr double near_km = 15.0;
  const Node* nearest = nullptr;
  double nearest_km = std::numeric_limits<double>::infinity();
  for (const auto& node : scenario.nodes) {
    const double km = great_circle_km(lat_deg, lon_deg, node.lat_deg, node.lon_deg);
    if (km < nearest_km) {
      nearest = &node;
      nearest_km = km;
    }
  }
  return nearest != nullptr && nearest_km <= near_km ? nearest->name : std::string();
}

std::string area_in_words(const Area& area, const Event& event, const Scenario& scenario) {
  if (area.node >= 0) return node_name(scenario, area.node);
  if (area.lat_deg && area.lon_deg) {
    const std::string near = place_near(scenario, *area.lat_deg, *area.lon_deg);
    return near.empty() ? event.id : "near " + near;
  }
  return "everywhere";
}

const Event* find_event(const std::vector<Event>& events, const std::string& id) {
  const auto it = std::find_if(events.begin(), events.end(), [&](const Event& e) { return e.id == id; });
  return it == events.end() ? nullptr : &*it;
}

}  // namespace

std::string event_in_words(const Event& event, const Scenario& scenario) {
  const std::string where = std::visit(
      [&](const auto& action) -> std::string {
        using T = std::decay_t<decltype(action)>;
        if constexpr (std::is_same_v<T, Bombardment>) {
          return area_in_words(action.target, event, scenario);
        } else if constexpr (std::is_same_v<T, Ceasefire>) {
          return area_in_words(action.area, event, scenario);
        } else if constexpr (std::is_same_v<T, Evacuation>) {
          return fmt::format("{} → {}", node_name(scenario, action.from), node_name(scenario, action.to));
        } else if constexpr (std::is_same_v<T, CountryClosure>) {
          return fmt::format("{} – {}", action.country_a, action.country_b);
        } else if constexpr (requires { action.corridor; }) {
          return action.corridor >= 0
                     ? road_in_words(scenario, scenario.corridors[static_cast<std::size_t>(action.corridor)])
                     : event.id;
        } else if constexpr (requires { action.node; }) {
          return action.node >= 0 ? node_name(scenario, action.node) : event.id;
        } else {
          return event.id;
        }
      },
      event.action);
  return fmt::format("{} · {}", in_words(event_kind_name(event.action)), where);
}

std::string edit_in_words(const Edit& edit, const Session& session) {
  // The event as the scenario (or its variant) writes it, else as added.
  const auto event_named = [&](const std::string& id) {
    if (const Event* e = find_event(session.base().events, id)) return event_in_words(*e, session.base());
    if (const Event* e = find_event(session.scenario().events, id)) return event_in_words(*e, session.scenario());
    const auto off = session.added_events_off();
    if (const Event* e = find_event(off, id)) return event_in_words(*e, session.scenario());
    return "event " + id;
  };
  if (edit.kind == "toggle_event") return fmt::format("{}: {}", event_named(edit.id), edit.enabled ? "on" : "off");
  if (edit.kind == "move_event") {
    constexpr std::string_view moved = " to ";
    const auto at = edit.description.find(moved);
    return fmt::format("{}: moved{}", event_named(edit.id),
                       at == std::string::npos ? std::string() : edit.description.substr(at));
  }
  if (edit.kind != "set") return edit.description;
  const std::string_view path = edit.path;
  const auto first_dot = path.find('.');
  const auto second_dot = first_dot == std::string_view::npos ? first_dot : path.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) {
    // parameters.NAME: its name without the units it ends with, the units after the value; a switch on or off.
    if (path.substr(0, first_dot) != "parameters") return edit.listed();
    const std::string_view name = path.substr(first_dot + 1);
    const ParameterSpec* spec = find_parameter_spec(name);
    if (spec != nullptr && spec->kind == ParameterKind::on_off) {
      std::string was = edit.replaced;
      if (was == " (was 1)") was = " (was on)";
      if (was == " (was 0)") was = " (was off)";
      return fmt::format("{}: {}{}", in_words(name), edit.value == "1" ? "on" : "off", was);
    }
    std::string label = in_words(name);
    std::string units;
    if (spec != nullptr && spec->units != "1" && !spec->units.empty()) {
      units = " " + units_in_words(spec->units);
      if (label.ends_with(units)) label.resize(label.size() - units.size());
    }
    return fmt::format("{} {}{}{}", label, edit.value, units, edit.replaced);
  }
  const std::string head(path.substr(0, first_dot));
  const std::string id(path.substr(first_dot + 1, second_dot - first_dot - 1));
  const std::string_view key = path.substr(second_dot + 1);
  std::string what = id;
  const Scenario& s = session.scenario();
  if (head == "events") {
    what = event_named(id);
  } else if (head == "nodes") {
    const auto it = std::find_if(s.nodes.begin(), s.nodes.end(), [&](const Node& n) { return n.id == id; });
    if (it != s.nodes.end()) what = it->name;
  } else if (head == "corridors") {
    const auto it = std::find_if(s.corridors.begin(), s.corridors.end(), [&](const Corridor& c) { return c.id == id; });
    if (it != s.corridors.end()) {
      what = "road " + road_in_words(s, *it);
      if (key == "closed")
        return fmt::format("{}: {}{}", what, edit.value == "true" ? "closed" : "opened", edit.replaced);
    }
  } else if (head == "groups") {
    what = "group " + in_words(id);
  }
  return fmt::format("{}: {} {}{}", what, in_words(key), edit.value, edit.replaced);
}

}  // namespace haven::serve
