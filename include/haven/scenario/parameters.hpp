#pragma once
// The model parameter registry: every parameter is declared exactly once, below, with its name, units,
// default, allowed range, meaning and the origin of the default. Parsing, range checks, `haven params`,
// the JSON Schema and docs/parameters.md are all generated from this one list.

#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace haven {

// X(name, units, default, minimum, maximum, kind, meaning, origin of the default). The kind says which values
// within the range are allowed: `real` any, `whole` whole numbers only, `on_off` 0 or 1 (a switch).
// clang-format off
#define HAVEN_MODEL_PARAMETERS(X)                                                                                    \
  X(threat_kernel_km, "km", 1.0, 0.1, 500.0, real,                                                                         \
    "e-folding distance of a strike's threat beyond its radius",                                                     \
    "calibrated on the Idlib 2019-2020 OCHA series (docs/validation.md): strikes drive flight from the town hit")    \
  X(threat_onset_days, "days", 8.0, 0.0, 365.0, real,                                                                      \
    "time constant with which felt threat builds up toward a higher exposure (0: felt at once)",                     \
    "calibrated on both Idlib OCHA series (docs/validation.md): people wait to see whether bombardment lasts")        \
  X(threat_memory_days, "days", 0.25, 0.1, 365.0, real,                                                                    \
    "e-folding time over which felt threat decays once strikes stop or lessen",                                      \
    "calibrated on both Idlib OCHA series (docs/validation.md): flight stopped within days of a lull (Sept 2018)")   \
  X(threat_half_saturation, "strikes/day", 60.0, 0.01, 1000.0, real,                                                       \
    "threat at which the departure hazard reaches half its maximum",                                                 \
    "calibrated on both Idlib OCHA series, Dec 2019 - Mar 2020 and Sept 2018 (docs/validation.md)")                \
  X(front_line_threat, "strikes/day", 20.0, 0.0, 1000.0, real,                                                             \
    "strike exposure added at a captured node while it is the front line",                                                    \
    "a front line is at least as dangerous as heavy bombardment")                                                    \
  X(ceasefire_compliance, "1", 0.9, 0.0, 1.0, real,                                                                        \
    "fraction of strikes suppressed inside a ceasefire's area and window",                                           \
    "ACLED recorded shelling but no airstrikes in the weeks after 6 Mar 2020")                                       \
  X(max_departure_rate_per_day, "1/day", 0.18, 0.0, 10.0, real,                                                            \
    "hazard of residents leaving home under saturating threat",                                                      \
    "calibrated on both Idlib OCHA series, Dec 2019 - Mar 2020 and Sept 2018 (docs/validation.md)")                \
  X(leave_threshold_median, "strikes/day", 3.0, 0.01, 1000.0, real,                                                        \
    "threat at which half of a node's people are willing to leave (the median of their thresholds)",                 \
    "fitted with the validation suite (docs/validation.md): most leave under Idlib's strikes, few under a Flee conflict")       \
  X(leave_threshold_shape, "1", 4.0, 0.1, 50.0, real,                                                                      \
    "shape of the log-logistic spread of thresholds: larger = more alike (a step at the median as it grows)",        \
    "fitted with the validation suite (docs/validation.md)")       \
  X(onward_threat_factor, "1", 0.5, 0.0, 1.0, real,                                                                        \
    "displaced people's threat-driven hazard relative to residents'",                                                \
    "people already displaced have less to hold them but fewer means to move again")                                \
  X(onward_base_rate_per_day, "1/day", 0.13, 0.0, 1.0, real,                                                              \
    "hazard of displaced people moving on without threat (seeking better shelter)",                                  \
    "fitted with the validation suite (docs/validation.md); Idlib's 752,131 movements in Feb 2020 among ~900,000 displaced (OCHA) suggest less there (docs/model.md)")                                           \
  X(camp_stay_factor, "1", 0.3, 0.0, 1.0, real,                                                                            \
    "multiplier on the onward hazard of people hosted in camps",                                                     \
    "camps are where people stop; they leave them least")                                                            \
  X(awareness_range_km, "km", 120.0, 1.0, 5000.0, real,                                                                    \
    "road distance within which people first look for destinations (the reach grows from here, see reach_ratio)",   \
    "Idlib displacement went 20-80 km north along known roads (OCHA maps)")                                         \
  X(reach_ratio, "1", 16.0, 1.0, 100.0, real,                                                                               \
    "people look this many times as far as their nearest refuge (a safe destination with room)",                    \
    "fitted on the Flee conflicts' camp series (docs/validation.md): refugees passed towns 50-100 km away for camps 200-600 km away")     \
  X(max_awareness_range_km, "km", 5000.0, 1.0, 20000.0, real,                                                              \
    "the farthest the reach may grow (road km)", "a bound on every search; wider than any shipped network")           \
  X(distance_scale_km, "km", 10.0, 0.1, 5000.0, real,                                                                      \
    "softening distance of the power law in a destination's attractiveness, (1 + d / distance_scale_km)^-distance_power", \
    "short hops cost little; Flee's softening is 10-50 km (FabFlee simsetting.yml)")                                 \
  X(distance_power, "1", 1.0, 0.0, 10.0, real,                                                                             \
    "power of the softened road distance dividing a destination's attractiveness (scale-free: 2x as far costs the same factor at any scale)", \
    "gravity-model distance decay; Flee divides by distance^0.75-1 (FabFlee simsetting.yml)")                        \
  X(safety_scale, "strikes/day", 1.0, 0.01, 1000.0, real,                                                                  \
    "threat at a destination that reduces its attractiveness by a factor e",                                         \
    "people avoid destinations under any bombardment")                                                               \
  X(crowding_softness, "1", 0.15, 0.01, 10.0, real,                                                                        \
    "width of the logistic fall of attractiveness as occupancy nears capacity",                                      \
    "soft capacity: full places still draw some people (camps over capacity in 2020)")                               \
  X(default_capacity_factor, "1", 1.3, 1.0, 100.0, real,                                                                   \
    "shelter capacity of a node without `capacity`, as a multiple of its initial population",                        \
    "towns hosted up to a third more people than their own (REACH)")                                                 \
  X(attractiveness_town, "1", 1.0, 0.0, 100.0, real, "attractiveness weight of a town", "reference kind")                  \
  X(attractiveness_city, "1", 1.5, 0.0, 100.0, real, "attractiveness weight of a city",                                    \
    "cities offer more services and rented housing")                                                                 \
  X(attractiveness_camp, "1", 8.5, 0.0, 100.0, real, "attractiveness weight of a camp",                                    \
    "fitted on the Flee conflicts' camp series with given departures (docs/validation.md); 47% of early Sept 2018 IDPs went to camps (OCHA)")                                       \
  X(attractiveness_transit, "1", 0.1, 0.0, 100.0, real, "attractiveness weight of a transit node",                         \
    "transit points are passed through, rarely chosen")                                                              \
  X(attractiveness_border_crossing, "1", 0.1, 0.0, 100.0, real,                                                            \
    "attractiveness weight of an open border crossing as a place to stay (people cross to the external node)",       \
    "crossings are passed through; some wait at them, as at Bab al-Hawa in 2020")                                    \
  X(attractiveness_external, "1", 3.0, 0.0, 100.0, real,                                                                   \
    "attractiveness weight of an external (outside the modelled area) node", "as for open border crossings")         \
  X(cross_line_attractiveness, "1", 0.05, 0.0, 1.0, real,                                                                  \
    "multiplier on destinations held by another side than the origin",                                               \
    "few fled to government-held areas in 2019-2020 (OCHA)")                                                         \
  X(return_rate_per_day, "1/day", 0.01, 0.0, 1.0, real,                                                                    \
    "hazard of displaced people going home once their origin has been safe long enough",                             \
    "about 200,000 of ~960,000 returned in the 3 months after the Mar 2020 ceasefire (REACH)")                       \
  X(return_delay_days, "days", 14.0, 0.0, 365.0, real,                                                                     \
    "days of low threat at the origin before returns start",                                                         \
    "returns began one to two weeks after the 6 Mar 2020 ceasefire (REACH)")                                         \
  X(return_threat_threshold, "strikes/day", 0.2, 0.0, 1000.0, real,                                                        \
    "threat below which an origin counts as safe for returns", "a few shelling events a week still allowed returns")  \
  X(speed_highway_km_per_day, "km/day", 150.0, 1.0, 2000.0, real, "travel speed on highways",                              \
    "a day's drive in congested traffic (the M5/M45 in Feb 2020)")                                                   \
  X(speed_road_km_per_day, "km/day", 100.0, 1.0, 2000.0, real, "travel speed on roads", "slower, congested secondary roads") \
  X(speed_track_km_per_day, "km/day", 30.0, 1.0, 2000.0, real, "travel speed on tracks", "on foot or tractor")             \
  X(speed_crossing_km_per_day, "km/day", 10.0, 0.1, 2000.0, real, "travel speed through a border crossing",                \
    "formalities dominate the time at a crossing")                                                                   \
  X(armed_conflict_strikes_per_day, "strikes/day", 2.4, 0.0, 1000.0, real,                                                \
    "threat exposure at a node under armed conflict, per unit of conflict intensity (armed_conflict events)",         \
    "fitted with the validation suite (docs/validation.md): 29% willing to leave at intensity 1 (scaled with leave_threshold_median; was 20 before partial flight)")                              \
  X(spawn_decay_interval_days, "days", 30.0, 1.0, 3650.0, real,                                                            \
    "length of each step of the spawn decay since an armed conflict began (given departures)",                       \
    "Flee's conflict_spawn_decay_interval (FabFlee's simsetting.yml)")                                               \
  X(spawn_decay_1, "1", 1.0, 0.0, 1.0, real, "weight of an armed-conflict origin in the 1st decay step (given departures)", \
    "Flee's conflict_spawn_decay[0] (FabFlee's simsetting.yml)")                                                     \
  X(spawn_decay_2, "1", 1.0, 0.0, 1.0, real, "weight of an armed-conflict origin in the 2nd decay step",                   \
    "Flee's conflict_spawn_decay[1]")                                                                                \
  X(spawn_decay_3, "1", 1.0, 0.0, 1.0, real, "weight of an armed-conflict origin in the 3rd decay step",                   \
    "Flee's conflict_spawn_decay[2]")                                                                                \
  X(spawn_decay_4, "1", 0.5, 0.0, 1.0, real, "weight of an armed-conflict origin in the 4th decay step",                   \
    "Flee's conflict_spawn_decay[3]")                                                                                \
  X(spawn_decay_5, "1", 0.1, 0.0, 1.0, real,                                                                               \
    "weight of an armed-conflict origin in the 5th decay step and every later one",                                  \
    "Flee's conflict_spawn_decay[4]") \
  X(flee_max_move_speed_km_per_day, "km/day", 360.0, 1.0, 5000.0, real, \
    "Flee rules: distance a traveller covers in a day (max_move_speed)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_max_walk_speed_km_per_day, "km/day", 35.0, 1.0, 5000.0, real, \
    "Flee rules: speed on a traveller's first link when flee_start_on_foot is 1 (max_walk_speed)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_start_on_foot, "1", 0.0, 0.0, 1.0, on_off, \
    "Flee rules: 1 = the first link of every journey is walked (start_on_foot)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_avoid_short_stints, "1", 0.0, 0.0, 1.0, on_off, \
    "Flee rules: 1 = people who covered little distance lately pass through towns the same day (avoid_short_stints)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_conflict_movechance, "1/day", 1.0, 0.0, 1.0, real, \
    "Flee rules: chance a day that a person at a conflict zone sets off (conflict_movechance)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_camp_movechance, "1/day", 0.001, 0.0, 1.0, real, \
    "Flee rules: chance a day that a person in a camp sets off (camp_movechance)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_default_movechance, "1/day", 0.3, 0.0, 1.0, real, \
    "Flee rules: chance a day that a person in a town sets off (default_movechance)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_movechance_pop_base, "people", 10000.0, 1.0, 1000000000.0, real, \
    "Flee rules: population at which the move chance is unscaled (movechance_pop_base)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_movechance_pop_scale_factor, "1", 0.0, -10.0, 10.0, real, \
    "Flee rules: power of max(population, capacity) / flee_movechance_pop_base on the move chance (movechance_pop_scale_factor)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_awareness_level, "links", 1.0, 0.0, 4.0, whole, \
    "Flee rules: how many links ahead people weigh destinations (awareness_level; 0 = a random neighbour)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_softening_km, "km", 10.0, 0.0, 10000.0, real, \
    "Flee rules: distance added to every route's length in its weight (softening)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_weight_softening, "1", 0.0, 0.0, 1000.0, real, \
    "Flee rules: added to a destination's score in its weight (weight_softening)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_distance_power, "1", 1.0, 0.0, 10.0, real, \
    "Flee rules: power of the softened route length dividing a weight (distance_power)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_weight_power, "1", 1.0, 0.0, 10.0, real, \
    "Flee rules: power applied to each route weight (weight_power)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_pruning_threshold, "1", 1.0, 1.0, 1000000000.0, real, \
    "Flee rules: routes weighing less than the heaviest / this are dropped (pruning_threshold; 1 = none)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_camp_weight, "1", 1.0, 0.0, 100.0, real, \
    "Flee rules: score multiplier of camps (camp_weight)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_conflict_weight, "1", 0.316227766017, 0.0, 100.0, real, \
    "Flee rules: score multiplier of a conflict zone, raised to decay x intensity (conflict_weight)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_foreign_weight, "1", 1.0, 0.0, 100.0, real, \
    "Flee rules: score multiplier of locations outside home_country (foreign_weight)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_capacity_buffer, "1", 0.9, 0.0, 1.0, real, \
    "Flee rules: occupancy share of scaled capacity at which a camp's weight starts falling to 0 (capacity_buffer)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_capacity_scaling, "1", 1.0, 0.0, 100.0, real, \
    "Flee rules: multiplier on every capacity (capacity_scaling)", \
    "Flee 3 SimulationSettings.py default") \
  X(flee_insert_day0, "1", 1.0, 0.0, 1.0, on_off, \
    "Flee rules: 1 = camps start with their day-0 observed people and their capacity is reduced by as many (insert_day0)", \
    "Flee 3 SimulationSettings.py default")
// clang-format on

// Which values within a parameter's range it takes. A Flee switch at 0.4 or an awareness of 2.5 links would be
// read as something the user did not write (off, 3 links), so those are refused where they are given.
enum class ParameterKind { real, whole, on_off };

struct ParameterSpec {
  std::string_view name;
  std::string_view units;
  double default_value;
  double minimum;
  double maximum;
  ParameterKind kind;
  std::string_view meaning;
  std::string_view origin;
};

// One field per parameter, initialised to its default.
struct ModelParameters {
#define HAVEN_DECLARE_FIELD(name, units, default_value, minimum, maximum, kind, meaning, origin) \
  double name = default_value;
  HAVEN_MODEL_PARAMETERS(HAVEN_DECLARE_FIELD)
#undef HAVEN_DECLARE_FIELD

  // Named access for --set, sweeps and calibration; nullptr for an unknown name.
  [[nodiscard]] double* find(std::string_view name) noexcept;
  [[nodiscard]] const double* find(std::string_view name) const noexcept;

  friend bool operator==(const ModelParameters&, const ModelParameters&) = default;
};

inline constexpr std::array parameter_specs = {
#define HAVEN_DECLARE_SPEC(name, units, default_value, minimum, maximum, kind, meaning, origin) \
  ParameterSpec{#name, units, default_value, minimum, maximum, ParameterKind::kind, meaning, origin},
    HAVEN_MODEL_PARAMETERS(HAVEN_DECLARE_SPEC)
#undef HAVEN_DECLARE_SPEC
};

[[nodiscard]] const ParameterSpec* find_parameter_spec(std::string_view name) noexcept;

// Whether `value` is one `spec` allows: within its range and of its kind.
[[nodiscard]] bool parameter_value_allowed(const ParameterSpec& spec, double value) noexcept;
// What it allows, in words for tables and messages: "[0.1, 500]", "a whole number in [0, 4]", "0 or 1".
[[nodiscard]] std::string allowed_values(const ParameterSpec& spec);
// The kind's name as the JSON page data and the schema spell it: "real", "whole", "on_off".
[[nodiscard]] std::string_view to_string(ParameterKind kind) noexcept;

// The names in declaration order, for "did you mean" hints.
[[nodiscard]] std::array<std::string_view, parameter_specs.size()> parameter_names() noexcept;

// Strikes closer than this kernel weight are ignored (the engine's footprints), so a strike's threat reaches
// threat_kernel_km x ln(1000) past its radius; the loader warns of an area whose reach holds no place.
inline constexpr double negligible_kernel_weight = 1e-3;
[[nodiscard]] inline double strike_reach_beyond_radius_km(double threat_kernel_km) noexcept {
  return threat_kernel_km * std::log(1.0 / negligible_kernel_weight);
}

// Markdown for docs/parameters.md (the test suite checks that the committed file equals this).
[[nodiscard]] std::string parameters_markdown();
// Plain-text table for `haven params`.
[[nodiscard]] std::string parameters_table();

}  // namespace haven
