// A FleeConflict as a Haven scenario in today's format (docs/scenario-format.md). Whatever the format cannot say
// yet is counted in ImportResult::unexpressed, never dropped silently (docs/flee.md).

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "haven/flee/folder.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/util/text.hpp"

namespace haven::flee {

namespace {

// A YAML double-quoted scalar on one line. Other control characters (C0, DEL and the C1 controls U+0080 to U+009F,
// which Windows-1252 text read as Latin-1 brings) are escaped: YAML readers other than yaml-cpp refuse them raw.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    const auto byte = static_cast<unsigned char>(c);
    const auto next = k + 1 < text.size() ? static_cast<unsigned char>(text[k + 1]) : 0;
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02X}", byte);
    } else if (byte == 0xC2 && next >= 0x80 && next <= 0x9F) {
      out += fmt::format("\\x{:02X}", next);  // the code point, U+0080 to U+009F
      ++k;
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
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

// A UNHCR series as Flee's DataTable holds it: (day since the start, value) rows in file order.
using Table = std::vector<std::pair<long, double>>;

Table table_of(const std::vector<SeriesPoint>& points, Date start) {
  Table table;
  for (const auto& point : points)
    table.emplace_back(days_between(start, point.date), static_cast<double>(point.value));
  return table;
}

// Flee's AddCSVTables (datamanager/DataTable.py), step by step: a camp whose people are counted in several files
// (car2013's Mboti, Inke, Betou). Its quirks are Flee's: rows of the second table after the first one's last day
// are dropped, and that last day may be repeated.
Table add_tables(const Table& table1, const Table& table2) {
  Table table;
  if (table1.empty()) return table;
  std::size_t offset = 0;
  std::pair<long, double> last_c2{0, 0.0};
  for (const auto& c2 : table2) {
    while (c2.first > table1[offset].first) {
      table.emplace_back(table1[offset].first, last_c2.second + table1[offset].second);
      if (offset < table1.size() - 1) {
        ++offset;
      } else {
        break;
      }
    }
    if (c2.first == table1[offset].first) {
      table.emplace_back(c2.first, c2.second + table1[offset].second);
      if (offset < table1.size() - 1) ++offset;
      last_c2 = c2;
      continue;
    }
    if (c2.first < table1[offset].first) {
      table.emplace_back(c2.first, c2.second + table1[offset].second);
      last_c2 = c2;
    }
  }
  return table;
}

// Flee's get_interpolated_data: linear between rows, flat before the first and after the last, truncated to a
// whole number.
double interpolated(const Table& table, long day) {
  if (table.empty()) return 0.0;
  if (day <= table.front().first) return std::trunc(table.front().second);
  for (std::size_t i = 1; i < table.size(); ++i) {
    if (day < table[i].first) {
      const auto& [old_day, old_value] = table[i - 1];
      const double fraction = static_cast<double>(day - old_day) / static_cast<double>(table[i].first - old_day);
      return std::trunc(old_value + fraction * (table[i].second - old_value));
    }
  }
  return std::trunc(table.back().second);
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
  // Flee's forced_redirection 2 redirects from name2 to name1 (InputGeography.py): the corridor runs that way.
  auto ends = [&](const Route& route) {
    return route.forced_redirection == 2 ? std::pair(id_of[route.name2], id_of[route.name1])
                                         : std::pair(id_of[route.name1], id_of[route.name2]);
  };
  auto corridor_id = [&](const Route& route) {
    const auto [from, to] = ends(route);
    return from + "-" + to;
  };

  // --- events: conflicts.csv as armed conflict, closures
  std::vector<std::string> events;
  std::size_t conflict_events = 0, intensity_changes = 0;
  for (const auto& column : conflict.conflicts) {
    const auto& days = column.intensity_by_day;
    const int last = std::min(conflict.days, static_cast<int>(days.size()));
    for (int day = 0; day < last;) {
      const double intensity = days[static_cast<std::size_t>(day)];
      if (intensity <= 1e-6) {  // Flee's threshold for "no conflict"
        ++day;
        continue;
      }
      // Flee sets the intensity (and the time the conflict began) only when a place becomes a conflict zone: a
      // run of conflict days is one event with its first day's intensity.
      int end = day;
      while (end + 1 < last && days[static_cast<std::size_t>(end + 1)] > 1e-6) {
        ++end;
        if (days[static_cast<std::size_t>(end)] != intensity) ++intensity_changes;
      }
      ++conflict_events;
      events.push_back(
          fmt::format("  - {{id: conflict_{}, kind: armed_conflict, node: {}, day: {}, until: {}, "
                      "intensity: {}, note: \"conflicts.csv\"}}",
                      conflict_events, id_of[column.location], day, end, number(intensity)));
      day = end + 1;
    }
  }
  std::size_t country_closures = 0, camp_closures = 0, redirection_closures = 0, link_closures_without_route = 0,
              closures_after_end = 0, closure_events = 0;
  std::size_t redirections_without_route = 0;
  for (const auto& closure : conflict.closures) {
    if (closure.start_day >= conflict.days || closure.end_day == closure.start_day) {
      ++closures_after_end;  // Flee would never act on it, or closes and reopens on the same day
      continue;
    }
    // Flee closes on `time == start` and reopens on `time == end`: an end before the start never comes.
    const bool reopens = closure.end_day > closure.start_day && closure.end_day < conflict.days;
    const std::string window =
        fmt::format("day: {}{}", closure.start_day, reopens ? fmt::format(", until: {}", closure.end_day - 1) : "");
    const std::string note = quote(fmt::format("closures.csv line {}: {} {}{}", closure.origin.line, closure.type,
                                               closure.name1, closure.name2.empty() ? "" : " " + closure.name2));
    if (closure.type == "country") {
      ++country_closures;
      ++closure_events;
      events.push_back(fmt::format("  - {{id: closure_{}, kind: country_closure, countries: [{}, {}], {}, note: {}}}",
                                   closure_events, quote(closure.name1), quote(closure.name2), window, note));
      continue;
    }
    if (closure.type == "camp" || closure.type == "idpcamp") {
      ++camp_closures;
      ++closure_events;
      events.push_back(fmt::format("  - {{id: closure_{}, kind: camp_closure, node: {}, {}, note: {}}}", closure_events,
                                   id_of[closure.name1], window, note));
      continue;
    }
    if (closure.type == "remove_forced_redirection") {
      const Route* redirected = nullptr;
      for (const auto& route : conflict.routes) {
        const bool pair = (route.name1 == closure.name1 && route.name2 == closure.name2) ||
                          (route.name1 == closure.name2 && route.name2 == closure.name1);
        if (pair && route.forced_redirection != 0) redirected = &route;
      }
      if (!redirected) {
        ++redirections_without_route;
        continue;
      }
      ++redirection_closures;
      ++closure_events;
      events.push_back(fmt::format("  - {{id: closure_{}, kind: redirection_end, corridor: {}, {}, note: {}}}",
                                   closure_events, corridor_id(*redirected), window, note));
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
    for (const Route* route : closed) {
      ++closure_events;
      events.push_back(fmt::format("  - {{id: closure_{}, kind: corridor_closure, corridor: {}, {}, note: {}}}",
                                   closure_events, corridor_id(*route), window, note));
    }
  }

  // --- observations: each camp's UNHCR series as Flee reads it (files summed, registration corrections applied)
  std::map<std::string, Table> tables;
  for (const auto& series : conflict.camp_series) {
    if (!series.used || series.points_by_file.empty()) continue;
    Table table = table_of(series.points_by_file.front(), conflict.start_date);
    for (std::size_t f = 1; f < series.points_by_file.size(); ++f) {
      table = add_tables(table, table_of(series.points_by_file[f], conflict.start_date));
    }
    tables[series.name] = std::move(table);
  }
  // Flee's correctLevel1Registrations: every earlier point of the camp is scaled by the first level-2 value over
  // the last level-1 one; a correction dated before the start is ignored.
  std::size_t corrections_applied = 0, corrections_before_start = 0;
  for (const auto& correction : conflict.registration_corrections) {
    auto it = tables.find(correction.name);
    if (it == tables.end()) continue;  // the reader rejects a camp without a series
    const long day = days_between(conflict.start_date, correction.date);
    if (day < 0) {
      ++corrections_before_start;
      continue;
    }
    auto& table = it->second;
    for (std::size_t i = 1; i < table.size(); ++i) {
      if (table[i].first != day || table[i - 1].second < 1.0) continue;
      const double factor = table[i].second / table[i - 1].second;
      for (std::size_t k = 0; k < i; ++k) table[k].second *= factor;
      ++corrections_applied;
    }
  }
  std::vector<std::string> observations;
  std::vector<std::string> observed_camps;
  std::map<std::string, double> day0_people;
  std::size_t summed_series = 0, points_outside = 0, observed_points = 0;
  auto points_of = [&](const Table& table, bool with_ends) {
    std::vector<std::string> points;
    std::set<long> days_seen;
    for (const auto& [day, value] : table) {
      if (day < 0 || day >= conflict.days || !days_seen.insert(day).second) {
        ++points_outside;
        continue;
      }
      points.push_back(fmt::format("{{day: {}, value: {}}}", day, number(value)));
    }
    // The series that gives departures needs its value on the first and last day, which Flee interpolates from
    // points outside the period too.
    if (with_ends && !table.empty()) {
      for (const long day : {0L, static_cast<long>(conflict.days - 1)}) {
        if (days_seen.count(day) != 0) continue;
        const auto at = std::find_if(points.begin(), points.end(),
                                     [&](const std::string& p) { return std::stol(p.substr(6)) > day; });
        points.insert(at, fmt::format("{{day: {}, value: {}, note: \"interpolated by the importer as Flee does\"}}",
                                      day, number(interpolated(table, day))));
        days_seen.insert(day);
      }
    }
    return points;
  };
  for (const auto& series : conflict.camp_series) {
    if (!series.used) continue;
    const auto& table = tables[series.name];
    if (series.files.size() > 1) ++summed_series;
    day0_people[series.name] = interpolated(table, 0);
    const auto points = points_of(table, false);
    if (points.empty()) continue;
    observed_points += points.size();
    observed_camps.push_back(id_of[series.name]);
    std::string id = "unhcr_" + id_of[series.name];
    if (id.size() > 64) id.resize(64);
    observations.push_back(
        fmt::format("  - id: {}\n    variable: displaced_present\n    node: {}\n    source: {{publisher: "
                    "UNHCR, note: {}}}\n    points: [{}]",
                    id, id_of[series.name],
                    quote(fmt::format("source_data/{} (via FabFlee)", fmt::join(series.files, " + source_data/"))),
                    fmt::format("{}", fmt::join(points, ", "))));
  }
  bool total_written = false;
  if (conflict.total && !conflict.total->points_by_file.empty() && !observed_camps.empty()) {
    const auto points = points_of(table_of(conflict.total->points_by_file.front(), conflict.start_date), true);
    if (!points.empty()) {
      total_written = true;
      observed_points += points.size();
      observations.push_back(fmt::format(
          "  - id: unhcr_total\n    variable: displaced_present\n    nodes: [{}]\n    source: {{publisher: UNHCR, "
          "note: {}}}\n    points: [{}]",
          fmt::join(observed_camps, ", "),
          quote(fmt::format("source_data/{} (via FabFlee): refugees in the camps", conflict.total->files.front())),
          fmt::join(points, ", ")));
    }
  }
  const bool given = options.departures == "given" && total_written;
  // Flee's validation runs spawn the daily rise of the camps' series summed (sum_from_camps), not of refugees.csv:
  // the Flee rule set is given that sum, day by day, each camp interpolated and truncated as Flee does.
  const bool flee_rules = options.rules == "flee";
  const bool camps_summed = flee_rules && !tables.empty() && !observed_camps.empty();
  result.flee_rules_without_departures = flee_rules && !camps_summed;
  if (camps_summed) {
    std::vector<std::string> points;
    for (int day = 0; day < conflict.days; ++day) {
      double sum = 0.0;
      for (const auto& [name, table] : tables) sum += interpolated(table, day);
      points.push_back(fmt::format("{{day: {}, value: {}}}", day, number(sum)));
    }
    observed_points += points.size();
    observations.push_back(fmt::format(
        "  - id: unhcr_camps_summed\n    variable: displaced_present\n    nodes: [{}]\n    source: {{publisher: UNHCR, "
        "note: \"the camps' series summed day by day as Flee's sum_from_camps (via FabFlee)\"}}\n    points: [{}]",
        fmt::join(observed_camps, ", "), fmt::join(points, ", ")));
  }

  // Flee's spawn decay settings become the spawn_decay_* parameters.
  std::vector<std::string> parameters;
  std::size_t decay_steps_left_out = 0;
  // Not a structured binding: the lambdas below capture the pair's parts, which clang's OpenMP refuses.
  for (const auto& setting : conflict.settings) {
    const std::string& key = setting.first;
    const std::string& value = setting.second;
    // A value the scenario would refuse is said here, where the setting is named, and the default kept: a message
    // located in the imported YAML would point into a file that is never written.
    // A plain decimal number (from_chars: no hex, no "inf", as the scenario's YAML reads numbers) the parameter takes.
    const auto allowed = [](const char* parameter, const std::string& text) {
      const auto* spec = find_parameter_spec(parameter);
      double number = 0.0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      return spec && !text.empty() && error == std::errc() && end == text.data() + text.size() &&
             parameter_value_allowed(*spec, number);
    };
    const auto refuse = [&](const char* parameter) {
      result.unexpressed.push_back({fmt::format("Flee setting {} = {} (Haven's {} takes {})", key, value, parameter,
                                                allowed_values(*find_parameter_spec(parameter))),
                                    "1 setting"});
    };
    const std::string value_text = [&] {
      const auto first = value.find_first_not_of(" \t");
      return first == std::string::npos ? std::string()
                                        : value.substr(first, value.find_last_not_of(" \t") - first + 1);
    }();
    if (key == "spawn_rules.conflict_spawn_decay_interval") {
      if (!allowed("spawn_decay_interval_days", value_text)) {
        refuse("spawn_decay_interval_days");
        continue;
      }
      parameters.push_back(fmt::format("  spawn_decay_interval_days: {}", value_text));
    } else if (key == "spawn_rules.conflict_spawn_decay") {
      if (value_text.size() < 2 || value_text.front() != '[' || value_text.back() != ']') {
        result.unexpressed.push_back(
            {fmt::format("Flee setting {} = {} (Haven takes a list of factors, [1, 0.5, ...])", key, value),
             "1 setting"});
        continue;
      }
      std::vector<std::string> steps;
      std::string item;
      for (char c : value_text.substr(1, value_text.size() - 2) + ",") {
        if (c == ',') {
          if (!item.empty()) steps.push_back(item);
          item.clear();
        } else if (c != ' ') {
          item += c;
        }
      }
      if (steps.empty() || std::any_of(steps.begin(), steps.end(),
                                       [&](const std::string& step) { return !allowed("spawn_decay_1", step); })) {
        refuse("spawn_decay_1");
        continue;
      }
      // Flee holds the last factor from then on: a shorter list fills the remaining steps with it.
      for (std::size_t k = 0; k < 5 && !steps.empty(); ++k)
        parameters.push_back(fmt::format("  spawn_decay_{}: {}", k + 1, steps[std::min(k, steps.size() - 1)]));
      if (steps.size() > 5) decay_steps_left_out = steps.size() - 5;
    }
  }

  // --- what the format cannot say
  auto& missing = result.unexpressed;
  const auto rows = [](std::size_t n) { return plural(n, "row", "rows"); };
  if (redirections_without_route > 0) {
    missing.push_back(
        {"remove_forced_redirection of a route without forced_redirection", rows(redirections_without_route)});
  }
  if (link_closures_without_route > 0) {
    missing.push_back({"link/location closures with no route to close", rows(link_closures_without_route)});
  }
  const auto flood =
      static_cast<std::size_t>(std::count_if(conflict.locations.begin(), conflict.locations.end(),
                                             [](const Location& l) { return l.location_type == "flood_zone"; }));
  if (flood > 0) missing.push_back({"flood zones (read as towns)", plural(flood, "location", "locations")});
  if (decay_steps_left_out > 0) {
    missing.push_back({"conflict_spawn_decay steps beyond the 5th (spawn_decay_5 holds from the 5th on)",
                       plural(decay_steps_left_out, "step", "steps")});
  }
  if (options.departures == "given" && !total_written) {
    missing.push_back({"departures given by UNHCR totals",
                       conflict.total ? "the UNHCR total (data_layout.csv row 'total') has no point in the simulated "
                                        "period: departures are predicted"
                                      : "no UNHCR total (data_layout.csv row 'total') to give them"});
  }
  // Flee's rule set reads simsetting.yml as parameters; Haven's rules do not.
  const auto settings = flee_rules ? settings_as_parameters(conflict) : SettingsAsParameters{};
  for (const auto& [name, value] : settings.parameters) {
    if (name.rfind("spawn_decay", 0) != 0) parameters.push_back(fmt::format("  {}: {}", name, number(value)));
  }
  if (flee_rules) {
    missing.insert(missing.end(), settings.unexpressed.begin(), settings.unexpressed.end());
    for (const auto& note : settings.notes) result.notes.push_back(note);
  }
  const auto empty_towns = static_cast<std::size_t>(
      std::count_if(conflict.locations.begin(), conflict.locations.end(),
                    [](const Location& l) { return haven_kind(l.location_type).kind == "town" && l.population == 0; }));
  const auto foreign =
      static_cast<std::size_t>(std::count_if(conflict.locations.begin(), conflict.locations.end(),
                                             [&](const Location& l) { return l.country != home_country; }));
  const auto redirected_routes = static_cast<std::size_t>(std::count_if(
      conflict.routes.begin(), conflict.routes.end(), [](const Route& r) { return r.forced_redirection != 0; }));

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
      fmt::format("events: {} armed conflicts from conflicts.csv, {} closure events from closures.csv "
                  "({} country, {} camp, {} redirection ends)",
                  conflict_events, closure_events, country_closures, camp_closures, redirection_closures));
  if (intensity_changes > 0) {
    result.notes.push_back(
        fmt::format("conflicts.csv: {} days whose intensity differs from their run's first day "
                    "(Flee keeps the first, and so does the event)",
                    intensity_changes));
  }
  if (redirected_routes > 0) {
    result.notes.push_back(
        fmt::format("forced_redirection: {} (Flee 3 sets the flag but moves nobody by it; "
                    "Haven's rules send arrivals on)",
                    plural(redirected_routes, "route", "routes")));
  }
  std::vector<std::string> series_kinds = {plural(observed_camps.size(), "camp", "camps")};
  if (total_written) series_kinds.emplace_back("the UNHCR total over them");
  if (camps_summed) series_kinds.emplace_back("their daily sum, unhcr_camps_summed");
  const std::string last = series_kinds.back();
  series_kinds.pop_back();
  result.notes.push_back(fmt::format("observations: {} series ({}{}{}), {} points", observations.size(),
                                     fmt::join(series_kinds, ", "), series_kinds.empty() ? "" : " and ", last,
                                     observed_points));
  if (summed_series > 0) {
    result.notes.push_back(fmt::format("camp series summed from several files as Flee does: {}", summed_series));
  }
  if (corrections_applied + corrections_before_start > 0) {
    result.notes.push_back(
        fmt::format("registration corrections: {} applied to the earlier points, {} dated before "
                    "the start (ignored, as Flee does)",
                    corrections_applied, corrections_before_start));
  }
  if (empty_towns > 0) {
    result.notes.push_back(
        fmt::format("towns without residents: {} with capacity: unlimited (they host people, as "
                    "in Flee)",
                    empty_towns));
  }
  if (foreign > 0) result.notes.push_back(fmt::format("home_country: {} ({} foreign nodes)", home_country, foreign));
  result.notes.push_back(camps_summed ? "departures: given by the rise of unhcr_camps_summed (Flee's sum_from_camps), "
                                        "placed over the armed conflicts"
                         : given      ? "departures: given by the rise of unhcr_total, placed over the armed conflicts"
                                      : "departures: predicted by Haven's rules");
  if (!conflict.settings.empty()) {
    result.notes.push_back(
        fmt::format("Flee settings ({}): {} recorded; the spawn decay ones as spawn_decay_* "
                    "parameters, the others belong to Flee's rules",
                    conflict.settings_file, conflict.settings.size()));
  } else if (conflict.settings_file.empty()) {
    // FabFlee keeps the validation runs' settings beside the conflicts, not in each: without them the run is
    // Flee's defaults (another move chance, no avoidance of short stints), not the runs Flee's figures come from.
    // The folder above as given (`mali2012/`, `.` and `../x` alike), not the folder itself.
    auto above = (conflict.folder / "..").lexically_normal();
    const auto beside =
        above == "." || above == "./" ? std::filesystem::path("simsetting.yml") : above / "simsetting.yml";
    result.notes.push_back(fmt::format(
        "Flee settings: none (no simsetting.yml in the folder): Flee's defaults{}",
        std::filesystem::exists(beside)
            ? fmt::format("; the folder above has one, which FabFlee's validation runs read: --simsetting {}",
                          beside.string())
            : std::string("; give FabFlee's with --simsetting FILE")));
  }
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
  out += fmt::format("# rules: {}, departures: {}\n", options.rules, given ? "given" : "predicted");
  out += "# conflicts.csv -> armed_conflict events, one per run of conflict days, with the first day's intensity.\n";
  out += "# input files (sha256):\n";
  for (const auto& input : conflict.inputs) out += fmt::format("#   {}  {}\n", input.sha256, input.path);
  if (!conflict.settings.empty()) {
    out += fmt::format("# Flee settings ({}):\n", conflict.settings_file);
    for (const auto& [key, value] : conflict.settings) out += fmt::format("#   {}: {}\n", key, value);
  } else {
    out += "# Flee settings: none given\n";
  }
  out += missing.empty() ? "# not expressed: nothing\n" : "# not expressed in this format:\n";
  for (const auto& item : missing) out += fmt::format("#   {}: {}\n", item.feature, item.extent);
  out += "\nscenario:\n";
  out += fmt::format("  name: {}\n", derive_id(conflict.folder_name));
  out += fmt::format("  title: {}\n", quote("Flee conflict " + conflict.folder_name));
  out += fmt::format("  description: {}\n",
                     quote(fmt::format("Imported from the Flee folder {} with --rules {} --departures {}.",
                                       conflict.folder_name, options.rules, given ? "given" : "predicted")));
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
  // Flee puts each camp's UNHCR count of day 0 in the camp (insert_day0, true unless set otherwise).
  bool insert_day0 = true;
  for (const auto& [key, value] : conflict.settings) {
    const bool no = value == "false" || value == "False" || value == "0";
    const bool yes = value == "true" || value == "True" || value == "1";
    if (key == "spawn_rules.insert_day0" && no) insert_day0 = false;
    if (key == "spawn_rules.empty_camps_on_day0" && yes) insert_day0 = false;
  }
  out += fmt::format("home_country: {}\n", quote(home_country));
  // Named in either mode, so that `--set departures.mode=given` (or `=predicted`) switches the scenario.
  if (camps_summed) {
    out += "departures: {mode: given, observation: unhcr_camps_summed}\n";
  } else if (total_written) {
    out += fmt::format("departures: {{mode: {}, observation: unhcr_total}}\n", given ? "given" : "predicted");
  }
  if (!parameters.empty()) out += fmt::format("\nparameters:\n{}\n", fmt::join(parameters, "\n"));
  out += "\nnodes:\n";
  for (const auto& location : conflict.locations) {
    const auto mapping = haven_kind(location.location_type);
    std::string people;
    if (mapping.camp) {
      if (location.population > 0) people = fmt::format(", capacity: {}", location.population);
      if (auto it = day0_people.find(location.name); insert_day0 && it != day0_people.end() && it->second >= 1.0) {
        people += fmt::format(", displaced: {}", number(it->second));
      }
    } else if (location.population > 0) {
      people = fmt::format(", population: {}", location.population);
    } else if (mapping.kind == "town") {
      people = ", capacity: unlimited";  // Flee's towns host people whatever their residents
    }
    out += fmt::format("  - {{id: {}, name: {}, kind: {}, lat: {}, lon: {}{}, admin_area: {}, country: {}}}\n",
                       id_of[location.name], quote(location.name), mapping.kind, number(location.lat),
                       number(location.lon), people, quote(location.region), quote(location.country));
  }
  if (!conflict.routes.empty()) {
    out += "\ncorridors:\n";
    for (const auto& route : conflict.routes) {
      const auto [from, to] = ends(route);
      out += fmt::format("  - {{from: {}, to: {}, length_km: {}, kind: road{}}}\n", from, to, number(route.distance_km),
                         route.forced_redirection != 0 ? ", forced_redirection: true" : "");
    }
  }
  if (flee_rules) {
    out += "\nrules: flee  # Flee 3's rules with counts (docs/model.md, \"The Flee rule set\")\n";
  }
  if (!events.empty()) out += fmt::format("\nevents:\n{}\n", fmt::join(events, "\n"));
  if (!observations.empty()) out += fmt::format("\nobservations:\n{}\n", fmt::join(observations, "\n"));
  out += "\noutputs:\n  interval_days: 1  # every day recorded, as Flee's out.csv\n";
  result.yaml = std::move(out);
  return result;
}

}  // namespace haven::flee
