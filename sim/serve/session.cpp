#include "haven/serve/session.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "haven/engine/flee_rules.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/keys.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/util/text.hpp"
#include "session_info.hpp"
#include "yaml_text.hpp"

namespace haven::serve {

namespace {

// The event of `scenario` with that id; nullptr if it has none (switched off, or never added).
const Event* event_with_id(const Scenario& scenario, const std::string& id) {
  const auto it =
      std::find_if(scenario.events.begin(), scenario.events.end(), [&](const Event& e) { return e.id == id; });
  return it == scenario.events.end() ? nullptr : &*it;
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

Session::Session(const ScenarioSource& source, std::string variant, const Limits& limits)
    : source_(source), parsed_(source.text, source.name), variant_(std::move(variant)), limits_(limits) {
  LoadOptions options = source_.load_options();
  options.variant = variant_;
  options.variant_origin = {fmt::format("the page's request (variant {})", clip(variant_)), 0, 0};
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

std::vector<Override> Session::overrides_for(const std::vector<Edit>& edits, const std::string& switched_on) const {
  std::set<std::string> disabled;
  std::map<std::string, std::array<std::string, 3>> moved;  // id -> (lat, lon, radius_km or "")
  std::map<std::string, std::size_t> moved_by;              // id -> the edit that moved it last
  std::map<std::string, SourceLocation> placed_at_node;     // id -> the edit that gave it a node last
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
      moved_by[edit.id] = i;
      placed_at_node.erase(edit.id);
      events_origin = origin_of(i, edit);
      // The move says where the event is now: earlier edits of its place (and of its radius, when the move gives
      // one) are replaced, as a later edit of one key replaces an earlier one.
      const std::string prefix = "events." + edit.id + ".";
      std::erase_if(sets, [&](const Override& o) {
        return o.path == prefix + "node" || o.path == prefix + "lat" || o.path == prefix + "lon" ||
               (o.path == prefix + "radius_km" && !edit.event[2].second.empty());
      });
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
      // A place given to an event replaces its point (an event is at a node or at a point, not both): the point a
      // move gave it, or the file's. A radius the move gave stays, in its turn among the edits.
      if (const auto event = event_of_path(edit.path); !event.empty() && edit.path == "events." + event + ".node") {
        const std::string prefix = "events." + event + ".";
        std::erase_if(sets, [&](const Override& o) { return o.path == prefix + "lat" || o.path == prefix + "lon"; });
        if (const auto move = moved.find(event); move != moved.end()) {
          const bool radius_set_since = std::any_of(sets.begin(), sets.end(), [&](const Override& o) {
            return o.path == prefix + "radius_km";  // a move removes those before it: this one came after
          });
          if (!move->second[2].empty() && !radius_set_since) {
            const std::size_t by = moved_by[event];
            sets.push_back({prefix + "radius_km", move->second[2], origin_of(by, edits[by]), true});
          }
          moved.erase(move);
        }
        placed_at_node[event] = origin_of(i, edit);
      }
      sets.push_back({edit.path, edit.value, origin_of(i, edit), true});
    }
  }
  if (!switched_on.empty()) disabled.erase(switched_on);
  // Events given a node whose text has a point: the point goes from the list, the node comes from the set.
  const auto text_of = [&](const std::string& id) -> std::string {
    for (std::size_t k = 0; k < base_event_ids_.size(); ++k)
      if (base_event_ids_[k] == id) return base_event_yaml_[k];
    for (const auto& [added_id, text] : added)
      if (added_id == id) return text;
    return {};
  };
  std::set<std::string> point_dropped;
  for (const auto& [id, origin] : placed_at_node) {
    const std::string text = text_of(id);
    if (text.empty()) continue;
    const YAML::Node event = YAML::Load(text);
    if (!event["lat"].IsDefined() && !event["lon"].IsDefined()) continue;
    point_dropped.insert(id);
    if (!events_origin) events_origin = origin;
  }
  std::vector<Override> overrides;
  // The events list only when it differs from the file's: switched off and on again, every event keeps the place
  // in the file that its messages name.
  if (events_origin && (!disabled.empty() || !moved.empty() || !added.empty() || !point_dropped.empty())) {
    std::vector<std::string> items;
    // A moved event is centred on its point instead of a place (a file gives one or the other).
    const auto placed = [&](const std::string& id, const std::string& text) {
      if (point_dropped.count(id)) {
        YAML::Node event = YAML::Load(text);
        event.remove("lat");
        event.remove("lon");
        return flow_line(event);
      }
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
    overrides.push_back({"events", fmt::format("[{}]", fmt::join(items, ", ")), *events_origin, false, true});
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

LoadOptions Session::options_for(const std::vector<Edit>& edits, const std::string& switched_on) const {
  LoadOptions options = source_.load_options();
  options.variant = variant_;
  // The server's starting edits first: the page's own edit the same keys after them.
  options.overrides = source_.start.edits();
  auto own = overrides_for(edits, switched_on);
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
    if (std::find(warnings_now_.begin(), warnings_now_.end(), d.message) != warnings_now_.end()) continue;
    if (how == Reload::one_more && d.location.file != origin_of(edits.size() - 1, edits.back()).file) {
      // Brought by this edit, though found at a key of the file (a place made a camp, which has no capacity there):
      // said at the edit, as its errors are, with where that key is.
      const std::string where = d.location.line > 0
                                    ? fmt::format("{}:{}:{}", d.location.file, d.location.line, d.location.column)
                                    : d.location.file;
      result.diagnostics.warning(origin_of(edits.size() - 1, edits.back()),
                                 fmt::format("{} (given at {})", d.message, where));
    } else {
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
    if (const Event* on = event_with_id(scenario_, id)) added_seen_.insert_or_assign(id, *on);
  }
  result.applied = true;
  return result;
}

void Session::see_added_events_off() {
  for (const auto& edit : edits_) {
    if (edit.kind != "add_event") continue;
    const auto id = edit.added_id();
    if (added_seen_.count(id) > 0 || event_with_id(scenario_, id) != nullptr) continue;
    // A load per such event, once: it is remembered from then on.
    auto options = options_for(edits_, id);
    options.want_resolved_yaml = false;
    const auto loaded = parsed_.load(options);
    if (!loaded.scenario) continue;  // it would not load switched on there: left unlisted, as the edits list it
    if (const Event* on = event_with_id(*loaded.scenario, id)) added_seen_.insert_or_assign(id, *on);
  }
}

std::vector<Event> Session::added_events_off() const {
  std::vector<Event> off;
  for (const auto& edit : edits_) {
    if (edit.kind != "add_event") continue;
    const auto id = edit.added_id();
    const auto seen = added_seen_.find(id);
    if (event_with_id(scenario_, id) == nullptr && seen != added_seen_.end()) off.push_back(seen->second);
  }
  return off;
}

namespace {

// What an edit of `value` replaced, for the list of edits: " (was 40)", " (unchanged)" (numbers compared as numbers:
// 1.50 is 1.5), or nothing when `was` is not known.
std::string replaced_note(const std::string& was, const std::string& value) {
  if (was.empty()) return {};
  const auto number = [](const std::string& text) -> std::optional<double> {
    if (text == "true") return 1.0;  // a switch: true is 1, as the loader reads it
    if (text == "false") return 0.0;
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

EditResult Session::apply(Edit edit) {
  const SourceLocation here{fmt::format("edit {} ({})", edits_.size() + 1, edit.description), 0, 0};
  // A switch reads as the page's box sends it and the registry gives it, 1 or 0, whether sent as true/false: its
  // line says "= 0 (was 1)", not "= false (was 1)".
  if (edit.kind == "set" && edit.path.starts_with("parameters.") && (edit.value == "true" || edit.value == "false")) {
    const auto* spec = find_parameter_spec(std::string_view(edit.path).substr(std::string_view("parameters.").size()));
    if (spec && spec->kind == ParameterKind::on_off) {
      edit.value = edit.value == "true" ? "1" : "0";
      edit.description = fmt::format("{} = {}", edit.path, edit.value);
    }
  }
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
    if (!event.empty() && event_with_id(scenario_, event) == nullptr) {
      // The errors the event switched on would have with this edit and not without it (every one of them, wherever
      // the loader finds it: a date after the file's `until`, a centre moved off the globe).
      // `was_on`, when given, gets what the edit's key held with the event on and without this edit, for its
      // "(was …)": the scenario on the page has no value of an event that is off.
      const auto errors_when_on = [&](const std::vector<Edit>& list, std::string* was_on = nullptr) {
        auto options = options_for(list, event);
        options.want_resolved_yaml = false;
        std::vector<Diagnostic> errors;
        const auto loaded = parsed_.load(options);
        for (const auto& d : loaded.diagnostics.all())
          if (d.severity == Severity::error) errors.push_back(d);
        if (was_on && loaded.scenario) *was_on = value_in(*loaded.scenario, made.path);
        return errors;
      };
      const auto with_edit = errors_when_on(edits);
      std::string was_on;
      // edits_ holds this edit by now
      const auto without_edit =
          errors_when_on({edits.begin(), edits.end() - 1}, made.kind == "set" ? &was_on : nullptr);
      Diagnostics refused_when_on;
      for (const auto& d : with_edit) {
        const bool before = std::any_of(without_edit.begin(), without_edit.end(), [&](const Diagnostic& o) {
          return o.message == d.message && o.location.line == d.location.line && o.location.column == d.location.column;
        });
        if (before) continue;
        const std::string message =
            fmt::format("{} (event {} is off; this is checked as if it were on)", d.message, event);
        if (d.location.file == at_edit.file) {
          refused_when_on.error(d.location, message);
        } else {
          const std::string where = d.location.line > 0
                                        ? fmt::format("{}:{}:{}", d.location.file, d.location.line, d.location.column)
                                        : d.location.file;
          refused_when_on.error({at_edit.file, 0, 0}, fmt::format("{} (given at {})", message, where));
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
      if (!was_on.empty()) edits_.back().replaced = replaced_note(was_on, made.value);
    }
    // A place's own capacity under a capacity change from day 0: the change holds while it is on, so the run does
    // not change then. Said, as for a parameter no rule reads.
    if (made.kind == "set" && made.path.starts_with("nodes.") && made.path.ends_with(".capacity")) {
      const std::string id = made.path.substr(6, made.path.size() - 6 - std::string_view(".capacity").size());
      for (std::size_t k = 0; k < scenario_.nodes.size(); ++k) {
        const Event* change = scenario_.nodes[k].id == id ? capacity_change_from_day_0(scenario_, k) : nullptr;
        if (!change) continue;
        result.diagnostics.warning(
            at_edit, fmt::format("{}: event {} sets this place's shelter capacity from day 0 ({}); this value holds "
                                 "only once that event ends",
                                 made.path, change->id,
                                 fmt::format("{}", std::get<CapacityChange>(change->action).capacity_people)));
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
    before.see_added_events_off();
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
  // The variant in use already: nothing changes, and nothing is left for undo to take back.
  if (variant == variant_) {
    EditResult unchanged;
    unchanged.applied = true;
    return unchanged;
  }
  Session fresh(source_, variant, limits_);
  if (!fresh.ok()) {
    EditResult result;
    result.diagnostics = fresh.load_diagnostics();
    return result;
  }
  // What each value replaced, again: the variant's own values lie under the edits now.
  auto edits = edits_;
  // As apply() says it: an added event holds what its addition gave, one switched off what it holds when on.
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
    if (earlier != set_before.end()) {
      edit.replaced = replaced_note(earlier->second, edit.value);
    } else if (switched_off.count(event)) {
      // What the variant's event holds when on (a load, as apply() makes for an event that is off).
      auto options = fresh.options_for({edits.begin(), edits.begin() + (&edit - edits.data())}, event);
      options.want_resolved_yaml = false;
      const auto loaded = fresh.parsed_.load(options);
      edit.replaced =
          loaded.scenario ? replaced_note(value_in(*loaded.scenario, edit.path), edit.value) : std::string();
    } else {
      edit.replaced = replaced_note(fresh.value_now(edit.path), edit.value);
    }
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
  fresh.see_added_events_off();
  *this = std::move(fresh);
  result.applied = true;
  return result;
}

}  // namespace haven::serve
