#pragma once
// Flee's validation metric, exactly as Flee's extract-validation-results.py computes it from out.csv.

#include <optional>
#include <vector>

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

}  // namespace haven
