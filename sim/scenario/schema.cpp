#include "haven/scenario/schema.hpp"

#include <fmt/format.h>

#include <map>

#include "haven/scenario/keys.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

template <typename Strings>
std::string string_array(const Strings& items) {
  std::string out = "[";
  bool first = true;
  for (const auto& item : items) {
    out += (first ? "" : ", ") + quoted(item);
    first = false;
  }
  return out + "]";
}

// An object schema whose properties are exactly `keys`; `types` gives a schema per key (default: any).
template <typename Keys>
std::string object(const Keys& keys, const std::map<std::string_view, std::string>& types,
                   std::initializer_list<std::string_view> required = {}, std::string_view description = {}) {
  std::string out = "{\"type\": \"object\", \"additionalProperties\": false";
  if (!description.empty()) out += ", \"description\": " + quoted(description);
  out += ", \"properties\": {";
  bool first = true;
  for (const auto& key : keys) {
    auto it = types.find(key);
    out += fmt::format("{}{}: {}", first ? "" : ", ", quoted(key), it == types.end() ? "{}" : it->second);
    first = false;
  }
  out += "}";
  if (required.size() > 0) out += ", \"required\": " + string_array(required);
  return out + "}";
}

const std::string number = R"({"type": "number"})";
const std::string text = R"({"type": "string"})";
const std::string boolean = R"({"type": "boolean"})";
const std::string date = R"({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})";
const std::string identifier = R"({"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,63}$"})";
const std::string whole = R"({"type": "integer", "minimum": 0})";
const std::string seed =
    R"({"anyOf": [{"type": "integer", "minimum": 0, "maximum": 18446744073709551615}, {"type": "string", "pattern": "^(0[xX][0-9A-Fa-f_]+|[0-9_]+)$"}]})";
const std::string day_or_date = R"({"anyOf": [{"type": "integer", "minimum": 0}, {"$ref": "#/$defs/date"}]})";
const std::string population =
    R"({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}]})";

std::string parameters_schema() {
  std::map<std::string_view, std::string> types;
  for (const auto& spec : parameter_specs) {
    const std::string description = quoted(fmt::format("{} [{}]", spec.meaning, spec.units));
    switch (spec.kind) {
      case ParameterKind::on_off:
        types[spec.name] =
            fmt::format(R"({{"anyOf": [{{"enum": [0, 1]}}, {{"type": "boolean"}}], "default": {}, "description": {}}})",
                        spec.default_value, description);
        break;
      case ParameterKind::whole:
      case ParameterKind::real:
        types[spec.name] =
            fmt::format(R"({{"type": "{}", "minimum": {}, "maximum": {}, "default": {}, "description": {}}})",
                        spec.kind == ParameterKind::whole ? "integer" : "number", spec.minimum, spec.maximum,
                        spec.default_value, description);
        break;
    }
  }
  return object(parameter_names(), types, {}, "model parameters overriding the defaults (haven params)");
}

std::string event_schema() {
  std::map<std::string_view, std::string> types = {
      {"id", identifier},
      {"kind", fmt::format(R"({{"enum": {}}})", string_array(event_kind_names))},
      {"day", whole},
      {"date", date},
      {"duration_days", R"({"type": "integer", "minimum": 1})"},
      {"until", day_or_date},
      {"note", text},
      {"node", text},
      {"lat", R"({"type": "number", "minimum": -90, "maximum": 90})"},
      {"lon", R"({"type": "number", "minimum": -180, "maximum": 180})"},
      {"radius_km", R"({"type": "number", "minimum": 0})"},
      {"intensity",
       R"({"type": "number", "minimum": 0, "description": "bombardment: strikes per day; armed_conflict: Flee conflict intensity, 0 to 1"})"},
      {"by", text},
      {"corridor", text},
      {"capacity", R"({"type": "number", "minimum": 0})"},
      {"from", text},
      {"to", text},
      {"rate", R"({"type": "number", "minimum": 0, "description": "people per day"})"},
      {"countries", R"({"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2})"}};
  return object(keys::event_all, types, {"kind"});
}

}  // namespace

std::string scenario_json_schema() {
  const std::string source = object(keys::source, {{"publisher", text}, {"url", text}, {"note", text}}, {"publisher"});
  const std::string scenario = object(keys::scenario,
                                      {{"name", identifier},
                                       {"title", text},
                                       {"description", text},
                                       {"start_date", date},
                                       {"end_date", date},
                                       {"days", R"({"type": "integer", "minimum": 1})"},
                                       {"seed", seed},
                                       {"sources", fmt::format(R"({{"type": "array", "items": {}}})", source)}},
                                      {"name", "start_date"});
  const std::string group = object(keys::group,
                                   {{"id", identifier},
                                    {"share", R"({"type": "number", "minimum": 0, "maximum": 1})"},
                                    {"departure_factor", R"({"type": "number", "minimum": 0})"},
                                    {"speed_factor", R"({"type": "number", "exclusiveMinimum": 0})"}},
                                   {"id", "share"});
  const std::string node =
      object(keys::node,
             {{"id", identifier},
              {"name", text},
              {"kind", fmt::format(R"({{"enum": {}}})", string_array(node_kind_names))},
              {"lat", R"({"type": "number", "minimum": -90, "maximum": 90})"},
              {"lon", R"({"type": "number", "minimum": -180, "maximum": 180})"},
              {"population", population},
              {"displaced", population},
              {"capacity", R"({"anyOf": [{"type": "number", "minimum": 0}, {"const": "unlimited"}]})"},
              {"admin_area", text},
              {"country", text},
              {"control", text},
              {"closed", boolean},
              {"pcode", text},
              {"admin1", text},
              {"admin2", text}},
             {"id", "kind", "lat", "lon"});
  const std::string corridor = object(keys::corridor,
                                      {{"id", identifier},
                                       {"from", text},
                                       {"to", text},
                                       {"length_km", R"({"type": "number", "exclusiveMinimum": 0})"},
                                       {"kind", fmt::format(R"({{"enum": {}}})", string_array(corridor_kind_names))},
                                       {"speed_km_per_day", R"({"type": "number", "exclusiveMinimum": 0})"},
                                       {"capacity_people_per_day", R"({"type": "number", "minimum": 1})"},
                                       {"bidirectional", boolean},
                                       {"closed", boolean},
                                       {"forced_redirection", boolean}},
                                      {"from", "to", "length_km", "kind"});
  const std::string point = object(keys::observation_point,
                                   {{"day", whole},
                                    {"date", date},
                                    {"value", R"({"type": "number", "minimum": 0})"},
                                    {"weight", R"({"type": "number", "minimum": 0, "maximum": 1})"},
                                    {"note", text}},
                                   {"value"});
  const std::string observation =
      object(keys::observation,
             {{"id", identifier},
              {"variable", fmt::format(R"({{"enum": {}}})", string_array(observation_variable_names))},
              {"node", text},
              {"nodes", R"({"type": "array", "minItems": 1, "items": {"type": "string"}})"},
              {"source", source},
              {"points", fmt::format(R"({{"type": "array", "items": {}}})", point)}},
             {"id", "variable", "source", "points"});
  const std::string outputs =
      object(keys::outputs, {{"path", text},
                             {"variables", fmt::format(R"({{"type": "array", "items": {{"enum": {}}}}})",
                                                       string_array(output_variable_names))},
                             {"nodes", R"({"type": "array", "items": {"type": "string"}})"},
                             {"interval_days", R"({"type": "integer", "minimum": 1})"}});
  const std::string variant =
      object(keys::variant, {{"description", text},
                             {"remove_events", R"({"type": "array", "items": {"type": "string"}})"},
                             {"add_events", R"({"type": "array", "items": {"$ref": "#/$defs/event"}})"},
                             {"parameters", R"({"$ref": "#/$defs/parameters"})"},
                             {"set", R"({"type": "object"})"}});
  // Nodes, corridors and events may instead name a CSV table (docs/scenario-format.md, "Tables").
  const auto list_or_table = [](const std::string& list) {
    return fmt::format(
        R"({{"anyOf": [{}, {{"type": "object", "properties": {{"csv": {{"type": "string", "minLength": 1}}}}, )"
        R"("required": ["csv"], "additionalProperties": false}}]}})",
        list);
  };
  const std::string root = object(
      keys::top,
      {{"scenario", scenario},
       {"groups", fmt::format(R"({{"type": "array", "minItems": 1, "items": {}}})", group)},
       {"nodes", list_or_table(fmt::format(R"({{"type": "array", "minItems": 1, "items": {}}})", node))},
       {"corridors", list_or_table(fmt::format(R"({{"type": "array", "items": {}}})", corridor))},
       {"events", list_or_table(R"({"type": "array", "items": {"$ref": "#/$defs/event"}})")},
       {"parameters", R"({"$ref": "#/$defs/parameters"})"},
       {"observations", fmt::format(R"({{"type": "array", "items": {}}})", observation)},
       {"outputs", outputs},
       {"variants", fmt::format(R"({{"type": "object", "additionalProperties": {}}})", variant)},
       {"departures",
        object(keys::departures,
               {{"mode", fmt::format(R"({{"enum": {}}})", string_array(departure_mode_names))}, {"observation", text}},
               {"mode"})},
       {"home_country", text},
       {"rules", fmt::format(R"({{"enum": {}}})", string_array(rule_set_names))}},
      {"scenario", "nodes"});
  // Splice the root object's members after the schema header.
  return fmt::format(
      "{{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"$id\": "
      "\"https://haven.example/scenario-v1.json\", "
      "\"title\": \"Haven scenario (format v1)\", \"$defs\": {{\"date\": {}, \"event\": {}, \"parameters\": {}}}, {}\n",
      date, event_schema(), parameters_schema(), root.substr(1));
}

}  // namespace haven
