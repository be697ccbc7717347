#pragma once

#include <string>

#include "haven/engine/simulation.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven::app {

// 1234567 -> "1,234,567": planners read populations, not digits.
std::string grouped(double value);

// The table `haven run` prints after a run.
std::string run_summary_table(const Scenario& scenario, const RunConfig& config, const RunSummary& summary);

}  // namespace haven::app
