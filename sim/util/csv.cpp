#include "haven/util/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "haven/util/text.hpp"

namespace haven {

namespace {

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

struct Cell {
  std::string text;
  std::uint32_t line;
  std::uint32_t column;
  bool quoted;
};

}  // namespace

SourceLocation CsvTable::where(std::size_t row, std::size_t column) const {
  const std::size_t k = row * header_.size() + column;
  return {file_, static_cast<std::size_t>(row_lines_[row]) + cell_line_add_[k], cell_columns_[k]};
}

SourceLocation CsvTable::where_row(std::size_t row) const {
  return {file_, row_lines_[row], 1};
}

SourceLocation CsvTable::where_header(std::size_t column) const {
  return {file_, header_line_, column < header_columns_.size() ? header_columns_[column] : 1};
}

std::size_t CsvTable::find_column(std::string_view name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  return it == header_.end() ? std::string_view::npos : static_cast<std::size_t>(it - header_.begin());
}

CsvTable parse_csv(std::string_view text, const std::string& file, Diagnostics& diagnostics, const CsvLimits& limits) {
  CsvTable table;
  table.file_ = file;
  table.text_.reserve(text.size());
  // Excel's "CSV UTF-8" starts with a byte-order mark; editors do not show it, so columns count from after it.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    const auto [line, column] = position_of(text, nul);
    diagnostics.error({file, line, column}, "not a text file (a NUL byte here); tables are CSV text");
    return table;
  }
  if (!check_utf8(text, file, "save the table as UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)')", diagnostics)) {
    return table;
  }

  std::size_t problems = 0;
  std::optional<SourceLocation> first_unlisted;
  auto problem = [&](std::size_t line, std::size_t column, std::string message) {
    if (++problems <= limits.max_messages) {
      diagnostics.error({file, line, column}, std::move(message));
    } else if (!first_unlisted) {
      first_unlisted = SourceLocation{file, line, column};
    }
  };

  const char* p = text.data();
  const char* const end = p + text.size();
  std::size_t line = 1;
  const char* line_start = p;
  // Columns are counted on from the last one asked for, so a long line costs its length once.
  const char* counted_to = p;
  std::size_t counted_column = 1;
  auto column_of = [&](const char* at) {
    if (counted_to < line_start || counted_to > at) {
      counted_to = line_start;
      counted_column = 1;
    }
    for (; counted_to < at; ++counted_to)
      counted_column += is_continuation(static_cast<unsigned char>(*counted_to)) ? 0u : 1u;
    return counted_column;
  };
  bool header_read = false;
  std::vector<Cell> row;
  bool stopped = false;
  while (p < end && !stopped) {
    row.clear();
    std::size_t cell_count = 0;  // may exceed row.size(): cells past the most a row may have are only counted
    const std::size_t row_line = line;
    bool row_ok = true;
    // One row: cells separated by ',' up to a line end outside quotes.
    while (true) {
      while (p < end && (*p == ' ' || *p == '\t')) ++p;
      Cell cell{{}, static_cast<std::uint32_t>(line), static_cast<std::uint32_t>(column_of(p)), false};
      if (p < end && *p == '"') {
        cell.quoted = true;
        const std::size_t open_line = line, open_column = cell.column;
        ++p;
        bool closed = false;
        while (p < end) {
          const char* quote = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
          const char* stop = quote == nullptr ? end : quote;
          for (const char* c = p; c < stop; ++c) {
            if (*c == '\n') {
              ++line;
              line_start = c + 1;
            }
          }
          cell.text.append(p, stop);
          p = stop;
          if (quote == nullptr) break;
          if (quote + 1 < end && quote[1] == '"') {
            cell.text.push_back('"');
            p = quote + 2;
            continue;
          }
          p = quote + 1;
          closed = true;
          break;
        }
        if (!closed) {
          problem(open_line, open_column,
                  "this quote is never closed: the rest of the file is inside it (a '\"' is missing)");
          stopped = true;
          row_ok = false;
          break;
        }
        while (p < end && (*p == ' ' || *p == '\t')) ++p;
        if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
          problem(line, column_of(p),
                  "text after a quoted cell's closing quote; quote the whole cell and double each '\"' inside it");
          row_ok = false;
          while (p < end && *p != ',' && *p != '\n' && *p != '\r') ++p;
        }
      } else {
        const char* begin = p;
        while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
          if (*p == '"' && row_ok) {
            problem(line, column_of(p),
                    "a '\"' inside an unquoted cell; quote the whole cell (\"...\") and double each '\"' inside it");
            row_ok = false;
          }
          ++p;
        }
        const char* last = p;
        while (last > begin && (last[-1] == ' ' || last[-1] == '\t')) --last;
        cell.text.assign(begin, last);
      }
      if (++cell_count <= limits.max_columns + 1) row.push_back(std::move(cell));
      if (p < end && *p == ',') {
        ++p;
        continue;
      }
      // A line end (CR LF, LF or a lone CR) or the end of the text ends the row.
      if (p < end && *p == '\r') ++p;
      if (p < end && *p == '\n') ++p;
      ++line;
      line_start = p;
      break;
    }
    if (stopped) break;
    const bool blank = std::all_of(row.begin(), row.end(), [](const Cell& c) { return !c.quoted && c.text.empty(); });
    if (blank) continue;
    if (!header_read) {
      header_read = true;
      table.header_line_ = row_line;
      if (cell_count > limits.max_columns) {
        problem(row_line, 1,
                fmt::format("{} columns, more than the {} a table may have", cell_count, limits.max_columns));
        stopped = true;
        break;
      }
      for (std::size_t k = 0; k < row.size(); ++k) {
        const Cell& name = row[k];
        if (name.text.empty()) {
          problem(name.line, name.column,
                  fmt::format("column {} has no name; the first line names the columns", k + 1));
        } else if (std::find(table.header_.begin(), table.header_.end(), name.text) != table.header_.end()) {
          problem(name.line, name.column, fmt::format("column '{}' is named twice", clip(name.text)));
        }
        table.header_.push_back(name.text);
        table.header_columns_.push_back(name.column);
      }
      // A header of one column holding ';' is a table written with semicolons (a spreadsheet in a locale whose
      // decimal mark is the comma).
      if (row.size() == 1 && row[0].text.find(';') != std::string::npos) {
        problem(row_line, 1,
                "the columns are separated by ';': Haven reads comma-separated tables (save as 'CSV UTF-8 (Comma "
                "delimited)', with '.' as the decimal mark)");
        stopped = true;
      } else if (row.size() == 1 && row[0].text.find('\t') != std::string::npos) {
        // Tabs: a table copied out of a spreadsheet, or saved as "Text (Tab delimited)".
        problem(row_line, 1,
                "the columns are separated by tabs: Haven reads comma-separated tables (save as 'CSV UTF-8 (Comma "
                "delimited)')");
        stopped = true;
      }
      continue;
    }
    if (cell_count != table.header_.size()) {
      const bool extra = cell_count > table.header_.size();
      problem(row_line, extra ? row[table.header_.size()].column : 1,
              fmt::format("{} cell{}, but the header names {} columns{}", cell_count, cell_count == 1 ? "" : "s",
                          table.header_.size(), extra ? " (a comma inside a value? quote that value)" : ""));
      continue;
    }
    if (!row_ok) continue;
    if (table.row_lines_.size() >= limits.max_rows) {
      problem(row_line, 1,
              fmt::format("more than {} rows, the most a table may have; split the network", limits.max_rows));
      stopped = true;
      break;
    }
    table.row_lines_.push_back(static_cast<std::uint32_t>(row_line));
    for (auto& cell : row) {
      table.cell_columns_.push_back(cell.column);
      table.cell_line_add_.push_back(static_cast<std::uint32_t>(cell.line - row_line));
      table.cell_starts_.push_back(static_cast<std::uint32_t>(table.text_.size()));
      table.cell_sizes_.push_back(static_cast<std::uint32_t>(cell.text.size()));
      table.text_ += cell.text;
    }
  }
  if (!header_read && problems == 0) {
    diagnostics.error({file, 1, 1}, "the table is empty; its first line names the columns");
  }
  if (first_unlisted) {
    diagnostics.error(*first_unlisted, fmt::format("{} more problems in this table are not listed; fix the ones above "
                                                   "first",
                                                   problems - limits.max_messages));
  }
  return table;
}

namespace {

bool starts_a_formula(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

// A plain decimal number ([+-]digits[.digits][e[+-]digits]): what a spreadsheet reads as a number, not a formula.
bool is_plain_number(std::string_view text) {
  std::size_t k = 0;
  if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
  const auto digits = [&] {
    const std::size_t from = k;
    while (k < text.size() && text[k] >= '0' && text[k] <= '9') ++k;
    return k - from;
  };
  std::size_t mantissa = digits();
  if (k < text.size() && text[k] == '.') {
    ++k;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (k < text.size() && (text[k] == 'e' || text[k] == 'E')) {
    ++k;
    if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
    if (digits() == 0) return false;
  }
  return k == text.size();
}

bool guarded(std::string_view text) {
  if (text.empty()) return false;
  if (text.front() == '\'') return text.size() > 1 && (starts_a_formula(text[1]) || text[1] == '\'');
  return starts_a_formula(text.front()) && !is_plain_number(text);
}

}  // namespace

std::string csv_field(std::string_view text) {
  std::string out;
  if (guarded(text)) out += '\'';
  out += text;
  const bool quote =
      out.find_first_of(",\"\r\n") != std::string::npos ||
      (!out.empty() && (out.front() == ' ' || out.front() == '\t' || out.back() == ' ' || out.back() == '\t'));
  if (!quote) return out;
  std::string quoted = "\"";
  for (const char c : out) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csv_unguarded(std::string_view field) {
  if (field.size() > 1 && field.front() == '\'' && guarded(field.substr(1))) return std::string(field.substr(1));
  return std::string(field);
}

}  // namespace haven
