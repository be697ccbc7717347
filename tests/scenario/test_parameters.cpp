#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "haven/scenario/parameters.hpp"

using namespace haven;

TEST_CASE("every parameter's default lies in its allowed range and names are unique") {
  std::set<std::string_view> names;
  for (const auto& spec : parameter_specs) {
    INFO(spec.name);
    CHECK(spec.minimum <= spec.default_value);
    CHECK(spec.default_value <= spec.maximum);
    CHECK_FALSE(spec.units.empty());
    CHECK_FALSE(spec.meaning.empty());
    CHECK_FALSE(spec.origin.empty());
    CHECK(names.insert(spec.name).second);
  }
}

TEST_CASE("ModelParameters fields start at the registry defaults and are found by name") {
  ModelParameters parameters;
  for (const auto& spec : parameter_specs) {
    const double* value = parameters.find(spec.name);
    REQUIRE(value != nullptr);
    CHECK(*value == spec.default_value);
  }
  CHECK(parameters.find("no_such_parameter") == nullptr);
  *parameters.find("return_rate_per_day") = 0.5;
  CHECK(parameters.return_rate_per_day == 0.5);
}

TEST_CASE("docs/parameters.md is generated from the registry and up to date") {
  std::ifstream in(HAVEN_SOURCE_DIR "/docs/parameters.md");
  REQUIRE_MESSAGE(in.good(), "docs/parameters.md is missing; run `haven params --markdown > docs/parameters.md`");
  std::stringstream text;
  text << in.rdbuf();
  CHECK_MESSAGE(text.str() == parameters_markdown(),
                "docs/parameters.md differs from the registry; run `haven params --markdown > docs/parameters.md`");
}
