#include "table_origins.hpp"

namespace haven::detail {

void TableOrigins::add_cell(YAML::Node value, std::size_t row, std::size_t column) {
  cells_[&value.Scalar()] = Cell{row, column};
  values_.push_back(std::move(value));
}

std::optional<SourceLocation> TableOrigins::find(std::string_view path) const {
  if (rows_by_name_.empty()) return std::nullopt;
  if (auto it = rows_by_name_.find(std::string(path)); it != rows_by_name_.end()) return table_.where_row(it->second);
  // `<name>.<column>`, as join_path() writes it.
  for (std::size_t k = 0; k < table_.column_count(); ++k) {
    const std::string& column = table_.header()[k];
    const bool bracketed = !column.empty() && column.front() == '[';
    const std::size_t suffix = column.size() + (bracketed ? 0 : 1);
    if (path.size() <= suffix || !path.ends_with(column) || (!bracketed && path[path.size() - suffix] != '.')) continue;
    if (auto it = rows_by_name_.find(std::string(path.substr(0, path.size() - suffix))); it != rows_by_name_.end()) {
      return table_.where(it->second, k);
    }
  }
  return std::nullopt;
}

std::optional<SourceLocation> TableOrigins::find_scalar(const YAML::Node& scalar) const {
  if (cells_.empty() || !scalar.IsScalar()) return std::nullopt;
  if (auto it = cells_.find(&scalar.Scalar()); it != cells_.end())
    return table_.where(it->second.row, it->second.column);
  return std::nullopt;
}

}  // namespace haven::detail
