// A FleeConflict as a Haven scenario in today's format (docs/scenario-format.md). Whatever the format cannot say
// yet is counted in ImportResult::unexpressed, never dropped silently (docs/flee.md).

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "haven/flee/folder.hpp"
#include "haven/util/text.hpp"

namespace haven::flee {

namespace {

// A YAML double-quoted scalar.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// Shortest text that reads back as the same double.
std::string number(double value) {
  return fmt::format("{}", value);
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

struct Mapping {
  std::string kind;
  bool camp = false;
};

Mapping haven_kind(const std::string& location_type) {
  if (location_type == "camp" || location_type == "idpcamp") return {"camp", true};
  if (location_type == "forwarding_hub" || location_type == "marker") return {"transit", false};
  return {"town", false};  // conflict_zone, town, flood_zone: conflict comes from conflicts.csv as events
}

}  // namespace

ImportResult import_conflict(const FleeConflict& conflict, const ImportOptions& options) {
  ImportResult result;
  std::map<std::string, std::string> id_of;  // Flee name -> Haven id
  std::set<std::string> used_ids;
  for (const auto& location : conflict.locations) {
    std::string id = derive_id(location.name);
    for (int n = 2; used_ids.count(id) != 0; ++n) id = derive_id(location.name).substr(0, 58) + fmt::format("_{}", n);
    used_ids.insert(id);
    id_of[location.name] = id;
  }
  const auto& home_country = conflict.locations.front().country;
  auto corridor_id = [&](const Route& route) { return id_of[route.name1] + "-" + id_of[route.name2]; };

  // --- events: conflicts.csv as bombardments, closures where the format has them
  std::vector<std::string> events;
  std::size_t conflict_events = 0;
  for (const auto& column : conflict.conflicts) {
    const auto& days = column.intensity_by_day;
    const int last = std::min(conflict.days, static_cast<int>(days.size()));
    for (int day = 0; day < last;) {
      const double intensity = days[static_cast<std::size_t>(day)];
      if (intensity <= 1e-6) {  // Flee's threshold for "no conflict"
        ++day;
        continue;
      }
      int end = day;
      while (end + 1 < last && days[static_cast<std::size_t>(end + 1)] == intensity) ++end;
      ++conflict_events;
      events.push_back(fmt::format(
          "  - {{id: conflict_{}, kind: bombardment, node: {}, day: {}, until: {}, "
          "intensity: {}, note: {}}}",
          conflict_events, id_of[column.location], day, end, number(intensity * strikes_per_day_per_intensity),
          quote(fmt::format("Flee conflict intensity {}", number(intensity)))));
      day = end + 1;
    }
  }
  std::size_t country_closures = 0, camp_closures = 0, redirection_closures = 0, link_closures_without_route = 0,
              closures_after_end = 0, closure_events = 0;
  for (const auto& closure : conflict.closures) {
    if (closure.type == "country") {
      ++country_closures;
      continue;
    }
    if (closure.type == "camp" || closure.type == "idpcamp") {
      ++camp_closures;
      continue;
    }
    if (closure.type == "remove_forced_redirection") {
      ++redirection_closures;
      continue;
    }
    if (closure.start_day >= conflict.days || closure.end_day == closure.start_day) {
      ++closures_after_end;  // Flee would never act on it, or closes and reopens on the same day
      continue;
    }
    std::vector<const Route*> closed;
    for (const auto& route : conflict.routes) {
      const bool touches = route.name1 == closure.name1 || route.name2 == closure.name1;
      const bool is_link = (route.name1 == closure.name1 && route.name2 == closure.name2) ||
                           (route.name1 == closure.name2 && route.name2 == closure.name1);
      if (closure.type == "location" ? touches : is_link) closed.push_back(&route);
    }
    if (closed.empty()) {
      ++link_closures_without_route;
      continue;
    }
    // Flee closes on `time == start` and reopens on `time == end`: an end before the start never comes.
    const bool reopens = closure.end_day > closure.start_day && closure.end_day < conflict.days;
    for (const Route* route : closed) {
      ++closure_events;
      events.push_back(fmt::format("  - {{id: closure_{}, kind: corridor_closure, corridor: {}, day: {}{}, note: {}}}",
                                   closure_events, corridor_id(*route), closure.start_day,
                                   reopens ? fmt::format(", until: {}", closure.end_day - 1) : "",
                                   quote(fmt::format("closures.csv line {}: {} {} {}", closure.origin.line,
                                                     closure.type, closure.name1, closure.name2))));
    }
  }

  // --- observations: one displaced_present series per camp with a single UNHCR file
  std::vector<std::string> observations;
  std::size_t summed_series = 0, points_outside = 0, observed_points = 0;
  for (const auto& series : conflict.camp_series) {
    if (!series.used) continue;
    if (series.files.size() != 1) {
      ++summed_series;
      continue;
    }
    std::vector<std::string> points;
    std::set<long> days_seen;
    for (const auto& point : series.points_by_file.front()) {
      const long day = days_between(conflict.start_date, point.date);
      if (day < 0 || day >= conflict.days || !days_seen.insert(day).second) {
        ++points_outside;
        continue;
      }
      points.push_back(fmt::format("{{day: {}, value: {}}}", day, point.value));
    }
    if (points.empty()) continue;
    observed_points += points.size();
    std::string id = "unhcr_" + id_of[series.name];
    if (id.size() > 64) id.resize(64);
    observations.push_back(
        fmt::format("  - id: {}\n    variable: displaced_present\n    node: {}\n    source: {{publisher: "
                    "UNHCR, note: {}}}\n    points: [{}]",
                    id, id_of[series.name], quote(fmt::format("source_data/{} (via FabFlee)", series.files.front())),
                    fmt::format("{}", fmt::join(points, ", "))));
  }

  // --- what the format cannot say yet
  auto& missing = result.unexpressed;
  const auto rows = [](std::size_t n) { return plural(n, "row", "rows"); };
  if (conflict_events > 0) {
    missing.push_back({"conflict intensity as bombardment",
                       fmt::format("approximated ({} strikes/day per unit; {})", number(strikes_per_day_per_intensity),
                                   plural(conflict_events, "event", "events"))});
  }
  if (country_closures > 0) missing.push_back({"country closures", rows(country_closures)});
  if (camp_closures > 0) missing.push_back({"camp closures", rows(camp_closures)});
  const auto forced = static_cast<std::size_t>(std::count_if(conflict.routes.begin(), conflict.routes.end(),
                                                             [](const Route& r) { return r.forced_redirection != 0; }));
  if (forced > 0) missing.push_back({"forced_redirection", plural(forced, "route", "routes")});
  if (redirection_closures > 0) missing.push_back({"remove_forced_redirection closures", rows(redirection_closures)});
  if (link_closures_without_route > 0) {
    missing.push_back({"link/location closures with no route to close", rows(link_closures_without_route)});
  }
  if (!conflict.registration_corrections.empty()) {
    missing.push_back({"registration corrections", rows(conflict.registration_corrections.size())});
  }
  if (conflict.total) {
    std::size_t points = 0;
    for (const auto& file : conflict.total->points_by_file) points += file.size();
    missing.push_back({"UNHCR total over the camps (refugees.csv; an observation over a set of nodes)",
                       plural(points, "point", "points")});
  }
  if (summed_series > 0) {
    missing.push_back({"camp series summed from several files (data_layout.csv)", rows(summed_series)});
  }
  const auto empty_towns = static_cast<std::size_t>(
      std::count_if(conflict.locations.begin(), conflict.locations.end(),
                    [](const Location& l) { return haven_kind(l.location_type).kind == "town" && l.population == 0; }));
  if (empty_towns > 0) {
    missing.push_back({"towns without residents that still host people (Haven gives them no shelter)",
                       plural(empty_towns, "location", "locations")});
  }
  const auto flood =
      static_cast<std::size_t>(std::count_if(conflict.locations.begin(), conflict.locations.end(),
                                             [](const Location& l) { return l.location_type == "flood_zone"; }));
  if (flood > 0) missing.push_back({"flood zones (read as towns)", plural(flood, "location", "locations")});
  const auto foreign = static_cast<std::size_t>(std::count_if(
      conflict.locations.begin(), conflict.locations.end(),
      [&](const Location& l) { return l.country != home_country && haven_kind(l.location_type).kind != "camp"; }));
  if (foreign > 0) {
    missing.push_back({"foreign non-camp locations (Flee's foreign_weight)", plural(foreign, "location", "locations")});
  }
  missing.push_back({"departures given by UNHCR totals (Flee's spawning)",
                     fmt::format("not used: departures are predicted by Haven's rules ({} days)", conflict.days)});
  if (!conflict.settings.empty()) {
    missing.push_back({"Flee settings (" + conflict.settings_file + ")",
                       fmt::format("{} recorded, not used by Haven's rules", conflict.settings.size())});
  }

  // --- notes for the report
  std::map<std::string, std::size_t> kinds;
  for (const auto& location : conflict.locations) {
    ++kinds[location.location_type + " -> " + haven_kind(location.location_type).kind];
  }
  std::vector<std::string> kind_list;
  for (const auto& [mapping, count] : kinds) kind_list.push_back(fmt::format("{} {}", count, mapping));
  result.notes.push_back(fmt::format("nodes: {} ({})", conflict.locations.size(), fmt::join(kind_list, ", ")));
  result.notes.push_back(fmt::format("corridors: {} (road, length = Flee distance)", conflict.routes.size()));
  result.notes.push_back(
      fmt::format("events: {} bombardments from conflicts.csv, {} corridor closures from "
                  "closures.csv",
                  conflict_events, closure_events));
  result.notes.push_back(fmt::format("observations: {} camp series, {} points", observations.size(), observed_points));
  if (points_outside > 0) {
    result.notes.push_back(fmt::format("left out: {} outside the simulated period (or on a day given twice)",
                                       plural(points_outside, "UNHCR point", "UNHCR points")));
  }
  if (closures_after_end > 0) {
    result.notes.push_back(fmt::format("left out: {} Flee never acts on (start after the period, or start = end)",
                                       plural(closures_after_end, "closure", "closures")));
  }
  for (const auto& file : conflict.ignored_files) {
    result.notes.push_back(fmt::format("not read (Flee does not read it either): {}", file));
  }

  // --- the document
  std::string out;
  out += "# Imported from a Flee conflict folder by `haven import-flee` (docs/flee.md).\n";
  out += fmt::format("# folder: {}\n", conflict.folder.string());
  out += fmt::format("# rules: {}, departures: {}\n", options.rules, options.departures);
  out += fmt::format(
      "# conflicts.csv -> bombardment events: 1 unit of Flee conflict intensity = {} strikes/day (the\n"
      "#   conversion an earlier measurement used, issue 13); runs of equal intensity are one event.\n",
      number(strikes_per_day_per_intensity));
  out += "# input files (sha256):\n";
  for (const auto& input : conflict.inputs) out += fmt::format("#   {}  {}\n", input.sha256, input.path);
  if (!conflict.settings.empty()) {
    out += fmt::format("# Flee settings ({}):\n", conflict.settings_file);
    for (const auto& [key, value] : conflict.settings) out += fmt::format("#   {}: {}\n", key, value);
  } else {
    out += "# Flee settings: none given\n";
  }
  out += "# not expressed in this format yet:\n";
  for (const auto& item : missing) out += fmt::format("#   {}: {}\n", item.feature, item.extent);
  out += "\nscenario:\n";
  out += fmt::format("  name: {}\n", derive_id(conflict.folder_name));
  out += fmt::format("  title: {}\n", quote("Flee conflict " + conflict.folder_name));
  out += fmt::format("  description: {}\n",
                     quote(fmt::format("Imported from the Flee folder {} with --rules {} --departures {}.",
                                       conflict.folder_name, options.rules, options.departures)));
  out += fmt::format("  start_date: {}\n  days: {}\n", format_iso_date(conflict.start_date), conflict.days);
  out += "  sources:\n";
  out += fmt::format(
      "    - {{publisher: FabFlee (BSD 3-Clause), url: \"https://github.com/djgroen/FabFlee\", note: {}}}\n",
      quote("Flee conflict folder " + conflict.folder.string()));
  for (const auto& input : conflict.inputs) {
    out += fmt::format("    - {{publisher: Flee input, note: {}}}\n",
                       quote(fmt::format("{} sha256 {}", input.path, input.sha256)));
  }
  if (!conflict.settings.empty()) {
    std::vector<std::string> pairs;
    for (const auto& [key, value] : conflict.settings) pairs.push_back(key + "=" + value);
    out += fmt::format("    - {{publisher: Flee settings, note: {}}}\n",
                       quote(fmt::format("{}: {}", conflict.settings_file, fmt::join(pairs, " "))));
  }
  out += "\nnodes:\n";
  for (const auto& location : conflict.locations) {
    const auto mapping = haven_kind(location.location_type);
    std::string people;
    if (mapping.camp) {
      if (location.population > 0) people = fmt::format(", capacity: {}", location.population);
    } else if (location.population > 0) {
      people = fmt::format(", population: {}", location.population);
    }
    out += fmt::format("  - {{id: {}, name: {}, kind: {}, lat: {}, lon: {}{}, admin_area: {}, country: {}}}\n",
                       id_of[location.name], quote(location.name), mapping.kind, number(location.lat),
                       number(location.lon), people, quote(location.region), quote(location.country));
  }
  if (!conflict.routes.empty()) {
    out += "\ncorridors:\n";
    for (const auto& route : conflict.routes) {
      out += fmt::format("  - {{from: {}, to: {}, length_km: {}, kind: road}}\n", id_of[route.name1],
                         id_of[route.name2], number(route.distance_km));
    }
  }
  if (!events.empty()) out += fmt::format("\nevents:\n{}\n", fmt::join(events, "\n"));
  if (!observations.empty()) out += fmt::format("\nobservations:\n{}\n", fmt::join(observations, "\n"));
  out += "\noutputs:\n  interval_days: 1  # every day recorded, as Flee's out.csv\n";
  result.yaml = std::move(out);
  return result;
}

}  // namespace haven::flee
