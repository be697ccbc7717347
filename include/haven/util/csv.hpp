#pragma once
// A strict CSV reader (RFC 4180, as spreadsheets write it): UTF-8 with or without a byte-order mark, LF or CRLF line
// ends, fields quoted with '"' (a doubled "" inside is one quote; commas and line breaks may be quoted). Every cell
// keeps the line and column it starts at, so whoever reads the values can report a mistake where it was written.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "haven/util/diagnostics.hpp"

namespace haven {

struct CsvLimits {
  std::size_t max_rows = 5'000'000;  // data rows, after the header
  std::size_t max_columns = 1'000;
  std::size_t max_messages = 100;  // syntax problems listed one by one; the rest are counted in one message
};

class CsvTable {
 public:
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] const std::vector<std::string>& header() const { return header_; }
  [[nodiscard]] std::size_t column_count() const { return header_.size(); }
  [[nodiscard]] std::size_t row_count() const { return row_lines_.size(); }
  // A cell's text, unquoted; unquoted cells lose the spaces and tabs around them, quoted ones keep everything.
  [[nodiscard]] std::string_view cell(std::size_t row, std::size_t column) const {
    const std::size_t k = row * header_.size() + column;
    return std::string_view(text_).substr(cell_starts_[k], cell_sizes_[k]);
  }
  [[nodiscard]] SourceLocation where(std::size_t row, std::size_t column) const;
  [[nodiscard]] SourceLocation where_row(std::size_t row) const;
  [[nodiscard]] std::size_t line(std::size_t row, std::size_t column) const {
    return row_lines_[row] + cell_line_add_[row * header_.size() + column];
  }
  [[nodiscard]] std::size_t row_line(std::size_t row) const { return row_lines_[row]; }
  [[nodiscard]] SourceLocation where_header(std::size_t column) const;
  // The column named `name`, or npos.
  [[nodiscard]] std::size_t find_column(std::string_view name) const;

 private:
  friend CsvTable parse_csv(std::string_view text, const std::string& file, Diagnostics& diagnostics,
                            const CsvLimits& limits);
  std::string file_;
  std::vector<std::string> header_;
  std::vector<std::uint32_t> header_columns_;
  std::size_t header_line_ = 1;
  // The cells' text, one after the other (one allocation, not one per cell), row-major, column_count() per row.
  std::string text_;
  std::vector<std::uint32_t> cell_starts_;
  std::vector<std::uint32_t> cell_sizes_;
  std::vector<std::uint32_t> cell_columns_;   // the text column each cell starts at (1-based, in characters)
  std::vector<std::uint32_t> row_lines_;      // the line each row starts at
  std::vector<std::uint32_t> cell_line_add_;  // lines a cell starts after its row's first (quoted line breaks)
};

// Reads CSV text. The first non-blank line is the header. Rows whose cells are all empty (blank lines, or the
// ",,,," spreadsheets leave) are skipped. Problems (an unclosed quote, a stray quote, a row whose number of cells
// differs from the header's, text that is not UTF-8, an empty or repeated column name, more rows or columns than
// `limits` allow) are reported, located in `file`; rows with problems are left out of the table.
CsvTable parse_csv(std::string_view text, const std::string& file, Diagnostics& diagnostics,
                   const CsvLimits& limits = {});

// One field of a CSV Haven writes: quoted (RFC 4180) when it holds a comma, a quote or a line break, or starts or ends
// with a space or tab; and safe to open in a spreadsheet. Text that Excel or LibreOffice would run as a formula (it
// starts with = + - @, a tab or a carriage return, and is not a number such as -3.5) is written after a ', as
// OWASP's advice on CSV injection has it: a place named "=HYPERLINK(...)" in a scenario someone sent is shown as
// text, not run. So is text that starts with ' before one of those (or before another '), so that csv_unguarded()
// gives every text back exactly.
[[nodiscard]] std::string csv_field(std::string_view text);
// A field's text as csv_field() was given it, from the field read back (unquoted): its guarding ' taken off.
[[nodiscard]] std::string csv_unguarded(std::string_view field);

}  // namespace haven
