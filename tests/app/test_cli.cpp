// Golden transcripts of the CLI: tests/data/golden/NAME.cmd holds the arguments, NAME.expected the exit code,
// stdout and stderr. Regenerate with HAVEN_UPDATE_GOLDEN=1 and review the diff.

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "../support.hpp"
#include "app/sweep_commands.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/scenario/schema.hpp"

namespace fs = std::filesystem;
using namespace haven::test;

namespace {

// Every "{tmp}" in `text` replaced by `directory`.
std::string with_tmp(std::string text, const std::string& directory) {
  for (auto at = text.find("{tmp}"); at != std::string::npos; at = text.find("{tmp}", at + directory.size())) {
    text.replace(at, 5, directory);
  }
  return text;
}

// The other way: `directory` (named after the process) written back as "{tmp}", so that a transcript naming a file
// there reads the same in every run.
std::string as_tmp(std::string text, const std::string& directory) {
  for (auto at = text.find(directory); at != std::string::npos; at = text.find(directory, at + 5)) {
    text.replace(at, directory.size(), "{tmp}");
  }
  return text;
}

}  // namespace

// NAME.setup (optional) holds commands, one a line, run first (e.g. the runs a `compare` reads); "{tmp}" in it and
// in NAME.cmd is a fresh directory removed afterwards.
TEST_CASE("CLI transcripts match their golden files") {
  const auto cases = files_with_extension(HAVEN_TEST_DATA_DIR "/golden", ".cmd");
  CHECK(!cases.empty());
  for (const auto& path : cases) {
    CAPTURE(path.stem().string());
    // The process id in the name: suites of several checkouts or presets may run at once on one machine.
    const fs::path tmp = fs::temp_directory_path() /
                         fmt::format("haven-golden-{}-{}", static_cast<long>(getpid()), path.stem().string());
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    const fs::path setup = fs::path(path).replace_extension(".setup");
    if (fs::exists(setup)) {
      std::istringstream lines(read_text(setup));
      for (std::string command; std::getline(lines, command);) {
        if (command.empty()) continue;
        const auto prepared = run_cli(split_words(with_tmp(command, tmp.string())));
        REQUIRE_MESSAGE(prepared.exit_code == 0, command << "\n" << prepared.err);
      }
    }
    std::string line = read_text(path);
    line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
    auto result = run_cli(split_words(with_tmp(line, tmp.string())));
    result.out = as_tmp(result.out, tmp.string());
    result.err = as_tmp(result.err, tmp.string());
    fs::remove_all(tmp);
    check_golden(result, fs::path(path).replace_extension(".expected"));
  }
}

TEST_CASE("generate -o makes a missing folder and replaces a file only with --overwrite") {
  const auto dir = std::filesystem::temp_directory_path() / "haven_generate_folders";
  std::filesystem::remove_all(dir);
  const auto yaml = dir / "a" / "b" / "net.yaml";
  CHECK(run_cli({"generate", "--nodes", "10", "--corridors", "20", "-o", yaml.string()}).exit_code == 0);
  CHECK(std::filesystem::is_regular_file(yaml));
  const auto tables = dir / "c" / "net.yaml";
  CHECK(
      run_cli({"generate", "--nodes", "10", "--corridors", "20", "--tables", "csv", "-o", tables.string()}).exit_code ==
      0);
  CHECK(std::filesystem::is_regular_file(dir / "c" / "net-nodes.csv"));
  CHECK(run_cli({"check", tables.string()}).exit_code == 0);
  // A file there already is replaced only when asked, as every command that writes one does.
  const auto before = read_text(yaml);
  const auto again = run_cli({"generate", "--nodes", "12", "--corridors", "20", "-o", yaml.string()});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("exists; pass --overwrite to replace it") != std::string::npos);
  CHECK(read_text(yaml) == before);
  CHECK(
      run_cli({"generate", "--nodes", "10", "--corridors", "20", "--tables", "csv", "-o", tables.string()}).exit_code ==
      2);
  CHECK(run_cli({"generate", "--nodes", "12", "--corridors", "20", "-o", yaml.string(), "--overwrite"}).exit_code == 0);
  CHECK(read_text(yaml) != before);
  CHECK(run_cli(
            {"generate", "--nodes", "12", "--corridors", "20", "--tables", "csv", "-o", tables.string(), "--overwrite"})
            .exit_code == 0);
  CHECK(std::filesystem::directory_iterator(dir / "c") != std::filesystem::directory_iterator());
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    CHECK(entry.path().extension() != ".partial");
  std::filesystem::remove_all(dir);
}

TEST_CASE("haven info gives a file of some places its roads' travellers and a thinned file's peak as of its days") {
  const auto dir = std::filesystem::temp_directory_path() / "haven_info_partial_files";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string valley = HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml";
  const auto some = (dir / "some.h5").string();
  const auto weekly = (dir / "weekly.h5").string();
  REQUIRE(run_cli({"run", valley, "--quiet", "--record", "nodes=northcamp,southtown", "-o", some}).exit_code == 0);
  REQUIRE(run_cli({"run", valley, "--quiet", "--record", "interval_days=7", "-o", weekly}).exit_code == 0);
  // Roads are recorded whole in every file: those on them at the end are given, as export gives them.
  const auto of_some = run_cli({"info", some});
  CHECK(of_some.exit_code == 0);
  CHECK(of_some.out.find("displaced at the end  - (the file records 2 of 9 places)") != std::string::npos);
  CHECK(of_some.out.find("in transit at the end 1,500\n") != std::string::npos);
  // Recorded weekly, the largest number unsheltered is of the days the file holds, and said to be.
  const auto of_weekly = run_cli({"info", weekly});
  CHECK(of_weekly.exit_code == 0);
  CHECK(of_weekly.out.find("unsheltered peak      13,334 (day 35; the largest on the 10 days recorded)\n") !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("haven run cut short says that validate will want --skip-unrecorded for the points it skipped") {
  const auto dir = std::filesystem::temp_directory_path() / "haven_run_cut_short";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = (dir / "short.h5").string();
  const auto ran = run_cli({"run", HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", "--days", "20", "-o", file});
  CHECK(ran.exit_code == 0);
  CHECK(ran.out.find("skipped 2 of 3 points:") != std::string::npos);
  CHECK(ran.out.find(fmt::format("(haven validate {} compares the other points only with --skip-unrecorded)\n",
                                 file)) != std::string::npos);
  CHECK(run_cli({"validate", file}).exit_code == 2);
  CHECK(run_cli({"validate", file, "--skip-unrecorded"}).exit_code == 0);
  // A whole run skips nothing, and says nothing of it.
  CHECK(run_cli({"run", HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", "--no-output"})
            .out.find("--skip-unrecorded") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("haven --version names the version and a commit") {
  auto result = run_cli({"--version"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.rfind("haven 0.", 0) == 0);
  CHECK(result.out.find("(commit ") != std::string::npos);
}

TEST_CASE("haven params lists every registered parameter") {
  auto result = run_cli({"params"});
  CHECK(result.exit_code == 0);
  for (const auto& spec : haven::parameter_specs) CHECK(result.out.find(std::string(spec.name)) != std::string::npos);
}

TEST_CASE("haven schema prints the schema which names every node kind") {
  auto result = run_cli({"schema"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == haven::scenario_json_schema());
  CHECK(result.out.find("\"border_crossing\"") != std::string::npos);
}

TEST_CASE("usage errors exit with code 2") {
  CHECK(run_cli({"frobnicate"}).exit_code == 2);
  CHECK(run_cli({"check"}).exit_code == 2);
  CHECK(run_cli({"--help"}).exit_code == 0);
}

TEST_CASE("run takes -j like sweep and calibrate and validate") {
  const auto short_flag =
      run_cli({"run", "scenarios/examples/valley.yaml", "-j", "2", "--days", "5", "--no-output", "--quiet"});
  const auto long_flag =
      run_cli({"run", "scenarios/examples/valley.yaml", "--threads", "2", "--days", "5", "--no-output", "--quiet"});
  CHECK(short_flag.exit_code == 0);
  CHECK(short_flag.err.empty());
  CHECK(short_flag.out == long_flag.out);
  for (const std::string command : {"run", "sweep", "calibrate", "validate"}) {
    CAPTURE(command);
    CHECK(run_cli({command, "--help"}).out.find("-j,--threads") != std::string::npos);
  }
}

TEST_CASE("--help shows each option's default and no empty or misleading one") {
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"run", {"--mode TEXT:{stochastic,expected}=stochastic", "-j,--threads INT:INT in [1 - 1024]=1"}},
      {"validate", {"--runs INT:INT in [1 - 1000000]=1", "--mode TEXT:{stochastic,expected}=stochastic"}},
      {"calibrate", {"--runs INT:INT in [1 - 100000]=20", "--max-evals INT:INT in [1 - 100000]=60"}},
      {"generate", {"--nodes INT=1000", "--name TEXT=synthetic"}},
  };
  for (const auto& entry : expected) {
    const auto& command = entry.first;
    const auto& shown = entry.second;
    CAPTURE(command);
    const auto help = run_cli({command, "--help"});
    CHECK(help.exit_code == 0);
    for (const auto& text : shown) CHECK_MESSAGE(help.out.find(text) != std::string::npos, text);
  }
  for (const char* command :
       {"check", "run", "validate", "compare", "info", "generate", "sweep", "gather", "calibrate"}) {
    CAPTURE(command);
    const auto help = run_cli({command, "--help"}).out;
    CHECK(help.find("=[]") == std::string::npos);  // a list option without a default shows none
  }
  // A default the description gives in words is not contradicted by a captured 0.
  CHECK(run_cli({"sweep", "--help"}).out.find("4096]=0") == std::string::npos);
}

TEST_CASE("a list option takes one value per flag so the positional after it is the scenario") {
  const auto overlay = fs::temp_directory_path() / "haven_one_value_per_flag.yaml";
  write_text(overlay, "parameters: {awareness_range_km: 90}\n");
  // CLI11 kept the last word for the positional, so only a word after the file showed the defect.
  const auto check =
      run_cli({"check", "--set-file", overlay.string(), "scenarios/examples/valley.yaml", "--variant", "border_open"});
  fs::remove(overlay);
  CHECK(check.exit_code == 0);
  CHECK(check.err.empty());
  const auto repeated = run_cli({"check", "--set", "parameters.awareness_range_km=90", "--set", "scenario.seed=5",
                                 "scenarios/examples/valley.yaml", "--variant", "border_open"});
  CHECK(repeated.exit_code == 0);
  CHECK(repeated.out.find("seed 5") != std::string::npos);
}

TEST_CASE("run --days beyond the period of any variant is refused before the first run") {
  const auto scenario = fs::temp_directory_path() / "haven_days_beyond_variant.yaml";
  write_text(scenario,
             "scenario: {name: short_variant, start_date: 2024-01-01, days: 30}\n"
             "nodes:\n"
             "  - {id: hometown, kind: town, lat: 35.0, lon: 36.0, population: 10000}\n"
             "  - {id: camp, kind: camp, lat: 35.3, lon: 36.1, capacity: 5000}\n"
             "corridors:\n"
             "  - {from: hometown, to: camp, length_km: 35, kind: road}\n"
             "variants:\n"
             "  brief: {set: {scenario.days: 5}}\n");
  const auto result = run_cli({"run", scenario.string(), "--variants", "all", "--days", "8", "--no-output", "--quiet"});
  fs::remove(scenario);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());  // not even the base ran
  CHECK(result.err ==
        "haven: error: --days 8 is more than the 5 days of short_variant [brief] (2024-01-01 to 2024-01-05); --days "
        "only shortens a run: to simulate longer, lengthen the scenario's period (its 'days' or 'end_date', e.g. "
        "with --set)\n");
}

TEST_CASE("haven run --seed takes every 64-bit seed and names --seed when one is out of range") {
  for (const std::string seed : {"18446744073709551615", "0xffffffffffffffff"}) {
    CAPTURE(seed);
    const auto ok =
        run_cli({"run", "scenarios/examples/valley.yaml", "--seed", seed, "--days", "3", "--no-output", "--quiet"});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("seed 18446744073709551615,") != std::string::npos);
  }
  const auto bad = run_cli({"run", "scenarios/examples/valley.yaml", "--seed", "18446744073709551616", "--no-output"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--seed: expected a seed (a whole number from 0 to 18446744073709551615, in decimal or as "
                     "0x-prefixed hex), got '18446744073709551616'") != std::string::npos);
  CHECK(bad.err.find("scenario.seed") == std::string::npos);  // the user never typed --set scenario.seed
}

TEST_CASE("run checks its output path before simulating and replaces only regular files") {
  const fs::path dir = fs::temp_directory_path() / "haven_cli_output_path";
  fs::remove_all(dir);
  fs::create_directories(dir / "a_directory");
  const std::string valley = HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml";
  auto run_to = [&](const fs::path& path) {
    return run_cli({"run", valley, "--quiet", "--overwrite", "-o", path.string()});
  };

  const auto into_directory = run_to(dir / "a_directory");
  CHECK(into_directory.exit_code == 2);
  CHECK(into_directory.out.empty());  // refused before the run: no summary
  CHECK(into_directory.err == fmt::format("haven: error: {} is a directory, not a file; name a file to write\n",
                                          (dir / "a_directory").string()));
  CHECK(fs::is_empty(dir / "a_directory"));

  const fs::path pipe = dir / "a_pipe";
  REQUIRE(::mkfifo(pipe.c_str(), 0600) == 0);
  const auto into_pipe = run_to(pipe);
  CHECK(into_pipe.exit_code == 2);
  CHECK(into_pipe.out.empty());
  CHECK(into_pipe.err.find("is not a regular file") != std::string::npos);
  CHECK(fs::is_fifo(pipe));

  CHECK(run_to(dir / "new" / "run.h5").exit_code == 0);  // missing directories are created
  CHECK(run_to(dir / "new" / "run.h5").exit_code == 0);  // a regular file is replaced
  fs::remove_all(dir);
}

TEST_CASE("no command writes over one of its own inputs - --overwrite or not") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("haven_cli_own_input_{}", static_cast<long>(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path scenario = dir / "v.yaml";
  fs::copy_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", scenario);
  const std::string written = read_text(scenario);
  fs::create_symlink(scenario, dir / "link.yaml");
  std::ofstream(dir / "fit.yaml") << "parameters: {threat_kernel_km: 1.5}\n";
  const auto refused = [&](const std::vector<std::string>& args, const fs::path& input) {
    CAPTURE(args);
    const auto result = run_cli(args);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(fmt::format("is an input of this command ({})", input.string())) != std::string::npos);
  };
  const std::string s = scenario.string();
  refused({"run", s, "--quiet", "--overwrite", "-o", s}, scenario);
  refused({"run", s, "--quiet", "--overwrite", "-o", (dir / "link.yaml").string()}, scenario);
  refused({"run", s, "--quiet", "--overwrite", "--set-file", (dir / "fit.yaml").string(), "-o",
           (dir / "fit.yaml").string()},
          dir / "fit.yaml");
  refused(
      {"calibrate", s, "--param", "threat_kernel_km=0.5:2", "--runs", "1", "--max-evals", "2", "--overwrite", "-o", s},
      scenario);
  CHECK(read_text(scenario) == written);
  REQUIRE(run_cli({"run", s, "--quiet", "-o", (dir / "r.h5").string()}).exit_code == 0);
  const auto report = run_cli({"report", (dir / "r.h5").string(), "--overwrite", "-o", (dir / "r.h5").string()});
  CHECK(report.exit_code == 2);
  CHECK(report.err.find("is an input of this command") != std::string::npos);
  // A Flee folder is read through its CSVs: none of them is written over; a file of one's own there may be.
  const fs::path folder = dir / "conflict";
  fs::copy(HAVEN_TEST_DATA_DIR "/flee/good", folder, fs::copy_options::recursive);
  const std::string locations = read_text(folder / "input_csv" / "locations.csv");
  const auto over_csv = run_cli(
      {"run", folder.string(), "--quiet", "--overwrite", "-o", (folder / "input_csv" / "locations.csv").string()});
  CHECK(over_csv.exit_code == 2);
  CHECK(over_csv.err.find("is a CSV file of the folder") != std::string::npos);
  CHECK(read_text(folder / "input_csv" / "locations.csv") == locations);
  for (int k = 0; k < 2; ++k) {
    CHECK(
        run_cli({"import-flee", folder.string(), "--overwrite", "-o", (folder / "scenario.yaml").string()}).exit_code ==
        0);
  }
  // Nor the settings file read with the folder: given with --simsetting, or the folder's own simsetting.yml.
  fs::copy_file(HAVEN_TEST_DATA_DIR "/flee/simsetting.yml", dir / "settings.yml");
  fs::copy_file(HAVEN_TEST_DATA_DIR "/flee/simsetting.yml", folder / "simsetting.yml");
  const std::string settings = read_text(dir / "settings.yml");
  refused({"import-flee", folder.string(), "--simsetting", (dir / "settings.yml").string(), "--overwrite", "-o",
           (dir / "settings.yml").string()},
          dir / "settings.yml");
  refused({"import-flee", folder.string(), "--overwrite", "-o", (folder / "simsetting.yml").string()},
          folder / "simsetting.yml");
  CHECK(read_text(dir / "settings.yml") == settings);
  CHECK(read_text(folder / "simsetting.yml") == settings);
  CHECK(read_text(dir / "r.h5").starts_with("\x89HDF"));  // still the run file, not a page
  // A scenario's CSV tables are inputs too, however the path to them is written.
  fs::copy_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley_tables.yaml", dir / "t.yaml");
  fs::copy(HAVEN_SOURCE_DIR "/scenarios/examples/valley_tables", dir / "valley_tables", fs::copy_options::recursive);
  const std::string nodes = read_text(dir / "valley_tables" / "nodes.csv");
  const std::string t = (dir / "t.yaml").string();
  refused({"run", t, "--quiet", "--overwrite", "-o", (dir / "valley_tables" / "nodes.csv").string()},
          dir / "valley_tables" / "nodes.csv");
  refused({"run", t, "--quiet", "--overwrite", "-o",
           (dir / "valley_tables" / ".." / "valley_tables" / "events.csv").string()},
          dir / "valley_tables" / "events.csv");
  refused({"calibrate", t, "--param", "threat_kernel_km=0.5:2", "--runs", "1", "--max-evals", "2", "--overwrite", "-o",
           (dir / "valley_tables" / "nodes.csv").string()},
          dir / "valley_tables" / "nodes.csv");
  CHECK(read_text(dir / "valley_tables" / "nodes.csv") == nodes);
  fs::remove_all(dir);
}

TEST_CASE("an empty -o - --no-output with -o - and --record with nothing after = are refused before anything runs") {
  const std::string valley = HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml";
  const auto empty_output = run_cli({"run", valley, "--quiet", "-o", ""});
  CHECK(empty_output.exit_code == 2);
  CHECK(empty_output.out.empty());
  CHECK(empty_output.err.find("--output: names no path (an empty value)") != std::string::npos);
  for (const char* command : {"report", "import-flee", "sweep", "calibrate"}) {
    CAPTURE(command);
    const auto result = run_cli({command, valley, "-o", ""});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--output: names no path") != std::string::npos);
  }
  const auto both = run_cli({"run", valley, "--quiet", "--no-output", "-o", "never.h5"});
  CHECK(both.exit_code == 2);
  CHECK(both.out.empty());
  CHECK(both.err.find("--output excludes --no-output") != std::string::npos);
  CHECK_FALSE(fs::exists("never.h5"));
  const auto blank = run_cli({"run", valley, "--quiet", "--no-output", "--record", "variables="});
  CHECK(blank.exit_code == 2);
  CHECK(blank.out.empty());
  CHECK(blank.err ==
        "command line (--record variables=): error: no value after '='; give one (e.g. "
        "variables=departures,arrivals), or variables=all for every one\n1 error; nothing was run.\n");
  const auto blank_nodes = run_cli({"run", valley, "--quiet", "--no-output", "--record", "nodes="});
  CHECK(blank_nodes.exit_code == 2);
  CHECK(blank_nodes.err.find("give one (e.g. nodes=NODE_ID,NODE_ID), or nodes=all for every one") != std::string::npos);
  CHECK(run_cli({"run", valley, "--quiet", "--no-output", "--record", "variables=all", "--days", "2"}).exit_code == 0);
}

TEST_CASE("sweep --overwrite with --members and an empty --members are refused and nothing is deleted") {
  const fs::path out = fs::temp_directory_path() / fmt::format("haven_cli_members_{}", static_cast<long>(getpid()));
  fs::remove_all(out);
  const std::string sweep = HAVEN_SOURCE_DIR "/scenarios/sweeps/valley_grid.yaml";
  REQUIRE(run_cli({"sweep", sweep, "-o", out.string(), "-q", "--members", "0"}).exit_code == 0);
  REQUIRE(fs::exists(out / "runs" / "member_0000.h5"));
  const auto both = run_cli({"sweep", sweep, "-o", out.string(), "-q", "--overwrite", "--members", "1"});
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("--overwrite starts the whole sweep again") != std::string::npos);
  CHECK(fs::exists(out / "runs" / "member_0000.h5"));
  CHECK_FALSE(fs::exists(out / "runs" / "member_0001.h5"));
  const auto none = run_cli({"sweep", sweep, "-o", out.string(), "-q", "--members", ""});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("--members: names no member") != std::string::npos);
  CHECK_FALSE(fs::exists(out / "runs" / "member_0001.h5"));
  fs::remove_all(out);
}

TEST_CASE("haven compare names runs of one scenario by their files and gives no figure a file does not record") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("haven_cli_compare_{}", static_cast<long>(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string valley = HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml";
  const std::string a = (dir / "seed1.h5").string(), b = (dir / "some_places.h5").string();
  REQUIRE(run_cli({"run", valley, "--quiet", "--days", "20", "-o", a}).exit_code == 0);
  REQUIRE(run_cli({"run", valley, "--quiet", "--days", "20", "--seed", "7", "--record", "nodes=northcamp", "-o", b})
              .exit_code == 0);
  const auto table = run_cli({"compare", a, b});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("valley (seed1.h5)") != std::string::npos);
  CHECK(table.out.find("valley (some_places.h5)") != std::string::npos);
  CHECK(table.out.find("its file does not record 8 of 9 places") != std::string::npos);
  const auto csv = run_cli({"compare", a, b, "--csv"});
  CHECK(csv.out.find("\r\nvalley (some_places.h5),") != std::string::npos);
  // One scenario at seeds 42 (its own) and 7: a look at chance, nothing to say.
  CHECK(table.out.find("note:") == std::string::npos);
  // A what-if at another seed: the differences are partly chance, and the table says so; a CSV stays a table.
  const std::string open = (dir / "open.h5").string(), open_7 = (dir / "open_7.h5").string();
  const std::string expected = (dir / "expected.h5").string();
  REQUIRE(run_cli({"run", valley, "--quiet", "--days", "20", "--variant", "border_open", "--seed", "7", "-o", open_7})
              .exit_code == 0);
  CHECK(run_cli({"compare", a, open_7}).out.find("note: these runs differ in seeds (7, 42)") != std::string::npos);
  const auto what_if_csv = run_cli({"compare", a, open_7, "--csv"});
  CHECK(what_if_csv.out.find("note:") == std::string::npos);
  CHECK(what_if_csv.err.find("note: these runs differ in seeds (7, 42)") != std::string::npos);
  // A what-if at the scenario's seed shares its random numbers with the base: nothing to say. Another mode is.
  REQUIRE(run_cli({"run", valley, "--quiet", "--days", "20", "--variant", "border_open", "-o", open}).exit_code == 0);
  CHECK(run_cli({"compare", a, open}).out.find("note:") == std::string::npos);
  REQUIRE(run_cli({"run", valley, "--quiet", "--days", "20", "--mode", "expected", "-o", expected}).exit_code == 0);
  CHECK(run_cli({"compare", a, expected}).out.find("note: these runs differ in modes (expected, stochastic),") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("run --variants all --no-output prints the what-if table and leaves no file") {
  const auto scratch_folders = [] {
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path()))
      if (entry.path().filename().string().starts_with("haven-variants-")) ++count;
    return count;
  };
  const auto before = scratch_folders();
  const auto result = run_cli(
      {"run", HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", "--variants", "all", "--no-output", "--quiet"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.starts_with("displaced (left home) by each point, peaks and the end\n"));
  CHECK(result.out.find("valley [border_open]") != std::string::npos);
  CHECK(result.out.find("wrote") == std::string::npos);
  // The runs behind the table went to a folder of their own (haven-variants-*), removed after it.
  CHECK(scratch_folders() == before);
}

TEST_CASE("run --variants all checks every variant's file before the first runs") {
  // Each variant writes where its outputs.path says: the base, border_open and bigger_camp, in a folder of the test's.
  const fs::path dir = fs::temp_directory_path() / "haven_cli_variants_all";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string text = read_text(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  const auto put = [&](const std::string& after, const std::string& line) {
    const auto at = text.find(after);
    REQUIRE(at != std::string::npos);
    text.insert(at + after.size(), line);
  };
  put("outputs:\n", fmt::format("  path: {}\n", (dir / "base.h5").string()));
  put("    remove_events: [border_stays_closed]\n",
      fmt::format("    set:\n      outputs.path: {}\n", (dir / "open.h5").string()));
  put("      nodes.hillcamp.capacity: 40000\n", fmt::format("      outputs.path: {}\n", (dir / "camp.h5").string()));
  write_text(dir / "valley.yaml", text);
  const std::string scenario = (dir / "valley.yaml").string();

  // The last variant's file is there: nothing runs, nothing is written, and the hint is one the command takes.
  write_text(dir / "camp.h5", "someone's file");
  const auto refused = run_cli({"run", scenario, "--variants", "all", "--quiet", "--days", "5"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find((dir / "camp.h5").string() + " exists; pass --overwrite to replace it, or move it away") !=
        std::string::npos);
  CHECK(refused.err.find("-o to write elsewhere") == std::string::npos);
  CHECK(refused.err.find("nothing was run") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "base.h5"));
  CHECK_FALSE(fs::exists(dir / "open.h5"));
  CHECK(read_text(dir / "camp.h5") == "someone's file");

  // Two variants writing one file: the second would replace the first's.
  const auto shared = run_cli({"run", scenario, "--variants", "all", "--quiet", "--days", "5", "--set",
                               "outputs.path=" + (dir / "one.h5").string()});
  CHECK(shared.exit_code == 2);
  CHECK(shared.err.find("the base and variant border_open both write " + (dir / "one.h5").string()) !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "one.h5"));

  // One file by two names (border_open's relative to where haven runs, the base's absolute): refused alike.
  const auto variant_writing = [&](const std::string& where, const std::string& file) {
    std::string other = text;
    const std::string open_path = (dir / "open.h5").string();
    other.replace(other.find(open_path), open_path.size(), where);
    write_text(dir / file, other);
    return (dir / file).string();
  };
  const auto relative =
      run_cli({"run", variant_writing(fs::relative(dir / "base.h5", HAVEN_SOURCE_DIR).string(), "same.yaml"),
               "--variants", "all", "--quiet", "--days", "5", "--overwrite"});
  CHECK(relative.exit_code == 2);
  CHECK(relative.err.find("the base and variant border_open both write") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "base.h5"));
  // A variant writing over the scenario itself: said as that, not as a file --overwrite would replace.
  const std::string itself = variant_writing((dir / "itself.yaml").string(), "itself.yaml");
  const auto over_input = run_cli({"run", itself, "--variants", "all", "--quiet", "--days", "5"});
  CHECK(over_input.exit_code == 2);
  CHECK(over_input.err.find("is an input of this command") != std::string::npos);
  CHECK(over_input.err.find("itself.yaml exists") == std::string::npos);

  // Told to replace it, every variant runs and writes its file.
  const auto replaced = run_cli({"run", scenario, "--variants", "all", "--quiet", "--days", "5", "--overwrite"});
  CHECK(replaced.exit_code == 0);
  for (const char* name : {"base.h5", "open.h5", "camp.h5"}) {
    CAPTURE(name);
    CHECK(haven::read_run_file(dir / name).time_days.size() == 5);
  }
  fs::remove_all(dir);
}

TEST_CASE("an empty --variant and an empty until are said as nothing and a file of too many variants is refused") {
  const std::string valley = HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml";
  // An unset shell variable ($VARIANT) would otherwise run the scenario as written.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", valley, "--variant", "", "--no-output"},
        std::vector<std::string>{"check", valley, "--variant", ""},
        std::vector<std::string>{"report", valley, "--variant", "", "-o", "/tmp/never.html"}}) {
    CAPTURE(args[0]);
    const auto refused = run_cli(args);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("--variant: names no variant (an empty value)") != std::string::npos);
  }
  const auto until = run_cli({"check", valley, "--set", "events.strikes_south.until="});
  CHECK(until.exit_code == 2);
  CHECK(until.err.find("events.strikes_south.until: expected a date (YYYY-MM-DD) or a day number, got nothing") !=
        std::string::npos);

  const fs::path file = fs::temp_directory_path() / fmt::format("haven_cli_variants_{}.yaml", getpid());
  std::string text = read_text(valley);
  const std::string variants = "\nvariants:\n";
  const auto at = text.find(variants);
  REQUIRE(at != std::string::npos);
  std::string many;
  for (int k = 0; k < 1001; ++k) many += fmt::format("  v{}: {{}}\n", k);
  text.insert(at + variants.size(), many);
  write_text(file, text);
  const auto refused = run_cli({"check", file.string()});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("variants: the file defines 1003 variants; at most 1000 are taken") != std::string::npos);
  fs::remove(file);
}

TEST_CASE("an error at a line of the file that only the command line's edits bring names them") {
  const std::string valley = HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml";
  // 50 days leave the last observation (20 Apr) after the period: the file's line, and the --set that did it.
  const auto shortened = run_cli({"check", valley, "--set", "scenario.days=50"});
  CHECK(shortened.exit_code == 2);
  CHECK(shortened.err.find(valley + ":") == 0);
  CHECK(shortened.err.find("is outside the scenario period (2024-03-01 to 2024-04-19) (with --set scenario.days=50)") !=
        std::string::npos);
  // The same from an overlay names the overlay.
  const fs::path overlay = fs::temp_directory_path() / fmt::format("haven_cli_days_{}.yaml", getpid());
  write_text(overlay, "scenario.days: 50\n");
  const auto from_file = run_cli({"check", valley, "--set-file", overlay.string()});
  CHECK(from_file.exit_code == 2);
  CHECK(from_file.err.find("(with --set-file " + overlay.string() + ")") != std::string::npos);
  fs::remove(overlay);
  // An error the file has anyway, or one at the --set itself, is said as before.
  const auto at_set = run_cli({"check", valley, "--set", "parameters.threat_kernel_km=-1"});
  CHECK(at_set.exit_code == 2);
  CHECK(at_set.err.find("(with --set") == std::string::npos);
}

TEST_CASE("--members lists are checked against the sweep before they are expanded") {
  using haven::app::parse_member_list;
  CHECK(parse_member_list("3,10-12,11", 20).members == std::vector<std::int64_t>{3, 10, 11, 12});
  CHECK(parse_member_list("0-19,0-19,0-19", 20).members.size() == 20);
  CHECK(parse_member_list("5-9223372036854775807", 20).error ==
        "--members 5-9223372036854775807: member 9223372036854775807 does not exist; the sweep has members 0 to 19");
  CHECK(parse_member_list("9223372036854775806-9223372036854775807", 20).error.find("does not exist") !=
        std::string::npos);
  CHECK(parse_member_list("0-99999999", 20).error.find("member 99999999 does not exist") != std::string::npos);
  CHECK(parse_member_list("12-3", 20).error == "--members 12-3: the range 12-3 runs backwards");
  CHECK(parse_member_list("99999999999999999999", 20).error.find("expected member numbers") != std::string::npos);
  for (const char* bad : {"", "3,", "-3", "3-", "x", "3-x", "1--2", " 3"}) {
    CHECK_MESSAGE(parse_member_list(bad, 20).error.find("expected member numbers") != std::string::npos, bad);
  }
}
