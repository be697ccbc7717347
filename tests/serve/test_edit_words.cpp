#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "haven/serve/edit.hpp"
#include "haven/serve/session.hpp"
#include "serve/edit_words.hpp"
#include "valley_source.hpp"

using namespace haven;
using namespace haven::serve;

namespace {

Edit parsed(const std::string& json) {
  return testing::parsed_edit(json);
}

// Applies the edits in order and gives the last one in words.
std::vector<std::string> worded(Session& session, const std::vector<std::string>& edits) {
  std::vector<std::string> words;
  for (const auto& json : edits) {
    const auto result = session.apply(parsed(json));
    INFO(json);
    REQUIRE(result.applied);
    words.push_back(EditWords(session)(session.edits().back()));
  }
  return words;
}

}  // namespace

TEST_CASE("serve edit words: events by kind and place with places and roads by name and parameters with their units") {
  Session session(testing::valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const auto words = worded(session, {R"({"kind": "set", "path": "events.strikes_south.intensity", "value": 30})",
                                      R"({"kind": "toggle_event", "id": "strikes_south", "enabled": false})",
                                      R"({"kind": "set", "path": "events.road_cut.date", "value": "2024-03-12"})",
                                      R"({"kind": "set", "path": "events.elderly_evacuation.rate", "value": 900})",
                                      R"({"kind": "set", "path": "nodes.rivertown.capacity", "value": 9000})",
                                      R"({"kind": "set", "path": "corridors.frontline_road.closed", "value": true})",
                                      R"({"kind": "set", "path": "corridors.frontline_road.closed", "value": false})",
                                      R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 1.5})",
                                      R"({"kind": "set", "path": "parameters.return_rate_per_day", "value": 0.02})",
                                      R"({"kind": "toggle_event", "id": "truce", "enabled": false})"});
  CHECK(words == std::vector<std::string>{
                     "bombardment · South Town: intensity 30 (was 60)",
                     "bombardment · South Town: off",
                     // Dates as the page writes them.
                     "corridor closure · South Town – Capital: from 12 Mar 2024 (was 11 Mar 2024)",
                     "evacuation · River Town → Mid City: rate 900 (was 1,500)",
                     "River Town: capacity 9,000 (was 58,500 by default)",
                     "road South Town – Capital: closed (was false)",
                     "road South Town – Capital: opened (was true)",
                     "threat kernel 1.5 km (was 1)",
                     "return rate 0.02 per day (was 0.01)",
                     // Centred on a point: the place within 15 km of it.
                     "ceasefire · near River Town: off",
                 });
}

TEST_CASE("serve edit words: a moved event keeps the name the scenario gives it and an added one says where it is") {
  Session session(testing::valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const auto words = worded(
      session, {R"({"kind": "move_event", "id": "strikes_south", "lat": 35.9, "lon": 36.9})",
                R"({"kind": "set", "path": "events.strikes_south.intensity", "value": 20})",
                R"({"kind": "add_event", "event": {"kind": "ceasefire", "date": "2024-03-10"}})",
                R"({"kind": "toggle_event", "id": "added_1", "enabled": false})",
                R"({"kind": "add_event", "event": {"kind": "bombardment", "lat": 36.05, "lon": 36.41, "radius_km": 5,
           "date": "2024-03-10", "intensity": 10}})",
                R"({"kind": "set", "path": "events.added_2.intensity", "value": 12})"});
  CHECK(words[0] == "bombardment · South Town: moved to 35.90000, 36.90000");
  CHECK(words[1] == "bombardment · South Town: intensity 20 (was 60)");
  // An added event's own edit says what it adds, where and from when (as the list of events names it) and the rest
  // it was given; its later edits name it by kind and place.
  CHECK(words[2] == "added ceasefire · everywhere from 10 Mar 2024");
  CHECK(words[4] == "added bombardment · near Hill Camp from 10 Mar 2024 (intensity 10, radius 5 km)");
  CHECK(words[3] == "ceasefire · everywhere: off");
  CHECK(words[5] == "bombardment · near Hill Camp: intensity 12 (was 10)");
}

TEST_CASE("serve edit words: a variant's events and groups and switches and an added event switched off before it") {
  Session session(testing::valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const auto words = worded(
      session, {R"({"kind": "set", "path": "groups.elderly.speed_factor", "value": 0.5})",
                // A switch as the loader reads it: 1.0 is on.
                R"({"kind": "set", "path": "parameters.flee_start_on_foot", "value": 1.0})",
                R"({"kind": "add_event", "event": {"kind": "capacity_change", "node": "hillcamp", "date": "2024-03-10",
                    "capacity": 30000}})",
                R"({"kind": "toggle_event", "id": "added_1", "enabled": false})"});
  CHECK(words[0] == "group elderly: speed factor 0.5 (was 0.7)");
  CHECK(words[1] == "flee start on foot: on (was off)");
  CHECK(words[3] == "capacity change · Hill Camp: off");
  // Under a variant its own events are named, and the added event switched off before the switch still is (no
  // scenario loaded since holds it).
  REQUIRE(session.choose_variant("border_open").applied);
  REQUIRE(session.apply(parsed(R"({"kind": "toggle_event", "id": "gate_opens", "enabled": false})")).applied);
  const EditWords now(session);
  std::vector<std::string> listed;
  for (const auto& edit : session.edits()) listed.push_back(now(edit));
  REQUIRE(listed.size() == 5);
  CHECK(listed[3] == "capacity change · Hill Camp: off");
  CHECK(listed[4] == "border opening · North Gate: off");
}

TEST_CASE("serve edit words: a point is near the nearest place within 15 km great-circle and else near none") {
  // Two places 20 km apart on a meridian (a degree of latitude is 111.195 km on the 6371 km sphere).
  constexpr double km_per_degree = 6371.0 * 3.14159265358979323846 / 180.0;
  Scenario scenario;
  Node north;
  north.name = "North";
  north.lat_deg = 36.0 + 20.0 / km_per_degree;
  north.lon_deg = 37.0;
  Node south;
  south.name = "South";
  south.lat_deg = 36.0;
  south.lon_deg = 37.0;
  scenario.nodes = {north, south};
  const auto near_at = [&](double km_north_of_south) {
    return place_near(scenario, 36.0 + km_north_of_south / km_per_degree, 37.0);
  };
  CHECK(near_at(0.0) == "South");
  CHECK(near_at(8.0) == "South");
  CHECK(near_at(12.0) == "North");  // the nearer of two within 15 km
  CHECK(near_at(-14.9) == "South");
  CHECK(near_at(-15.1).empty());  // beyond 15 km of both
  CHECK(near_at(35.1).empty());
  CHECK(near_at(34.9) == "North");
}
