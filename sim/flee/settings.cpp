// Flee's simsetting.yml as Haven parameters: each setting the Flee rule set reads becomes its flee_* parameter (or
// the spawn decay shared with given departures); settings that change nothing in these rules are listed as such,
// and settings Flee's rule set here does not reproduce are reported (docs/flee.md).

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <string_view>

#include "haven/flee/folder.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/util/text.hpp"

namespace haven::flee {

namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::optional<double> number_value(std::string text) {
  text = trim(text);
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on") return 1.0;
  if (lower == "false" || lower == "no" || lower == "off") return 0.0;
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// Every setting Flee's SimulationSettings.py reads (section.key, as read_flee_folder() flattens simsetting.yml; at the
// commit docs/flee.md names), whether these rules express it or not: a key outside them is a misspelt one.
constexpr auto flee_setting_keys = std::to_array<std::string_view>({
    "optimisations.hasten",
    "spawn_rules.take_from_population",
    "spawn_rules.insert_day0",
    "spawn_rules.empty_camps_on_day0",
    "spawn_rules.conflict_zone_spawning_only",
    "spawn_rules.flood_zone_spawning_only",
    "spawn_rules.camps_are_sicks",
    "spawn_rules.read_from_agents_csv_file",
    "spawn_rules.sum_from_camps",
    "spawn_rules.starvation_driven_spawning",
    "spawn_rules.conflict_driven_spawning",
    "spawn_rules.average_social_connectivity",
    "spawn_rules.flood_driven_spawn_mode",
    "spawn_rules.flood_driven_spawning",  // read in flee.py and InputGeography.py, not SimulationSettings.py
    "spawn_rules.conflict_spawn_decay",
    "spawn_rules.conflict_spawn_decay_interval",
    "move_rules.max_move_speed",
    "move_rules.max_walk_speed",
    "move_rules.max_crossing_speed",
    "move_rules.foreign_weight",
    "move_rules.camp_weight",
    "move_rules.conflict_weight",
    "move_rules.conflict_movechance",
    "move_rules.camp_movechance",
    "move_rules.idpcamp_movechance",
    "move_rules.default_movechance",
    "move_rules.awareness_level",
    "move_rules.capacity_buffer",
    "move_rules.capacity_scaling",
    "move_rules.avoid_short_stints",
    "move_rules.start_on_foot",
    "move_rules.use_v1_rules",
    "move_rules.softening",
    "move_rules.weight_softening",
    "move_rules.weight_power",
    "move_rules.distance_power",
    "move_rules.stay_close_to_home",
    "move_rules.home_distance_power",
    "move_rules.use_pop_for_loc_weight",
    "move_rules.pop_power_for_loc_weight",
    "move_rules.movechance_pop_base",
    "move_rules.movechance_pop_scale_factor",
    "move_rules.pruning_threshold",
    "move_rules.WomenAvoidHazards",
    "move_rules.ChildrenAvoidHazards",
    "move_rules.ElderlyAvoidHazards",
    "move_rules.BoysTakeRisk",
    "move_rules.MatchCampReligion",
    "move_rules.MatchCampEthnicity",
    "move_rules.MatchTownEthnicity",
    "move_rules.MatchConflictEthnicity",
    "move_rules.avg_religion_fraction",
    "move_rules.fixed_routes",
    "move_rules.two_system_decision_making",
    "move_rules.use_economic_pull",
    "move_rules.harvest_months",
    "move_rules.flee_when_starving",
    "move_rules.avoid_food_deprived_locations",
    "move_rules.flood_rules",
});

bool read_by_flee(std::string_view key) {
  return std::find(flee_setting_keys.begin(), flee_setting_keys.end(), key) != flee_setting_keys.end();
}

// Flee's setting -> the Haven parameter holding it (docs/flee.md has the table).
const std::map<std::string, std::string>& flee_parameter_of() {
  static const std::map<std::string, std::string> parameter_of = {
      {"move_rules.max_move_speed", "flee_max_move_speed_km_per_day"},
      {"move_rules.max_walk_speed", "flee_max_walk_speed_km_per_day"},
      {"move_rules.start_on_foot", "flee_start_on_foot"},
      {"move_rules.avoid_short_stints", "flee_avoid_short_stints"},
      {"move_rules.conflict_movechance", "flee_conflict_movechance"},
      {"move_rules.camp_movechance", "flee_camp_movechance"},
      {"move_rules.default_movechance", "flee_default_movechance"},
      {"move_rules.movechance_pop_base", "flee_movechance_pop_base"},
      {"move_rules.movechance_pop_scale_factor", "flee_movechance_pop_scale_factor"},
      {"move_rules.awareness_level", "flee_awareness_level"},
      {"move_rules.softening", "flee_softening_km"},
      {"move_rules.weight_softening", "flee_weight_softening"},
      {"move_rules.distance_power", "flee_distance_power"},
      {"move_rules.weight_power", "flee_weight_power"},
      {"move_rules.pruning_threshold", "flee_pruning_threshold"},
      {"move_rules.camp_weight", "flee_camp_weight"},
      {"move_rules.conflict_weight", "flee_conflict_weight"},
      {"move_rules.foreign_weight", "flee_foreign_weight"},
      {"move_rules.capacity_buffer", "flee_capacity_buffer"},
      {"move_rules.capacity_scaling", "flee_capacity_scaling"},
      {"spawn_rules.insert_day0", "flee_insert_day0"},
  };
  return parameter_of;
}

// The setting Flee reads that `key` (one it does not) is one or two letters from, in the same section; empty if none.
std::string_view setting_meant(std::string_view key) {
  const auto dot = key.find('.');
  const std::string_view section = key.substr(0, dot == std::string_view::npos ? 0 : dot + 1);
  const std::string_view name = key.substr(section.size());
  std::string_view meant;
  std::size_t best = 3;
  for (const auto candidate : flee_setting_keys) {
    if (!candidate.starts_with(section) || candidate.size() <= section.size()) continue;
    const std::size_t distance = edit_distance(name, candidate.substr(section.size()));
    if (distance < best) best = distance, meant = candidate;
  }
  return meant;
}

}  // namespace

SettingProblem flee_setting_problem(const std::string& key, const std::string& text) {
  if (key.rfind("log_levels.", 0) == 0) return {};
  if (!read_by_flee(key)) {
    // A key Flee does not read that is one or two letters from one it does, in the same section, is most likely
    // misspelt (awarenes_level): warned of where it is, since the setting meant keeps its default. A warning, not an
    // error: Flee itself takes the file, and another Flee version may read keys this list lacks.
    const std::string_view meant = setting_meant(key);
    if (meant.empty()) return {};
    return {fmt::format("{}: not a setting Flee reads; did you mean '{}'? (its default is used)", key, meant), false,
            true};
  }
  // Flee reads it as a number (float() in SimulationSettings.py, which fails on anything else).
  if (flee_parameter_of().count(key) && !number_value(text))
    return {fmt::format("{}: expected a number, got '{}'", key, text), true, false};
  return {};
}

SettingsAsParameters settings_as_parameters(const FleeConflict& conflict) {
  const auto& parameter_of = flee_parameter_of();
  // Settings whose value these rules already take as Flee's validation runs set them (value -> ok), or that
  // change nothing with counts instead of agents.
  static const std::map<std::string, double> fixed = {
      {"spawn_rules.sum_from_camps", 1.0},
      {"spawn_rules.empty_camps_on_day0", 0.0},
      {"spawn_rules.take_from_population", 0.0},
      {"spawn_rules.camps_are_sicks", 0.0},
      {"move_rules.use_v1_rules", 0.0},
      {"move_rules.fixed_routes", 0.0},
      {"move_rules.stay_close_to_home", 0.0},
      {"move_rules.use_pop_for_loc_weight", 0.0},
      {"move_rules.two_system_decision_making", 0.0},
  };
  SettingsAsParameters result;
  for (const auto& [key, text] : conflict.settings) {
    if (key.rfind("log_levels.", 0) == 0) continue;  // Flee's logging
    if (key == "optimisations.hasten") {
      // Flee divides its agents (and populations) to run faster; counts need no such thing.
      if (number_value(text).value_or(1.0) != 1.0) result.notes.push_back("hasten " + text + " not needed: full scale");
      continue;
    }
    if (key == "move_rules.max_crossing_speed") continue;  // read by Flee, used nowhere in its rules
    if (auto it = parameter_of.find(key); it != parameter_of.end()) {
      const auto* spec = find_parameter_spec(it->second);
      // A value the scenario would refuse (out of range, or of the wrong kind): said here, where the setting is
      // named, and the default kept, as for any setting these rules cannot express (a message located in the
      // imported YAML would point into a file that is never written).
      if (auto value = number_value(text); value && spec && !parameter_value_allowed(*spec, *value)) {
        // The scenario would refuse it; the import says so here, where the setting is named, and keeps the default.
        result.unexpressed.push_back(
            {fmt::format("Flee setting {} = {} (Haven's {} takes {})", key, text, it->second, allowed_values(*spec)),
             "1 setting"});
      } else if (value) {
        result.parameters.emplace_back(it->second, *value);
      } else {
        result.unexpressed.push_back({"Flee setting " + key + " = " + text + " (not a number)", "1 setting"});
      }
      continue;
    }
    // The spawn decay is the import's (sim/flee/import.cpp writes it as spawn_decay_* parameters, for Haven's rules
    // too, and says what of it cannot be written).
    if (key == "spawn_rules.conflict_spawn_decay" || key == "spawn_rules.conflict_spawn_decay_interval") continue;
    if (auto it = fixed.find(key); it != fixed.end()) {
      if (number_value(text) == it->second) continue;
      result.unexpressed.push_back({"Flee setting " + key + " = " + text,
                                    "1 setting (the Flee rule set takes " + fmt::format("{}", it->second) + ")"});
      continue;
    }
    // A key Flee does not read either is most likely a misspelt one (max_move_sped): named with the setting it was
    // likely meant to be, so that the setting meant is not silently left at its default.
    const std::string_view meant = read_by_flee(key) ? std::string_view() : setting_meant(key);
    result.unexpressed.push_back({"Flee setting " + key + " = " + text,
                                  "1 setting (not in the Flee rule set" +
                                      (meant.empty() ? std::string() : fmt::format("; did you mean '{}'?", meant)) +
                                      ")"});
  }
  return result;
}

}  // namespace haven::flee
