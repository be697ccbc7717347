// The scenario's own sections: its name and period, groups, parameters, departures, rules, home country and
// outputs (scenario_decoder.hpp).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "haven/scenario/keys.hpp"
#include "haven/util/text.hpp"
#include "scenario_decoder.hpp"

namespace haven::detail {

namespace {

// A mapping without 'scenario' and 'nodes' whose keys are all sections or dotted paths: a part of a scenario, as
// `haven serve` saves and `haven calibrate` writes, not a scenario with its sections misspelt.
bool reads_as_overlay(const YAML::Node& root) {
  if (!root.IsMap() || root.size() == 0) return false;
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) return false;
    const auto& key = entry.first.Scalar();
    if (key == "scenario" || key == "nodes") return false;
    const bool section = std::find(keys::top.begin(), keys::top.end(), key) != keys::top.end();
    if (!section && key.find('.') == std::string::npos) return false;
  }
  return true;
}

}  // namespace

void ScenarioDecoder::decode(const YAML::Node& root) {
  // One message instead of every key it lacks and every reference into the network it does not hold. `{}` is also
  // what haven serve saves as the overlay of a session without edits.
  const bool empty = root.IsMap() && root.size() == 0;
  if (refused_as_other_kind(reader_, root, FileKind::scenario)) return;
  if (empty || reads_as_overlay(root)) {
    reader_.error(
        root, "",
        fmt::format("{} check or run it on top of the scenario it changes: haven check SCENARIO.yaml "
                    "--set-file {}",
                    empty ? "an empty mapping is not a scenario (it needs 'scenario' and 'nodes'); if it is an "
                            "overlay without changes (as haven serve saves one),"
                          : "no 'scenario' and no 'nodes' here: this reads as an overlay, which changes a "
                            "scenario;",
                    reader_.file()));
    return;
  }
  MapReader top(reader_, root, "", keys::top);
  if (!top.valid()) return;
  // A misspelt section ('coridors') is already reported with a hint: require() does not also report it missing,
  // and references into it are not reported either.
  decode_scenario_section(top.require("scenario"));
  decode_groups(top.get("groups"));
  decode_nodes(top.require("nodes"));
  if (top.near_miss("corridors") && !top.has("corridors")) corridors_unreadable_ = network_incomplete_ = true;
  decode_corridors(top.get("corridors"));
  decode_parameters(top.get("parameters"), "parameters", s_.parameters);
  decode_events(top.get("events"));
  decode_observations(top.get("observations"));
  decode_outputs(top.get("outputs"));
  decode_home_country(top.get("home_country"));
  decode_departures(top.get("departures"));
  decode_rules(top.get("rules"));
  check_insert_day0(top.get("parameters"));
  check_connectivity();
}

void ScenarioDecoder::decode_variant_shapes(const YAML::Node& variants) {
  if (!variants.IsDefined()) return;
  if (!variants.IsMap()) {
    reader_.error(variants, "variants", "expected a mapping of variant names to overlays");
    return;
  }
  // haven check resolves every variant over the whole file (variants included): the time grows with their square
  // (32,000 empty ones took 79 s), so their number is bounded like every other expansion.
  constexpr std::size_t max_variants = 1000;
  if (variants.size() > max_variants) {
    reader_.error(variants, "variants",
                  fmt::format("the file defines {} variants; at most {} are taken (split them over several files, or "
                              "sweep a key with haven sweep instead of a variant per value)",
                              variants.size(), max_variants));
    return;
  }
  std::map<std::string, std::size_t> seen;
  for (auto it = variants.begin(); it != variants.end(); ++it) {
    const std::string path = it->first.IsScalar() ? join_path("variants", it->first.Scalar()) : "variants";
    auto name = reader_.identifier(it->first, path);
    if (!name) continue;
    const auto line = reader_.where(it->first, path).line;
    if (auto [first, fresh] = seen.emplace(*name, line); !fresh) {
      reader_.error(it->first, "variants",
                    fmt::format("duplicate variant '{}' ({})", *name, first_given(first->second)));
      continue;
    }
    s_.variant_names.push_back(*name);
    reader_.record_empty_value(it->second, it->first);
    MapReader variant(reader_, it->second, path, keys::variant);
    if (!variant.valid()) continue;
    if (auto node = variant.get("description"); node.IsDefined()) reader_.string(node, variant.path("description"));
    if (auto node = variant.get("remove_events");
        node.IsDefined() && reader_.expect_sequence(node, variant.path("remove_events"))) {
      for (std::size_t i = 0; i < node.size(); ++i)
        reader_.identifier(node[i], variant.path(fmt::format("remove_events[{}]", i)));
    }
    if (auto node = variant.get("add_events"); node.IsDefined())
      reader_.expect_sequence(node, variant.path("add_events"));
    if (auto node = variant.get("parameters"); node.IsDefined()) {
      ModelParameters scratch;
      decode_parameters(node, variant.path("parameters"), scratch);
    }
    if (auto node = variant.get("set"); node.IsDefined() && !node.IsMap()) {
      reader_.error(node, variant.path("set"), "expected a mapping of key paths to values");
    }
  }
}

// ---- scenario -------------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_scenario_section(const YAML::Node& node) {
  if (!node.IsDefined()) return;
  MapReader m(reader_, node, "scenario", keys::scenario);
  if (!m.valid()) return;
  if (auto v = m.require("name"); v.IsDefined()) {
    if (auto name = reader_.identifier(v, m.path("name"))) s_.name = *name;
  }
  if (auto v = m.get("title"); v.IsDefined()) s_.title = reader_.string(v, m.path("title")).value_or("");
  if (auto v = m.get("description"); v.IsDefined())
    s_.description = reader_.string(v, m.path("description")).value_or("");
  std::optional<Date> start;
  if (auto v = m.require("start_date"); v.IsDefined()) start = reader_.date(v, m.path("start_date"));
  if (start) s_.start_date = *start;
  const bool one_end = m.exclusive("end_date", "days");
  if (one_end && !m.has("end_date") && !m.has("days") && !m.near_miss("end_date") && !m.near_miss("days")) {
    reader_.error(node, "scenario", "missing 'end_date' or 'days' (how long to simulate)");
  }
  if (auto v = m.get("end_date"); v.IsDefined() && one_end) {
    auto end = reader_.date(v, m.path("end_date"));
    if (end && start) {
      const long days = days_between(*start, *end) + 1;
      if (days < 1) {
        reader_.error(v, m.path("end_date"),
                      fmt::format("{} is before start_date {}; the scenario runs from start_date to end_date "
                                  "(both included)",
                                  format_iso_date(*end), format_iso_date(*start)));
      } else if (days > max_days) {
        reader_.error(v, m.path("end_date"),
                      fmt::format("{} is more than 100 years ({} days) after start_date {}", format_iso_date(*end),
                                  max_days, format_iso_date(*start)));
      } else {
        s_.days = static_cast<int>(days);
        period_known_ = days_known_ = true;
      }
    }
  }
  if (auto v = m.get("days"); v.IsDefined() && one_end) {
    if (auto days = reader_.whole_number(v, m.path("days"), 1, max_days)) {
      s_.days = static_cast<int>(*days);
      period_known_ = start.has_value();
      days_known_ = true;  // a start date that does not read leaves day numbers checkable
    }
  }
  if (period_known_ && !detail::date_in_range(add_days(*start, s_.days - 1))) {
    const std::string key = m.has("days") ? "days" : "end_date";
    reader_.error(m.get(key), m.path(key),
                  fmt::format("the run would end on {}, after {}, the last date Haven supports (the years xarray "
                              "and numpy decode a time axis in)",
                              format_iso_date(add_days(*start, s_.days - 1)), format_iso_date(detail::latest_date)));
  }
  if (auto v = m.get("seed"); v.IsDefined()) {
    if (auto seed = reader_.seed(v, m.path("seed"))) s_.seed = *seed;
  }
  if (auto v = m.get("sources"); v.IsDefined() && reader_.expect_sequence(v, m.path("sources"))) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      s_.sources.push_back(decode_source(v[i], m.path(fmt::format("sources[{}]", i))));
    }
  }
}

SourceReference ScenarioDecoder::decode_source(const YAML::Node& node, const std::string& path) {
  SourceReference source;
  MapReader m(reader_, node, path, keys::source);
  if (!m.valid()) return source;
  if (auto v = m.require("publisher"); v.IsDefined())
    source.publisher = reader_.string(v, m.path("publisher")).value_or("");
  if (auto v = m.get("url"); v.IsDefined()) source.url = reader_.string(v, m.path("url")).value_or("");
  if (auto v = m.get("note"); v.IsDefined()) source.note = reader_.string(v, m.path("note")).value_or("");
  return source;
}

// ---- groups -----------------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_groups(const YAML::Node& node) {
  if (!node.IsDefined()) {
    s_.groups.push_back(Group{"all", 1.0, 1.0, 1.0});
    group_id_list_.push_back("all");
    return;
  }
  if (!reader_.expect_sequence(node, "groups")) return;
  if (node.size() == 0) {
    reader_.error(node, "groups", "needs at least one group (or leave 'groups' out for a single one)");
    return;
  }
  double share_sum = 0.0;
  bool shares_read = true;  // a share already reported would make the sum a follow-on message
  std::map<std::string, std::size_t> lines;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = fmt::format("groups[{}]", i);
    MapReader m(reader_, node[i], path, keys::group);
    Group group;
    if (!m.valid()) {
      s_.groups.push_back(group);
      group_id_list_.emplace_back();
      shares_read = false;
      continue;
    }
    if (auto v = m.require("id"); v.IsDefined()) {
      if (auto id = reader_.identifier(v, m.path("id"))) {
        const auto line = reader_.where(v, m.path("id")).line;
        if (auto [it, fresh] = lines.emplace(*id, line); !fresh) {
          reader_.error(v, m.path("id"), fmt::format("duplicate group id '{}' ({})", *id, first_given(it->second)));
        }
        group.id = *id;
      } else if (v.IsScalar()) {
        rejected_group_ids_.push_back(v.Scalar());
      }
    }
    const std::string gpath = group.id.empty() ? path : join_path("groups", group.id);
    if (auto v = m.require("share"); v.IsDefined()) {
      if (auto share = reader_.number_in(v, join_path(gpath, "share"), 0.0, 1.0)) {
        group.share = *share;
      } else {
        shares_read = false;
      }
    } else {
      shares_read = false;
    }
    share_sum += group.share;
    if (auto v = m.get("departure_factor"); v.IsDefined())
      group.departure_factor = reader_.number_in(v, join_path(gpath, "departure_factor"), 0.0, 100.0).value_or(1.0);
    if (auto v = m.get("speed_factor"); v.IsDefined())
      group.speed_factor = reader_.number_in(v, join_path(gpath, "speed_factor"), 0.01, 100.0).value_or(1.0);
    s_.groups.push_back(group);
    group_id_list_.push_back(group.id);
  }
  if (shares_read && std::abs(share_sum - 1.0) > 1e-6) {
    reader_.error(node, "groups", fmt::format("shares must sum to 1, they sum to {:.6g}", share_sum));
  }
}

// Population given as a total (split by group shares) or per group; whole people either way.
std::vector<std::int64_t> ScenarioDecoder::decode_population(const YAML::Node& node, const std::string& path) {
  std::vector<std::int64_t> by_group(s_.groups.size(), 0);
  if (node.IsMap()) {
    // A group whose id was rejected is neither asked for nor an unknown key here: that is one mistake, reported.
    std::vector<std::string_view> group_keys;
    for (const auto& id : group_id_list_)
      if (!id.empty()) group_keys.emplace_back(id);
    group_keys.insert(group_keys.end(), rejected_group_ids_.begin(), rejected_group_ids_.end());
    MapReader m(reader_, node, path, group_keys);
    if (!m.valid()) return by_group;
    for (std::size_t g = 0; g < s_.groups.size(); ++g) {
      if (group_id_list_[g].empty()) continue;
      if (auto v = m.get(group_id_list_[g]); v.IsDefined()) {
        by_group[g] = reader_.whole_number(v, m.path(group_id_list_[g]), 0, static_cast<std::int64_t>(max_population))
                          .value_or(0);
      } else if (!m.near_miss(group_id_list_[g])) {
        reader_.error(node, path,
                      fmt::format("missing group '{}' (give every group, or one total)", group_id_list_[g]));
      }
    }
    return by_group;
  }
  auto total = reader_.whole_number(node, path, 0, static_cast<std::int64_t>(max_population));
  if (!total) return by_group;
  // Largest remainder keeps the split exact: the groups add up to the total given.
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t assigned = 0;
  for (std::size_t g = 0; g < s_.groups.size(); ++g) {
    const double exact = static_cast<double>(*total) * s_.groups[g].share;
    by_group[g] = static_cast<std::int64_t>(std::floor(exact));
    assigned += by_group[g];
    remainders.emplace_back(exact - std::floor(exact), g);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; assigned < *total && !remainders.empty(); k = (k + 1) % remainders.size(), ++assigned) {
    ++by_group[remainders[k].second];
  }
  return by_group;
}

// ---- parameters -------------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_parameters(const YAML::Node& node, const std::string& path, ModelParameters& parameters) {
  if (!node.IsDefined()) return;
  static const auto names = parameter_names();
  MapReader m(reader_, node, path, names, " (run 'haven params' for the list)");
  if (!m.valid()) return;
  // In the order written, so that the messages follow the file.
  std::vector<const ParameterSpec*> read;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const auto* spec = find_parameter_spec(it->first.Scalar());
    // Unknown and repeated keys are MapReader's to report.
    if (spec == nullptr || std::find(read.begin(), read.end(), spec) != read.end()) continue;
    read.push_back(spec);
    if (auto v = m.get(spec->name); v.IsDefined()) {
      if (auto value = parameter_value(v, m.path(spec->name), *spec)) *parameters.find(spec->name) = *value;
    }
  }
}

// A parameter's value: a number in its range, whole where it counts something, 0 or 1 (or false or true) where it is
// a switch. The engine would otherwise read a fraction as something else (2.5 links as 3, 0.4 as off).
std::optional<double> ScenarioDecoder::parameter_value(const YAML::Node& node, const std::string& path,
                                                       const ParameterSpec& spec) {
  if (spec.kind == ParameterKind::on_off) return reader_.switch_value(node, path);
  auto value = reader_.number_in(node, path, spec.minimum, spec.maximum);
  if (!value || parameter_value_allowed(spec, *value)) return value;
  reader_.error(node, path, fmt::format("expected {} ({}), got {:g}", allowed_values(spec), spec.units, *value));
  return std::nullopt;
}

// ---- departures and home country --------------------------------------------------------------------------------
void ScenarioDecoder::decode_departures(const YAML::Node& node) {
  if (!node.IsDefined()) return;
  MapReader m(reader_, node, "departures", keys::departures);
  if (!m.valid()) return;
  if (auto v = m.require("mode"); v.IsDefined()) {
    if (auto mode = reader_.choice(v, m.path("mode"), departure_mode_names)) {
      s_.departures.mode = *mode == "given" ? DepartureMode::given : DepartureMode::predicted;
    }
  }
  auto v = m.get("observation");
  if (v.IsDefined()) {
    if (auto id = reader_.string(v, m.path("observation"))) {
      std::vector<std::string> ids;
      for (const auto& o : s_.observations) ids.push_back(o.id);
      if (std::find(ids.begin(), ids.end(), *id) == ids.end()) {
        reader_.error(v, m.path("observation"),
                      fmt::format("unknown observation '{}'{}", *id, did_you_mean(*id, std::span(ids))));
      } else {
        s_.departures.observation = *id;
      }
    }
  }
  if (s_.departures.mode == DepartureMode::given && !v.IsDefined() && !m.near_miss("observation")) {
    reader_.error(node, "departures",
                  "mode 'given' needs 'observation': the id of the observed series whose daily rise is the number "
                  "of people who flee each day");
  } else if (s_.departures.mode == DepartureMode::given && !s_.departures.observation.empty()) {
    bool any_conflict = false;
    for (const auto& e : s_.events) any_conflict = any_conflict || std::holds_alternative<ArmedConflict>(e.action);
    if (!any_conflict) {
      reader_.warning(node, "departures",
                      "mode 'given' places departures over the nodes under armed conflict, and there is no "
                      "armed_conflict event: nobody will leave");
    }
  }
}

// `rules: flee` runs Flee's rules, which are told how many flee: departures must be given.
void ScenarioDecoder::decode_rules(const YAML::Node& node) {
  if (!node.IsDefined()) return;
  auto name = reader_.choice(node, "rules", rule_set_names);
  if (!name) return;
  s_.rules = *name == "flee" ? RuleSetKind::flee : RuleSetKind::haven;
  if (s_.rules == RuleSetKind::flee && s_.departures.mode != DepartureMode::given) {
    reader_.error(node, "rules",
                  "Flee's rules are told how many people flee each day: add 'departures: {mode: given, "
                  "observation: ID}' naming the observed series whose daily rise that is");
  }
}

// Under Flee's rules, flee_insert_day0 = 0 has the camps' day-0 people flee on day 0 like everyone after them, as
// Flee does; camps that already hold displaced people would then count them twice (import-flee leaves the camps empty
// for a folder whose settings say so).
void ScenarioDecoder::check_insert_day0(const YAML::Node& parameters) {
  if (s_.rules != RuleSetKind::flee || s_.parameters.flee_insert_day0 != 0.0) return;
  std::vector<std::string> held;
  std::int64_t people = 0;
  for (const auto& n : s_.nodes) {
    std::int64_t here = 0;
    for (const auto count : n.displaced_by_group) here += count;
    if (n.kind == NodeKind::camp && here > 0) {
      held.push_back(n.id);
      people += here;
    }
  }
  if (held.empty()) return;
  const YAML::Node at =
      parameters.IsMap() && parameters["flee_insert_day0"] ? parameters["flee_insert_day0"] : parameters;
  reader_.error(
      at, "parameters.flee_insert_day0",
      fmt::format("0 has the camps' day-0 people flee on day 0, but {} camp{} already hold{} {} displaced "
                  "people ({}{}): they would be counted twice; keep it at 1, or take the camps' "
                  "'displaced' out (as haven import-flee does for a folder whose settings say "
                  "insert_day0: false)",
                  held.size(), held.size() == 1 ? "" : "s", held.size() == 1 ? "s" : "", people,
                  fmt::join(held.begin(),
                            held.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, held.size())), ", "),
                  held.size() > 3 ? ", ..." : ""));
}

void ScenarioDecoder::decode_home_country(const YAML::Node& node) {
  if (!node.IsDefined()) return;
  auto name = reader_.string(node, "home_country");
  if (!name) return;
  const auto known = countries();
  if (!nodes_unreadable_ && std::find(known.begin(), known.end(), *name) == known.end()) {
    reader_.error(node, "home_country",
                  fmt::format("no node has country '{}'{}", *name, did_you_mean(*name, std::span(known))));
    return;
  }
  s_.home_country = *name;
}

// ---- outputs ----------------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_outputs(const YAML::Node& node) {
  if (!node.IsDefined()) return;
  MapReader m(reader_, node, "outputs", keys::outputs);
  if (!m.valid()) return;
  if (auto v = m.get("path"); v.IsDefined()) s_.outputs.path = reader_.string(v, m.path("path")).value_or("");
  if (auto v = m.get("variables"); v.IsDefined() && reader_.expect_sequence(v, m.path("variables"))) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (auto name = reader_.choice(v[i], m.path(fmt::format("variables[{}]", i)), output_variable_names))
        s_.outputs.variables.push_back(*name);
    }
  }
  if (auto v = m.get("nodes"); v.IsDefined() && reader_.expect_sequence(v, m.path("nodes"))) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (auto index = node_ref(v[i], m.path(fmt::format("nodes[{}]", i)))) s_.outputs.nodes.push_back(*index);
    }
  }
  if (auto v = m.get("interval_days"); v.IsDefined())
    s_.outputs.interval_days =
        static_cast<int>(reader_.whole_number(v, m.path("interval_days"), 1, max_days).value_or(1));
}
}  // namespace haven::detail
