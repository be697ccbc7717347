#include "haven/analysis/flee_metric.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

namespace haven {

FleeArd flee_ard(const std::vector<std::vector<double>>& simulated, const std::vector<std::vector<double>>& observed,
                 const std::optional<std::vector<double>>& observed_total) {
  const std::size_t days = simulated.size();
  if (days == 0 || observed.size() != days || (observed_total && observed_total->size() != days)) {
    throw std::invalid_argument("flee_ard: simulated, observed and totals need the same number of days (> 0)");
  }
  double sum = 0.0, sum_rescaled = 0.0;
  for (std::size_t day = 0; day < days; ++day) {
    const auto& sim = simulated[day];
    const auto& obs = observed[day];
    if (sim.size() != obs.size()) throw std::invalid_argument("flee_ard: simulated and observed camps differ");
    double observed_sum = 0.0, simulated_sum = 0.0;
    for (std::size_t camp = 0; camp < sim.size(); ++camp) observed_sum += obs[camp], simulated_sum += sim[camp];
    const double total = observed_total ? (*observed_total)[day] : observed_sum;
    double difference = 0.0, difference_rescaled = 0.0;
    for (std::size_t camp = 0; camp < sim.size(); ++camp) {
      difference += std::abs(sim[camp] - obs[camp]);
      // Flee rescales with its written camp totals, and only when the simulated total is positive.
      const double rescaled = simulated_sum > 0.0 ? sim[camp] * total / simulated_sum : 0.0;
      difference_rescaled += std::abs(rescaled - obs[camp]);
    }
    const double denominator = std::max(total, 1.0);
    sum += difference / denominator;
    sum_rescaled += difference_rescaled / denominator;
  }
  return {sum / static_cast<double>(days), sum_rescaled / static_cast<double>(days)};
}

}  // namespace haven

namespace haven {

std::vector<std::size_t> per_camp_observations(const Scenario& scenario) {
  std::vector<std::size_t> camps;
  for (std::size_t k = 0; k < scenario.observations.size(); ++k) {
    const auto& observation = scenario.observations[k];
    if (observation.variable != "displaced_present" || observation.node == no_node) continue;
    const auto node = static_cast<std::size_t>(observation.node);
    if (node < scenario.nodes.size() && scenario.nodes[node].kind == NodeKind::camp && !observation.points.empty()) {
      camps.push_back(k);
    }
  }
  return camps;
}

double flee_interpolated_value(const Observation& observation, int day) {
  if (observation.points.empty()) throw std::invalid_argument("flee_interpolated_value: no points");
  std::vector<ObservationPoint> points = observation.points;
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.day < b.day; });
  if (day <= points.front().day) return std::trunc(points.front().value);
  for (std::size_t i = 1; i < points.size(); ++i) {
    if (day < points[i].day) {
      const auto& before = points[i - 1];
      const double fraction = static_cast<double>(day - before.day) / static_cast<double>(points[i].day - before.day);
      return std::trunc(before.value + fraction * (points[i].value - before.value));
    }
  }
  return std::trunc(points.back().value);
}

FleeArdResult flee_ard_of(const Scenario& scenario, const std::vector<const SimulatedSeries*>& members, int first_day,
                          int last_day) {
  FleeArdResult result;
  const auto camps = per_camp_observations(scenario);
  if (camps.empty()) return result;
  if (members.empty()) {
    result.not_computed = "no run to compare with";
    return result;
  }
  if (last_day < first_day) {
    result.not_computed = "no day to compare";
    return result;
  }
  const auto days = static_cast<std::size_t>(last_day - first_day + 1);
  std::vector<std::vector<double>> observed(days, std::vector<double>(camps.size()));
  for (std::size_t d = 0; d < days; ++d) {
    for (std::size_t c = 0; c < camps.size(); ++c) {
      observed[d][c] = flee_interpolated_value(scenario.observations[camps[c]], first_day + static_cast<int>(d));
    }
  }
  FleeArdSummary summary;
  summary.camps = camps.size();
  summary.first_day = first_day;
  summary.last_day = last_day;
  std::vector<double> ards, rescaled, camp_totals;
  for (const auto* member : members) {
    std::vector<std::vector<double>> simulated(days, std::vector<double>(camps.size()));
    for (std::size_t d = 0; d < days; ++d) {
      const int day = first_day + static_cast<int>(d);
      for (std::size_t c = 0; c < camps.size(); ++c) {
        const auto& observation = scenario.observations[camps[c]];
        const auto value = member->value(observation, day);
        if (!value) {
          // Flee's ARD averages over every day: one missing day would change what it means.
          result.not_computed =
              fmt::format("it needs every day of the period ({})", member->missing_reason(observation, day));
          return result;
        }
        simulated[d][c] = *value;
      }
    }
    const FleeArd ard = flee_ard(simulated, observed);
    summary.members.push_back(ard);
    ards.push_back(ard.ard);
    rescaled.push_back(ard.rescaled_ard);
    double total = 0.0;
    for (double v : simulated.back()) total += v;
    camp_totals.push_back(total);
  }
  auto mean = [](const std::vector<double>& values) {
    double sum = 0.0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
  };
  summary.ard_mean = mean(ards);
  summary.ard_p05 = percentile(ards, 0.05);
  summary.ard_p95 = percentile(ards, 0.95);
  summary.rescaled_mean = mean(rescaled);
  summary.rescaled_p05 = percentile(rescaled, 0.05);
  summary.rescaled_p95 = percentile(rescaled, 0.95);
  summary.camp_total_mean = mean(camp_totals);
  summary.camp_total_p05 = percentile(camp_totals, 0.05);
  summary.camp_total_p95 = percentile(camp_totals, 0.95);
  for (double v : observed.back()) summary.camp_total_observed += v;
  result.summary = std::move(summary);
  return result;
}

std::string flee_ard_text(const Scenario& scenario, const FleeArdResult& result) {
  if (!result.summary) {
    return result.not_computed.empty() ? std::string()
                                       : fmt::format("Flee's ARD: not computed: {}\n", result.not_computed);
  }
  const auto& s = *result.summary;
  const std::string period =
      fmt::format("{} camp{} and {} days ({} to {})", s.camps, s.camps == 1 ? "" : "s", s.last_day - s.first_day + 1,
                  format_iso_date(add_days(scenario.start_date, s.first_day)),
                  format_iso_date(add_days(scenario.start_date, s.last_day)));
  const std::string last_date = format_iso_date(add_days(scenario.start_date, s.last_day));
  if (s.members.size() == 1) {
    return fmt::format(
        "Flee's ARD over {}: {:.3f}; rescaled ARD {:.3f}\n"
        "camp total on {}: simulated {}, observed {}\n",
        period, s.ard_mean, s.rescaled_mean, last_date, grouped(s.camp_total_mean), grouped(s.camp_total_observed));
  }
  return fmt::format(
      "Flee's ARD over {}, {} runs: mean {:.3f} (5-95% {:.3f} - {:.3f}); rescaled ARD mean {:.3f} (5-95% {:.3f} - "
      "{:.3f})\n"
      "camp total on {}: simulated {} (5-95% {} - {}), observed {}\n",
      period, s.members.size(), s.ard_mean, s.ard_p05, s.ard_p95, s.rescaled_mean, s.rescaled_p05, s.rescaled_p95,
      last_date, grouped(s.camp_total_mean), grouped(s.camp_total_p05), grouped(s.camp_total_p95),
      grouped(s.camp_total_observed));
}

}  // namespace haven
