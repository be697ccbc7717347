// The shipped scenarios: valid with every variant, the default one runs end to end, and every one of them (and
// every variant) reproduces its committed baseline.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>

#include "../support.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/load.hpp"
#include "haven/util/date.hpp"

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

// Baselines (docs/reliability.md, "Baselines"): every shipped scenario and each of its variants is run in
// stochastic mode with the scenario's own seed, and its summary and daily series are compared exactly with
// tests/data/baselines/<scenario>[__<variant>].txt. A change to the model's numbers therefore shows up as a diff
// of these files: intended ones are rewritten by tools/baselines/update (HAVEN_UPDATE_BASELINES=1), and the
// diff goes into the commit message.
namespace {

bool updating_baselines() {
  const char* flag = std::getenv("HAVEN_UPDATE_BASELINES");
  return flag != nullptr && std::string(flag) == "1";
}

std::string node_totals(const Scenario& scenario, const std::vector<NodeTotal>& totals) {
  std::string text;
  for (const auto& t : totals) {
    text += fmt::format(" {}:{}", scenario.nodes[static_cast<std::size_t>(t.node)].id, t.people);
  }
  return text;
}

// The baseline text of one run: what `haven run FILE [--variant V]` prints, unrounded, and a few daily series.
std::string baseline_text(const std::string& file, const Scenario& scenario) {
  RunConfig config;
  config.seed = scenario.seed;
  Simulation simulation(scenario, config);
  MemoryRecorder recorder;
  simulation.add_observer(recorder);
  const RunSummary summary = simulation.run();

  std::string text = fmt::format(
      "# Baseline of {}{}: {} mode, seed {}, {} days, {}. Compared exactly by\n"
      "# tests/app/test_scenarios.cpp; after an intended change, rewrite with tools/baselines/update.\n",
      file, scenario.variant.empty() ? "" : fmt::format(" --variant {}", scenario.variant), to_string(config.mode),
      config.seed, summary.days,
      recorder.units_per_person() == 1 ? "counts are people"
                                       : fmt::format("counts in units of 1/{} person", recorder.units_per_person()));
  text += "[summary]\n";
  text += fmt::format("initial_population {}\n", summary.initial_population);
  text += fmt::format("cumulative_displaced {}\n", summary.cumulative_displaced);
  text += fmt::format("peak_daily_departures {} on day {}\n", summary.peak_daily_departures, summary.peak_day);
  text += fmt::format("unsheltered_peak {} on day {}\n", summary.unsheltered_peak, summary.unsheltered_peak_day);
  text += fmt::format("returned {}\n", summary.returned);
  text += fmt::format("displaced_present_end {}\n", summary.displaced_present_end);
  text += fmt::format("in_transit_end {}\n", summary.in_transit_end);
  text += fmt::format("waiting_end {}\n", summary.waiting_end);
  text += fmt::format("top_origins{}\n", node_totals(scenario, summary.top_origins));
  text += fmt::format("top_destinations{}\n", node_totals(scenario, summary.top_destinations));
  text += fmt::format("cohorts_created {}\n", summary.cohorts_created);
  text += fmt::format("events_processed {}\n", summary.events_processed);
  text += fmt::format("scenario_events {}\n", recorder.events_.size());

  // Daily series, in units: totals over the network, and displaced people present at the three main destinations.
  std::vector<std::size_t> watched;
  for (std::size_t k = 0; k < summary.top_destinations.size() && k < 3; ++k) {
    watched.push_back(static_cast<std::size_t>(summary.top_destinations[k].node));
  }
  text +=
      "[series]\nday,date,departures,arrivals,returns,cumulative_displaced,displaced_present,unsheltered,waiting,"
      "in_transit";
  for (auto node : watched) text += ",displaced_at_" + scenario.nodes[node].id;
  text += "\n";
  for (std::size_t day = 0; day < recorder.days(); ++day) {
    text += fmt::format(
        "{},{},{},{},{},{},{},{},{},{}", day, format_iso_date(add_days(scenario.start_date, static_cast<long>(day))),
        recorder.departures_[day].sum(), recorder.arrivals_[day].sum(), recorder.returns_[day].sum(),
        recorder.cumulative_displaced_[day], recorder.displaced_[day].sum(), recorder.unsheltered_[day].sum(),
        recorder.waiting_[day].sum(), recorder.in_transit_[day].sum());
    for (auto node : watched) {
      text += fmt::format(",{}", recorder.displaced_[day].row(static_cast<Eigen::Index>(node)).sum());
    }
    text += "\n";
  }
  return text;
}

// The first line where two texts differ, for a failure message that says where the numbers moved.
std::string first_difference(const std::string& expected, const std::string& actual) {
  std::istringstream a(expected), b(actual);
  std::string line_a, line_b;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, line_a));
    const bool more_b = static_cast<bool>(std::getline(b, line_b));
    if (!more_a && !more_b) return "no difference";
    if (line_a != line_b || more_a != more_b) {
      return fmt::format("line {}:\n  baseline: {}\n  now:      {}", line, more_a ? line_a : "(end of file)",
                         more_b ? line_b : "(end of file)");
    }
  }
}

}  // namespace

TEST_CASE("every shipped scenario and variant reproduces its committed baseline exactly") {
  namespace fs = std::filesystem;
  const fs::path source(HAVEN_SOURCE_DIR);
  const fs::path baselines = fs::path(HAVEN_TEST_DATA_DIR) / "baselines";
  std::vector<fs::path> files;  // every scenario under scenarios/ (sweep and validation suite files are not scenarios)
  for (const auto& entry : fs::recursive_directory_iterator(source / "scenarios")) {
    const auto relative = entry.path().lexically_relative(source / "scenarios");
    if (entry.path().extension() == ".yaml" && *relative.begin() != "sweeps" && *relative.begin() != "validation") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 3);

  std::set<fs::path> expected_names;
  for (const auto& path : files) {
    const std::string file = path.lexically_relative(source).generic_string();
    const auto base = load_scenario_or_throw(path);
    std::vector<std::string> variants{""};
    variants.insert(variants.end(), base.variant_names.begin(), base.variant_names.end());
    for (const auto& variant : variants) {
      CAPTURE(file);
      CAPTURE(variant);
      const auto scenario = variant.empty() ? base : load_scenario_or_throw(path, {.variant = variant});
      const std::string actual = baseline_text(file, scenario);
      const fs::path baseline = baselines / (path.stem().string() + (variant.empty() ? "" : "__" + variant) + ".txt");
      expected_names.insert(baseline.filename());
      if (updating_baselines()) {
        fs::create_directories(baselines);
        test::write_text(baseline, actual);
        continue;
      }
      REQUIRE_MESSAGE(fs::exists(baseline), "no baseline " << baseline << "; create it with tools/baselines/update");
      const std::string expected = test::read_text(baseline);
      INFO("the results differ from " << baseline.string() << " at " << first_difference(expected, actual)
                                      << "\nIf the change is intended, run tools/baselines/update and put the diff "
                                         "it prints in the commit message.");
      CHECK(actual == expected);
    }
  }
  // A baseline whose scenario or variant is gone would never be checked again: remove it (update does).
  for (const auto& entry : fs::directory_iterator(baselines)) {
    if (expected_names.count(entry.path().filename())) continue;
    if (updating_baselines()) {
      fs::remove(entry.path());
    } else {
      FAIL_CHECK("stale baseline " << entry.path() << " (no such scenario or variant); run tools/baselines/update");
    }
  }
}
