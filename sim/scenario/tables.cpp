#include "tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "haven/scenario/keys.hpp"
#include "haven/util/text.hpp"

namespace haven::detail {

namespace {

namespace fs = std::filesystem;

// The loader's limits (scenario_decoder.hpp and decode_network.cpp): all people in all nodes, and a corridor's length.
constexpr double max_population = 1e12;
constexpr double max_length_km = 20000.0;
constexpr auto npos = std::string_view::npos;

bool is_plain_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_identifier(std::string_view id) {
  return is_plain_id(id) && ((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z'));
}

// The columns of one table: which are known, which required, where each is. Unknown columns are reported at the
// header with a hint; a missing required column once, at the header's first cell.
class Columns {
 public:
  Columns(const CsvTable& table, std::string_view section, std::vector<std::string> allowed,
          std::span<const std::string_view> required, std::string_view item, Diagnostics& diagnostics)
      : table_(table), allowed_(std::move(allowed)) {
    std::vector<std::string_view> allowed_views(allowed_.begin(), allowed_.end());
    for (std::size_t k = 0; k < table.column_count(); ++k) {
      const std::string& name = table.header()[k];
      if (name.empty()) continue;  // reported by the CSV reader
      if (std::find(allowed_.begin(), allowed_.end(), name) != allowed_.end()) continue;
      auto meant = closest_match(name, std::span<const std::string_view>(allowed_views));
      if (meant) near_misses_.push_back(*meant);
      diagnostics.error(table.where_header(k),
                        fmt::format("{}: unknown column '{}'{}", section, clip(name),
                                    meant ? fmt::format("; did you mean '{}'?", *meant)
                                          : fmt::format(" (the columns are {})", quoted_list(allowed_views))));
    }
    for (auto name : required) {
      if (find(name) != npos || std::find(near_misses_.begin(), near_misses_.end(), name) != near_misses_.end())
        continue;
      diagnostics.error(table.where_header(0),
                        fmt::format("{}: missing column '{}' (every {} needs one)", section, name, item));
      missing_required_ = true;
    }
  }

  [[nodiscard]] std::size_t find(std::string_view name) const { return table_.find_column(name); }
  [[nodiscard]] bool missing_required() const { return missing_required_; }

 private:
  const CsvTable& table_;
  std::vector<std::string> allowed_;
  std::vector<std::string> near_misses_;
  bool missing_required_ = false;
};

// One row's cells read as the YAML decoder reads values, each problem located at its cell and named by the key path
// the YAML form would have (`nodes.aleppo.lat`). An empty cell is an absent key.
class Row {
 public:
  Row(const CsvTable& table, Diagnostics& diagnostics) : table_(table), diagnostics_(diagnostics) {}

  // `name`: what the row goes by (its id, or a corridor's default id), empty when nothing valid; it must outlive
  // the row. Messages call the row `section.<name>`, or `section[row]` without a name, as the YAML decoder does;
  // the path is only made when a message needs it.
  void start(std::size_t row, std::string_view section, std::string_view name) {
    row_ = row;
    section_ = section;
    name_ = name;
  }
  [[nodiscard]] std::string path() const {
    return name_.empty() ? fmt::format("{}[{}]", section_, row_) : join_path(section_, name_);
  }
  [[nodiscard]] std::string path(std::size_t column) const { return join_path(path(), table_.header()[column]); }
  [[nodiscard]] bool has(std::size_t column) const { return column != npos && !table_.cell(row_, column).empty(); }
  [[nodiscard]] std::string_view text(std::size_t column) const { return table_.cell(row_, column); }
  [[nodiscard]] std::size_t line(std::size_t column) const { return table_.line(row_, column); }
  [[nodiscard]] SourceLocation where(std::size_t column) const { return table_.where(row_, column); }
  [[nodiscard]] SourceLocation where_row() const { return table_.where_row(row_); }

  void error(std::size_t column, const std::string& message) {
    diagnostics_.error(where(column), fmt::format("{}: {}", path(column), message));
  }

  // A required column's cell; reports an empty one.
  bool require(std::size_t column) {
    if (column == npos) return false;  // the missing column is reported once, at the header
    if (has(column)) return true;
    error(column, fmt::format("empty, but every row needs a '{}'", table_.header()[column]));
    return false;
  }

  std::optional<double> number(std::size_t column) {
    const std::string_view cell = text(column);
    auto value = parse_number(cell);
    if (!value) {
      error(column, fmt::format("expected a number, got '{}'{}", clip(cell), number_text_hint(cell)));
    }
    return value;
  }

  std::optional<double> number_in(std::size_t column, double minimum, double maximum) {
    auto value = number(column);
    if (value && (*value < minimum || *value > maximum)) {
      error(column, out_of_range(minimum, maximum, *value, fmt::format("{}", *value)));
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::int64_t> whole_number(std::size_t column, std::int64_t minimum, std::int64_t maximum) {
    auto value = number(column);
    if (!value) return std::nullopt;
    if (*value != std::floor(*value)) {
      error(column, fmt::format("expected a whole number, got '{}'", clip(text(column))));
      return std::nullopt;
    }
    constexpr double exact_limit = 9007199254740992.0;  // 2^53
    const double low = std::max(static_cast<double>(minimum), -exact_limit);
    const double high = std::min(static_cast<double>(maximum), exact_limit);
    if (*value < low || *value > high) {
      error(column, out_of_range(low, high, *value, clip(text(column))));
      return std::nullopt;
    }
    return static_cast<std::int64_t>(*value);
  }

  // true or false, in any case: spreadsheets write TRUE and FALSE.
  std::optional<bool> boolean(std::size_t column) {
    std::string lower;
    for (char c : text(column)) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == "true") return true;
    if (lower == "false") return false;
    error(column, fmt::format("expected true or false, got '{}'", clip(text(column))));
    return std::nullopt;
  }

  std::optional<std::string> identifier(std::size_t column) {
    const std::string_view cell = text(column);
    if (is_identifier(cell)) return std::string(cell);
    error(column,
          fmt::format("'{}' is not a valid id: use a letter then letters, digits or '_' (at most 64)", clip(cell)));
    return std::nullopt;
  }

  std::optional<std::size_t> choice(std::size_t column, std::span<const std::string_view> allowed) {
    const std::string_view cell = text(column);
    for (std::size_t k = 0; k < allowed.size(); ++k) {
      if (allowed[k] == cell) return k;
    }
    error(column, fmt::format("unknown value '{}' (expected {}){}", clip(cell), quoted_list(allowed),
                              did_you_mean(cell, allowed)));
    return std::nullopt;
  }

 private:
  const CsvTable& table_;
  Diagnostics& diagnostics_;
  std::size_t row_ = 0;
  std::string_view section_;
  std::string_view name_;
};

// What a row goes by in messages: its id cell when that holds a valid-looking id.
std::string_view row_name(const CsvTable& table, std::size_t id_column, std::size_t row) {
  if (id_column != npos && is_plain_id(table.cell(row, id_column))) return table.cell(row, id_column);
  return {};
}

// A total split by the groups' shares, largest remainder first, exactly as the YAML decoder splits it.
std::vector<std::int64_t> split_by_shares(std::int64_t total, std::span<const Group> groups) {
  std::vector<std::int64_t> by_group(groups.size(), 0);
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t assigned = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double exact = static_cast<double>(total) * groups[g].share;
    by_group[g] = static_cast<std::int64_t>(std::floor(exact));
    assigned += by_group[g];
    remainders.emplace_back(exact - std::floor(exact), g);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; assigned < total && !remainders.empty(); k = (k + 1) % remainders.size(), ++assigned) {
    ++by_group[remainders[k].second];
  }
  return by_group;
}

// Text double-quoted as YAML text. (Numbers go as fmt's {} writes a double: the shortest text that reads back to it.)
std::string yaml_text(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

bool is_table_section(const YAML::Node& section) {
  if (!section.IsDefined() || !section.IsMap()) return false;
  static constexpr std::array<std::string_view, 1> table_keys = {"csv"};
  for (auto it = section.begin(); it != section.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    std::string lower;
    for (char c : it->first.Scalar()) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == "csv" || closest_match(lower, std::span<const std::string_view>(table_keys))) return true;
  }
  return false;
}

std::optional<CsvTable> read_table_section(YamlReader& reader, const YAML::Node& section, std::string_view name,
                                           const std::filesystem::path& directory) {
  static constexpr std::array<std::string_view, 1> table_keys = {"csv"};
  MapReader m(reader, section, std::string(name), table_keys,
              " (a table is given as {csv: file.csv}, relative to the scenario file; or write a list)");
  if (!m.valid()) return std::nullopt;
  const YAML::Node file = m.require("csv");
  if (!file.IsDefined()) return std::nullopt;
  const auto written = reader.string(file, m.path("csv"));
  if (!written) return std::nullopt;
  if (written->empty()) {
    reader.error(file, m.path("csv"), "names no file");
    return std::nullopt;
  }
  fs::path path(*written);
  if (path.is_relative() && !directory.empty()) path = directory / path;
  const std::string shown = path.lexically_normal().string();
  reader.note_table_file(path);
  Diagnostics own;
  const std::string text = read_text_file(path, own, "a CSV table");
  if (own.has_errors()) {
    for (const auto& d : own.all()) reader.error(file, m.path("csv"), fmt::format("{}: {}", shown, d.message));
    return std::nullopt;
  }
  auto table = parse_csv(text, shown, reader.diagnostics());
  if (table.column_count() == 0) return std::nullopt;  // unreadable (not UTF-8, empty): already reported
  // Written with ';' or tabs between the columns (parse_csv said so): its one column and every reference to its rows
  // would be errors of that one mistake.
  if (table.column_count() == 1 && table.header()[0].find_first_of(";\t") != std::string::npos) return std::nullopt;
  return table;
}

NodeTable decode_node_table(const CsvTable& table, std::span<const Group> groups,
                            std::span<const std::string> group_ids, double& people_total, bool& total_reported,
                            Diagnostics& diagnostics) {
  NodeTable result;
  std::vector<std::string> allowed(keys::node.begin(), keys::node.end());
  for (const auto& id : group_ids) {
    if (id.empty()) continue;
    allowed.push_back("population." + id);
    allowed.push_back("displaced." + id);
  }
  static constexpr std::array<std::string_view, 4> required = {"id", "kind", "lat", "lon"};
  const Columns columns(table, "nodes", allowed, required, "node", diagnostics);
  if (columns.missing_required()) result.incomplete = true;
  const auto col = [&](std::string_view name) { return columns.find(name); };
  const std::size_t id_col = col("id"), name_col = col("name"), kind_col = col("kind"), lat_col = col("lat"),
                    lon_col = col("lon"), population_col = col("population"), displaced_col = col("displaced"),
                    capacity_col = col("capacity"), closed_col = col("closed");
  const std::array<std::pair<std::size_t, std::string Node::*>, 6> text_columns = {
      std::pair{col("admin_area"), &Node::admin_area}, std::pair{col("country"), &Node::country},
      std::pair{col("pcode"), &Node::pcode},           std::pair{col("admin1"), &Node::admin1},
      std::pair{col("admin2"), &Node::admin2},         std::pair{col("control"), &Node::control}};
  std::vector<std::size_t> population_cols, displaced_cols;  // by group; npos for a group without its column
  for (const auto& id : group_ids) {
    population_cols.push_back(id.empty() ? npos : col("population." + id));
    displaced_cols.push_back(id.empty() ? npos : col("displaced." + id));
  }

  auto& lines = result.ids;
  lines.reserve(table.row_count());
  Row row(table, diagnostics);
  result.nodes.reserve(table.row_count());
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    row.start(r, "nodes", row_name(table, id_col, r));
    Node n;
    if (row.require(id_col)) {
      if (auto id = row.identifier(id_col)) {
        n.id = *id;
        if (auto [it, fresh] = lines.emplace(*id, IdEntry{r, row.line(id_col)}); !fresh) {
          row.error(id_col, fmt::format("duplicate node id '{}' ({})", *id, first_given(it->second.line)));
          result.incomplete = true;
        }
      } else {
        result.rejected_ids.emplace_back(row.text(id_col));
        result.incomplete = true;
      }
    } else {
      result.incomplete = true;
    }
    n.name = row.has(name_col) ? std::string(row.text(name_col)) : n.id;
    bool kind_read = false;
    if (row.require(kind_col)) {
      if (auto kind = row.choice(kind_col, node_kind_names)) {
        n.kind = static_cast<NodeKind>(*kind);
        kind_read = true;
      }
    }
    if (!kind_read) result.unknown_kinds.push_back(r);
    if (row.require(lat_col)) n.lat_deg = row.number_in(lat_col, -90.0, 90.0).value_or(0.0);
    if (row.require(lon_col)) n.lon_deg = row.number_in(lon_col, -180.0, 180.0).value_or(0.0);
    // People: a total split by the groups' shares, or one column per group.
    auto people_of = [&](std::size_t total_col, const std::vector<std::size_t>& group_cols, std::string_view what) {
      std::vector<std::int64_t> by_group(groups.size(), 0);
      const bool per_group = std::any_of(group_cols.begin(), group_cols.end(), [&](auto c) { return row.has(c); });
      if (row.has(total_col) && per_group) {
        row.error(total_col, fmt::format("give either '{}' or the '{}.<group>' columns, not both", what, what));
        return by_group;
      }
      if (row.has(total_col)) {
        if (auto total = row.whole_number(total_col, 0, static_cast<std::int64_t>(max_population)))
          by_group = split_by_shares(*total, groups);
        return by_group;
      }
      if (!per_group) return by_group;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        if (group_ids[g].empty()) continue;
        if (row.has(group_cols[g])) {
          by_group[g] = row.whole_number(group_cols[g], 0, static_cast<std::int64_t>(max_population)).value_or(0);
        } else {
          diagnostics.error(row.where_row(), fmt::format("{}.{}: missing group '{}' (give every group's column a "
                                                         "value, or fill '{}' with the total)",
                                                         row.path(), what, group_ids[g], what));
        }
      }
      return by_group;
    };
    n.residents_by_group = people_of(population_col, population_cols, "population");
    n.displaced_by_group = people_of(displaced_col, displaced_cols, "displaced");
    const bool has_capacity = row.has(capacity_col);
    if (has_capacity) {
      // `unlimited`, as in the YAML form: the node hosts anyone, whatever its residents.
      const std::string_view text = row.text(capacity_col);
      if (text == "unlimited") {
        n.capacity_people = std::numeric_limits<double>::infinity();
      } else if (std::isalpha(static_cast<unsigned char>(text.front()))) {
        row.error(capacity_col, detail::capacity_word_message(text));
      } else {
        n.capacity_people = row.number_in(capacity_col, 0.0, max_population);
      }
    }
    for (const auto& [column, field] : text_columns) {
      if (row.has(column)) n.*field = std::string(row.text(column));
    }
    if (row.has(closed_col)) {
      n.closed = row.boolean(closed_col).value_or(false);
      if (kind_read && n.kind != NodeKind::border_crossing) {
        row.error(closed_col, "only border_crossing nodes can be closed (close corridors instead)");
      }
    }
    // As the YAML decoder: the loader's limit on all people, and the warnings about shelter.
    double people = 0.0;
    for (auto c : n.residents_by_group) people += static_cast<double>(c);
    for (auto c : n.displaced_by_group) people += static_cast<double>(c);
    people_total += people;
    if (people_total > max_population && !total_reported) {
      total_reported = true;
      const std::size_t where = row.has(population_col) || displaced_col == npos ? population_col : displaced_col;
      diagnostics.error(where == npos ? row.where_row() : row.where(where),
                        fmt::format("{}: the people in all nodes up to this one add up to {:.0f}, more than the "
                                    "{:.0f} Haven can count (expected mode counts millionths of a person in 64 bits)",
                                    row.path(), people_total, max_population));
    }
    const bool shelters = n.kind == NodeKind::town || n.kind == NodeKind::city || n.kind == NodeKind::camp;
    if (shelters && diagnostics.error_count() == 0 && !has_capacity && people == 0.0) {
      diagnostics.warning(row.where_row(),
                          fmt::format("{}: {} with no population and no 'capacity' can shelter nobody; give it a "
                                      "capacity",
                                      row.path(), to_string(n.kind)));
    } else if (n.kind == NodeKind::border_crossing && !has_capacity) {
      // As in the YAML form (decode_network.cpp): a crossing without a capacity hosts without limit, nobody
      // unsheltered.
      diagnostics.warning(row.where_row(),
                          fmt::format("{}: border_crossing without 'capacity' can host people without limit (none of "
                                      "them counted as unsheltered); give it a capacity",
                                      row.path()));
    } else if (n.kind == NodeKind::camp && !has_capacity) {
      diagnostics.warning(row.where_row(),
                          fmt::format("{}: camp without 'capacity': its capacity defaults to a multiple of its "
                                      "population",
                                      row.path()));
    }
    result.rows.push_back(row.where_row());
    result.nodes.push_back(std::move(n));
  }
  return result;
}

CorridorTable decode_corridor_table(const CsvTable& table, std::span<const Node> nodes, const NodeResolver& node_ref,
                                    Diagnostics& diagnostics) {
  CorridorTable result;
  static constexpr std::array<std::string_view, 4> required = {"from", "to", "length_km", "kind"};
  const Columns columns(table, "corridors", std::vector<std::string>(keys::corridor.begin(), keys::corridor.end()),
                        required, "corridor", diagnostics);
  if (columns.missing_required()) result.incomplete = true;
  const auto col = [&](std::string_view name) { return columns.find(name); };
  const std::size_t id_col = col("id"), from_col = col("from"), to_col = col("to"), length_col = col("length_km"),
                    kind_col = col("kind"), speed_col = col("speed_km_per_day"),
                    capacity_col = col("capacity_people_per_day"), bidirectional_col = col("bidirectional"),
                    closed_col = col("closed"), redirection_col = col("forced_redirection");
  auto& lines = result.ids;
  lines.reserve(table.row_count());
  std::string default_id;
  Row row(table, diagnostics);
  result.corridors.reserve(table.row_count());
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    // Named by its id; without one, by its default id <from>-<to> (unless another corridor already is).
    std::string_view name = row_name(table, id_col, r);
    const bool has_id = id_col != npos && !table.cell(r, id_col).empty();
    // The default id is entered at once when it is free (one look in the index instead of two): taken back below
    // if the ends turn out not to name two nodes, and a duplicate is reported below, as for an explicit id.
    bool default_id_entered = false;
    if (!has_id && from_col != npos && to_col != npos && is_plain_id(table.cell(r, from_col)) &&
        is_plain_id(table.cell(r, to_col))) {
      default_id.assign(table.cell(r, from_col));
      default_id += '-';
      default_id += table.cell(r, to_col);
      if (lines.try_emplace(default_id, IdEntry{r, table.row_line(r)}).second) {
        name = default_id;
        default_id_entered = true;
      }
    }
    row.start(r, "corridors", name);
    Corridor c;
    std::optional<NodeIndex> from_index, to_index;
    auto end_of = [&](std::size_t column) -> std::optional<NodeIndex> {
      NodeLookup found = node_ref(row.text(column));
      if (!found.index && !found.problem.empty()) row.error(column, found.problem);
      return found.index;
    };
    if (row.require(from_col)) from_index = end_of(from_col);
    if (row.require(to_col)) to_index = end_of(to_col);
    bool ends_ok = false;
    if (from_index && to_index) {
      c.from = *from_index;
      c.to = *to_index;
      ends_ok = true;
      if (c.from == c.to) {
        row.error(to_col, fmt::format("corridor from '{}' to itself", nodes[static_cast<std::size_t>(c.from)].id));
        ends_ok = false;
      }
    }
    if (!ends_ok) result.incomplete = true;
    if (!ends_ok && default_id_entered) {
      lines.erase(default_id);  // no corridor goes by it
      default_id_entered = false;
    }
    std::optional<std::string> explicit_id;
    if (has_id) {
      explicit_id = row.identifier(id_col);
      if (!explicit_id) result.rejected_ids.emplace_back(row.text(id_col));
    } else if (!ends_ok && row.has(from_col) && row.has(to_col)) {
      // The default id of a corridor whose ends are already reported.
      result.rejected_ids.push_back(fmt::format("{}-{}", row.text(from_col), row.text(to_col)));
    }
    if (explicit_id) {
      c.id = *explicit_id;
    } else if (default_id_entered) {
      c.id = default_id;  // the ends' ids as written, which are the nodes' ids (ends_ok)
    } else if (ends_ok) {
      c.id = nodes[static_cast<std::size_t>(c.from)].id + "-" + nodes[static_cast<std::size_t>(c.to)].id;
    }
    const std::size_t line = has_id ? row.line(id_col) : table.row_line(r);
    if (!c.id.empty() && !default_id_entered) {
      if (auto [it, fresh] = lines.emplace(c.id, IdEntry{r, line}); !fresh) {
        const std::string message = fmt::format("duplicate corridor '{}' ({}){}", c.id, first_given(it->second.line),
                                                explicit_id ? "" : "; give one of them an 'id'");
        if (has_id) {
          row.error(id_col, message);
        } else {
          diagnostics.error(row.where_row(), fmt::format("{}: {}", row.path(), message));
        }
      }
    }
    if (row.require(length_col)) {
      auto length = row.number(length_col);
      if (length && *length <= 0.0) {
        row.error(length_col, fmt::format("must be greater than 0, got {:g}", *length));
      } else if (length && *length > max_length_km) {
        row.error(length_col, fmt::format("must be at most 20000 km, got {:g}", *length));
      } else if (length) {
        c.length_km = *length;
      }
    }
    if (row.require(kind_col)) {
      if (auto kind = row.choice(kind_col, corridor_kind_names)) c.kind = static_cast<CorridorKind>(*kind);
    }
    if (row.has(speed_col)) c.speed_km_per_day = row.number_in(speed_col, 0.1, 2000.0);
    if (row.has(capacity_col)) c.capacity_people_per_day = row.number_in(capacity_col, 1.0, max_population);
    if (row.has(bidirectional_col)) c.bidirectional = row.boolean(bidirectional_col).value_or(true);
    if (row.has(closed_col)) c.closed = row.boolean(closed_col).value_or(false);
    if (row.has(redirection_col)) c.forced_redirection = row.boolean(redirection_col).value_or(false);
    result.corridors.push_back(std::move(c));
  }
  return result;
}

EventTable event_table_as_yaml(CsvTable read, Diagnostics& diagnostics) {
  EventTable result;
  result.origins = std::make_shared<TableOrigins>(std::move(read));
  TableOrigins& origins = *result.origins;
  const CsvTable& table = origins.table();
  const Columns columns(table, "events", std::vector<std::string>(keys::event_all.begin(), keys::event_all.end()),
                        std::array<std::string_view, 1>{"kind"}, "event", diagnostics);
  const std::size_t id_col = columns.find("id"), kind_col = columns.find("kind");
  // Each event becomes a YAML list item, several KB of memory: bounded far below the tables' own row limit (which
  // the columnar nodes and corridors can take), so that a table does not run the machine out of memory.
  if (table.row_count() > max_event_table_rows) {
    diagnostics.error(table.where_row(max_event_table_rows),
                      fmt::format("events: more than {} rows, the most an events table may have (each event is read "
                                  "as a list item, ~7 KB of memory); split the scenario's period or area",
                                  max_event_table_rows));
    return result;
  }
  std::map<std::string, int, std::less<>> per_kind;
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    YAML::Node item(YAML::NodeType::Map);
    for (std::size_t k = 0; k < table.column_count(); ++k) {
      const std::string& name = table.header()[k];
      if (table.cell(r, k).empty() || columns.find(name) != k) continue;
      if (std::find(keys::event_all.begin(), keys::event_all.end(), name) == keys::event_all.end()) continue;
      // Inserted without a look for the key (each column once, above): yaml-cpp compares keys as text it decodes.
      // The value is the very node the list holds, found by its text's address (table_origins.hpp).
      if (name == "countries") {
        // A country closure's two countries in one cell, "A;B" (a cell holds no list).
        YAML::Node countries(YAML::NodeType::Sequence);
        const std::string_view cell = table.cell(r, k);
        for (std::size_t from = 0;;) {
          const auto to = cell.find(';', from);
          std::string_view part = cell.substr(from, to == std::string_view::npos ? std::string_view::npos : to - from);
          while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
          while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
          YAML::Node country{std::string(part)};
          countries.push_back(country);
          origins.add_cell(countries[countries.size() - 1], r, k);
          if (to == std::string_view::npos) break;
          from = to + 1;
        }
        item.force_insert(name, countries);
        continue;
      }
      YAML::Node value(std::string(table.cell(r, k)));
      item.force_insert(name, value);
      origins.add_cell(value, r, k);
    }
    // Every name the decoder may give this event: its index, its id, or <kind>_<n> (n counting that kind's events).
    origins.name_row(fmt::format("events[{}]", r), r);
    const std::string_view id = id_col == npos ? std::string_view() : table.cell(r, id_col);
    const std::string_view kind = kind_col == npos ? std::string_view() : table.cell(r, kind_col);
    if (!id.empty()) origins.name_row(join_path("events", id), r);
    if (std::find(event_kind_names.begin(), event_kind_names.end(), kind) != event_kind_names.end()) {
      const int n = ++per_kind[std::string(kind)];
      if (id.empty()) origins.name_row(join_path("events", fmt::format("{}_{}", kind, n)), r);
    }
    result.list.push_back(item);
  }
  return result;
}

// Written straight into `out` (reserved for the whole list): the big networks' lists run to tens of megabytes, and
// a string per row and value, appended and copied as it grew, was most of their cost.
void append_nodes_as_yaml(const Scenario& scenario, std::string& out) {
  out.reserve(out.size() + 16 + scenario.nodes.size() * 128);
  out += "nodes:\n";
  auto inserter = std::back_inserter(out);
  auto people = [&](const std::vector<std::int64_t>& by_group) {
    out += '{';
    for (std::size_t g = 0; g < by_group.size() && g < scenario.groups.size(); ++g) {
      fmt::format_to(inserter, "{}{}: {}", g == 0 ? "" : ", ", scenario.groups[g].id, by_group[g]);
    }
    out += '}';
  };
  for (const auto& n : scenario.nodes) {
    // {} writes a double as the shortest text that reads back to it.
    fmt::format_to(inserter, "  - {{id: {}, kind: {}, lat: {}, lon: {}, population: ", n.id, to_string(n.kind),
                   n.lat_deg, n.lon_deg);
    people(n.residents_by_group);
    if (n.name != n.id) out += ", name: " + yaml_text(n.name);
    if (std::any_of(n.displaced_by_group.begin(), n.displaced_by_group.end(), [](auto c) { return c != 0; })) {
      out += ", displaced: ";
      people(n.displaced_by_group);
    }
    if (n.capacity_people) {
      out += ", capacity: ";
      if (std::isinf(*n.capacity_people)) {
        out += "unlimited";
      } else {
        fmt::format_to(inserter, "{}", *n.capacity_people);
      }
    }
    for (const auto& [key, value] :
         {std::pair{"admin_area", &n.admin_area}, std::pair{"country", &n.country}, std::pair{"pcode", &n.pcode},
          std::pair{"admin1", &n.admin1}, std::pair{"admin2", &n.admin2}, std::pair{"control", &n.control}}) {
      if (!value->empty()) fmt::format_to(inserter, ", {}: {}", key, yaml_text(*value));
    }
    if (n.closed) out += ", closed: true";
    out += "}\n";
  }
}

void append_corridors_as_yaml(const Scenario& scenario, std::string& out) {
  if (scenario.corridors.empty()) {
    out += "corridors: []\n";
    return;
  }
  out.reserve(out.size() + 16 + scenario.corridors.size() * 64);
  out += "corridors:\n";
  auto inserter = std::back_inserter(out);
  for (const auto& c : scenario.corridors) {
    const std::string& from = scenario.nodes[static_cast<std::size_t>(c.from)].id;
    const std::string& to = scenario.nodes[static_cast<std::size_t>(c.to)].id;
    fmt::format_to(inserter, "  - {{from: {}, to: {}, length_km: {}, kind: {}", from, to, c.length_km,
                   to_string(c.kind));
    // The default id <from>-<to> goes without saying.
    const std::string_view id = c.id;
    const bool default_id =
        id.size() == from.size() + 1 + to.size() && id.starts_with(from) && id[from.size()] == '-' && id.ends_with(to);
    if (!default_id) fmt::format_to(inserter, ", id: {}", c.id);
    if (c.speed_km_per_day) fmt::format_to(inserter, ", speed_km_per_day: {}", *c.speed_km_per_day);
    if (c.capacity_people_per_day)
      fmt::format_to(inserter, ", capacity_people_per_day: {}", *c.capacity_people_per_day);
    if (!c.bidirectional) out += ", bidirectional: false";
    if (c.closed) out += ", closed: true";
    if (c.forced_redirection) out += ", forced_redirection: true";
    out += "}\n";
  }
}

}  // namespace haven::detail
