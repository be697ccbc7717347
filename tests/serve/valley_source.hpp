#pragma once
// The serve tests' scenario: valley.yaml as the server holds a scenario it was started with (its text, its name);
// and an edit as the page sends it.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "haven/serve/edit.hpp"
#include "haven/serve/session.hpp"

namespace haven::serve::testing {

inline ScenarioSource valley_source() {
  std::ifstream in(std::filesystem::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return {"valley.yaml", text.str()};
}

// An edit from the page's JSON, which must read.
inline Edit parsed_edit(const std::string& json) {
  std::string problem;
  auto edit = edit_from_json(json, problem);
  INFO(problem);
  REQUIRE(edit);
  return *edit;
}

}  // namespace haven::serve::testing
