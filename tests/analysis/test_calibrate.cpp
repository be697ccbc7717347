// Calibration recovers known parameters from observations generated with them, and its overlay reruns the fit.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "../support.hpp"
#include "haven/analysis/calibrate.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::test;

namespace {

constexpr double true_rate = 0.2;
constexpr double true_saturation = 30.0;

// The valley example with its observations replaced by what the model gives with the true parameters
// (expected mode: no noise, so the fit can be exact).
fs::path synthetic_scenario() {
  const fs::path dir = fs::temp_directory_path() / "haven_calibrate";
  fs::create_directories(dir);
  const fs::path valley = fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml";
  LoadOptions truth;
  truth.set_overrides = {fmt::format("parameters.max_departure_rate_per_day={}", true_rate),
                         fmt::format("parameters.threat_half_saturation={}", true_saturation)};
  const Scenario scenario = load_scenario_or_throw(valley, truth);
  RunConfig config;
  config.mode = Mode::expected;
  Simulation simulation(scenario, config);
  MemoryRecorder recorder;
  simulation.add_observer(recorder);
  simulation.run();
  const double unit = static_cast<double>(recorder.units_per_person());
  std::string observations = "observations:\n";
  observations +=
      "  - id: displaced\n    variable: cumulative_displaced\n    source: {publisher: synthetic}\n"
      "    points:\n";
  for (int day = 4; day < 60; day += 5) {
    observations +=
        fmt::format("      - {{day: {}, value: {:.0f}}}\n", day,
                    static_cast<double>(recorder.cumulative_displaced_[static_cast<std::size_t>(day)]) / unit);
  }
  observations +=
      "  - id: midcity\n    variable: displaced_present\n    node: midcity\n    source: {publisher: synthetic}\n"
      "    points:\n";
  for (int day = 4; day < 60; day += 5) {
    observations +=
        fmt::format("      - {{day: {}, value: {:.0f}}}\n", day,
                    static_cast<double>(recorder.displaced_[static_cast<std::size_t>(day)].row(2).sum()) / unit);
  }
  std::string text = read_text(valley);
  const auto begin = text.find("observations:");
  const auto end = text.find("outputs:");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  text = text.substr(0, begin) + observations + "\n" + text.substr(end);
  write_text(dir / "synthetic.yaml", text);
  return dir / "synthetic.yaml";
}

}  // namespace

TEST_CASE("calibration recovers the parameters that generated the observations") {
  const fs::path scenario = synthetic_scenario();
  std::string error;
  auto rate = parse_calibration_parameter("max_departure_rate_per_day=0.05:0.4", error);
  auto saturation = parse_calibration_parameter("threat_half_saturation=10:150", error);
  REQUIRE(rate);
  REQUIRE(saturation);
  CalibrationOptions options;
  options.mode = Mode::expected;
  options.max_evaluations = 120;
  options.relative_tolerance = 1e-5;
  int steps = 0;
  options.on_step = [&steps](const CalibrationStep& step) {
    ++steps;
    CHECK(step.best_error <= step.error);
  };
  const auto result = calibrate(scenario, {}, {*rate, *saturation}, options);
  CHECK(steps == result.evaluations);
  CHECK(result.start_error > 0.05);  // the defaults (0.18, 60) are far off
  CHECK(result.error < 0.002);
  CHECK(result.best[0] == doctest::Approx(true_rate).epsilon(0.03));
  CHECK(result.best[1] == doctest::Approx(true_saturation).epsilon(0.03));
  CHECK(result.points == 24);

  // The overlay applies the fit: loading with it gives the fitted values.
  const fs::path overlay = scenario.parent_path() / "fit.yaml";
  write_text(overlay, calibration_overlay({*rate, *saturation}, result, "test fit\nsecond line"));
  LoadOptions with_fit;
  with_fit.set_files = {overlay};
  const Scenario fitted = load_scenario_or_throw(scenario, with_fit);
  CHECK(fitted.parameters.max_departure_rate_per_day == doctest::Approx(result.best[0]));
  CHECK(fitted.parameters.threat_half_saturation == doctest::Approx(result.best[1]));
  CHECK(read_text(overlay).rfind("# test fit\n# second line\nparameters:\n", 0) == 0);
}

TEST_CASE("calibration parameters are checked before any run") {
  std::string error;
  CHECK_FALSE(parse_calibration_parameter("threat_kernel=0.5:2", error));
  CHECK(error.find("did you mean 'threat_kernel_km'") != std::string::npos);
  CHECK_FALSE(parse_calibration_parameter("threat_kernel_km=2:0.5", error));
  CHECK(error.find("LOW must be below HIGH") != std::string::npos);
  CHECK_FALSE(parse_calibration_parameter("threat_kernel_km=0.5", error));
  CHECK(error.find("NAME=LOW:HIGH") != std::string::npos);
  CHECK_FALSE(parse_calibration_parameter("max_departure_rate_per_day=-1:2", error));
  CHECK(error.find("must stay within") != std::string::npos);
  auto capacity = parse_calibration_parameter("nodes.northcamp.capacity=1000:90000", error);
  REQUIRE(capacity);
  CHECK(capacity->path == "nodes.northcamp.capacity");

  // A range end the scenario rejects is a located error before the search starts.
  auto bad = parse_calibration_parameter("nodes.nowhere.capacity=1:2", error);
  REQUIRE(bad);
  CalibrationOptions options;
  options.mode = Mode::expected;
  CHECK_THROWS_AS(calibrate(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml", {}, {*bad}, options),
                  InputError);
}
