#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "haven/scenario/keys.hpp"
#include "haven/serve/edit.hpp"
#include "haven/util/text.hpp"
#include "scenario/yaml_reader.hpp"
#include "yaml_text.hpp"

namespace haven::serve {

namespace {

// The sections an edit may change: never `outputs` (it names files) or `scenario` (the period and the seed are the
// scenario's own).
constexpr std::array<std::string_view, 5> editable_sections = {"events", "nodes", "corridors", "parameters", "groups"};
// Haven's kinds, and the Flee kinds a page of a Flee folder offers (a country closure needs its countries typed).
constexpr std::array<std::string_view, 11> addable_kinds = {
    "bombardment", "capture",         "corridor_closure", "corridor_opening", "border_closure", "border_opening",
    "ceasefire",   "capacity_change", "evacuation",       "armed_conflict",   "camp_closure"};
constexpr std::size_t max_path_chars = 200;
constexpr std::size_t max_value_chars = 2000;

bool plain_id(std::string_view id) {
  return !id.empty() && id.size() <= 100 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Whether `text` loads as the one scalar `scalar`.
bool reads_back_as(const std::string& text, const std::string& scalar) {
  try {
    const YAML::Node node = YAML::Load(text);
    return node.IsScalar() && node.Scalar() == scalar;
  } catch (const YAML::Exception&) {
    return false;
  }
}

// A value as one line of YAML, as the loader will read it back (`in_flow`: inside a flow line, as an added event's
// values are); nullopt (with `problem`) when the text is not one YAML value.
std::optional<std::string> canonical_value(const std::string& text, std::string& problem, bool in_flow = false) {
  if (text.size() > max_value_chars) {
    problem = fmt::format("the value is {} characters long; at most {} are taken", text.size(), max_value_chars);
    return std::nullopt;
  }
  try {
    const YAML::Node node = YAML::Load(text);
    if (!node.IsDefined() || node.IsNull() || node.IsMap()) {
      problem = "give one value (a number, a date, a name, true/false or a [list])";
      return std::nullopt;
    }
    YAML::Emitter emitter;
    emitter << YAML::Flow << YAML::DoubleQuoted << node;
    // Strings are quoted only when they must be: numbers and dates stay as typed.
    if (node.IsScalar() && !has_control_character(node.Scalar())) {
      YAML::Emitter plain;
      plain << node;
      const std::string plain_text = plain.c_str();
      // Only where it reads back as the same text: yaml-cpp writes "---" and "..." plain, which read as nothing. In
      // a flow line (an added event's values), only without flow indicators, ':' or '#': "hospitals, schools" would
      // end the note at the comma.
      if (plain_text.find('\n') == std::string::npos &&
          (!in_flow || plain_text.find_first_of(",[]{}:#") == std::string::npos) &&
          reads_back_as(plain_text, node.Scalar())) {
        return plain_text;
      }
    }
    return with_del_escaped(emitter.c_str());
  } catch (const YAML::Exception& e) {
    problem = fmt::format("not a YAML value: {}", e.msg);
    return std::nullopt;
  }
}

std::string value_text(const nlohmann::json& value, std::string& problem) {
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    if (text.find('\0') != std::string::npos) {
      problem = "the value holds a NUL character";
      return {};
    }
    // Text the page sends as typed (a number, a date, a name, a [list]) reads as YAML; text that YAML would read
    // as something else (cut at a '#', folded at a line end, a mapping, null) is taken as the text it is, quoted.
    // (Spaces around a number or a date are not part of it.)
    const auto first = text.find_first_not_of(" \t");
    const std::string trimmed =
        first == std::string::npos ? std::string() : text.substr(first, text.find_last_not_of(" \t") - first + 1);
    try {
      const YAML::Node node = YAML::Load(trimmed);
      if (trimmed.starts_with('[') && node.IsSequence() && !detail::goes_on_after_its_value(trimmed)) return trimmed;
      if (node.IsScalar() && node.Scalar() == trimmed && node.Tag() != "!" && !has_control_character(trimmed)) {
        return trimmed;
      }
    } catch (const YAML::Exception&) {
    }
    YAML::Emitter quoted;
    quoted << YAML::DoubleQuoted << text;
    return with_del_escaped(quoted.c_str());
  }
  if (value.is_number() || value.is_boolean()) return value.dump();
  problem = "'value' must be a number, true/false or text";
  return {};
}

}  // namespace

bool addable_event_kind(std::string_view kind) {
  return std::find(addable_kinds.begin(), addable_kinds.end(), kind) != addable_kinds.end();
}

std::optional<Edit> edit_from_json(const std::string& body, std::string& problem) {
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    problem = fmt::format("the request is not JSON ({})", e.what());
    return std::nullopt;
  }
  if (!request.is_object() || !request.contains("kind") || !request["kind"].is_string()) {
    problem = "an edit is a JSON object with 'kind': set, toggle_event, move_event or add_event";
    return std::nullopt;
  }
  Edit edit;
  edit.kind = request["kind"].get<std::string>();
  // Each kind's keys, and no other: a misspelt one ("radius" for radius_km, "vlaue") would leave a default in force
  // unsaid.
  const std::map<std::string, std::vector<std::string>> keys_of = {
      {"set", {"kind", "path", "value"}},
      {"toggle_event", {"kind", "id", "enabled"}},
      {"move_event", {"kind", "id", "lat", "lon", "radius_km"}},
      {"add_event", {"kind", "event"}}};
  if (const auto known = keys_of.find(edit.kind); known != keys_of.end()) {
    for (const auto& item : request.items()) {
      if (std::find(known->second.begin(), known->second.end(), item.key()) != known->second.end()) continue;
      problem = fmt::format("a '{}' edit takes no key '{}'; it takes {}", edit.kind, item.key().substr(0, 40),
                            fmt::join(known->second, ", "));
      return std::nullopt;
    }
  }
  if (edit.kind == "set") {
    if (!request.contains("path") || !request["path"].is_string() || !request.contains("value")) {
      problem = "a 'set' edit needs 'path' (e.g. parameters.threat_kernel_km) and 'value'";
      return std::nullopt;
    }
    edit.path = request["path"].get<std::string>();
    const auto section = edit.path.substr(0, edit.path.find('.'));
    const bool allowed_chars =
        std::all_of(edit.path.begin(), edit.path.end(), [](char c) { return plain_id(std::string(1, c)) || c == '.'; });
    if (edit.path.size() > max_path_chars || !allowed_chars || edit.path.find('.') == std::string::npos ||
        std::find(editable_sections.begin(), editable_sections.end(), section) == editable_sections.end()) {
      problem = fmt::format(
          "'{}' is not a path the page may edit: section.id.key under events, nodes, corridors or groups, or "
          "parameters.<name>",
          edit.path.substr(0, max_path_chars));
      return std::nullopt;
    }
    if (section != "parameters") {
      // section.item.key: the item by its id (an index moves as events are switched off or added), and neither its
      // id nor an event's kind changed (the toggles, moves and edits after it name it; a kind has its own keys).
      const auto item_end = edit.path.find('.', section.size() + 1);
      const std::string item = edit.path.substr(
          section.size() + 1, item_end == std::string::npos ? std::string::npos : item_end - section.size() - 1);
      const std::string key = edit.path.substr(edit.path.rfind('.') + 1);
      if (!item.empty() && std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        problem = fmt::format(
            "'{}': name the item by its id, not its position (positions move as events are "
            "switched off or added)",
            edit.path);
        return std::nullopt;
      }
      const bool corridor_end = section == "corridors" && (key == "from" || key == "to");
      if (item_end == std::string::npos || key == "id" || (section == "events" && key == "kind") || corridor_end) {
        problem = fmt::format(
            "'{}' cannot be edited here: {}", edit.path,
            item_end == std::string::npos ? "give section.id.key, e.g. nodes.atmeh.capacity"
            : key == "id"                 ? "an id names the item for every edit after it"
            : corridor_end ? "its ends are the road itself (and name a corridor without an id for every edit after "
                             "it); close it instead, and add roads in the scenario file"
                           : "switch the event off and add one of the other kind");
        return std::nullopt;
      }
    }
    auto text = value_text(request["value"], problem);
    if (!problem.empty()) return std::nullopt;
    auto value = canonical_value(text, problem);
    if (!value) return std::nullopt;
    edit.value = *value;
    edit.description = fmt::format("{} = {}", edit.path, edit.value);
  } else if (edit.kind == "toggle_event") {
    if (!request.contains("id") || !request["id"].is_string() || !request.contains("enabled") ||
        !request["enabled"].is_boolean()) {
      problem = "a 'toggle_event' edit needs the event's 'id' and 'enabled' (true or false)";
      return std::nullopt;
    }
    edit.id = request["id"].get<std::string>();
    edit.enabled = request["enabled"].get<bool>();
    if (!plain_id(edit.id)) {
      problem = "'id' must be an event id (letters, digits, '_' and '-')";
      return std::nullopt;
    }
    edit.description = fmt::format("event {} {}", edit.id, edit.enabled ? "on" : "off");
  } else if (edit.kind == "move_event") {
    const auto finite = [&](const char* key) {
      return request.contains(key) && request[key].is_number() && std::isfinite(request[key].get<double>());
    };
    if (!request.contains("id") || !request["id"].is_string() || !finite("lat") || !finite("lon")) {
      problem = "a 'move_event' edit needs the event's 'id' and its new centre's 'lat' and 'lon' (degrees)";
      return std::nullopt;
    }
    edit.id = request["id"].get<std::string>();
    if (!plain_id(edit.id)) {
      problem = "'id' must be an event id (letters, digits, '_' and '-')";
      return std::nullopt;
    }
    if (request.contains("radius_km") && !finite("radius_km")) {
      problem = "'radius_km' must be a number (km)";
      return std::nullopt;
    }
    // A place has no radius of its own; one centred on a point needs one (5 km unless given).
    edit.event = {
        {"lat", fmt::format("{:.5f}", request["lat"].get<double>())},
        {"lon", fmt::format("{:.5f}", request["lon"].get<double>())},
        {"radius_km", request.contains("radius_km") ? fmt::format("{}", request["radius_km"].get<double>()) : ""}};
    edit.description = fmt::format("move event {} to {}, {}", edit.id, edit.event[0].second, edit.event[1].second);
  } else if (edit.kind == "add_event") {
    if (!request.contains("event") || !request["event"].is_object()) {
      problem = "an 'add_event' edit needs 'event': {kind: ..., date: ..., ...} as a scenario file writes it";
      return std::nullopt;
    }
    const auto& event = request["event"];
    if (!event.contains("kind") || !event["kind"].is_string() ||
        !addable_event_kind(event["kind"].get<std::string>())) {
      problem = fmt::format("'event.kind' must be one of {}", fmt::join(addable_kinds, ", "));
      return std::nullopt;
    }
    const std::string kind = event["kind"].get<std::string>();
    const auto known = keys::event_keys_for(kind);
    std::vector<std::string> shown;
    for (const auto& [key, value] : event.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        problem = fmt::format("{} {} takes no key '{}' (it takes {})", indefinite_article(kind), kind,
                              key.substr(0, 40), fmt::join(known, ", "));
        return std::nullopt;
      }
      auto text = value_text(value, problem);
      if (!problem.empty()) return std::nullopt;
      auto canonical = canonical_value(text, problem, true);
      if (!canonical) {
        problem = fmt::format("event.{}: {}", key, problem);
        return std::nullopt;
      }
      if (key == "id" && !plain_id(*canonical)) {
        problem = "'event.id' must be letters, digits, '_' and '-'";
        return std::nullopt;
      }
      edit.event.emplace_back(key, *canonical);
      if (key != "kind" && key != "note") shown.push_back(fmt::format("{}: {}", key, *canonical));
    }
    edit.description = fmt::format("add {} ({})", kind, fmt::join(shown, ", "));
  } else {
    problem =
        fmt::format("unknown edit kind '{}'; kinds: set, toggle_event, move_event, add_event", edit.kind.substr(0, 40));
    return std::nullopt;
  }
  return edit;
}

}  // namespace haven::serve
