#include "haven/analysis/validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "haven/util/text.hpp"

namespace haven {

double percentile(std::vector<double> values, double q) {
  if (values.empty()) throw std::invalid_argument("percentile of no values");
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const auto above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

std::size_t ValidationReport::unrecorded() const {
  return static_cast<std::size_t>(
      std::count_if(skipped.begin(), skipped.end(), [](const SkippedPoint& p) { return p.unrecorded; }));
}

ValidationReport validate(const Scenario& scenario, const std::vector<const SimulatedSeries*>& members,
                          const ValidationWindow& window) {
  ValidationReport report;
  report.members = members.size();
  double sum_abs = 0.0, sum_weighted = 0.0, sum_weights = 0.0;
  for (const auto& observation : scenario.observations) {
    for (const auto& point : observation.points) {
      if (window.first_day && point.day < *window.first_day) continue;
      if (window.last_day && point.day > *window.last_day) continue;
      if (point.value <= 0.0) {
        report.skipped.push_back({observation.id, point.day, point.value, false,
                                  "observed 0: a relative error needs a non-zero observation"});
        continue;
      }
      std::vector<double> values;
      std::string missing;
      for (const auto* member : members) {
        if (auto v = member->value(observation, point.day)) {
          values.push_back(*v);
        } else if (missing.empty()) {
          missing = member->missing_reason(observation, point.day);
        }
      }
      if (values.size() != members.size() || values.empty()) {
        report.skipped.push_back(
            {observation.id, point.day, point.value, true, missing.empty() ? "no run to compare with" : missing});
        continue;
      }
      ValidationRow row;
      row.series = observation.id;
      row.day = point.day;
      row.observed = point.value;
      row.weight = point.weight;
      row.note = point.note;
      double total = 0.0;
      for (double v : values) total += v;
      row.mean = total / static_cast<double>(values.size());
      row.p05 = percentile(values, 0.05);
      row.p95 = percentile(values, 0.95);
      row.relative_error = (row.mean - row.observed) / row.observed;
      const double magnitude = std::abs(row.relative_error);
      sum_abs += magnitude;
      sum_weighted += magnitude * row.weight;
      sum_weights += row.weight;
      if (row.weight > 0.0) report.max_abs_relative_error = std::max(report.max_abs_relative_error, magnitude);
      report.rows.push_back(row);
    }
  }
  if (!report.rows.empty()) report.mean_abs_relative_error = sum_abs / static_cast<double>(report.rows.size());
  if (sum_weights > 0.0) {
    report.weighted_mean_abs_relative_error = sum_weighted / sum_weights;
  } else if (!report.rows.empty()) {
    report.weighted_mean_abs_relative_error = std::numeric_limits<double>::quiet_NaN();
  }
  return report;
}

std::string validation_table(const Scenario& scenario, const ValidationReport& report) {
  std::string out;
  const bool ensemble = report.members > 1;
  out += fmt::format("{}{}: {} against its observations{}\n", scenario.name,
                     scenario.variant.empty() ? "" : " [" + scenario.variant + "]",
                     ensemble ? fmt::format("ensemble of {} runs", report.members) : std::string("one run"),
                     ensemble ? " (mean and 5-95% band)" : "");
  // The series column as wide as its longest id (ocha_cumulative_displaced), so that the figures stay under their
  // headings; at least 20, at most 40 (a longer id pushes its row only).
  std::size_t series_width = 20;
  for (const auto& row : report.rows)
    series_width = std::max(series_width, std::min<std::size_t>(row.series.size(), 40));
  for (const auto& p : report.skipped)
    series_width = std::max(series_width, std::min<std::size_t>(p.series.size(), 40));
  if (ensemble) {
    out += fmt::format("  {:<12} {:<{}} {:>11} {:>11} {:>23} {:>8} {:>6}\n", "date", "series", series_width, "observed",
                       "simulated", "5-95%", "error", "weight");
  } else {
    out += fmt::format("  {:<12} {:<{}} {:>11} {:>11} {:>8} {:>6}\n", "date", "series", series_width, "observed",
                       "simulated", "error", "weight");
  }
  for (const auto& row : report.rows) {
    const std::string date = format_iso_date(add_days(scenario.start_date, row.day));
    const std::string error = fmt::format("{:+.1f}%", 100.0 * row.relative_error);
    if (ensemble) {
      out += fmt::format("  {:<12} {:<{}} {:>11} {:>11} {:>23} {:>8} {:>6g}\n", date, row.series, series_width,
                         grouped(row.observed), grouped(row.mean), grouped(row.p05) + " - " + grouped(row.p95), error,
                         row.weight);
    } else {
      out += fmt::format("  {:<12} {:<{}} {:>11} {:>11} {:>8} {:>6g}\n", date, row.series, series_width,
                         grouped(row.observed), grouped(row.mean), error, row.weight);
    }
  }
  if (report.rows.empty()) out += "  (no observation points to compare)\n";
  if (!report.skipped.empty()) {
    const std::size_t total = report.rows.size() + report.skipped.size();
    out += fmt::format("skipped {} of {} point{}:\n", report.skipped.size(), total, total == 1 ? "" : "s");
    for (const auto& p : report.skipped) {
      out += fmt::format("  {:<12} {:<{}} {:>11}  {}\n", format_iso_date(add_days(scenario.start_date, p.day)),
                         p.series, series_width, grouped(p.observed), p.reason);
    }
  }
  if (report.rows.empty()) return out;
  const std::string weighted = std::isnan(report.weighted_mean_abs_relative_error)
                                   ? std::string("every weight is 0")
                                   : fmt::format("weighted {:.3f}", report.weighted_mean_abs_relative_error);
  const std::string of_total =
      report.skipped.empty() ? "" : fmt::format(" of {}", report.rows.size() + report.skipped.size());
  out += fmt::format("mean absolute relative error {:.3f} over {}{} points ({}); largest {:.3f}\n",
                     report.mean_abs_relative_error, report.rows.size(), of_total, weighted,
                     report.max_abs_relative_error);
  return out;
}

}  // namespace haven
