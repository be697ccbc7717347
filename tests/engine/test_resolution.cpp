// The resolution property (issue 13): results depend little on how finely the map is cut. Every node split into
// four (same people, same roads in between: split_scenario.hpp) changes the cumulative displaced by less than 10%.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "haven/engine/simulation.hpp"
#include "haven/scenario/load.hpp"
#include "split_scenario.hpp"

using namespace haven;

namespace {

const std::filesystem::path source_dir = HAVEN_SOURCE_DIR;

double cumulative_displaced(const Scenario& s, std::uint64_t run, std::optional<int> days = std::nullopt) {
  RunConfig config;
  config.seed = s.seed;
  config.run_index = run;
  config.days = days;
  return Simulation(s, config).run().cumulative_displaced;
}

// The relative change of the cumulative displaced, mean over a few seeds.
double split_change(const Scenario& s, std::optional<int> days = std::nullopt) {
  const Scenario split = test::split_every_node(s, 4);
  double coarse = 0.0, fine = 0.0;
  for (std::uint64_t run = 0; run < 2; ++run) {
    coarse += cumulative_displaced(s, run, days);
    fine += cumulative_displaced(split, run, days);
  }
  MESSAGE(s.name << ": cumulative displaced " << coarse / 2 << " (as shipped) vs " << fine / 2 << " (split in four)");
  REQUIRE(coarse > 0.0);
  return std::abs(fine - coarse) / coarse;
}

}  // namespace

TEST_CASE("resolution: the split scenario holds the same people and roads between places") {
  const Scenario s = load_scenario_or_throw(source_dir / "scenarios/flee/mali2012.yaml");
  const Scenario split = test::split_every_node(s, 4);
  CHECK(split.nodes.size() == 4 * s.nodes.size());
  CHECK(split.total_population() == s.total_population());
  CHECK(split.corridors.size() == s.corridors.size() + 6 * s.nodes.size());
  for (std::size_t k = 0; k < s.corridors.size(); ++k) {
    CHECK(split.corridors[k].from == s.corridors[k].from);
    CHECK(split.corridors[k].length_km == s.corridors[k].length_km);
  }
}

TEST_CASE(
    "resolution: splitting every node of idlib_2019_2020 into four changes the cumulative displaced by under 10%") {
  const Scenario s = load_scenario_or_throw(source_dir / "scenarios/idlib_2019_2020.yaml");
  CHECK(split_change(s) < 0.10);
}

TEST_CASE("resolution: splitting every node of mali2012 into four changes the cumulative displaced by under 10%") {
  const Scenario s = load_scenario_or_throw(source_dir / "scenarios/flee/mali2012.yaml");
  CHECK(split_change(s) < 0.10);
}
