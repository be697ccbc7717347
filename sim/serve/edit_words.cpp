#include "edit_words.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "haven/scenario/parameters.hpp"
#include "haven/util/date.hpp"
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

// A place named by its id, or the id when no place has it.
std::string place_named(const Scenario& scenario, const std::string& id) {
  const auto node = scenario.find_node(id);
  return node ? node_name(scenario, *node) : id;
}

// A road's ends named ("A – B") by its id, or none when no road has it.
std::optional<std::string> road_named(const Scenario& scenario, const std::string& id) {
  const auto corridor = scenario.find_corridor(id);
  if (!corridor) return std::nullopt;
  return road_in_words(scenario, scenario.corridors[static_cast<std::size_t>(*corridor)]);
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

// A value as a planner reads it: an ISO date as "25 Feb 2020", a whole number in groups of three digits as the
// page and the report write it ("58,500"), anything else as it is.
std::string value_in_words(const std::string& value) {
  if (const auto date = parse_iso_date(value)) return format_long_date(*date);
  const bool negative = value.starts_with('-');
  const std::string_view digits = std::string_view(value).substr(negative ? 1 : 0);
  // Not a number as written with leading zeros ("0012"): that is text, kept as typed.
  if (digits.size() < 4 || digits.front() == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return value;
  std::string grouped = negative ? "-" : "";
  for (std::size_t k = 0; k < digits.size(); ++k) {
    if (k > 0 && (digits.size() - k) % 3 == 0) grouped += ',';
    grouped += digits[k];
  }
  return grouped;
}

// An event's key as the page labels its field, with the units its value is in: "date" is the "from" of an event's
// row, "radius_km" a radius in km ("radius 5 km", not "radius km 5").
struct KeyInWords {
  std::string label;
  std::string units;  // after the value, with its space; empty for none
};
KeyInWords event_key_in_words(std::string_view key) {
  if (key == "date") return {"from", ""};
  if (key == "radius_km") return {"radius", " km"};
  if (key == "duration_days") return {"lasting", " days"};
  return {in_words(key), ""};
}

// " (was 2020-03-05)" as " (was 5 Mar 2020)", " (was 58500 by default)" as " (was 58,500 by default)"; any other
// note as it is.
std::string replaced_in_words(const std::string& replaced) {
  constexpr std::string_view was = " (was ";
  if (!replaced.starts_with(was) || !replaced.ends_with(")")) return replaced;
  const std::string value = replaced.substr(was.size(), replaced.size() - was.size() - 1);
  // "58500 by default": the number in words, then the rest.
  const auto space = value.find(' ');
  if (space != std::string::npos)
    return fmt::format("{}{}{})", was, value_in_words(value.substr(0, space)), value.substr(space));
  return fmt::format("{}{})", was, value_in_words(value));
}

// An added event by what its own edit gave (kind, node, corridor, from and to, or a point): for one switched off
// that no scenario loaded since holds, not even switched on (Session::see_added_events_off()).
std::string added_in_words(const Edit& add, const Scenario& scenario) {
  std::map<std::string, std::string> given(add.event.begin(), add.event.end());
  std::string where = add.added_id();
  if (given.count("node")) {
    where = place_named(scenario, given["node"]);
  } else if (given.count("corridor")) {
    if (const auto road = road_named(scenario, given["corridor"])) where = *road;
  } else if (given.count("from") && given.count("to")) {
    where = fmt::format("{} → {}", place_named(scenario, given["from"]), place_named(scenario, given["to"]));
  } else if (given.count("lat") && given.count("lon")) {
    const std::string near =
        place_near(scenario, std::strtod(given["lat"].c_str(), nullptr), std::strtod(given["lon"].c_str(), nullptr));
    if (!near.empty()) where = "near " + near;
  } else if (given["kind"] == "ceasefire") {
    where = "everywhere";
  }
  return fmt::format("{} · {}", in_words(given["kind"]), where);
}

}  // namespace

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

EditWords::EditWords(const Session& session) : session_(session), added_off_(session.added_events_off()) {}

std::string EditWords::event_named(const std::string& id) const {
  // The event as the scenario (or its variant) writes it, else as added: on now, switched off, or (switched off
  // before a variant was chosen, so never loaded since) as its own edit gave it.
  if (const Event* e = find_event(session_.base().events, id)) return event_in_words(*e, session_.base());
  if (const Event* e = find_event(session_.scenario().events, id)) return event_in_words(*e, session_.scenario());
  if (const Event* e = find_event(added_off_, id)) return event_in_words(*e, session_.scenario());
  for (const auto& edit : session_.edits()) {
    if (edit.kind == "add_event" && edit.added_id() == id) return added_in_words(edit, session_.scenario());
  }
  return "event " + id;
}

std::string EditWords::operator()(const Edit& edit) const {
  if (edit.kind == "toggle_event") return fmt::format("{}: {}", event_named(edit.id), edit.enabled ? "on" : "off");
  if (edit.kind == "move_event") {
    constexpr std::string_view moved = " to ";
    const auto at = edit.description.find(moved);
    return fmt::format("{}: moved{}", event_named(edit.id),
                       at == std::string::npos ? std::string() : edit.description.substr(at));
  }
  if (edit.kind == "add_event") {
    // What and where (as the list of events names it), when, and the rest it was given: "added bombardment · near
    // Mhambal from 1 Dec 2019 (intensity 20, radius km 5)".
    std::string when, rest;
    for (const auto& [key, value] : edit.event) {
      if (key == "date") {
        when = " from " + value_in_words(value);
      } else if (key == "until") {
        rest += fmt::format("{}until {}", rest.empty() ? "" : ", ", value_in_words(value));
      } else if (key != "kind" && key != "id" && key != "node" && key != "lat" && key != "lon" && key != "corridor" &&
                 key != "from" && key != "to") {
        const auto [label, units] = event_key_in_words(key);
        rest += fmt::format("{}{} {}{}", rest.empty() ? "" : ", ", label, value_in_words(value), units);
      }
    }
    return fmt::format("added {}{}{}", added_in_words(edit, session_.scenario()), when,
                       rest.empty() ? "" : " (" + rest + ")");
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
      // As the loader reads a switch: 1, 1.0 or 1e0 is on, 0 off.
      const auto on_off = [](const std::string& text) {
        return std::strtod(text.c_str(), nullptr) != 0.0 ? "on" : "off";
      };
      std::string was = edit.replaced;
      if (was.starts_with(" (was ") && was.ends_with(")")) {
        was = fmt::format(" (was {})", on_off(was.substr(6, was.size() - 7)));
      }
      return fmt::format("{}: {}{}", in_words(name), on_off(edit.value), was);
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
  const Scenario& s = session_.scenario();
  if (head == "events") {
    what = event_named(id);
  } else if (head == "nodes") {
    what = place_named(s, id);
  } else if (head == "corridors") {
    if (const auto road = road_named(s, id)) {
      what = "road " + *road;
      if (key == "closed")
        return fmt::format("{}: {}{}", what, edit.value == "true" ? "closed" : "opened", edit.replaced);
    }
  } else if (head == "groups") {
    what = "group " + in_words(id);
  }
  if (head == "events") {
    const auto [label, units] = event_key_in_words(key);
    return fmt::format("{}: {} {}{}{}", what, label, value_in_words(edit.value), units,
                       replaced_in_words(edit.replaced));
  }
  return fmt::format("{}: {} {}{}", what, in_words(key), value_in_words(edit.value), replaced_in_words(edit.replaced));
}

}  // namespace haven::serve
