#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "haven/serve/edit.hpp"

using namespace haven::serve;

namespace {

// The problem a request is refused with; empty when it is read as an edit.
std::string refusal(const std::string& body) {
  std::string problem;
  const auto edit = edit_from_json(body, problem);
  CHECK(edit.has_value() == problem.empty());
  return problem;
}

Edit read(const std::string& body) {
  std::string problem;
  auto edit = edit_from_json(body, problem);
  INFO(problem);
  REQUIRE(edit);
  return *edit;
}

std::string set_value(const nlohmann::json& value) {
  return read(nlohmann::json{{"kind", "set"}, {"path", "events.truce.note"}, {"value", value}}.dump()).value;
}

}  // namespace

TEST_CASE("serve edit json: malformed requests are refused with what an edit needs") {
  CHECK(refusal("[1, 2").find("not JSON") != std::string::npos);
  CHECK(refusal(R"({"path": "x"})").find("'kind'") != std::string::npos);
  CHECK(refusal(R"({"kind": "rename"})").find("unknown edit kind 'rename'") != std::string::npos);
  CHECK(refusal(R"({"kind": "set", "path": "parameters.x"})").find("needs 'path'") != std::string::npos);
  CHECK(refusal(R"({"kind": "toggle_event", "id": "truce"})").find("'enabled'") != std::string::npos);
  CHECK(refusal(R"({"kind": "toggle_event", "id": "a b", "enabled": true})").find("must be an event id") !=
        std::string::npos);
  CHECK(refusal(R"({"kind": "move_event", "id": "truce", "lat": 36.1})").find("'lon'") != std::string::npos);
  CHECK(refusal(R"({"kind": "move_event", "id": "truce", "lat": 36.1, "lon": 36.6, "radius_km": "far"})")
            .find("'radius_km' must be a number") != std::string::npos);
  CHECK(refusal(R"({"kind": "add_event", "event": {"kind": "meteor"}})").find("must be one of") != std::string::npos);
  CHECK(
      refusal(R"({"kind": "add_event", "event": {"kind": "bombardment", "path": "x"}})").find("takes no key 'path'") !=
      std::string::npos);
  CHECK(refusal(R"({"kind": "add_event", "event": {"kind": "bombardment", "id": "a b"}})").find("'event.id' must be") !=
        std::string::npos);
  // A key the kind does not take is named, not ignored (the 5 km default radius would have been used unsaid).
  CHECK(refusal(R"({"kind": "move_event", "id": "strikes", "lat": 35.5, "lon": 36.6, "radius": 20})") ==
        "a 'move_event' edit takes no key 'radius'; it takes kind, id, lat, lon, radius_km");
  CHECK(refusal(R"({"kind": "set", "path": "parameters.threat_kernel_km", "vlaue": 3, "value": 2})") ==
        "a 'set' edit takes no key 'vlaue'; it takes kind, path, value");
  CHECK(refusal(R"({"kind": "toggle_event", "id": "truce", "enabled": true, "on": 1})").find("takes no key 'on'") !=
        std::string::npos);
  CHECK(refusal(R"({"kind": "add_event", "event": {"kind": "ceasefire"}, "day": 3})").find("takes no key 'day'") !=
        std::string::npos);
}

TEST_CASE("serve edit json: a set edit names an editable key of an item by its id") {
  CHECK(refusal(R"({"kind": "set", "path": "outputs.path", "value": "/etc/x"})").find("not a path the page may edit") !=
        std::string::npos);
  CHECK(refusal(R"({"kind": "set", "path": "scenario.seed", "value": 3})").find("not a path the page may edit") !=
        std::string::npos);
  CHECK(refusal(R"({"kind": "set", "path": "events.2.intensity", "value": 3})").find("by its id") != std::string::npos);
  CHECK(refusal(R"({"kind": "set", "path": "events.truce.id", "value": "x"})").find("an id names the item") !=
        std::string::npos);
  CHECK(refusal(R"({"kind": "set", "path": "events.truce.kind", "value": "capture"})").find("switch the event off") !=
        std::string::npos);
  CHECK(refusal(R"({"kind": "set", "path": "corridors.r1.to", "value": "x"})").find("its ends are the road") !=
        std::string::npos);
  CHECK(refusal(R"({"kind": "set", "path": "nodes.town", "value": 3})").find("give section.id.key") !=
        std::string::npos);
  const Edit edit = read(R"({"kind": "set", "path": "parameters.threat_kernel_km", "value": 1.5})");
  CHECK(edit.value == "1.5");
  CHECK(edit.description == "parameters.threat_kernel_km = 1.5");
}

TEST_CASE("serve edit json: values are read as typed and text that YAML would read otherwise is quoted") {
  CHECK(set_value(" 25 ") == "25");
  CHECK(set_value("2024-04-02") == "2024-04-02");
  CHECK(set_value("[a, b]") == "[\"a\", \"b\"]");
  CHECK(set_value(true) == "true");
  CHECK(set_value("plain words") == "plain words");
  CHECK(set_value("Aleppo # 2") == "\"Aleppo # 2\"");
  CHECK(set_value("x: y") == "\"x: y\"");
  CHECK(set_value("null") == "\"null\"");
  CHECK(set_value("- check") == "\"- check\"");
  // A name that starts like a list is a name: yaml-cpp read "[North] Camp" as [North], dropping the rest.
  CHECK(set_value("[North] Camp") == "\"[North] Camp\"");
  CHECK(set_value("[a, \"b]\\\"\"] x") == "\"[a, \\\"b]\\\\\\\"\\\"] x\"");
  CHECK(set_value("['a]', b]") == "[\"a]\", \"b\"]");
  // YAML's document markers are text, not nothing.
  CHECK(set_value("---") == "\"---\"");
  CHECK(set_value("...") == "\"...\"");
  // Control characters are escaped, DEL included (yaml-cpp writes it raw).
  CHECK(set_value("a\rb") == "\"a\\rb\"");
  CHECK(set_value("a\x7f"
                  "b") == "\"a\\x7Fb\"");
  CHECK(refusal(
            nlohmann::json{{"kind", "set"}, {"path", "events.truce.note"}, {"value", std::string("a\0b", 3)}}.dump()) ==
        "the value holds a NUL character");
  CHECK(
      refusal(nlohmann::json{{"kind", "set"}, {"path", "events.truce.note"}, {"value", std::string(2001, 'x')}}.dump())
          .find("at most 2000") != std::string::npos);
}

TEST_CASE("serve edit json: a moved event carries its centre and an added one its keys as the file writes them") {
  const Edit moved = read(R"({"kind": "move_event", "id": "strike", "lat": 36.123456, "lon": 36.6})");
  REQUIRE(moved.event.size() == 3);
  CHECK(moved.event[0] == std::pair<std::string, std::string>("lat", "36.12346"));
  CHECK(moved.event[1] == std::pair<std::string, std::string>("lon", "36.60000"));
  CHECK(moved.event[2].second.empty());  // no radius given: the session gives one
  const Edit added =
      read(R"({"kind": "add_event", "event": {"kind": "border_opening", "id": "open", "node": "border", "day": 3}})");
  CHECK(added.added_id() == "open");
  // The keys as the JSON object reads them (by name).
  CHECK(added.description == "add border_opening (day: 3, id: open, node: border)");
}
