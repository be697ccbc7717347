#include "haven/analysis/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "haven/util/text.hpp"

namespace haven {

namespace {

std::string signed_grouped(double value) {
  return (value >= 0 ? "+" : "") + grouped(value);
}

}  // namespace

WhatIfOutcome summarise_run(const RunFile& file, const std::vector<int>& days) {
  WhatIfOutcome outcome;
  outcome.label = file.scenario_name + (file.variant.empty() ? "" : " [" + file.variant + "]");
  const std::size_t t_count = file.times(), n = file.nodes();
  for (int day : days) {
    auto it = std::find(file.time_days.begin(), file.time_days.end(), day);
    if (it == file.time_days.end() || file.cumulative_displaced.empty()) {
      outcome.by_day.emplace_back(std::nullopt);
    } else {
      outcome.by_day.emplace_back(
          static_cast<double>(file.cumulative_displaced[static_cast<std::size_t>(it - file.time_days.begin())]));
    }
  }
  for (std::size_t t = 0; t < t_count && !file.cumulative_displaced.empty(); ++t) {
    // With a recording interval the rise is per interval; daily files give the daily peak.
    const double rise = static_cast<double>(file.cumulative_displaced[t]) -
                        (t == 0 ? 0.0 : static_cast<double>(file.cumulative_displaced[t - 1]));
    if (rise > outcome.peak_daily_departures) {
      outcome.peak_daily_departures = rise;
      outcome.peak_day = file.time_days[t];
    }
  }
  for (std::size_t t = 0; t < t_count && !file.unsheltered.empty(); ++t) {
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(file.unsheltered[t * n + i]);
    outcome.unsheltered_peak = std::max(outcome.unsheltered_peak, total);
  }
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
  return outcome;
}

WhatIfOutcome summarise_members(const std::vector<RunFile>& members, const std::string& label,
                                const std::vector<int>& days) {
  WhatIfOutcome mean;
  mean.label = label;
  mean.by_day.assign(days.size(), std::nullopt);
  if (members.empty()) return mean;
  const auto count = static_cast<double>(members.size());
  std::vector<double> present_end;
  std::vector<std::size_t> has_day(days.size(), 0);
  std::vector<double> day_sum(days.size(), 0.0);
  double peak_day_sum = 0.0;
  for (const auto& member : members) {
    const WhatIfOutcome one = summarise_run(member, days);
    for (std::size_t d = 0; d < days.size(); ++d) {
      if (one.by_day[d]) ++has_day[d], day_sum[d] += *one.by_day[d];
    }
    mean.peak_daily_departures += one.peak_daily_departures / count;
    peak_day_sum += one.peak_day;
    mean.unsheltered_peak += one.unsheltered_peak / count;
    mean.displaced_present_end += one.displaced_present_end / count;
    const std::size_t t_count = member.times(), n = member.nodes();
    present_end.resize(n, 0.0);
    if (t_count > 0 && member.displaced_present.size() == t_count * n) {
      for (std::size_t i = 0; i < n; ++i) {
        present_end[i] += static_cast<double>(member.displaced_present[(t_count - 1) * n + i]) / count;
      }
    }
  }
  for (std::size_t d = 0; d < days.size(); ++d) {
    if (has_day[d] == members.size()) mean.by_day[d] = day_sum[d] / count;
  }
  mean.peak_day = static_cast<int>(std::lround(peak_day_sum / count));
  std::vector<std::pair<std::string, double>> present;
  for (std::size_t i = 0; i < present_end.size(); ++i) {
    if (present_end[i] > 0) present.emplace_back(members.front().node_name[i], present_end[i]);
  }
  std::stable_sort(present.begin(), present.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (present.size() > 3) present.resize(3);
  mean.top_destinations = present;
  return mean;
}

std::string comparison_table(const std::vector<WhatIfOutcome>& outcomes, const std::vector<int>& days) {
  std::string out;
  if (outcomes.empty()) return out;
  std::size_t label_width = 8;
  for (const auto& o : outcomes) label_width = std::max(label_width, o.label.size());
  out += fmt::format("{:<{}}", "run", label_width);
  for (int day : days) out += fmt::format(" {:>22}", fmt::format("displaced by day {}", day));
  out += fmt::format(" {:>22} {:>22} {:>22}\n", "peak daily departures", "unsheltered peak", "displaced at the end");
  const WhatIfOutcome& first = outcomes.front();
  auto cell = [&](std::optional<double> value, std::optional<double> reference, bool is_first) -> std::string {
    if (!value) return "-";
    if (is_first || !reference) return grouped(*value);
    return fmt::format("{} ({})", grouped(*value), signed_grouped(*value - *reference));
  };
  for (std::size_t r = 0; r < outcomes.size(); ++r) {
    const auto& o = outcomes[r];
    const bool is_first = r == 0;
    out += fmt::format("{:<{}}", o.label, label_width);
    for (std::size_t d = 0; d < days.size(); ++d)
      out += fmt::format(" {:>22}", cell(o.by_day[d], first.by_day[d], is_first));
    out += fmt::format(" {:>22} {:>22} {:>22}\n", cell(o.peak_daily_departures, first.peak_daily_departures, is_first),
                       cell(o.unsheltered_peak, first.unsheltered_peak, is_first),
                       cell(o.displaced_present_end, first.displaced_present_end, is_first));
  }
  out += "top destinations (displaced present at the end)\n";
  for (const auto& o : outcomes) {
    std::string names;
    for (const auto& [name, people] : o.top_destinations)
      names += fmt::format("{}{} {}", names.empty() ? "" : ", ", name, grouped(people));
    out += fmt::format("  {:<{}} {}\n", o.label, label_width, names.empty() ? "(none)" : names);
  }
  if (outcomes.size() > 1) out += "(differences from the first run in brackets)\n";
  return out;
}

}  // namespace haven
