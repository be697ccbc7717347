#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "haven/scenario/load.hpp"

using namespace haven;

namespace {

const char* const small = R"(scenario:
  name: small
  start_date: 2020-01-01
  end_date: 2020-01-31
groups:
  - {id: children, share: 0.4, departure_factor: 1.5}
  - {id: adults, share: 0.6}
nodes:
  - {id: a, kind: town, lat: 35, lon: 36, population: 1001}
  - {id: b, kind: camp, lat: 35.5, lon: 36, population: {children: 10, adults: 20}, capacity: 500, displaced: 100}
  - {id: gate, kind: border_crossing, lat: 36, lon: 36, capacity: 2000, closed: true}
corridors:
  - {from: a, to: b, length_km: 40, kind: road, capacity_people_per_day: 100}
  - {id: crossing, from: b, to: gate, length_km: 5, kind: crossing, bidirectional: false}
events:
  - {id: hit, kind: bombardment, node: a, date: 2020-01-03, until: 2020-01-10, intensity: 3}
  - {kind: bombardment, lat: 35.02, lon: 36.02, radius_km: 4, day: 2, intensity: 1}
  - {id: open, kind: border_opening, node: gate, day: 20}
  - {kind: evacuation, from: a, to: b, day: 5, duration_days: 3, rate: 50}
parameters:
  return_rate_per_day: 0.05
observations:
  - id: obs
    variable: cumulative_displaced
    source: {publisher: Test}
    points:
      - {date: 2020-01-10, value: 500}
      - {day: 20, value: 700, weight: 0.5}
variants:
  shut:
    description: the gate never opens
    remove_events: [open]
    parameters: {return_rate_per_day: 0.1}
  wide:
    add_events:
      - {id: truce, kind: ceasefire, day: 8, duration_days: 5}
    set:
      nodes.b.capacity: 900
)";

Scenario load_ok(const LoadOptions& options = {}) {
  auto result = load_scenario_text(small, "small.yaml", options);
  INFO(([&] {
    std::ostringstream out;
    result.diagnostics.print(out);
    return out.str();
  }()));
  REQUIRE(result.scenario.has_value());
  return *result.scenario;
}

}  // namespace

TEST_CASE("a good scenario loads into the expected plain data") {
  const Scenario s = load_ok();
  CHECK(s.name == "small");
  CHECK(s.days == 31);
  CHECK(s.seed == 1);
  REQUIRE(s.groups.size() == 2);
  CHECK(s.groups[0].departure_factor == 1.5);
  CHECK(s.groups[1].departure_factor == 1.0);
  REQUIRE(s.nodes.size() == 3);
  // 1001 split 0.4/0.6 by largest remainder: 400.4 -> 400, 600.6 -> 601.
  CHECK(s.nodes[0].residents_by_group == std::vector<std::int64_t>{400, 601});
  CHECK(s.nodes[1].residents_by_group == std::vector<std::int64_t>{10, 20});
  CHECK(s.nodes[1].displaced_by_group == std::vector<std::int64_t>{40, 60});
  CHECK(s.nodes[1].capacity_people == 500.0);
  CHECK_FALSE(s.nodes[0].capacity_people.has_value());
  CHECK(s.nodes[2].closed);
  REQUIRE(s.corridors.size() == 2);
  CHECK(s.corridors[0].id == "a-b");
  CHECK(s.corridors[0].capacity_people_per_day == 100.0);
  CHECK(s.corridors[1].id == "crossing");
  CHECK_FALSE(s.corridors[1].bidirectional);
  CHECK(s.corridors[1].kind == CorridorKind::crossing);
  REQUIRE(s.events.size() == 4);
  CHECK(s.events[0].id == "hit");
  CHECK(s.events[0].start_day == 2);
  CHECK(s.events[0].end_day == 10);  // until is inclusive
  CHECK(std::get<Bombardment>(s.events[0].action).target.node == 0);
  CHECK(s.events[1].id == "bombardment_2");
  CHECK_FALSE(s.events[1].end_day.has_value());
  CHECK(std::get<Bombardment>(s.events[1].action).target.radius_km == 4.0);
  CHECK(std::get<BorderOpening>(s.events[2].action).node == 2);
  CHECK(s.events[3].end_day == 8);
  CHECK(std::get<Evacuation>(s.events[3].action).rate_people_per_day == 50.0);
  CHECK(s.parameters.return_rate_per_day == 0.05);
  CHECK(s.parameters.awareness_range_km == 120.0);
  REQUIRE(s.observations.size() == 1);
  REQUIRE(s.observations[0].points.size() == 2);
  CHECK(s.observations[0].points[0].day == 9);
  CHECK(s.observations[0].points[1].weight == 0.5);
  CHECK(s.variant_names == std::vector<std::string>{"shut", "wide"});
  CHECK(s.total_population() == 1001 + 30 + 100);
}

TEST_CASE("a variant removes and adds and overrides on top of the base") {
  const Scenario shut = load_ok({.variant = "shut"});
  CHECK(shut.variant == "shut");
  CHECK(shut.variant_description == "the gate never opens");
  CHECK(shut.events.size() == 3);
  for (const auto& e : shut.events) CHECK(e.id != "open");
  CHECK(shut.parameters.return_rate_per_day == 0.1);

  const Scenario wide = load_ok({.variant = "wide"});
  CHECK(wide.variant_description.empty());
  CHECK(wide.events.size() == 5);
  CHECK(wide.events.back().id == "truce");
  CHECK(std::get<Ceasefire>(wide.events.back().action).area.node == no_node);
  CHECK(wide.nodes[1].capacity_people == 900.0);
}

TEST_CASE("--set overrides go through the same validation as the file") {
  const Scenario s = load_ok({.set_overrides = {"parameters.awareness_range_km=80", "nodes.a.population=5",
                                                "scenario.seed=99", "corridors.crossing.length_km=7"}});
  CHECK(s.parameters.awareness_range_km == 80.0);
  CHECK(s.nodes[0].residents_by_group == std::vector<std::int64_t>{2, 3});
  CHECK(s.seed == 99);
  CHECK(s.corridors[1].length_km == 7.0);

  auto bad = load_scenario_text(small, "small.yaml", {.set_overrides = {"parameters.awareness_range_km=-1"}});
  CHECK_FALSE(bad.scenario);
  REQUIRE(bad.diagnostics.all().size() == 1);
  CHECK(format_diagnostic(bad.diagnostics.all()[0]) ==
        "command line (--set parameters.awareness_range_km=-1): error: parameters.awareness_range_km: must be "
        "between 1 and 5000, got -1");

  auto typo = load_scenario_text(small, "small.yaml", {.set_overrides = {"parameters.awarenes_range_km=10"}});
  REQUIRE(typo.diagnostics.all().size() == 1);
  CHECK(typo.diagnostics.all()[0].message ==
        "parameters: unknown key 'awarenes_range_km'; did you mean 'awareness_range_km'?");

  // An event's start is its day or its date, and its end its until or duration_days: setting one replaces the
  // other, whichever the file gave (haven serve sets a date on an imported Flee event that has a day).
  const Scenario moved = load_ok({.set_overrides = {"events.open.date=2020-01-25", "events.hit.day=4",
                                                    "events.3.until=2020-01-09", "events.hit.duration_days=2"}});
  CHECK(moved.events[2].start_day == 24);
  CHECK(moved.events[0].start_day == 4);
  CHECK(moved.events[0].end_day == 6);
  CHECK(moved.events[3].start_day == 5);
  CHECK(moved.events[3].end_day == 9);

  // A value that goes on after its value is refused (yaml-cpp would keep [North], or North, and drop the rest);
  // quoted, it is the text.
  auto list_then_text = load_scenario_text(small, "small.yaml", {.set_overrides = {"nodes.a.name=[North] Camp"}});
  REQUIRE(list_then_text.diagnostics.all().size() == 1);
  CHECK(list_then_text.diagnostics.all()[0].message ==
        "[North] Camp goes on after its value: YAML reads the start alone and drops the rest; to give it all as "
        "text, quote it: \"[North] Camp\"");
  // Text that YAML cannot read (it starts with one of YAML's signs) gets the same hint.
  const auto sign = load_scenario_text(small, "small.yaml", {.set_overrides = {"nodes.a.name=@SUM(1+1)"}});
  REQUIRE(sign.diagnostics.all().size() == 1);
  CHECK(sign.diagnostics.all()[0].message.ends_with("; if it is text, quote it: \"@SUM(1+1)\""));
  for (const char* value : {"\"North\" Camp", "[North's] Camp", "{a: b} c", "x\n---\ny"}) {
    CAPTURE(value);
    const auto refused =
        load_scenario_text(small, "small.yaml", {.set_overrides = {std::string("nodes.a.name=") + value}});
    REQUIRE(refused.diagnostics.all().size() == 1);
    CHECK(refused.diagnostics.all()[0].message.find("goes on after its value") != std::string::npos);
  }
  CHECK(load_ok({.set_overrides = {"nodes.a.name=\"[North] Camp\""}}).nodes[0].name == "[North] Camp");

  // A variant and --set compose: the override wins.
  const Scenario both = load_ok({.variant = "shut", .set_overrides = {"parameters.return_rate_per_day=0.2"}});
  CHECK(both.parameters.return_rate_per_day == 0.2);
}

TEST_CASE("the resolved document records the variant and overrides") {
  auto result = load_scenario_text(small, "small.yaml", {.variant = "wide", .set_overrides = {"scenario.seed=7"}});
  REQUIRE(result.scenario);
  CHECK(result.resolved_yaml.find("truce") != std::string::npos);
  CHECK(result.resolved_yaml.find("seed: 7") != std::string::npos);
  // The resolved document is itself a valid scenario that loads to the same thing.
  auto again = load_scenario_text(result.resolved_yaml, "resolved.yaml");
  REQUIRE(again.scenario);
  CHECK(again.scenario->events.size() == result.scenario->events.size());
  CHECK(again.scenario->seed == 7);
}

TEST_CASE("a load may skip writing the edited document out (haven serve does on every edit)") {
  LoadOptions options{.variant = "wide", .set_overrides = {"scenario.seed=7"}};
  options.want_resolved_yaml = false;
  auto quick = load_scenario_text(small, "small.yaml", options);
  REQUIRE(quick.scenario);
  CHECK(quick.resolved_yaml.empty());
  CHECK(quick.scenario->seed == 7);
  auto full = load_scenario_text(small, "small.yaml", {.variant = "wide", .set_overrides = {"scenario.seed=7"}});
  REQUIRE(full.scenario);
  CHECK(quick.scenario->events.size() == full.scenario->events.size());
  CHECK(quick.diagnostics.all().size() == full.diagnostics.all().size());
}

TEST_CASE("the shipped example scenario is valid with all its variants") {
  auto result = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", {.all_variants = true});
  std::ostringstream messages;
  result.diagnostics.print(messages);
  INFO(messages.str());
  REQUIRE(result.scenario);
  CHECK_FALSE(result.diagnostics.has_errors());
  CHECK(result.scenario->nodes.size() == 9);
}

TEST_CASE("a scenario seed keeps all 64 bits in decimal or hex and round-trips through the resolved YAML") {
  // Named members, not a structured binding: clang cannot capture one in doctest's CAPTURE lambda under OpenMP.
  for (const auto& example :
       std::vector<std::pair<std::string, std::uint64_t>>{{"18446744073709551615", UINT64_MAX},
                                                          {"9007199254740993", 9007199254740993ULL},
                                                          {"0xfedcba9876543210", 0xfedcba9876543210ULL},
                                                          {"'0xfedcba9876543210'", 0xfedcba9876543210ULL},
                                                          {"1e3", 1000}}) {
    const std::string& text = example.first;
    const std::uint64_t expected = example.second;
    CAPTURE(text);
    auto result = load_scenario_text(small, "small.yaml", {.set_overrides = {"scenario.seed=" + text}});
    REQUIRE(result.scenario);
    CHECK(result.scenario->seed == expected);
    auto again = load_scenario_text(result.resolved_yaml, "resolved.yaml");
    REQUIRE(again.scenario);
    CHECK(again.scenario->seed == expected);
  }
  for (const std::string bad : {"18446744073709551616", "-1", "4.5", "1e30", "[1]"}) {
    CAPTURE(bad);
    auto result = load_scenario_text(small, "small.yaml", {.set_overrides = {"scenario.seed=" + bad}});
    CHECK_FALSE(result.scenario);
    REQUIRE(result.diagnostics.all().size() == 1);
    CHECK(result.diagnostics.all()[0].message.find("scenario.seed: expected a seed (a whole number from 0 to "
                                                   "18446744073709551615") == 0);
  }
}

TEST_CASE("edits deep in nested lists change only their own value in the base and in every variant") {
  // Edits copy only the containers on their path and share the rest with the first parse; a copy must never
  // rewrite what it shares (yaml-cpp's Node assignment rewrites the node assigned to).
  const auto path = std::filesystem::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml";
  auto loaded = load_scenario_file(path, {.set_overrides = {"observations.0.points.0.weight=0",
                                                            "observations.displaced_reported.points[2].value=7"}});
  REQUIRE(loaded.scenario);
  const auto& observation = loaded.scenario->observations.at(0);
  REQUIRE(observation.points.size() == 3);
  CHECK(observation.points[0].weight == 0.0);
  CHECK(observation.points[1].weight == 1.0);
  CHECK(observation.points[2].value == 7.0);
  CHECK(observation.id == "displaced_reported");
  // Every variant resolved from the same parse still sees the file's own values.
  auto all = load_scenario_file(path, {.all_variants = true});
  REQUIRE(all.scenario);
  for (const auto& name : all.scenario->variant_names) {
    auto variant = load_scenario_file(path, {.variant = name});
    REQUIRE(variant.scenario);
    CHECK(variant.scenario->nodes.size() == all.scenario->nodes.size());
  }
  CHECK_FALSE(all.diagnostics.has_errors());
}

TEST_CASE("a scenario is one YAML document: a second one is an error - not dropped") {
  const auto message = [](const LoadResult& result) {
    std::ostringstream out;
    result.diagnostics.print(out);
    return out.str();
  };
  // A '---' that begins the document, a '...' that ends it, and comments after it are all one document.
  const std::string framed = std::string("# a comment\n---\n") + small + "...\n# the end\n\n";
  const auto one = load_scenario_text(framed, "framed.yaml", {});
  CHECK_MESSAGE(one.scenario.has_value(), message(one));
  // A directive before the '---' (PyYAML writes one with version=(1, 2)), and an empty document after the first:
  // nothing is dropped.
  const std::string directed = std::string("%YAML 1.2\n---\n") + small + "---\n# nothing\n";
  const auto direct = load_scenario_text(directed, "directed.yaml", {});
  CHECK_MESSAGE(direct.scenario.has_value(), message(direct));

  // What YAML::Load leaves unread after a second '---' would silently be lost (here, the parameters).
  const std::string two = std::string(small) + "---\nparameters: {return_rate_per_day: 0.5}\n";
  const auto second = load_scenario_text(two, "two.yaml", {});
  CHECK_FALSE(second.scenario.has_value());
  const auto line = static_cast<int>(std::count(small, small + std::strlen(small), '\n')) + 1;
  CHECK(message(second).find(fmt::format("two.yaml:{}:1: error: a second YAML document starts here", line)) !=
        std::string::npos);

  const std::string ended = std::string(small) + "...\n\nparameters: {return_rate_per_day: 0.5}\n";
  const auto after = load_scenario_text(ended, "ended.yaml", {});
  CHECK_FALSE(after.scenario.has_value());
  CHECK(message(after).find(fmt::format("ended.yaml:{}:1: error: this follows the end of the YAML document ('...' at "
                                        "line {})",
                                        line + 2, line)) != std::string::npos);
}
