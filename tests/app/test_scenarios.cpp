// The shipped scenarios: valid with every variant, and the default one runs end to end.
#include <doctest/doctest.h>

#include "../support.hpp"
#include "haven/scenario/load.hpp"

using namespace haven;

TEST_CASE("every shipped scenario is valid with all its variants and without warnings") {
  for (const char* file :
       {"scenarios/idlib_2019_2020.yaml", "scenarios/idlib_2018.yaml", "scenarios/examples/valley.yaml"}) {
    CAPTURE(file);
    auto result = load_scenario_file(std::string(HAVEN_SOURCE_DIR "/") + file, {.all_variants = true});
    std::ostringstream messages;
    result.diagnostics.print(messages);
    INFO(messages.str());
    REQUIRE(result.scenario);
    CHECK(result.diagnostics.all().empty());
  }
  auto idlib = load_scenario_or_throw(HAVEN_SOURCE_DIR "/scenarios/idlib_2019_2020.yaml");
  CHECK(idlib.nodes.size() >= 40);
  CHECK(idlib.observations.size() == 1);
  CHECK(idlib.observations[0].points.size() >= 15);
  auto projected = load_scenario_or_throw(HAVEN_SOURCE_DIR "/scenarios/idlib_2018.yaml");
  CHECK(projected.variant_names ==
        std::vector<std::string>{"full_offensive", "sochi", "border_open", "evacuation_corridors", "camp_expansion"});
}

TEST_CASE("a shortened Idlib 2019-2020 run goes end to end and validates its December points") {
  auto result = test::run_cli({"run", "scenarios/idlib_2019_2020.yaml", "--days", "35", "--no-output", "--quiet"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("idlib_2019_2020: stochastic mode, seed 1, 35 days from 2019-12-01") != std::string::npos);
  CHECK(result.out.find("2019-12-29   ocha_cumulative_displaced") != std::string::npos);
  // Later points are beyond the shortened run: listed as skipped, with why, not compared.
  const auto skipped = result.out.find("\nskipped ");
  REQUIRE(skipped != std::string::npos);
  CHECK(result.out.find("2020-02-") > skipped);
  CHECK(result.out.find("the run ends before day 65 (it ran 35 days)") != std::string::npos);
  const auto error_line = result.out.find("mean absolute relative error");
  REQUIRE(error_line != std::string::npos);
  // December is reproduced within 20% even in a single run.
  CHECK(std::stod(result.out.substr(error_line + 29, 5)) < 0.20);
}

TEST_CASE("the README's 20-line scenario is valid") {
  const std::string readme = test::read_text(HAVEN_SOURCE_DIR "/README.md");
  const auto section = readme.find("## A scenario in 20 lines");
  REQUIRE(section != std::string::npos);
  const auto begin = readme.find("```yaml\n", section) + 8;
  const auto end = readme.find("```", begin);
  auto result = load_scenario_text(readme.substr(begin, end - begin), "README.md", {.all_variants = true});
  std::ostringstream messages;
  result.diagnostics.print(messages);
  INFO(messages.str());
  CHECK(result.scenario.has_value());
  CHECK(result.diagnostics.all().empty());
}
