#include "haven/analysis/compare.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "haven/util/csv.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

namespace haven {

namespace {

std::string signed_grouped(double value) {
  return (value >= 0 ? "+" : "") + grouped(value);
}

// Columns a terminal shows for UTF-8 text (one per code point: names are letters, not wide CJK or emoji).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// At most `width` columns: the start of the text and an ellipsis.
std::string shorten(const std::string& text, std::size_t width) {
  if (display_width(text) <= width || width == 0) return text;
  std::string out;
  std::size_t shown = 0;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const bool starts_char = (static_cast<unsigned char>(text[k]) & 0xC0) != 0x80;
    if (starts_char && shown == width - 1) break;
    if (starts_char) ++shown;
    out += text[k];
  }
  return out + "\u2026";
}

std::string pad_right(const std::string& text, std::size_t width) {
  const std::size_t w = display_width(text);
  return text + std::string(w < width ? width - w : 0, ' ');
}

std::string pad_left(const std::string& text, std::size_t width) {
  const std::size_t w = display_width(text);
  return std::string(w < width ? width - w : 0, ' ') + text;
}

constexpr std::size_t label_limit = 28;

// A run's label in at most `width` columns, keeping what tells the runs apart: the file or the member count in
// parentheses at the end and the variant in brackets stay whole where they fit, and the scenario name is shortened
// (runs of one scenario with a long name would otherwise all read "a_long_scenario_na…"); then the variant. A label
// that still does not fit keeps its start and its end, an ellipsis between.
std::string shorten_label(const std::string& label, std::size_t width) {
  if (display_width(label) <= width || width < 8) return label;
  const auto bracket = label.find(" [");
  if (bracket != std::string::npos) {
    const auto paren = label.rfind(" (");
    const bool has_suffix = paren != std::string::npos && paren > bracket && label.back() == ')';
    const std::string scenario = label.substr(0, bracket);
    const std::string variant = label.substr(bracket, has_suffix ? paren - bracket : std::string::npos);
    const std::string suffix = has_suffix ? label.substr(paren) : std::string();
    constexpr std::size_t least_scenario = 8;  // "idlib_2…": enough to recognise it
    constexpr std::size_t least_variant = 6;   // " [ful…"
    const std::size_t kept = display_width(variant) + display_width(suffix);
    if (kept + least_scenario <= width) return shorten(scenario, width - kept) + variant + suffix;
    if (display_width(suffix) + least_scenario + least_variant <= width) {
      return shorten(scenario, least_scenario) + shorten(variant, width - least_scenario - display_width(suffix)) +
             suffix;
    }
  }
  std::vector<std::string> characters;
  for (const char c : label) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 || characters.empty()) characters.emplace_back();
    characters.back() += c;
  }
  const std::size_t head = (width - 1) / 2, tail = width - 1 - head;
  std::string out;
  for (std::size_t k = 0; k < head; ++k) out += characters[k];
  out += "\u2026";
  for (std::size_t k = characters.size() - tail; k < characters.size(); ++k) out += characters[k];
  return out;
}

}  // namespace

std::string ComparePoint::label() const {
  switch (kind) {
    case Kind::end:
      return "end";
    case Kind::peak:
      // Of departures, the day most people left home: not the report's peak, the day most were away from home.
      return "departures' peak";
    case Kind::date:
      return date;
    case Kind::day:
      break;
  }
  return fmt::format("day {}", day);
}

std::string ComparePoint::column() const {
  switch (kind) {
    case Kind::end:
      return "displaced_by_end";
    case Kind::peak:
      return "displaced_by_peak_day";
    case Kind::date:
      return fmt::format("displaced_on_{}", date);
    case Kind::day:
      break;
  }
  return fmt::format("displaced_by_day_{}", day);
}

std::optional<int> ComparePoint::day_in_run(const std::string& start_date) const {
  if (kind != Kind::date) return day;
  const auto start = parse_iso_date(start_date);
  const auto on = parse_iso_date(date);
  if (!start || !on) return std::nullopt;
  const long offset = days_between(*start, *on);
  if (offset < 0) return std::nullopt;
  return static_cast<int>(std::min<long>(offset, 1'000'000'000));
}

std::optional<ComparePoint> parse_compare_point(const std::string& text, const std::string& start_date,
                                                std::string& error) {
  if (text == "end") return ComparePoint{ComparePoint::Kind::end, 0};
  if (text == "peak") return ComparePoint{ComparePoint::Kind::peak, 0};
  int day = 0;
  const auto [end, code] = std::from_chars(text.data(), text.data() + text.size(), day);
  if (code == std::errc() && end == text.data() + text.size() && !text.empty()) {
    if (day < 0) {
      error = fmt::format("--at {}: a day is 0 or more (day 0 is the start date)", text);
      return std::nullopt;
    }
    return ComparePoint{ComparePoint::Kind::day, day};
  }
  if (const auto date = parse_iso_date(text)) {
    ComparePoint point{ComparePoint::Kind::date, 0, format_iso_date(*date)};
    point.day = point.day_in_run(start_date).value_or(-1);
    return point;
  }
  static constexpr std::array<std::string_view, 2> words = {"end", "peak"};
  error = fmt::format("--at '{}': expected a day number, a date (YYYY-MM-DD), 'end' or 'peak'{}", text,
                      did_you_mean(text, words));
  return std::nullopt;
}

std::vector<ComparePoint> default_compare_points(const std::vector<RunFile>& files) {
  int last = -1;
  for (const auto& file : files) {
    if (file.time_days.empty()) continue;
    last = last < 0 ? file.time_days.back() : std::min(last, file.time_days.back());
  }
  std::vector<ComparePoint> points;
  for (int day : {30, 60, 90}) {
    if (day < last) points.push_back({ComparePoint::Kind::day, day});
  }
  points.push_back({ComparePoint::Kind::end, 0});
  return points;
}

WhatIfOutcome summarise_run(const RunFile& file, const std::vector<ComparePoint>& points, std::size_t scenario_nodes) {
  WhatIfOutcome outcome;
  outcome.label = file.scenario_name + (file.variant.empty() ? "" : " [" + file.variant + "]");
  outcome.description = one_line(file.variant_description.empty() ? file.description : file.variant_description);
  const std::size_t t_count = file.times(), n = file.nodes();
  if (t_count > 0) outcome.last_day = file.time_days.back();
  // Only a file recorded every day gives a day's rise: with a recording interval, the rise between two records is
  // several days' departures (the whole run's with an interval past its end), not a peak.
  const bool daily = t_count > 0 && file.time_days.front() == 0 && file.every_day_recorded();
  if (!daily) {
    outcome.peak_daily_departures = std::numeric_limits<double>::quiet_NaN();
    outcome.peak_day = -1;
  }
  constexpr double unknown = std::numeric_limits<double>::quiet_NaN();
  if (file.cumulative_displaced.empty()) {
    outcome.peak_daily_departures = unknown;
    outcome.peak_day = -1;
    outcome.not_recorded.emplace_back("cumulative_displaced");
  }
  for (std::size_t t = 0; daily && t < t_count && !file.cumulative_displaced.empty(); ++t) {
    const double rise = static_cast<double>(file.cumulative_displaced[t]) -
                        (t == 0 ? 0.0 : static_cast<double>(file.cumulative_displaced[t - 1]));
    if (rise > outcome.peak_daily_departures) {
      outcome.peak_daily_departures = rise;
      outcome.peak_day = file.time_days[t];
    }
  }
  // Nobody left home: there is no peak day to read (the day-0 default would read as one).
  const bool nobody_left = outcome.peak_daily_departures == 0.0;
  for (const auto& point : points) {
    std::optional<int> day;
    if (t_count > 0 && !(point.kind == ComparePoint::Kind::peak && nobody_left)) {
      day = point.kind == ComparePoint::Kind::end    ? file.time_days.back()
            : point.kind == ComparePoint::Kind::peak ? outcome.peak_day
                                                     : point.day_in_run(file.start_date);
    }
    auto it = day ? std::find(file.time_days.begin(), file.time_days.end(), *day) : file.time_days.end();
    if (it == file.time_days.end() || file.cumulative_displaced.empty()) {
      outcome.at_point.emplace_back(std::nullopt);
      // The day is known without the figure (a file that does not record cumulative_displaced still ends).
      outcome.point_day.emplace_back(it == file.time_days.end() ? std::nullopt : day);
    } else {
      outcome.at_point.emplace_back(
          static_cast<double>(file.cumulative_displaced[static_cast<std::size_t>(it - file.time_days.begin())]));
      outcome.point_day.emplace_back(day);
    }
  }
  for (std::size_t t = 0; t < t_count && !file.unsheltered.empty(); ++t) {
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(file.unsheltered[t * n + i]);
    outcome.unsheltered_peak = std::max(outcome.unsheltered_peak, total);
  }
  if (file.unsheltered.empty()) outcome.not_recorded.emplace_back("unsheltered");
  if (file.displaced_present.empty()) outcome.not_recorded.emplace_back("displaced_present");
  // Only some places recorded: their sums are not the network's.
  const bool some_places = scenario_nodes > n;
  if (some_places) outcome.not_recorded.push_back(fmt::format("{} of {} places", scenario_nodes - n, scenario_nodes));
  if (file.unsheltered.empty() || some_places) outcome.unsheltered_peak = unknown;
  if (t_count > 0 && !file.displaced_present.empty()) {
    std::vector<std::pair<std::string, double>> present;
    for (std::size_t i = 0; i < n; ++i) {
      const auto v = static_cast<double>(file.displaced_present[(t_count - 1) * n + i]);
      outcome.displaced_present_end += v;
      if (v > 0) present.emplace_back(file.node_name[i], v);
    }
    std::stable_sort(present.begin(), present.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (present.size() > 3) present.resize(3);
    outcome.top_destinations = present;
  }
  if (file.displaced_present.empty() || some_places) {
    outcome.displaced_present_end = unknown;
    // The recorded places' ranking is not the network's top destinations.
    outcome.top_destinations.clear();
  }
  // People queueing at a full road are in no place's population (docs/output-format.md): said apart, or a capped
  // road's what-if would read as fewer people displaced.
  if (t_count > 0 && !file.waiting.empty() && !some_places) {
    outcome.waiting_end = 0.0;
    for (std::size_t i = 0; i < n; ++i) outcome.waiting_end += static_cast<double>(file.waiting[(t_count - 1) * n + i]);
  } else {
    outcome.waiting_end = unknown;
  }
  return outcome;
}

WhatIfOutcome summarise_members(const std::vector<RunFile>& members, const std::string& label,
                                const std::vector<ComparePoint>& points, std::size_t scenario_nodes) {
  WhatIfOutcome mean;
  mean.label = label;
  mean.at_point.assign(points.size(), std::nullopt);
  mean.point_day.assign(points.size(), std::nullopt);
  if (members.empty()) return mean;
  // The members share their scenario's (or variant's) description, as a run's row says its own.
  const RunFile& first = members.front();
  mean.description = one_line(first.variant_description.empty() ? first.description : first.variant_description);
  const auto count = static_cast<double>(members.size());
  std::vector<double> present_end;
  std::vector<std::size_t> has_point(points.size(), 0);
  std::vector<double> point_sum(points.size(), 0.0), point_day_sum(points.size(), 0.0);
  double peak_day_sum = 0.0, last_day_sum = 0.0;
  for (const auto& member : members) {
    const WhatIfOutcome one = summarise_run(member, points, scenario_nodes);
    if (mean.description.empty()) mean.description = one.description;
    if (mean.not_recorded.empty()) mean.not_recorded = one.not_recorded;
    for (std::size_t p = 0; p < points.size(); ++p) {
      if (!one.at_point[p]) continue;
      ++has_point[p];
      point_sum[p] += *one.at_point[p];
      point_day_sum[p] += *one.point_day[p];
    }
    mean.peak_daily_departures += one.peak_daily_departures / count;
    peak_day_sum += one.peak_day;
    last_day_sum += one.last_day;
    mean.unsheltered_peak += one.unsheltered_peak / count;
    mean.displaced_present_end += one.displaced_present_end / count;
    mean.waiting_end += one.waiting_end / count;
    const std::size_t t_count = member.times(), n = member.nodes();
    present_end.resize(n, 0.0);
    if (t_count > 0 && member.displaced_present.size() == t_count * n) {
      for (std::size_t i = 0; i < n; ++i) {
        present_end[i] += static_cast<double>(member.displaced_present[(t_count - 1) * n + i]) / count;
      }
    }
  }
  for (std::size_t p = 0; p < points.size(); ++p) {
    if (has_point[p] != members.size()) continue;
    mean.at_point[p] = point_sum[p] / count;
    mean.point_day[p] = static_cast<int>(std::lround(point_day_sum[p] / count));
  }
  // A member not recorded every day has no peak day (summarise_run): nor has their mean.
  mean.peak_day = std::isnan(mean.peak_daily_departures) ? -1 : static_cast<int>(std::lround(peak_day_sum / count));
  mean.last_day = static_cast<int>(std::lround(last_day_sum / count));
  std::vector<std::pair<std::string, double>> present;
  // Over some of the places, the recorded ones' ranking is not the network's (as summarise_run()).
  const bool some_places = scenario_nodes > members.front().nodes();
  for (std::size_t i = 0; i < present_end.size() && !some_places; ++i) {
    if (present_end[i] > 0) present.emplace_back(members.front().node_name[i], present_end[i]);
  }
  std::stable_sort(present.begin(), present.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (present.size() > 3) present.resize(3);
  mean.top_destinations = present;
  return mean;
}

namespace {

// Whether the outcome's file does not record `variable` (WhatIfOutcome::not_recorded).
bool lacks(const WhatIfOutcome& outcome, std::string_view variable) {
  return std::find(outcome.not_recorded.begin(), outcome.not_recorded.end(), variable) != outcome.not_recorded.end();
}

// `text` over lines of at most `width` columns, broken between words, each line after the first indented by one.
std::string wrapped(const std::string& text, std::size_t width) {
  std::string out, line;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && display_width(line) + 1 + display_width(word) > width) {
      out += line + "\n";
      line = " " + word;
    } else {
      line += (line.empty() ? "" : " ") + word;
    }
    start = end + 1;
  }
  return out + line + "\n";
}

}  // namespace

std::string comparison_table(const std::vector<WhatIfOutcome>& outcomes, const std::vector<ComparePoint>& points,
                             std::size_t width) {
  std::string out;
  if (outcomes.empty()) return out;
  // Columns: header and one cell per run.
  struct Column {
    std::string header;
    std::vector<std::string> cells;
  };
  std::vector<Column> columns;
  const WhatIfOutcome& first = outcomes.front();
  auto cell = [&](std::optional<double> value, std::optional<double> reference, bool is_first) -> std::string {
    if (!value || std::isnan(*value)) return "-";
    if (is_first || !reference || std::isnan(*reference)) return grouped(*value);
    return fmt::format("{} ({})", grouped(*value), signed_grouped(*value - *reference));
  };
  for (std::size_t p = 0; p < points.size(); ++p) {
    Column column{"by " + points[p].label(), {}};
    for (std::size_t r = 0; r < outcomes.size(); ++r) {
      column.cells.push_back(cell(outcomes[r].at_point[p], first.at_point[p], r == 0));
    }
    columns.push_back(std::move(column));
  }
  auto add = [&](std::string header, double WhatIfOutcome::*field) {
    Column column{std::move(header), {}};
    for (std::size_t r = 0; r < outcomes.size(); ++r) {
      column.cells.push_back(cell(outcomes[r].*field, first.*field, r == 0));
    }
    columns.push_back(std::move(column));
  };
  add("peak newly displaced/day", &WhatIfOutcome::peak_daily_departures);
  add("unsheltered peak", &WhatIfOutcome::unsheltered_peak);
  add("present at the end", &WhatIfOutcome::displaced_present_end);
  // Only when someone is queueing at a full road at the end: most runs have nobody there.
  if (std::any_of(outcomes.begin(), outcomes.end(), [](const WhatIfOutcome& o) { return o.waiting_end > 0.0; })) {
    add("waiting at a full road at the end", &WhatIfOutcome::waiting_end);
  }

  std::size_t label_width = 3;
  for (const auto& o : outcomes)
    label_width = std::max(label_width, display_width(shorten_label(o.label, label_limit)));
  std::vector<std::size_t> widths;
  for (const auto& column : columns) {
    std::size_t w = display_width(column.header);
    for (const auto& c : column.cells) w = std::max(w, display_width(c));
    widths.push_back(w);
  }
  const auto flee =
      std::count_if(outcomes.begin(), outcomes.end(), [](const WhatIfOutcome& o) { return o.flee_rules; });
  const std::string displaced = flee == 0 ? "displaced (left home)"
                                : static_cast<std::size_t>(flee) == outcomes.size()
                                    ? "displaced (added, Flee's rules)"
                                    : "displaced (left home; added, under Flee's rules)";
  out += displaced + " by each point, peaks and the end\n";
  // Blocks of columns that fit the width, each repeating the run labels.
  std::size_t begin = 0;
  while (begin < columns.size()) {
    std::size_t end = begin;
    std::size_t used = label_width;
    while (end < columns.size() && (end == begin || used + 2 + widths[end] <= width)) used += 2 + widths[end++];
    if (begin > 0) out += "\n";
    std::string header = pad_right("run", label_width);
    for (std::size_t c = begin; c < end; ++c) header += "  " + pad_left(columns[c].header, widths[c]);
    out += header + "\n";
    for (std::size_t r = 0; r < outcomes.size(); ++r) {
      std::string line = pad_right(shorten_label(outcomes[r].label, label_limit), label_width);
      for (std::size_t c = begin; c < end; ++c) line += "  " + pad_left(columns[c].cells[r], widths[c]);
      out += line + "\n";
    }
    begin = end;
  }
  // Which day `end`, `peak` and a date fell on, when that is not the same day for every run.
  bool days_differ = false;
  bool dates = false;
  for (std::size_t p = 0; p < points.size(); ++p) {
    if (points[p].kind == ComparePoint::Kind::day) continue;
    for (const auto& o : outcomes) days_differ = days_differ || o.point_day[p] != first.point_day[p];
    days_differ = days_differ || points[p].kind == ComparePoint::Kind::peak;
    dates = dates || points[p].kind == ComparePoint::Kind::date;
  }
  if (days_differ) {
    // Named by the points asked for: an end alone is no peak's day.
    const auto asked = [&](ComparePoint::Kind kind) {
      return std::any_of(points.begin(), points.end(), [&](const ComparePoint& p) { return p.kind == kind; });
    };
    const bool ends = asked(ComparePoint::Kind::end);
    const bool peaks = asked(ComparePoint::Kind::peak);
    out += dates           ? "the day each point fell on:"
           : ends && peaks ? "days of end and departures' peak:"
           : ends          ? "days of end:"
                           : "days of departures' peak:";
    for (const auto& o : outcomes) {
      std::string days;
      for (std::size_t p = 0; p < points.size(); ++p) {
        if (points[p].kind == ComparePoint::Kind::day) continue;
        days += fmt::format("{}{}: day {}", days.empty() ? "" : ", ",
                            points[p].kind == ComparePoint::Kind::end    ? "end"
                            : points[p].kind == ComparePoint::Kind::peak ? "departures' peak"
                                                                         : points[p].date,
                            o.point_day[p] ? fmt::format("{}", *o.point_day[p]) : "-");
      }
      out += fmt::format("\n  {}  {}", pad_right(shorten_label(o.label, label_limit), label_width), days);
    }
    out += "\n";
  }
  out += "top destinations (displaced present at the end)\n";
  for (const auto& o : outcomes) {
    std::string names;
    for (const auto& [name, people] : o.top_destinations)
      names += fmt::format("{}{} {}", names.empty() ? "" : ", ", one_line(name), grouped(people));
    out += shorten(
               fmt::format("  {}  {}", pad_right(shorten_label(o.label, label_limit), label_width),
                           names.empty()
                               ? (lacks(o, "displaced_present") || std::isnan(o.displaced_present_end) ? "-" : "(none)")
                               : names),
               width) +
           "\n";
  }
  bool any_description = false;
  for (const auto& o : outcomes) any_description = any_description || !o.description.empty();
  if (any_description) {
    out += "what each run is\n";
    for (const auto& o : outcomes) {
      out += shorten(fmt::format("  {}  {}", pad_right(shorten_label(o.label, label_limit), label_width),
                                 o.description.empty() ? "-" : o.description),
                     width) +
             "\n";
    }
  }
  const auto thinned = [](const WhatIfOutcome& o) { return o.peak_day < 0 && !lacks(o, "cumulative_displaced"); };
  if (std::any_of(outcomes.begin(), outcomes.end(), thinned)) {
    out +=
        "(peak newly displaced/day needs a run recorded every day: a file recorded every few days, "
        "outputs.interval_days, "
        "gives '-'; its unsheltered peak is the largest on the days recorded)\n";
  }
  for (const auto& o : outcomes) {
    if (o.not_recorded.empty()) continue;
    // Said in full, line by line: which figures are missing is the point of the note.
    out += wrapped(fmt::format("({}: its file does not record {} (outputs, --record): the figures made of them give "
                               "'-')",
                               shorten_label(o.label, label_limit), fmt::join(o.not_recorded, ", ")),
                   width);
  }
  if (outcomes.size() > 1) out += "(differences from the first run in brackets; full names and values: --csv)\n";
  return out;
}

std::string comparison_csv(const std::vector<WhatIfOutcome>& outcomes, const std::vector<ComparePoint>& points) {
  std::vector<std::string> header = {"run", "description"};
  for (const auto& point : points) {
    header.push_back(point.column());
    if (point.kind != ComparePoint::Kind::day) header.push_back(point.column() + "_day");
  }
  for (const char* name : {"peak_daily_departures", "peak_day", "unsheltered_peak", "displaced_present_end", "last_day",
                           "top_destinations", "waiting_end"}) {
    header.emplace_back(name);
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t k = 0; k < cells.size(); ++k) out += (k ? "," : "") + csv_field(cells[k]);
    out += "\r\n";
  };
  auto number = [](double v) {
    return std::isnan(v) ? std::string() : fmt::format("{}", static_cast<long long>(std::llround(v)));
  };
  line(header);
  for (const auto& o : outcomes) {
    std::vector<std::string> row = {o.label, o.description};
    for (std::size_t p = 0; p < points.size(); ++p) {
      row.push_back(o.at_point[p] ? number(*o.at_point[p]) : "");
      if (points[p].kind != ComparePoint::Kind::day) {
        row.push_back(o.point_day[p] ? fmt::format("{}", *o.point_day[p]) : "");
      }
    }
    std::string names;
    for (const auto& [name, people] : o.top_destinations) {
      names += fmt::format("{}{} {}", names.empty() ? "" : "; ", name, number(people));
    }
    for (std::string value :
         {number(o.peak_daily_departures),
          o.peak_day < 0 || o.peak_daily_departures == 0.0 ? std::string() : fmt::format("{}", o.peak_day),
          number(o.unsheltered_peak), number(o.displaced_present_end), fmt::format("{}", o.last_day), names,
          number(o.waiting_end)}) {
      row.push_back(std::move(value));
    }
    line(row);
  }
  return out;
}

}  // namespace haven
