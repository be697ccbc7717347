#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <limits>

#include "../support.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/report/report.hpp"
#include "haven/scenario/load.hpp"

namespace fs = std::filesystem;
using namespace haven;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("haven_report_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A stand-in for tools/report and /usr/share/javascript with tiny files.
ReportAssets fake_assets(const fs::path& root) {
  const ReportAssets assets{root / "report", root / "js"};
  write(assets.template_dir / "template.html",
        "<title>{{TITLE}}</title><style>{{LEAFLET_CSS}}</style><style>{{REPORT_CSS}}</style>"
        "<script>{{LEAFLET_JS}}</script><script>{{CHART_JS}}</script><script>{{TOPOJSON_JS}}</script>"
        "<script type=\"application/json\">{{WORLD_JSON}}</script><script type=\"application/json\">{{DATA_JSON}}"
        "</script><script>{{REPORT_EVENTS_JS}}</script><script>{{REPORT_SERIES_JS}}</script><script>{{REPORT_MAP_JS}}"
        "</script><script>{{REPORT_JS}}</"
        "script>");
  write(assets.template_dir / "report.css", "body{}");
  write(assets.template_dir / "events.js", "var events = {};");
  write(assets.template_dir / "series.js", "var series = {};");
  write(assets.template_dir / "map.js", "var map = {};");
  write(assets.template_dir / "report.js", "var s = '</script>';");
  write(assets.template_dir / "node_modules/topojson-client/dist/topojson-client.min.js", "var topojson={};");
  write(assets.template_dir / "node_modules/world-atlas/countries-50m.json", "{\"type\":\"Topology\"}");
  write(assets.javascript_dir / "leaflet/leaflet.css", ".a{background:url(images/layers.png)}.b{cursor:url(x.cur)}");
  write(assets.javascript_dir / "leaflet/leaflet.js", "var L={};");
  write(assets.javascript_dir / "chart.js/chart.min.js", "var Chart={};");
  return assets;
}

}  // namespace

TEST_CASE("the report page inlines every part once with no URL left and no early end of a script") {
  const auto assets = fake_assets(temp_dir("inline"));
  const std::string html = render_report_html("{\"x\":1}", "Idlib <2019> & after", assets);
  CHECK(html.find("<title>Idlib &lt;2019&gt; &amp; after</title>") != std::string::npos);
  CHECK(html.find("{{") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);  // Leaflet's image URLs are gone
  CHECK(html.find(".a{background:none}") != std::string::npos);
  CHECK(html.find("var s = '<\\/script>';") != std::string::npos);
  CHECK(html.find("var events = {};") != std::string::npos);
  CHECK(html.find("var L={};") != std::string::npos);
  CHECK(html.find("var Chart={};") != std::string::npos);
  CHECK(html.find("{\"x\":1}") != std::string::npos);
}

TEST_CASE("a missing library names the file and tools/setup.sh") {
  const fs::path root = temp_dir("missing");
  const auto assets = fake_assets(root);
  fs::remove(assets.template_dir / "node_modules/world-atlas/countries-50m.json");
  try {
    (void)render_report_html("{}", "t", assets);
    FAIL("expected ReportAssetError");
  } catch (const ReportAssetError& e) {
    const std::string message = e.what();
    CHECK(message.find("countries-50m.json") != std::string::npos);
    CHECK(message.find("tools/setup.sh") != std::string::npos);
  }
}

TEST_CASE("a preview has the network and events as JSON and no text can close its script element") {
  auto result = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  REQUIRE(result.scenario);
  Scenario scenario = *result.scenario;
  scenario.nodes[0].name = "North </script> \"camp\"";
  const std::string json = report_data_from_scenario(scenario, "valley.yaml");
  CHECK(json.find("</") == std::string::npos);
  CHECK(json.find("North \\u003c/script\\u003e \\\"camp\\\"") != std::string::npos);
  CHECK(json.find("\"events\":[{") != std::string::npos);
  CHECK(json.find("\"runs\":[]") != std::string::npos);
  CHECK(json.find(",,") == std::string::npos);
  CHECK(json.find("\"start_date\":\"") != std::string::npos);
}

TEST_CASE("a run's report data holds its series and its variant's description") {
  const fs::path dir = temp_dir("run");
  const fs::path path = dir / "border_open.h5";
  auto run = haven::test::run_cli(
      {"run", "scenarios/examples/valley.yaml", "--variant", "border_open", "-o", path.string(), "--quiet"});
  REQUIRE(run.exit_code == 0);
  const std::string json = report_data_from_runs({path});
  CHECK(json.find("\"variant\":\"border_open\"") != std::string::npos);
  CHECK(json.find("\"variant_description\":\"The neighbouring country opens North Gate on day 20.\"") !=
        std::string::npos);
  CHECK(json.find("\"displaced_present\":[[") != std::string::npos);
  CHECK(json.find("\"cumulative_displaced\":[") != std::string::npos);
  CHECK(json.find(",,") == std::string::npos);
  CHECK_THROWS_WITH_AS(report_data_from_runs({dir / "nope.h5"}), doctest::Contains("nope.h5"), std::exception);
}

TEST_CASE("the page's data writes every number as fmt writes the double (whole numbers too)") {
  // Whole numbers take a shorter road (as integers); the text must stay the one the double gives.
  const Scenario scenario = load_scenario_or_throw("scenarios/examples/valley.yaml");
  MemoryRecorder recorder;
  Simulation simulation(scenario, RunConfig{});
  simulation.add_observer(recorder);
  simulation.run();
  REQUIRE(recorder.days() > 0);
  const std::vector<double> values = {75202.0,
                                      -3.0,
                                      0.0,
                                      -0.0,
                                      0.5,
                                      1e15 - 1,
                                      1e15,
                                      1e16,
                                      -1e17,
                                      123456789012.0,
                                      2.5e-7,
                                      1.0 / 3.0,
                                      std::numeric_limits<double>::quiet_NaN()};
  recorder.capacity_.assign(recorder.days(), values);
  const std::string json =
      report_data_from_memory(scenario, "valley.yaml", {{&scenario, &recorder, "run", "stochastic", 1}});
  std::string expected = "\"capacity\":[[";
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (k > 0) expected += ',';
    expected += std::isfinite(values[k]) ? fmt::format("{}", values[k]) : "null";
  }
  CHECK(expected ==
        "\"capacity\":[[75202,-3,0,-0,0.5,999999999999999,1000000000000000,1e+16,-1e+17,123456789012,2.5e-07,"
        "0.3333333333333333,null");
  CHECK(json.find(expected + "]") != std::string::npos);
}

TEST_CASE("a run cut short by --days is reported over the days it ran and not beside a whole run") {
  const fs::path dir = temp_dir("days");
  const fs::path short_run = dir / "ten_days.h5";
  const fs::path whole_run = dir / "whole.h5";
  REQUIRE(haven::test::run_cli({"run", "scenarios/examples/valley.yaml", "--days", "10", "-o", short_run.string(),
                                "--quiet", "--overwrite"})
              .exit_code == 0);
  REQUIRE(haven::test::run_cli(
              {"run", "scenarios/examples/valley.yaml", "-o", whole_run.string(), "--quiet", "--overwrite"})
              .exit_code == 0);
  // The page's period (its slider, axes and the events drawn) is the run's 10 days, not the scenario's 60.
  CHECK(report_data_from_runs({short_run}).find("\"start_date\":\"2024-03-01\",\"days\":10,") != std::string::npos);
  CHECK(report_data_from_runs({whole_run}).find("\"start_date\":\"2024-03-01\",\"days\":60,") != std::string::npos);
  const std::string said =
      "ran 60 days from 2024-03-01 and " + short_run.string() + " 10 days from 2024-03-01: one report compares runs";
  CHECK_THROWS_WITH_AS(report_data_from_runs({whole_run, short_run}), doctest::Contains(said.c_str()),
                       ReportInputError);
  // An ensemble of a sweep with `days: 10` ran 10 days too: beside the 10-day run, not beside the whole one.
  haven::test::write_text(dir / "ten.yaml", "sweep:\n  name: ten\n  scenario: " HAVEN_SOURCE_DIR
                                            "/scenarios/examples/valley.yaml\n  seed: 1\n  replicates: 2\n"
                                            "  days: 10\n");
  fs::remove_all(dir / "ten");
  REQUIRE(
      haven::test::run_cli({"sweep", (dir / "ten.yaml").string(), "-o", (dir / "ten").string(), "--quiet"}).exit_code ==
      0);
  REQUIRE(haven::test::run_cli({"gather", (dir / "ten").string()}).exit_code == 0);
  const fs::path ensemble = dir / "ten" / "ensemble.h5";
  CHECK(report_data_from_runs({ensemble}).find("\"start_date\":\"2024-03-01\",\"days\":10,") != std::string::npos);
  CHECK_NOTHROW(report_data_from_runs({short_run, ensemble}));
  CHECK_THROWS_AS(report_data_from_runs({whole_run, ensemble}), ReportInputError);
}

TEST_CASE("each run in a report says the people its own scenario hosts before day 0") {
  const fs::path dir = temp_dir("before");
  const fs::path base = dir / "base.h5", more = dir / "more.h5";
  REQUIRE(haven::test::run_cli(
              {"run", "scenarios/examples/valley.yaml", "--days", "5", "-o", base.string(), "--quiet", "--overwrite"})
              .exit_code == 0);
  REQUIRE(haven::test::run_cli({"run", "scenarios/examples/valley.yaml", "--days", "5", "--set",
                                "nodes.northcamp.displaced=20000", "-o", more.string(), "--quiet", "--overwrite"})
              .exit_code == 0);
  const auto loaded = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  REQUIRE(loaded.scenario);
  std::vector<std::int64_t> before;
  for (const auto& node : loaded.scenario->nodes) {
    std::int64_t people = 0;
    for (const auto count : node.displaced_by_group) people += count;
    before.push_back(people);
  }
  const auto at = static_cast<std::size_t>(*loaded.scenario->find_node("northcamp"));
  REQUIRE(before[at] != 20000);
  const std::string json = report_data_from_runs({base, more});
  CHECK(json.find(fmt::format("\"displaced_before\":[{}]", fmt::join(before, ","))) != std::string::npos);
  before[at] = 20000;
  CHECK(json.find(fmt::format("\"displaced_before\":[{}]", fmt::join(before, ","))) != std::string::npos);
}
