#pragma once
// Comparing simulated series with a scenario's observations, and what-if runs with each other.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "haven/scenario/scenario.hpp"

namespace haven {

// The simulated value an observation refers to, on a given day, for one run:
// cumulative_displaced (network-wide), displaced_present (at the node, or everywhere) or arrivals (cumulative since
// day 0, at the node or everywhere). Returns nullopt when the run did not record that day.
class SimulatedSeries {
 public:
  virtual ~SimulatedSeries() = default;
  [[nodiscard]] virtual std::optional<double> value(const Observation& observation, int day) const = 0;
  // Why value() gave nothing for that point, for the report.
  [[nodiscard]] virtual std::string missing_reason(const Observation& /*observation*/, int /*day*/) const {
    return "the run did not record that day";
  }
};

struct ValidationRow {
  std::string series;  // observation id
  int day = 0;
  double observed = 0.0;
  double weight = 1.0;
  double mean = 0.0;  // over members
  double p05 = 0.0;   // 5th percentile over members (= mean for one run)
  double p95 = 0.0;
  double relative_error = 0.0;  // (mean - observed) / observed
  std::string note;
};

// An observation point inside the window that could not be compared, and why.
struct SkippedPoint {
  std::string series;  // observation id
  int day = 0;
  double observed = 0.0;
  bool unrecorded = false;  // true: the runs cannot supply the value; false: observed 0 (no relative error)
  std::string reason;
};

struct ValidationReport {
  std::vector<ValidationRow> rows;
  std::vector<SkippedPoint> skipped;
  std::size_t members = 0;
  double mean_abs_relative_error = 0.0;  // over the rows, unweighted
  // Weighted by the points' weights: what --max-error and calibrate judge. NaN when every row has weight 0.
  double weighted_mean_abs_relative_error = 0.0;
  double max_abs_relative_error = 0.0;  // over the rows with weight above 0 (weight 0: shown, not counted)
  [[nodiscard]] std::size_t unrecorded() const;
};

struct ValidationWindow {
  std::optional<int> first_day;  // points before are left out
  std::optional<int> last_day;   // points after are left out
};

// Compares every observation point inside `window` with the members' values. Points with observed value 0 (no
// relative error) or that a member cannot supply (not recorded) are listed in `skipped`, each with its reason.
ValidationReport validate(const Scenario& scenario, const std::vector<const SimulatedSeries*>& members,
                          const ValidationWindow& window = {});

// Linear-interpolation percentile (the "type 7" estimator of R and numpy) of `values`, q in [0, 1].
double percentile(std::vector<double> values, double q);

// The plain-text table `haven validate` prints.
std::string validation_table(const Scenario& scenario, const ValidationReport& report);

}  // namespace haven
