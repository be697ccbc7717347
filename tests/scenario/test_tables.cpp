// Scenario tables (nodes: {csv: nodes.csv}): the same scenario in YAML lists and in CSV tables is the same
// Scenario and runs to the same numbers on every day; problems in a table are located at its cells.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "../support.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/generate.hpp"
#include "haven/scenario/load.hpp"

using namespace haven;
namespace fs = std::filesystem;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string optional_text(const std::optional<double>& value) {
  return value ? fmt::format("{}", *value) : std::string("-");
}

std::string area_text(const Area& a) {
  return fmt::format("area({} {} {} {})", a.node, optional_text(a.lat_deg), optional_text(a.lon_deg), a.radius_km);
}

// Everything the engine reads from a Scenario, as text: doubles in their shortest exact form, so equal text is equal
// bits.
std::string describe(const Scenario& s) {
  std::string out = fmt::format("{} {} {} {} {}\n", s.name, format_iso_date(s.start_date), s.days, s.seed, s.title);
  for (const auto& g : s.groups)
    out += fmt::format("group {} {} {} {}\n", g.id, g.share, g.departure_factor, g.speed_factor);
  for (const auto& n : s.nodes) {
    out += fmt::format("node {} '{}' {} {} {} [{}] [{}] {} '{}' '{}' '{}' '{}' '{}' '{}' {}\n", n.id, n.name,
                       to_string(n.kind), n.lat_deg, n.lon_deg, fmt::join(n.residents_by_group, " "),
                       fmt::join(n.displaced_by_group, " "), optional_text(n.capacity_people), n.admin_area, n.pcode,
                       n.admin1, n.admin2, n.country, n.control, n.closed);
  }
  for (const auto& c : s.corridors) {
    out += fmt::format("corridor {} {} {} {} {} {} {} {} {}\n", c.id, c.from, c.to, c.length_km, to_string(c.kind),
                       optional_text(c.speed_km_per_day), optional_text(c.capacity_people_per_day), c.bidirectional,
                       c.closed);
  }
  for (const auto& e : s.events) {
    out += fmt::format("event {} {} {} {} '{}' ", e.id, event_kind_name(e.action), e.start_day,
                       e.end_day ? std::to_string(*e.end_day) : "-", e.note);
    out += std::visit(
        Overloaded{
            [](const Bombardment& b) { return fmt::format("{} {}", area_text(b.target), b.intensity_strikes_per_day); },
            [](const Capture& c) { return fmt::format("{} {}", c.node, c.by); },
            [](const CorridorClosure& c) { return fmt::format("{}", c.corridor); },
            [](const CorridorOpening& c) { return fmt::format("{}", c.corridor); },
            [](const BorderClosure& b) { return fmt::format("{}", b.node); },
            [](const BorderOpening& b) { return fmt::format("{}", b.node); },
            [](const Ceasefire& c) { return area_text(c.area); },
            [](const CapacityChange& c) { return fmt::format("{} {}", c.node, c.capacity_people); },
            [](const Evacuation& v) { return fmt::format("{} {} {}", v.from, v.to, v.rate_people_per_day); },
            [](const auto&) { return std::string("other kind"); }},
        e.action);
    out += "\n";
  }
  out += fmt::format("parameters {}\n", s.parameters.awareness_range_km);
  out += fmt::format("observations {} outputs {} {}\n", s.observations.size(), s.outputs.interval_days,
                     fmt::join(s.outputs.nodes, " "));
  out += fmt::format("variant '{}' '{}'\n", s.variant, s.variant_description);
  return out;
}

LoadResult load(const fs::path& path, const LoadOptions& options = {}) {
  auto result = load_scenario_file(path, options);
  std::ostringstream messages;
  result.diagnostics.print(messages);
  INFO(messages.str());
  REQUIRE(result.scenario);
  return result;
}

MemoryRecorder run(const Scenario& s, Mode mode, std::optional<int> days = std::nullopt) {
  MemoryRecorder recorder;
  Simulation simulation(s, RunConfig{.seed = s.seed, .mode = mode, .threads = 1, .days = days});
  simulation.add_observer(recorder);
  simulation.run();
  return recorder;
}

void check_same_run(const MemoryRecorder& a, const MemoryRecorder& b) {
  REQUIRE(a.days() == b.days());
  for (std::size_t d = 0; d < a.days(); ++d) {
    CAPTURE(d);
    CHECK(a.residents_[d] == b.residents_[d]);
    CHECK(a.displaced_[d] == b.displaced_[d]);
    CHECK(a.departures_[d] == b.departures_[d]);
    CHECK(a.arrivals_[d] == b.arrivals_[d]);
    CHECK(a.returns_[d] == b.returns_[d]);
    CHECK(a.waiting_[d] == b.waiting_[d]);
    CHECK(a.unsheltered_[d] == b.unsheltered_[d]);
    CHECK(a.corridor_inflow_[d] == b.corridor_inflow_[d]);
    CHECK(a.in_transit_[d] == b.in_transit_[d]);
    CHECK(a.cumulative_displaced_[d] == b.cumulative_displaced_[d]);
    CHECK(a.threat_[d] == b.threat_[d]);
    CHECK(a.capacity_[d] == b.capacity_[d]);
  }
  CHECK(a.events_.size() == b.events_.size());
}

const fs::path examples = fs::path(HAVEN_SOURCE_DIR) / "scenarios" / "examples";

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("haven_tables_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("tables - the valley as CSV tables is valley.yaml's Scenario and runs to the same numbers every day") {
  for (const std::string variant : {"", "border_open"}) {
    CAPTURE(variant);
    const auto lists = load(examples / "valley.yaml", {.variant = variant});
    const auto tables = load(examples / "valley_tables.yaml", {.variant = variant});
    CHECK(tables.diagnostics.all().empty());
    CHECK(describe(*tables.scenario) == describe(*lists.scenario));
    for (const auto mode : {Mode::stochastic, Mode::expected}) {
      check_same_run(run(*tables.scenario, mode), run(*lists.scenario, mode));
    }
  }
}

TEST_CASE("tables - the scenario a run file keeps loads alone into the same Scenario without the tables") {
  const auto tables = load(examples / "valley_tables.yaml");
  CHECK(tables.resolved_yaml.find("csv:") == std::string::npos);
  const auto alone = load_scenario_text(tables.resolved_yaml, "resolved.yaml");
  std::ostringstream messages;
  alone.diagnostics.print(messages);
  INFO(messages.str());
  REQUIRE(alone.scenario);
  CHECK(describe(*alone.scenario) == describe(*tables.scenario));
}

TEST_CASE("tables - a load that needs no run file (check and run --no-output) skips writing the tables out as lists") {
  LoadOptions quick_options;
  quick_options.want_resolved_yaml = false;
  const auto quick = load(examples / "valley_tables.yaml", quick_options);
  const auto full = load(examples / "valley_tables.yaml");
  REQUIRE(quick.scenario);
  CHECK(quick.resolved_yaml.empty());
  CHECK_FALSE(full.resolved_yaml.empty());
  CHECK(describe(*quick.scenario) == describe(*full.scenario));
  CHECK(quick.diagnostics.all().size() == full.diagnostics.all().size());
}

TEST_CASE("tables - haven generate --tables csv writes the scenario its YAML form is") {
  const fs::path dir = scratch("generate");
  const auto yaml = test::run_cli({"generate", "--nodes", "400", "--corridors", "1200", "--events", "40", "--people",
                                   "200000", "--days", "40", "-o", (dir / "lists.yaml").string()});
  REQUIRE(yaml.exit_code == 0);
  const auto csv = test::run_cli({"generate", "--nodes", "400", "--corridors", "1200", "--events", "40", "--people",
                                  "200000", "--days", "40", "--tables", "csv", "-o", (dir / "net.yaml").string()});
  INFO(csv.err);
  REQUIRE(csv.exit_code == 0);
  for (const char* table : {"net-nodes.csv", "net-corridors.csv", "net-events.csv"}) CHECK(fs::exists(dir / table));
  CHECK_FALSE(fs::exists(dir / "net.yaml.partial"));
  const auto lists = load(dir / "lists.yaml");
  const auto tables = load(dir / "net.yaml");
  CHECK(describe(*tables.scenario) == describe(*lists.scenario));
  check_same_run(run(*tables.scenario, Mode::stochastic), run(*lists.scenario, Mode::stochastic));

  // Several files need a name to go by.
  const auto no_output = test::run_cli({"generate", "--tables", "csv"});
  CHECK(no_output.exit_code == 2);
  CHECK(no_output.err ==
        "haven: error: --tables csv writes the scenario and three tables: give the scenario file with -o\n");
  fs::remove_all(dir);
}

TEST_CASE("tables - variants and --set reach an events table's rows - nodes and corridors tables say they cannot") {
  const fs::path valley = examples / "valley_tables.yaml";
  SUBCASE("--set on an event row") {
    const auto moved = load(valley, {.set_overrides = {"events.road_cut.day=12"}});
    const auto& events = moved.scenario->events;
    const auto it = std::find_if(events.begin(), events.end(), [](const Event& e) { return e.id == "road_cut"; });
    REQUIRE(it != events.end());
    CHECK(it->start_day == 12);
  }
  SUBCASE("a bad --set on an event row is blamed on the command line") {
    const auto result = load_scenario_file(valley, {.set_overrides = {"events.road_cut.day=soon"}});
    CHECK_FALSE(result.scenario);
    REQUIRE(result.diagnostics.error_count() == 1);
    CHECK(format_diagnostic(result.diagnostics.all()[0]) ==
          "command line (--set events.road_cut.day=soon): error: events.road_cut.day: expected a number, got 'soon'");
  }
  SUBCASE("--set on a node row") {
    const auto result = load_scenario_file(valley, {.set_overrides = {"nodes.hillcamp.capacity=40000"}});
    CHECK_FALSE(result.scenario);
    REQUIRE(result.diagnostics.error_count() == 1);
    CHECK(result.diagnostics.all()[0].message ==
          "nodes.hillcamp.capacity: 'nodes' comes from a table (valley_tables/nodes.csv); an edit cannot reach its "
          "rows: change the table, or give 'nodes' as a YAML list");
  }
}

TEST_CASE("tables - a table is found next to its scenario file whatever the working directory") {
  const fs::path before = fs::current_path();
  fs::current_path(fs::temp_directory_path());
  const auto result = load_scenario_file(examples / "valley_tables.yaml");
  fs::current_path(before);
  CHECK(result.scenario);
}

TEST_CASE("tables - per-group columns and optional columns and Excel's TRUE read as the YAML keys do") {
  const fs::path dir = scratch("columns");
  test::write_text(dir / "s.yaml",
                   "scenario: {name: s, start_date: 2024-01-01, days: 5}\n"
                   "groups: [{id: kids, share: 0.4}, {id: grown, share: 0.6}]\n"
                   "nodes: {csv: n.csv}\ncorridors: {csv: c.csv}\n");
  test::write_text(dir / "n.csv",
                   "id,kind,lat,lon,population.kids,population.grown,displaced,capacity,pcode,admin1,admin2,country,"
                   "control,admin_area,name,closed\n"
                   "a,town,1.5,2,400,600,10,5000,SY01,Aleppo,Jebel Saman,Syria,gov,north,\"Town, A\",\n"
                   "b,border_crossing,1.6,2.1,,,,,,,,,,,,TRUE\n"
                   "x,external,1.7,2.2,,,,,,,,,,,,\n");
  test::write_text(dir / "c.csv",
                   "from,to,length_km,kind,id,speed_km_per_day,capacity_people_per_day,bidirectional,closed\n"
                   "a,b,10,road,,25.5,3000,False,\n"
                   "b,x,2,crossing,gate,,,,true\n");
  test::write_text(dir / "l.yaml",
                   "scenario: {name: s, start_date: 2024-01-01, days: 5}\n"
                   "groups: [{id: kids, share: 0.4}, {id: grown, share: 0.6}]\n"
                   "nodes:\n"
                   "  - {id: a, kind: town, lat: 1.5, lon: 2, population: {kids: 400, grown: 600}, displaced: 10,\n"
                   "     capacity: 5000, pcode: SY01, admin1: Aleppo, admin2: Jebel Saman, country: Syria,\n"
                   "     control: gov, admin_area: north, name: 'Town, A'}\n"
                   "  - {id: b, kind: border_crossing, lat: 1.6, lon: 2.1, closed: true}\n"
                   "  - {id: x, kind: external, lat: 1.7, lon: 2.2}\n"
                   "corridors:\n"
                   "  - {from: a, to: b, length_km: 10, kind: road, speed_km_per_day: 25.5,\n"
                   "     capacity_people_per_day: 3000, bidirectional: false}\n"
                   "  - {from: b, to: x, length_km: 2, kind: crossing, id: gate, closed: true}\n");
  const auto tables = load(dir / "s.yaml");
  const auto lists = load(dir / "l.yaml");
  CHECK(describe(*tables.scenario) == describe(*lists.scenario));
  const auto alone = load_scenario_text(tables.resolved_yaml, "resolved.yaml");
  REQUIRE(alone.scenario);
  CHECK(describe(*alone.scenario) == describe(*tables.scenario));
  fs::remove_all(dir);
}

TEST_CASE(
    "tables - capacity unlimited and forced_redirection read as in the YAML form and survive the run file's copy") {
  const fs::path dir = scratch("flee_columns");
  test::write_text(dir / "s.yaml",
                   "scenario: {name: s, start_date: 2024-01-01, days: 5}\n"
                   "nodes: {csv: n.csv}\ncorridors: {csv: c.csv}\n");
  test::write_text(dir / "n.csv",
                   "id,kind,lat,lon,population,capacity\n"
                   "a,town,1.5,2,1000,\n"
                   "b,town,1.6,2.1,0,unlimited\n"
                   "c,camp,1.7,2.2,0,500\n");
  test::write_text(dir / "c.csv",
                   "from,to,length_km,kind,forced_redirection\n"
                   "a,b,10,road,\n"
                   "b,c,20,road,true\n");
  const auto tables = load(dir / "s.yaml");
  REQUIRE(tables.scenario);
  const auto check = [](const Scenario& s) {
    REQUIRE(s.nodes[1].capacity_people);
    CHECK(std::isinf(*s.nodes[1].capacity_people));
    CHECK(*s.nodes[2].capacity_people == 500.0);
    CHECK_FALSE(s.corridors[0].forced_redirection);
    CHECK(s.corridors[1].forced_redirection);
  };
  check(*tables.scenario);
  const auto alone = load_scenario_text(tables.resolved_yaml, "resolved.yaml");
  REQUIRE(alone.scenario);
  check(*alone.scenario);
  fs::remove_all(dir);
}

TEST_CASE("tables - a border crossing row without a capacity is warned about as in the YAML form") {
  const fs::path dir = scratch("crossing_warning");
  test::write_text(dir / "s.yaml",
                   "scenario: {name: s, start_date: 2024-01-01, days: 5}\n"
                   "nodes: {csv: n.csv}\ncorridors: [{from: a, to: b, length_km: 5, kind: road}]\n");
  test::write_text(dir / "n.csv",
                   "id,kind,lat,lon,population,capacity\n"
                   "a,town,1.5,2,1000,\n"
                   "b,border_crossing,1.6,2.1,,\n");
  const auto result = load_scenario_file(dir / "s.yaml");
  REQUIRE(result.scenario);
  int warnings = 0;
  for (const auto& d : result.diagnostics.all()) {
    if (d.severity == Severity::warning && d.message.find("border_crossing without 'capacity'") != std::string::npos) {
      ++warnings;
      CHECK(d.location.line == 3);
    }
  }
  CHECK(warnings == 1);
  fs::remove_all(dir);
}

TEST_CASE("tables - a nodes table without rows is an error at its header even after other errors") {
  const fs::path dir = scratch("empty");
  test::write_text(dir / "s.yaml",
                   "scenario: {name: s, start_date: 2024-01-01, days: 0}\nnodes: {csv: n.csv}\nevents: {csv: e.csv}\n");
  test::write_text(dir / "n.csv", "id,kind,lat,lon\n");
  test::write_text(dir / "e.csv", "kind,day\n");  // no events is fine
  const auto result = load_scenario_file(dir / "s.yaml");
  std::ostringstream messages;
  result.diagnostics.print(messages);
  CHECK(messages.str().find("s.yaml:1:51: error: scenario.days: must be between 1 and") != std::string::npos);
  CHECK(messages.str().find("n.csv:1:1: error: nodes: the table has no rows; it needs at least one node\n") !=
        std::string::npos);
  CHECK(result.diagnostics.error_count() == 2);
  fs::remove_all(dir);
}

TEST_CASE("tables - a country closure's two countries share one cell and an events table is bounded in rows") {
  const fs::path dir = scratch("countries");
  test::write_text(dir / "s.yaml",
                   "scenario: {name: s, start_date: 2024-01-01, days: 10}\nnodes: {csv: n.csv}\n"
                   "corridors: [{from: a, to: b, length_km: 5, kind: road}]\nevents: {csv: e.csv}\n");
  test::write_text(dir / "n.csv",
                   "id,kind,lat,lon,population,capacity,country\n"
                   "a,town,1.5,2,1000,,Homeland\n"
                   "b,camp,1.6,2.1,,500,Neighbour\n");
  test::write_text(dir / "e.csv",
                   "id,kind,countries,day\n"
                   "shut,country_closure,Homeland; Neighbour,2\n"
                   "three,country_closure,A;B;C,3\n");
  auto result = load_scenario_file(dir / "s.yaml");
  std::ostringstream messages;
  result.diagnostics.print(messages);
  // The second row's problem at its cell; the first row read as [Homeland, Neighbour].
  CHECK(messages.str() ==
        (dir / "e.csv").string() +
            ":3:23: error: events.three.countries: expected two countries (every corridor between them closes), got "
            "3\n");
  test::write_text(dir / "e.csv", "id,kind,countries,day\nshut,country_closure,Homeland; Neighbour,2\n");
  result = load_scenario_file(dir / "s.yaml");
  REQUIRE(result.scenario);
  const auto& closure = std::get<CountryClosure>(result.scenario->events.at(0).action);
  CHECK(closure.country_a == "Homeland");
  CHECK(closure.country_b == "Neighbour");
  // Each event row costs a YAML list item: more than 250,000 rows are refused at the first row too many.
  std::string rows = "kind,node,day,intensity\n";
  for (int k = 0; k < 250'001; ++k) rows += "bombardment,a,1,1\n";
  test::write_text(dir / "e.csv", rows);
  result = load_scenario_file(dir / "s.yaml");
  CHECK_FALSE(result.scenario);
  messages.str("");
  result.diagnostics.print(messages);
  CHECK(
      messages.str().find("e.csv:250002:1: error: events: more than 250000 rows, the most an events table may have") !=
      std::string::npos);
  fs::remove_all(dir);
}
