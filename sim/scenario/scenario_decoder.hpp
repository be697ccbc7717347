#pragma once
// Internal: decoding a resolved scenario document (the variant and every edit already applied, overlay_edits.hpp)
// into a Scenario, checking it as it goes. One class whose member functions are defined by what they decode:
// decode_model.cpp (the scenario section, groups, parameters, departures, rules, home country, outputs, and the
// shape of every variant), decode_network.cpp (nodes, corridors, their tables, references to them, connectivity)
// and decode_events.cpp (days and dates, events, observations). They share the state below: the ids each part
// records are what the others resolve their references against, and the ids already reported as broken keep one
// mistake to one message wherever it is referred to.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "haven/scenario/parameters.hpp"
#include "haven/scenario/scenario.hpp"
#include "tables.hpp"
#include "yaml_reader.hpp"

namespace haven::detail {

// The most people a scenario holds, in all its nodes: expected mode counts millionths of a person in signed 64-bit
// integers (at most 9.2e18), so 10^12 people leave room for the sums the recorder takes.
inline constexpr double max_population = 1e12;
inline constexpr int max_days = 100 * 366;

// `kind: border` (or `frontier`, `border crossing`) is the usual first try at a border; say how the format models
// one (docs/scenario-format.md): a border_crossing node, a `crossing` corridor, an `external` node beyond.
std::string border_hint(const YAML::Node& kind, std::string_view item);

class ScenarioDecoder {
 public:
  ScenarioDecoder(YamlReader& reader, Scenario& scenario) : reader_(reader), s_(scenario) {}

  // Where tables (`nodes: {csv: nodes.csv}`) are looked for.
  void set_table_directory(std::filesystem::path directory) { table_directory_ = std::move(directory); }
  // True when the nodes or corridors came from a table (the resolved scenario then lists them).
  [[nodiscard]] bool network_from_tables() const { return !node_rows_.empty() || corridors_from_table_; }

  // Decodes and checks the whole document into the scenario.
  void decode(const YAML::Node& root);
  // Validates the shape of every variant (whether applied or not) and lists their names.
  void decode_variant_shapes(const YAML::Node& variants);

 private:
  YamlReader& reader_;
  Scenario& s_;
  // Hashed: a large network has 10^5 nodes and 4x10^5 corridors, each looked up by id.
  detail::IdIndex node_ids_;
  detail::IdIndex corridor_ids_;
  std::vector<std::string> group_id_list_;
  std::vector<std::string> rejected_group_ids_;  // as written, for the population mappings that use them
  // Ids already reported as invalid (or items already reported as broken): references to them are not
  // reported again, so one mistake gives one message.
  std::set<std::string, std::less<>> rejected_node_ids_;
  std::set<std::size_t> nodes_of_unknown_kind_;  // their kind is already reported: no checks that depend on it
  std::set<std::string, std::less<>> rejected_corridor_ids_;
  bool nodes_unreadable_ = false;       // the nodes section is missing or not a list: every reference would fail
  bool corridors_unreadable_ = false;   // likewise for corridors
  bool network_incomplete_ = false;     // some node or corridor could not be read: connectivity would mislead
  bool node_unread_ = false;            // some node's entry or row could not be read: a reference may mean it
  bool node_unlocated_ = false;         // some node's lat or lon could not be read: distances to places would mislead
  std::vector<YAML::Node> node_items_;  // each node's YAML, to locate whole-network warnings
  std::vector<SourceLocation> node_rows_;  // or each node's row, when the nodes come from a table
  bool corridors_from_table_ = false;
  std::filesystem::path table_directory_;
  bool period_known_ = false;
  bool days_known_ = false;    // the number of days is known, the start date perhaps not (day numbers are checked)
  double people_total_ = 0.0;  // residents and displaced of the nodes read so far
  bool total_reported_ = false;

  // decode_model.cpp
  void decode_scenario_section(const YAML::Node& node);
  SourceReference decode_source(const YAML::Node& node, const std::string& path);
  void decode_groups(const YAML::Node& node);
  std::vector<std::int64_t> decode_population(const YAML::Node& node, const std::string& path);
  void decode_parameters(const YAML::Node& node, const std::string& path, ModelParameters& parameters);
  std::optional<double> parameter_value(const YAML::Node& node, const std::string& path, const ParameterSpec& spec);
  void decode_departures(const YAML::Node& node);
  void decode_rules(const YAML::Node& node);
  void check_insert_day0(const YAML::Node& parameters);
  void decode_home_country(const YAML::Node& node);
  void decode_outputs(const YAML::Node& node);

  // decode_network.cpp
  void decode_nodes(const YAML::Node& node);
  void decode_node_table(const YAML::Node& section);
  void decode_corridor_table(const YAML::Node& section);
  std::optional<NodeIndex> node_ref(const YAML::Node& node, const std::string& path);
  std::string node_hint(const std::string& written) const;
  std::optional<CorridorIndex> corridor_ref(const YAML::Node& node, const std::string& path);
  void decode_corridors(const YAML::Node& node);
  void check_connectivity();

  // decode_events.cpp
  std::optional<int> day_from_number(const YAML::Node& node, const std::string& path);
  std::optional<int> day_from_date(const YAML::Node& node, const std::string& path);
  std::optional<int> when(MapReader& m, const YAML::Node& owner, std::string_view what);
  std::optional<int> until_day(const YAML::Node& node, const std::string& path);
  void decode_events(const YAML::Node& node);
  std::vector<std::string> countries() const;
  CountryClosure decode_country_closure(MapReader& m, const std::string& path);
  Area decode_area(MapReader& m, const std::string& path, bool required);
  void decode_observations(const YAML::Node& node);
};

}  // namespace haven::detail
