// Calibration recovers known parameters from observations generated with them, and its overlay reruns the fit.

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <limits>
#include <vector>

#include "../support.hpp"
#include "haven/analysis/calibrate.hpp"
#include "haven/analysis/series.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/util/text.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::test;

namespace {

constexpr double true_rate = 0.2;
constexpr double true_saturation = 30.0;
// Everyone willing to leave (docs/model.md, partial flight), so that the rate and the saturation alone shape the
// curve and the fit can tell them apart; the same for the truth and the fit.
const std::vector<std::string> everyone_willing = {"parameters.leave_threshold_median=0.01",
                                                   "parameters.leave_threshold_shape=50"};

// The valley example with its observations replaced by what the model gives with the true parameters
// (expected mode: no noise, so the fit can be exact).
fs::path synthetic_scenario() {
  const fs::path dir = fs::temp_directory_path() / "haven_calibrate";
  fs::create_directories(dir);
  const fs::path valley = fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml";
  LoadOptions truth;
  truth.set_overrides = {fmt::format("parameters.max_departure_rate_per_day={}", true_rate),
                         fmt::format("parameters.threat_half_saturation={}", true_saturation)};
  truth.set_overrides.insert(truth.set_overrides.end(), everyone_willing.begin(), everyone_willing.end());
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
  std::vector<double> best_values;  // the values of the last step marked best
  double previous_best = std::numeric_limits<double>::infinity();
  options.on_step = [&](const CalibrationStep& step) {
    ++steps;
    CHECK(step.best_error <= step.error);
    // Marked best only when it lowered the error: a tie keeps the earlier values, which the result reports.
    CHECK(step.best == (step.error < previous_best));
    if (step.best) best_values = step.values;
    previous_best = step.best_error;
  };
  LoadOptions base;
  base.set_overrides = everyone_willing;
  const auto result = calibrate(scenario, base, {*rate, *saturation}, options);
  CHECK(steps == result.evaluations);
  CHECK(best_values == result.best);
  CHECK(result.start_error > 0.05);  // the defaults (0.18, 60) are far off
  CHECK(result.error < 0.002);
  CHECK(result.best[0] == doctest::Approx(true_rate).epsilon(0.03));
  // Within 5%: expected mode splits people over destinations and homes in whole people (docs/model.md, modes),
  // so the error steps a little as the parameters move (28.8 for 30 here; 3% held before that).
  CHECK(result.best[1] == doctest::Approx(true_saturation).epsilon(0.05));
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
  // A shortened name is too far for an edit distance, but the parameter holding it is the likely aim.
  CHECK_FALSE(parse_calibration_parameter("max_departure_rate=0.1:0.2", error));
  CHECK(error.find("did you mean 'max_departure_rate_per_day'") != std::string::npos);
  CHECK_FALSE(parse_calibration_parameter("threat_kernel_km=2:0.5", error));
  CHECK(error.find("LOW must be below HIGH") != std::string::npos);
  CHECK_FALSE(parse_calibration_parameter("threat_kernel_km=0.5", error));
  CHECK(error.find("NAME=LOW:HIGH") != std::string::npos);
  CHECK_FALSE(parse_calibration_parameter("max_departure_rate_per_day=-1:2", error));
  CHECK(error.find("must stay within") != std::string::npos);
  // A switch or a count of links is read rounded, so the optimiser would move through flat plateaus.
  CHECK_FALSE(parse_calibration_parameter("flee_awareness_level=0:4", error));
  CHECK(error.find("takes whole numbers, and calibration moves parameters continuously") != std::string::npos);
  CHECK_FALSE(parse_calibration_parameter("parameters.flee_start_on_foot=0:1", error));
  CHECK(error.find("flee_start_on_foot takes 0 or 1") != std::string::npos);
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
  // Both ends whole, but a population takes only whole numbers and the search tries values between them: refused
  // before the first evaluation, not after some of them.
  auto population = parse_calibration_parameter("nodes.southtown.population=30000:90000", error);
  REQUIRE(population);
  int evaluations = 0;
  options.on_step = [&evaluations](const CalibrationStep&) { ++evaluations; };
  try {
    calibrate(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml", {}, {*population}, options);
    FAIL("a range of whole numbers was not refused");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("nodes.southtown.population: expected a whole number") != std::string::npos);
    CHECK(std::string(e.what()).find("a key that takes whole numbers only is swept, not calibrated (haven sweep") !=
          std::string::npos);
  }
  CHECK(evaluations == 0);
}

TEST_CASE("calibration starts from the scenario's value clamped into the range and counts it as an evaluation") {
  const fs::path valley = fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml";
  const double scenario_value = load_scenario_or_throw(valley).parameters.max_departure_rate_per_day;
  struct Case {
    std::string range, algorithm;
    double first;
  };
  // Near the lower bound (BOBYQA would move it a whole step inward), below the range, above it.
  const std::vector<Case> cases = {
      {fmt::format("{}:{}", scenario_value - 0.01, scenario_value + 0.42), "bobyqa", scenario_value},
      {fmt::format("{}:{}", 0.3 * scenario_value, 0.6 * scenario_value), "bobyqa", 0.6 * scenario_value},
      {fmt::format("{}:{}", scenario_value + 0.01, scenario_value + 0.2), "neldermead", scenario_value + 0.01},
  };
  for (const auto& c : cases) {
    CAPTURE(c.range);
    CAPTURE(c.algorithm);
    std::string error;
    auto rate = parse_calibration_parameter("max_departure_rate_per_day=" + c.range, error);
    REQUIRE(rate);
    CalibrationOptions options;
    options.mode = Mode::expected;
    options.algorithm = c.algorithm;
    options.max_evaluations = 3;
    std::vector<double> tried;
    options.on_step = [&tried](const CalibrationStep& step) { tried.push_back(step.values[0]); };
    const auto result = calibrate(valley, {}, {*rate}, options);
    REQUIRE(!tried.empty());
    CHECK(tried[0] == doctest::Approx(c.first).epsilon(1e-12));
    CHECK(result.evaluations <= 3);
    CHECK(static_cast<int>(tried.size()) == result.evaluations);
  }
}

TEST_CASE("every algorithm runs --max-evals distinct points unless it converges first") {
  // Subplex and Nelder-Mead ask NLopt for some points again (answered from the cache, not run): NLopt's own count
  // took those, and the search stopped after 9 runs of 12 saying it had reached --max-evals.
  std::string error;
  const auto parameter = parse_calibration_parameter("threat_half_saturation=30:120", error);
  REQUIRE(parameter);
  for (const char* algorithm : {"bobyqa", "sbplx", "neldermead", "cobyla"}) {
    CAPTURE(algorithm);
    CalibrationOptions options;
    options.algorithm = algorithm;
    options.max_evaluations = 12;
    options.relative_tolerance = 1e-15;  // no convergence within 12 runs
    int runs = 0;
    // A bumpy error, so that no search settles early.
    const auto result = minimise_error({*parameter}, {75.0}, options, [&runs](const std::vector<double>& v) {
      ++runs;
      return std::abs(v[0] - 61.3) + 0.5 * std::abs(std::sin(v[0]));
    });
    CHECK(runs == 12);
    CHECK(result.evaluations == 12);
    CHECK(result.stop_reason == "reached --max-evals");
  }
}

TEST_CASE("calibration minimises the weighted error that validate --max-error judges") {
  const fs::path valley = fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml";
  LoadOptions base;
  base.set_overrides = {"observations.displaced_reported.points[1].weight=0"};
  const Scenario s = load_scenario_or_throw(valley, base);
  RunConfig config;
  config.seed = s.seed;
  config.mode = Mode::expected;
  const auto probes = run_ensemble(s, config, 1, 1);
  const auto report = validate(s, {probes[0].get()});
  REQUIRE(std::abs(report.weighted_mean_abs_relative_error - report.mean_abs_relative_error) > 1e-3);
  std::string error;
  auto rate = parse_calibration_parameter(
      fmt::format("max_departure_rate_per_day={}:0.6", s.parameters.max_departure_rate_per_day), error);
  REQUIRE(rate);
  CalibrationOptions options;
  options.mode = Mode::expected;
  options.max_evaluations = 1;
  const auto result = calibrate(valley, base, {*rate}, options);
  CHECK(result.evaluations == 1);
  CHECK(result.start_error == doctest::Approx(report.weighted_mean_abs_relative_error).epsilon(1e-12));
}

TEST_CASE("haven calibrate refuses a --set that would freeze a fitted value and an overlay it would overwrite") {
  const fs::path dir = fs::temp_directory_path() / "haven_calibrate_cli";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string overlay = (dir / "fit.yaml").string();
  const std::vector<std::string> command = {"calibrate",   "scenarios/examples/valley.yaml",
                                            "--param",     "threat_kernel_km=0.5:3",
                                            "--mode",      "expected",
                                            "--max-evals", "1",
                                            "-q",          "-o",
                                            overlay};
  auto with = [&](std::vector<std::string> extra) {
    auto args = command;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  const auto frozen = with({"--set", "parameters.threat_kernel_km=2"});
  CHECK(frozen.exit_code == 2);
  CHECK(frozen.out.empty());
  CHECK(frozen.err ==
        "command line (--set parameters.threat_kernel_km=2): error: --set parameters.threat_kernel_km=2 fixes "
        "parameters.threat_kernel_km, which --param threat_kernel_km fits: every evaluation would run the set value. "
        "Drop the --set, or the --param\n1 error; nothing was run.\n");
  CHECK_FALSE(fs::exists(overlay));
  // A --set of the whole mapping freezes it too; a --set of something else does not.
  CHECK(with({"--set", "parameters={threat_kernel_km: 2}"}).exit_code == 2);
  CHECK(with({"--set", "parameters.awareness_range_km=100"}).exit_code == 0);
  REQUIRE(fs::exists(overlay));

  write_text(overlay, "# the user's own overlay\n");
  const auto refused = with({});
  CHECK(refused.exit_code == 2);
  CHECK(refused.out.empty());
  CHECK(refused.err ==
        "haven: error: " + overlay + " exists; pass --overwrite to replace it, or -o to write elsewhere\n");
  CHECK(read_text(overlay) == "# the user's own overlay\n");
  CHECK(with({"--overwrite"}).exit_code == 0);
  CHECK(read_text(overlay).find("parameters:\n  threat_kernel_km: ") != std::string::npos);
  CHECK_FALSE(fs::exists(overlay + ".partial"));

  // The same value twice is a mistake too.
  CHECK(with({"--overwrite", "--param", "parameters.threat_kernel_km=1:2"}).exit_code == 2);

  // Only a regular file is ever replaced, and a directory is refused before the search.
  auto into_directory = command;
  into_directory.back() = dir.string();
  into_directory.emplace_back("--overwrite");
  const auto directory = run_cli(into_directory);
  CHECK(directory.exit_code == 2);
  CHECK(directory.err == "haven: error: " + dir.string() + " is a directory, not a file; name a file to write\n");
}

TEST_CASE("haven calibrate warns when it fits more parameters than there are points") {
  // Not the test case above's folder: CTest runs them side by side, and that one empties its folder first.
  const fs::path dir = fs::temp_directory_path() / "haven_calibrate_cli_points";
  fs::create_directories(dir);
  // One point in the window, two values to fit.
  const auto result =
      run_cli({"calibrate", "scenarios/examples/valley.yaml", "--param", "threat_kernel_km=0.5:3", "--param",
               "max_departure_rate_per_day=0.05:0.3", "--from", "2024-03-01", "--to", "2024-03-20", "--mode",
               "expected", "--max-evals", "1", "-q", "--overwrite", "-o", (dir / "under.yaml").string()});
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("haven: warning: fitting 2 parameters to 1 observation point (weight above 0, inside "
                        "--from/--to): more values than points") != std::string::npos);
  CHECK(run_cli({"calibrate", "scenarios/examples/valley.yaml", "--param", "threat_kernel_km=0.5:3", "--mode",
                 "expected", "--max-evals", "1", "-q", "--overwrite", "-o", (dir / "under.yaml").string()})
            .err.empty());
}

TEST_CASE("haven calibrate's advice runs as printed and writes beside the scenario's own run file") {
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("haven_calibrate_advice_{}", static_cast<long>(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string overlay = (dir / "valley-calibrated.yaml").string();
  const auto fitted = run_cli({"calibrate", "scenarios/examples/valley.yaml", "--param", "threat_kernel_km=0.5:3",
                               "--mode", "expected", "--max-evals", "1", "-q", "-o", overlay});
  REQUIRE(fitted.exit_code == 0);
  // In the mode the fit ran in (a run of the other mode gives other numbers).
  const std::string advice = "haven run scenarios/examples/valley.yaml --set-file " + overlay + " --mode expected -o " +
                             (dir / "valley-calibrated.h5").string();
  CHECK(fitted.out.ends_with("\nwrote " + overlay + " (" + advice + ")\n"));
  CHECK(read_text(overlay).find("# Apply with: " + advice + "\n") != std::string::npos);
  // The check of the fit, with the settings it was measured with (expected mode here): validate gives its error.
  const std::string check = "haven validate scenarios/examples/valley.yaml --set-file " + overlay + " --mode expected";
  CHECK(read_text(overlay).find("# Check with: " + check + "\n") != std::string::npos);
  CHECK(read_text(overlay).find("error of the expected run: ") != std::string::npos);
  const auto checked = run_cli(split_words(check.substr(std::string("haven ").size())));
  CHECK_MESSAGE(checked.exit_code == 0, checked.err);
  const std::string label = "error of the expected run: ";
  const double fitted_error = std::stod(read_text(overlay).substr(read_text(overlay).find(label) + label.size(), 6));
  CHECK(checked.out.find(fmt::format("(weighted {:.3f})", fitted_error)) != std::string::npos);
  // Followed as printed: it runs, and writes the calibrated run beside the overlay, whatever file the scenario's
  // own run wrote (`haven run` refuses to replace one; the README followed in order had hit that).
  auto args = split_words(advice.substr(std::string("haven ").size()));
  args.emplace_back("--quiet");
  const auto applied = run_cli(args);
  CHECK_MESSAGE(applied.exit_code == 0, applied.err);
  CHECK(fs::exists(dir / "valley-calibrated.h5"));
  // Fitted again with --overwrite: the advice replaces that run too, and runs as printed.
  auto again_args = std::vector<std::string>{"calibrate",   "scenarios/examples/valley.yaml",
                                             "--param",     "threat_kernel_km=0.5:3",
                                             "--mode",      "expected",
                                             "--max-evals", "1",
                                             "-q",          "-o",
                                             overlay,       "--overwrite"};
  const auto again = run_cli(again_args);
  REQUIRE(again.exit_code == 0);
  CHECK(again.out.ends_with("\nwrote " + overlay + " (" + advice + " --overwrite)\n"));
  auto rerun = split_words(advice.substr(std::string("haven ").size()) + " --overwrite --quiet");
  CHECK_MESSAGE(run_cli(rerun).exit_code == 0, run_cli(rerun).err);
  fs::remove_all(dir);
}

TEST_CASE("shell_word leaves plain words and quotes the rest so that a shell reads one word back") {
  CHECK(haven::shell_word("output/valley-calibrated.h5") == "output/valley-calibrated.h5");
  CHECK(haven::shell_word("threat_kernel_km=0.5:3") == "threat_kernel_km=0.5:3");
  CHECK(haven::shell_word("my dir/valley copy.yaml") == "'my dir/valley copy.yaml'");
  CHECK(haven::shell_word("it's") == "'it'\\''s'");
  CHECK(haven::shell_word("$HOME;rm") == "'$HOME;rm'");
  CHECK(haven::shell_word("") == "''");
}

TEST_CASE("haven calibrate refuses a window that holds no observation point before any evaluation") {
  const auto result = test::run_cli({"calibrate", "scenarios/examples/valley.yaml", "--param", "threat_kernel_km=0.5:2",
                                     "--from", "2024-03-02", "--to", "2024-03-05", "-o", "never-written.yaml"});
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());  // not even the search's header
  CHECK(result.err ==
        "haven: error: no observation point to fit: none has a value and weight above 0 inside --from/--to; widen "
        "the window or give the points a weight\n");
  CHECK_FALSE(fs::exists("never-written.yaml"));
}
