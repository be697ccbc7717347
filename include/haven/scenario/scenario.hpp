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
};

struct Group {
  std::string id;
  double share = 1.0;             // of every node's population given as a total
  double departure_factor = 1.0;  // multiplies the departure hazard (families with children leave earlier)
  double speed_factor = 1.0;      // multiplies travel speed
};

struct Node {
  std::string id;
  std::string name;
  NodeKind kind = NodeKind::town;
  double lat_deg = 0.0;
  double lon_deg = 0.0;
  std::vector<std::int64_t> residents_by_group;  // people at home on day 0, per group
  std::vector<std::int64_t> displaced_by_group;  // already displaced (origin outside the model) hosted here on day 0
  std::optional<double> capacity_people;         // shelter capacity; absent = default_capacity_factor x population
  std::string admin_area;
  // Place code (e.g. a COD admin or settlement code) and admin level 1/2 names, carried into exports (HXL).
  std::string pcode;
  std::string admin1;
  std::string admin2;
  std::string country;
  std::string control;  // who holds the node on day 0 (free text, e.g. "opposition"); empty = uncontested
  bool closed = false;  // border crossings: closed to people on day 0
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
};

// Where an event applies: a node, or a circle on the map. An empty area (no node, no radius) is everywhere.
struct Area {
  NodeIndex node = no_node;
  std::optional<double> lat_deg;
  std::optional<double> lon_deg;
  double radius_km = 0.0;
};

struct Bombardment {
  Area target;
  double intensity_strikes_per_day = 0.0;
};
struct Capture {
  NodeIndex node = no_node;
  std::string by;  // the side taking control
};
struct CorridorClosure {
  CorridorIndex corridor = -1;
};
struct CorridorOpening {
  CorridorIndex corridor = -1;
};
struct BorderClosure {
  NodeIndex node = no_node;
};
struct BorderOpening {
  NodeIndex node = no_node;
};
struct Ceasefire {
  Area area;
};
struct CapacityChange {
  NodeIndex node = no_node;
  double capacity_people = 0.0;
};
struct Evacuation {
  NodeIndex from = no_node;
  NodeIndex to = no_node;
  double rate_people_per_day = 0.0;
};

using EventAction = std::variant<Bombardment, Capture, CorridorClosure, CorridorOpening, BorderClosure, BorderOpening,
                                 Ceasefire, CapacityChange, Evacuation>;

struct Event {
  std::string id;  // explicit, or "<kind>_<n>" (n counts events of that kind); variants remove events by id
  int start_day = 0;
  std::optional<int> end_day;  // exclusive; absent = lasts to the end of the scenario (or is instantaneous)
  EventAction action;
  std::string note;
};

struct ObservationPoint {
  int day = 0;
  double value = 0.0;
  double weight = 1.0;  // lower for points the source marks as less reliable
  std::string note;
};

struct Observation {
  std::string id;
  std::string variable;  // "cumulative_displaced", "displaced_present", "arrivals"
  NodeIndex node = no_node;
  SourceReference source;
  std::vector<ObservationPoint> points;
};

struct OutputSettings {
  std::string path;                    // empty = output/<scenario>[-<variant>].h5
  std::vector<std::string> variables;  // empty = all
  std::vector<NodeIndex> nodes;        // empty = all
  int interval_days = 1;
};

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
  std::vector<std::string> variant_names;  // every variant the file defines
  std::string variant;                     // the variant applied, if any
  std::string variant_description;         // its description (the resolved file no longer holds the variants)

  [[nodiscard]] std::optional<NodeIndex> find_node(std::string_view id) const;
  [[nodiscard]] std::optional<CorridorIndex> find_corridor(std::string_view id) const;
  [[nodiscard]] double total_population() const;
};

const char* to_string(NodeKind kind) noexcept;
const char* to_string(CorridorKind kind) noexcept;
const char* event_kind_name(const EventAction& action) noexcept;

inline constexpr std::array<std::string_view, 6> node_kind_names = {"town",    "city",    "camp", "border_crossing",
                                                                    "transit", "external"};
inline constexpr std::array<std::string_view, 4> corridor_kind_names = {"highway", "road", "track", "crossing"};
// In the order of EventAction's alternatives.
inline constexpr std::array<std::string_view, 9> event_kind_names = {
    "bombardment",    "capture",   "corridor_closure", "corridor_opening", "border_closure",
    "border_opening", "ceasefire", "capacity_change",  "evacuation"};

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
