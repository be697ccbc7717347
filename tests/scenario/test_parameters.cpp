#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "haven/scenario/load.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/scenario/schema.hpp"

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

TEST_CASE("a parameter's kind says which values in its range it takes") {
  const auto* awareness = find_parameter_spec("flee_awareness_level");
  const auto* on_foot = find_parameter_spec("flee_start_on_foot");
  const auto* kernel = find_parameter_spec("threat_kernel_km");
  REQUIRE(awareness);
  REQUIRE(on_foot);
  REQUIRE(kernel);
  CHECK(awareness->kind == ParameterKind::whole);
  CHECK(on_foot->kind == ParameterKind::on_off);
  CHECK(kernel->kind == ParameterKind::real);

  CHECK(parameter_value_allowed(*awareness, 2.0));
  CHECK_FALSE(parameter_value_allowed(*awareness, 2.5));
  CHECK_FALSE(parameter_value_allowed(*awareness, 5.0));
  CHECK(parameter_value_allowed(*on_foot, 0.0));
  CHECK(parameter_value_allowed(*on_foot, 1.0));
  CHECK_FALSE(parameter_value_allowed(*on_foot, 0.4));
  CHECK(parameter_value_allowed(*kernel, 2.5));
  CHECK_FALSE(parameter_value_allowed(*kernel, 0.0));

  CHECK(allowed_values(*awareness) == "a whole number in [0, 4]");
  CHECK(allowed_values(*on_foot) == "0 or 1");
  CHECK(allowed_values(*kernel) == "[0.1, 500]");
  // Every default is one its kind allows, or a run without parameters would refuse its own defaults.
  for (const auto& spec : parameter_specs) {
    INFO(spec.name);
    CHECK(parameter_value_allowed(spec, spec.default_value));
  }
}

TEST_CASE("the JSON Schema types each parameter by its kind") {
  const auto schema = nlohmann::json::parse(scenario_json_schema());
  const auto& properties = schema.at("$defs").at("parameters").at("properties");
  for (const auto& spec : parameter_specs) {
    INFO(spec.name);
    const auto& entry = properties.at(std::string(spec.name));
    switch (spec.kind) {
      case ParameterKind::real:
        CHECK(entry.at("type") == "number");
        break;
      case ParameterKind::whole:
        CHECK(entry.at("type") == "integer");
        CHECK(entry.at("maximum") == spec.maximum);
        break;
      case ParameterKind::on_off:
        CHECK(entry.at("anyOf").dump() == R"([{"enum":[0,1]},{"type":"boolean"}])");
        break;
    }
  }
}

TEST_CASE("the loader refuses a fraction of a whole or on-off parameter and reads false and true as 0 and 1") {
  const std::string head = R"(scenario: {name: small, start_date: 2024-01-01, days: 10}
nodes:
  - {id: a, kind: town, lat: 35.0, lon: 36.0, population: 1000}
  - {id: b, kind: camp, lat: 35.3, lon: 36.1, capacity: 500}
corridors:
  - {from: a, to: b, length_km: 35, kind: road}
parameters:
)";
  auto taken = load_scenario_text(head +
                                      "  flee_awareness_level: 3\n  flee_start_on_foot: true\n"
                                      "  flee_insert_day0: false\n  flee_avoid_short_stints: 1\n",
                                  "ok.yaml");
  REQUIRE(taken.scenario);
  CHECK(taken.scenario->parameters.flee_awareness_level == 3.0);
  CHECK(taken.scenario->parameters.flee_start_on_foot == 1.0);
  CHECK(taken.scenario->parameters.flee_insert_day0 == 0.0);
  CHECK(taken.scenario->parameters.flee_avoid_short_stints == 1.0);

  auto refused = load_scenario_text(
      head + "  flee_awareness_level: 2.5\n  flee_start_on_foot: 0.4\n  flee_insert_day0: \"1\"\n", "bad.yaml");
  CHECK_FALSE(refused.scenario);
  std::ostringstream text;
  refused.diagnostics.print(text);
  const std::string messages = text.str();
  CHECK(messages.find("bad.yaml:8:25: error: parameters.flee_awareness_level: expected a whole number in [0, 4] "
                      "(links), got 2.5") != std::string::npos);
  CHECK(messages.find("bad.yaml:9:23: error: parameters.flee_start_on_foot: a switch: expected 0 or 1") !=
        std::string::npos);
  // Quoted, a 1 is text, as it is for every other number.
  CHECK(messages.find("parameters.flee_insert_day0: a switch") != std::string::npos);
  CHECK(refused.diagnostics.error_count() == 3);
}
