#pragma once

#include <string>

#include "haven/engine/simulation.hpp"
#include "haven/scenario/scenario.hpp"
#include "haven/util/text.hpp"

namespace haven::app {

// The table `haven run` prints after a run.
std::string run_summary_table(const Scenario& scenario, const RunConfig& config, const RunSummary& summary);

}  // namespace haven::app
