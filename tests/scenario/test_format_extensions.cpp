// The scenario format's extensions for Flee's inputs (issue 12): armed conflict, camp and country closures, forced
// redirection, given departures, observations over a set of nodes, unlimited capacity, home country.

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "haven/scenario/load.hpp"

using namespace haven;

namespace {

const char* const flee_like = R"(scenario:
  name: flee_like
  start_date: 2020-01-01
  days: 30
nodes:
  - {id: a, kind: town, lat: 35, lon: 36, population: 1000, country: Home}
  - {id: hub, kind: transit, lat: 35.2, lon: 36, country: Home}
  - {id: host, kind: town, lat: 35.3, lon: 36, capacity: unlimited, country: Home}
  - {id: camp1, kind: camp, lat: 35.5, lon: 36, capacity: 500, country: Away}
  - {id: camp2, kind: camp, lat: 35.6, lon: 36, capacity: 500, country: Away}
home_country: Home
corridors:
  - {from: a, to: hub, length_km: 10, kind: road}
  - {from: hub, to: host, length_km: 10, kind: road, forced_redirection: true}
  - {from: hub, to: camp1, length_km: 40, kind: road}
  - {from: camp1, to: camp2, length_km: 5, kind: road}
events:
  - {id: fighting, kind: armed_conflict, node: a, day: 2, until: 20, intensity: 0.5}
  - {kind: armed_conflict, node: hub, day: 3}
  - {id: full, kind: camp_closure, node: camp2, day: 5, duration_days: 3}
  - {id: shut, kind: country_closure, countries: [Home, Away], day: 10}
  - {id: redirect_off, kind: redirection_end, corridor: hub-host, day: 12}
observations:
  - id: total
    variable: displaced_present
    nodes: [camp1, camp2]
    source: {publisher: UNHCR}
    points: [{day: 0, value: 10}, {day: 10, value: 110}]
departures: {mode: given, observation: total}
)";

std::string messages(const LoadResult& result) {
  std::ostringstream out;
  result.diagnostics.print(out);
  return out.str();
}

}  // namespace

TEST_CASE("the Flee format extensions load into the expected plain data") {
  auto result = load_scenario_text(flee_like, "flee_like.yaml");
  INFO(messages(result));
  REQUIRE(result.scenario.has_value());
  const Scenario& s = *result.scenario;
  CHECK(s.home_country == "Home");
  CHECK(std::isinf(*s.nodes[2].capacity_people));
  CHECK(s.corridors[1].forced_redirection);
  CHECK_FALSE(s.corridors[0].forced_redirection);
  REQUIRE(s.events.size() == 5);
  const auto& fighting = std::get<ArmedConflict>(s.events[0].action);
  CHECK(fighting.node == 0);
  CHECK(fighting.intensity == 0.5);
  CHECK(s.events[0].start_day == 2);
  CHECK(s.events[0].end_day == 21);
  CHECK(std::get<ArmedConflict>(s.events[1].action).intensity == 1.0);  // the default
  CHECK(s.events[1].id == "armed_conflict_2");
  CHECK(std::get<CampClosure>(s.events[2].action).node == 4);
  const auto& shut = std::get<CountryClosure>(s.events[3].action);
  CHECK(shut.country_a == "Home");
  CHECK(shut.country_b == "Away");
  CHECK(std::get<RedirectionEnd>(s.events[4].action).corridor == 1);
  CHECK(std::string(event_kind_name(s.events[4].action)) == "redirection_end");
  REQUIRE(s.observations.size() == 1);
  CHECK(s.observations[0].node == no_node);
  CHECK(s.observations[0].nodes == std::vector<NodeIndex>{3, 4});
  CHECK(s.departures.mode == DepartureMode::given);
  CHECK(s.departures.observation == "total");
}

TEST_CASE("without a departures section departures are predicted") {
  std::string text = flee_like;
  text = text.substr(0, text.find("departures:"));
  auto result = load_scenario_text(text, "flee_like.yaml");
  INFO(messages(result));
  REQUIRE(result.scenario.has_value());
  CHECK(result.scenario->departures.mode == DepartureMode::predicted);
  CHECK(result.scenario->departures.observation.empty());
}

TEST_CASE("--set switches a scenario between predicted and given departures") {
  LoadOptions options;
  options.set_overrides = {"departures.mode=predicted"};
  auto result = load_scenario_text(flee_like, "flee_like.yaml", options);
  INFO(messages(result));
  REQUIRE(result.scenario.has_value());
  CHECK(result.scenario->departures.mode == DepartureMode::predicted);
}
