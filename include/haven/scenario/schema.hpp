#pragma once

#include <string>

namespace haven {

// A JSON Schema (draft 2020-12) of the scenario format, for editors (e.g. the YAML language server).
// Keys come from haven/scenario/keys.hpp and parameters from the registry, as the loader uses them.
std::string scenario_json_schema();

}  // namespace haven
