#pragma once

#include <string>

#include "haven/scenario/scenario.hpp"

namespace haven::app {

// The human summary `haven check` prints for a valid scenario.
std::string check_summary(const Scenario& scenario);

}  // namespace haven::app
