#include <doctest/doctest.h>

#include <fstream>

#include "../support.hpp"
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
        "</script><script>{{REPORT_JS}}</script>");
  write(assets.template_dir / "report.css", "body{}");
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
