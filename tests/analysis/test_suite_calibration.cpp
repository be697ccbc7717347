// Calibration across the cases of a validation suite (haven calibrate --suite): the objective is the weighted mean
// of the numbers `haven validate --suite` prints, a leave-one-out fold never runs the case it leaves out, and the fit
// is the same at any thread count. Small: two scenarios, 21 days, 1-2 runs, a few evaluations.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "../support.hpp"
#include "haven/analysis/suite_calibration.hpp"
#include "haven/util/csv.hpp"

namespace fs = std::filesystem;
using namespace haven;

namespace {

const fs::path source = fs::path(HAVEN_SOURCE_DIR);

// Two scenarios: idlib_2018 (OCHA's three September points), its sochi what-if with a target inside 21 days
// (the same scenario file, so left out with it), and mali2012 in both departure modes, weighing twice as much.
fs::path two_case_suite() {
  const fs::path dir = fs::temp_directory_path() / "haven_suite_calibration";
  fs::create_directories(dir);
  const fs::path file = dir / "suite.yaml";
  test::write_text(file, fmt::format("suite: {{name: two_cases, runs: 1}}\n"
                                     "cases:\n"
                                     "  - name: idlib_2018\n"
                                     "    scenario: {0}/scenarios/idlib_2018.yaml\n"
                                     "  - name: sochi_early\n"
                                     "    scenario: {0}/scenarios/idlib_2018.yaml\n"
                                     "    variant: sochi\n"
                                     "    target: {{date: 2018-09-15, max: 30000}}\n"
                                     "  - name: mali2012\n"
                                     "    scenario: {0}/scenarios/flee/mali2012.yaml\n"
                                     "    departures: [predicted, given]\n"
                                     "    weight: 2\n",
                                     source.string()));
  return file;
}

std::vector<CalibrationParameter> rate_parameter() {
  std::string error;
  auto rate = parse_calibration_parameter("max_departure_rate_per_day=0.05:0.5", error);
  REQUIRE(rate);
  return {*rate};
}

SuiteCalibrationOptions small_options() {
  SuiteCalibrationOptions options;
  options.search.runs = 1;
  options.search.max_evaluations = 3;
  options.days = 21;
  return options;
}

// `haven validate --suite` CSV: column -> value, per "case/departures".
std::map<std::string, std::map<std::string, std::string>> read_suite_csv(const std::string& text) {
  Diagnostics diagnostics;
  const CsvTable table = parse_csv(text, "validate.csv", diagnostics, {});
  REQUIRE_FALSE(diagnostics.has_errors());
  std::map<std::string, std::map<std::string, std::string>> rows;
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < table.column_count(); ++c) row[table.header()[c]] = std::string(table.cell(r, c));
    rows[row["case"] + "/" + row["departures"]] = row;
  }
  return rows;
}

}  // namespace

TEST_CASE("The suite objective is the weighted mean of the errors haven validate --suite prints") {
  const fs::path file = two_case_suite();
  const fs::path csv = file.parent_path() / "validate.csv";
  fs::remove(csv);
  const auto validated =
      test::run_cli({"validate", "--suite", file.string(), "--runs", "1", "--days", "21", "--csv", csv.string()});
  REQUIRE(validated.exit_code == 0);
  auto rows = read_suite_csv(test::read_text(csv));
  REQUIRE(rows.size() == 4);
  const double idlib = std::stod(rows["idlib_2018/predicted"]["mean_error"]);
  const double sochi_predicted = std::stod(rows["sochi_early/predicted"]["target_predicted_mean"]);
  const double sochi = std::max(0.0, sochi_predicted - 30000.0) / 30000.0;
  const double mali =
      0.5 * (std::stod(rows["mali2012/predicted"]["ard_mean"]) + std::stod(rows["mali2012/given"]["ard_mean"]));
  // Weights 1, 1 and 2: mali2012's two departure modes share its 2.
  const double by_hand = (idlib + sochi + 2.0 * mali) / 4.0;
  CHECK(sochi_predicted > 30000.0);  // the target is missed, so it counts

  SuiteCalibrationOptions options = small_options();
  options.search.max_evaluations = 1;
  const SuiteFit fit = calibrate_suite(load_suite_file(file), rate_parameter(), {}, options);
  CHECK(fit.result.evaluations == 1);
  CHECK(fit.result.start_error == doctest::Approx(by_hand).epsilon(1e-12));
  CHECK(fit.start.error == doctest::Approx(by_hand).epsilon(1e-12));
  REQUIRE(fit.start.rows.size() == 4);
  CHECK(fit.start.rows[0].measure == "mean error");
  CHECK(fit.start.rows[1].measure == "target");
  CHECK(fit.start.rows[2].measure == "ARD");
  CHECK(fit.start.rows[0].weight == doctest::Approx(0.25));
  CHECK(fit.start.rows[3].weight == doctest::Approx(0.25));
  fs::remove(csv);
}

TEST_CASE("A leave-one-out fold never runs the cases it leaves out and fits as if they were not there") {
  const SuiteFile suite = load_suite_file(two_case_suite());
  const auto parameters = rate_parameter();
  std::vector<std::vector<std::string>> fits;
  SuiteCalibrationOptions options = small_options();
  options.on_fit = [&fits](const std::vector<std::string>& held_out) { fits.push_back(held_out); };
  const SuiteCalibration calibration = leave_one_case_out(suite, parameters, options);
  // One fit on all, then one fold per scenario file: idlib_2018 leaves its sochi what-if out with it.
  CHECK(fits == std::vector<std::vector<std::string>>{{}, {"idlib_2018", "sochi_early"}, {"mali2012"}});
  REQUIRE(calibration.in_sample);
  REQUIRE(calibration.folds.size() == 2);
  CHECK(calibration.in_sample->case_runs.size() == 3);
  for (const auto& fold : calibration.folds) {
    CAPTURE(fold.held_out.front());
    for (const auto& name : fold.held_out) CHECK(fold.case_runs.count(name) == 0);
    for (const auto& [name, runs] : fold.case_runs) CHECK(runs == fold.result.evaluations);
    // The left-out cases are scored after the search, at its values.
    for (const auto& row : fold.best.rows) CHECK(row.error.has_value());
  }
  // The fold without mali2012 is the fit on the idlib cases alone, bit for bit: mali2012 moved nothing.
  const SuiteFit alone = calibrate_suite(select_cases(suite, {"idlib_2018", "sochi_early"}), parameters, {}, options);
  const SuiteFit& without_mali = calibration.folds[1];
  CHECK(without_mali.result.best == alone.result.best);
  CHECK(without_mali.result.error == alone.result.error);
  // ... whereas the fit on every case is pulled elsewhere by it.
  CHECK(calibration.in_sample->result.error != alone.result.error);

  const std::string table = suite_calibration_table(parameters, calibration);
  CHECK(table.find("left out") != std::string::npos);
  CHECK(table.find("without idlib_2018, sochi_early") != std::string::npos);
  const std::string csv = suite_calibration_csv(parameters, calibration);
  CHECK(csv.rfind("case,departures,measure,weight,status,start_error,in_sample_error,fold,fold_evaluations,"
                  "leave_one_out_error,in_sample_max_departure_rate_per_day,fold_max_departure_rate_per_day\n",
                  0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 5);
}

TEST_CASE("The suite fit is the same with 1 and 2 threads and needs a case to fit") {
  const SuiteFile suite = load_suite_file(two_case_suite());
  SuiteCalibrationOptions options = small_options();
  options.search.runs = 2;
  options.search.threads = 1;
  const SuiteFit one = calibrate_suite(suite, rate_parameter(), {"mali2012"}, options);
  options.search.threads = 2;
  const SuiteFit two = calibrate_suite(suite, rate_parameter(), {"mali2012"}, options);
  CHECK(one.result.best == two.result.best);
  CHECK(one.result.error == two.result.error);
  CHECK(one.best.error == two.best.error);

  CHECK_THROWS_AS(calibrate_suite(select_cases(suite, {"mali2012"}), rate_parameter(), {"mali2012"}, options),
                  InputError);
  CHECK_THROWS_AS(leave_one_case_out(select_cases(suite, {"idlib_2018", "sochi_early"}), rate_parameter(), options),
                  InputError);
  CHECK_THROWS_AS(select_cases(suite, {"mali2013"}), InputError);
}

TEST_CASE("A case with nothing to score in the days simulated is refused before the search") {
  // 5 days: idlib_2018's first OCHA point is on day 8 and sochi_early's target on day 14; mali2012 has points.
  const SuiteFile suite = load_suite_file(two_case_suite());
  SuiteCalibrationOptions options = small_options();
  options.days = 5;
  int fits = 0;
  options.on_fit = [&](const std::vector<std::string>&) { ++fits; };
  try {
    (void)calibrate_suite(suite, rate_parameter(), {"mali2012"}, options);
    FAIL("a suite with cases it cannot score was fitted");
  } catch (const InputError& e) {
    const auto& all = e.diagnostics().all();
    REQUIRE(all.size() == 2);
    CHECK(all[0].message ==
          "case 'idlib_2018': nothing to score in the 5 days simulated (2018-09-01 to 2018-09-05): no observation "
          "point falls in them; simulate more days (--days, the case's days) or leave the case out (--cases)");
    CHECK(all[1].message.find("case 'sochi_early': nothing to score in the 5 days simulated (2018-09-01 to "
                              "2018-09-05): its target is on 2018-09-15") == 0);
    CHECK(all[0].location.line > 0);  // at the case in the suite file
  }
  CHECK(fits == 0);
}

TEST_CASE("haven calibrate --suite --leave-one-out prints the table and writes its CSV and an overlay validate takes") {
  const fs::path file = two_case_suite();
  const fs::path dir = file.parent_path();
  const fs::path overlay = dir / "fit.yaml", csv = dir / "loo.csv";
  fs::remove(overlay);
  fs::remove(csv);
  const auto result =
      test::run_cli({"calibrate", "--suite", file.string(), "--param", "max_departure_rate_per_day=0.05:0.5", "--days",
                     "21", "--max-evals", "2", "--leave-one-out", "--csv", csv.string(), "-o", overlay.string(), "-q"});
  CHECK(result.err == "");
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("  case                         departures measure    weight     start in-sample  left out  "
                        "fold\n") == 0);
  CHECK(result.out.find(fmt::format("wrote {}\n", csv.string())) != std::string::npos);
  CHECK(test::read_text(csv).find("\nmali2012,given,ARD,0.25,ok,") != std::string::npos);
  CHECK(test::read_text(overlay).find("parameters:\n  max_departure_rate_per_day: ") != std::string::npos);
  CHECK_FALSE(fs::exists(csv.string() + ".partial"));
  const auto validated = test::run_cli(
      {"validate", "--suite", file.string(), "--runs", "1", "--days", "21", "--set-file", overlay.string()});
  CHECK(validated.exit_code == 0);
  CHECK(validated.out.find(fmt::format(", with {}\n", overlay.generic_string())) != std::string::npos);
  fs::remove(overlay);
  fs::remove(csv);
}

TEST_CASE("haven calibrate --suite --cases writes the validate command that checks the fit on the same settings") {
  const fs::path file = two_case_suite();
  const fs::path overlay = file.parent_path() / "cases_fit.yaml";
  fs::remove(overlay);
  const auto result = test::run_cli({"calibrate", "--suite", file.string(), "--cases", "idlib_2018,mali2012", "--param",
                                     "max_departure_rate_per_day=0.05:0.5", "--days", "21", "--runs", "1",
                                     "--max-evals", "2", "-o", overlay.string(), "-q"});
  REQUIRE(result.exit_code == 0);
  const std::string text = test::read_text(overlay);
  const auto at = text.find("# Apply with: ");
  REQUIRE(at != std::string::npos);
  const std::string line = text.substr(at + 14, text.find(" (or haven run", at) - at - 14);
  CHECK(line == fmt::format("haven validate --suite {} --set-file {} --cases idlib_2018,mali2012 --days 21 --runs 1",
                            file.string(), overlay.string()));
  CHECK(result.out.find(fmt::format("wrote {} ({})\n", overlay.string(), line)) != std::string::npos);
  // The command runs as written, on those cases only.
  std::vector<std::string> args;
  std::istringstream words(line);
  for (std::string word; words >> word;) args.push_back(word);
  args.erase(args.begin());  // "haven"
  const auto validated = test::run_cli(args);
  CHECK(validated.exit_code == 0);
  CHECK(validated.out.find("mali2012") != std::string::npos);
  CHECK(validated.out.find("sochi_early") == std::string::npos);
  fs::remove(overlay);
}
