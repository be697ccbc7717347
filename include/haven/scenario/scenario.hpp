#pragma once
// The scenario: plain data describing a displacement situation. No engine logic lives here; the engine
// reads a Scenario and never modifies it. Times are whole days since `start_date` (day 0).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "haven/scenario/parameters.hpp"
#include "haven/util/date.hpp"

namespace haven {

using NodeIndex = std::int32_t;
using CorridorIndex = std::int32_t;
using GroupIndex = std::int32_t;
inline constexpr NodeIndex no_node = -1;

enum class NodeKind : std::int8_t { town, city, camp, border_crossing, transit, external };
enum class CorridorKind : std::int8_t { highway, road, track, crossing };

struct SourceReference {
  std::string publisher;
  std::string url;
  std::string note;

  friend bool operator==(const SourceReference&, const SourceReference&) = default;
};

struct Group {
  std::string id;
  double share = 1.0;             // of every node's population given as a total
  double departure_factor = 1.0;  // multiplies the departure hazard (families with children leave earlier)
  double speed_factor = 1.0;      // multiplies travel speed

  friend bool operator==(const Group&, const Group&) = default;
};

struct Node {
  std::string id;
  std::string name;
  NodeKind kind = NodeKind::town;
  double lat_deg = 0.0;
  double lon_deg = 0.0;
  std::vector<std::int64_t> residents_by_group;  // people at home on day 0, per group
  std::vector<std::int64_t> displaced_by_group;  // already displaced (origin outside the model) hosted here on day 0
  // Shelter capacity; absent = default_capacity_factor x population; infinity (`capacity: unlimited`) = hosts anyone
  // whatever its residents (Flee's towns, which host people without residents).
  std::optional<double> capacity_people;
  std::string admin_area;
  // Place code (e.g. a COD admin or settlement code) and admin level 1/2 names, carried into exports (HXL).
  std::string pcode;
  std::string admin1;
  std::string admin2;
  std::string country;
  std::string control;  // who holds the node on day 0 (free text, e.g. "opposition"); empty = uncontested
  bool closed = false;  // border crossings: closed to people on day 0

  friend bool operator==(const Node&, const Node&) = default;
};

struct Corridor {
  std::string id;  // explicit, or "<from>-<to>"
  NodeIndex from = no_node;
  NodeIndex to = no_node;
  double length_km = 0.0;
  CorridorKind kind = CorridorKind::road;
  std::optional<double> speed_km_per_day;         // absent = the kind's default speed parameter
  std::optional<double> capacity_people_per_day;  // absent = unlimited
  bool bidirectional = true;
  bool closed = false;  // closed on day 0
  // Everyone arriving at `from` is sent on along this corridor to `to` (Flee's routes.csv forced_redirection), until a
  // `redirection_end` event.
  bool forced_redirection = false;

  friend bool operator==(const Corridor&, const Corridor&) = default;
};

// Where an event applies: a node, or a circle on the map. An empty area (no node, no radius) is everywhere.
struct Area {
  NodeIndex node = no_node;
  std::optional<double> lat_deg;
  std::optional<double> lon_deg;
  double radius_km = 0.0;

  friend bool operator==(const Area&, const Area&) = default;
};

struct Bombardment {
  Area target;
  double intensity_strikes_per_day = 0.0;

  friend bool operator==(const Bombardment&, const Bombardment&) = default;
};
struct Capture {
  NodeIndex node = no_node;
  std::string by;  // the side taking control

  friend bool operator==(const Capture&, const Capture&) = default;
};
struct CorridorClosure {
  CorridorIndex corridor = -1;

  friend bool operator==(const CorridorClosure&, const CorridorClosure&) = default;
};
struct CorridorOpening {
  CorridorIndex corridor = -1;

  friend bool operator==(const CorridorOpening&, const CorridorOpening&) = default;
};
struct BorderClosure {
  NodeIndex node = no_node;

  friend bool operator==(const BorderClosure&, const BorderClosure&) = default;
};
struct BorderOpening {
  NodeIndex node = no_node;

  friend bool operator==(const BorderOpening&, const BorderOpening&) = default;
};
struct Ceasefire {
  Area area;

  friend bool operator==(const Ceasefire&, const Ceasefire&) = default;
};
struct CapacityChange {
  NodeIndex node = no_node;
  double capacity_people = 0.0;

  friend bool operator==(const CapacityChange&, const CapacityChange&) = default;
};
struct Evacuation {
  NodeIndex from = no_node;
  NodeIndex to = no_node;
  double rate_people_per_day = 0.0;

  friend bool operator==(const Evacuation&, const Evacuation&) = default;
};

// Armed conflict at a place (Flee's conflicts.csv): drives threat at the node (armed_conflict_strikes_per_day
// strikes a day per unit of intensity) and, with given departures, where the people who flee come from.
struct ArmedConflict {
  NodeIndex node = no_node;
  double intensity = 1.0;  // Flee's conflict intensity, usually 0..1 (the loader allows up to 1000)

  friend bool operator==(const ArmedConflict&, const ArmedConflict&) = default;
};
// The node admits nobody during the window (people there stay; nobody arrives or chooses it).
struct CampClosure {
  NodeIndex node = no_node;

  friend bool operator==(const CampClosure&, const CampClosure&) = default;
};
// Every corridor between a node of country A and a node of country B is closed during the window.
struct CountryClosure {
  std::string country_a;
  std::string country_b;

  friend bool operator==(const CountryClosure&, const CountryClosure&) = default;
};
// The corridor's forced_redirection is off during the window.
struct RedirectionEnd {
  CorridorIndex corridor = -1;

  friend bool operator==(const RedirectionEnd&, const RedirectionEnd&) = default;
};

// New kinds are appended: the index of an alternative is stored in run files' event logs.
using EventAction =
    std::variant<Bombardment, Capture, CorridorClosure, CorridorOpening, BorderClosure, BorderOpening, Ceasefire,
                 CapacityChange, Evacuation, ArmedConflict, CampClosure, CountryClosure, RedirectionEnd>;

struct Event {
  std::string id;  // explicit, or "<kind>_<n>" (n counts events of that kind); variants remove events by id
  int start_day = 0;
  std::optional<int> end_day;  // exclusive; absent = lasts to the end of the scenario (or is instantaneous)
  EventAction action;
  std::string note;

  friend bool operator==(const Event&, const Event&) = default;
};

struct ObservationPoint {
  int day = 0;
  double value = 0.0;
  double weight = 1.0;  // lower for points the source marks as less reliable
  std::string note;

  friend bool operator==(const ObservationPoint&, const ObservationPoint&) = default;
};

struct Observation {
  std::string id;
  std::string variable;  // "cumulative_displaced", "displaced_present", "arrivals"
  NodeIndex node = no_node;
  std::vector<NodeIndex> nodes;  // when not empty (and node == no_node): the value is the sum over these nodes
  SourceReference source;
  std::vector<ObservationPoint> points;

  friend bool operator==(const Observation&, const Observation&) = default;
};

struct OutputSettings {
  std::string path;                    // empty = output/<scenario>[-<variant>].h5
  std::vector<std::string> variables;  // empty = all
  std::vector<NodeIndex> nodes;        // empty = all
  int interval_days = 1;

  friend bool operator==(const OutputSettings&, const OutputSettings&) = default;
};

// Who leaves home: predicted by the model's departure hazard, or given by the daily rise of an observed series
// (e.g. UNHCR's camp total) placed over the origins of armed conflict (docs/model.md, given departures).
enum class DepartureMode : std::int8_t { predicted, given };
struct DepartureSettings {
  DepartureMode mode = DepartureMode::predicted;
  std::string observation;  // id of the observation whose rise gives the daily departures (mode given)

  friend bool operator==(const DepartureSettings&, const DepartureSettings&) = default;
};
// Which rules run the engine: Haven's own (docs/model.md) or Flee 3's with counts (`rules: flee`, docs/model.md
// "The Flee rule set").
enum class RuleSetKind : std::int8_t { haven, flee };
inline constexpr std::array<std::string_view, 2> rule_set_names = {"haven", "flee"};

struct Scenario {
  std::string name;
  std::string title;
  std::string description;
  Date start_date{};
  int days = 0;  // simulated days 0 .. days-1
  std::uint64_t seed = 1;
  std::vector<SourceReference> sources;
  std::vector<Group> groups;
  std::vector<Node> nodes;
  std::vector<Corridor> corridors;
  std::vector<Event> events;
  ModelParameters parameters;
  std::vector<Observation> observations;
  OutputSettings outputs;
  DepartureSettings departures;
  std::string home_country;  // nodes of another country are foreign (Flee's foreign_weight); empty = none are
  RuleSetKind rules = RuleSetKind::haven;
  std::vector<std::string> variant_names;  // every variant the file defines
  std::string variant;                     // the variant applied, if any
  std::string variant_description;         // its description (the resolved file no longer holds the variants)

  [[nodiscard]] std::optional<NodeIndex> find_node(std::string_view id) const;
  [[nodiscard]] std::optional<CorridorIndex> find_corridor(std::string_view id) const;
  [[nodiscard]] double total_population() const;

  friend bool operator==(const Scenario&, const Scenario&) = default;
};

// Whether runs of `scenario` read the model parameter `name` (one of parameter_specs): Flee's rules read the flee_*
// parameters and the spawn decay (spawn_decay_*); Haven's rules read every other parameter, the spawn decay only
// with given departures (which place the day's leavers by it). What `haven serve` offers to edit, since a slider
// that moves nothing tells a planner the model does not care; tests/engine/test_flee_rules.cpp checks that a
// parameter not read changes no run.
[[nodiscard]] bool rule_set_reads(const Scenario& scenario, std::string_view name) noexcept;

const char* to_string(NodeKind kind) noexcept;
const char* to_string(CorridorKind kind) noexcept;
const char* event_kind_name(const EventAction& action) noexcept;

inline constexpr std::array<std::string_view, 6> node_kind_names = {"town",    "city",    "camp", "border_crossing",
                                                                    "transit", "external"};
inline constexpr std::array<std::string_view, 4> corridor_kind_names = {"highway", "road", "track", "crossing"};
// In the order of EventAction's alternatives.
inline constexpr std::array<std::string_view, 13> event_kind_names = {
    "bombardment",    "capture",         "corridor_closure", "corridor_opening", "border_closure",
    "border_opening", "ceasefire",       "capacity_change",  "evacuation",       "armed_conflict",
    "camp_closure",   "country_closure", "redirection_end"};
inline constexpr std::array<std::string_view, 2> departure_mode_names = {"predicted", "given"};

// Series the engine records; `outputs.variables` selects among them.
inline constexpr std::array<std::string_view, 14> output_variable_names = {
    "population",  "residents",       "displaced_present",    "departures",
    "arrivals",    "corridor_inflow", "in_transit",           "waiting",
    "unsheltered", "returns",         "cumulative_displaced", "od_matrix",
    "threat",      "capacity"};

// Series observations may refer to.
inline constexpr std::array<std::string_view, 3> observation_variable_names = {"cumulative_displaced",
                                                                               "displaced_present", "arrivals"};

}  // namespace haven
