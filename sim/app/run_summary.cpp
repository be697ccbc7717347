#include "run_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "haven/util/text.hpp"

namespace haven::app {

std::string run_summary_table(const Scenario& s, const RunConfig& config, const RunSummary& r) {
  auto day_label = [&](int day) {
    return fmt::format("{} (day {})", format_iso_date(add_days(s.start_date, day)), day);
  };
  // On one line: a name holding a line end or a tab would break the table's columns.
  auto node_name = [&](NodeIndex i) { return one_line(s.nodes[static_cast<std::size_t>(i)].name); };
  std::string out;
  out +=
      fmt::format("{}{}: {} mode, seed {}, {} day{} from {}\n", s.name, s.variant.empty() ? "" : " [" + s.variant + "]",
                  to_string(config.mode), config.seed, r.days, r.days == 1 ? "" : "s", format_iso_date(s.start_date));
  auto row = [&](std::string_view label, const std::string& value) {
    out += fmt::format("  {:<30}{:>12}\n", label, value);
  };
  row("people in the scenario", grouped(r.initial_population));
  // Flee's rules take nobody from a place's population (its take_from_population: false): the people who flee are
  // added to it, and the total grows by them. Said, so that the totals below are not read against the line above.
  row(s.rules == RuleSetKind::flee ? "displaced (added, Flee's rules)" : "displaced (left home)",
      grouped(r.cumulative_displaced));
  if (r.peak_daily_departures > 0) {
    out += fmt::format("  {:<30}{:>12}  on {}\n", "most newly displaced on a day", grouped(r.peak_daily_departures),
                       day_label(r.peak_day));
  } else {
    row("most newly displaced on a day", grouped(0));  // nobody left: no day to name
  }
  if (r.unsheltered_peak > 0) {
    out += fmt::format("  {:<30}{:>12}  on {}\n", "most unsheltered on a day", grouped(r.unsheltered_peak),
                       day_label(r.unsheltered_peak_day));
  } else {
    row("most unsheltered on a day", grouped(0));
  }
  row("returned home", grouped(r.returned));
  row("displaced present at the end", grouped(r.displaced_present_end));
  row("in transit at the end", grouped(r.in_transit_end));
  row("waiting at the end", grouped(r.waiting_end));
  // An evacuation that found no open route on some days moved fewer people than it says: said, not left to the
  // event log (a planner would read the event as done).
  for (const auto& evacuation : r.evacuations) {
    if (evacuation.days_blocked == 0) continue;
    out += fmt::format("  evacuation '{}' blocked on {} of {} days (no open route): {} moved, {} more on those days\n",
                       s.events[evacuation.event].id, evacuation.days_blocked, evacuation.days_active,
                       grouped(evacuation.moved), grouped(evacuation.not_moved));
  }
  // Given departures that never could set off: the observed series' rise they stand for never happened.
  if (!r.given_not_left.empty()) {
    double people = 0.0;
    std::vector<std::string> where;
    for (const auto& owed : r.given_not_left) {
      people += owed.people;
      where.push_back(node_name(owed.node));
    }
    out += fmt::format("  given departures not made: {} due to leave {} found every road closed to the end\n",
                       grouped(people), first_names(where, 3));
  }
  // The names' column is as wide as the longest name, from 30 to 44 columns; a longer name is cut with "…", so that
  // the figures stay in one column (the report and the exports give names whole). Padded by the columns a terminal
  // gives each name, wide scripts included.
  constexpr std::size_t narrowest = 30, widest = 44;
  std::size_t width = narrowest;
  for (const auto* rows : {&r.top_origins, &r.top_destinations}) {
    for (const auto& total : *rows) width = std::clamp(display_width(node_name(total.node)), width, widest);
  }
  const auto padded = [&](std::string_view text, std::size_t columns) {
    std::string cell = fit_width(text, columns);
    return cell + std::string(columns - std::min(columns, display_width(cell)), ' ');
  };
  auto table = [&](std::string_view title, std::string_view column, const std::vector<NodeTotal>& rows) {
    out += fmt::format("{}{:>12}\n", padded(title, width + 2), column);
    if (rows.empty()) out += "  (none)\n";
    for (const auto& total : rows) {
      out += fmt::format("  {}{:>12}\n", padded(node_name(total.node), width), grouped(total.people));
    }
  };
  table("top origins", "left home", r.top_origins);
  table("top destinations", "arrivals", r.top_destinations);
  return out;
}

}  // namespace haven::app
