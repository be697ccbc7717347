#pragma once
// Internal: where the rows and cells of an events table were written, for the YAML list the table stands for
// (tables.hpp). The decoder names an event's keys by paths (`events[3].day`, `events.shell_1.day`,
// `events.bombardment_2.day`); a path is located here when asked, from the table itself, instead of a location
// recorded beforehand for every name and column of every row (a large table has hundreds of thousands of them).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "haven/util/csv.hpp"
#include "haven/util/diagnostics.hpp"
#include "yaml.hpp"

namespace haven::detail {

class TableOrigins {
 public:
  explicit TableOrigins(CsvTable table) : table_(std::move(table)) {}
  [[nodiscard]] const CsvTable& table() const noexcept { return table_; }

  // `name` (a path such as `events.shell_1`) is row `row`; a later row given the same name takes it over.
  void name_row(std::string name, std::size_t row) { rows_by_name_[std::move(name)] = row; }
  // `value` is the scalar made from cell (row, column); it is kept alive here, so its text's address stays its own.
  void add_cell(YAML::Node value, std::size_t row, std::size_t column);

  // Where `path` was written: a row's name is its row, `<name>.<column>` its cell.
  [[nodiscard]] std::optional<SourceLocation> find(std::string_view path) const;
  // Where the cell `scalar` was made from was written, if it was made from one.
  [[nodiscard]] std::optional<SourceLocation> find_scalar(const YAML::Node& scalar) const;

 private:
  struct Cell {
    std::size_t row;
    std::size_t column;
  };
  CsvTable table_;
  std::unordered_map<std::string, std::size_t> rows_by_name_;
  std::vector<YAML::Node> values_;
  std::unordered_map<const std::string*, Cell> cells_;  // by the address of the value's text
};

}  // namespace haven::detail
