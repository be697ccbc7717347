#include "haven/analysis/flee_metric.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

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
