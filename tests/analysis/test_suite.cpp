// The validation suite (docs/validation.md): the shipped suite file, strict reading of suite files, and a fast
// version of the whole suite (2 runs, 30 days a case).

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "../support.hpp"
#include "haven/analysis/suite.hpp"
#include "haven/scenario/load.hpp"

namespace fs = std::filesystem;
using namespace haven;

namespace {

const fs::path shipped_suite = fs::path(HAVEN_SOURCE_DIR) / "scenarios/validation/suite.yaml";

// Every diagnostic of a suite file that does not load, one a line.
std::string suite_errors(const std::string& body) {
  const fs::path dir = fs::temp_directory_path() / "haven_suite_file";
  fs::create_directories(dir);
  const fs::path file = dir / "suite.yaml";
  test::write_text(file, body);
  try {
    (void)load_suite_file(file);
  } catch (const InputError& e) {
    std::ostringstream text;
    e.diagnostics().print(text);
    std::string out = text.str();
    // Stable messages: the scratch folder's path out.
    for (std::size_t at; (at = out.find(dir.string() + "/")) != std::string::npos;) {
      out.erase(at, dir.string().size() + 1);
    }
    return out;
  }
  return "";
}

// Two rows are the same figures (wall time aside).
void check_same(const SuiteRow& a, const SuiteRow& b) {
  CAPTURE(a.name);
  CHECK(a.status == b.status);
  CHECK(a.points == b.points);
  CHECK(a.mean_error == b.mean_error);
  CHECK(a.ard.has_value() == b.ard.has_value());
  if (a.ard && b.ard) {
    CHECK(a.ard->mean == b.ard->mean);
    CHECK(a.ard->p05 == b.ard->p05);
    CHECK(a.rescaled_ard->p95 == b.rescaled_ard->p95);
  }
  CHECK(a.end_observed == b.end_observed);
  CHECK(a.given_not_left == b.given_not_left);
  if (a.end_predicted && b.end_predicted) CHECK(a.end_predicted->mean == b.end_predicted->mean);
}

}  // namespace

TEST_CASE("The shipped validation suite lists issue 13's cases and every scenario loads") {
  const SuiteFile suite = load_suite_file(shipped_suite);
  CHECK(suite.runs == 10);
  std::vector<std::string> names;
  for (const auto& c : suite.cases) {
    names.push_back(c.name);
    CAPTURE(c.name);
    LoadOptions options;
    options.variant = c.variant;
    const auto loaded = load_scenario_file(c.scenario, options);
    CHECK_FALSE(loaded.diagnostics.has_errors());
  }
  CHECK(names == std::vector<std::string>{"idlib_2019_2020", "idlib_2018", "idlib_2018_full_offensive",
                                          "idlib_2018_sochi", "mali2012", "car2013", "burundi2015", "ssudan2013",
                                          "syria2013"});
  // The five Flee conflicts run in both departure modes.
  for (std::size_t k = 4; k < suite.cases.size(); ++k) {
    CHECK(suite.cases[k].departures == std::vector<std::string>{"predicted", "given"});
  }
  REQUIRE(suite.cases[2].target);
  CHECK(*suite.cases[2].target->min == 600000);
  CHECK(*suite.cases[2].target->max == 900000);
  CHECK(format_iso_date(suite.cases[2].target->date) == "2018-12-15");
}

TEST_CASE("A suite file is read strictly with every mistake located at once") {
  const std::string errors = suite_errors(
      "suite: {name: bad, runs: 0}\n"
      "cases:\n"
      "  - name: one\n"
      "    scenario: ../nowhere.yaml\n"
      "    departures: [predicted, guessed]\n"
      "  - name: one\n"
      "    scenarioo: x.yaml\n"
      "    target: {date: 2020-01-01}\n");
  CHECK(
      errors ==
      "suite.yaml:1:26: error: suite.runs: must be between 1 and 100000, got 0\n"
      "suite.yaml:4:15: error: cases[0].scenario: no scenario file " +
          (fs::temp_directory_path() / "nowhere.yaml").lexically_normal().string() +
          " (paths are relative to the suite file's folder)\n"
          "suite.yaml:5:29: error: cases[0].departures[1]: unknown value 'guessed' (expected 'predicted' or 'given')\n"
          "suite.yaml:7:5: error: cases[1]: unknown key 'scenarioo'; did you mean 'scenario'?\n"
          "suite.yaml:6:11: error: cases[1].name: duplicate case name 'one'\n"
          "suite.yaml:8:13: error: cases[1].target: a target needs 'min', 'max' or both\n");
  CHECK(suite_errors("").find("the file is empty") != std::string::npos);
  // A Flee conflict folder where a scenario file is needed: said so, with the command that makes one.
  const std::string flee = (fs::path(HAVEN_TEST_DATA_DIR) / "flee/good").string();
  CHECK(suite_errors(fmt::format("suite: {{name: f}}\ncases:\n  - {{name: a, scenario: {}}}\n", flee)) ==
        fmt::format("suite.yaml:3:25: error: cases[0].scenario: {} is a folder, not a scenario file (a Flee conflict "
                    "folder: give the scenario file 'haven import-flee {} -o FILE.yaml' writes)\n",
                    flee, flee));
}

TEST_CASE("The validation suite's fast version: every case in 30 days and 2 runs and the same at any thread count") {
  const SuiteFile suite = load_suite_file(shipped_suite);
  SuiteSettings settings;
  settings.runs = 2;
  settings.days = 30;
  settings.threads = 2;
  const auto rows = run_suite(suite, settings);
  REQUIRE(rows.size() == 14);  // 4 Idlib cases, 5 Flee conflicts in 2 modes
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CAPTURE(row.departures);
    if (row.departures == "given") {
      // Until the format can give departures, the row says why it was not run; never a figure.
      if (row.status != "ok") {
        CHECK(row.status.rfind("n/a: ", 0) == 0);
        CHECK_FALSE(row.ard);
        continue;
      }
    }
    REQUIRE(row.status == "ok");
    CHECK(row.runs == 2);
    CHECK(row.days == 30);
    if (row.departures != "given") CHECK(row.given_not_left == 0.0);
    CHECK(row.wall_seconds >= 0.0);
    const bool flee = row.scenario.find("scenarios/flee/") != std::string::npos;
    CHECK(row.ard.has_value() == flee);  // camp series: Flee's ARD and the camp total at the end
    if (flee) {
      CHECK(row.end_total == "camp total");
      CHECK(row.ard->p05 <= row.ard->mean);
      CHECK(row.ard->mean <= row.ard->p95);
    }
  }
  // idlib_2019_2020 has OCHA points within its first 30 days; the full offensive's target lies after them.
  CHECK(rows[0].mean_error.has_value());
  REQUIRE(rows[2].target);
  CHECK_FALSE(rows[2].target_predicted);
  // burundi2015's given departures from Bujumbura find every road closed in its first 30 days: the table says so.
  const auto burundi_given = std::find_if(rows.begin(), rows.end(), [](const SuiteRow& row) {
    return row.name == "burundi2015" && row.departures == "given";
  });
  REQUIRE(burundi_given != rows.end());
  CHECK(burundi_given->given_not_left > 1'000.0);
  const std::string table = suite_table(suite, settings, rows);
  CHECK(table.find("given departures not made: ") != std::string::npos);
  CHECK(table.find("2 runs per case, stochastic mode, seed of each scenario, at most 30 days") != std::string::npos);
  CHECK(table.find("(the date is outside the simulated days)") != std::string::npos);
  const std::string csv = suite_csv(rows);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 15);
  CHECK(csv.rfind("case,scenario,variant,departures,status,runs,days,points,mean_error,ard_mean,", 0) == 0);

  settings.threads = 1;
  const auto again = run_suite(suite, settings);
  REQUIRE(again.size() == rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) check_same(rows[k], again[k]);
}

TEST_CASE("haven validate --suite writes the table and its CSV and refuses a target beside it") {
  // Into a folder not there yet: made, as for every output.
  const fs::path csv = fs::temp_directory_path() / "haven_suite_fast" / "tables" / "suite.csv";
  fs::remove_all(fs::temp_directory_path() / "haven_suite_fast");
  const auto result = test::run_cli(
      {"validate", "--suite", "scenarios/validation/suite.yaml", "--runs", "1", "--days", "10", "--csv", csv.string()});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("validation suite haven_validation (scenarios/validation/suite.yaml): 1 run per case") == 0);
  CHECK(result.out.find(fmt::format("wrote {}\n", csv.string())) != std::string::npos);
  CHECK(test::read_text(csv).find("\nsyria2013,scenarios/flee/syria2013.yaml,,predicted,ok,1,10,") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(csv.string() + ".partial"));
  // The table is there now: replaced only with --overwrite, and refused before any case runs.
  const std::string written = test::read_text(csv);
  const auto again = test::run_cli(
      {"validate", "--suite", "scenarios/validation/suite.yaml", "--runs", "1", "--days", "5", "--csv", csv.string()});
  CHECK(again.exit_code == 2);
  // validate has no -o: the hint names the option that picks the file.
  CHECK(again.err.find("exists; pass --overwrite to replace it, or another --csv path to write elsewhere") !=
        std::string::npos);
  CHECK(again.out.empty());
  CHECK(test::read_text(csv) == written);
  const auto replaced = test::run_cli({"validate", "--suite", "scenarios/validation/suite.yaml", "--runs", "1",
                                       "--days", "5", "--csv", csv.string(), "--overwrite"});
  CHECK(replaced.exit_code == 0);
  CHECK(test::read_text(csv) != written);
  fs::remove_all(fs::temp_directory_path() / "haven_suite_fast");

  // --cases picks some cases, but --csv still never goes over another case's scenario or one of its tables.
  const fs::path dir = fs::temp_directory_path() / "haven_suite_inputs";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml", dir / "valley.yaml");
  fs::copy_file(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley_tables.yaml", dir / "valley_tables.yaml");
  fs::copy(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley_tables", dir / "valley_tables",
           fs::copy_options::recursive);
  test::write_text(dir / "suite.yaml",
                   "suite: {name: two, runs: 1}\ncases:\n  - {name: a, scenario: valley.yaml}\n"
                   "  - {name: b, scenario: valley_tables.yaml}\n");
  const std::string nodes = test::read_text(dir / "valley_tables" / "nodes.csv");
  for (const fs::path& input : {dir / "valley_tables.yaml", dir / "valley_tables" / "nodes.csv"}) {
    const auto refused = test::run_cli(
        {"validate", "--suite", (dir / "suite.yaml").string(), "--cases", "a", "--days", "5", "--csv", input.string()});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("is an input of this command") != std::string::npos);
  }
  CHECK(test::read_text(dir / "valley_tables" / "nodes.csv") == nodes);
  fs::remove_all(dir);

  const auto both =
      test::run_cli({"validate", "scenarios/idlib_2018.yaml", "--suite", "scenarios/validation/suite.yaml"});
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("--suite runs the cases its file lists: it takes no target") != std::string::npos);
  const auto neither = test::run_cli({"validate"});
  CHECK(neither.exit_code == 2);
  CHECK(neither.err ==
        "haven validate: missing target (a run file, an ensemble or a scenario; or --suite FILE); see "
        "'haven validate --help'\n");
  const auto stray_cases = test::run_cli({"validate", "scenarios/idlib_2018.yaml", "--cases", "idlib_2018"});
  CHECK(stray_cases.exit_code == 2);
  CHECK(stray_cases.err.find("--cases picks cases of a suite; it needs --suite FILE") != std::string::npos);
  const auto stray_csv = test::run_cli({"validate", "scenarios/idlib_2018.yaml", "--csv", "x.csv"});
  CHECK(stray_csv.exit_code == 2);
  CHECK(stray_csv.err.find("--csv writes a suite's table; it needs --suite FILE") != std::string::npos);
}

TEST_CASE("A suite's predicted row predicts departures even when the scenario gives them and says so when it cannot") {
  // mali2012 as written predicts; a copy that gives departures, and one under Flee's rules (which only give them).
  const fs::path dir = fs::temp_directory_path() / "haven_suite_modes";
  fs::create_directories(dir);
  const fs::path mali = fs::path(HAVEN_SOURCE_DIR) / "scenarios/flee/mali2012.yaml";
  std::string text = test::read_text(mali);
  const auto at = text.find("mode: predicted");
  REQUIRE(at != std::string::npos);
  test::write_text(dir / "mali_given.yaml", text.substr(0, at) + "mode: given" + text.substr(at + 15));
  test::write_text(
      dir / "suite.yaml",
      fmt::format("suite: {{name: modes}}\ncases:\n"
                  "  - {{name: as_written, scenario: {}, departures: [predicted, given]}}\n"
                  "  - {{name: written_given, scenario: mali_given.yaml, departures: [predicted, given]}}\n"
                  "  - {{name: flee, scenario: mali_given.yaml, departures: [predicted]}}\n",
                  mali.string()));
  SuiteFile suite = load_suite_file(dir / "suite.yaml");
  suite.cases.pop_back();  // (the Flee case below, with its own override)
  SuiteSettings settings;
  settings.runs = 1;
  settings.days = 40;
  const auto rows = run_suite(suite, settings);
  REQUIRE(rows.size() == 4);
  for (const auto& row : rows) REQUIRE(row.status == "ok");
  // The same scenario in the same mode: the same figures, however the file says its mode.
  check_same(rows[0], rows[2]);
  check_same(rows[1], rows[3]);
  REQUIRE(rows[0].ard);
  REQUIRE(rows[1].ard);
  CHECK(rows[0].ard->mean != rows[1].ard->mean);

  // Under Flee's rules departures are given only: the predicted row says it cannot be run.
  SuiteSettings flee = settings;
  flee.overrides = {{"rules", "flee", {"command line", 0, 0}}};
  SuiteFile one = load_suite_file(dir / "suite.yaml");
  one.cases.erase(one.cases.begin(), one.cases.begin() + 2);
  const auto flee_rows = run_suite(one, flee);
  REQUIRE(flee_rows.size() == 1);
  CHECK(flee_rows[0].status.rfind("n/a: departures predicted cannot be set: ", 0) == 0);
  CHECK_FALSE(flee_rows[0].ard);
}
