#pragma once
// What-if outcomes side by side: `haven compare A.h5 B.h5 ...` and `haven run --variants all`.

#include <optional>
#include <string>
#include <vector>

#include "haven/io/output.hpp"

namespace haven {

// Where the table reads cumulative displaced: a day of the scenario, the end of each run, or each run's peak day
// of departures.
struct ComparePoint {
  // A date is read in each run on that date: runs that start on other dates read it on other days.
  enum class Kind { day, end, peak, date };
  Kind kind = Kind::day;
  int day = 0;       // day: the day; date: its day in the run whose start date it was read against
  std::string date;  // date: YYYY-MM-DD
  [[nodiscard]] std::string label() const;   // "day 30", "end", "peak day", "2024-03-20"
  [[nodiscard]] std::string column() const;  // "displaced_by_day_30", "displaced_by_end", "displaced_on_2024-03-20"
  // The day this point falls on in a run starting on `start_date`, a date point's; nullopt when the date is before
  // the start (or either does not read). Other points: their day.
  [[nodiscard]] std::optional<int> day_in_run(const std::string& start_date) const;
};

// "end", "peak", a day number (0-based) or a date (YYYY-MM-DD; its day in a run starting on `start_date` in `day`);
// nullopt with `error` set when the text is none of these.
std::optional<ComparePoint> parse_compare_point(const std::string& text, const std::string& start_date,
                                                std::string& error);

// Days 30, 60 and 90 where they fall before the last recorded day of every run, then the end.
std::vector<ComparePoint> default_compare_points(const std::vector<RunFile>& files);

struct WhatIfOutcome {
  std::string label;                            // scenario [variant] (haven compare adds the file's name to repeats)
  std::string description;                      // the variant's description
  std::vector<std::optional<double>> at_point;  // cumulative displaced at each compare point
  std::vector<std::optional<int>> point_day;    // the day each point fell on in this run
  // Largest one-day rise of cumulative displaced, and its day; NaN and -1 when the file was not recorded every day
  // (outputs.interval_days > 1): the rise between two recorded days is several days' departures.
  double peak_daily_departures = 0.0;
  int peak_day = 0;
  double unsheltered_peak = 0.0;
  double displaced_present_end = 0.0;
  double waiting_end = 0.0;  // queueing at a full road at the end (in no place's population); NaN: not recorded
  int last_day = 0;
  std::vector<std::pair<std::string, double>> top_destinations;  // by displaced present at the end
  // Why some figures are NaN ('-') though the run has them: the file does not record what they are made of (a
  // variable left out with outputs.variables, or only some places with outputs.nodes: network totals would be the
  // recorded places' sums). Said under the table.
  std::vector<std::string> not_recorded;
  // The run followed Flee's rules, which add the people who flee to the population: none "left home".
  bool flee_rules = false;
};

// `scenario_nodes`: the places of the run's scenario (0: not known, the file taken as recording every place).
WhatIfOutcome summarise_run(const RunFile& file, const std::vector<ComparePoint>& points,
                            std::size_t scenario_nodes = 0);

// An ensemble's row: the mean over its members of each member's outcome (each member read at its own end or peak
// day; top destinations by the members' mean displaced present at the end), labelled with how many it averages.
WhatIfOutcome summarise_members(const std::vector<RunFile>& members, const std::string& label,
                                const std::vector<ComparePoint>& points, std::size_t scenario_nodes = 0);

// The table, at most `width` columns wide (columns wrap into further blocks; long labels end in an ellipsis): one
// row per run, each number with its difference from the first row.
std::string comparison_table(const std::vector<WhatIfOutcome>& outcomes, const std::vector<ComparePoint>& points,
                             std::size_t width = 100);

// The same as CSV (full labels, every column, no differences), UTF-8 with CRLF line ends.
std::string comparison_csv(const std::vector<WhatIfOutcome>& outcomes, const std::vector<ComparePoint>& points);

}  // namespace haven
