// Gathering: ensemble.h5 reads every member's own numbers through virtual datasets, summaries agree with the
// members, and missing or corrupt members are reported instead of read as fill values.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "../support.hpp"
#include "haven/analysis/validation.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/io/output.hpp"
#include "haven/sweep/gather.hpp"
#include "haven/sweep/runner.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::test;

namespace {

// A finished sweep of 6 members (3 design points x 2 replicates) of the valley example.
fs::path finished_sweep(const std::string& name, int days = 25) {
  const fs::path dir = fs::temp_directory_path() / "haven_gather" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_text(dir / "sweep.yaml",
             fmt::format(R"(sweep:
  name: gather_test
  scenario: {}
  seed: 5
  replicates: 2
  days: {}
design:
  method: list
  points:
    - {{threat_kernel_km: 0.5}}
    - {{threat_kernel_km: 1.5}}
    - {{threat_kernel_km: 3}}
)",
                         (fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml").string(), days));
  auto loaded = load_sweep_file(dir / "sweep.yaml");
  REQUIRE(loaded.spec);
  SweepRunOptions options;
  options.output = dir / "out";
  options.threads = 2;
  REQUIRE(run_sweep(*loaded.spec, options).ran == 6);
  return options.output;
}

}  // namespace

TEST_CASE("gather stacks the members without copying and summarises them") {
  const fs::path out = finished_sweep("complete");
  const auto outcome = gather_sweep(out);
  REQUIRE(outcome.written);
  CHECK(outcome.members == 6);
  CHECK(outcome.usable == 6);
  CHECK(outcome.problems.empty());

  // Read from another working directory: the virtual datasets find the member files relative to ensemble.h5.
  const auto here = fs::current_path();
  fs::current_path(fs::temp_directory_path());
  auto file = h5::File::open_read_only(out / "ensemble.h5");
  const auto stacked = h5::read<std::int64_t>(file.open_dataset("cumulative_displaced").id());
  const auto departures = h5::read<std::int64_t>(file.open_dataset("departures").id());
  const auto mean = h5::read<double>(file.open_dataset("cumulative_displaced_mean").id());
  const auto quantiles = h5::read<double>(file.open_dataset("cumulative_displaced_quantiles").id());
  const auto kernel = h5::read<double>(file.open_dataset("parameter_threat_kernel_km").id());
  const auto seeds = h5::read<std::uint64_t>(file.open_dataset("seed").id());
  const auto status = h5::read<std::int8_t>(file.open_dataset("status").id());
  fs::current_path(here);

  REQUIRE(stacked.size() == 6 * 25);
  std::vector<double> last_day;
  for (std::int64_t m = 0; m < 6; ++m) {
    CAPTURE(m);
    const auto run = read_run_file(member_file(out, 6, m));
    for (std::size_t t = 0; t < 25; ++t)
      CHECK(stacked[static_cast<std::size_t>(m) * 25 + t] == run.cumulative_displaced[t]);
    for (std::size_t k = 0; k < run.departures.size(); ++k) {
      CHECK(departures[static_cast<std::size_t>(m) * run.departures.size() + k] == run.departures[k]);
    }
    CHECK(seeds[static_cast<std::size_t>(m)] == run.seed);
    CHECK(status[static_cast<std::size_t>(m)] == 0);
    last_day.push_back(static_cast<double>(run.cumulative_displaced[24]));
  }
  CHECK(kernel == std::vector<double>{0.5, 0.5, 1.5, 1.5, 3, 3});
  double sum = 0;
  for (double v : last_day) sum += v;
  CHECK(mean[24] == doctest::Approx(sum / 6));
  CHECK(quantiles[0 * 25 + 24] == doctest::Approx(percentile(last_day, 0.05)));
  CHECK(quantiles[1 * 25 + 24] == doctest::Approx(percentile(last_day, 0.5)));
  CHECK(quantiles[2 * 25 + 24] == doctest::Approx(percentile(last_day, 0.95)));
}

TEST_CASE("gather reports a missing and a corrupt member and writes nothing unless allowed") {
  const fs::path out = finished_sweep("broken");
  fs::remove(member_file(out, 6, 1));
  // Corrupt: the first half of a member file, as a full disk or a killed copy leaves it.
  const std::string bytes = read_text(member_file(out, 6, 4));
  write_text(member_file(out, 6, 4), bytes.substr(0, bytes.size() / 2));

  const auto refused = gather_sweep(out);
  CHECK_FALSE(refused.written);
  CHECK_FALSE(fs::exists(out / "ensemble.h5"));
  REQUIRE(refused.problems.size() == 2);
  CHECK(refused.problems[0].member == 1);
  CHECK(refused.problems[0].status == "missing");
  CHECK(refused.problems[1].member == 4);
  CHECK(refused.problems[1].status == "broken");
  CHECK(refused.usable == 4);
  // The manifest now says what gather found.
  const auto rows = parse_csv(read_text(out / "manifest.csv"));
  REQUIRE(rows.size() == 7);
  CHECK(rows[1][6] == "done");
  CHECK(rows[2][6] == "pending");
  CHECK(rows[5][6] == "broken");
  CHECK(rows[5][7].find("member_0004.h5") != std::string::npos);

  const auto cli = run_cli({"gather", out.string()});
  CHECK(cli.exit_code == 1);
  CHECK(cli.err.find("member 1: missing") != std::string::npos);
  CHECK(cli.err.find("member 4: broken") != std::string::npos);
  CHECK(cli.err.find("--allow-missing") != std::string::npos);
  CHECK(cli.err.find("(the broken ones with --members 4, which runs them again)") != std::string::npos);

  GatherOptions options;
  options.allow_missing = true;
  const auto partial = gather_sweep(out, options);
  REQUIRE(partial.written);
  auto file = h5::File::open_read_only(out / "ensemble.h5");
  const auto status = h5::read<std::int8_t>(file.open_dataset("status").id());
  CHECK(status == std::vector<std::int8_t>{0, 1, 0, 0, 3, 0});
  // Unusable members read as the declared fill value, never as zeros or someone else's numbers.
  const auto stacked = h5::read<std::int64_t>(file.open_dataset("cumulative_displaced").id());
  CHECK(stacked[1 * 25 + 10] == -1);
  CHECK(stacked[4 * 25 + 10] == -1);
  CHECK(stacked[0 * 25 + 10] >= 0);
}

TEST_CASE("gather refuses a member file run with another seed than the sweep gives that member") {
  const fs::path out = finished_sweep("other_seed");
  // A run of the same scenario and days, but not this sweep's member 2 (a stray file, another sweep's).
  REQUIRE(run_cli({"run", (fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml").string(), "--days", "25",
                   "--seed", "999", "--quiet", "--overwrite", "-o", member_file(out, 6, 2).string()})
              .exit_code == 0);
  const auto refused = gather_sweep(out);
  CHECK_FALSE(refused.written);
  REQUIRE(refused.problems.size() == 1);
  CHECK(refused.problems[0].member == 2);
  CHECK(refused.problems[0].status == "broken");
  CHECK(refused.problems[0].detail.find("it was run with seed 0x3e7, and this sweep gives member 2 seed 0x") !=
        std::string::npos);
}

TEST_CASE("gather judges each member against the layout most members share and names what is wrong") {
  const fs::path out = finished_sweep("judged");
  // Member 0 from a shorter run (its own number, 20 days where the others have 25); member 2 without a variable.
  const fs::path shorter = finished_sweep("judged_shorter", 20);
  fs::copy_file(member_file(shorter, 6, 0), member_file(out, 6, 0), fs::copy_options::overwrite_existing);
  {
    const hid_t file = H5Fopen(member_file(out, 6, 2).c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    CHECK(H5Ldelete(file, "arrivals", H5P_DEFAULT) >= 0);
    H5Fclose(file);
  }
  const auto refused = gather_sweep(out);
  CHECK_FALSE(refused.written);
  REQUIRE(refused.problems.size() == 2);
  CHECK(refused.problems[0].member == 0);
  CHECK(refused.problems[0].status == "broken");
  CHECK(refused.problems[0].detail.find("'time' is 20 where the other members' is 25") != std::string::npos);
  CHECK(refused.problems[1].member == 2);
  CHECK(refused.problems[1].status == "broken");
  CHECK(refused.problems[1].detail.find("no 'arrivals'") != std::string::npos);
  CHECK(refused.usable == 4);

  GatherOptions options;
  options.allow_missing = true;
  REQUIRE(gather_sweep(out, options).written);
  auto file = h5::File::open_read_only(out / "ensemble.h5");
  CHECK(file.has("arrivals"));  // the ensemble keeps what good members have
  CHECK(h5::read<std::int8_t>(file.open_dataset("status").id()) == std::vector<std::int8_t>{3, 0, 3, 0, 0, 0});
  CHECK(h5::dims(file.open_dataset("arrivals").id()).at(1) == 25);
}

TEST_CASE("a sweep that runs members after a gather says the ensemble is out of date") {
  const fs::path out = finished_sweep("stale");
  REQUIRE(gather_sweep(out).written);
  const fs::path sweep_file = out.parent_path() / "sweep.yaml";

  // Nothing to run: the gather is up to date, and nothing is said about it.
  const auto finished = run_cli({"sweep", sweep_file.string(), "-o", out.string()});
  REQUIRE(finished.exit_code == 0);
  CHECK(finished.out.find("ran 0,") != std::string::npos);
  CHECK(finished.err.find("ensemble.h5") == std::string::npos);

  fs::remove(member_file(out, 6, 3));
  const auto resumed = run_cli({"sweep", sweep_file.string(), "-o", out.string()});
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.out.find("ran 1,") != std::string::npos);
  CHECK(resumed.err.find("haven: warning: " + (out / "ensemble.h5").string() +
                         " was gathered before the 1 run just made") != std::string::npos);
  CHECK(resumed.err.find("`haven gather " + out.string() + "`") != std::string::npos);
}
