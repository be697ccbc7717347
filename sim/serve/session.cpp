#include "haven/serve/session.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "haven/engine/flee_rules.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/keys.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

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

// YAML takes no C0 control character but tab, nor DEL, in a plain scalar, and readers other than yaml-cpp
// (PyYAML) refuse them raw anywhere: text holding one is written double-quoted, each escaped. yaml-cpp's emitter
// escapes the C0 characters in double quotes but writes DEL as it is.
bool has_control_character(std::string_view text) {
  for (std::size_t k = 0; k < text.size(); ++k) {
    const auto byte = static_cast<unsigned char>(text[k]);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return true;
    // C1 controls, U+0080 to U+009F (0xC2 0x80-0x9F in UTF-8): Windows-1252 text read as Latin-1 brings them.
    if (byte == 0xC2 && k + 1 < text.size() && static_cast<unsigned char>(text[k + 1]) <= 0x9F &&
        static_cast<unsigned char>(text[k + 1]) >= 0x80) {
      return true;
    }
  }
  return false;
}
std::string with_del_escaped(std::string double_quoted) {
  for (std::size_t at = double_quoted.find('\x7f'); at != std::string::npos; at = double_quoted.find('\x7f', at)) {
    double_quoted.replace(at, 1, "\\x7F");
  }
  return double_quoted;
}

// `node` written as yaml-cpp writes it, except that a text holding a control character is double-quoted, where
// yaml-cpp escapes them (all but DEL: with_del_escaped()). yaml-cpp writes a text with a lone CR, DEL or a C1
// control as a plain scalar, raw: it reads back changed, or not at all.
void emit(YAML::Emitter& out, const YAML::Node& node) {
  if (node.IsMap()) {
    if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
    out << YAML::BeginMap;
    for (auto it = node.begin(); it != node.end(); ++it) {
      out << YAML::Key;
      emit(out, it->first);
      out << YAML::Value;
      emit(out, it->second);
    }
    out << YAML::EndMap;
  } else if (node.IsSequence()) {
    if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& item : node) emit(out, item);
    out << YAML::EndSeq;
  } else if (node.IsScalar() && has_control_character(node.Scalar())) {
    out << YAML::DoubleQuoted << node.Scalar();
  } else {
    out << node;
  }
}

// `node` as one line of flow YAML. The emitter keeps the style a node already has, and an event that a starting
// edit changed comes back from the loader in block style (lines the events list cannot be joined from): every
// container in it is made flow first. `node` is changed in place (a handle: callers pass their own copy).
std::string flow_line(YAML::Node node) {
  const std::function<void(YAML::Node)> to_flow = [&](YAML::Node n) {
    if (n.IsMap()) {
      n.SetStyle(YAML::EmitterStyle::Flow);
      for (auto it = n.begin(); it != n.end(); ++it) to_flow(it->second);
    } else if (n.IsSequence()) {
      n.SetStyle(YAML::EmitterStyle::Flow);
      for (auto child : n) to_flow(child);
    }
  };
  to_flow(node);
  YAML::Emitter emitter;
  emitter << YAML::Flow;
  emit(emitter, node);
  return with_del_escaped(emitter.c_str());
}

// A value as one line of flow YAML, as the loader will read it back; nullopt (with `problem`) when the text is
// not one YAML value.
std::optional<std::string> canonical_value(const std::string& text, std::string& problem) {
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
      if (plain_text.find('\n') == std::string::npos) return plain_text;
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
      if (trimmed.starts_with('[') && node.IsSequence()) return trimmed;
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

SourceLocation origin_of(std::size_t index, const Edit& edit) {
  return {fmt::format("edit {} ({})", index + 1, edit.description), 0, 0};
}

// `events.<id>.<key>` -> <id>; empty for other paths.
std::string event_of_path(const std::string& path) {
  if (path.rfind("events.", 0) != 0) return {};
  const auto end = path.find('.', 7);
  return path.substr(7, end == std::string::npos ? std::string::npos : end - 7);
}

}  // namespace

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
        std::find(addable_kinds.begin(), addable_kinds.end(), event["kind"].get<std::string>()) ==
            addable_kinds.end()) {
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
      auto canonical = canonical_value(text, problem);
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

Session::Session(const ScenarioSource& source, std::string variant, const Limits& limits)
    : source_(source), parsed_(source.text, source.name), variant_(std::move(variant)), limits_(limits) {
  LoadOptions options;
  options.variant = variant_;
  options.overrides = source_.start.edits();
  auto loaded = parsed_.load(options);
  load_diagnostics_ = loaded.diagnostics;
  for (const auto& d : load_diagnostics_.all())
    if (d.severity == Severity::warning) warnings_now_.push_back(d.message);
  if (!loaded.scenario) return;
  base_ = *loaded.scenario;
  scenario_ = base_;
  // Each event as flow YAML with its id written out, so the list can be rebuilt without some and with others.
  const YAML::Node doc = YAML::Load(loaded.resolved_yaml);
  // (A scenario without events: the key reads as an undefined node, which must not be asked more.)
  const YAML::Node listed = doc["events"];
  const YAML::Node events = listed.IsDefined() ? listed : YAML::Node();
  for (std::size_t k = 0; events.IsSequence() && k < events.size() && k < base_.events.size(); ++k) {
    YAML::Node event = YAML::Clone(events[k]);
    event["id"] = base_.events[k].id;
    base_event_yaml_.push_back(flow_line(event));
    base_event_ids_.push_back(base_.events[k].id);
  }
  // What the variant itself sets: a band's parameter ranges hold it, as they hold the page's edits.
  if (!variant_.empty()) {
    // (It loaded: the variant is a mapping. A key it lacks reads as an undefined node, which must not be asked more.)
    const YAML::Node written = YAML::Load(source_.text);
    const YAML::Node chosen = written["variants"][variant_];
    const auto part = [&chosen](const char* key) {
      const YAML::Node node = chosen[key];
      return node.IsDefined() ? node : YAML::Node();
    };
    if (const YAML::Node params = part("parameters"); params.IsMap()) {
      for (auto it = params.begin(); it != params.end(); ++it)
        variant_paths_.insert("parameters." + it->first.Scalar());
    }
    if (const YAML::Node set = part("set"); set.IsMap()) {
      for (auto it = set.begin(); it != set.end(); ++it) variant_paths_.insert(by_id(it->first.Scalar()));
    }
    if (const YAML::Node added = part("add_events"); added.IsSequence()) {
      for (const auto& event : added) {
        if (event.IsMap() && event["id"].IsDefined() && event["id"].IsScalar())
          variant_paths_.insert("events." + event["id"].Scalar());
      }
    }
  }
}

std::string Session::by_id(const std::string& path) const {
  // The variant's set applies after its removals and additions, and so do these positions: base_ is the scenario
  // with the variant (and the server's starting edits, which set values only).
  const auto named = [&](std::string_view section, std::size_t count, const auto& id_of) -> std::optional<std::string> {
    if (!path.starts_with(section) || path.size() <= section.size()) return std::nullopt;
    std::size_t at = section.size();
    const bool bracket = path[at] == '[';
    if (!bracket && path[at] != '.') return std::nullopt;
    const std::size_t digits = ++at;
    while (at < path.size() && path[at] >= '0' && path[at] <= '9') ++at;
    if (at == digits || at - digits > 9) return std::nullopt;
    const auto index = static_cast<std::size_t>(std::stoul(path.substr(digits, at - digits)));
    if (bracket && (at >= path.size() || path[at++] != ']')) return std::nullopt;
    if (index >= count || (at < path.size() && path[at] != '.')) return std::nullopt;
    return fmt::format("{}.{}{}", section, id_of(index), path.substr(at));
  };
  if (auto p = named("events", base_.events.size(), [this](std::size_t k) { return base_.events[k].id; })) return *p;
  if (auto p = named("nodes", base_.nodes.size(), [this](std::size_t k) { return base_.nodes[k].id; })) return *p;
  if (auto p = named("corridors", base_.corridors.size(), [this](std::size_t k) { return base_.corridors[k].id; }))
    return *p;
  if (auto p = named("groups", base_.groups.size(), [this](std::size_t k) { return base_.groups[k].id; })) return *p;
  return path;
}

bool Session::variant_sets(const std::string& path) const {
  if (variant_paths_.count(path)) return true;
  // Every key of an event the variant adds is the variant's.
  const auto last = path.rfind('.');
  return path.starts_with("events.") && last != std::string::npos && variant_paths_.count(path.substr(0, last));
}

std::vector<Override> Session::overrides_for(const std::vector<Edit>& edits) const {
  std::set<std::string> disabled;
  std::map<std::string, std::array<std::string, 3>> moved;  // id -> (lat, lon, radius_km or "")
  std::vector<std::pair<std::string, std::string>> added;   // (id, flow YAML)
  std::optional<SourceLocation> events_origin;
  std::vector<Override> sets;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const Edit& edit = edits[i];
    if (edit.kind == "toggle_event") {
      if (edit.enabled)
        disabled.erase(edit.id);
      else
        disabled.insert(edit.id);
      events_origin = origin_of(i, edit);
    } else if (edit.kind == "move_event") {
      moved[edit.id] = {edit.event[0].second, edit.event[1].second, edit.event[2].second};
      events_origin = origin_of(i, edit);
    } else if (edit.kind == "add_event") {
      const std::string id = edit.added_id();
      std::vector<std::string> fields;
      for (const auto& [key, value] : edit.event)
        if (key != "id") fields.push_back(fmt::format("{}: {}", key, value));
      added.emplace_back(id, fmt::format("{{id: {}, {}}}", id, fmt::join(fields, ", ")));
      events_origin = origin_of(i, edit);
    } else {
      // A later edit of the same path replaces the earlier one (an overlay file holds each key once).
      std::erase_if(sets, [&](const Override& o) { return o.path == edit.path; });
      sets.push_back({edit.path, edit.value, origin_of(i, edit)});
    }
  }
  std::vector<Override> overrides;
  if (events_origin) {
    std::vector<std::string> items;
    // A moved event is centred on its point instead of a place (a file gives one or the other).
    const auto placed = [&](const std::string& id, const std::string& text) {
      const auto it = moved.find(id);
      if (it == moved.end()) return text;
      YAML::Node event = YAML::Load(text);
      const auto& [lat, lon, radius] = it->second;
      event.remove("node");
      event["lat"] = lat;
      event["lon"] = lon;
      if (!radius.empty()) {
        event["radius_km"] = radius;
      } else if (!event["radius_km"].IsDefined() || event["radius_km"].as<std::string>() == "0") {
        event["radius_km"] = "5";
      }
      return flow_line(event);
    };
    for (std::size_t k = 0; k < base_event_yaml_.size(); ++k) {
      if (!disabled.count(base_event_ids_[k])) items.push_back(placed(base_event_ids_[k], base_event_yaml_[k]));
    }
    for (const auto& [id, text] : added) {
      if (!disabled.count(id)) items.push_back(placed(id, text));
    }
    overrides.push_back({"events", fmt::format("[{}]", fmt::join(items, ", ")), *events_origin});
  }
  for (auto& set : sets) {
    // Edits of an event switched off wait until it is on again.
    if (const auto event = event_of_path(set.path); !event.empty() && disabled.count(event)) continue;
    overrides.push_back(std::move(set));
  }
  return overrides;
}

std::string Session::key_of(const std::vector<Edit>& edits) const {
  // Each part with its length first: no text a value may hold can make two different lists read alike.
  std::string key = fmt::format("{}:{}", variant_.size(), variant_);
  for (const auto& o : overrides_for(edits))
    key += fmt::format("|{}:{}={}:{}", o.path.size(), o.path, o.value.size(), o.value);
  return key;
}

LoadOptions Session::options_for(const std::vector<Edit>& edits) const {
  LoadOptions options;
  options.variant = variant_;
  // The server's starting edits first: the page's own edit the same keys after them.
  options.overrides = source_.start.edits();
  auto own = overrides_for(edits);
  options.overrides.insert(options.overrides.end(), std::make_move_iterator(own.begin()),
                           std::make_move_iterator(own.end()));
  return options;
}

EditResult Session::reload(const std::vector<Edit>& edits, Reload how) {
  EditResult result;
  // The edited document is written out only when a scenario is saved (scenario_yaml): writing it costs as much as
  // parsing the file, on every edit.
  auto options = options_for(edits);
  options.want_resolved_yaml = false;
  auto loaded = parsed_.load(options);
  if (!loaded.scenario) {
    result.diagnostics = loaded.diagnostics;
    return result;
  }
  // Only the warnings this change brought: the scenario's own (a crossing without a capacity, say) were said when it
  // loaded, and an earlier edit's when it was made; every edit would repeat them.
  std::vector<std::string> warnings;
  for (const auto& d : loaded.diagnostics.all()) {
    if (d.severity != Severity::warning) continue;
    warnings.push_back(d.message);
    if (std::find(warnings_now_.begin(), warnings_now_.end(), d.message) == warnings_now_.end()) {
      result.diagnostics.warning(d.location, d.message);
    }
  }
  warnings_now_ = std::move(warnings);
  if (how == Reload::one_more) {
    // A scenario equal to the one before (a value set to what it held) keeps the key its run may be kept under.
    keys_.push_back(*loaded.scenario == scenario_ ? scenario_key() : std::string());
  } else if (how == Reload::one_less) {
    keys_.pop_back();
  } else {
    keys_.assign(edits.size() + 1, std::string());
  }
  same_as_base_ = *loaded.scenario == base_;
  scenario_ = std::move(*loaded.scenario);
  edits_ = edits;
  for (const auto& edit : edits_) {
    if (edit.kind != "add_event") continue;
    const auto id = edit.added_id();
    const auto on =
        std::find_if(scenario_.events.begin(), scenario_.events.end(), [&](const Event& e) { return e.id == id; });
    if (on != scenario_.events.end()) added_seen_.insert_or_assign(id, *on);
  }
  result.applied = true;
  return result;
}

std::vector<Event> Session::added_events_off() const {
  std::vector<Event> off;
  for (const auto& edit : edits_) {
    if (edit.kind != "add_event") continue;
    const auto id = edit.added_id();
    const bool on =
        std::any_of(scenario_.events.begin(), scenario_.events.end(), [&](const Event& e) { return e.id == id; });
    const auto seen = added_seen_.find(id);
    if (!on && seen != added_seen_.end()) off.push_back(seen->second);
  }
  return off;
}

namespace {

// What an edit of `value` replaced, for the list of edits: " (was 40)", " (unchanged)" (numbers compared as numbers:
// 1.50 is 1.5), or nothing when `was` is not known.
std::string replaced_note(const std::string& was, const std::string& value) {
  if (was.empty()) return {};
  const auto number = [](const std::string& text) -> std::optional<double> {
    double parsed = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    return error == std::errc() && end == text.data() + text.size() ? std::optional<double>(parsed) : std::nullopt;
  };
  const auto was_number = number(was);
  const auto value_number = number(value);
  const bool same = was == value || (was_number && value_number && *was_number == *value_number);
  return same ? " (unchanged)" : fmt::format(" (was {})", was);
}

}  // namespace

std::string Session::value_now(const std::string& path) const {
  const Scenario& s = scenario_;
  const auto number = [](double value) {
    return std::isinf(value) ? std::string("unlimited") : fmt::format("{}", value);
  };
  if (path.starts_with("parameters.")) {
    const double* value = s.parameters.find(path.substr(std::string_view("parameters.").size()));
    return value ? number(*value) : std::string();
  }
  // section.id.key, the id without dots (plain_id).
  const auto first = path.find('.');
  const auto last = path.rfind('.');
  if (first == std::string::npos || last == first) return {};
  const std::string section = path.substr(0, first);
  const std::string id = path.substr(first + 1, last - first - 1);
  const std::string key = path.substr(last + 1);
  if (section == "nodes" && (key == "population" || key == "displaced")) {
    for (const auto& node : s.nodes) {
      if (node.id != id) continue;
      std::int64_t people = 0;
      for (const auto count : key == "population" ? node.residents_by_group : node.displaced_by_group) people += count;
      return fmt::format("{}", people);
    }
  } else if (section == "nodes" && key == "capacity") {
    for (const auto& node : s.nodes) {
      if (node.id != id) continue;
      // A place without a capacity of its own: what the rules give it, said as a default.
      const double given = starting_capacity_people(s, static_cast<std::size_t>(&node - s.nodes.data()));
      // Under Flee's rules only a camp's capacity limits anyone (scaled by flee_capacity_scaling, which the edit
      // does not set); a given one elsewhere is said as not limiting.
      if (node.capacity_people && (s.rules != RuleSetKind::flee || node.kind == NodeKind::camp))
        return number(*node.capacity_people);
      if (node.capacity_people) return "unlimited (Flee's rules limit only camps)";
      return fmt::format("{} by default", std::isinf(given) ? std::string("unlimited") : fmt::format("{:.0f}", given));
    }
  } else if (section == "nodes") {
    for (const auto& node : s.nodes) {
      if (node.id != id) continue;
      if (key == "closed") return node.closed ? "true" : "false";
      if (key == "lat") return number(node.lat_deg);
      if (key == "lon") return number(node.lon_deg);
      if (key == "kind") return to_string(node.kind);
      if (key == "control") return node.control.empty() ? "none" : node.control;
      if (key == "name") return node.name;
    }
  } else if (section == "groups") {
    for (const auto& group : s.groups) {
      if (group.id != id) continue;
      if (key == "share") return number(group.share);
      if (key == "departure_factor") return number(group.departure_factor);
      if (key == "speed_factor") return number(group.speed_factor);
    }
  } else if (section == "corridors") {
    for (const auto& corridor : s.corridors) {
      if (corridor.id != id) continue;
      if (key == "closed") return corridor.closed ? "true" : "false";
      if (key == "capacity_people_per_day")
        return corridor.capacity_people_per_day ? number(*corridor.capacity_people_per_day) : "none";
    }
  } else if (section == "events") {
    for (const auto& event : s.events) {
      if (event.id != id) continue;
      if (key == "date") return format_iso_date(add_days(s.start_date, event.start_day));
      if (key == "day") return fmt::format("{}", event.start_day);
      if (key == "duration_days") return event.end_day ? fmt::format("{}", *event.end_day - event.start_day) : "";
      // Where a bombardment or ceasefire is aimed: a place, or a point.
      const Area* area = nullptr;
      if (const auto* b = std::get_if<Bombardment>(&event.action)) area = &b->target;
      if (const auto* c = std::get_if<Ceasefire>(&event.action)) area = &c->area;
      if (area && key == "node")
        return area->node != no_node ? s.nodes[static_cast<std::size_t>(area->node)].id : "a point";
      if (area && (key == "lat" || key == "lon")) {
        const auto& given = key == "lat" ? area->lat_deg : area->lon_deg;
        if (given) return number(*given);
        if (area->node != no_node) {
          const auto& place = s.nodes[static_cast<std::size_t>(area->node)];
          return fmt::format("{} ({})", number(key == "lat" ? place.lat_deg : place.lon_deg), place.id);
        }
      }
      if (key == "radius_km") {
        if (const auto* b = std::get_if<Bombardment>(&event.action)) return number(b->target.radius_km);
        if (const auto* c = std::get_if<Ceasefire>(&event.action)) return number(c->area.radius_km);
      }
      if (key == "until")
        return event.end_day ? format_iso_date(add_days(s.start_date, *event.end_day - 1)) : "open-ended";
      if (key == "intensity") {
        if (const auto* b = std::get_if<Bombardment>(&event.action)) return number(b->intensity_strikes_per_day);
        if (const auto* a = std::get_if<ArmedConflict>(&event.action)) return number(a->intensity);
      }
      // What a planner compares in a meeting: a camp's new capacity, an evacuation's rate, who takes a place.
      if (const auto* c = std::get_if<CapacityChange>(&event.action); c && key == "capacity")
        return number(c->capacity_people);
      if (const auto* e = std::get_if<Evacuation>(&event.action); e && key == "rate")
        return number(e->rate_people_per_day);
      if (const auto* c = std::get_if<Capture>(&event.action); c && key == "by") return c->by;
    }
  }
  return {};
}

EditResult Session::apply(Edit edit) {
  const SourceLocation here{fmt::format("edit {} ({})", edits_.size() + 1, edit.description), 0, 0};
  // What it replaces, for the list of edits: "parameters.threat_kernel_km = 1.5 (was 1)".
  if (edit.kind == "set") {
    edit.replaced = replaced_note(value_now(edit.path), edit.value);
  }
  if (edits_.size() >= limits_.max_edits) {
    EditResult refused;
    refused.diagnostics.error(here, fmt::format("a session keeps at most {} edits; undo some, or save the "
                                                "overlay and serve it (haven serve SCENARIO --set-file "
                                                "OVERLAY) to go on from there",
                                                limits_.max_edits));
    return refused;
  }
  if (edit.kind == "add_event") {
    const auto added = std::count_if(edits_.begin(), edits_.end(), [](const Edit& e) { return e.kind == "add_event"; });
    if (static_cast<std::size_t>(added) >= limits_.max_added_events) {
      EditResult refused;
      refused.diagnostics.error(here,
                                fmt::format("at most {} events may be added in one session", limits_.max_added_events));
      return refused;
    }
    // An event added without an id is named now, by the first added_N no event has: a scenario saved from the
    // page, and served again, already has added_1.
    std::set<std::string> taken(base_event_ids_.begin(), base_event_ids_.end());
    for (const auto& e : scenario_.events) taken.insert(e.id);
    for (const auto& e : edits_) taken.insert(e.added_id());
    if (!edit.added_id().empty() && taken.count(edit.added_id())) {
      EditResult refused;
      refused.diagnostics.error(here, fmt::format("events.{}.id: an event with id '{}' is there already; give the "
                                                  "new event another id, or none (it is then named added_N)",
                                                  edit.added_id(), edit.added_id()));
      return refused;
    }
    if (edit.added_id().empty()) {
      std::size_t n = 1;
      while (taken.count(fmt::format("added_{}", n))) ++n;
      edit.event.insert(edit.event.begin(), {"id", fmt::format("added_{}", n)});
    }
  }
  if (edit.kind == "toggle_event" || edit.kind == "move_event") {
    const bool known = std::find(base_event_ids_.begin(), base_event_ids_.end(), edit.id) != base_event_ids_.end() ||
                       std::any_of(edits_.begin(), edits_.end(),
                                   [&](const Edit& e) { return e.kind == "add_event" && e.added_id() == edit.id; });
    if (!known) {
      EditResult refused;
      refused.diagnostics.error(here, fmt::format("no event with id '{}'", edit.id));
      return refused;
    }
  }
  auto edits = edits_;
  edits.push_back(std::move(edit));
  auto result = reload(edits, Reload::one_more);
  if (result.applied) {
    const Edit& made = edits.back();
    const SourceLocation at_edit = origin_of(edits.size() - 1, made);
    // An edit of an event switched off waits until it is on again, so the load above did not read it: it is checked
    // now as if the event were on, and refused at this edit if it would not load then (else switching the event on
    // would fail, blaming this edit, with the session stuck behind it).
    const std::string event = made.kind == "move_event" ? made.id : made.kind == "set" ? event_of_path(made.path) : "";
    if (!event.empty() &&
        std::none_of(scenario_.events.begin(), scenario_.events.end(), [&](const Event& e) { return e.id == event; })) {
      auto on = edits;
      Edit switched_on;
      switched_on.kind = "toggle_event";
      switched_on.id = event;
      switched_on.enabled = true;
      switched_on.description = fmt::format("event {} on", event);
      on.push_back(std::move(switched_on));
      auto options = options_for(on);
      options.want_resolved_yaml = false;
      const auto loaded = parsed_.load(options);
      Diagnostics refused_when_on;
      for (const auto& d : loaded.diagnostics.all()) {
        if (d.severity == Severity::error && d.location.file == at_edit.file) {
          refused_when_on.error(
              d.location, fmt::format("{} (event {} is off; this is checked as if it were on)", d.message, event));
        }
      }
      if (refused_when_on.has_errors()) {
        auto before = edits;
        before.pop_back();
        reload(before, Reload::one_less);
        EditResult refused;
        refused.diagnostics = refused_when_on;
        return refused;
      }
    }
    // Valid, but nothing the scenario's rules read: said, so that an unchanged run is not taken for the answer.
    const char* rules = scenario_.rules == RuleSetKind::flee ? "Flee's" : "Haven's";
    if (made.kind == "set" && made.path.starts_with("parameters.") &&
        !rule_set_reads(scenario_, made.path.substr(std::string_view("parameters.").size()))) {
      result.diagnostics.warning(
          at_edit, fmt::format("{}: {} rules do not read this parameter; the run does not change", made.path, rules));
    }
    if (made.kind == "add_event" && scenario_.rules == RuleSetKind::flee) {
      std::string kind;
      for (const auto& [key, value] : made.event)
        if (key == "kind") kind = value;
      if (!flee_rules_act_on(kind)) {
        result.diagnostics.warning(
            at_edit, fmt::format("Flee's rules do not act on a {} (they read armed conflicts, closures and openings); "
                                 "the run does not change",
                                 kind));
      }
    }
    return result;
  }
  // Refused: every problem is said at this edit, which caused it, even one the loader found at a key the file or an
  // earlier edit gave (a date now after the event's end, a share that no longer sums to 1); where that key was
  // given stays in the message, and the page shows it next to the field just changed.
  Diagnostics located;
  const std::string this_edit = origin_of(edits.size() - 1, edits.back()).file;
  for (const auto& d : result.diagnostics.all()) {
    if (d.severity != Severity::error) continue;
    if (d.location.file == this_edit) {
      located.error(d.location, d.message);
      continue;
    }
    const std::string where = d.location.line > 0
                                  ? fmt::format("{}:{}:{}", d.location.file, d.location.line, d.location.column)
                                  : d.location.file;
    located.error({this_edit, 0, 0}, fmt::format("{} (given at {})", d.message, where));
  }
  result.diagnostics = located;
  return result;
}

bool Session::undo() {
  // Back across the last variant switch once every edit made since is undone: its variant and its edits, all of them
  // (the switch may have dropped some), as they were.
  if (!variant_steps_.empty() && edits_.size() <= variant_steps_.back().edits_after) {
    const VariantStep step = variant_steps_.back();
    Session before(source_, step.variant, limits_);
    if (!before.ok() || !before.reload(step.edits).applied) return false;  // each was valid then
    before.variant_steps_.assign(variant_steps_.begin(), variant_steps_.end() - 1);
    *this = std::move(before);
    return true;
  }
  if (edits_.empty()) return false;
  auto edits = edits_;
  edits.pop_back();
  // Every prefix of valid edits was valid when it was made.
  return reload(edits, Reload::one_less).applied;
}

EditResult Session::choose_variant(const std::string& variant) {
  Session fresh(source_, variant, limits_);
  if (!fresh.ok()) {
    EditResult result;
    result.diagnostics = fresh.load_diagnostics();
    return result;
  }
  // What each value replaced, again: the variant's own values lie under the edits now.
  auto edits = edits_;
  // As apply() says it: an event switched off holds no value shown; an added one holds what its addition gave.
  std::map<std::string, std::string> set_before;  // path -> the value an earlier edit set or an addition gave
  std::set<std::string> switched_off;
  for (auto& edit : edits) {
    if (edit.kind == "toggle_event") {
      if (edit.enabled)
        switched_off.erase(edit.id);
      else
        switched_off.insert(edit.id);
    } else if (edit.kind == "add_event") {
      for (const auto& [key, value] : edit.event)
        if (key != "id") set_before[fmt::format("events.{}.{}", edit.added_id(), key)] = value;
    }
    if (edit.kind != "set") continue;
    const auto earlier = set_before.find(edit.path);
    const std::string event = edit.path.starts_with("events.") ? edit.path.substr(7, edit.path.find('.', 7) - 7) : "";
    edit.replaced = switched_off.count(event)     ? std::string()
                    : earlier != set_before.end() ? replaced_note(earlier->second, edit.value)
                                                  : replaced_note(fresh.value_now(edit.path), edit.value);
    set_before[edit.path] = edit.value;
  }
  // Not all of them may apply to that variant (an edit of an event it removes): those that do are kept, in order,
  // and each one dropped is said with why. A switch or move of an event the variant lacks changes nothing the
  // loader sees, so it is found here; any other edit is tried (a load per edit: a variant is picked rarely).
  const std::string target = variant.empty() ? "the scenario as written" : "variant " + variant;
  std::map<std::size_t, std::string> dropped;  // edit index -> why
  std::vector<std::size_t> candidates;         // the edits that may apply, by index
  const auto has_own = [&fresh](const std::string& id) {
    return std::find(fresh.base_event_ids_.begin(), fresh.base_event_ids_.end(), id) != fresh.base_event_ids_.end();
  };
  // The event an edit is about: switched, moved, added or set (empty for other edits).
  const auto event_of = [](const Edit& edit) {
    if (edit.kind == "toggle_event" || edit.kind == "move_event") return edit.id;
    if (edit.kind == "add_event") return edit.added_id();
    return event_of_path(edit.path);
  };
  std::set<std::string> added;
  std::map<std::string, std::size_t> dropped_adds;  // id -> the addition's index: the edits of that event go too
  const auto drop_follower = [&](std::size_t i) {
    const auto it = dropped_adds.find(event_of(edits[i]));
    if (it == dropped_adds.end() || edits[i].kind == "add_event") return false;
    dropped[i] = fmt::format("the event it edits, added by edit {}, was dropped", it->second + 1);
    return true;
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const Edit& edit = edits[i];
    if (drop_follower(i)) continue;
    if (edit.kind == "add_event" && has_own(edit.added_id())) {
      // The variant's own event goes by that id: the edits of the addition would land on it.
      dropped[i] = fmt::format("it has an event '{}' of its own", edit.added_id());
      dropped_adds[edit.added_id()] = i;
      continue;
    }
    if ((edit.kind == "toggle_event" || edit.kind == "move_event") && !has_own(edit.id) && !added.count(edit.id)) {
      dropped[i] = fmt::format("no event with id '{}' there", edit.id);
      continue;
    }
    if (edit.kind == "add_event") added.insert(edit.added_id());
    candidates.push_back(i);
  }
  std::vector<Edit> kept;
  for (const auto i : candidates) kept.push_back(edits[i]);
  auto result = fresh.reload(kept);
  if (!result.applied) {
    kept.clear();
    Diagnostics brought;  // the warnings the kept edits brought, as the loads that kept them said them
    for (const auto i : candidates) {
      if (drop_follower(i)) continue;
      auto trial = kept;
      trial.push_back(edits[i]);
      const auto attempt = fresh.reload(trial);
      if (attempt.applied) {
        for (const auto& d : attempt.diagnostics.all())
          if (d.severity == Severity::warning) brought.warning(d.location, d.message);
        kept = std::move(trial);
        continue;
      }
      std::string why = "it does not load";
      for (const auto& d : attempt.diagnostics.all()) {
        if (d.severity != Severity::error) continue;
        why = d.message;
        break;
      }
      dropped[i] = why;
      if (edits[i].kind == "add_event") dropped_adds[edits[i].added_id()] = i;
    }
    if (kept.empty()) fresh.edits_.clear();  // the last load that applied was of kept: scenario and edits agree
    // As the one load of the other path says them: what the kept edits bring to the variant, once, those a later
    // kept edit took away again left out.
    result.diagnostics = Diagnostics{};
    std::set<std::string> said;
    for (const auto& d : brought.all()) {
      const bool still =
          std::find(fresh.warnings_now_.begin(), fresh.warnings_now_.end(), d.message) != fresh.warnings_now_.end();
      if (still && said.insert(d.message).second) result.diagnostics.warning(d.location, d.message);
    }
  }
  for (const auto& [i, why] : dropped) {
    result.diagnostics.warning({fmt::format("edit {} ({})", i + 1, edits[i].listed()), 0, 0},
                               fmt::format("dropped: it does not apply to {} ({})", target, why));
  }
  fresh.variant_steps_ = std::move(variant_steps_);
  fresh.variant_steps_.push_back({variant_, edits_, fresh.edits_.size()});
  // Undo goes back over the last few switches only: each step holds a whole list of edits.
  if (fresh.variant_steps_.size() > max_variant_steps) fresh.variant_steps_.erase(fresh.variant_steps_.begin());
  *this = std::move(fresh);
  result.applied = true;
  return result;
}

std::string Session::base_event_text(const std::string& id) const {
  const auto at = std::find(base_event_ids_.begin(), base_event_ids_.end(), id);
  return at == base_event_ids_.end() ? std::string()
                                     : base_event_yaml_[static_cast<std::size_t>(at - base_event_ids_.begin())];
}

std::string Session::comment_block(const char* what) const {
  std::string text =
      fmt::format("# {} written by haven serve from {}{}{}.\n", what, source_.name,
                  variant_.empty() ? "" : fmt::format(" (variant {})", variant_),
                  source_.start.empty() ? "" : fmt::format(" with {}", fmt::join(source_.start.arguments(), " ")));
  if (edits_.empty()) {
    text += "# No edits.\n";
  } else {
    text += "# Edits, in the order made:\n";
    for (std::size_t i = 0; i < edits_.size(); ++i) {
      std::string line = edits_[i].listed();
      std::replace(line.begin(), line.end(), '\n', ' ');
      text += fmt::format("#   {}. {}\n", i + 1, line);
    }
  }
  return text;
}

std::string Session::scenario_arguments() const {
  std::string arguments = fmt::format("{}{}", shell_word(source_.path.empty() ? source_.name : source_.path),
                                      variant_.empty() ? "" : " --variant " + shell_word(variant_));
  // The starting overlays only: `haven run` applies every --set after every --set-file, so the starting --set
  // values go into a saved overlay instead (overlay_yaml), under the page's edits of the same keys.
  for (const auto& file : source_.start.files) arguments += " --set-file " + shell_word(file);
  return arguments;
}

std::string Session::overlay_yaml() const {
  std::string text = comment_block("Overlay");
  text += fmt::format("# Check it: haven check {} --set-file THIS_FILE\n", scenario_arguments());
  const auto overrides = overrides_for(edits_);
  // The server's --set values the page did not set again (an overlay holds each key once): `haven run` applies
  // --set after every --set-file, so the suggested command leaves them out and the overlay carries them.
  std::vector<std::pair<std::string, std::string>> started;  // (path, value): the last --set of a key wins
  for (const auto& set : source_.start.sets) {
    if (std::any_of(overrides.begin(), overrides.end(), [&](const Override& o) { return o.path == set.path; }))
      continue;
    const auto same = std::find_if(started.begin(), started.end(), [&](const auto& p) { return p.first == set.path; });
    if (same == started.end())
      started.emplace_back(set.path, set.value);
    else
      same->second = set.value;
  }
  if (overrides.empty() && started.empty()) return text + "{}\n";
  if (!started.empty()) {
    text += "# Given to haven serve with --set:\n";
    for (const auto& [path, value] : started) text += fmt::format("{}: {}\n", path, value);
    if (!overrides.empty()) text += "# The page's edits:\n";
  }
  for (const auto& o : overrides) {
    // The events list one event a line, as a scenario file writes it, not one line of thousands of characters.
    if (const YAML::Node list = o.path == "events" ? YAML::Load(o.value) : YAML::Node();
        list.IsSequence() && list.size() > 0) {
      text += "events:\n";
      for (const auto& event : list) text += fmt::format("  - {}\n", flow_line(event));
      continue;
    }
    text += fmt::format("{}: {}\n", o.path, o.value);
  }
  return text;
}

namespace {

// The comment lines a scenario file opens with (what it is, its sources, an import's provenance), up to the first
// line of YAML: a saved scenario keeps them, since the YAML written out again has lost every comment. Bounded.
std::string leading_comments(const std::string& text) {
  constexpr std::size_t max_lines = 400;
  std::string kept;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < text.size() && lines < max_lines; ++lines) {
    const auto end = std::min(text.find('\n', at), text.size());
    std::string line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#') break;
    kept += first == std::string::npos ? "#\n" : line.substr(first) + "\n";
    at = end + 1;
  }
  // Blank (or bare '#') lines at its end are not part of the header.
  while (kept.ends_with("\n#\n")) kept.resize(kept.size() - 2);
  if (kept == "#\n") kept.clear();
  return kept;
}

}  // namespace

std::string Session::scenario_yaml() const {
  // The kept edits loaded when they were made; loaded again here with the edited document written out.
  const auto loaded = load_scenario_text(source_.text, source_.name, options_for(edits_));
  YAML::Node doc = YAML::Load(loaded.resolved_yaml);
  // The edited scenario stands alone: its variants were written for the scenario before the edits.
  if (doc.IsMap()) doc.remove("variants");
  YAML::Emitter emitter;
  emit(emitter, doc);
  std::string header = leading_comments(source_.text);
  if (!header.empty()) header = "#\n# The scenario's own header, as written:\n" + header;
  // yaml-cpp double-quotes a text holding DEL but writes the DEL itself raw.
  return comment_block("Scenario") + header + with_del_escaped(emitter.c_str()) + "\n";
}

}  // namespace haven::serve
