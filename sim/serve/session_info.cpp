#include "session_info.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "edit_words.hpp"
#include "haven/engine/flee_rules.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/serve/edit.hpp"
#include "haven/util/date.hpp"

namespace haven::serve {

using Json = nlohmann::json;

namespace {

// An event switched off keeps its edits for when it is on again (Session::overrides_for), so its row shows them, not
// the scenario's values: a strength of 40 set before switching it off comes back as 40. Only what the row shows.
void show_kept_edits(const Session& session, const Scenario& s, const std::string& id, Json& event) {
  const std::string prefix = "events." + id + ".";
  std::map<std::string, YAML::Node> kept;  // key -> its last value
  for (const auto& edit : session.edits()) {
    // A move while it is off: the point it will be centred on (a place then has none of its own).
    if (edit.kind == "move_event" && edit.id == id && edit.event.size() == 3) {
      event["lat"] = std::stod(edit.event[0].second);
      event["lon"] = std::stod(edit.event[1].second);
      event.erase("node");
      if (!edit.event[2].second.empty()) {
        event["radius_km"] = std::stod(edit.event[2].second);
      } else if (!event.contains("radius_km") || event["radius_km"].get<double>() <= 0.0) {
        event["radius_km"] = 5.0;  // as the move makes it (Session::overrides_for)
      }
      continue;
    }
    if (edit.kind != "set" || !edit.path.starts_with(prefix)) continue;
    try {
      const YAML::Node value = YAML::Load(edit.value);
      if (value.IsScalar()) kept[edit.path.substr(prefix.size())] = value;
    } catch (const YAML::Exception&) {
      // it loaded when it was made; nothing to show otherwise
    }
  }
  if (kept.empty()) return;
  // A date as a date, else a day number, as the loader takes them.
  const auto day_of = [&](const YAML::Node& value) -> std::optional<long> {
    if (const auto date = parse_iso_date(value.Scalar())) return days_between(s.start_date, *date);
    long number = 0;
    return YAML::convert<long>::decode(value, number) ? std::optional<long>(number) : std::nullopt;
  };
  double intensity = 0.0;
  if (kept.count("intensity") && YAML::convert<double>::decode(kept["intensity"], intensity)) {
    event["intensity"] = intensity;
  }
  // The start, then the end as the loader would make it: from `until`, else from a duration (edited, or the file's
  // own, which then moves with the start), else the file's `until` where it was.
  std::optional<long> start;
  if (kept.count("date")) start = day_of(kept["date"]);
  if (kept.count("day")) start = day_of(kept["day"]);
  if (start) {
    event["start_day"] = *start;
    event["start_date"] = format_iso_date(add_days(s.start_date, *start));
  }
  const long begins = start ? *start : event["start_day"].get<long>();
  YAML::Node written;
  try {
    written = YAML::Load(session.base_event_text(id));
  } catch (const YAML::Exception&) {
  }
  std::optional<long> end;  // exclusive
  long duration = 0;
  if (kept.count("until")) {
    if (const auto last = day_of(kept["until"])) end = *last + 1;
  } else if (kept.count("duration_days") && YAML::convert<long>::decode(kept["duration_days"], duration)) {
    end = begins + duration;
  } else if (start && written.IsMap() && written["duration_days"] &&
             YAML::convert<long>::decode(written["duration_days"], duration)) {
    end = begins + duration;
  }
  if (end) {
    event["end_day"] = *end;
    event["until_date"] = format_iso_date(add_days(s.start_date, *end - 1));
  }
}

// The event kinds the scenario's rules act on that an add_event edit takes: the page offers them to add (under
// Flee's rules a bombardment would change nothing; a country closure is written in a file, its countries typed).
std::vector<std::string_view> addable_kinds_acted_on(RuleSetKind rules) {
  std::vector<std::string_view> kinds;
  if (rules == RuleSetKind::flee) {
    kinds = flee_event_kinds();
  } else {
    kinds.assign(event_kind_names.begin(), event_kind_names.end());
  }
  std::erase_if(kinds, [](std::string_view kind) { return !addable_event_kind(kind); });
  return kinds;
}

}  // namespace

Json edits_json(const Session& session) {
  const auto& edits = session.edits();
  const EditWords words(session);
  Json list = Json::array();
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const Edit& edit = edits[i];
    Json item{{"index", i + 1}, {"kind", edit.kind}, {"description", edit.listed()}, {"words", words(edit)}};
    if (edit.kind == "set") {
      item["path"] = edit.path;
      item["value"] = edit.value;
      item["was"] = edit.replaced;
    } else if (edit.kind == "toggle_event" || edit.kind == "move_event") {
      item["id"] = edit.id;
      if (edit.kind == "toggle_event") item["enabled"] = edit.enabled;
    } else if (edit.kind == "add_event") {
      item["id"] = edit.added_id();
    }
    list.push_back(std::move(item));
  }
  return list;
}

std::map<std::string, std::string> held_because(const Session& session) {
  std::map<std::string, std::string> held;
  // A value the server was started with (--set-file, --set) is held as the page's own edits are.
  for (const auto& o : session.source().start.edits()) held.emplace(o.path, "started_with");
  for (const auto& e : session.edits())
    if (e.kind == "set") held.insert_or_assign(e.path, "edited");
  // And what the chosen variant sets (its band is a band of that variant), and a key of an event not in the run (one
  // switched off, or one the variant removes): there is no value to draw.
  if (const auto& uncertainty = session.source().uncertainty) {
    const auto& events = session.scenario().events;
    for (const auto& p : uncertainty->spec.parameters) {
      const auto last = p.path.rfind('.');
      // (An item named by its position, events.0.intensity, is the loader's to find, not looked up here.)
      const std::string item = last > 7 ? p.path.substr(7, last - 7) : std::string();
      const bool by_position = !item.empty() && std::all_of(item.begin(), item.end(), ::isdigit);
      const bool absent_event =
          p.path.starts_with("events.") && last > 7 && !by_position &&
          std::none_of(events.begin(), events.end(), [&](const Event& e) { return e.id == item; });
      if (absent_event) {
        held.insert_or_assign(p.path, "not_in_run");
      } else if (session.variant_sets(p.path) && !held.count(p.path)) {
        held.emplace(p.path, "variant");
      }
    }
  }
  return held;
}

std::set<std::string> held_paths(const Session& session) {
  std::set<std::string> paths;
  for (const auto& [path, why] : held_because(session)) paths.insert(path);
  return paths;
}

Json session_info(const Session& session, const std::string& id) {
  const Scenario& s = session.scenario();
  Json events = Json::array();
  std::set<std::string> on;
  for (const auto& e : s.events) on.insert(e.id);
  // The base's events first, then those added, in the order they were added: switched off ones too, so that the
  // page can switch them on again.
  std::vector<const Event*> all;
  const auto listed = [&all](const std::string& event_id) {
    return std::any_of(all.begin(), all.end(), [&](const Event* b) { return b->id == event_id; });
  };
  for (const auto& e : session.base().events) all.push_back(&e);
  const std::vector<Event> added_off = session.added_events_off();
  for (const auto& edit : session.edits()) {
    if (edit.kind != "add_event" || listed(edit.added_id())) continue;
    for (const auto* list : {&s.events, &added_off}) {
      const auto it = std::find_if(list->begin(), list->end(), [&](const Event& e) { return e.id == edit.added_id(); });
      if (it != list->end()) {
        all.push_back(&*it);
        break;
      }
    }
  }
  for (const auto& e : s.events) {
    if (!listed(e.id)) all.push_back(&e);
  }
  for (const Event* base_event : all) {
    const Event* e = base_event;
    for (const auto& current : s.events)
      if (current.id == base_event->id) e = &current;
    Json event{{"id", e->id},
               {"kind", event_kind_name(e->action)},
               {"start_day", e->start_day},
               {"start_date", format_iso_date(add_days(s.start_date, e->start_day))},
               {"enabled", on.count(e->id) > 0},
               {"note", e->note}};
    if (e->end_day) {
      event["end_day"] = *e->end_day;
      event["until_date"] = format_iso_date(add_days(s.start_date, *e->end_day - 1));
    }
    // Where an area event is centred: the page puts a handle there that can be dragged to move it.
    const auto centre = [&](const Area& area) {
      event["radius_km"] = area.radius_km;
      if (area.node >= 0) event["node"] = s.nodes[static_cast<std::size_t>(area.node)].id;
      if (area.lat_deg) event["lat"] = *area.lat_deg;
      if (area.lon_deg) event["lon"] = *area.lon_deg;
      // The place the panel names a point by: the list of edits' "near X" (place_near), one test for both.
      if (area.lat_deg && area.lon_deg) event["near"] = place_near(s, *area.lat_deg, *area.lon_deg);
    };
    if (const auto* b = std::get_if<Bombardment>(&e->action)) {
      event["intensity"] = b->intensity_strikes_per_day;
      centre(b->target);
    } else if (const auto* c = std::get_if<Ceasefire>(&e->action)) {
      centre(c->area);
    } else if (const auto* a = std::get_if<ArmedConflict>(&e->action)) {
      event["intensity"] = a->intensity;  // Flee's conflict intensity: under Flee's rules, how strongly it repels
    }
    // The road or place it acts on, for the panel to name (an id alone reads "cut_m4_latakia").
    std::visit(
        [&](const auto& action) {
          using T = std::decay_t<decltype(action)>;
          if constexpr (requires { action.corridor; }) {
            if (action.corridor >= 0) event["corridor"] = s.corridors[static_cast<std::size_t>(action.corridor)].id;
          } else if constexpr (requires { action.node; }) {
            if (action.node >= 0) event["node"] = s.nodes[static_cast<std::size_t>(action.node)].id;
          } else if constexpr (std::is_same_v<T, CountryClosure>) {
            event["countries"] = {action.country_a, action.country_b};
          } else if constexpr (std::is_same_v<T, Evacuation>) {
            event["from"] = s.nodes[static_cast<std::size_t>(action.from)].id;
            event["to"] = s.nodes[static_cast<std::size_t>(action.to)].id;
          }
        },
        e->action);
    if (!on.count(e->id)) show_kept_edits(session, s, e->id, event);
    events.push_back(std::move(event));
  }
  Json nodes = Json::array();
  for (const auto& n : s.nodes) {
    Json node{{"id", n.id}, {"name", n.name}, {"kind", to_string(n.kind)}, {"lat", n.lat_deg}, {"lon", n.lon_deg}};
    if (n.capacity_people) node["capacity"] = *n.capacity_people;
    // What the place shelters on day 0 under the scenario's rules, given or not (JSON has no infinity): a capacity
    // change from day 0 on sets it (named in `capacity_by`).
    double starting = starting_capacity_people(s, nodes.size());
    if (const Event* change = capacity_change_from_day_0(s, nodes.size())) {
      starting = std::get<CapacityChange>(change->action).capacity_people;
      node["capacity_by"] = change->id;
    }
    node["capacity_now"] = std::isinf(starting) ? Json("unlimited") : Json(std::llround(starting));
    nodes.push_back(std::move(node));
  }
  Json corridors = Json::array();
  for (const auto& c : s.corridors) {
    Json corridor{{"id", c.id},
                  {"from", s.nodes[static_cast<std::size_t>(c.from)].name},
                  {"to", s.nodes[static_cast<std::size_t>(c.to)].name},
                  {"closed", c.closed}};
    if (c.capacity_people_per_day) corridor["capacity_people_per_day"] = *c.capacity_people_per_day;
    // The closures of it that are switched on: a road open in the scenario may be closed by one, which its own
    // `closed` cannot undo (the page says to switch the event off).
    Json closed_by = Json::array();
    const auto index = static_cast<CorridorIndex>(corridors.size());
    for (const auto& e : s.events) {
      const auto* closure = std::get_if<CorridorClosure>(&e.action);
      if (!closure || closure->corridor != index) continue;
      Json by{{"id", e.id}, {"start_date", format_iso_date(add_days(s.start_date, e.start_day))}};
      if (e.end_day) by["until_date"] = format_iso_date(add_days(s.start_date, *e.end_day - 1));
      closed_by.push_back(std::move(by));
    }
    if (!closed_by.empty()) corridor["closed_by"] = std::move(closed_by);
    corridors.push_back(std::move(corridor));
  }
  // Only those the scenario's rules read: a slider that moves nothing would tell a planner the model does not care.
  Json parameters = Json::array();
  for (const auto& spec : parameter_specs) {
    if (!rule_set_reads(s, spec.name)) continue;
    parameters.push_back({{"name", spec.name},
                          {"label", std::string(spec.name).replace(0, 0, "")},
                          {"meaning", spec.meaning},
                          {"units", spec.units},
                          {"default", spec.default_value},
                          {"minimum", spec.minimum},
                          {"maximum", spec.maximum},
                          {"kind", to_string(spec.kind)},
                          {"value", *s.parameters.find(spec.name)}});
  }
  // The parameter ranges a band may draw from (a sweep file of this scenario), with those an edit holds fixed.
  Json uncertainty = nullptr;
  if (const auto& u = session.source().uncertainty) {
    const auto held = held_because(session);
    Json varied = Json::array();
    for (const auto& p : u->spec.parameters) {
      const auto why = held.find(p.path);
      varied.push_back({{"name", p.name},
                        {"path", p.path},
                        {"minimum", p.minimum},
                        {"maximum", p.maximum},
                        {"scale", p.scale == RangeScale::log ? "log" : "linear"},
                        {"held", why != held.end()},
                        {"held_because", why != held.end() ? Json(why->second) : Json(nullptr)}});
    }
    uncertainty = {{"sweep", u->sweep_name}, {"method", to_string(u->spec.method)}, {"parameters", varied}};
  }
  return {{"session", id},
          {"uncertainty", uncertainty},
          {"scenario", session.source_name()},
          {"starting_arguments", session.source().start.arguments()},
          {"title", s.title.empty() ? s.name : s.title},
          {"rules", s.rules == RuleSetKind::flee ? "flee" : "haven"},
          {"event_kinds", addable_kinds_acted_on(s.rules)},
          {"departures_given", s.departures.mode == DepartureMode::given},
          {"start_date", format_iso_date(s.start_date)},
          {"days", s.days},
          {"variant", session.variant()},
          {"variants", session.base().variant_names},
          {"events", events},
          {"nodes", nodes},
          {"corridors", corridors},
          {"parameters", parameters},
          {"edits", edits_json(session)},
          {"undo", session.undo_target()}};
}

const Event* capacity_change_from_day_0(const Scenario& scenario, std::size_t node) {
  if (scenario.rules != RuleSetKind::haven) return nullptr;
  const Event* last = nullptr;
  for (const auto& e : scenario.events) {
    const auto* change = std::get_if<CapacityChange>(&e.action);
    if (change && e.start_day <= 0 && static_cast<std::size_t>(change->node) == node) last = &e;
  }
  return last;
}

}  // namespace haven::serve
