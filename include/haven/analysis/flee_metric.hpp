#pragma once
// Flee's validation metric, exactly as Flee's extract-validation-results.py computes it from out.csv, and the same
// metric computed from a scenario's per-camp observations and simulated runs (docs/flee.md, "Flee's metric").

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "haven/analysis/validation.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

struct FleeArd {
  double ard = 0.0;           // mean over days of sum_camps |sim - obs| / max(obs total, 1)
  double rescaled_ard = 0.0;  // the same with each day's simulated camps scaled to the observed total
};

// `simulated[day][camp]` and `observed[day][camp]`: people in each camp on each day (same shape).
// `observed_total[day]` is the denominator's camp total, Flee's "refugees in camps (UNHCR)" column; when absent
// it is the sum of `observed[day]` (Flee writes 0 instead on days its raw UNHCR total is 0: pass that here).
// Days whose observed total is below 1 divide by 1; a day whose simulated camp total is 0 has rescaled values 0.
// Throws std::invalid_argument when the shapes differ or there are no days.
FleeArd flee_ard(const std::vector<std::vector<double>>& simulated, const std::vector<std::vector<double>>& observed,
                 const std::optional<std::vector<double>>& observed_total = std::nullopt);

// The scenario's per-camp series, in the order of its observations: `displaced_present` at a node of kind camp
// (Flee's "<camp> data" columns count the people in a camp on a day, as displaced_present does).
std::vector<std::size_t> per_camp_observations(const Scenario& scenario);

// An observation's value on `day` as Flee's DataTable.get_interpolated_data reads its UNHCR series: the first
// point's value up to the first point's day, linear between points, the last point's value after the last point,
// truncated to a whole number (Flee's int()). The points need not be sorted. Throws when there are none.
double flee_interpolated_value(const Observation& observation, int day);

// Flee's ARD of each member over days first_day..last_day (every day), and the ensemble's mean and 5-95% band.
struct FleeArdSummary {
  std::size_t camps = 0;
  int first_day = 0;
  int last_day = 0;
  std::vector<FleeArd> members;  // one per member, in order
  double ard_mean = 0.0, ard_p05 = 0.0, ard_p95 = 0.0;
  double rescaled_mean = 0.0, rescaled_p05 = 0.0, rescaled_p95 = 0.0;
  // The camp total on last_day: simulated (mean and band over members) and observed (interpolated as above).
  double camp_total_mean = 0.0, camp_total_p05 = 0.0, camp_total_p95 = 0.0;
  double camp_total_observed = 0.0;
};

struct FleeArdResult {
  std::optional<FleeArdSummary> summary;  // absent: no per-camp series, or a member cannot supply every day
  std::string not_computed;               // why, when the scenario has per-camp series but no summary
};

// Flee's ARD of `members` against the scenario's per-camp series over days first_day..last_day. Every day counts,
// those whose observed camp total is 0 too (they divide by 1, as in Flee), so each member must supply every day.
FleeArdResult flee_ard_of(const Scenario& scenario, const std::vector<const SimulatedSeries*>& members, int first_day,
                          int last_day);

// The lines `haven validate` prints under its table ("" when the scenario has no per-camp series).
std::string flee_ard_text(const Scenario& scenario, const FleeArdResult& result);

}  // namespace haven
