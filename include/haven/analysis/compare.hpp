#pragma once
// What-if outcomes side by side: `haven compare A.h5 B.h5 ...` and `haven run --variants all`.

#include <optional>
#include <string>
#include <vector>

#include "haven/io/output.hpp"

namespace haven {

struct WhatIfOutcome {
  std::string label;                          // scenario [variant]
  std::vector<std::optional<double>> by_day;  // cumulative displaced at each of the report days
  double peak_daily_departures = 0.0;         // largest one-day rise of cumulative displaced
  int peak_day = 0;
  double unsheltered_peak = 0.0;
  double displaced_present_end = 0.0;
  std::vector<std::pair<std::string, double>> top_destinations;  // by displaced present at the end
};

// Report days for the table (30, 60, 90 by default).
WhatIfOutcome summarise_run(const RunFile& file, const std::vector<int>& days = {30, 60, 90});

// An ensemble's row: the mean over its members of each member's outcome (top destinations by the members' mean
// displaced present at the end), labelled with how many members it averages.
WhatIfOutcome summarise_members(const std::vector<RunFile>& members, const std::string& label,
                                const std::vector<int>& days = {30, 60, 90});

// The table: one row per run, each number with its difference from the first row.
std::string comparison_table(const std::vector<WhatIfOutcome>& outcomes, const std::vector<int>& days = {30, 60, 90});

}  // namespace haven
