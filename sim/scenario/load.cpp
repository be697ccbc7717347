#include "haven/scenario/load.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "haven/scenario/keys.hpp"
#include "haven/util/text.hpp"
#include "item_names.hpp"
#include "overlay_edits.hpp"
#include "tables.hpp"
#include "yaml_reader.hpp"

namespace haven {

using detail::apply_path_edit;
using detail::explicit_id;
using detail::is_plain_id;
using detail::item_ids;
using detail::item_path;
using detail::join_path;
using detail::MapReader;
using detail::record_edit;
using detail::same_letters;
using detail::scalar_at;
using detail::TreeCopier;
using detail::unmarked_copy;
using detail::YamlReader;

namespace {

// The most people a scenario holds, in all its nodes: expected mode counts millionths of a person in signed 64-bit
// integers (at most 9.2e18), so 10^12 people leave room for the sums the recorder takes.
constexpr double max_population = 1e12;
constexpr int max_days = 100 * 366;

// "'a', 'b' and 'c'".
std::string all_of_list(std::span<const std::string_view> items) {
  std::string out = quoted_list(items);
  if (const auto last_or = out.rfind("' or '"); items.size() > 1 && last_or != std::string::npos)
    out.replace(last_or, 6, "' and '");
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

// `kind: border` (or `frontier`, `border crossing`) is the usual first try at a border; say how the format models
// one (docs/scenario-format.md): a border_crossing node, a `crossing` corridor, an `external` node beyond.
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

using detail::IdEntry;

class ScenarioDecoder {
 public:
  ScenarioDecoder(YamlReader& reader, Scenario& scenario) : reader_(reader), s_(scenario) {}

  // Where tables (`nodes: {csv: nodes.csv}`) are looked for.
  void set_table_directory(std::filesystem::path directory) { table_directory_ = std::move(directory); }
  // True when the nodes or corridors came from a table (the resolved scenario then lists them).
  [[nodiscard]] bool network_from_tables() const { return !node_rows_.empty() || corridors_from_table_; }

  void decode(const YAML::Node& root) {
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
    check_connectivity();
  }

  // Validates the shape of every variant (whether applied or not) and lists their names.
  void decode_variant_shapes(const YAML::Node& variants) {
    if (!variants.IsDefined()) return;
    if (!variants.IsMap()) {
      reader_.error(variants, "variants", "expected a mapping of variant names to overlays");
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
                      fmt::format("duplicate variant '{}' (first at line {})", *name, first->second));
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

 private:
  YamlReader& reader_;
  Scenario& s_;
  // Hashed: a large network has 10^5 nodes and 4x10^5 corridors, each looked up by id.
  detail::IdIndex node_ids_;
  detail::IdIndex corridor_ids_;
  std::vector<std::string> node_id_list_;
  std::vector<std::string> corridor_id_list_;
  std::vector<std::string> group_id_list_;
  std::vector<std::string> rejected_group_ids_;  // as written, for the population mappings that use them
  // Ids already reported as invalid (or items already reported as broken): references to them are not
  // reported again, so one mistake gives one message.
  std::set<std::string, std::less<>> rejected_node_ids_;
  std::set<std::size_t> nodes_of_unknown_kind_;  // their kind is already reported: no checks that depend on it
  std::set<std::string, std::less<>> rejected_corridor_ids_;
  bool nodes_unreadable_ = false;          // the nodes section is missing or not a list: every reference would fail
  bool corridors_unreadable_ = false;      // likewise for corridors
  bool network_incomplete_ = false;        // some node or corridor could not be read: connectivity would mislead
  std::vector<YAML::Node> node_items_;     // each node's YAML, to locate whole-network warnings
  std::vector<SourceLocation> node_rows_;  // or each node's row, when the nodes come from a table
  bool corridors_from_table_ = false;
  std::filesystem::path table_directory_;
  bool period_known_ = false;
  double people_total_ = 0.0;  // residents and displaced of the nodes read so far
  bool total_reported_ = false;

  // ---- scenario -----------------------------------------------------------------------------------------------
  void decode_scenario_section(const YAML::Node& node) {
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
          period_known_ = true;
        }
      }
    }
    if (auto v = m.get("days"); v.IsDefined() && one_end) {
      if (auto days = reader_.whole_number(v, m.path("days"), 1, max_days)) {
        s_.days = static_cast<int>(*days);
        period_known_ = start.has_value();
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

  SourceReference decode_source(const YAML::Node& node, const std::string& path) {
    SourceReference source;
    MapReader m(reader_, node, path, keys::source);
    if (!m.valid()) return source;
    if (auto v = m.require("publisher"); v.IsDefined())
      source.publisher = reader_.string(v, m.path("publisher")).value_or("");
    if (auto v = m.get("url"); v.IsDefined()) source.url = reader_.string(v, m.path("url")).value_or("");
    if (auto v = m.get("note"); v.IsDefined()) source.note = reader_.string(v, m.path("note")).value_or("");
    return source;
  }

  // ---- groups ---------------------------------------------------------------------------------------------------
  void decode_groups(const YAML::Node& node) {
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
            reader_.error(v, m.path("id"), fmt::format("duplicate group id '{}' (first at line {})", *id, it->second));
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
  std::vector<std::int64_t> decode_population(const YAML::Node& node, const std::string& path) {
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

  // ---- nodes ----------------------------------------------------------------------------------------------------
  void decode_nodes(const YAML::Node& node) {
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
      if (!m.valid()) network_incomplete_ = true;
      if (m.valid()) {
        if (auto v = m.require("id"); v.IsDefined()) {
          if (auto id = reader_.identifier(v, m.path("id"))) {
            n.id = *id;
            const auto line = reader_.where(v, m.path("id")).line;
            if (auto [it, fresh] = node_ids_.emplace(*id, IdEntry{i, line}); !fresh) {
              reader_.error(v, m.path("id"),
                            fmt::format("duplicate node id '{}' (first at line {})", *id, it->second.line));
              network_incomplete_ = true;
            }
          } else {
            if (v.IsScalar()) rejected_node_ids_.insert(v.Scalar());
            network_incomplete_ = true;
          }
        } else {
          network_incomplete_ = true;
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
        if (auto v = m.require("lat"); v.IsDefined())
          n.lat_deg = reader_.number_in(v, p("lat"), -90.0, 90.0).value_or(0.0);
        if (auto v = m.require("lon"); v.IsDefined())
          n.lon_deg = reader_.number_in(v, p("lon"), -180.0, 180.0).value_or(0.0);
        n.residents_by_group.assign(s_.groups.size(), 0);
        n.displaced_by_group.assign(s_.groups.size(), 0);
        if (auto v = m.get("population"); v.IsDefined()) n.residents_by_group = decode_population(v, p("population"));
        if (auto v = m.get("displaced"); v.IsDefined()) n.displaced_by_group = decode_population(v, p("displaced"));
        if (auto v = m.get("capacity"); v.IsDefined()) {
          // `unlimited`: the node hosts anyone, whatever its residents (Flee's towns host people without any).
          if (v.IsScalar() && v.Scalar() == "unlimited" && v.Tag() != "!") {
            n.capacity_people = std::numeric_limits<double>::infinity();
          } else if (v.IsScalar() && !v.Scalar().empty() && std::isalpha(static_cast<unsigned char>(v.Scalar()[0]))) {
            reader_.error(v, p("capacity"),
                          fmt::format("expected a number of people or 'unlimited', got '{}'", v.Scalar()));
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
      node_id_list_.push_back(n.id);
      node_items_.push_back(node[i]);
      s_.nodes.push_back(std::move(n));
    }
  }

  // ---- nodes and corridors from tables (tables.cpp reads the cells) ----------------------------------------------
  void decode_node_table(const YAML::Node& section) {
    const std::size_t errors_before = reader_.diagnostics().error_count();
    auto table = detail::read_table_section(reader_, section, "nodes", table_directory_);
    if (!table) {
      nodes_unreadable_ = true;
      return;
    }
    // Rows left out for their CSV mistakes are already reported.
    if (table->row_count() == 0 && reader_.diagnostics().error_count() == errors_before) {
      reader_.diagnostics().error(table->where_header(0), "nodes: the table has no rows; it needs at least one node");
    }
    auto read = detail::decode_node_table(*table, s_.groups, group_id_list_, people_total_, total_reported_,
                                          reader_.diagnostics());
    network_incomplete_ = network_incomplete_ || read.incomplete;
    node_ids_ = std::move(read.ids);  // the only nodes there are
    for (const auto& n : read.nodes) node_id_list_.push_back(n.id);
    rejected_node_ids_.insert(read.rejected_ids.begin(), read.rejected_ids.end());
    nodes_of_unknown_kind_.insert(read.unknown_kinds.begin(), read.unknown_kinds.end());
    node_rows_ = std::move(read.rows);
    s_.nodes = std::move(read.nodes);
  }

  void decode_corridor_table(const YAML::Node& section) {
    corridors_from_table_ = true;
    auto table = detail::read_table_section(reader_, section, "corridors", table_directory_);
    if (!table) {
      corridors_unreadable_ = network_incomplete_ = true;
      return;
    }
    std::string key;
    auto resolve = [&](std::string_view id) -> detail::NodeLookup {
      key.assign(id);
      if (auto it = node_ids_.find(key); it != node_ids_.end()) return {static_cast<NodeIndex>(it->second.index), {}};
      if (nodes_unreadable_ || rejected_node_ids_.count(id) > 0) return {};  // already reported
      return {std::nullopt, fmt::format("unknown node '{}'{}", id, node_hint(std::string(id)))};
    };
    auto read = detail::decode_corridor_table(*table, s_.nodes, resolve, reader_.diagnostics());
    network_incomplete_ = network_incomplete_ || read.incomplete;
    corridor_ids_ = std::move(read.ids);  // the only corridors there are
    for (const auto& c : read.corridors) corridor_id_list_.push_back(c.id);
    rejected_corridor_ids_.insert(read.rejected_ids.begin(), read.rejected_ids.end());
    s_.corridors = std::move(read.corridors);
  }

  // Resolves a node reference with a "did you mean" hint.
  std::optional<NodeIndex> node_ref(const YAML::Node& node, const std::string& path) {
    auto id = reader_.string(node, path);
    if (!id) return std::nullopt;
    if (auto it = node_ids_.find(*id); it != node_ids_.end()) return static_cast<NodeIndex>(it->second.index);
    if (nodes_unreadable_ || rejected_node_ids_.count(*id) > 0) return std::nullopt;  // already reported
    reader_.error(node, path, fmt::format("unknown node '{}'{}", *id, node_hint(*id)));
    return std::nullopt;
  }

  // A node's display name used where its id belongs is the likeliest slip; otherwise the closest id.
  std::string node_hint(const std::string& written) const {
    for (const bool exact : {true, false}) {
      for (const auto& n : s_.nodes) {
        if (n.id.empty() || n.name == n.id) continue;
        if (exact ? n.name == written : same_letters(n.name, written)) {
          return fmt::format("; did you mean '{}'? ('{}' is its name; nodes are referred to by id)", n.id, n.name);
        }
      }
    }
    return did_you_mean(written, std::span(node_id_list_));
  }

  std::optional<CorridorIndex> corridor_ref(const YAML::Node& node, const std::string& path) {
    auto id = reader_.string(node, path);
    if (!id) return std::nullopt;
    if (auto it = corridor_ids_.find(*id); it != corridor_ids_.end())
      return static_cast<CorridorIndex>(it->second.index);
    if (corridors_unreadable_ || rejected_corridor_ids_.count(*id) > 0) return std::nullopt;  // already reported
    reader_.error(node, path,
                  fmt::format("unknown corridor '{}'{}", *id, did_you_mean(*id, std::span(corridor_id_list_))));
    return std::nullopt;
  }

  // ---- corridors ------------------------------------------------------------------------------------------------
  void decode_corridors(const YAML::Node& node) {
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
                          fmt::format("duplicate corridor '{}' (first at line {}){}", c.id, it->second.line,
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
            c.kind = static_cast<CorridorKind>(
                std::find(corridor_kind_names.begin(), corridor_kind_names.end(), *kind) - corridor_kind_names.begin());
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
      corridor_id_list_.push_back(c.id);
      s_.corridors.push_back(std::move(c));
    }
  }

  // ---- parameters -----------------------------------------------------------------------------------------------
  void decode_parameters(const YAML::Node& node, const std::string& path, ModelParameters& parameters) {
    if (!node.IsDefined()) return;
    static const auto names = parameter_names();
    MapReader m(reader_, node, path, names, " (run 'haven params' for the list)");
    if (!m.valid()) return;
    for (const auto& spec : parameter_specs) {
      if (auto v = m.get(spec.name); v.IsDefined()) {
        if (auto value = reader_.number_in(v, m.path(spec.name), spec.minimum, spec.maximum)) {
          *parameters.find(spec.name) = *value;
        }
      }
    }
  }

  // ---- time -----------------------------------------------------------------------------------------------------
  // A day number (offset from start_date) inside the scenario period.
  std::optional<int> day_from_number(const YAML::Node& node, const std::string& path) {
    auto day = reader_.whole_number(node, path, 0, max_days);
    if (!day) return std::nullopt;
    if (period_known_ && *day >= s_.days) {
      reader_.error(node, path, fmt::format("day {} is outside the scenario (days 0 to {})", *day, s_.days - 1));
      return std::nullopt;
    }
    return static_cast<int>(*day);
  }

  // A calendar date inside the scenario period, as a day number.
  std::optional<int> day_from_date(const YAML::Node& node, const std::string& path) {
    auto date = reader_.date(node, path);
    if (!date || !period_known_) return std::nullopt;
    const long day = days_between(s_.start_date, *date);
    if (day < 0 || day >= s_.days) {
      reader_.error(node, path,
                    fmt::format("{} is outside the scenario period ({} to {})", format_iso_date(*date),
                                format_iso_date(s_.start_date), format_iso_date(add_days(s_.start_date, s_.days - 1))));
      return std::nullopt;
    }
    return static_cast<int>(day);
  }

  // `day: N` or `date: YYYY-MM-DD` in mapping `m`; reports when neither or both are given.
  std::optional<int> when(MapReader& m, const YAML::Node& owner, std::string_view what) {
    if (!m.exclusive("day", "date")) return std::nullopt;
    if (auto v = m.get("day"); v.IsDefined()) return day_from_number(v, m.path("day"));
    if (auto v = m.get("date"); v.IsDefined()) return day_from_date(v, m.path("date"));
    if (m.near_miss("day") || m.near_miss("date")) return std::nullopt;  // a misspelling is already reported
    reader_.error(owner, m.path(), fmt::format("missing 'day' or 'date'{}", what));
    return std::nullopt;
  }

  // `until` may be a date or a day number; it names the last day the event is active.
  std::optional<int> until_day(const YAML::Node& node, const std::string& path) {
    if (node.IsScalar() && node.Scalar().find('-', 1) != std::string::npos) return day_from_date(node, path);
    const bool numeric = node.IsScalar() && !node.Scalar().empty() &&
                         std::string_view("0123456789+-.").find(node.Scalar().front()) != std::string_view::npos;
    if (numeric && node.Tag() != "!") return day_from_number(node, path);
    reader_.error(node, path,
                  fmt::format("expected a date (YYYY-MM-DD) or a day number, got {}",
                              node.IsScalar() ? fmt::format("'{}'", node.Scalar()) : std::string("a list or mapping")));
    return std::nullopt;
  }

  // ---- events ---------------------------------------------------------------------------------------------------
  void decode_events(const YAML::Node& node) {
    if (!node.IsDefined() || !reader_.expect_sequence(node, "events")) return;
    std::map<std::string, std::size_t> ids;
    struct DefaultId {
      std::string id;
      std::string path;
      YAML::Node item;
    };
    std::vector<DefaultId> default_ids;
    std::array<int, event_kind_names.size()> per_kind{};
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::string path = item_path("events", node[i], i);
      // An unknown key is answered with the keys the event's kind takes, when the kind is known.
      std::string keys_hint;
      if (const auto kind_text = scalar_at(node[i], "kind");
          std::find(event_kind_names.begin(), event_kind_names.end(), kind_text) != event_kind_names.end()) {
        keys_hint = fmt::format(" (a {} event takes {})", kind_text, all_of_list(keys::event_keys_for(kind_text)));
      }
      MapReader m(reader_, node[i], path, keys::event_all, keys_hint);
      if (!m.valid()) continue;
      Event event;
      std::optional<std::string> kind;
      if (auto v = m.require("kind"); v.IsDefined())
        kind = reader_.choice(v, m.path("kind"), event_kind_names, border_hint(v, "event"));
      const std::size_t kind_index =
          kind ? static_cast<std::size_t>(std::find(event_kind_names.begin(), event_kind_names.end(), *kind) -
                                          event_kind_names.begin())
               : event_kind_names.size();
      if (auto v = m.get("id"); v.IsDefined()) {
        if (auto id = reader_.identifier(v, m.path("id"))) {
          const auto line = reader_.where(v, m.path("id")).line;
          if (auto [it, fresh] = ids.emplace(*id, line); !fresh) {
            reader_.error(v, m.path("id"), fmt::format("duplicate event id '{}' (first at line {})", *id, it->second));
          }
          event.id = *id;
        }
      }
      if (kind) {
        // Unnamed events are called <kind>_<n>, n counting every event of that kind in file order.
        ++per_kind[kind_index];
        if (event.id.empty() && !m.has("id")) {
          event.id = fmt::format("{}_{}", *kind, per_kind[kind_index]);
          default_ids.push_back({event.id, path, node[i]});
        }
      }
      if (!kind) continue;
      // Keys that belong to another kind of event are errors here, with the kinds that take them.
      const auto allowed = keys::event_keys_for(*kind);
      for (auto it = m.node().begin(); it != m.node().end(); ++it) {
        const std::string& key = it->first.Scalar();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end() &&
            std::find(keys::event_all.begin(), keys::event_all.end(), key) != keys::event_all.end()) {
          std::vector<std::string_view> takers;
          for (auto other : event_kind_names) {
            const auto specific = keys::event_specific_keys(other);
            if (std::find(specific.begin(), specific.end(), key) != specific.end()) takers.push_back(other);
          }
          const auto own = keys::event_specific_keys(*kind);
          reader_.error(it->first, path,
                        fmt::format("'{}' does not apply to a {} event (it belongs to {}; a {} event takes {})", key,
                                    *kind, quoted_list(takers), *kind, all_of_list(own)));
        }
      }
      auto p = [&](std::string_view key) { return join_path(path, key); };
      // When
      if (auto start = when(m, node[i], " (when the event starts)")) event.start_day = *start;
      if (m.exclusive("duration_days", "until")) {
        if (auto v = m.get("duration_days"); v.IsDefined()) {
          if (auto duration = reader_.whole_number(v, p("duration_days"), 1, max_days)) {
            event.end_day = event.start_day + static_cast<int>(*duration);
          }
        }
        if (auto v = m.get("until"); v.IsDefined()) {
          if (auto last = until_day(v, p("until"))) {
            if (*last < event.start_day) {
              reader_.error(v, p("until"),
                            fmt::format("day {} ({}) is before the event starts on day {} ({}); 'until' is the "
                                        "event's last day",
                                        *last, format_iso_date(add_days(s_.start_date, *last)), event.start_day,
                                        format_iso_date(add_days(s_.start_date, event.start_day))));
            } else {
              event.end_day = *last + 1;
            }
          }
        }
      }
      if (event.end_day && period_known_) event.end_day = std::min(*event.end_day, s_.days);
      if (auto v = m.get("note"); v.IsDefined()) event.note = reader_.string(v, p("note")).value_or("");
      // What
      switch (kind_index) {
        case 0: {
          Bombardment b;
          b.target = decode_area(m, path, true);
          if (auto v = m.require("intensity"); v.IsDefined())
            b.intensity_strikes_per_day = reader_.number_in(v, p("intensity"), 0.0, 1e6).value_or(0.0);
          event.action = b;
          break;
        }
        case 1: {
          Capture c;
          if (auto v = m.require("node"); v.IsDefined()) c.node = node_ref(v, p("node")).value_or(no_node);
          if (auto v = m.get("by"); v.IsDefined()) c.by = reader_.string(v, p("by")).value_or("");
          event.action = c;
          break;
        }
        case 2:
        case 3: {
          CorridorIndex corridor = -1;
          if (auto v = m.require("corridor"); v.IsDefined()) corridor = corridor_ref(v, p("corridor")).value_or(-1);
          if (kind_index == 2) {
            event.action = CorridorClosure{corridor};
          } else {
            event.action = CorridorOpening{corridor};
          }
          break;
        }
        case 4:
        case 5: {
          NodeIndex border = no_node;
          if (auto v = m.require("node"); v.IsDefined()) {
            border = node_ref(v, p("node")).value_or(no_node);
            if (border != no_node && nodes_of_unknown_kind_.count(static_cast<std::size_t>(border)) == 0 &&
                s_.nodes[static_cast<std::size_t>(border)].kind != NodeKind::border_crossing) {
              reader_.error(
                  v, p("node"),
                  fmt::format("node '{}' is a {}, not a border_crossing", s_.nodes[static_cast<std::size_t>(border)].id,
                              to_string(s_.nodes[static_cast<std::size_t>(border)].kind)));
            }
          }
          if (kind_index == 4) {
            event.action = BorderClosure{border};
          } else {
            event.action = BorderOpening{border};
          }
          break;
        }
        case 6: {
          Ceasefire c;
          c.area = decode_area(m, path, false);
          event.action = c;
          break;
        }
        case 7: {
          CapacityChange c;
          if (auto v = m.require("node"); v.IsDefined()) c.node = node_ref(v, p("node")).value_or(no_node);
          if (auto v = m.require("capacity"); v.IsDefined())
            c.capacity_people = reader_.number_in(v, p("capacity"), 0.0, max_population).value_or(0.0);
          event.action = c;
          break;
        }
        case 8: {
          Evacuation e;
          if (auto v = m.require("from"); v.IsDefined()) e.from = node_ref(v, p("from")).value_or(no_node);
          if (auto v = m.require("to"); v.IsDefined()) {
            e.to = node_ref(v, p("to")).value_or(no_node);
            if (e.to != no_node && e.to == e.from) reader_.error(v, p("to"), "an evacuation needs two different nodes");
          }
          if (auto v = m.require("rate"); v.IsDefined())
            e.rate_people_per_day = reader_.number_in(v, p("rate"), 0.0, max_population).value_or(0.0);
          event.action = e;
          break;
        }
        case 9: {
          ArmedConflict a;
          if (auto v = m.require("node"); v.IsDefined()) a.node = node_ref(v, p("node")).value_or(no_node);
          if (auto v = m.get("intensity"); v.IsDefined())
            a.intensity = reader_.number_in(v, p("intensity"), 0.0, 1000.0).value_or(1.0);
          event.action = a;
          break;
        }
        case 10: {
          CampClosure c;
          if (auto v = m.require("node"); v.IsDefined()) c.node = node_ref(v, p("node")).value_or(no_node);
          event.action = c;
          break;
        }
        case 11:
          event.action = decode_country_closure(m, path);
          break;
        case 12: {
          RedirectionEnd r;
          if (auto v = m.require("corridor"); v.IsDefined()) {
            r.corridor = corridor_ref(v, p("corridor")).value_or(-1);
            if (r.corridor >= 0 && static_cast<std::size_t>(r.corridor) < s_.corridors.size() &&
                !s_.corridors[static_cast<std::size_t>(r.corridor)].forced_redirection) {
              reader_.error(v, p("corridor"),
                            fmt::format("corridor '{}' has no forced redirection to end; give it "
                                        "'forced_redirection: true'",
                                        s_.corridors[static_cast<std::size_t>(r.corridor)].id));
            }
          }
          event.action = r;
          break;
        }
        default:
          break;
      }
      s_.events.push_back(std::move(event));
    }
    // A default id must not collide with an id given explicitly: variants and outputs name events by id.
    for (const auto& [id, item_path, item] : default_ids) {
      if (auto it = ids.find(id); it != ids.end()) {
        reader_.error(item, item_path,
                      fmt::format("this unnamed event would be called '{}', but the event at line {} has that id; "
                                  "give one of them another 'id'",
                                  id, it->second));
      }
    }
  }

  // The distinct countries of the nodes, in file order.
  std::vector<std::string> countries() const {
    std::vector<std::string> known;
    for (const auto& n : s_.nodes) {
      if (!n.country.empty() && std::find(known.begin(), known.end(), n.country) == known.end())
        known.push_back(n.country);
    }
    return known;
  }

  // `countries: [A, B]`: two different countries, each the `country` of some node.
  CountryClosure decode_country_closure(MapReader& m, const std::string& path) {
    CountryClosure closure;
    auto v = m.require("countries");
    if (!v.IsDefined() || !reader_.expect_sequence(v, join_path(path, "countries"))) return closure;
    if (v.size() != 2) {
      reader_.error(v, join_path(path, "countries"),
                    fmt::format("expected two countries (every corridor between them closes), got {}", v.size()));
      return closure;
    }
    const auto known = countries();
    std::array<std::string, 2> names;
    for (std::size_t k = 0; k < 2; ++k) {
      const std::string item = join_path(path, fmt::format("countries[{}]", k));
      auto name = reader_.string(v[k], item);
      if (!name) continue;
      if (!nodes_unreadable_ && std::find(known.begin(), known.end(), *name) == known.end()) {
        reader_.error(v[k], item,
                      fmt::format("no node has country '{}'{}", *name, did_you_mean(*name, std::span(known))));
        continue;
      }
      names[k] = *name;
    }
    if (!names[0].empty() && names[0] == names[1]) {
      reader_.error(v[1], join_path(path, "countries[1]"),
                    "a country closure needs two different countries (it closes the corridors between them)");
    }
    closure.country_a = names[0];
    closure.country_b = names[1];
    return closure;
  }

  // A node, or lat/lon with radius_km; for ceasefires nothing at all means everywhere.
  Area decode_area(MapReader& m, const std::string& path, bool required) {
    Area area;
    auto p = [&](std::string_view key) { return join_path(path, key); };
    const bool has_node = m.has("node");
    const bool has_point = m.has("lat") || m.has("lon");
    if (has_node && has_point) {
      reader_.error(m.get(m.has("lat") ? "lat" : "lon"), path, "give either 'node' or 'lat'/'lon', not both");
      return area;
    }
    if (has_node) {
      area.node = node_ref(m.get("node"), p("node")).value_or(no_node);
    } else if (has_point) {
      if (auto v = m.require("lat"); v.IsDefined()) area.lat_deg = reader_.number_in(v, p("lat"), -90.0, 90.0);
      if (auto v = m.require("lon"); v.IsDefined()) area.lon_deg = reader_.number_in(v, p("lon"), -180.0, 180.0);
      if (!m.has("radius_km") && !m.near_miss("radius_km"))
        reader_.error(m.node(), path, "missing required key 'radius_km' (with 'lat'/'lon')");
    } else if (required && !m.near_miss("node") && !m.near_miss("lat") && !m.near_miss("lon")) {
      reader_.error(m.node(), path, "missing 'node' or 'lat'/'lon' (where the strikes fall)");
    } else if (m.has("radius_km")) {
      // Without a centre the area is everywhere; a radius then means the centre was forgotten.
      reader_.error(m.get("radius_km"), p("radius_km"),
                    "a radius needs a centre: give 'node' or 'lat' and 'lon' (or neither, for everywhere)");
    }
    if (auto v = m.get("radius_km"); v.IsDefined()) {
      area.radius_km = reader_.number_in(v, p("radius_km"), 0.0, 20000.0).value_or(0.0);
    }
    return area;
  }

  // ---- observations ---------------------------------------------------------------------------------------------
  void decode_observations(const YAML::Node& node) {
    if (!node.IsDefined() || !reader_.expect_sequence(node, "observations")) return;
    std::map<std::string, std::size_t> ids;
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::string path = item_path("observations", node[i], i);
      MapReader m(reader_, node[i], path, keys::observation);
      if (!m.valid()) continue;
      Observation o;
      if (auto v = m.require("id"); v.IsDefined()) {
        if (auto id = reader_.identifier(v, m.path("id"))) {
          const auto line = reader_.where(v, m.path("id")).line;
          if (auto [it, fresh] = ids.emplace(*id, line); !fresh)
            reader_.error(v, m.path("id"),
                          fmt::format("duplicate observation id '{}' (first at line {})", *id, it->second));
          o.id = *id;
        }
      }
      auto p = [&](std::string_view key) { return join_path(path, key); };
      if (auto v = m.require("variable"); v.IsDefined())
        o.variable = reader_.choice(v, p("variable"), observation_variable_names).value_or("");
      if (m.exclusive("node", "nodes")) {
        if (auto v = m.get("node"); v.IsDefined()) o.node = node_ref(v, p("node")).value_or(no_node);
        if (auto v = m.get("nodes"); v.IsDefined() && reader_.expect_sequence(v, p("nodes"))) {
          // The sum over these nodes, e.g. UNHCR's total over the camps.
          if (v.size() == 0)
            reader_.error(v, p("nodes"), "needs at least one node (or leave it out for the whole network)");
          std::set<NodeIndex> seen;
          for (std::size_t k = 0; k < v.size(); ++k) {
            const std::string item = p(fmt::format("nodes[{}]", k));
            if (auto index = node_ref(v[k], item)) {
              if (!seen.insert(*index).second) {
                reader_.error(v[k], item,
                              fmt::format("node '{}' is listed twice", s_.nodes[static_cast<std::size_t>(*index)].id));
              } else {
                o.nodes.push_back(*index);
              }
            }
          }
          if (o.variable == "cumulative_displaced") {
            reader_.error(v, p("nodes"), "cumulative_displaced is a network-wide total; it has no nodes");
          }
        }
      }
      if ((o.variable == "arrivals" || o.variable == "displaced_present") && !m.has("node")) {
        // Without a node these are totals over the whole network, which is allowed.
      }
      if (auto v = m.require("source"); v.IsDefined()) o.source = decode_source(v, p("source"));
      if (auto v = m.require("points"); v.IsDefined() && reader_.expect_sequence(v, p("points"))) {
        for (std::size_t k = 0; k < v.size(); ++k) {
          const std::string ppath = p(fmt::format("points[{}]", k));
          MapReader pm(reader_, v[k], ppath, keys::observation_point);
          if (!pm.valid()) continue;
          ObservationPoint point;
          point.day = when(pm, v[k], "").value_or(-1);
          if (auto value = pm.require("value"); value.IsDefined())
            point.value = reader_.number_in(value, pm.path("value"), 0.0, max_population).value_or(0.0);
          if (auto w = pm.get("weight"); w.IsDefined())
            point.weight = reader_.number_in(w, pm.path("weight"), 0.0, 1.0).value_or(1.0);
          if (auto n = pm.get("note"); n.IsDefined()) point.note = reader_.string(n, pm.path("note")).value_or("");
          if (point.day >= 0) o.points.push_back(point);
        }
      }
      s_.observations.push_back(std::move(o));
    }
  }

  // ---- departures and home country ------------------------------------------------------------------------------
  void decode_departures(const YAML::Node& node) {
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
  void decode_rules(const YAML::Node& node) {
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

  void decode_home_country(const YAML::Node& node) {
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

  // ---- outputs --------------------------------------------------------------------------------------------------
  void decode_outputs(const YAML::Node& node) {
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

  // ---- whole-network checks -------------------------------------------------------------------------------------
  void check_connectivity() {
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
};

// The resolved document of a scenario whose nodes or corridors came from tables: the other sections as they are
// (an events table is already a list), then the network as YAML lists, so that it loads alone into the same
// Scenario.
std::string resolved_with_tables(const YAML::Node& doc, const Scenario& scenario) {
  YAML::Node rest(YAML::NodeType::Map);
  bool nodes_table = false, corridors_table = false;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (key == "nodes" && detail::is_table_section(it->second)) {
      nodes_table = true;
    } else if (key == "corridors" && detail::is_table_section(it->second)) {
      corridors_table = true;
    } else {
      rest[key] = it->second;
    }
  }
  YAML::Emitter emitter;
  emitter << rest;
  std::string out = emitter.c_str();
  out += "\n";
  if (nodes_table) out += detail::nodes_as_yaml(scenario);
  if (corridors_table) out += detail::corridors_as_yaml(scenario);
  return out;
}

}  // namespace

namespace {
void load_root(const std::string& text, const std::string& display_name, const LoadOptions& options, YAML::Node root,
               LoadResult& result, YamlReader& reader);
}  // namespace

LoadResult load_scenario_text(const std::string& text, const std::string& display_name, const LoadOptions& options) {
  if (text.find('\r') != std::string::npos) {
    std::string normalized = text;
    if (detail::normalize_line_endings(normalized)) return load_scenario_text(normalized, display_name, options);
  }
  LoadResult result;
  YamlReader reader(display_name, result.diagnostics);
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    result.diagnostics.error({display_name, 0, 0},
                             fmt::format("not a text file (a NUL byte at offset {}); scenarios are YAML text", nul));
    return result;
  }
  auto parsed = detail::parse_yaml(text, display_name, result.diagnostics, "a scenario");
  if (!parsed) return result;
  load_root(text, display_name, options, *parsed, result, reader);
  return result;
}

namespace {

// Everything after the parse: the variant and edits applied to copies (`root` itself is left as it was), decoded
// and checked into `result`.
void load_root(const std::string& text, const std::string& display_name, const LoadOptions& options, YAML::Node root,
               LoadResult& result, YamlReader& reader) {
  if (!root.IsDefined() || root.IsNull()) {
    // yaml-cpp reads some malformed text (a line starting with ',') as no value at all: name the first line that
    // holds anything but a comment rather than calling the file empty.
    std::size_t line = 0;
    std::size_t first_text_line = 0;
    std::istringstream lines(text);
    for (std::string content; first_text_line == 0 && std::getline(lines, content);) {
      ++line;
      const auto start = content.find_first_not_of(" \t\r");
      if (start != std::string::npos && content[start] != '#' && content.compare(start, 3, "---") != 0) {
        first_text_line = line;
      }
    }
    if (first_text_line == 0) {
      result.diagnostics.error({display_name, 0, 0},
                               "the file is empty; a scenario needs at least 'scenario' and 'nodes'");
    } else {
      result.diagnostics.error({display_name, first_text_line, 1},
                               "no YAML value could be read from here on; this line does not start one (a stray "
                               "',' or ':'?); a scenario is a mapping with 'scenario', 'nodes', ...");
    }
    return;
  }
  if (!root.IsMap()) {
    reader.error(root, "", "a scenario file must be a mapping with 'scenario', 'nodes', ... at the top level");
    return;
  }

  try {
    // An events table becomes the list it stands for before anything edits the tree, so that variants and --set
    // reach its rows; the readers locate problems in it through the cells' key paths (tables.hpp).
    std::vector<std::pair<std::string, SourceLocation>> table_origins;
    std::vector<std::pair<YAML::Node, SourceLocation>> table_cells;
    bool events_from_table = false;
    {
      YAML::Node events_section(YAML::NodeType::Undefined);
      for (auto it = root.begin(); it != root.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == "events") events_section.reset(it->second);
      }
      if (detail::is_table_section(events_section)) {
        events_from_table = true;
        table_origins.emplace_back("events", reader.where(events_section, "events"));
        detail::EventTable events;
        if (auto table = detail::read_table_section(reader, events_section, "events", options.table_directory))
          events = detail::event_table_as_yaml(*table, result.diagnostics);
        table_origins.insert(table_origins.end(), events.origins.begin(), events.origins.end());
        table_cells = std::move(events.cells);
        root["events"] = events.list;
      }
    }
    auto adopt_table_origins = [&](YamlReader& r) {
      for (const auto& [path, where] : table_origins) r.record_edit_origin(path, where);
      for (const auto& [cell, where] : table_cells) r.record_scalar_origin(cell, where);
    };
    adopt_table_origins(reader);

    Scenario scenario;
    // The variants' own problems are listed after the base's, as the file is read: base first.
    Diagnostics variant_shape_diagnostics;
    YamlReader shape_reader(display_name, variant_shape_diagnostics);
    ScenarioDecoder shapes(shape_reader, scenario);
    YAML::Node variants(YAML::NodeType::Undefined);
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "variants") variants.reset(it->second);
    }
    shapes.decode_variant_shapes(variants);

    // Overlay files first, then the located overrides (both after the variant, before --set).
    // A broken overlay stops here (the scenario it would edit is unknown); a broken variant does not: its problems
    // are reported with the base's and every other variant's, all at once.
    std::vector<Override> located_overrides;
    const std::size_t errors_before_overlays = result.diagnostics.error_count();
    for (const auto& overlay : options.set_files) {
      auto edits = load_overlay_file(overlay, result.diagnostics);
      located_overrides.insert(located_overrides.end(), edits.begin(), edits.end());
    }
    if (result.diagnostics.error_count() > errors_before_overlays) {
      result.diagnostics.append(variant_shape_diagnostics);
      return;
    }
    located_overrides.insert(located_overrides.end(), options.overrides.begin(), options.overrides.end());

    std::optional<TreeCopier> copier_storage;  // made on the first edit
    // Each resolution edits copies of what it changes (YAML::Clone would drop the source positions diagnostics need).
    auto resolve = [&](YamlReader& r, const std::string& variant_name, const std::vector<Override>& located,
                       const std::vector<std::string>& overrides,
                       const std::vector<std::string>& records) -> YAML::Node {
      // Without edits the first parse serves as is: a second parse of a 100,000-node file costs seconds and
      // doubles the peak memory.
      if (variant_name.empty() && located.empty() && overrides.empty() && records.empty()) return root;
      // Edits work on copies of the containers they change, sharing the rest with the first parse: a second parse
      // of a large file (and a full copy per variant) cost seconds and doubled the peak memory.
      if (!copier_storage) copier_storage.emplace(root);
      TreeCopier& copier = *copier_storage;
      r.record_edit_origin("", r.where(root, ""));
      YAML::Node doc = copier.detached(root);
      auto detach_section = [&](const char* section) {
        if (!doc[section].IsMap() && !doc[section].IsSequence()) return;
        r.record_edit_origin(section, r.where(doc[section], section));
        doc[section] = copier.detached(doc[section]);
      };
      if (!variant_name.empty()) {
        YAML::Node variant(YAML::NodeType::Undefined);
        for (auto it = variants.begin(); variants.IsMap() && it != variants.end(); ++it) {
          if (it->first.IsScalar() && it->first.Scalar() == variant_name) {
            variant.reset(it->second);  // not =, which merges whole documents' memory
            break;
          }
        }
        if (!variant.IsDefined()) {
          const bool named_in_file = !options.variant_origin.file.empty() && variant_name == options.variant;
          r.diagnostics().error(
              named_in_file ? options.variant_origin
                            : SourceLocation{fmt::format("command line (--variant {})", clip(variant_name)), 0, 0},
              fmt::format("no variant '{}' in {}{}{}", clip(variant_name), display_name,
                          did_you_mean(variant_name, std::span(scenario.variant_names)),
                          scenario.variant_names.empty() ? " (the file defines none)" : ""));
          return {};
        }
        if (!variant.IsMap()) return {};  // its shape is already reported
        const std::string vpath = join_path("variants", variant_name);
        if (auto remove = variant["remove_events"]; remove.IsSequence()) {
          YAML::Node kept(YAML::NodeType::Sequence);
          std::set<std::string> removed;
          for (const auto& id : remove) {
            if (id.IsScalar()) removed.insert(id.Scalar());
          }
          std::set<std::string> found;
          std::vector<std::string> all_ids;
          if (doc["events"].IsSequence()) {
            YAML::Node events = doc["events"];
            // Events without an `id` are named <kind>_<n>; kept ones keep that name, though the count changes.
            const auto ids = item_ids("events", events);
            r.record_edit_origin("events", r.where(events, "events"));
            for (std::size_t k = 0; k < events.size(); ++k) {
              YAML::Node event = events[k];
              if (!ids[k].empty()) all_ids.push_back(ids[k]);
              if (!ids[k].empty() && removed.count(ids[k])) {
                found.insert(ids[k]);
                continue;
              }
              if (!ids[k].empty() && explicit_id(event).empty()) {
                r.record_edit_origin(join_path("events", ids[k]), r.where(event, join_path("events", ids[k])));
                event.reset(copier.detached(event));  // the first parse stays as it was
                event["id"] = ids[k];
              }
              kept.push_back(event);
            }
          }
          for (std::size_t k = 0; k < remove.size(); ++k) {
            const YAML::Node id = remove[k];
            if (id.IsScalar() && !found.count(id.Scalar())) {
              r.error(
                  id, join_path(vpath, fmt::format("remove_events[{}]", k)),
                  fmt::format("no event with id '{}'{}", id.Scalar(), did_you_mean(id.Scalar(), std::span(all_ids))));
            }
          }
          doc["events"] = kept;
        }
        if (auto add = variant["add_events"]; add.IsSequence()) {
          if (!variant["remove_events"].IsSequence()) detach_section("events");
          if (!doc["events"].IsSequence()) doc["events"] = YAML::Node(YAML::NodeType::Sequence);
          for (const auto& event : add) doc["events"].push_back(event);
        }
        if (auto params = variant["parameters"]; params.IsMap()) {
          detach_section("parameters");
          if (!doc["parameters"].IsMap()) doc["parameters"] = YAML::Node(YAML::NodeType::Map);
          for (auto it = params.begin(); it != params.end(); ++it) {
            r.record_edit_origin(join_path("parameters", it->first.Scalar()), r.where(it->first, vpath));
            doc["parameters"][it->first.Scalar()] = it->second;
          }
        }
        if (auto set = variant["set"]; set.IsMap()) {
          for (auto it = set.begin(); it != set.end(); ++it) {
            apply_path_edit(r, copier, doc, it->first.Scalar(), it->second, r.where(it->first, vpath));
          }
        }
      }
      for (const auto& edit : located) {
        auto value = detail::load_yaml_value(edit.value, edit.origin, r.diagnostics(), edit.path);
        if (!value) continue;
        apply_path_edit(r, copier, doc, edit.path, unmarked_copy(*value), edit.origin);
      }
      // --set edits, then --record edits (outputs.<key>), each blamed on what was typed.
      std::vector<std::pair<std::string, std::string>> edits;  // (path=value, how it was given)
      for (const auto& typed : overrides) edits.emplace_back(typed, "--set " + typed);
      for (const auto& typed : records) edits.emplace_back(record_edit(typed), "--record " + typed);
      for (const auto& [override_text, given_as] : edits) {
        const SourceLocation origin{fmt::format("command line ({})", clip(given_as)), 0, 0};
        const auto eq = override_text.find('=');
        if (eq == std::string::npos || eq == 0) {
          r.diagnostics().error(origin, given_as.rfind("--record", 0) == 0
                                            ? "expected --record key=value (keys as under outputs:, e.g. "
                                              "variables=departures,arrivals or interval_days=7)"
                                            : "expected --set path.to.key=value");
          continue;
        }
        auto value = detail::load_yaml_value(override_text.substr(eq + 1), origin, r.diagnostics());
        if (!value) continue;
        apply_path_edit(r, copier, doc, override_text.substr(0, eq), unmarked_copy(*value), origin);
      }
      return doc;
    };

    YAML::Node doc =
        resolve(reader, options.variant, located_overrides, options.set_overrides, options.record_overrides);
    if (doc.IsDefined() && doc.IsMap()) {
      ScenarioDecoder decoder(reader, scenario);
      decoder.set_table_directory(options.table_directory);
      decoder.decode(doc);
      scenario.variant = options.variant;
      if (!options.variant.empty()) {
        const YAML::Node described = doc["variants"][options.variant]["description"];
        if (described.IsDefined() && described.IsScalar()) scenario.variant_description = described.Scalar();
      }
      // The resolved document is the scenario as run: the applied variant is folded in, so the overlays go.
      if (!options.variant.empty()) doc.remove("variants");
      if (events_from_table || decoder.network_from_tables()) {
        // A run file keeps the resolved scenario, and it must load alone: the tables' rows are written as lists.
        if (!result.diagnostics.has_errors()) result.resolved_yaml = resolved_with_tables(doc, scenario);
      } else if (options.variant.empty() && located_overrides.empty() && options.set_overrides.empty() &&
                 options.record_overrides.empty()) {
        result.resolved_yaml = text;  // nothing was edited: the file is the scenario as run (comments and all)
      } else if (options.want_resolved_yaml) {
        YAML::Emitter emitter;
        emitter << doc;
        result.resolved_yaml = emitter.c_str();
      }
    }
    // Every variant is resolved and decoded too (haven check), with the same overlays and --set as the base, as
    // `--variant NAME` would run it; problems that only a variant has say which one.
    std::vector<Diagnostic> found(result.diagnostics.all().begin(), result.diagnostics.all().end());
    found.insert(found.end(), variant_shape_diagnostics.all().begin(), variant_shape_diagnostics.all().end());
    if (options.all_variants && options.variant.empty()) {
      for (const auto& name : std::vector<std::string>(scenario.variant_names)) {
        Scenario scratch;
        Diagnostics own;
        YamlReader variant_reader(display_name, own);
        adopt_table_origins(variant_reader);
        YAML::Node variant_doc =
            resolve(variant_reader, name, located_overrides, options.set_overrides, options.record_overrides);
        if (variant_doc.IsDefined() && variant_doc.IsMap()) {
          ScenarioDecoder decoder(variant_reader, scratch);
          decoder.set_table_directory(options.table_directory);
          decoder.decode(variant_doc);
        }
        for (auto d : own.all()) {
          if (d.message.rfind("variants.", 0) != 0) d.message = fmt::format("in variant '{}': {}", name, d.message);
          found.push_back(std::move(d));
        }
      }
    }
    // The same problem seen from the base and from a variant (or under two key paths, as a variant's parameter
    // is) is reported once: at one place, one message.
    auto problem = [](const Diagnostic& d) {
      std::string_view message = d.message;
      if (message.rfind("in variant '", 0) == 0) message.remove_prefix(message.find("': ") + 3);
      if (const auto colon = message.find(": "); colon != std::string_view::npos) message.remove_prefix(colon + 2);
      return fmt::format("{}:{}:{}:{}:{}", d.location.file, d.location.line, d.location.column,
                         d.severity == Severity::error ? 'E' : 'W', message);
    };
    Diagnostics unique;
    std::set<std::string> seen;
    for (const auto& d : found) {
      if (!seen.insert(problem(d)).second) continue;
      if (d.severity == Severity::error) {
        unique.error(d.location, d.message);
      } else {
        unique.warning(d.location, d.message);
      }
    }
    result.diagnostics = unique;
    if (!result.diagnostics.has_errors()) result.scenario = std::move(scenario);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on a few malformed shapes the checks above do not anticipate; never crash on them.
    result.diagnostics.error({display_name, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1,
                              e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1},
                             "cannot read the YAML: " + e.msg);
  }
}

}  // namespace

LoadResult load_scenario_file(const std::filesystem::path& path, const LoadOptions& options) {
  Diagnostics diagnostics;
  std::string text = detail::read_text_file(path, diagnostics, "a scenario file");
  if (diagnostics.has_errors()) {
    LoadResult result;
    result.diagnostics = diagnostics;
    return result;
  }
  if (!options.table_directory.empty()) return load_scenario_text(text, path.string(), options);
  LoadOptions with_tables = options;
  with_tables.table_directory = path.parent_path();  // tables are named relative to the scenario file
  return load_scenario_text(text, path.string(), with_tables);
}

struct ParsedScenarioText::State {
  std::string text;
  std::string display_name;
  // Only a text without tables for its events, whose parse succeeded, is kept (an events table is turned into a
  // list in the parsed document itself); any other is loaded from its text each time, as load_scenario_text does.
  std::optional<YAML::Node> root;
  Diagnostics parse_diagnostics;  // warnings of the parse, repeated with every load
  std::size_t parses = 0;
  std::size_t loads_since_parse = 0;
};

ParsedScenarioText::ParsedScenarioText(std::string text, std::string display_name) : state_(std::make_unique<State>()) {
  if (std::string normalized = text; text.find('\r') != std::string::npos) {
    if (detail::normalize_line_endings(normalized)) text = std::move(normalized);
  }
  state_->text = std::move(text);
  state_->display_name = std::move(display_name);
}
ParsedScenarioText::~ParsedScenarioText() = default;
ParsedScenarioText::ParsedScenarioText(ParsedScenarioText&&) noexcept = default;
ParsedScenarioText& ParsedScenarioText::operator=(ParsedScenarioText&&) noexcept = default;

std::size_t ParsedScenarioText::parses() const noexcept {
  return state_->parses;
}

const std::string& ParsedScenarioText::text() const noexcept {
  return state_->text;
}

LoadResult ParsedScenarioText::load(const LoadOptions& options) {
  State& s = *state_;
  if (!s.root || s.loads_since_parse >= reparse_after_loads) {
    // A fresh parse: the copies earlier loads made in the old document's memory go with it.
    s.root.reset();
    s.loads_since_parse = 0;
    s.parse_diagnostics = Diagnostics{};
    if (s.text.find('\0') != std::string::npos) return load_scenario_text(s.text, s.display_name, options);
    ++s.parses;
    auto parsed = detail::parse_yaml(s.text, s.display_name, s.parse_diagnostics, "a scenario");
    if (!parsed || !parsed->IsMap()) return load_scenario_text(s.text, s.display_name, options);
    for (auto it = parsed->begin(); it != parsed->end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "events" && detail::is_table_section(it->second)) {
        return load_scenario_text(s.text, s.display_name, options);
      }
    }
    s.root = *parsed;
  }
  ++s.loads_since_parse;
  LoadResult result;
  result.diagnostics = s.parse_diagnostics;
  YamlReader reader(s.display_name, result.diagnostics);
  load_root(s.text, s.display_name, options, *s.root, result, reader);
  return result;
}

Scenario load_scenario_or_throw(const std::filesystem::path& path, const LoadOptions& options) {
  auto result = load_scenario_file(path, options);
  if (!result.scenario) throw InputError(result.diagnostics);
  return std::move(*result.scenario);
}

}  // namespace haven
