// Running sweeps: identical member files whatever the threads or shares, resume that finishes exactly what is
// missing, failures recorded while the sweep goes on, and a directory that refuses another sweep's runs.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>

#include "../support.hpp"
#include "haven/io/output.hpp"
#include "haven/sweep/runner.hpp"
#include "haven/util/csv.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::test;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "haven_sweep_runner" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The valley example, 4 design points x 2 replicates, 30 days.
SweepSpec valley_sweep(const fs::path& dir, const std::string& extra = "") {
  const fs::path file = dir / "sweep.yaml";
  write_text(file, fmt::format(R"(sweep:
  name: runner_test
  scenario: {}
  seed: 99
  replicates: 2
  days: 30
{}design:
  method: grid
  parameters:
    threat_kernel_km: [0.5, 2]
    max_departure_rate_per_day: [0.08, 0.2]
)",
                               (fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml").string(), extra));
  auto loaded = load_sweep_file(file);
  REQUIRE(loaded.spec);
  return *loaded.spec;
}

// Runs into `dir`/out on `threads` threads.
SweepRunOptions options_in(const fs::path& dir, int threads) {
  SweepRunOptions options;
  options.output = dir / "out";
  options.threads = threads;
  return options;
}

std::map<std::string, std::string> file_bytes(const fs::path& directory) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(directory / "runs")) {
    files[entry.path().filename().string()] = read_text(entry.path());
  }
  return files;
}

}  // namespace

TEST_CASE("sweep members are the same bytes at 1 or 2 threads and in two shares") {
  const fs::path dir = scratch("identical");
  const SweepSpec spec = valley_sweep(dir);
  SweepRunOptions options = options_in(dir, 1);
  const auto first = run_sweep(spec, options);
  CHECK(first.members == 8);
  CHECK(first.ran == 8);
  CHECK(first.failed == 0);
  const auto one_thread = file_bytes(options.output);
  REQUIRE(one_thread.size() == 8);

  // The same directory keeps its creation time, so even the history attribute matches.
  fs::remove_all(options.output / "runs");
  options.threads = 2;
  CHECK(run_sweep(spec, options).ran == 8);
  CHECK(file_bytes(options.output) == one_thread);

  fs::remove_all(options.output / "runs");
  options.threads = 1;
  for (int task = 0; task < 2; ++task) {
    options.share = {task, 2};
    const auto share = run_sweep(spec, options);
    CHECK(share.in_share == 4);
    CHECK(share.ran == 4);
  }
  CHECK(file_bytes(options.output) == one_thread);

  // Few runs, many threads: threads go inside the run; the member is still the same bytes.
  options.share = {};
  options.threads = 4;
  options.only = {5};
  CHECK(run_sweep(spec, options).ran == 1);
  CHECK(file_bytes(options.output) == one_thread);

  // Each member file says which member it is and carries its seed; re-running it alone reproduces it.
  const auto run = read_run_file(member_file(options.output, 8, 5));
  CHECK(run.seed == expand_sweep(spec)[5].seed);
  CHECK(run.history.find("--members 5") != std::string::npos);
}

TEST_CASE("a resumed sweep runs exactly the members that are missing or failed or half-written or not theirs") {
  const fs::path dir = scratch("resume");
  const SweepSpec spec = valley_sweep(dir);
  SweepRunOptions options = options_in(dir, 2);
  REQUIRE(run_sweep(spec, options).ran == 8);
  const auto complete = file_bytes(options.output);

  // As a killed sweep leaves things: two members never written, one half-written, one recorded as failed.
  fs::remove(member_file(options.output, 8, 1));
  fs::remove(member_file(options.output, 8, 6));
  fs::rename(member_file(options.output, 8, 3), member_file(options.output, 8, 3).string() + ".partial");
  fs::remove(member_file(options.output, 8, 4));
  write_text(fs::path(member_file(options.output, 8, 4)).replace_extension(".failed"), "killed\n");
  // And one damaged afterwards (a disk, a copy cut short): its file is there but does not open.
  fs::resize_file(member_file(options.output, 8, 5), 1000);
  // And one replaced by a copy of another member's run: whole, but not its own.
  fs::copy_file(member_file(options.output, 8, 2), member_file(options.output, 8, 7),
                fs::copy_options::overwrite_existing);
  const auto before = member_statuses(options.output, 8);
  CHECK(before[4] == MemberStatus::failed);
  CHECK(before[3] == MemberStatus::pending);
  CHECK(before[5] == MemberStatus::done);  // as far as the files on disk say: gather calls it broken

  const auto resumed = run_sweep(spec, options);
  CHECK(resumed.skipped == 2);
  CHECK(resumed.ran == 6);
  CHECK(file_bytes(options.output) == complete);  // no .partial or .failed left, and the same bytes
  const auto manifest = parse_csv(read_text(options.output / "manifest.csv"));
  REQUIRE(manifest.size() == 9);
  CHECK(manifest[0] == std::vector<std::string>{"member", "design_point", "replicate", "seed", "threat_kernel_km",
                                                "max_departure_rate_per_day", "path", "status", "error"});
  for (std::size_t k = 1; k < manifest.size(); ++k) CHECK(manifest[k][7] == "done");
  CHECK(run_sweep(spec, options).ran == 0);
}

TEST_CASE("a failing member is recorded with its error and the sweep goes on") {
  const fs::path dir = scratch("failing");
  const SweepSpec spec = valley_sweep(dir);
  SweepRunOptions options = options_in(dir, 2);
  // A directory where member 2's file must go: its rename fails.
  fs::create_directories(member_file(options.output, 8, 2));
  fs::create_directories(member_file(options.output, 8, 2) / "blocker");
  const auto outcome = run_sweep(spec, options);
  CHECK(outcome.failed == 1);
  CHECK(outcome.ran == 7);
  std::vector<std::string> errors;
  const auto statuses = member_statuses(options.output, 8, &errors);
  CHECK(statuses[2] == MemberStatus::failed);
  CHECK(errors[2].find("member_0002.h5") != std::string::npos);
  const auto manifest = parse_csv(read_text(options.output / "manifest.csv"));
  REQUIRE(manifest.size() == 9);
  CHECK(manifest[3][7] == "failed");
  CHECK(manifest[3][8] == errors[2]);
  CHECK(manifest[4][7] == "done");

  fs::remove_all(member_file(options.output, 8, 2));
  const auto again = run_sweep(spec, options);
  CHECK(again.ran == 1);
  CHECK(again.failed == 0);
  CHECK(member_statuses(options.output, 8)[2] == MemberStatus::done);
}

TEST_CASE("re-running a finished member keeps its file until the new one replaces it") {
  // --members N on a member already done: killed or failing midway, the re-run must not have lost the file it
  // was to replace (it used to be deleted before the run started).
  const fs::path dir = scratch("rerun_keeps");
  const SweepSpec spec = valley_sweep(dir);
  SweepRunOptions options = options_in(dir, 1);
  REQUIRE(run_sweep(spec, options).ran == 8);
  const fs::path file = member_file(options.output, 8, 2);
  const std::string before = read_text(file);
  // The re-run cannot write its partial file: it fails, as a killed or failing run would end.
  const fs::path partial = file.string() + ".partial";
  fs::create_directories(partial / "blocker");
  options.only = {2};
  const auto failing = run_sweep(spec, options);
  CHECK(failing.failed == 1);
  REQUIRE(fs::exists(file));
  CHECK(read_text(file) == before);
  // The member's latest run failed: so the manifest says, not "done" for the file kept beside its note.
  CHECK(member_statuses(options.output, 8)[2] == MemberStatus::failed);
  const auto manifest = parse_csv(read_text(options.output / "manifest.csv"));
  CHECK(manifest[3][7] == "failed");
  // Once it can, the re-run replaces the file with the same bytes.
  fs::remove_all(partial);
  CHECK(run_sweep(spec, options).ran == 1);
  CHECK(read_text(file) == before);
  CHECK(member_statuses(options.output, 8)[2] == MemberStatus::done);
}

TEST_CASE("a sweep directory refuses members of a changed sweep unless told to start again") {
  const fs::path dir = scratch("changed");
  SweepSpec spec = valley_sweep(dir);
  SweepRunOptions options;
  options.output = dir / "out";
  options.only = {0};
  CHECK(run_sweep(spec, options).ran == 1);
  // A comment changes nothing a member is made of: the directory goes on.
  spec = valley_sweep(dir, "  # seeds as before\n");
  CHECK(run_sweep(spec, options).ran == 1);
  spec = valley_sweep(dir, "  common_random_numbers: true\n");
  CHECK_THROWS_AS(run_sweep(spec, options), InputError);
  options.overwrite = true;
  CHECK(run_sweep(spec, options).ran == 1);
  CHECK(member_statuses(options.output, 8)[0] == MemberStatus::done);
}

TEST_CASE("a sweep directory refuses members of a scenario whose CSV tables changed") {
  const fs::path dir = scratch("changed_tables");
  fs::copy_file(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley_tables.yaml", dir / "valley_tables.yaml");
  fs::copy(fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley_tables", dir / "valley_tables",
           fs::copy_options::recursive);
  write_text(dir / "sweep.yaml",
             "sweep: {name: tables, scenario: valley_tables.yaml, seed: 5, replicates: 2, days: 5}\n");
  auto loaded = load_sweep_file(dir / "sweep.yaml");
  REQUIRE(loaded.spec);
  SweepRunOptions options;
  options.output = dir / "out";
  options.only = {0};
  CHECK(run_sweep(*loaded.spec, options).ran == 1);
  // The same tables: the directory goes on.
  options.only = {1};
  CHECK(run_sweep(*loaded.spec, options).ran == 1);
  // A table edited: members of the two versions would mix in one ensemble.
  const fs::path nodes = dir / "valley_tables" / "nodes.csv";
  std::string text = read_text(nodes);
  const auto at = text.find("60000");
  REQUIRE(at != std::string::npos);
  text.replace(at, 5, "90000");
  write_text(nodes, text);
  fs::remove(options.output / "runs" / "member_0001.h5");
  try {
    run_sweep(*loaded.spec, options);
    FAIL("a changed table was not noticed");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("from another version of a CSV table the scenario names") != std::string::npos);
  }
  // A directory started before the tables were recorded (no tables_sha256 line) still resumes: its scenario file is
  // the same, and what its tables were then is not known.
  const fs::path record = options.output / ".haven-sweep";
  std::string fingerprint = read_text(record);
  const auto line = fingerprint.find("tables_sha256 ");
  REQUIRE(line != std::string::npos);
  fingerprint.erase(line, fingerprint.find('\n', line) + 1 - line);
  write_text(record, fingerprint);
  CHECK(run_sweep(*loaded.spec, options).ran == 1);
}

TEST_CASE("--overwrite deletes only what a sweep wrote and a directory holding no sweep is refused") {
  const fs::path dir = scratch("overwrite");
  const SweepSpec spec = valley_sweep(dir);  // dir/sweep.yaml is the sweep file itself
  const std::string sweep_text = read_text(dir / "sweep.yaml");
  SweepRunOptions options;
  options.only = {0};

  SUBCASE("a directory of the user's, not a sweep's, is never emptied") {
    options.output = dir / "mine";
    fs::create_directories(options.output);
    write_text(options.output / "notes.txt", "my notes\n");
    options.overwrite = true;
    CHECK_THROWS_WITH_AS(run_sweep(spec, options), doctest::Contains("holds no sweep"), InputError);
    CHECK(read_text(options.output / "notes.txt") == "my notes\n");
    CHECK(!fs::exists(options.output / "runs"));
  }
  SUBCASE("files a sweep would overwrite are refused without --overwrite too") {
    options.output = dir / "mine";
    fs::create_directories(options.output);
    write_text(options.output / "manifest.csv", "my table\n");
    CHECK_THROWS_WITH_AS(run_sweep(spec, options), doctest::Contains("manifest.csv"), InputError);
    CHECK(read_text(options.output / "manifest.csv") == "my table\n");
  }
  SUBCASE("the sweep's own directory (output: .): the sweep file and other files stay") {
    options.output = dir;
    write_text(dir / "notes.txt", "my notes\n");
    fs::create_directories(dir / "runs");
    write_text(dir / "runs" / "my_run.h5", "not a member\n");
    CHECK(run_sweep(spec, options).ran == 1);
    write_text(dir / "ensemble.h5", "an old ensemble\n");
    write_text(fs::path(member_file(dir, 8, 5)).replace_extension(".failed"), "old failure\n");
    options.overwrite = true;
    CHECK(run_sweep(spec, options).ran == 1);
    CHECK(read_text(dir / "sweep.yaml") == sweep_text);
    CHECK(read_text(dir / "notes.txt") == "my notes\n");
    CHECK(read_text(dir / "runs" / "my_run.h5") == "not a member\n");
    CHECK(!fs::exists(dir / "ensemble.h5"));
    CHECK(!fs::exists(fs::path(member_file(dir, 8, 5)).replace_extension(".failed")));
    CHECK(member_statuses(dir, 8)[0] == MemberStatus::done);
  }
  SUBCASE("a file given as the directory is refused") {
    options.output = dir / "a_file";
    write_text(options.output, "data\n");
    CHECK_THROWS_WITH_AS(run_sweep(spec, options), doctest::Contains("not a directory"), InputError);
    CHECK(read_text(options.output) == "data\n");
  }
}

TEST_CASE("csv fields round-trip through quoting and the formula guard") {
  const std::vector<std::string> fields = {"plain", "with,comma", "with \"quotes\"", "two\nlines", "", "=1+1",
                                           "'=x",   "-0.5"};
  std::string line;
  for (std::size_t k = 0; k < fields.size(); ++k) line += (k ? "," : "") + csv_field(fields[k]);
  const auto rows = parse_csv(line + "\nnext,row\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == fields);
  CHECK(rows[1] == std::vector<std::string>{"next", "row"});
}

TEST_CASE("a manifest that cannot be written after the runs is said with the runs' counts") {
  // A full disk at the end of a sweep: the manifest's error came alone, without what the runs did.
  const fs::path dir = scratch("manifest_unwritable");
  const SweepSpec spec = valley_sweep(dir);
  SweepRunOptions options;
  options.output = dir / "out";
  REQUIRE(run_sweep(spec, options).ran == 8);
  fs::remove(options.output / "manifest.csv");
  fs::create_directories(options.output / "manifest.csv" / "in_the_way");
  const auto outcome = run_sweep(spec, options);
  CHECK(outcome.skipped == 8);
  CHECK(outcome.manifest_error.find("manifest.csv") != std::string::npos);
  fs::remove_all(options.output / "manifest.csv");
  CHECK(run_sweep(spec, options).manifest_error.empty());
  CHECK(fs::is_regular_file(options.output / "manifest.csv"));
}

TEST_CASE("haven run --seed with a member's seed from manifest.csv or the file reproduces the member") {
  const fs::path dir = scratch("reproduce");
  const SweepSpec spec = valley_sweep(dir);
  SweepRunOptions options = options_in(dir, 2);
  REQUIRE(run_sweep(spec, options).ran == 8);
  const auto manifest = parse_csv(read_text(options.output / "manifest.csv"));
  REQUIRE(manifest.size() == 9);

  // A member whose seed a double cannot hold (above 2^53), as almost every member's is.
  std::size_t k = 1;
  while (k < manifest.size() && read_run_file(options.output / manifest[k][6]).seed <= (1ULL << 53)) ++k;
  REQUIRE(k < manifest.size());
  const auto member = read_run_file(options.output / manifest[k][6]);
  // The manifest writes it as hex text, which a spreadsheet keeps whole.
  const std::string manifest_seed = manifest[k][3];
  CHECK(manifest_seed.rfind("0x", 0) == 0);
  CHECK(manifest_seed == fmt::format("0x{:016x}", member.seed));

  // As sweeps.md says: the member's scenario_yaml saved as a file, run with its seed (either form).
  write_text(dir / "member.yaml", member.scenario_yaml);
  for (const std::string& seed : {manifest_seed, std::to_string(member.seed)}) {
    CAPTURE(seed);
    const fs::path again = dir / "again.h5";
    const auto result = run_cli({"run", (dir / "member.yaml").string(), "--seed", seed, "--days", "30", "-o",
                                 again.string(), "--overwrite", "--quiet"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto run = read_run_file(again);
    CHECK(run.seed == member.seed);
    CHECK(run.time_days == member.time_days);
    CHECK(run.population == member.population);
    CHECK(run.departures == member.departures);
    CHECK(run.arrivals == member.arrivals);
    CHECK(run.returns == member.returns);
    CHECK(run.waiting == member.waiting);
    CHECK(run.corridor_inflow == member.corridor_inflow);
    CHECK(run.in_transit == member.in_transit);
    CHECK(run.cumulative_displaced == member.cumulative_displaced);
    CHECK(run.threat == member.threat);
    CHECK(run.od_count == member.od_count);
  }
}
