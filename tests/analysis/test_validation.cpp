#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>

#include "../support.hpp"
#include "haven/analysis/compare.hpp"
#include "haven/analysis/series.hpp"
#include "haven/analysis/validation.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/load.hpp"

namespace fs = std::filesystem;
using namespace haven;

namespace {

// A member whose cumulative displaced on day d is `scale * d`.
class Linear final : public SimulatedSeries {
 public:
  explicit Linear(double scale) : scale_(scale) {}
  std::optional<double> value(const Observation&, int day) const override { return scale_ * day; }

 private:
  double scale_;
};

Scenario with_points(std::vector<std::pair<int, double>> points) {
  Scenario s;
  s.name = "hand";
  s.start_date = *parse_iso_date("2020-01-01");
  s.days = 100;
  Observation o;
  o.id = "obs";
  o.variable = "cumulative_displaced";
  for (auto [day, value] : points) o.points.push_back({day, value, 1.0, ""});
  s.observations.push_back(o);
  return s;
}

// Writes a run file whose cumulative displaced is exactly `per_day * (day + 1)`, node 0 hosting everyone.
fs::path hand_made_file(const fs::path& path, const Scenario& s, double per_day, const std::string& variant = "") {
  Scenario copy = s;
  copy.variant = variant;
  Hdf5Writer writer(path, copy, Provenance{"hand-made", ""});
  RunInfo info{&copy, 1, 0, Mode::stochastic, copy.days, 1};
  writer.on_start(info);
  const auto n = static_cast<Eigen::Index>(copy.nodes.size());
  CountMatrix residents = CountMatrix::Zero(n, 1), displaced = CountMatrix::Zero(n, 1);
  CountVector zeros = CountVector::Zero(n), corridors = CountVector::Zero(0), unsheltered = CountVector::Zero(n);
  Eigen::VectorXd threat = Eigen::VectorXd::Zero(n);
  for (int day = 0; day < copy.days; ++day) {
    const auto total = static_cast<Count>(std::llround(per_day * (day + 1)));
    displaced(0, 0) = total;
    residents(1, 0) = 1'000'000 - total;
    unsheltered(0) = day == 10 ? 500 : 0;
    DayRecord r;
    r.day = day;
    r.residents_by_group = &residents;
    r.displaced_by_group = &displaced;
    r.departures = r.arrivals = r.returns = r.waiting = &zeros;
    r.unsheltered = &unsheltered;
    r.corridor_inflow = r.in_transit = &corridors;
    r.threat = &threat;
    r.cumulative_displaced = total;
    writer.on_day(r);
  }
  writer.on_finish(FinalRecord{});
  return path;
}

Scenario two_nodes(int days, std::vector<std::pair<int, double>> points) {
  Scenario s = with_points(std::move(points));
  s.days = days;
  s.groups.push_back(Group{"all", 1.0, 1.0, 1.0});
  for (const char* id : {"camp", "town"}) {
    Node n;
    n.id = n.name = id;
    n.residents_by_group = {0};
    n.displaced_by_group = {0};
    s.nodes.push_back(n);
  }
  return s;
}

}  // namespace

TEST_CASE("percentile interpolates linearly between order statistics") {
  CHECK(percentile({1, 2, 3, 4, 5}, 0.5) == 3.0);
  CHECK(percentile({5, 1, 4, 2, 3}, 0.25) == 2.0);
  CHECK(percentile({0, 10}, 0.05) == doctest::Approx(0.5));
  CHECK(percentile({0, 10}, 0.95) == doctest::Approx(9.5));
  CHECK(percentile({7}, 0.05) == 7.0);
}

TEST_CASE("validate reports the ensemble mean and band and the mean absolute relative error") {
  const Scenario s = with_points({{10, 100.0}, {20, 400.0}, {30, 0.0}});
  Linear low(9.0), high(11.0);
  const auto report = validate(s, {&low, &high});
  REQUIRE(report.rows.size() == 2);  // the zero observation cannot give a relative error
  CHECK(report.rows[0].mean == 100.0);
  CHECK(report.rows[0].p05 == doctest::Approx(91.0));
  CHECK(report.rows[0].p95 == doctest::Approx(109.0));
  CHECK(report.rows[0].relative_error == 0.0);
  CHECK(report.rows[1].mean == 200.0);
  CHECK(report.rows[1].relative_error == -0.5);
  CHECK(report.mean_abs_relative_error == 0.25);
  CHECK(report.max_abs_relative_error == 0.5);
  // The zero observation is listed as skipped, with why, not dropped without a word.
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0].day == 30);
  CHECK_FALSE(report.skipped[0].unrecorded);
  CHECK(report.skipped[0].reason == "observed 0: a relative error needs a non-zero observation");
  const std::string table = validation_table(s, report);
  CHECK(table.find("skipped 1 of 3 points:\n  2020-01-31   obs                            0  observed 0: a relative "
                   "error needs a non-zero observation\n") != std::string::npos);
  CHECK(table.find("over 2 of 3 points") != std::string::npos);
  const auto windowed = validate(s, {&low, &high}, {.first_day = 15});
  CHECK(windowed.rows.size() == 1);
}

TEST_CASE("haven validate computes the errors of a hand-made output with known numbers") {
  const fs::path dir = fs::temp_directory_path() / "haven_validate";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Simulated cumulative displaced on day d is 1000 (d + 1): 10,000 on day 9 and 20,000 on day 19.
  const Scenario s = two_nodes(30, {{9, 8'000.0}, {19, 25'000.0}});
  const auto path = hand_made_file(dir / "hand.h5", s, 1000.0);
  // The file's scenario_yaml is empty here, so validate the series directly.
  const RunFile file = read_run_file(path);
  RunFileSeries series(file, s);
  const auto report = validate(s, {&series});
  REQUIRE(report.rows.size() == 2);
  CHECK(report.rows[0].mean == 10'000.0);
  CHECK(report.rows[0].relative_error == doctest::Approx(0.25));
  CHECK(report.rows[1].relative_error == doctest::Approx(-0.2));
  CHECK(report.mean_abs_relative_error == doctest::Approx(0.225));
  const std::string table = validation_table(s, report);
  const auto row =
      table.substr(table.find("2020-01-10"), table.find('\n', table.find("2020-01-10")) - table.find("2020-01-10"));
  CHECK(row.find(" 8,000 ") != std::string::npos);
  CHECK(row.find(" 10,000 ") != std::string::npos);
  CHECK(row.find(" +25.0% ") != std::string::npos);
  CHECK(table.find("mean absolute relative error 0.225 over 2 points") != std::string::npos);
}

TEST_CASE("haven validate on a run file and on a scenario ensemble through the CLI") {
  const fs::path dir = fs::temp_directory_path() / "haven_validate_cli";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto file = (dir / "valley.h5").string();
  REQUIRE(test::run_cli({"run", "scenarios/examples/valley.yaml", "-o", file, "--quiet"}).exit_code == 0);
  auto from_file = test::run_cli({"validate", file});
  CHECK(from_file.exit_code == 0);
  CHECK(from_file.out.find("one run against its observations") != std::string::npos);
  CHECK(from_file.out.find("mean absolute relative error") != std::string::npos);
  auto strict = test::run_cli({"validate", file, "--max-error", "0.0001"});
  CHECK(strict.exit_code == 1);
  CHECK(strict.out.find("FAIL: weighted mean absolute relative error") != std::string::npos);
  auto ensemble = test::run_cli({"validate", "scenarios/examples/valley.yaml", "--runs", "4", "-j", "2"});
  CHECK(ensemble.exit_code == 0);
  CHECK(ensemble.out.find("ensemble of 4 runs") != std::string::npos);
  // The same ensemble at one thread prints the same table.
  CHECK(test::run_cli({"validate", "scenarios/examples/valley.yaml", "--runs", "4", "-j", "1"}).out == ensemble.out);
  CHECK(test::run_cli({"validate", "scenarios/examples/valley.yaml", "--from", "2024-13-01"}).exit_code == 2);
  // A threshold that no error can exceed (nan) or that no error can meet (negative) is refused.
  for (const std::string bad : {"nan", "inf", "-0.5", "abc"}) {
    CAPTURE(bad);
    auto refused = test::run_cli({"validate", file, "--max-error", bad});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("--max-error") != std::string::npos);
    CHECK(test::run_cli({"validate", file, "--max-point-error", bad}).exit_code == 2);
  }
}

TEST_CASE("haven compare on two small files gives the expected table") {
  const fs::path dir = fs::temp_directory_path() / "haven_compare";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Scenario s = two_nodes(91, {});
  const auto a = hand_made_file(dir / "a.h5", s, 1000.0);
  const auto b = hand_made_file(dir / "b.h5", s, 1500.0, "faster");
  auto result = test::run_cli({"compare", a.string(), b.string()});
  CHECK(result.exit_code == 0);
  // Day 90 is the last day of a 91-day run: the default points are days 30 and 60, then the end.
  const std::string expected =
      "displaced (left home) by each point, peaks and the end\n"
      "run                   by day 30         by day 60             by end  peak newly displaced/day\n"
      "hand                     31,000            61,000             91,000                     1,000\n"
      "hand [faster]  46,500 (+15,500)  91,500 (+30,500)  136,500 (+45,500)              1,500 (+500)\n"
      "\n"
      "run            unsheltered peak  present at the end\n"
      "hand                        500              91,000\n"
      "hand [faster]          500 (+0)   136,500 (+45,500)\n"
      "top destinations (displaced present at the end)\n"
      "  hand           camp 91,000\n"
      "  hand [faster]  camp 136,500\n"
      "(differences from the first run in brackets; full names and values: --csv)\n";
  CHECK(result.out == expected);
}

TEST_CASE("haven validate refuses points a run file did not record unless --skip-unrecorded") {
  const fs::path dir = fs::temp_directory_path() / "haven_validate_unrecorded";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Weekly records: of the valley's points (days 14, 31, 50) only day 14 is in the file.
  const auto file = (dir / "weekly.h5").string();
  REQUIRE(test::run_cli({"run", "scenarios/examples/valley.yaml", "--record", "interval_days=7", "-o", file, "--quiet"})
              .exit_code == 0);
  const auto refused = test::run_cli({"validate", file});
  CHECK(refused.exit_code == 2);
  CHECK(refused.out.empty());
  CHECK(refused.err ==
        "haven: error: " + file +
            " cannot supply 2 of 3 observation points:\n"
            "  2024-04-01 displaced_reported: day 31 was not recorded (the file records every 7 days)\n"
            "  2024-04-20 displaced_reported: day 50 was not recorded (the file records every 7 days)\n"
            "Record what the observations need (the days: haven run --record interval_days=1; variables and nodes: "
            "--record variables=... and nodes=..., or outputs: in the scenario), or pass --skip-unrecorded to compare "
            "the other points\n");
  const auto skipped = test::run_cli({"validate", file, "--skip-unrecorded"});
  CHECK(skipped.exit_code == 0);
  CHECK(skipped.out.find("skipped 2 of 3 points:\n"
                         "  2024-04-01   displaced_reported        75,000  day 31 was not recorded (the file records "
                         "every 7 days)\n") != std::string::npos);
  CHECK(skipped.out.find(" over 1 of 3 points ") != std::string::npos);
  // A run stopped short: it is the days that are missing, which no --record brings back.
  const auto short_run = (dir / "short.h5").string();
  REQUIRE(
      test::run_cli({"run", "scenarios/examples/valley.yaml", "--days", "20", "-o", short_run, "--quiet"}).exit_code ==
      0);
  const auto stopped = test::run_cli({"validate", short_run});
  CHECK(stopped.exit_code == 2);
  CHECK(
      stopped.err.ends_with("The run ends on 2024-03-20 (day 19), before 2 of these points: run it for the "
                            "scenario's whole period (without --days, or with more), or pass --skip-unrecorded to "
                            "compare the other points\n"));

  // Many points past the end: the first ten are listed, then how many more (not hundreds of lines).
  std::string points = "observations.displaced_reported.points=[";
  for (int day = 10; day < 40; ++day)
    points += fmt::format("{}{{day: {}, value: {}}}", day > 10 ? ", " : "", day, day * 100);
  points += "]";
  const auto many = (dir / "many.h5").string();
  REQUIRE(
      test::run_cli({"run", "scenarios/examples/valley.yaml", "--days", "5", "--set", points, "-o", many, "--quiet"})
          .exit_code == 0);
  const auto listed = test::run_cli({"validate", many});
  CHECK(listed.exit_code == 2);
  CHECK(listed.err.find("cannot supply 30 of 30 observation points:\n  2024-03-11 displaced_reported: the file ends "
                        "before day 10\n") != std::string::npos);
  CHECK(listed.err.find("2024-03-20 displaced_reported") != std::string::npos);  // the tenth
  CHECK(listed.err.find("2024-03-21 displaced_reported") == std::string::npos);  // the eleventh
  CHECK(listed.err.find("  ... and 20 more\nThe run ends on 2024-03-05 (day 4), before 30 of these points") !=
        std::string::npos);

  // Cumulative arrivals need every day; a file without a node says so.
  Scenario s = two_nodes(30, {});
  Observation arrivals;
  arrivals.id = "camp_arrivals";
  arrivals.variable = "arrivals";
  arrivals.node = 0;
  arrivals.points.push_back({20, 100.0, 1.0, ""});
  s.observations = {arrivals};
  s.outputs.interval_days = 5;
  const RunFile weekly = read_run_file(hand_made_file(dir / "hand.h5", s, 1000.0));
  RunFileSeries series(weekly, s);
  const auto report = validate(s, {&series});
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0].unrecorded);
  CHECK(report.skipped[0].reason == "cumulative arrivals need every day up to day 20; the file records every 5 days");
}

TEST_CASE("validate --max-error judges the weighted error and a weight-0 point is not judged") {
  // The valley's first point, weighted 0 here, counts for nothing in the judged numbers.
  const std::vector<std::string> set = {"--set", "observations.displaced_reported.points[0].weight=0"};
  auto loaded = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml",
                                   {.set_overrides = {"observations.displaced_reported.points[0].weight=0"}});
  REQUIRE(loaded.scenario);
  const Scenario& s = *loaded.scenario;
  RunConfig config;
  config.seed = s.seed;
  const auto probes = run_ensemble(s, config, 1, 1);
  const auto report = validate(s, {probes[0].get()});
  REQUIRE(report.rows.size() == 3);
  double largest_of_all = 0.0;
  for (const auto& row : report.rows) largest_of_all = std::max(largest_of_all, std::abs(row.relative_error));
  // The thresholds fall between the weighted and the plain numbers, so only the weighted reading passes both.
  REQUIRE(std::abs(report.weighted_mean_abs_relative_error - report.mean_abs_relative_error) > 1e-4);
  REQUIRE(largest_of_all - report.max_abs_relative_error > 1e-4);
  const double max_error = 0.5 * (report.weighted_mean_abs_relative_error + report.mean_abs_relative_error);
  const double max_point_error = 0.5 * (report.max_abs_relative_error + largest_of_all);
  auto judged = [&](const std::string& option, double value) {
    std::vector<std::string> args = {"validate", "scenarios/examples/valley.yaml", option, fmt::format("{}", value)};
    args.insert(args.end(), set.begin(), set.end());
    return test::run_cli(args);
  };
  const bool fails = report.weighted_mean_abs_relative_error > max_error;
  const auto mean = judged("--max-error", max_error);
  CHECK(mean.exit_code == (fails ? 1 : 0));
  CHECK((mean.out.find("FAIL: weighted mean absolute relative error") != std::string::npos) == fails);
  CHECK(judged("--max-point-error", max_point_error).exit_code == 0);
}
