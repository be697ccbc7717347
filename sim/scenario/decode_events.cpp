// What happens and what was seen: days and dates, events and observations (scenario_decoder.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "haven/scenario/keys.hpp"
#include "haven/util/geo.hpp"
#include "haven/util/text.hpp"
#include "item_names.hpp"
#include "scenario_decoder.hpp"

namespace haven::detail {

namespace {

// "'a', 'b' and 'c'".
std::string all_of_list(std::span<const std::string_view> items) {
  std::string out = quoted_list(items);
  if (const auto last_or = out.rfind("' or '"); items.size() > 1 && last_or != std::string::npos)
    out.replace(last_or, 6, "' and '");
  return out;
}

}  // namespace

// ---- time -------------------------------------------------------------------------------------------------------
// A day number (offset from start_date) inside the scenario period.
std::optional<int> ScenarioDecoder::day_from_number(const YAML::Node& node, const std::string& path) {
  auto day = reader_.whole_number(node, path, 0, max_days);
  if (!day) return std::nullopt;
  if (days_known_ && *day >= s_.days) {
    reader_.error(node, path, fmt::format("day {} is outside the scenario (days 0 to {})", *day, s_.days - 1));
    return std::nullopt;
  }
  return static_cast<int>(*day);
}

// A calendar date inside the scenario period, as a day number.
std::optional<int> ScenarioDecoder::day_from_date(const YAML::Node& node, const std::string& path) {
  auto date = reader_.date(node, path);
  if (!date || !period_known_) return std::nullopt;
  const long day = days_between(s_.start_date, *date);
  if (day < 0 || day >= s_.days) {
    reader_.error(node, path,
                  fmt::format("{} is outside the scenario period ({} to {})", format_iso_date(*date),
                              format_iso_date(s_.start_date), format_iso_date(add_days(s_.start_date, s_.days - 1))));
    return std::nullopt;
  }
  return static_cast<int>(day);
}

// `day: N` or `date: YYYY-MM-DD` in mapping `m`; reports when neither or both are given.
std::optional<int> ScenarioDecoder::when(MapReader& m, const YAML::Node& owner, std::string_view what) {
  if (!m.exclusive("day", "date")) return std::nullopt;
  if (auto v = m.get("day"); v.IsDefined()) return day_from_number(v, m.path("day"));
  if (auto v = m.get("date"); v.IsDefined()) return day_from_date(v, m.path("date"));
  if (m.near_miss("day") || m.near_miss("date")) return std::nullopt;  // a misspelling is already reported
  reader_.error(owner, m.path(), fmt::format("missing 'day' or 'date'{}", what));
  return std::nullopt;
}

// `until` may be a date or a day number; it names the last day the event is active.
std::optional<int> ScenarioDecoder::until_day(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar() && node.Scalar().find('-', 1) != std::string::npos) return day_from_date(node, path);
  const bool numeric = node.IsScalar() && !node.Scalar().empty() &&
                       std::string_view("0123456789+-.").find(node.Scalar().front()) != std::string_view::npos;
  if (numeric && node.Tag() != "!") return day_from_number(node, path);
  reader_.error(node, path,
                fmt::format("expected a date (YYYY-MM-DD) or a day number, got {}",
                            node.IsScalar() ? fmt::format("'{}'", node.Scalar())
                            : node.IsNull() ? std::string("nothing")
                                            : std::string("a list or mapping")));
  return std::nullopt;
}

// ---- events -----------------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_events(const YAML::Node& node) {
  if (!node.IsDefined() || !reader_.expect_sequence(node, "events")) return;
  std::map<std::string, std::size_t> ids;
  struct DefaultId {
    std::string id;
    std::string path;
    YAML::Node item;
  };
  std::vector<DefaultId> default_ids;
  std::array<int, event_kind_names.size()> per_kind{};
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::string path = item_path("events", node[i], i);
    // An unknown key is answered with the keys the event's kind takes, when the kind is known.
    std::string keys_hint;
    if (const auto kind_text = scalar_at(node[i], "kind");
        std::find(event_kind_names.begin(), event_kind_names.end(), kind_text) != event_kind_names.end()) {
      keys_hint = fmt::format(" (a {} event takes {})", kind_text, all_of_list(keys::event_keys_for(kind_text)));
    }
    MapReader m(reader_, node[i], path, keys::event_all, keys_hint);
    if (!m.valid()) continue;
    Event event;
    std::optional<std::string> kind;
    if (auto v = m.require("kind"); v.IsDefined())
      kind = reader_.choice(v, m.path("kind"), event_kind_names, border_hint(v, "event"));
    const std::size_t kind_index =
        kind ? static_cast<std::size_t>(std::find(event_kind_names.begin(), event_kind_names.end(), *kind) -
                                        event_kind_names.begin())
             : event_kind_names.size();
    if (auto v = m.get("id"); v.IsDefined()) {
      if (auto id = reader_.identifier(v, m.path("id"))) {
        const auto line = reader_.where(v, m.path("id")).line;
        if (auto [it, fresh] = ids.emplace(*id, line); !fresh) {
          reader_.error(v, m.path("id"), fmt::format("duplicate event id '{}' ({})", *id, first_given(it->second)));
        }
        event.id = *id;
      }
    }
    if (kind) {
      // Unnamed events are called <kind>_<n>, n counting every event of that kind in file order.
      ++per_kind[kind_index];
      if (event.id.empty() && !m.has("id")) {
        event.id = fmt::format("{}_{}", *kind, per_kind[kind_index]);
        default_ids.push_back({event.id, path, node[i]});
      }
    }
    if (!kind) continue;
    // Keys that belong to another kind of event are errors here, with the kinds that take them.
    const auto allowed = keys::event_keys_for(*kind);
    for (auto it = m.node().begin(); it != m.node().end(); ++it) {
      const std::string& key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end() &&
          std::find(keys::event_all.begin(), keys::event_all.end(), key) != keys::event_all.end()) {
        std::vector<std::string_view> takers;
        for (auto other : event_kind_names) {
          const auto specific = keys::event_specific_keys(other);
          if (std::find(specific.begin(), specific.end(), key) != specific.end()) takers.push_back(other);
        }
        const auto own = keys::event_specific_keys(*kind);
        reader_.error(it->first, path,
                      fmt::format("'{}' does not apply to a {} event (it belongs to {}; a {} event takes {})", key,
                                  *kind, quoted_list(takers), *kind, all_of_list(own)));
      }
    }
    auto p = [&](std::string_view key) { return join_path(path, key); };
    // When
    if (auto start = when(m, node[i], " (when the event starts)")) event.start_day = *start;
    if (m.exclusive("duration_days", "until")) {
      if (auto v = m.get("duration_days"); v.IsDefined()) {
        if (auto duration = reader_.whole_number(v, p("duration_days"), 1, max_days)) {
          event.end_day = event.start_day + static_cast<int>(*duration);
        }
      }
      if (auto v = m.get("until"); v.IsDefined()) {
        if (auto last = until_day(v, p("until"))) {
          if (*last < event.start_day) {
            // Dates only when the start date read: day numbers alone otherwise.
            const auto on = [&](int day) {
              return period_known_ ? fmt::format("day {} ({})", day, format_iso_date(add_days(s_.start_date, day)))
                                   : fmt::format("day {}", day);
            };
            reader_.error(v, p("until"),
                          fmt::format("{} is before the event starts on {}; 'until' is the event's last day", on(*last),
                                      on(event.start_day)));
          } else {
            event.end_day = *last + 1;
          }
        }
      }
    }
    if (event.end_day && period_known_) event.end_day = std::min(*event.end_day, s_.days);
    if (auto v = m.get("note"); v.IsDefined()) event.note = reader_.string(v, p("note")).value_or("");
    // What
    switch (kind_index) {
      case 0: {
        Bombardment b;
        b.target = decode_area(m, path, true);
        if (auto v = m.require("intensity"); v.IsDefined())
          b.intensity_strikes_per_day = reader_.number_in(v, p("intensity"), 0.0, 1e6).value_or(0.0);
        event.action = b;
        break;
      }
      case 1: {
        Capture c;
        if (auto v = m.require("node"); v.IsDefined()) c.node = node_ref(v, p("node")).value_or(no_node);
        if (auto v = m.get("by"); v.IsDefined()) c.by = reader_.string(v, p("by")).value_or("");
        event.action = c;
        break;
      }
      case 2:
      case 3: {
        CorridorIndex corridor = -1;
        if (auto v = m.require("corridor"); v.IsDefined()) corridor = corridor_ref(v, p("corridor")).value_or(-1);
        if (kind_index == 2) {
          event.action = CorridorClosure{corridor};
        } else {
          event.action = CorridorOpening{corridor};
        }
        break;
      }
      case 4:
      case 5: {
        NodeIndex border = no_node;
        if (auto v = m.require("node"); v.IsDefined()) {
          border = node_ref(v, p("node")).value_or(no_node);
          if (border != no_node && nodes_of_unknown_kind_.count(static_cast<std::size_t>(border)) == 0 &&
              s_.nodes[static_cast<std::size_t>(border)].kind != NodeKind::border_crossing) {
            reader_.error(
                v, p("node"),
                fmt::format("node '{}' is a {}, not a border_crossing", s_.nodes[static_cast<std::size_t>(border)].id,
                            to_string(s_.nodes[static_cast<std::size_t>(border)].kind)));
          }
        }
        if (kind_index == 4) {
          event.action = BorderClosure{border};
        } else {
          event.action = BorderOpening{border};
        }
        break;
      }
      case 6: {
        Ceasefire c;
        c.area = decode_area(m, path, false);
        event.action = c;
        break;
      }
      case 7: {
        CapacityChange c;
        if (auto v = m.require("node"); v.IsDefined()) c.node = node_ref(v, p("node")).value_or(no_node);
        if (auto v = m.require("capacity"); v.IsDefined())
          c.capacity_people = reader_.number_in(v, p("capacity"), 0.0, max_population).value_or(0.0);
        event.action = c;
        break;
      }
      case 8: {
        Evacuation e;
        if (auto v = m.require("from"); v.IsDefined()) e.from = node_ref(v, p("from")).value_or(no_node);
        if (auto v = m.require("to"); v.IsDefined()) {
          e.to = node_ref(v, p("to")).value_or(no_node);
          if (e.to != no_node && e.to == e.from) reader_.error(v, p("to"), "an evacuation needs two different nodes");
        }
        if (auto v = m.require("rate"); v.IsDefined())
          e.rate_people_per_day = reader_.number_in(v, p("rate"), 0.0, max_population).value_or(0.0);
        event.action = e;
        break;
      }
      case 9: {
        ArmedConflict a;
        if (auto v = m.require("node"); v.IsDefined()) a.node = node_ref(v, p("node")).value_or(no_node);
        if (auto v = m.get("intensity"); v.IsDefined())
          a.intensity = reader_.number_in(v, p("intensity"), 0.0, 1000.0).value_or(1.0);
        event.action = a;
        break;
      }
      case 10: {
        CampClosure c;
        if (auto v = m.require("node"); v.IsDefined()) c.node = node_ref(v, p("node")).value_or(no_node);
        event.action = c;
        break;
      }
      case 11:
        event.action = decode_country_closure(m, path);
        break;
      case 12: {
        RedirectionEnd r;
        if (auto v = m.require("corridor"); v.IsDefined()) {
          r.corridor = corridor_ref(v, p("corridor")).value_or(-1);
          if (r.corridor >= 0 && static_cast<std::size_t>(r.corridor) < s_.corridors.size() &&
              !s_.corridors[static_cast<std::size_t>(r.corridor)].forced_redirection) {
            reader_.error(v, p("corridor"),
                          fmt::format("corridor '{}' has no forced redirection to end; give it "
                                      "'forced_redirection: true'",
                                      s_.corridors[static_cast<std::size_t>(r.corridor)].id));
          }
        }
        event.action = r;
        break;
      }
      default:
        break;
    }
    s_.events.push_back(std::move(event));
  }
  // A default id must not collide with an id given explicitly: variants and outputs name events by id.
  for (const auto& [id, item_path, item] : default_ids) {
    if (auto it = ids.find(id); it != ids.end()) {
      reader_.error(item, item_path,
                    fmt::format("this unnamed event would be called '{}', but the event at line {} has that id; "
                                "give one of them another 'id'",
                                id, it->second));
    }
  }
}

// The distinct countries of the nodes, in file order.
std::vector<std::string> ScenarioDecoder::countries() const {
  std::vector<std::string> known;
  for (const auto& n : s_.nodes) {
    if (!n.country.empty() && std::find(known.begin(), known.end(), n.country) == known.end())
      known.push_back(n.country);
  }
  return known;
}

// `countries: [A, B]`: two different countries, each the `country` of some node.
CountryClosure ScenarioDecoder::decode_country_closure(MapReader& m, const std::string& path) {
  CountryClosure closure;
  auto v = m.require("countries");
  if (!v.IsDefined() || !reader_.expect_sequence(v, join_path(path, "countries"))) return closure;
  if (v.size() != 2) {
    reader_.error(v, join_path(path, "countries"),
                  fmt::format("expected two countries (every corridor between them closes), got {}", v.size()));
    return closure;
  }
  const auto known = countries();
  std::array<std::string, 2> names;
  for (std::size_t k = 0; k < 2; ++k) {
    const std::string item = join_path(path, fmt::format("countries[{}]", k));
    auto name = reader_.string(v[k], item);
    if (!name) continue;
    if (name->empty()) {
      // Typically a table cell "A;" or ";B": the other country is missing.
      reader_.error(v[k], item,
                    "an empty country; a country closure names two, each some node's `country` (in a table cell: "
                    "A;B)");
      continue;
    }
    if (!nodes_unreadable_ && std::find(known.begin(), known.end(), *name) == known.end()) {
      reader_.error(v[k], item,
                    fmt::format("no node has country '{}'{}", *name, did_you_mean(*name, std::span(known))));
      continue;
    }
    names[k] = *name;
  }
  if (!names[0].empty() && names[0] == names[1]) {
    reader_.error(v[1], join_path(path, "countries[1]"),
                  "a country closure needs two different countries (it closes the corridors between them)");
  }
  closure.country_a = names[0];
  closure.country_b = names[1];
  return closure;
}

// A node, or lat/lon with radius_km; for ceasefires nothing at all means everywhere.
Area ScenarioDecoder::decode_area(MapReader& m, const std::string& path, bool required) {
  Area area;
  auto p = [&](std::string_view key) { return join_path(path, key); };
  const bool has_node = m.has("node");
  const bool has_point = m.has("lat") || m.has("lon");
  if (has_node && has_point) {
    reader_.error(m.get(m.has("lat") ? "lat" : "lon"), path, "give either 'node' or 'lat'/'lon', not both");
    // Every other problem of the area at once: the values given are checked as if each stood alone.
    (void)node_ref(m.get("node"), p("node"));
    if (auto v = m.get("lat"); v.IsDefined()) (void)reader_.number_in(v, p("lat"), -90.0, 90.0);
    if (auto v = m.get("lon"); v.IsDefined()) (void)reader_.number_in(v, p("lon"), -180.0, 180.0);
    if (auto v = m.get("radius_km"); v.IsDefined()) (void)reader_.number_in(v, p("radius_km"), 0.0, 20000.0);
    return area;
  }
  if (has_node) {
    area.node = node_ref(m.get("node"), p("node")).value_or(no_node);
  } else if (has_point) {
    if (auto v = m.require("lat"); v.IsDefined()) area.lat_deg = reader_.number_in(v, p("lat"), -90.0, 90.0);
    if (auto v = m.require("lon"); v.IsDefined()) area.lon_deg = reader_.number_in(v, p("lon"), -180.0, 180.0);
    if (!m.has("radius_km") && !m.near_miss("radius_km"))
      reader_.error(m.node(), path, "missing required key 'radius_km' (with 'lat'/'lon')");
  } else if (required && !m.near_miss("node") && !m.near_miss("lat") && !m.near_miss("lon")) {
    reader_.error(m.node(), path, "missing 'node' or 'lat'/'lon' (where the strikes fall)");
  } else if (m.has("radius_km")) {
    // Without a centre the area is everywhere; a radius then means the centre was forgotten.
    reader_.error(m.get("radius_km"), p("radius_km"),
                  "a radius needs a centre: give 'node' or 'lat' and 'lon' (or neither, for everywhere)");
  }
  if (auto v = m.get("radius_km"); v.IsDefined()) {
    area.radius_km = reader_.number_in(v, p("radius_km"), 0.0, 20000.0).value_or(0.0);
  }
  // Not when a place's own position could not be read (already an error): the nearest place would be wrong.
  if (area.lat_deg && area.lon_deg && !s_.nodes.empty() && !node_unlocated_) {
    // An area that reaches no place does nothing at all: most often lat and lon swapped, or a slip in a digit. A
    // strike's threat reaches ln(1000) kernel lengths past the radius, where its weight falls to 1e-3 (the engine's
    // footprint, docs/model.md#strike-kernel-and-footprint); a ceasefire covers the places inside its radius.
    const bool strikes = required;
    const double reach_km =
        area.radius_km + (strikes ? strike_reach_beyond_radius_km(s_.parameters.threat_kernel_km) : 0.0);
    std::size_t nearest = 0;
    double nearest_km = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < s_.nodes.size(); ++i) {
      const double d = great_circle_km(*area.lat_deg, *area.lon_deg, s_.nodes[i].lat_deg, s_.nodes[i].lon_deg);
      if (d < nearest_km) nearest_km = d, nearest = i;
    }
    if (nearest_km > reach_km) {
      // Whole km, but tenths where that is what tells the two apart.
      const bool tenths = std::lround(reach_km) == std::lround(nearest_km);
      const auto km = [&](double x) { return tenths ? fmt::format("{:.1f}", x) : fmt::format("{:.0f}", x); };
      reader_.warning(m.get("lat"), p("lat"),
                      fmt::format("no place lies within its {} ({} km of {}, {}): the nearest, '{}', is {} km "
                                  "away, so it changes nothing; are lat and lon right (not swapped)?",
                                  strikes ? "strikes' reach" : "area", km(reach_km), *area.lat_deg, *area.lon_deg,
                                  s_.nodes[nearest].id, km(nearest_km)));
    }
  }
  return area;
}

// ---- observations -----------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_observations(const YAML::Node& node) {
  if (!node.IsDefined() || !reader_.expect_sequence(node, "observations")) return;
  std::map<std::string, std::size_t> ids;
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::string path = item_path("observations", node[i], i);
    MapReader m(reader_, node[i], path, keys::observation);
    if (!m.valid()) continue;
    Observation o;
    if (auto v = m.require("id"); v.IsDefined()) {
      if (auto id = reader_.identifier(v, m.path("id"))) {
        const auto line = reader_.where(v, m.path("id")).line;
        if (auto [it, fresh] = ids.emplace(*id, line); !fresh)
          reader_.error(v, m.path("id"),
                        fmt::format("duplicate observation id '{}' ({})", *id, first_given(it->second)));
        o.id = *id;
      }
    }
    auto p = [&](std::string_view key) { return join_path(path, key); };
    if (auto v = m.require("variable"); v.IsDefined())
      o.variable = reader_.choice(v, p("variable"), observation_variable_names).value_or("");
    if (m.exclusive("node", "nodes")) {
      if (auto v = m.get("node"); v.IsDefined()) o.node = node_ref(v, p("node")).value_or(no_node);
      if (auto v = m.get("nodes"); v.IsDefined() && reader_.expect_sequence(v, p("nodes"))) {
        // The sum over these nodes, e.g. UNHCR's total over the camps.
        if (v.size() == 0)
          reader_.error(v, p("nodes"), "needs at least one node (or leave it out for the whole network)");
        std::set<NodeIndex> seen;
        for (std::size_t k = 0; k < v.size(); ++k) {
          const std::string item = p(fmt::format("nodes[{}]", k));
          if (auto index = node_ref(v[k], item)) {
            if (!seen.insert(*index).second) {
              reader_.error(v[k], item,
                            fmt::format("node '{}' is listed twice", s_.nodes[static_cast<std::size_t>(*index)].id));
            } else {
              o.nodes.push_back(*index);
            }
          }
        }
        if (o.variable == "cumulative_displaced") {
          reader_.error(v, p("nodes"), "cumulative_displaced is a network-wide total; it has no nodes");
        }
      }
    }
    if ((o.variable == "arrivals" || o.variable == "displaced_present") && !m.has("node")) {
      // Without a node these are totals over the whole network, which is allowed.
    }
    if (auto v = m.require("source"); v.IsDefined()) o.source = decode_source(v, p("source"));
    if (auto v = m.require("points"); v.IsDefined() && reader_.expect_sequence(v, p("points"))) {
      for (std::size_t k = 0; k < v.size(); ++k) {
        const std::string ppath = p(fmt::format("points[{}]", k));
        MapReader pm(reader_, v[k], ppath, keys::observation_point);
        if (!pm.valid()) continue;
        ObservationPoint point;
        point.day = when(pm, v[k], "").value_or(-1);
        if (auto value = pm.require("value"); value.IsDefined())
          point.value = reader_.number_in(value, pm.path("value"), 0.0, max_population).value_or(0.0);
        if (auto w = pm.get("weight"); w.IsDefined())
          point.weight = reader_.number_in(w, pm.path("weight"), 0.0, 1.0).value_or(1.0);
        if (auto n = pm.get("note"); n.IsDefined()) point.note = reader_.string(n, pm.path("note")).value_or("");
        if (point.day >= 0) o.points.push_back(point);
      }
    }
    s_.observations.push_back(std::move(o));
  }
}
}  // namespace haven::detail
