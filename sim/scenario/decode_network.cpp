// The network: nodes and corridors as YAML lists or tables, references to them, and connectivity
// (scenario_decoder.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <numeric>
#include <optional>
#include <set>

#include "haven/scenario/keys.hpp"
#include "haven/util/text.hpp"
#include "item_names.hpp"
#include "scenario_decoder.hpp"

namespace haven::detail {

namespace {
// The ids of nodes or corridors as views, for a "did you mean" hint: made only when a hint is needed, since a large
// network has 10^5 of them.
template <typename Items>
std::vector<std::string_view> ids_of(const Items& items) {
  std::vector<std::string_view> ids;
  ids.reserve(items.size());
  for (const auto& item : items) ids.push_back(item.id);
  return ids;
}
}  // namespace

std::string border_hint(const YAML::Node& kind, std::string_view item) {
  if (!kind.IsScalar()) return {};
  std::string text;
  for (char c : kind.Scalar())
    text.push_back(c == ' ' || c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (text != "border" && text != "frontier" && text != "border_crossing" && text != "boundary") return {};
  if (item == "node") {
    return "; a border is a node of kind 'border_crossing' (it can be closed), joined by a corridor of kind "
           "'crossing' to a node of kind 'external' beyond it (docs/scenario-format.md, nodes)";
  }
  if (item == "corridor") {
    return "; the road over a border is a corridor of kind 'crossing', from a 'border_crossing' node to an "
           "'external' node (docs/scenario-format.md, corridors)";
  }
  return "; a border is closed or opened by a 'border_closure' or 'border_opening' event on a 'border_crossing' "
         "node (docs/scenario-format.md, events)";
}

// ---- nodes ------------------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_nodes(const YAML::Node& node) {
  if (detail::is_table_section(node)) {
    decode_node_table(node);
    return;
  }
  if (!node.IsDefined() || !reader_.expect_sequence(node, "nodes")) {
    nodes_unreadable_ = true;
    return;
  }
  if (node.size() == 0) {
    reader_.error(node, "nodes", "needs at least one node");
    return;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::string path = item_path("nodes", node[i], i);
    Node n;
    MapReader m(reader_, node[i], path, keys::node);
    if (!m.valid()) network_incomplete_ = node_unread_ = true;
    if (m.valid()) {
      if (auto v = m.require("id"); v.IsDefined()) {
        if (auto id = reader_.identifier(v, m.path("id"))) {
          n.id = *id;
          const auto line = reader_.where(v, m.path("id")).line;
          if (auto [it, fresh] = node_ids_.emplace(*id, IdEntry{i, line}); !fresh) {
            reader_.error(v, m.path("id"),
                          fmt::format("duplicate node id '{}' ({})", *id, first_given(it->second.line)));
            network_incomplete_ = true;
          }
        } else {
          if (v.IsScalar()) rejected_node_ids_.insert(v.Scalar());
          network_incomplete_ = true;
        }
      } else {
        network_incomplete_ = node_unread_ = true;
        // Its id under a misspelt key (`ID: camp`, reported as unknown): references to it are follow-ons.
        if (m.near_miss("id")) {
          static constexpr std::array<std::string_view, 1> id_key = {"id"};
          for (auto it = node[i].begin(); it != node[i].end(); ++it) {
            if (it->second.IsScalar() && closest_match(it->first.Scalar(), std::span(id_key)) == std::string("id"))
              rejected_node_ids_.insert(it->second.Scalar());
          }
        }
      }
      auto p = [&](std::string_view key) { return join_path(path, key); };
      n.name = n.id;
      if (auto v = m.get("name"); v.IsDefined()) n.name = reader_.string(v, p("name")).value_or(n.id);
      bool kind_read = false;
      if (auto v = m.require("kind"); v.IsDefined()) {
        if (auto kind = reader_.choice(v, p("kind"), node_kind_names, border_hint(v, "node"))) {
          n.kind = static_cast<NodeKind>(std::find(node_kind_names.begin(), node_kind_names.end(), *kind) -
                                         node_kind_names.begin());
          kind_read = true;
        }
      }
      if (!kind_read) nodes_of_unknown_kind_.insert(i);
      const auto lat = m.require("lat");
      const auto lon = m.require("lon");
      std::optional<double> lat_deg, lon_deg;
      if (lat.IsDefined()) lat_deg = reader_.number_in(lat, p("lat"), -90.0, 90.0);
      if (lon.IsDefined()) lon_deg = reader_.number_in(lon, p("lon"), -180.0, 180.0);
      n.lat_deg = lat_deg.value_or(0.0);
      n.lon_deg = lon_deg.value_or(0.0);
      if (!lat_deg || !lon_deg) node_unlocated_ = true;
      n.residents_by_group.assign(s_.groups.size(), 0);
      n.displaced_by_group.assign(s_.groups.size(), 0);
      if (auto v = m.get("population"); v.IsDefined()) n.residents_by_group = decode_population(v, p("population"));
      if (auto v = m.get("displaced"); v.IsDefined()) n.displaced_by_group = decode_population(v, p("displaced"));
      if (auto v = m.get("capacity"); v.IsDefined()) {
        // `unlimited`: the node hosts anyone, whatever its residents (Flee's towns host people without any).
        if (v.IsScalar() && v.Scalar() == "unlimited" && v.Tag() != "!") {
          n.capacity_people = std::numeric_limits<double>::infinity();
        } else if (v.IsScalar() && !v.Scalar().empty() && std::isalpha(static_cast<unsigned char>(v.Scalar()[0]))) {
          reader_.error(v, p("capacity"), detail::capacity_word_message(v.Scalar()));
        } else {
          n.capacity_people = reader_.number_in(v, p("capacity"), 0.0, max_population);
        }
      }
      if (auto v = m.get("admin_area"); v.IsDefined()) n.admin_area = reader_.string(v, p("admin_area")).value_or("");
      if (auto v = m.get("country"); v.IsDefined()) n.country = reader_.string(v, p("country")).value_or("");
      if (auto v = m.get("pcode"); v.IsDefined()) n.pcode = reader_.string(v, p("pcode")).value_or("");
      if (auto v = m.get("admin1"); v.IsDefined()) n.admin1 = reader_.string(v, p("admin1")).value_or("");
      if (auto v = m.get("admin2"); v.IsDefined()) n.admin2 = reader_.string(v, p("admin2")).value_or("");
      if (auto v = m.get("control"); v.IsDefined()) n.control = reader_.string(v, p("control")).value_or("");
      if (auto v = m.get("closed"); v.IsDefined()) {
        n.closed = reader_.boolean(v, p("closed")).value_or(false);
        if (kind_read && n.kind != NodeKind::border_crossing) {
          reader_.error(v, p("closed"), "only border_crossing nodes can be closed (close corridors instead)");
        }
      }
      const bool shelters = n.kind == NodeKind::town || n.kind == NodeKind::city || n.kind == NodeKind::camp;
      // Summed in floating point: many groups of 10^12 each would overflow a 64-bit sum.
      double people = 0.0;
      for (auto c : n.residents_by_group) people += static_cast<double>(c);
      for (auto c : n.displaced_by_group) people += static_cast<double>(c);
      people_total_ += people;
      if (people_total_ > max_population && !total_reported_) {
        total_reported_ = true;
        const YAML::Node where = m.has("population") ? m.get("population") : m.get("displaced");
        reader_.error(where, m.has("population") ? p("population") : p("displaced"),
                      fmt::format("the people in all nodes up to this one add up to {:.0f}, more than the "
                                  "{:.0f} Haven can count (expected mode counts millionths of a person in 64 "
                                  "bits)",
                                  people_total_, max_population));
      }
      // Only on an otherwise clean file: after an error the population read may be a stand-in.
      const bool node_ok = reader_.diagnostics().error_count() == 0;
      if (shelters && node_ok && !m.has("capacity") && people == 0.0) {
        reader_.warning(node[i], path,
                        fmt::format("{} with no population and no 'capacity' can shelter nobody; give it a capacity",
                                    to_string(n.kind)));
      } else if (n.kind == NodeKind::border_crossing && !m.has("capacity")) {
        // A crossing people may stop at hosts them without limit, and nobody there ever counts as unsheltered: a
        // "bigger camp" elsewhere then looks like a loss (issue 13). Transit nodes without a capacity are passed
        // through and external ones stand for everywhere beyond the modelled area.
        reader_.warning(node[i], path,
                        "border_crossing without 'capacity' can host people without limit (none of them counted "
                        "as unsheltered); give it a capacity");
      } else if (n.kind == NodeKind::camp && !m.has("capacity")) {
        reader_.warning(node[i], path,
                        "camp without 'capacity': its capacity defaults to a multiple of its population");
      }
    }
    node_items_.push_back(node[i]);
    s_.nodes.push_back(std::move(n));
  }
}

// ---- nodes and corridors from tables (tables.cpp reads the cells) ------------------------------------------------
void ScenarioDecoder::decode_node_table(const YAML::Node& section) {
  const std::size_t errors_before = reader_.diagnostics().error_count();
  auto table = detail::read_table_section(reader_, section, "nodes", table_directory_);
  if (!table) {
    nodes_unreadable_ = true;
    return;
  }
  // Rows left out for their CSV mistakes are already reported (and may be nodes referred to below).
  if (reader_.diagnostics().error_count() > errors_before) node_unread_ = node_unlocated_ = network_incomplete_ = true;
  if (table->row_count() == 0 && reader_.diagnostics().error_count() == errors_before) {
    reader_.diagnostics().error(table->where_header(0), "nodes: the table has no rows; it needs at least one node");
  }
  auto read = detail::decode_node_table(*table, s_.groups, group_id_list_, people_total_, total_reported_,
                                        reader_.diagnostics());
  network_incomplete_ = network_incomplete_ || read.incomplete;
  node_unread_ = node_unread_ || read.incomplete;
  node_ids_ = std::move(read.ids);  // the only nodes there are
  rejected_node_ids_.insert(read.rejected_ids.begin(), read.rejected_ids.end());
  nodes_of_unknown_kind_.insert(read.unknown_kinds.begin(), read.unknown_kinds.end());
  node_rows_ = std::move(read.rows);
  s_.nodes = std::move(read.nodes);
}

void ScenarioDecoder::decode_corridor_table(const YAML::Node& section) {
  corridors_from_table_ = true;
  const std::size_t errors_before = reader_.diagnostics().error_count();
  auto table = detail::read_table_section(reader_, section, "corridors", table_directory_);
  if (!table) {
    corridors_unreadable_ = network_incomplete_ = true;
    return;
  }
  // Rows left out for their CSV mistakes (a cell too many) are already reported: the network lacks their roads.
  if (reader_.diagnostics().error_count() > errors_before) network_incomplete_ = true;
  auto resolve = [&](std::string_view id) -> detail::NodeLookup {
    if (auto it = node_ids_.find(id); it != node_ids_.end()) return {static_cast<NodeIndex>(it->second.index), {}};
    if (nodes_unreadable_ || rejected_node_ids_.count(id) > 0) return {};  // already reported
    return {std::nullopt, fmt::format("unknown node '{}'{}", id, node_hint(std::string(id)))};
  };
  auto read = detail::decode_corridor_table(*table, s_.nodes, resolve, reader_.diagnostics());
  network_incomplete_ = network_incomplete_ || read.incomplete;
  corridor_ids_ = std::move(read.ids);  // the only corridors there are
  rejected_corridor_ids_.insert(read.rejected_ids.begin(), read.rejected_ids.end());
  s_.corridors = std::move(read.corridors);
}

// Resolves a node reference with a "did you mean" hint.
std::optional<NodeIndex> ScenarioDecoder::node_ref(const YAML::Node& node, const std::string& path) {
  auto id = reader_.string(node, path);
  if (!id) return std::nullopt;
  if (auto it = node_ids_.find(*id); it != node_ids_.end()) return static_cast<NodeIndex>(it->second.index);
  if (nodes_unreadable_ || rejected_node_ids_.count(*id) > 0) return std::nullopt;  // already reported
  reader_.error(node, path, fmt::format("unknown node '{}'{}", *id, node_hint(*id)));
  return std::nullopt;
}

// A node's display name used where its id belongs is the likeliest slip; otherwise the closest id.
std::string ScenarioDecoder::node_hint(const std::string& written) const {
  // An id in other letter case (`Camp` for `camp`) first: a node whose name is `Camp` would be the wrong aim.
  for (const auto& n : s_.nodes) {
    if (n.id.size() == written.size() && std::equal(n.id.begin(), n.id.end(), written.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return fmt::format("; did you mean '{}'?", n.id);
    }
  }
  for (const bool exact : {true, false}) {
    for (const auto& n : s_.nodes) {
      if (n.id.empty() || n.name == n.id) continue;
      if (exact ? n.name == written : same_letters(n.name, written)) {
        return fmt::format("; did you mean '{}'? ('{}' is its name; nodes are referred to by id)", n.id, n.name);
      }
    }
  }
  std::string hint = did_you_mean(written, std::span<const std::string_view>(ids_of(s_.nodes)));
  // After a node that could not be read, a reference to it reads as unknown: said, so that the first error is the
  // one to fix.
  if (hint.empty() && node_unread_) hint = " (a node could not be read, said above: this may be it)";
  return hint;
}

std::optional<CorridorIndex> ScenarioDecoder::corridor_ref(const YAML::Node& node, const std::string& path) {
  auto id = reader_.string(node, path);
  if (!id) return std::nullopt;
  if (auto it = corridor_ids_.find(*id); it != corridor_ids_.end()) return static_cast<CorridorIndex>(it->second.index);
  if (corridors_unreadable_ || rejected_corridor_ids_.count(*id) > 0) return std::nullopt;  // already reported
  reader_.error(node, path,
                fmt::format("unknown corridor '{}'{}", *id,
                            did_you_mean(*id, std::span<const std::string_view>(ids_of(s_.corridors)))));
  return std::nullopt;
}

// ---- corridors --------------------------------------------------------------------------------------------------
void ScenarioDecoder::decode_corridors(const YAML::Node& node) {
  if (!node.IsDefined()) return;
  if (detail::is_table_section(node)) {
    decode_corridor_table(node);
    return;
  }
  if (!reader_.expect_sequence(node, "corridors")) {
    corridors_unreadable_ = true;
    network_incomplete_ = true;
    return;
  }
  std::set<std::string> default_paths;
  for (std::size_t i = 0; i < node.size(); ++i) {
    // Named by its id; without one, by its default id <from>-<to> (unless another corridor already is).
    std::string path = item_path("corridors", node[i], i);
    if (const auto from = scalar_at(node[i], "from"), to = scalar_at(node[i], "to");
        !(node[i].IsMap() && node[i]["id"].IsDefined()) && is_plain_id(from) && is_plain_id(to) &&
        corridor_ids_.count(from + "-" + to) == 0 && default_paths.insert(from + "-" + to).second) {
      path = join_path("corridors", from + "-" + to);
    }
    Corridor c;
    MapReader m(reader_, node[i], path, keys::corridor);
    bool ends_ok = false;
    if (!m.valid()) network_incomplete_ = true;
    if (m.valid()) {
      auto from = m.require("from");
      auto to = m.require("to");
      std::optional<NodeIndex> from_index, to_index;
      if (from.IsDefined()) from_index = node_ref(from, m.path("from"));
      if (to.IsDefined()) to_index = node_ref(to, m.path("to"));
      if (from_index && to_index) {
        c.from = *from_index;
        c.to = *to_index;
        ends_ok = true;
        if (c.from == c.to) {
          reader_.error(to, m.path("to"),
                        fmt::format("corridor from '{}' to itself", s_.nodes[static_cast<std::size_t>(c.from)].id));
          ends_ok = false;
        }
      }
      if (!ends_ok) network_incomplete_ = true;
      std::optional<std::string> explicit_id;
      YAML::Node id_node = m.get("id");
      if (id_node.IsDefined()) {
        explicit_id = reader_.identifier(id_node, m.path("id"));
        if (!explicit_id && id_node.IsScalar()) rejected_corridor_ids_.insert(id_node.Scalar());
      } else if (from.IsScalar() && to.IsScalar() && !ends_ok) {
        // The default id of a corridor whose ends are already reported.
        rejected_corridor_ids_.insert(from.Scalar() + "-" + to.Scalar());
      }
      if (explicit_id) {
        c.id = *explicit_id;
      } else if (ends_ok) {
        c.id = s_.nodes[static_cast<std::size_t>(c.from)].id + "-" + s_.nodes[static_cast<std::size_t>(c.to)].id;
      }
      if (!c.id.empty()) {
        const auto line = reader_.where(id_node.IsDefined() ? id_node : node[i], path).line;
        if (auto [it, fresh] = corridor_ids_.emplace(c.id, IdEntry{i, line}); !fresh) {
          reader_.error(id_node.IsDefined() ? id_node : node[i], explicit_id ? m.path("id") : path,
                        fmt::format("duplicate corridor '{}' ({}){}", c.id, first_given(it->second.line),
                                    explicit_id ? "" : "; give one of them an 'id'"));
        }
      }
      auto p = [&](std::string_view key) { return join_path(path, key); };
      if (auto v = m.require("length_km"); v.IsDefined()) {
        auto length = reader_.number(v, p("length_km"));
        if (length && *length <= 0.0) {
          reader_.error(v, p("length_km"), fmt::format("must be greater than 0, got {:g}", *length));
        } else if (length && *length > 20000.0) {
          reader_.error(v, p("length_km"), fmt::format("must be at most 20000 km, got {:g}", *length));
        } else if (length) {
          c.length_km = *length;
        }
      }
      if (auto v = m.require("kind"); v.IsDefined()) {
        if (auto kind = reader_.choice(v, p("kind"), corridor_kind_names, border_hint(v, "corridor"))) {
          c.kind = static_cast<CorridorKind>(std::find(corridor_kind_names.begin(), corridor_kind_names.end(), *kind) -
                                             corridor_kind_names.begin());
        }
      }
      if (auto v = m.get("speed_km_per_day"); v.IsDefined())
        c.speed_km_per_day = reader_.number_in(v, p("speed_km_per_day"), 0.1, 2000.0);
      if (auto v = m.get("capacity_people_per_day"); v.IsDefined())
        c.capacity_people_per_day = reader_.number_in(v, p("capacity_people_per_day"), 1.0, max_population);
      if (auto v = m.get("bidirectional"); v.IsDefined())
        c.bidirectional = reader_.boolean(v, p("bidirectional")).value_or(true);
      if (auto v = m.get("closed"); v.IsDefined()) c.closed = reader_.boolean(v, p("closed")).value_or(false);
      if (auto v = m.get("forced_redirection"); v.IsDefined())
        c.forced_redirection = reader_.boolean(v, p("forced_redirection")).value_or(false);
    }
    s_.corridors.push_back(std::move(c));
  }
}

// ---- whole-network checks ---------------------------------------------------------------------------------------
void ScenarioDecoder::check_connectivity() {
  const std::size_t n = s_.nodes.size();
  if (n < 2 || network_incomplete_) return;  // broken items are already reported; the picture would be wrong
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& c : s_.corridors) {
    if (c.from == no_node || c.to == no_node) return;  // already reported; the picture would be wrong
    parent[find(static_cast<std::size_t>(c.from))] = find(static_cast<std::size_t>(c.to));
  }
  std::vector<double> people(n, 0.0);
  std::vector<std::size_t> members(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto root = find(i);
    ++members[root];
    for (auto count : s_.nodes[i].residents_by_group) people[root] += static_cast<double>(count);
  }
  std::size_t main = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::pair(people[i], members[i]) > std::pair(people[main], members[main])) main = i;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (find(i) != main) {
      const std::string message = "unreachable: no corridor path links it to the rest of the network";
      if (i < node_rows_.size()) {
        reader_.diagnostics().warning(node_rows_[i],
                                      fmt::format("{}: {}", join_path("nodes", s_.nodes[i].id), message));
      } else {
        reader_.warning(node_items_[i], join_path("nodes", s_.nodes[i].id), message);
      }
    }
  }
}
}  // namespace haven::detail
