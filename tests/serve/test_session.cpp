#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/report/report.hpp"
#include "haven/scenario/load.hpp"
#include "haven/serve/runs.hpp"
#include "haven/serve/server.hpp"
#include "haven/serve/session.hpp"
#include "serve/session_info.hpp"
#include "valley_source.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::serve;

namespace {

ScenarioSource valley() {
  return testing::valley_source();
}

Edit parsed(const std::string& json) {
  return testing::parsed_edit(json);
}

bool has_event(const Scenario& scenario, const std::string& id) {
  return std::any_of(scenario.events.begin(), scenario.events.end(), [&](const Event& e) { return e.id == id; });
}

// The scenario an overlay gives when the loader reads it as a file, as `haven check --set-file` does.
LoadResult load_with_overlay(const ScenarioSource& source, const std::string& overlay, const std::string& variant) {
  // A folder of this process's own: CTest runs the test cases side by side, each writing its overlay here.
  const fs::path dir = fs::temp_directory_path() / ("haven_serve_session_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "overlay.yaml", std::ios::binary | std::ios::trunc) << overlay;
  LoadOptions options;
  options.variant = variant;
  options.set_files = {dir / "overlay.yaml"};
  return load_scenario_text(source.text, source.name, options);
}

}  // namespace

TEST_CASE("serve session: edits pass through the loader and come back located when bad") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(has_event(session.scenario(), "strikes_south"));

  auto result = session.apply(parsed(R"({"kind": "toggle_event", "id": "strikes_south", "enabled": false})"));
  CHECK(result.applied);
  CHECK_FALSE(has_event(session.scenario(), "strikes_south"));
  CHECK(has_event(session.base(), "strikes_south"));  // the base stays as it was

  result = session.apply(parsed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 1.5})"));
  CHECK(result.applied);
  CHECK(session.scenario().parameters.threat_kernel_km == 1.5);

  result = session.apply(parsed(R"({"kind": "set", "path": "events.strikes_river.intensity", "value": -1})"));
  CHECK_FALSE(result.applied);
  REQUIRE(result.diagnostics.all().size() == 1);
  const auto& problem = result.diagnostics.all().front();
  CHECK(problem.location.file == "edit 3 (events.strikes_river.intensity = -1)");
  CHECK(problem.message.find("events.strikes_river.intensity") != std::string::npos);
  CHECK(session.edits().size() == 2);  // not kept

  CHECK(session.undo());
  CHECK(session.scenario().parameters.threat_kernel_km == session.base().parameters.threat_kernel_km);
  CHECK(session.undo());
  CHECK(has_event(session.scenario(), "strikes_south"));
  CHECK_FALSE(session.undo());
}

TEST_CASE("serve session: an edit of an event switched off waits until it is on again") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.intensity", "value": 5})")).applied);
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "strikes_south", "enabled": false})")).applied);
  CHECK_FALSE(has_event(session.scenario(), "strikes_south"));
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "strikes_south", "enabled": true})")).applied);
  const auto& event = *std::find_if(session.scenario().events.begin(), session.scenario().events.end(),
                                    [](const Event& e) { return e.id == "strikes_south"; });
  CHECK(std::get<Bombardment>(event.action).intensity_strikes_per_day == 5.0);
}

TEST_CASE("serve session: the saved overlay gives the session's scenario on the base and on a variant") {
  for (const std::string variant : {"", "border_open"}) {
    CAPTURE(variant);
    Session session(valley(), variant, Limits{});
    REQUIRE(session.ok());
    for (const char* edit :
         {R"({"kind": "toggle_event", "id": "road_cut", "enabled": false})",
          R"({"kind": "set", "path": "nodes.hillcamp.capacity", "value": 25000})",
          R"({"kind": "set", "path": "nodes.hillcamp.capacity", "value": 30000})",
          R"({"kind": "add_event", "event": {"kind": "bombardment", "node": "hilltown", "day": 4, "intensity": 7}})",
          R"({"kind": "set", "path": "corridors.midcity-northcamp.closed", "value": true})"}) {
      REQUIRE(session.apply(parsed(edit)).applied);
    }
    const std::string overlay = session.overlay_yaml();
    CHECK(overlay.find("#   1. event road_cut off\n") != std::string::npos);
    // Each set edit says what it replaced: the value before it, the earlier edit's.
    CHECK(overlay.find("#   2. nodes.hillcamp.capacity = 25000 (was 15000)\n") != std::string::npos);
    CHECK(overlay.find("#   3. nodes.hillcamp.capacity = 30000 (was 25000)\n") != std::string::npos);
    CHECK(overlay.find("#   5. corridors.midcity-northcamp.closed = true (was false)\n") != std::string::npos);
    // The events one a line, as a scenario file lists them: the session's 8 (road_cut off, added_1 added).
    CHECK(overlay.find("\nevents:\n  - {") != std::string::npos);
    std::size_t event_lines = 0;
    for (auto at = overlay.find("\n  - {"); at != std::string::npos; at = overlay.find("\n  - {", at + 1))
      ++event_lines;
    CHECK(event_lines == session.scenario().events.size());
    const auto loaded = load_with_overlay(valley(), overlay, variant);
    REQUIRE_FALSE(loaded.diagnostics.has_errors());
    // The same scenario as the session's.
    std::vector<std::string> session_ids, overlay_ids;
    for (const auto& e : session.scenario().events) session_ids.push_back(e.id);
    for (const auto& e : loaded.scenario->events) overlay_ids.push_back(e.id);
    CHECK(overlay_ids == session_ids);
    CHECK_FALSE(has_event(*loaded.scenario, "road_cut"));
    CHECK(has_event(*loaded.scenario, "added_1"));
    CHECK(*loaded.scenario->nodes[5].capacity_people == 30000.0);
    CHECK(loaded.scenario->corridors[2].closed);
    // The full scenario loads on its own too.
    const auto full = load_scenario_text(session.scenario_yaml(), "edited.yaml");
    REQUIRE_FALSE(full.diagnostics.has_errors());
    CHECK(full.scenario->events.size() == loaded.scenario->events.size());
  }
}

TEST_CASE("serve session: a replaced value with line breaks stays in its comment and the saved files load") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  // A name with a carriage return (and the other line breaks YAML knows), then replaced: its "was" is in the list.
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "nodes.southtown.name", "value": "a\rb\u0085c\u2028d"})"))
              .applied);
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "nodes.southtown.name", "value": "x"})")).applied);
  const std::string overlay = session.overlay_yaml();
  CHECK(overlay.find("#   2. nodes.southtown.name = x (was a b c d)\n") != std::string::npos);
  const auto loaded = load_with_overlay(valley(), overlay, "");
  REQUIRE_FALSE(loaded.diagnostics.has_errors());
  CHECK(loaded.scenario->nodes[0].name == "x");
  const auto full = load_scenario_text(session.scenario_yaml(), "edited.yaml");
  CHECK_FALSE(full.diagnostics.has_errors());
}

// The session keeps its scenario parsed: a long sequence of edits, undos and refused edits parses the text once,
// and again only once every ParsedScenarioText::reparse_after_loads loads (which keeps its memory flat), and the
// scenario it ends with is the one a fresh load of the saved, edited YAML gives.
TEST_CASE("serve session: a long sequence of edits keeps one parsed document and matches a fresh load") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  CHECK(session.parses() == 1);
  std::size_t loads = 1;
  for (int k = 0; k < 150; ++k) {
    std::string edit;
    switch (k % 5) {
      case 0:
        edit = fmt::format(R"({{"kind": "toggle_event", "id": "road_cut", "enabled": {}}})", k % 2 == 0);
        break;
      case 1:
        edit = fmt::format(R"({{"kind": "set", "path": "nodes.hillcamp.capacity", "value": {}}})", 20000 + 100 * k);
        break;
      case 2:
        edit = fmt::format(R"({{"kind": "set", "path": "parameters.threat_kernel_km", "value": {}}})", 1.0 + 0.01 * k);
        break;
      case 3:
        edit = R"({"kind": "set", "path": "nodes.hillcamp.capacity", "value": -5})";  // refused by the checks
        break;
      default:
        edit =
            fmt::format(R"({{"kind": "move_event", "id": "strikes_south", "lat": {}, "lon": 36.6}})", 36.0 + 0.001 * k);
        break;
    }
    const auto result = session.apply(parsed(edit));
    CHECK(result.applied == (k % 5 != 3));
    ++loads;
    if (k % 10 == 9) {
      REQUIRE(session.undo());
      ++loads;
    }
  }
  // Edits beyond max_edits are refused before loading; none here.
  CHECK(session.edits().size() == 150 - 30 - 15);
  CHECK(session.parses() >= 2);  // parsed afresh along the way: the copies of earlier loads went with the old one
  CHECK(session.parses() <= 1 + loads / ParsedScenarioText::reparse_after_loads);
  const auto fresh = load_scenario_text(session.scenario_yaml(), "edited.yaml");
  REQUIRE_FALSE(fresh.diagnostics.has_errors());
  const auto run = [](const Scenario& scenario) {
    MemoryRecorder recorder;
    Simulation simulation(scenario, RunConfig{.seed = 3, .mode = Mode::expected});
    simulation.add_observer(recorder);
    simulation.run();
    return recorder;
  };
  const auto kept = run(session.scenario());
  const auto loaded = run(*fresh.scenario);
  CHECK(kept.cumulative_displaced_ == loaded.cumulative_displaced_);
  REQUIRE(kept.displaced_.size() == loaded.displaced_.size());
  CHECK(kept.displaced_.back() == loaded.displaced_.back());
  CHECK(session.scenario().events.size() == fresh.scenario->events.size());
  CHECK(session.scenario().parameters.threat_kernel_km == fresh.scenario->parameters.threat_kernel_km);
}

TEST_CASE("serve session: a bombardment at a place moved to a point on the map") {
  Session session(valley(), "", Limits{});
  REQUIRE(
      session.apply(parsed(R"({"kind": "move_event", "id": "strikes_south", "lat": 35.45, "lon": 36.58})")).applied);
  const auto& event = *std::find_if(session.scenario().events.begin(), session.scenario().events.end(),
                                    [](const Event& e) { return e.id == "strikes_south"; });
  const auto& target = std::get<Bombardment>(event.action).target;
  CHECK(target.node == no_node);
  CHECK(*target.lat_deg == 35.45);
  CHECK(*target.lon_deg == 36.58);
  CHECK(session.edits().back().description == "move event strikes_south to 35.45000, 36.58000");
  const auto loaded = load_with_overlay(valley(), session.overlay_yaml(), "");
  REQUIRE_FALSE(loaded.diagnostics.has_errors());
  CHECK(*std::get<Bombardment>(loaded.scenario->events.front().action).target.lat_deg == 35.45);
  // Out of the scenario's reach: the loader says so, at the edit.
  auto refused = session.apply(parsed(R"({"kind": "move_event", "id": "strikes_river", "lat": 95, "lon": 36})"));
  CHECK_FALSE(refused.applied);
  CHECK(refused.diagnostics.all().front().location.file == "edit 2 (move event strikes_river to 95.00000, 36.00000)");
  std::string problem;
  CHECK_FALSE(edit_from_json(R"({"kind": "move_event", "id": "x", "lat": "north"})", problem));
}

TEST_CASE("serve session: at most max_added_events events are added") {
  Limits limits;
  limits.max_added_events = 2;
  Session session(valley(), "", limits);
  const char* add = R"({"kind": "add_event", "event": {"kind": "border_opening", "node": "border", "day": 3}})";
  CHECK(session.apply(parsed(add)).applied);
  CHECK(session.apply(parsed(add)).applied);
  auto refused = session.apply(parsed(add));
  CHECK_FALSE(refused.applied);
  CHECK(refused.diagnostics.all().front().message == "at most 2 events may be added in one session");
}

TEST_CASE("serve runs: a run past its time limit is cancelled between days") {
  Session session(valley(), "", Limits{});
  RunRequest request;
  request.max_seconds = 0.0;
  CHECK_THROWS_AS(run_in_memory(session.scenario(), request), RunCancelled);
  request.max_seconds = 60.0;
  const auto run = run_in_memory(session.scenario(), request);
  CHECK(run.recorder->days() == static_cast<std::size_t>(session.scenario().days));
  const auto series = headline_series(session.scenario(), *run.recorder);
  CHECK(series.left_home.back() == doctest::Approx(run.summary.cumulative_displaced));
  const std::string bands = bands_json({series, series});
  CHECK(bands.find(R"("members":2)") != std::string::npos);
  // The page's data for a run held in memory has the shape of a run file's.
  const MemoryRun memory{&session.scenario(), run.recorder.get(), "valley", "stochastic", 1, ""};
  const std::string data = report_data_from_memory(session.scenario(), "valley.yaml", {memory});
  for (const char* key : {R"("displaced_present":[[)", R"("cumulative_displaced":[)", R"("node_index":[0,1,)",
                          R"("events":[{"id":"strikes_south")"}) {
    CAPTURE(key);
    CHECK(data.find(key) != std::string::npos);
  }
  CHECK(data.find(R"("edits":)") == std::string::npos);
  // A run with edits keeps the scenario's description and says its edits beside it (the page shows both).
  const MemoryRun edited{&session.scenario(), run.recorder.get(), "valley", "stochastic", 1, "1. event x off."};
  const std::string with_edits = report_data_from_memory(session.scenario(), "valley.yaml", {edited});
  CHECK(with_edits.find(R"("variant_description":"","edits":"1. event x off.")") != std::string::npos);
}

TEST_CASE("serve runs: a band's parameter values come from the sweep's ranges and are the same each time") {
  ParameterUncertainty ranges;
  ranges.sweep_name = "ranges.yaml";
  ranges.spec.method = DesignMethod::lhs;
  ranges.spec.seed = 2020;
  SweepParameter kernel;
  kernel.name = "threat_kernel_km";
  kernel.path = "parameters.threat_kernel_km";
  kernel.minimum = 0.5;
  kernel.maximum = 2.0;
  kernel.origin = {"/somewhere/on/the/server/ranges.yaml", 9, 5};
  SweepParameter camp = kernel;
  camp.name = camp.path = "nodes.northcamp.capacity";
  camp.minimum = 100;
  camp.maximum = 300;
  camp.integer = true;
  ranges.spec.parameters = {kernel, camp};

  const auto members = uncertainty_overrides(ranges, 8, {});
  REQUIRE(members.size() == 8);
  const auto again = uncertainty_overrides(ranges, 8, {});  // from the sweep's seed: the same band twice
  for (std::size_t k = 0; k < members.size(); ++k) {
    for (std::size_t j = 0; j < 2; ++j) CHECK(members[k][j].value == again[k][j].value);
  }
  std::set<int> strata;
  for (const auto& member : members) {
    REQUIRE(member.size() == 2);
    CHECK(member[0].path == "parameters.threat_kernel_km");
    const double value = std::stod(member[0].value);
    CHECK(value >= 0.5);
    CHECK(value <= 2.0);
    strata.insert(std::min(7, static_cast<int>((value - 0.5) / 1.5 * 8)));
    CHECK(member[1].value.find('.') == std::string::npos);  // an integer range gives whole numbers
    // Located in the sweep file, named as the page knows it, not by its path on the server.
    CHECK(member[0].origin.file == "ranges.yaml");
    CHECK(member[0].origin.line == 9);
  }
  CHECK(strata.size() == 8);  // a Latin hypercube: one member in each eighth of the range

  // A parameter the session's edits set is held: only the others vary.
  for (const auto& member : uncertainty_overrides(ranges, 3, {"parameters.threat_kernel_km"})) {
    REQUIRE(member.size() == 1);
    CHECK(member[0].path == "nodes.northcamp.capacity");
  }
}

TEST_CASE("serve server: answers are compressed only for a peer elsewhere and only with gzip") {
  // Loopback: nothing, whatever the browser accepts (compressing costs more than sending).
  CHECK(allowed_encoding("gzip, deflate, br", "127.0.0.1").empty());
  CHECK(allowed_encoding("gzip, deflate, br", "::1").empty());
  CHECK(allowed_encoding("gzip", "::ffff:127.0.0.1").empty());
  // Elsewhere: gzip when accepted, never brotli (httplib runs it at its slowest quality).
  CHECK(allowed_encoding("gzip, deflate, br", "192.168.1.20") == "gzip");
  CHECK(allowed_encoding("br;q=1.0, gzip;q=0.8", "10.0.0.2") == "gzip");
  CHECK(allowed_encoding("*", "10.0.0.2") == "gzip");
  CHECK(allowed_encoding("br", "10.0.0.2").empty());
  CHECK(allowed_encoding("gzip;q=0, br", "10.0.0.2").empty());
  CHECK(allowed_encoding("", "10.0.0.2").empty());
}

TEST_CASE("serve server: only the server's own page and the one allowed may change anything") {
  // A program sends no Origin; the server's own page sends the address it asked, in any case.
  CHECK(origin_allowed("", "127.0.0.1:8080", ""));
  CHECK(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", ""));
  CHECK(origin_allowed("http://LocalHost:8080", "localhost:8080", ""));
  CHECK(origin_allowed("http://[::1]:8080", "[::1]:8080", ""));
  CHECK(origin_allowed("http://192.168.1.20:8080", "192.168.1.20:8080", ""));  // --host 0.0.0.0, asked there
  // Another port, scheme or name; a sandboxed frame or a file; a name that only begins with the server's.
  CHECK_FALSE(origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080", ""));
  CHECK_FALSE(origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080", ""));
  CHECK_FALSE(origin_allowed("https://evil.example", "127.0.0.1:8080", ""));
  CHECK_FALSE(origin_allowed("null", "127.0.0.1:8080", ""));
  CHECK_FALSE(origin_allowed("http://127.0.0.1:8080.evil.example", "127.0.0.1:8080", ""));
  CHECK_FALSE(origin_allowed("http://127.0.0.1:8080", "", ""));
  // --allow-origin: that page, exactly; "*": any.
  CHECK(origin_allowed("http://localhost:3000", "127.0.0.1:8080", "http://localhost:3000"));
  CHECK_FALSE(origin_allowed("http://localhost:3001", "127.0.0.1:8080", "http://localhost:3000"));
  CHECK(origin_allowed("https://evil.example", "127.0.0.1:8080", "*"));
  // --allow-origin as typed: with a slash after it, in capitals.
  CHECK(origin_allowed("http://localhost:3000", "127.0.0.1:8080", "http://Localhost:3000/"));
  CHECK_FALSE(origin_allowed("http://localhost:30001", "127.0.0.1:8080", "http://localhost:3000/"));
}

TEST_CASE("serve session: the server's starting edits lie under the page's and go with what it saves") {
  ScenarioSource source = valley();
  const SourceLocation typed{"command line (--set parameters.threat_kernel_km=1.5)", 0, 0};
  source.start.typed_sets = {"parameters.threat_kernel_km=1.5"};
  source.start.sets = {{"parameters.threat_kernel_km", "1.5", typed}};
  Session session(source, "", Limits{});
  REQUIRE(session.ok());
  // The base itself starts there: the ghost is the starting point, not the file.
  CHECK(session.base().parameters.threat_kernel_km == 1.5);
  CHECK(session.scenario().parameters.threat_kernel_km == 1.5);
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 1.2})")).applied);
  CHECK(session.scenario().parameters.threat_kernel_km == 1.2);
  CHECK(session.edits().back().listed() == "parameters.threat_kernel_km = 1.2 (was 1.5)");
  // `haven run` applies --set after every --set-file, so the command suggested leaves the --set out, and the page's
  // value is the overlay's (the --set it replaced is not written again: an overlay holds a key once).
  CHECK(session.scenario_arguments() == "valley.yaml");
  const std::string overlay = session.overlay_yaml();
  CHECK(overlay.find("from valley.yaml with --set parameters.threat_kernel_km=1.5.") != std::string::npos);
  CHECK(overlay.find("parameters.threat_kernel_km: 1.2\n") != std::string::npos);
  CHECK(overlay.find("parameters.threat_kernel_km: 1.5\n") == std::string::npos);
  CHECK(load_with_overlay(source, overlay, "").scenario->parameters.threat_kernel_km == 1.2);
  REQUIRE(session.undo());
  CHECK(session.scenario().parameters.threat_kernel_km == 1.5);
  // Undone, the --set value is the overlay's to carry.
  CHECK(session.overlay_yaml().find("# Given to haven serve with --set:\nparameters.threat_kernel_km: 1.5\n") !=
        std::string::npos);
  // A variant chosen later starts there too.
  SUBCASE("variant") {
    REQUIRE(session.choose_variant("bigger_camp").applied);
    CHECK(session.scenario().parameters.threat_kernel_km == 1.5);
  }
  // A starting edit the loader refuses is its located message: the server does not start.
  source.start.sets = {{"parameters.threat_kernel_km", "-1", typed}};
  Session refused(source, "", Limits{});
  CHECK_FALSE(refused.ok());
  CHECK(refused.load_diagnostics().all().front().location.file == typed.file);
}

TEST_CASE("serve session: a starting point that edits an event leaves every event edit of the page working") {
  // The loader gives an event a starting edit changed back in block style; the events list the page's toggles,
  // moves and additions rebuild must still be one line of flow YAML each.
  ScenarioSource source = valley();
  source.start.files = {"fit.yaml"};
  source.start.file_edits = {{"events.strikes_south.intensity", "30", {"fit.yaml", 2, 3}}};
  source.start.typed_sets = {"events.truce.until=2024-04-20"};
  source.start.sets = {
      {"events.truce.until", "2024-04-20", {"command line (--set events.truce.until=2024-04-20)", 0, 0}}};
  Session session(source, "", Limits{});
  REQUIRE(session.ok());
  for (const char* edit : {R"({"kind": "toggle_event", "id": "strikes_river", "enabled": false})",
                           R"({"kind": "move_event", "id": "strikes_south", "lat": 35.5, "lon": 36.6})",
                           R"({"kind": "add_event", "event": {"kind": "bombardment", "node": "hilltown", "day": 4,
                               "intensity": 7}})"}) {
    const auto result = session.apply(parsed(edit));
    INFO(edit);
    for (const auto& d : result.diagnostics.all()) INFO(d.message);
    CHECK(result.applied);
  }
  const auto strikes = [](const Scenario& scenario) {
    return std::get<Bombardment>(std::find_if(scenario.events.begin(), scenario.events.end(), [](const Event& e) {
                                   return e.id == "strikes_south";
                                 })->action);
  };
  CHECK(strikes(session.scenario()).intensity_strikes_per_day == 30.0);
  CHECK(strikes(session.scenario()).target.lat_deg == 35.5);
  // The suggested command names the overlay file; the overlay carries the --set; together they give this scenario.
  CHECK(session.scenario_arguments() == "valley.yaml --set-file fit.yaml");
  const std::string overlay = session.overlay_yaml();
  CHECK(overlay.find("# Given to haven serve with --set:\nevents.truce.until: 2024-04-20\n# The page's edits:\n") !=
        std::string::npos);
  const fs::path dir = fs::temp_directory_path() / "haven_serve_session";
  fs::create_directories(dir);
  std::ofstream(dir / "fit.yaml", std::ios::binary) << "events:\n  strikes_south:\n    intensity: 30\n";
  std::ofstream(dir / "overlay.yaml", std::ios::binary) << overlay;
  LoadOptions options;
  options.set_files = {dir / "fit.yaml", dir / "overlay.yaml"};
  const auto loaded = load_scenario_text(source.text, source.name, options);
  REQUIRE(loaded.scenario);
  CHECK(loaded.scenario->events.size() == session.scenario().events.size());
  CHECK(strikes(*loaded.scenario).intensity_strikes_per_day == 30.0);
  CHECK(strikes(*loaded.scenario).target.lat_deg == 35.5);
}

TEST_CASE("serve session: what an edit replaced is said again for a variant chosen after it") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "nodes.hillcamp.capacity", "value": 25000})")).applied);
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "nodes.hillcamp.capacity", "value": 26000})")).applied);
  CHECK(session.edits()[0].listed() == "nodes.hillcamp.capacity = 25000 (was 15000)");
  REQUIRE(session.choose_variant("bigger_camp").applied);
  REQUIRE(session.edits().size() == 2);
  CHECK(session.edits()[0].listed() == "nodes.hillcamp.capacity = 25000 (was 40000)");
  CHECK(session.edits()[1].listed() == "nodes.hillcamp.capacity = 26000 (was 25000)");
  // Numbers compare as numbers: 26000.0 is what the key holds.
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "nodes.hillcamp.capacity", "value": "26000.0"})")).applied);
  CHECK(session.edits().back().listed() == "nodes.hillcamp.capacity = 26000.0 (unchanged)");
  // What a planner compares in a meeting says what it replaced too: a camp's new capacity, an evacuation's rate, who
  // takes a place, a crossing opened, a place moved, a group's share.
  for (const auto& row : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"events.camp_extension.capacity", "20000", "events.camp_extension.capacity = 20000 (was 60000)"},
           {"events.elderly_evacuation.rate", "10000", "events.elderly_evacuation.rate = 10000 (was 1500)"},
           {"events.south_falls.by", "\"opposition\"", "events.south_falls.by = opposition (was government)"},
           {"nodes.border.closed", "false", "nodes.border.closed = false (was true)"},
           {"nodes.southtown.lat", "35.3", "nodes.southtown.lat = 35.3 (was 35.4)"},
           {"groups.elderly.speed_factor", "0.6", "groups.elderly.speed_factor = 0.6 (was 0.7)"}}) {
    // (No structured binding: clang's OpenMP cannot capture one in CAPTURE's lambda.)
    const std::string& path = std::get<0>(row);
    const std::string& value = std::get<1>(row);
    const std::string& listed = std::get<2>(row);
    CAPTURE(path);
    Edit edit;
    edit.kind = "set";
    edit.path = path;
    edit.value = value;
    edit.description = path + " = " + (value.front() == '"' ? value.substr(1, value.size() - 2) : value);
    REQUIRE(session.apply(edit).applied);
    CHECK(session.edits().back().listed() == listed);
  }
}

TEST_CASE("serve session: a set edit lists what its key held before it") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  const auto listed = [&](const std::string& json) {
    const auto result = session.apply(parsed(json));
    REQUIRE(result.applied);
    return session.edits().back().listed();
  };
  const double kernel = session.scenario().parameters.threat_kernel_km;
  CHECK(listed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.5})") ==
        fmt::format("parameters.threat_kernel_km = 2.5 (was {})", kernel));
  CHECK(listed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.5})") ==
        "parameters.threat_kernel_km = 2.5 (unchanged)");
  // A switch reads as the page's box sends it, 1 or 0, whether sent as true/false or 1/0.
  CHECK(listed(R"({"kind": "set", "path": "parameters.flee_start_on_foot", "value": true})") ==
        "parameters.flee_start_on_foot = 1 (was 0)");
  CHECK(listed(R"({"kind": "set", "path": "parameters.flee_start_on_foot", "value": 1})") ==
        "parameters.flee_start_on_foot = 1 (unchanged)");
  CHECK(listed(R"({"kind": "set", "path": "parameters.flee_start_on_foot", "value": false})") ==
        "parameters.flee_start_on_foot = 0 (was 1)");
  CHECK(listed(R"({"kind": "set", "path": "events.strikes_south.intensity", "value": 30})") ==
        "events.strikes_south.intensity = 30 (was 60)");
  CHECK(listed(R"({"kind": "set", "path": "events.strikes_south.date", "value": "2024-03-07"})") ==
        "events.strikes_south.date = 2024-03-07 (was 2024-03-05)");
  CHECK(listed(R"({"kind": "set", "path": "events.road_cut.until", "value": "2024-04-01"})") ==
        "events.road_cut.until = 2024-04-01 (was open-ended)");
  CHECK(listed(R"({"kind": "set", "path": "corridors.midcity-northcamp.capacity_people_per_day", "value": 900})") ==
        "corridors.midcity-northcamp.capacity_people_per_day = 900 (was 20000)");
  CHECK(listed(R"({"kind": "set", "path": "corridors.midcity-hilltown.capacity_people_per_day", "value": 900})") ==
        "corridors.midcity-hilltown.capacity_people_per_day = 900 (was none)");
  // A place without a capacity of its own: what the rules gave it, as a figure (a share of its people on day 0).
  const double factor = session.scenario().parameters.default_capacity_factor;
  CHECK(listed(R"({"kind": "set", "path": "nodes.rivertown.capacity", "value": 9000})") ==
        fmt::format("nodes.rivertown.capacity = 9000 (was {:.0f} by default)", 45000 * factor));
  CHECK(listed(R"({"kind": "set", "path": "nodes.abroad.capacity", "value": 9000})") ==
        "nodes.abroad.capacity = 9000 (was unlimited by default)");
  CHECK(listed(R"({"kind": "set", "path": "nodes.midcity.displaced", "value": 25000})") ==
        "nodes.midcity.displaced = 25000 (was 20000)");
  CHECK(listed(R"({"kind": "set", "path": "nodes.southtown.population", "value": 50000})") ==
        "nodes.southtown.population = 50000 (was 60000)");
  // Where a bombardment is aimed: its place, or the place's coordinates while it has no point of its own.
  CHECK(listed(R"({"kind": "set", "path": "events.strikes_south.node", "value": "hilltown"})") ==
        "events.strikes_south.node = hilltown (was southtown)");
  CHECK(listed(R"({"kind": "set", "path": "events.strikes_river.lat", "value": 35.6})") ==
        "events.strikes_river.lat = 35.6 (was 35.55)");
  // An event switched off: the edit waits until it is on, and says what the event holds when on.
  listed(R"({"kind": "toggle_event", "id": "strikes_river", "enabled": false})");
  CHECK(listed(R"({"kind": "set", "path": "events.strikes_river.intensity", "value": 10})") ==
        "events.strikes_river.intensity = 10 (was 40)");
  // The list the page shows is the same lines.
  CHECK(session.edits().front().description == "parameters.threat_kernel_km = 2.5");
}

TEST_CASE("serve session: a saved scenario keeps the header comments of the file it came from") {
  ScenarioSource source = valley();
  source.text = "# What it is: a valley.\n#   Sources: none, it is made up.\n\n#\n" + source.text;
  Session session(source, "", Limits{});
  REQUIRE(session.ok());
  const std::string saved = session.scenario_yaml();
  CHECK(saved.find("# The scenario's own header, as written:\n# What it is: a valley.\n#   Sources: none, it is made "
                   "up.\n") != std::string::npos);
  // Every comment line of the file before its first line of YAML (valley.yaml's own too), the blank ones as '#'; and
  // the comments all before the YAML, as a header.
  CHECK(saved.find("made up.\n#\n#\n# A small, complete example") != std::string::npos);
  CHECK(saved.find("explains each key.\nscenario:") != std::string::npos);
  std::istringstream lines(saved);
  bool yaml_begun = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("#")) yaml_begun = true;
    CHECK_MESSAGE(!(yaml_begun && line.starts_with("#")), line);
  }
  CHECK(load_scenario_text(saved, "saved.yaml").scenario.has_value());
}

TEST_CASE("serve session: an event added without an id takes the first added_N no event has") {
  // A scenario saved from the page, served again, already has added_1.
  ScenarioSource source = valley();
  const auto events_at = source.text.find("\nevents:\n");
  REQUIRE(events_at != std::string::npos);
  source.text.insert(events_at + 9, "  - {id: added_1, kind: bombardment, node: hilltown, day: 3, intensity: 2}\n");
  Session session(source, "", Limits{});
  REQUIRE(session.ok());
  const char* add =
      R"({"kind": "add_event", "event": {"kind": "bombardment", "node": "hilltown", "day": 4, "intensity": 7}})";
  REQUIRE(session.apply(parsed(add)).applied);
  REQUIRE(session
              .apply(parsed(R"({"kind": "add_event", "event": {"id": "added_3", "kind": "bombardment",
                                   "node": "hilltown", "day": 5, "intensity": 1}})"))
              .applied);
  REQUIRE(session.apply(parsed(add)).applied);
  std::vector<std::string> added;
  for (const auto& e : session.scenario().events)
    if (e.id.starts_with("added_")) added.push_back(e.id);
  CHECK(added == std::vector<std::string>{"added_1", "added_2", "added_3", "added_4"});
  // Switched off and on by the id it was given.
  CHECK(session.apply(parsed(R"({"kind": "toggle_event", "id": "added_4", "enabled": false})")).applied);
  // An id that is taken, by the scenario's events or by an earlier addition, is refused with what to do instead.
  for (const char* id : {"added_3", "strikes_south", "added_4"}) {
    CAPTURE(id);
    const auto refused = session.apply(parsed(fmt::format(
        R"({{"kind": "add_event", "event": {{"id": "{}", "kind": "bombardment", "node": "hilltown", "day": 6,
             "intensity": 1}}}})",
        id)));
    CHECK_FALSE(refused.applied);
    REQUIRE(refused.diagnostics.all().size() == 1);
    CHECK(refused.diagnostics.all()[0].message ==
          fmt::format("events.{0}.id: an event with id '{0}' is there already; give the new event another id, or "
                      "none (it is then named added_N)",
                      id));
  }
  CHECK(session.edits().size() == 4);
}

TEST_CASE("serve session: a duplicate event id that no file line holds says where the other came from") {
  LoadOptions options;
  options.overrides = {{"events", R"([{id: a, kind: bombardment, node: hilltown, day: 1, intensity: 1},
                                      {id: a, kind: bombardment, node: hilltown, day: 2, intensity: 1}])",
                        SourceLocation{"edit 1", 0, 0}}};
  const auto loaded = load_scenario_text(valley().text, "valley.yaml", options);
  REQUIRE_FALSE(loaded.scenario);
  bool said = false;
  for (const auto& d : loaded.diagnostics.all())
    said = said || d.message.ends_with("duplicate event id 'a' (the other given by --set, an overlay or an edit)");
  CHECK(said);
}

TEST_CASE("serve session: a variant keeps the edits that apply to it and says which it dropped") {
  Session session(valley(), "border_open", Limits{});
  REQUIRE(session.ok());
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.gate_opens.date", "value": "2024-03-15"})")).applied);
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.5})")).applied);
  const auto result = session.choose_variant("");
  REQUIRE(result.applied);
  // gate_opens is border_open's own event: its edit is dropped, the parameter kept.
  REQUIRE(session.edits().size() == 1);
  CHECK(session.edits()[0].path == "parameters.threat_kernel_km");
  CHECK(session.scenario().parameters.threat_kernel_km == 2.5);
  REQUIRE(result.diagnostics.all().size() == 1);
  const auto& said = result.diagnostics.all().front();
  CHECK(said.severity == Severity::warning);
  // (The scenario as written has no gate_opens: nothing for the edit to have replaced there.)
  CHECK(said.location.file == "edit 1 (events.gate_opens.date = 2024-03-15)");
  CHECK(said.message.starts_with("dropped: it does not apply to the scenario as written ("));
}

TEST_CASE("serve session: a variant drops the switches and moves of events it does not have and says so") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  for (const char* edit : {
           R"({"kind": "toggle_event", "id": "border_stays_closed", "enabled": false})",
           R"({"kind": "add_event", "event": {"kind": "bombardment", "node": "hilltown", "day": 4, "intensity": 5}})",
           R"({"kind": "toggle_event", "id": "added_1", "enabled": false})",
           R"({"kind": "move_event", "id": "strikes_south", "lat": 35.41, "lon": 36.61})",
       }) {
    REQUIRE(session.apply(parsed(edit)).applied);
  }
  // border_open has no border_stays_closed (its gate opens instead): switching it off there changes nothing.
  const auto result = session.choose_variant("border_open");
  REQUIRE(result.applied);
  REQUIRE(session.edits().size() == 3);
  CHECK(session.edits()[0].kind == "add_event");
  CHECK(session.edits()[1].id == "added_1");
  CHECK(session.edits()[2].kind == "move_event");
  REQUIRE(result.diagnostics.all().size() == 1);
  const auto& said = result.diagnostics.all().front();
  CHECK(said.location.file == "edit 1 (event border_stays_closed off)");
  CHECK(said.message ==
        "dropped: it does not apply to variant border_open (no event with id 'border_stays_closed' there)");
  CHECK_FALSE(has_event(session.scenario(), "added_1"));
  // Back to the scenario as written: the edit was dropped, and its event is on again.
  REQUIRE(session.choose_variant("").applied);
  CHECK(has_event(session.scenario(), "border_stays_closed"));
}

TEST_CASE("serve session: what an edit replaced reads alike before and after a variant is chosen") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  for (const char* edit :
       {R"({"kind": "toggle_event", "id": "strikes_river", "enabled": false})",
        R"({"kind": "set", "path": "events.strikes_river.intensity", "value": 10})",
        R"({"kind": "add_event", "event": {"kind": "bombardment", "node": "hilltown", "day": 4, "intensity": 5}})",
        R"({"kind": "set", "path": "events.added_1.intensity", "value": 9})",
        R"({"kind": "set", "path": "events.strikes_south.radius_km", "value": 7})"}) {
    REQUIRE(session.apply(parsed(edit)).applied);
  }
  std::vector<std::string> before;
  for (const auto& e : session.edits()) before.push_back(e.listed());
  CHECK(before[1] == "events.strikes_river.intensity = 10 (was 40)");
  CHECK(before[3] == "events.added_1.intensity = 9 (was 5)");
  CHECK(before[4].starts_with("events.strikes_south.radius_km = 7 (was "));
  REQUIRE(session.choose_variant("bigger_camp").applied);
  std::vector<std::string> after;
  for (const auto& e : session.edits()) after.push_back(e.listed());
  CHECK(after == before);
}

TEST_CASE("serve session: a set edit names its item by id and leaves ids and an event's kind alone") {
  std::string problem;
  for (const char* json : {R"({"kind": "set", "path": "events.0.intensity", "value": 3})",
                           R"({"kind": "set", "path": "events.strikes_south.id", "value": "zz"})",
                           R"({"kind": "set", "path": "nodes.hillcamp.id", "value": "zz"})",
                           R"({"kind": "set", "path": "events.strikes_south.kind", "value": "ceasefire"})",
                           R"({"kind": "set", "path": "nodes.hillcamp", "value": 3})",
                           R"({"kind": "set", "path": "corridors.midcity-northcamp.from", "value": "hilltown"})",
                           R"({"kind": "set", "path": "corridors.midcity-northcamp.to", "value": "hilltown"})"}) {
    problem.clear();
    CAPTURE(json);
    CHECK_FALSE(edit_from_json(json, problem));
    CHECK_FALSE(problem.empty());
  }
  problem.clear();
  CHECK_FALSE(edit_from_json(R"({"kind": "set", "path": "events.0.intensity", "value": 3})", problem));
  CHECK(problem ==
        "'events.0.intensity': name the item by its id, not its position (positions move as events are "
        "switched off or added)");
  problem.clear();
  CHECK(edit_from_json(R"({"kind": "set", "path": "nodes.hillcamp.kind", "value": "city"})", problem));
}

TEST_CASE("serve session: control characters in text are kept and saved escaped - never raw in the YAML") {
  // YAML takes no C0 control character but tab, nor DEL or a C1 control, raw; yaml-cpp writes some of them raw (a
  // lone CR in a plain scalar, which then reads back changed or not at all), and other readers (PyYAML) refuse them.
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  const std::string text = "bell\x01 escape\x1b del\x7f cr\r c1\xC2\x85 end";
  const std::string name = "South\rTown";
  REQUIRE(session.apply(parsed(nlohmann::json{{"kind", "set"}, {"path", "events.truce.note"}, {"value", text}}.dump()))
              .applied);
  REQUIRE(
      session.apply(parsed(nlohmann::json{{"kind", "set"}, {"path", "nodes.southtown.name"}, {"value", name}}.dump()))
          .applied);
  REQUIRE(session
              .apply(parsed(nlohmann::json{
                  {"kind", "add_event"},
                  {"event", {{"id", "lull"}, {"kind", "ceasefire"}, {"day", 3}, {"duration_days", 2}, {"note", text}}}}
                                .dump()))
              .applied);
  const auto raw_control = [](const std::string& yaml) {
    for (std::size_t k = 0; k < yaml.size(); ++k) {
      const auto byte = static_cast<unsigned char>(yaml[k]);
      if ((byte < 0x20 && byte != '\n') || byte == 0x7f) return true;
      if (byte == 0xC2 && k + 1 < yaml.size() && (static_cast<unsigned char>(yaml[k + 1]) & 0xE0) == 0x80) return true;
    }
    return false;
  };
  const std::string overlay = session.overlay_yaml();
  const std::string scenario = session.scenario_yaml();
  CHECK_FALSE(raw_control(overlay));
  CHECK_FALSE(raw_control(scenario));
  const auto note_of = [](const Scenario& s, const std::string& id) {
    const auto it = std::find_if(s.events.begin(), s.events.end(), [&](const Event& e) { return e.id == id; });
    REQUIRE(it != s.events.end());
    return it->note;
  };
  for (const auto& loaded : {load_scenario_text(scenario, "edited.yaml"), load_with_overlay(valley(), overlay, "")}) {
    REQUIRE(loaded.scenario);
    CHECK(note_of(*loaded.scenario, "truce") == text);
    CHECK(note_of(*loaded.scenario, "lull") == text);
    CHECK(loaded.scenario->nodes[static_cast<std::size_t>(*loaded.scenario->find_node("southtown"))].name == name);
  }
}

TEST_CASE("serve session: a variant's set names its items by position or id alike") {
  // A band holds what the variant sets; a set written by position is the same key as the page's by id.
  ScenarioSource source = valley();
  const auto variants = source.text.find("variants:\n");
  REQUIRE(variants != std::string::npos);
  source.text.insert(variants + std::string("variants:\n").size(),
                     "  stronger:\n    remove_events: [strikes_south]\n    set:\n      events[0].intensity: 90\n"
                     "      nodes.4.capacity: 50000\n");
  Session session(source, "stronger", Limits{});
  REQUIRE(session.ok());
  // strikes_south removed, so position 0 is strikes_river; node 4 is northcamp; there is no group 9 to name.
  CHECK(session.variant_sets("events.strikes_river.intensity"));
  CHECK_FALSE(session.variant_sets("events.strikes_south.intensity"));
  CHECK(session.variant_sets("nodes.northcamp.capacity"));
  CHECK(session.by_id("groups[9].speed_factor") == "groups[9].speed_factor");
  CHECK(session.by_id("corridors[0].closed") == "corridors." + session.scenario().corridors[0].id + ".closed");
  CHECK(session.by_id("events.10x.intensity") == "events.10x.intensity");
  CHECK(session.by_id("eventsx.0.intensity") == "eventsx.0.intensity");
}

TEST_CASE("serve session: a scenario without events is served and takes an added one") {
  const ScenarioSource bare{"bare.yaml",
                            "scenario: {name: bare, start_date: 2024-01-01, days: 10}\n"
                            "nodes:\n  - {id: a, kind: town, lat: 35, lon: 36, population: 1000}\n"
                            "  - {id: b, kind: camp, lat: 35.2, lon: 36, capacity: 500}\n"
                            "corridors:\n  - {from: a, to: b, length_km: 20, kind: road}\n"};
  Session session(bare, "", Limits{});
  REQUIRE(session.ok());
  CHECK(session.scenario().events.empty());
  const auto added = session.apply(
      parsed(R"({"kind": "add_event", "event": {"kind": "bombardment", "node": "a", "day": 2, "intensity": 5}})"));
  REQUIRE(added.applied);
  REQUIRE(session.scenario().events.size() == 1);
  const auto loaded = load_with_overlay(bare, session.overlay_yaml(), "");
  REQUIRE(loaded.scenario);
  CHECK(loaded.scenario->events.size() == 1);
}

namespace {

// A bombardment added on the page (the session's first addition: added_1).
constexpr const char* add_hilltown_strikes =
    R"({"kind": "add_event", "event": {"kind": "bombardment", "node": "hilltown", "day": 4, "intensity": 7}})";

// The session's events as the page lists them: (id, enabled), in order.
std::vector<std::pair<std::string, bool>> listed_events(const Session& session) {
  std::vector<std::pair<std::string, bool>> ids;
  const auto info = session_info(session, "x");
  for (const auto& e : info["events"]) ids.emplace_back(e["id"], e["enabled"]);
  return ids;
}

}  // namespace

TEST_CASE("serve session: an added event switched off stays listed to be switched on again") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(session.apply(parsed(add_hilltown_strikes)).applied);
  REQUIRE(
      session.apply(parsed(R"({"kind": "add_event", "event": {"kind": "ceasefire", "day": 9, "duration_days": 3}})"))
          .applied);
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "added_1", "enabled": false})")).applied);
  const auto off = session.added_events_off();
  REQUIRE(off.size() == 1);
  CHECK(off[0].id == "added_1");
  auto ids = listed_events(session);
  // After the base's events, in the order they were added, the one switched off too.
  REQUIRE(ids.size() == session.base().events.size() + 2);
  CHECK(ids[ids.size() - 2] == std::pair<std::string, bool>{"added_1", false});
  CHECK(ids.back() == std::pair<std::string, bool>{"added_2", true});
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "added_1", "enabled": true})")).applied);
  CHECK(session.added_events_off().empty());
  CHECK(listed_events(session)[ids.size() - 2] == std::pair<std::string, bool>{"added_1", true});
  // Undone as far as before it was added: not listed at all.
  REQUIRE(session.undo());
  REQUIRE(session.undo());
  REQUIRE(session.undo());
  REQUIRE(session.undo());
  ids = listed_events(session);
  CHECK(ids.size() == session.base().events.size());
}

TEST_CASE("serve session: an added event switched off stays listed across a variant switch and its undo") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(session.apply(parsed(add_hilltown_strikes)).applied);
  // Its strength changed while on, then switched off: listed as it was when last on.
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.added_1.intensity", "value": 9})")).applied);
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "added_1", "enabled": false})")).applied);
  const auto listed_off = [&session] {
    auto ids = listed_events(session);
    std::erase_if(ids, [](const auto& id) { return id.first != "added_1"; });
    return ids;
  };
  const std::vector<std::pair<std::string, bool>> off{{"added_1", false}};
  REQUIRE(listed_off() == off);
  // The variant's loads never had it on: found as it would be switched on there, its strength edit included.
  REQUIRE(session.choose_variant("bigger_camp").applied);
  CHECK(listed_off() == off);
  const auto off_events = session.added_events_off();
  REQUIRE(off_events.size() == 1);
  const auto* strikes = std::get_if<Bombardment>(&off_events[0].action);
  REQUIRE(strikes != nullptr);
  CHECK(strikes->intensity_strikes_per_day == 9.0);
  // And back: the undo of the switch loads afresh too.
  REQUIRE(session.undo());
  CHECK(session.variant().empty());
  CHECK(listed_off() == off);
  // Switched on from the list, it runs.
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "added_1", "enabled": true})")).applied);
  CHECK(std::any_of(session.scenario().events.begin(), session.scenario().events.end(),
                    [](const Event& e) { return e.id == "added_1"; }));
}

TEST_CASE("serve session: an applied edit says the warnings it brought and not the scenario's own") {
  ScenarioSource source = valley();
  // A crossing without a capacity: the scenario's own warning, said when it loads.
  const auto gate = source.text.find("capacity: 2000, closed: true");
  REQUIRE(gate != std::string::npos);
  source.text.erase(gate, std::string("capacity: 2000, ").size());
  Session session(source, "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(session.load_diagnostics().all().size() == 1);
  const auto quiet = session.apply(parsed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 2})"));
  REQUIRE(quiet.applied);
  CHECK(quiet.diagnostics.all().empty());
  const auto noted = session.apply(parsed(R"({"kind": "set", "path": "nodes.hilltown.population", "value": 0})"));
  REQUIRE(noted.applied);
  REQUIRE(noted.diagnostics.all().size() == 1);
  CHECK(noted.diagnostics.all()[0].severity == Severity::warning);
  CHECK(noted.diagnostics.all()[0].message.find("nodes.hilltown") != std::string::npos);
  CHECK(noted.diagnostics.all()[0].message.find("can shelter nobody") != std::string::npos);
  // One found at a key of the file (a town made a camp has no capacity there) is said at the edit that brought it.
  const auto camp = session.apply(parsed(R"({"kind": "set", "path": "nodes.southtown.kind", "value": "camp"})"));
  REQUIRE(camp.applied);
  REQUIRE(camp.diagnostics.all().size() == 1);
  const auto& warning = camp.diagnostics.all()[0];
  CHECK(warning.location.file.rfind("edit 3 (nodes.southtown.kind = camp", 0) == 0);
  CHECK(warning.message.find("camp without 'capacity'") != std::string::npos);
  CHECK(warning.message.find("(given at valley.yaml:") != std::string::npos);
}

TEST_CASE("serve session: text is kept as the text sent - never cut or read as YAML it is not") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  for (const std::string text :
       {"Aleppo # 2", "line1\nline2", "x: y", "{a: 1}", "null", "~", "'quoted'", "plain words"}) {
    CAPTURE(text);
    const auto result =
        session.apply(parsed(nlohmann::json{{"kind", "set"}, {"path", "events.truce.note"}, {"value", text}}.dump()));
    REQUIRE(result.applied);
    const auto& events = session.scenario().events;
    const auto truce = std::find_if(events.begin(), events.end(), [](const Event& e) { return e.id == "truce"; });
    REQUIRE(truce != events.end());
    CHECK(truce->note == text);
  }
  // Numbers, dates and lists sent as text still read as what they are.
  CHECK(session.apply(parsed(R"({"kind": "set", "path": "events.truce.radius_km", "value": "25"})")).applied);
  CHECK(session.apply(parsed(R"({"kind": "set", "path": "events.truce.date", "value": "2024-04-02"})")).applied);
}

TEST_CASE("serve session: a refused edit has every problem said at it with where the other key was given") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  // The new start falls after the end the file gives (until: 2024-03-30, at valley.yaml's line 46).
  auto refused =
      session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.date", "value": "2024-04-29"})"));
  REQUIRE_FALSE(refused.applied);
  REQUIRE_FALSE(refused.diagnostics.all().empty());
  for (const auto& d : refused.diagnostics.all()) {
    CAPTURE(d.message);
    CHECK(d.location.file == "edit 1 (events.strikes_south.date = 2024-04-29)");
  }
  CHECK(refused.diagnostics.all()[0].message.find("(given at valley.yaml:46:") != std::string::npos);
  // The end an earlier edit gave: said at the later edit, naming the earlier one.
  REQUIRE(
      session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.until", "value": "2024-03-20"})")).applied);
  refused = session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.date", "value": "2024-03-25"})"));
  REQUIRE_FALSE(refused.applied);
  CHECK(refused.diagnostics.all()[0].location.file == "edit 2 (events.strikes_south.date = 2024-03-25)");
  CHECK(refused.diagnostics.all()[0].message.find("(given at edit 1 (events.strikes_south.until = 2024-03-20))") !=
        std::string::npos);
  // A share that no longer sums to 1 is this edit's doing too.
  refused = session.apply(parsed(R"({"kind": "set", "path": "groups.children.share", "value": 0.5})"));
  REQUIRE_FALSE(refused.applied);
  CHECK(refused.diagnostics.all()[0].location.file == "edit 2 (groups.children.share = 0.5)");
  CHECK(session.edits().size() == 1);
}

TEST_CASE("serve session: undo takes back a variant switch and brings back the edits it dropped") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  CHECK(std::string(session.undo_target()).empty());
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "border_stays_closed", "enabled": false})")).applied);
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.5})")).applied);
  REQUIRE(session.choose_variant("border_open").applied);
  REQUIRE(session.edits().size() == 1);  // the switch of border_stays_closed, which border_open lacks, dropped
  // The variant in use chosen again changes nothing and leaves no second step to undo.
  REQUIRE(session.choose_variant("border_open").applied);
  CHECK(session.edits().size() == 1);
  // An edit made after the switch goes first, then the switch itself.
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 3})")).applied);
  CHECK(std::string(session.undo_target()) == "edit");
  REQUIRE(session.undo());
  CHECK(session.scenario().parameters.threat_kernel_km == 2.5);
  CHECK(std::string(session.undo_target()) == "variant");
  REQUIRE(session.undo());
  CHECK(session.variant().empty());
  REQUIRE(session.edits().size() == 2);
  CHECK(session.edits()[0].id == "border_stays_closed");
  CHECK_FALSE(has_event(session.scenario(), "border_stays_closed"));
  CHECK(session.scenario().parameters.threat_kernel_km == 2.5);
  // And on back to the scenario as written.
  CHECK(std::string(session.undo_target()) == "edit");
  REQUIRE(session.undo());
  REQUIRE(session.undo());
  CHECK(session.edits().empty());
  CHECK_FALSE(session.undo());
}

TEST_CASE("serve session: an added event whose id the variant has is dropped with the edits of it") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(session
              .apply(parsed(R"({"kind": "add_event", "event": {"id": "gate_opens", "kind": "bombardment",
                                "node": "hilltown", "day": 4, "intensity": 5}})"))
              .applied);
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "gate_opens", "enabled": false})")).applied);
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.5})")).applied);
  // border_open opens the gate with an event of that id: the addition and its switch-off must not land on it.
  const auto result = session.choose_variant("border_open");
  REQUIRE(result.applied);
  REQUIRE(session.edits().size() == 1);
  CHECK(session.edits()[0].path == "parameters.threat_kernel_km");
  CHECK(has_event(session.scenario(), "gate_opens"));
  REQUIRE(result.diagnostics.all().size() == 2);
  CHECK(result.diagnostics.all()[0].message ==
        "dropped: it does not apply to variant border_open (it has an event 'gate_opens' of its own)");
  CHECK(result.diagnostics.all()[1].message ==
        "dropped: it does not apply to variant border_open (the event it edits, added by edit 1, was dropped)");
}

TEST_CASE("serve session: text that only looks like a list or has spaces round a number reads as meant") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(
      session.apply(parsed(R"({"kind": "set", "path": "events.truce.note", "value": "- check with UNHCR"})")).applied);
  const auto& events = session.scenario().events;
  const auto truce = std::find_if(events.begin(), events.end(), [](const Event& e) { return e.id == "truce"; });
  REQUIRE(truce != events.end());
  CHECK(truce->note == "- check with UNHCR");
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.truce.radius_km", "value": " 25 "})")).applied);
  CHECK(session.edits().back().listed() == "events.truce.radius_km = 25 (was 30)");
}

TEST_CASE("serve session: an edit of an event switched off is checked as if the event were on") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "strikes_south", "enabled": false})")).applied);
  // The problem may be found at the edited key, or at another one the file gives (a date after the file's `until`).
  for (const char* bad : {R"({"kind": "set", "path": "events.strikes_south.intensity", "value": -5})",
                          R"({"kind": "set", "path": "events.strikes_south.node", "value": "nowhere"})",
                          R"({"kind": "set", "path": "events.strikes_south.date", "value": "2031-01-01"})",
                          R"({"kind": "set", "path": "events.strikes_south.date", "value": "2024-04-11"})"}) {
    const std::string request = bad;
    CAPTURE(request);
    const auto result = session.apply(parsed(bad));
    CHECK_FALSE(result.applied);
    REQUIRE_FALSE(result.diagnostics.all().empty());
    CHECK(result.diagnostics.all().front().location.file.rfind("edit 2 (", 0) == 0);
    CHECK(result.diagnostics.all().front().message.find("(event strikes_south is off; this is checked as if it "
                                                        "were on)") != std::string::npos);
    CHECK(session.edits().size() == 1);
    // Never at an edit the planner did not make (the switch on that the check adds): at the file's line.
    for (const auto& d : result.diagnostics.all()) CHECK(d.message.find("on))") == std::string::npos);
  }
  {
    // The start after the file's `until`: the message names that line, as it would with the event on.
    const auto late = session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.date",
                                               "value": "2024-04-11"})"));
    REQUIRE_FALSE(late.diagnostics.all().empty());
    CHECK(late.diagnostics.all().front().message.find("(given at valley.yaml:46:") != std::string::npos);
  }
  // So may a move of an event switched off: off the globe, or with a negative radius.
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "strikes_river", "enabled": false})")).applied);
  for (const char* bad : {R"({"kind": "move_event", "id": "strikes_river", "lat": 35, "lon": -400})",
                          R"({"kind": "move_event", "id": "strikes_river", "lat": 95, "lon": 36})",
                          R"({"kind": "move_event", "id": "strikes_river", "lat": 35, "lon": 36, "radius_km": -5})"}) {
    const std::string request = bad;
    CAPTURE(request);
    const auto result = session.apply(parsed(bad));
    CHECK_FALSE(result.applied);
    REQUIRE_FALSE(result.diagnostics.all().empty());
    CHECK(result.diagnostics.all().front().location.file.rfind("edit 3 (", 0) == 0);
    CHECK(result.diagnostics.all().front().message.find("(event strikes_river is off") != std::string::npos);
    CHECK(session.edits().size() == 2);
  }
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "strikes_river", "enabled": true})")).applied);
  // A good value waits, and the event switched on takes it.
  REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.intensity", "value": 90})")).applied);
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "strikes_south", "enabled": true})")).applied);
  const auto on = std::find_if(session.scenario().events.begin(), session.scenario().events.end(),
                               [](const Event& e) { return e.id == "strikes_south"; });
  REQUIRE(on != session.scenario().events.end());
  CHECK(std::get<Bombardment>(on->action).intensity_strikes_per_day == 90.0);
}

TEST_CASE("serve session: an edit naming no item lists the ids and never suggests an index the page refuses") {
  Session session(valley(), "", Limits{});
  REQUIRE(session.ok());
  const auto refused = session.apply(parsed(R"({"kind": "set", "path": "events.added_9.intensity", "value": 3})"));
  REQUIRE_FALSE(refused.applied);
  REQUIRE_FALSE(refused.diagnostics.all().empty());
  const std::string message = refused.diagnostics.all().front().message;
  CAPTURE(message);
  CHECK(message.find("'added_9' names no item of 'events' (its ids: strikes_south, strikes_river") !=
        std::string::npos);
  CHECK(message.find("index") == std::string::npos);
  // A file's --set may still name an item by its index: it is told so there.
  const auto loaded = load_scenario_text(valley().text, "valley.yaml", LoadOptions{"", {"events.added_9.intensity=3"}});
  REQUIRE_FALSE(loaded.diagnostics.all().empty());
  CHECK(loaded.diagnostics.all().front().message.find("or by an index from 0 to") != std::string::npos);
}

TEST_CASE("serve session: a move replaces earlier edits of where an event is and a later place replaces the move") {
  const auto event_of = [](const Session& session, const std::string& id) {
    return *std::find_if(session.scenario().events.begin(), session.scenario().events.end(),
                         [&](const Event& e) { return e.id == id; });
  };
  {
    // A radius set, then a move that gives its own: the move's radius, as a fresh session's move gives.
    Session session(valley(), "", Limits{});
    REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.truce.radius_km", "value": 10})")).applied);
    REQUIRE(session
                .apply(parsed(R"({"kind": "move_event", "id": "truce", "lat": 35.6, "lon": 36.6,
                                     "radius_km": 8})"))
                .applied);
    CHECK(std::get<Ceasefire>(event_of(session, "truce").action).area.radius_km == 8.0);
    // The saved overlay gives the same.
    const auto loaded = load_with_overlay(valley(), session.overlay_yaml(), "");
    REQUIRE_FALSE(loaded.diagnostics.has_errors());
    const auto truce = std::find_if(loaded.scenario->events.begin(), loaded.scenario->events.end(),
                                    [](const Event& e) { return e.id == "truce"; });
    CHECK(std::get<Ceasefire>(truce->action).area.radius_km == 8.0);
    // A radius set after the move is the later edit: it wins.
    REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.truce.radius_km", "value": 12})")).applied);
    CHECK(std::get<Ceasefire>(event_of(session, "truce").action).area.radius_km == 12.0);
  }
  {
    // A place given, then a move to a point: the point (an event is at one or the other).
    Session session(valley(), "", Limits{});
    REQUIRE(
        session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.node", "value": "hilltown"})")).applied);
    const auto moved = session.apply(parsed(R"({"kind": "move_event", "id": "strikes_south", "lat": 35.45,
                                                "lon": 36.58})"));
    const std::string why = moved.diagnostics.all().empty() ? "" : moved.diagnostics.all().front().message;
    INFO(why);
    REQUIRE(moved.applied);
    CHECK(std::get<Bombardment>(event_of(session, "strikes_south").action).target.node == no_node);
    // And a place given after the move puts it back at a place.
    REQUIRE(
        session.apply(parsed(R"({"kind": "set", "path": "events.strikes_south.node", "value": "hilltown"})")).applied);
    const Event placed = event_of(session, "strikes_south");  // a copy: the target below refers into it
    const auto& target = std::get<Bombardment>(placed.action).target;
    CHECK(target.node != no_node);
    CHECK_FALSE(target.lat_deg);
  }
  {
    // An event the file puts at a point, given a place: at the place, moved first or not; the radius a move gave
    // stays, a radius set after the move wins.
    for (const bool move_first : {false, true}) {
      CAPTURE(move_first);
      Session session(valley(), "", Limits{});
      if (move_first) {
        REQUIRE(session
                    .apply(parsed(R"({"kind": "move_event", "id": "strikes_river", "lat": 35.6, "lon": 36.6,
                                         "radius_km": 8})"))
                    .applied);
      }
      const auto placed = session.apply(parsed(R"({"kind": "set", "path": "events.strikes_river.node",
                                                   "value": "rivertown"})"));
      const std::string why = placed.diagnostics.all().empty() ? "" : placed.diagnostics.all().front().message;
      INFO(why);
      REQUIRE(placed.applied);
      const Event river = event_of(session, "strikes_river");  // a copy: the target below refers into it
      const auto& target = std::get<Bombardment>(river.action).target;
      CHECK(target.node != no_node);
      CHECK_FALSE(target.lat_deg);
      CHECK(target.radius_km == (move_first ? 8.0 : 5.0));
      const auto loaded = load_with_overlay(valley(), session.overlay_yaml(), "");
      REQUIRE_FALSE(loaded.diagnostics.has_errors());
      const auto saved = std::find_if(loaded.scenario->events.begin(), loaded.scenario->events.end(),
                                      [](const Event& e) { return e.id == "strikes_river"; });
      CHECK(std::get<Bombardment>(saved->action).target == target);
    }
    Session session(valley(), "", Limits{});
    REQUIRE(session
                .apply(parsed(R"({"kind": "move_event", "id": "strikes_river", "lat": 35.6, "lon": 36.6,
                                     "radius_km": 8})"))
                .applied);
    REQUIRE(session.apply(parsed(R"({"kind": "set", "path": "events.strikes_river.radius_km", "value": 12})")).applied);
    REQUIRE(
        session.apply(parsed(R"({"kind": "set", "path": "events.strikes_river.node", "value": "rivertown"})")).applied);
    CHECK(std::get<Bombardment>(event_of(session, "strikes_river").action).target.radius_km == 12.0);
  }
}

TEST_CASE("serve session: an added event's text with commas and braces is kept as sent") {
  Session session(valley(), "", Limits{});
  for (const std::string note : {"hospitals, schools", "market}", "draft [2]", "a: b", "x #1", "{braces}"}) {
    CAPTURE(note);
    const nlohmann::json request = {
        {"kind", "add_event"},
        {"event", {{"kind", "bombardment"}, {"node", "hilltown"}, {"day", 3}, {"intensity", 5}, {"note", note}}}};
    const auto result = session.apply(parsed(request.dump()));
    const std::string why = result.diagnostics.all().empty() ? "" : result.diagnostics.all().front().message;
    INFO(why);
    REQUIRE(result.applied);
    CHECK(session.scenario().events.back().note == note);
    const auto loaded = load_with_overlay(valley(), session.overlay_yaml(), "");
    REQUIRE_FALSE(loaded.diagnostics.has_errors());
    CHECK(loaded.scenario->events.back().note == note);
  }
  // A set value stands on a line of its own: written as typed, and the same text again is said to change nothing.
  for (int twice = 0; twice < 2; ++twice) {
    REQUIRE(
        session.apply(parsed(R"({"kind": "set", "path": "nodes.southtown.name", "value": "South, Town"})")).applied);
  }
  CHECK(session.edits().back().listed() == "nodes.southtown.name = South, Town (unchanged)");
}
