#pragma once
// Internal: a scenario's nodes, corridors and events given as CSV tables (`nodes: {csv: nodes.csv}`), read as
// strictly as the YAML lists they stand for. docs/scenario-format.md ("Tables") lists the columns.
//
// Nodes and corridors are decoded straight from the cells into Scenario data (a large network has millions of
// them, too many to build as YAML first); events become the YAML list they stand for, before variants and --set
// edit the tree, so that every event kind, variants' remove_events/add_events and --set reach them as they reach a
// YAML list. Either way a problem is located at its cell: `nodes.csv:7:12: error: nodes.aleppo.lat: ...`.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "haven/scenario/scenario.hpp"
#include "haven/util/csv.hpp"
#include "table_origins.hpp"
#include "yaml_reader.hpp"

namespace haven::detail {

// An id's item (its index in its list) and the line it was given on, for "first at line N" messages.
struct IdEntry {
  std::size_t index;
  std::size_t line;
};
// Looked up by string_view as well (no key copied for a lookup).
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
};
using IdIndex = std::unordered_map<std::string, IdEntry, IdHash, std::equal_to<>>;

// True when a section is a mapping with a `csv` key (or a near miss of it, reported when the section is read): a
// table reference rather than a list.
bool is_table_section(const YAML::Node& section);

// Reads the table a section names (`{csv: path}`, the path relative to `directory`, the scenario file's folder).
// Problems with the reference or the file are located at the reference in the scenario file, the table's own at
// its cells; nullopt when there is no table to read.
std::optional<CsvTable> read_table_section(YamlReader& reader, const YAML::Node& section, std::string_view name,
                                           const std::filesystem::path& directory);

// What reading the nodes table tells the rest of the decoder.
struct NodeTable {
  std::vector<Node> nodes;
  std::vector<SourceLocation> rows;        // where each node's row starts (whole-network warnings point there)
  IdIndex ids;                             // each valid id once (the first row that gives it)
  std::vector<std::string> rejected_ids;   // ids reported as invalid: references to them are not reported again
  std::vector<std::size_t> unknown_kinds;  // nodes whose kind is reported: no checks that depend on it
  bool incomplete = false;                 // some row could not be read: connectivity would mislead
};

// `group_ids` are the groups' ids as read (empty for a group whose id was rejected); `people_total` adds up the
// people of every node read so far, as the YAML decoder does (the loader's limit on all people).
NodeTable decode_node_table(const CsvTable& table, std::span<const Group> groups,
                            std::span<const std::string> group_ids, double& people_total, bool& total_reported,
                            Diagnostics& diagnostics);

// The node an id names; when there is none, what to report (empty: the id is already reported).
struct NodeLookup {
  std::optional<NodeIndex> index;
  std::string problem;
};
using NodeResolver = std::function<NodeLookup(std::string_view id)>;

struct CorridorTable {
  std::vector<Corridor> corridors;
  IdIndex ids;  // each id (explicit or <from>-<to>) once
  std::vector<std::string> rejected_ids;
  bool incomplete = false;
};

CorridorTable decode_corridor_table(const CsvTable& table, std::span<const Node> nodes, const NodeResolver& node_ref,
                                    Diagnostics& diagnostics);

// The events table as the YAML list it stands for (each non-empty cell `column: text`), and where its rows and cells
// were written, found by the key paths the decoder may name them by (`events[3].day`, `events.shell_1.day`, ...):
// `origins`, which keeps the table. Unknown columns are reported here.
// The most rows an events table may have (each row is read as a YAML list item).
inline constexpr std::size_t max_event_table_rows = 250'000;
struct EventTable {
  YAML::Node list{YAML::NodeType::Sequence};
  std::shared_ptr<TableOrigins> origins;
};
EventTable event_table_as_yaml(CsvTable table, Diagnostics& diagnostics);

// The nodes and corridors as YAML list sections (`nodes:\n  - {...}`), appended to `out`, for the resolved scenario
// a run file keeps: it must load alone, without the tables, into the same Scenario.
void append_nodes_as_yaml(const Scenario& scenario, std::string& out);
void append_corridors_as_yaml(const Scenario& scenario, std::string& out);

}  // namespace haven::detail
