// The CSV reader behind scenario tables: what spreadsheets write is read, and every malformed row is reported
// where it is.
#include <doctest/doctest.h>

#include <sstream>

#include "haven/util/csv.hpp"

using namespace haven;

namespace {

std::string messages(const Diagnostics& diagnostics) {
  std::ostringstream out;
  diagnostics.print(out);
  return out.str();
}

}  // namespace

TEST_CASE("csv - a spreadsheet's UTF-8 export with a byte-order mark and CRLF and quoted cells reads cell by cell") {
  Diagnostics d;
  const auto table = parse_csv(
      "\xEF\xBB\xBFid,name,note\r\n"
      "a, Alpha ,\"with, comma\"\r\n"
      "b,\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
      ",,\r\n"
      "\r\n"
      "c,\xC3\x89vian,x\r\n",
      "t.csv", d);
  INFO(messages(d));
  CHECK_FALSE(d.has_errors());
  CHECK(table.header() == std::vector<std::string>{"id", "name", "note"});
  REQUIRE(table.row_count() == 3);     // the ",," row and the blank line are skipped
  CHECK(table.cell(0, 1) == "Alpha");  // spaces around an unquoted cell go
  CHECK(table.cell(0, 2) == "with, comma");
  CHECK(table.cell(1, 1) == "say \"hi\"");
  CHECK(table.cell(1, 2) == "two\r\nlines");
  CHECK(table.cell(2, 1) == "\xC3\x89vian");
  // Lines and columns as an editor shows them: the byte-order mark is not a column, a quoted line break moves on
  // the line, and a multi-byte letter is one column.
  CHECK(table.where(0, 2).line == 2);
  CHECK(table.where(0, 2).column == 11);
  CHECK(table.where(2, 0).line == 7);
  CHECK(table.where(2, 2).column == 9);
  CHECK(table.where_header(1).column == 4);
  CHECK(table.find_column("note") == 2);
  CHECK(table.find_column("nothing") == std::string_view::npos);
}

TEST_CASE("csv - malformed rows are each reported at their place and left out") {
  Diagnostics d;
  const auto table = parse_csv(
      "id,value\n"
      "a,1\n"
      "b,1,2\n"
      "c\n"
      "d,x\"y\n"
      "e,\"q\"z\n"
      "f,2\n",
      "t.csv", d);
  const std::string text = messages(d);
  CHECK(text ==
        "t.csv:3:5: error: 3 cells, but the header names 2 columns (a comma inside a value? quote that value)\n"
        "t.csv:4:1: error: 1 cell, but the header names 2 columns\n"
        "t.csv:5:4: error: a '\"' inside an unquoted cell; quote the whole cell (\"...\") and double each '\"' "
        "inside it\n"
        "t.csv:6:6: error: text after a quoted cell's closing quote; quote the whole cell and double each '\"' "
        "inside it\n");
  REQUIRE(table.row_count() == 2);
  CHECK(table.cell(1, 0) == "f");
}

TEST_CASE("csv - an unclosed quote or text that is not UTF-8 or semicolons or a bad header are named") {
  SUBCASE("unclosed quote") {
    Diagnostics d;
    parse_csv("id,note\na,\"open\nb,2\n", "t.csv", d);
    CHECK(messages(d) ==
          "t.csv:2:3: error: this quote is never closed: the rest of the file is inside it (a '\"' is missing)\n");
  }
  SUBCASE("Latin-1 from an older spreadsheet") {
    Diagnostics d;
    parse_csv("id,name\na,Caf\xE9\n", "t.csv", d);
    CHECK(messages(d) ==
          "t.csv:2:6: error: the byte 0xE9 here is not UTF-8; save the table as UTF-8 (Excel: 'CSV UTF-8 (Comma "
          "delimited)')\n");
  }
  SUBCASE("NUL byte") {
    Diagnostics d;
    parse_csv(std::string("id\na\0b\n", 7), "t.csv", d);
    CHECK(messages(d) == "t.csv:2:2: error: not a text file (a NUL byte here); tables are CSV text\n");
  }
  SUBCASE("tabs") {
    Diagnostics d;
    parse_csv("id\tlat\tlon\na\t1.5\t2\n", "t.csv", d);
    CHECK(messages(d) ==
          "t.csv:1:1: error: the columns are separated by tabs: Haven reads comma-separated tables (save as 'CSV "
          "UTF-8 (Comma delimited)')\n");
  }
  SUBCASE("semicolons") {
    Diagnostics d;
    parse_csv("id;lat;lon\na;1,5;2\n", "t.csv", d);
    CHECK(messages(d).find("separated by ';'") != std::string::npos);
  }
  SUBCASE("empty and repeated column names") {
    Diagnostics d;
    parse_csv("id,,id\na,b,c\n", "t.csv", d);
    CHECK(messages(d) ==
          "t.csv:1:4: error: column 2 has no name; the first line names the columns\n"
          "t.csv:1:5: error: column 'id' is named twice\n");
  }
  SUBCASE("empty file") {
    Diagnostics d;
    parse_csv("\n\n", "t.csv", d);
    CHECK(messages(d) == "t.csv:1:1: error: the table is empty; its first line names the columns\n");
  }
}

TEST_CASE("csv - rows and columns and messages are bounded") {
  SUBCASE("rows") {
    Diagnostics d;
    std::string text = "id\n";
    for (int i = 0; i < 20; ++i) text += "a\n";
    const auto table = parse_csv(text, "t.csv", d, {.max_rows = 10});
    CHECK(table.row_count() == 10);
    CHECK(messages(d) == "t.csv:12:1: error: more than 10 rows, the most a table may have; split the network\n");
  }
  SUBCASE("columns: a huge row is counted, not stored") {
    Diagnostics d;
    const auto table = parse_csv("a,b\nx" + std::string(1'000'000, ',') + "\n", "t.csv", d, {.max_columns = 4});
    CHECK(table.row_count() == 0);
    CHECK(messages(d).find("1000001 cells, but the header names 2 columns") != std::string::npos);
  }
  SUBCASE("messages") {
    Diagnostics d;
    std::string text = "id,value\n";
    for (int i = 0; i < 30; ++i) text += "a\n";
    parse_csv(text, "t.csv", d, {.max_messages = 5});
    CHECK(d.error_count() == 6);
    CHECK(d.all().back().message == "25 more problems in this table are not listed; fix the ones above first");
    CHECK(d.all().back().location.line == 7);
  }
}

TEST_CASE("csv - a field Haven writes is quoted where it must be and never runs as a spreadsheet formula") {
  CHECK(csv_field("Ariha") == "Ariha");
  CHECK(csv_field("") == "");
  CHECK(csv_field("with, comma") == "\"with, comma\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field(" padded") == "\" padded\"");
  CHECK(csv_field("padded ") == "\"padded \"");
  // What a spreadsheet would run is written as text.
  CHECK(csv_field("=HYPERLINK(\"http://x\",\"click\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\"");
  CHECK(csv_field("+1+cmd|' /C calc'!A0") == "'+1+cmd|' /C calc'!A0");
  CHECK(csv_field("-2+3") == "'-2+3");
  CHECK(csv_field("@SUM(A1)") == "'@SUM(A1)");
  CHECK(csv_field("\tx") == "'\tx");
  CHECK(csv_field("-") == "'-");
  // Numbers stay numbers.
  for (const char* number : {"-3.5", "+2", "-1e-3", "-0.25E+2", "-.5", "12", "0x1F"}) {
    CHECK(csv_field(number) == number);
  }
  // A quote that is part of the text is not taken for the guard.
  CHECK(csv_field("'tis") == "'tis");
  CHECK(csv_field("'=x") == "''=x");
  CHECK(csv_field("''") == "'''");
}

TEST_CASE("csv - every text comes back from its written field exactly") {
  for (const char* text : {"",   "a",   "'", "''", "'''", "'a",  "''a",  "=x",   "'=x", "''=x", "-",
                           "-3", "'-3", "@", "'@", "+",   "\tx", "'\tx", "-3.5", "- 3", "a=b"}) {
    const std::string field = csv_field(text);
    // Unquoted as any CSV reader would, then the guard taken off.
    std::string unquoted = field;
    if (field.size() >= 2 && field.front() == '"') {
      unquoted.clear();
      for (std::size_t k = 1; k + 1 < field.size(); ++k) {
        unquoted += field[k];
        if (field[k] == '"') ++k;
      }
    }
    CHECK_MESSAGE(csv_unguarded(unquoted) == text, "text: [" << text << "] field: [" << field << "]");
  }
}
