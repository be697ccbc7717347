#pragma once
// The serve tests' scenario: valley.yaml as the server holds a scenario it was started with (its text, its name).

#include <filesystem>
#include <fstream>
#include <sstream>

#include "haven/serve/session.hpp"

namespace haven::serve::testing {

inline ScenarioSource valley_source() {
  std::ifstream in(std::filesystem::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return {"valley.yaml", text.str()};
}

}  // namespace haven::serve::testing
