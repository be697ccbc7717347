#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "../support.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/io/export.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/load.hpp"

namespace fs = std::filesystem;
using namespace haven;

namespace {

struct ExportFixture {
  LoadResult loaded;
  RunFile run;
  fs::path dir;
};

ExportFixture valley_run(const std::string& name, std::vector<std::string> sets = {}) {
  ExportFixture f;
  f.loaded = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", {.set_overrides = sets});
  REQUIRE(f.loaded.scenario);
  f.dir = fs::temp_directory_path() / ("haven_export_" + name);
  fs::remove_all(f.dir);
  fs::create_directories(f.dir);
  const fs::path path = f.dir / "valley.h5";
  {
    Simulation simulation(*f.loaded.scenario, RunConfig{.seed = 7});
    Hdf5Writer writer(path, *f.loaded.scenario, Provenance{"test", f.loaded.resolved_yaml});
    simulation.add_observer(writer);
    simulation.run();
  }
  f.run = read_run_file(path);
  return f;
}

}  // namespace

TEST_CASE("export CSV quotes cells holding a comma or quote or line end and puts the HXL row second") {
  ExportTable table;
  table.header = {"name", "value"};
  table.hxl = {"#loc+name", "#affected+ind"};
  table.rows = {{"Town, North", "1"}, {"say \"hi\"", "2"}, {"two\nlines", "3"}};
  CHECK(to_csv(table, true) ==
        "name,value\r\n#loc+name,#affected+ind\r\n\"Town, North\",1\r\n\"say \"\"hi\"\"\",2\r\n\"two\nlines\",3\r\n");
  CHECK(to_csv(table, false).rfind("name,value\r\n\"Town, North\"", 0) == 0);
}

TEST_CASE("a place name a spreadsheet would run as a formula is exported as text") {
  const auto f = valley_run("formula", {"nodes.southtown.name=\"@SUM(1+1)\""});
  const std::string csv = to_csv(node_day_table(f.run, *f.loaded.scenario), true);
  CHECK(csv.find(",'@SUM(1+1),") != std::string::npos);
  CHECK(csv.find(",@SUM") == std::string::npos);
  fs::remove_all(f.dir);
}

TEST_CASE("every export table has one HXL tag per column and rows as wide as the header") {
  const auto f = valley_run("tables", {"nodes.southtown.pcode=VL0101"});
  const Scenario& s = *f.loaded.scenario;
  for (const auto& table : {node_day_table(f.run, s), corridor_day_table(f.run, s), origin_destination_table(f.run, s),
                            summary_table({{.run = &f.run, .scenario = &s, .file = "valley.h5"}})}) {
    CHECK(table.hxl.size() == table.header.size());
    CHECK_FALSE(table.rows.empty());
    for (const auto& row : table.rows) REQUIRE(row.size() == table.header.size());
  }
  const auto nodes = node_day_table(f.run, s);
  CHECK(nodes.rows.size() == f.run.times() * f.run.nodes());
  CHECK(nodes.rows[0][0] == "2024-03-01");
  CHECK(nodes.rows[0][4] == "VL0101");
}

TEST_CASE("a nodes table of a file without capacity has no capacity column: empty there means no limit") {
  const auto recorded = valley_run("with_capacity");
  const auto table = node_day_table(recorded.run, *recorded.loaded.scenario);
  REQUIRE(table.header.back() == "capacity");
  auto without = valley_run("without_capacity", {"outputs.variables=[cumulative_displaced]"});
  REQUIRE(without.run.capacity.empty());
  const auto thin = node_day_table(without.run, *without.loaded.scenario);
  CHECK(std::find(thin.header.begin(), thin.header.end(), "capacity") == thin.header.end());
  CHECK(thin.header.size() == table.header.size() - 1);
  CHECK(thin.hxl.size() == thin.header.size());
  for (const auto& row : thin.rows) REQUIRE(row.size() == thin.header.size());
  fs::remove_all(recorded.dir);
  fs::remove_all(without.dir);
}

TEST_CASE("export GeoJSON writes lon before lat with at most 7 decimals") {
  auto f = valley_run("geojson");
  f.run.node_lon[0] = 36.123456789;
  f.run.node_lat[0] = -0.00000001;
  const std::string text = nodes_geojson(f.run, *f.loaded.scenario, false);
  CHECK(text.find("\"coordinates\":[36.1234568,0]") != std::string::npos);
  CHECK(text.find("\"crs\"") == std::string::npos);
  const std::string lines = corridors_geojson(f.run, *f.loaded.scenario, false);
  CHECK(lines.find("\"type\":\"LineString\",\"coordinates\":[[36.6,35.4],") != std::string::npos);
}

TEST_CASE("export refuses to overwrite and names every file that exists and writes nothing") {
  const auto f = valley_run("overwrite");
  const fs::path out = f.dir / "out";
  ExportOptions options{.csv = true, .geojson = true};
  const std::vector<ExportedRun> runs = {{.run = &f.run, .scenario = &*f.loaded.scenario, .file = "valley.h5"}};
  CHECK(export_runs(runs, out, options).size() == 6);
  haven::test::write_text(out / "summary.csv", "mine");
  fs::remove(out / "nodes.geojson");
  try {
    export_runs(runs, out, options);
    FAIL("expected an error");
  } catch (const OutputRefused& e) {  // exit code 2
    const std::string message = e.what();
    CHECK(message.find("nodes_daily.csv") != std::string::npos);
    CHECK(message.find("summary.csv") != std::string::npos);
    CHECK(message.find("--overwrite") != std::string::npos);
  }
  CHECK(haven::test::read_text(out / "summary.csv") == "mine");
  CHECK_FALSE(fs::exists(out / "nodes.geojson"));  // nothing written when anything exists
  options.overwrite = true;
  CHECK(export_runs(runs, out, options).size() == 6);
  CHECK(haven::test::read_text(out / "summary.csv") != "mine");
  for (const auto& entry : fs::directory_iterator(out)) {
    CHECK(entry.path().string().find(".partial") == std::string::npos);
  }
  // --overwrite where one target is a directory: refused before any file is replaced, not half the export new.
  haven::test::write_text(out / "summary.csv", "mine again");
  fs::remove(out / "corridors.geojson");
  fs::create_directories(out / "corridors.geojson");
  try {
    export_runs(runs, out, options);
    FAIL("expected an error");
  } catch (const OutputRefused& e) {
    CHECK(std::string(e.what()).find("corridors.geojson is not a regular file") != std::string::npos);
  }
  CHECK(haven::test::read_text(out / "summary.csv") == "mine again");
  for (const auto& entry : fs::directory_iterator(out)) {
    CHECK(entry.path().string().find(".partial") == std::string::npos);
  }
  fs::remove_all(f.dir);
}

TEST_CASE("export with a byte-order mark starts every CSV with one and nothing else") {
  const auto f = valley_run("bom");
  const std::vector<ExportedRun> runs = {{.run = &f.run, .scenario = &*f.loaded.scenario, .file = "valley.h5"}};
  ExportOptions options{.csv = true, .geojson = true};
  export_runs(runs, f.dir / "plain", options);
  options.byte_order_mark = true;
  export_runs(runs, f.dir / "excel", options);
  for (const char* name : {"summary.csv", "nodes_daily.csv", "corridors_daily.csv", "origin_destination.csv"}) {
    CAPTURE(name);
    const std::string plain = haven::test::read_text(f.dir / "plain" / name);
    const std::string excel = haven::test::read_text(f.dir / "excel" / name);
    CHECK(plain.rfind("\xEF\xBB\xBF", 0) == std::string::npos);
    CHECK(excel == "\xEF\xBB\xBF" + plain);
  }
  // GeoJSON is JSON, which takes no mark (RFC 8259).
  CHECK(haven::test::read_text(f.dir / "excel" / "nodes.geojson") ==
        haven::test::read_text(f.dir / "plain" / "nodes.geojson"));
  fs::remove_all(f.dir);
}

TEST_CASE("export of several runs gives one summary row each in order and each run its own folder of tables") {
  const auto base = valley_run("several_base");
  const auto other = valley_run("several_other", {"parameters.threat_kernel_km=3"});
  const fs::path out = base.dir / "out";
  const std::vector<ExportedRun> runs = {
      {.run = &base.run, .scenario = &*base.loaded.scenario, .file = "base.h5", .folder = "base"},
      {.run = &other.run, .scenario = &*other.loaded.scenario, .file = "other.h5", .folder = "other"},
      // An ensemble member gives a summary row only.
      {.run = &other.run, .scenario = &*other.loaded.scenario, .file = "ensemble.h5", .member = 4, .tables = false}};
  const auto summary = summary_table(runs);
  REQUIRE(summary.rows.size() == 3);
  CHECK(summary.header[0] == "file");
  CHECK(summary.rows[0][0] == "base.h5");
  CHECK(summary.rows[1][0] == "other.h5");
  CHECK(summary.rows[2][0] == "ensemble.h5");
  const auto member = std::find(summary.header.begin(), summary.header.end(), "member") - summary.header.begin();
  CHECK(summary.rows[0][static_cast<std::size_t>(member)].empty());
  CHECK(summary.rows[2][static_cast<std::size_t>(member)] == "4");
  CHECK(summary.rows[0] != summary.rows[1]);  // other values, other figures
  const auto written = export_runs(runs, out, ExportOptions{.csv = true, .geojson = true});
  CHECK(written.size() == 1 + 2 * 5);
  CHECK(fs::exists(out / "summary.csv"));
  CHECK(fs::exists(out / "base" / "nodes_daily.csv"));
  CHECK(fs::exists(out / "other" / "corridors.geojson"));
  CHECK_FALSE(fs::exists(out / "nodes_daily.csv"));
  CHECK(haven::test::read_text(out / "summary.csv").find("\r\n#meta+file,") != std::string::npos);
  fs::remove_all(base.dir);
  fs::remove_all(other.dir);
}

TEST_CASE("a run whose folder would be summary.csv is refused before any folder is made") {
  // A run file called summary.csv.h5 gets the folder summary.csv/, where the summary file goes: made first, the
  // folder stayed and every later export into that place failed.
  const auto base = valley_run("folder_clash");
  const fs::path out = base.dir / "out";
  const std::vector<ExportedRun> runs = {
      {.run = &base.run, .scenario = &*base.loaded.scenario, .file = "summary.csv.h5", .folder = "summary.csv"},
      {.run = &base.run, .scenario = &*base.loaded.scenario, .file = "other.h5", .folder = "other"}};
  try {
    export_runs(runs, out, ExportOptions{.csv = true, .geojson = true});
    FAIL("exported a file and a folder of one name");
  } catch (const OutputRefused& e) {
    CHECK(std::string(e.what()).find("summary.csv would be both a file and the folder of") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(out));  // nothing made, not even the folders
  // -o naming a file (the run file itself): refused as the command line's mistake.
  CHECK_THROWS_AS(export_runs({runs[1]}, base.dir / "valley.h5", ExportOptions{.csv = true}), OutputRefused);
  CHECK(read_run_file(base.dir / "valley.h5").times() > 0);
  fs::remove_all(base.dir);
}

TEST_CASE("export of a file that is not a run file says what it is before anything else") {
  const fs::path out = fs::temp_directory_path() / "haven_export_not_a_run";
  fs::remove_all(out);
  const std::string scenario = HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml";
  for (const std::vector<std::string>& files :
       {std::vector<std::string>{scenario}, std::vector<std::string>{HAVEN_SOURCE_DIR "/README.md", scenario}}) {
    std::vector<std::string> args{"export"};
    args.insert(args.end(), files.begin(), files.end());
    args.insert(args.end(), {"-o", out.string()});
    const auto refused = haven::test::run_cli(args);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("haven export: " + files.front() + " is not a run file") == 0);
    CHECK(refused.err.find("signature") == std::string::npos);  // not HDF5's own words
    CHECK(refused.err.find("would both write") == std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
  CHECK(haven::test::run_cli({"export", scenario, "-o", out.string()})
            .err.find("it looks like a scenario: run it first") != std::string::npos);
}

TEST_CASE("a description over several lines is one line in its summary cell") {
  auto f = valley_run("description_lines");
  f.run.description = "Bombardment of two towns,\npeople go north.\n";  // a folded YAML text keeps its line breaks
  f.run.variant_description.clear();
  const auto summary = summary_table({{.run = &f.run, .scenario = &*f.loaded.scenario, .file = "v.h5"}});
  const auto column = std::find(summary.header.begin(), summary.header.end(), "description") - summary.header.begin();
  REQUIRE(static_cast<std::size_t>(column) < summary.header.size());
  CHECK(summary.rows[0][static_cast<std::size_t>(column)] == "Bombardment of two towns, people go north.");
  fs::remove_all(f.dir);
}

TEST_CASE(
    "a file of some places or every few days leaves the summary's network sums empty and an overflow is refused") {
  const auto whole = valley_run("summary_whole");
  const auto some = valley_run("summary_some", {"outputs.nodes=[northcamp, southtown]"});
  const auto weekly = valley_run("summary_weekly", {"outputs.interval_days=7"});
  const std::vector<ExportedRun> runs = {
      {.run = &whole.run, .scenario = &*whole.loaded.scenario, .file = "whole.h5", .folder = "whole"},
      {.run = &some.run, .scenario = &*some.loaded.scenario, .file = "some.h5", .folder = "some"},
      {.run = &weekly.run, .scenario = &*weekly.loaded.scenario, .file = "weekly.h5", .folder = "weekly"}};
  const auto summary = summary_table(runs);
  const auto cell = [&](std::size_t row, const char* column) {
    const auto at = std::find(summary.header.begin(), summary.header.end(), column) - summary.header.begin();
    return summary.rows[row][static_cast<std::size_t>(at)];
  };
  for (const char* column : {"displaced_present_end", "arrivals", "returns", "unsheltered_peak"}) {
    CAPTURE(column);
    CHECK_FALSE(cell(0, column).empty());
    CHECK(cell(1, column).empty());  // the sum of two places would read as the network's
  }
  // Network-wide series stay: the same run, the same figures.
  CHECK(cell(1, "displaced") == cell(0, "displaced"));
  CHECK(cell(1, "in_transit_end") == cell(0, "in_transit_end"));
  // Every 7th day: stocks at the end and the peak of recorded days stay; flows summed over 9 of 60 days go.
  CHECK(cell(2, "arrivals").empty());
  CHECK(cell(2, "returns").empty());
  CHECK_FALSE(cell(2, "displaced_present_end").empty());
  // The GeoJSON layers alike: a flow's total over the run is null, not the sum of the recorded days.
  for (const std::string& layer : {nodes_geojson(weekly.run, *weekly.loaded.scenario, false),
                                   corridors_geojson(weekly.run, *weekly.loaded.scenario, false)}) {
    const auto count = [&](const std::string& what) {
      std::size_t n = 0;
      for (auto at = layer.find(what); at != std::string::npos; at = layer.find(what, at + 1)) ++n;
      return n;
    };
    CHECK(count("_total\":null") > 0);
    CHECK(count("_total\":null") == count("_total\":"));
  }
  CHECK(nodes_geojson(whole.run, *whole.loaded.scenario, false).find("_total\":null") == std::string::npos);

  // Counts whose sum leaves 64 bits (a damaged or hostile file) are refused, naming the file, not wrapped round.
  RunFile huge = whole.run;
  huge.arrivals[0] = std::int64_t{1} << 62;  // the first place on days 0 and 1
  huge.arrivals[huge.nodes()] = std::int64_t{1} << 62;
  const std::vector<ExportedRun> hostile = {
      {.run = &huge, .scenario = &*whole.loaded.scenario, .file = "huge.h5", .folder = "huge"}};
  CHECK_THROWS_WITH(summary_table(hostile), doctest::Contains("huge.h5: a sum of its counts overflows 64 bits"));
  CHECK_THROWS_WITH(export_runs(hostile, whole.dir / "out", ExportOptions{.csv = false, .geojson = true}),
                    doctest::Contains("huge.h5: a sum of its counts overflows 64 bits"));
  CHECK_FALSE(fs::exists(whole.dir / "out"));
  for (const auto* f : {&whole, &some, &weekly}) fs::remove_all(f->dir);
}

TEST_CASE("a network without roads has nobody in transit at the end in its summary row") {
  auto f = valley_run("no_roads");
  const auto cell = [&](const RunFile& run) {
    const auto summary = summary_table({{.run = &run, .scenario = &*f.loaded.scenario, .file = "v.h5"}});
    const auto at = std::find(summary.header.begin(), summary.header.end(), "in_transit_end") - summary.header.begin();
    REQUIRE(static_cast<std::size_t>(at) < summary.header.size());
    return summary.rows[0][static_cast<std::size_t>(at)];
  };
  CHECK(cell(f.run) == fmt::format("{}", [&] {
          std::int64_t total = 0;
          const std::size_t corridors = f.run.corridor_name.size();
          for (std::size_t c = 0; c < corridors; ++c) total += f.run.in_transit[(f.run.times() - 1) * corridors + c];
          return total;
        }()));
  RunFile roadless = f.run;  // as a one-place scenario's file reads: in_transit with no columns
  roadless.corridor_name.clear();
  roadless.in_transit.clear();
  CHECK(cell(roadless) == "0");
  RunFile unrecorded = f.run;  // roads, but in_transit left out of the file: not known
  unrecorded.in_transit.clear();
  CHECK(cell(unrecorded).empty());
  fs::remove_all(f.dir);
}
