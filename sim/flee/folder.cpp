// Reads a Flee conflict folder strictly: what Flee's own reader (InputGeography.py, DataTable.py, read_period.py)
// accepts is accepted, and what it would misread or crash on is an error located at file:line:col, naming the
// column. Every problem is collected before giving up.

#include "haven/flee/folder.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "haven/util/text.hpp"

namespace fs = std::filesystem;

namespace haven::flee {

namespace {

// The most read of one file of a conflict folder, as of a scenario file (haven check's 256 MiB): a folder's file
// may be a device or a link to one.
constexpr std::uintmax_t max_flee_file_bytes = std::uintmax_t{256} << 20;

struct Field {
  std::string text;  // as Python's csv module gives it (quotes removed), not trimmed
  std::size_t column = 1;
};

struct Row {
  std::size_t line = 0;
  std::vector<Field> fields;
};

// Python's csv.reader with its defaults (comma, double quotes with "" as an escape), one row per line.
std::vector<Row> parse_csv(const std::string& text) {
  std::vector<Row> rows;
  std::size_t position = 0, line = 1;
  while (position < text.size()) {
    std::size_t end = text.find('\n', position);
    if (end == std::string::npos) end = text.size();
    std::string_view content(text.data() + position, end - position);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    Row row{line, {}};
    if (!content.empty()) {
      std::size_t i = 0;
      while (true) {
        Field field{{}, i + 1};
        if (i < content.size() && content[i] == '"') {
          ++i;
          while (i < content.size()) {
            if (content[i] == '"') {
              if (i + 1 < content.size() && content[i + 1] == '"') {
                field.text += '"';
                i += 2;
                continue;
              }
              ++i;
              break;
            }
            field.text += content[i++];
          }
        }
        while (i < content.size() && content[i] != ',') field.text += content[i++];
        row.fields.push_back(std::move(field));
        if (i >= content.size()) break;
        ++i;  // the comma
      }
    }
    rows.push_back(std::move(row));
    position = end + 1;
    ++line;
  }
  return rows;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::optional<double> parse_number(const std::string& raw) {
  const std::string text = trim(raw);
  if (text.empty()) return std::nullopt;
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  double value = 0.0;
  const auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<long long> parse_whole(const std::string& raw) {
  const std::string text = trim(raw);
  if (text.empty()) return std::nullopt;
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  long long value = 0;
  const auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Python's strptime("%Y-%m-%d") also takes months and days without a leading zero.
std::optional<Date> parse_flee_date(const std::string& raw) {
  const std::string text = trim(raw);
  const auto first = text.find('-');
  const auto second = first == std::string::npos ? std::string::npos : text.find('-', first + 1);
  if (first != 4 || second == std::string::npos) return std::nullopt;
  const std::string month = text.substr(first + 1, second - first - 1), day = text.substr(second + 1);
  if (month.empty() || month.size() > 2 || day.empty() || day.size() > 2) return std::nullopt;
  return parse_iso_date(fmt::format("{}-{:0>2}-{:0>2}", text.substr(0, 4), month, day));
}

// Why `raw` is not a date parse_flee_date() takes: the shape, or the calendar ("2012-02-30": February 2012 has 29
// days), as the YAML loader says it.
std::string why_not_a_flee_date(const std::string& raw) {
  const std::string text = trim(raw);
  // The shape first, in digits only: YYYY-M(M)-D(D).
  const auto first = text.find('-');
  const auto second = first == std::string::npos ? std::string::npos : text.find('-', first + 1);
  const auto digits = [&](std::size_t from, std::size_t to) {
    return to > from && std::all_of(text.begin() + static_cast<std::ptrdiff_t>(from),
                                    text.begin() + static_cast<std::ptrdiff_t>(to), ::isdigit);
  };
  if (first != 4 || second == std::string::npos || second - first > 3 || text.size() - second > 3 ||
      !digits(0, first) || !digits(first + 1, second) || !digits(second + 1, text.size())) {
    return fmt::format("expected a date as YYYY-MM-DD, got '{}'", raw);
  }
  const int year = std::stoi(text.substr(0, 4));
  const int month = std::stoi(text.substr(first + 1, second - first - 1));
  const int day = std::stoi(text.substr(second + 1));
  if (month < 1 || month > 12) return fmt::format("not a calendar date: there is no month {} ('{}')", month, raw);
  if (day < 1) return fmt::format("not a calendar date: there is no day {} ('{}')", day, raw);
  static constexpr std::array<const char*, 12> names = {"January",   "February", "March",    "April",
                                                        "May",       "June",     "July",     "August",
                                                        "September", "October",  "November", "December"};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr std::array<int, 12> lengths = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int days = lengths[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
  return fmt::format("not a calendar date: {} {} has {} days ('{}')", names[static_cast<std::size_t>(month - 1)], year,
                     days, raw);
}

std::string sha256_hex(const std::string& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

constexpr std::array<std::string_view, 7> location_types = {"conflict_zone",  "town",   "camp",      "idpcamp",
                                                            "forwarding_hub", "marker", "flood_zone"};
constexpr std::array<std::string_view, 6> closure_types = {"country", "location", "link",
                                                           "camp",    "idpcamp",  "remove_forced_redirection"};

// Reads the folder; `report` collects every problem, each located.
class Reader {
 public:
  Reader(const fs::path& folder, Diagnostics& diagnostics) : folder_(folder), diagnostics_(diagnostics) {
    conflict_.folder = folder;
    conflict_.folder_name = fs::weakly_canonical(folder).filename().string();
    if (conflict_.folder_name.empty()) conflict_.folder_name = folder.filename().string();
  }

  std::optional<FleeConflict> read(const fs::path& simsetting) {
    read_sim_period();
    read_locations();
    read_routes();
    read_closures();
    read_conflicts();
    read_data_layout();
    read_registration_corrections();
    if (!simsetting.empty()) {
      read_settings(simsetting, simsetting.string());
    } else if (fs::exists(folder_ / "simsetting.yml")) {
      read_settings(folder_ / "simsetting.yml", "simsetting.yml");
    }
    list_ignored_files();
    if (diagnostics_.has_errors()) return std::nullopt;
    return std::move(conflict_);
  }

 private:
  // The file's rows, or nullopt (reported) when it cannot be read; records its sha256.
  std::optional<std::vector<Row>> open(const std::string& relative, bool required = true) {
    const fs::path path = folder_ / relative;
    if (!fs::exists(path)) {
      if (required) diagnostics_.error({display(relative)}, "missing: a Flee conflict folder needs this file");
      return std::nullopt;
    }
    std::string bytes;
    try {
      bytes = read_whole_file(path, max_flee_file_bytes);
    } catch (const std::exception& e) {
      diagnostics_.error({display(relative)}, e.what());
      return std::nullopt;
    }
    if (bytes.size() >= 3 && bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) bytes.erase(0, 3);  // a UTF-8 mark
    // NUL is valid UTF-8, but no scenario may hold it: found only in the YAML written, it would be blamed on that.
    if (const auto nul = bytes.find('\0'); nul != std::string::npos) {
      const auto [line, column] = position_of(bytes, nul);
      diagnostics_.error({display(relative), line, column},
                         "not a text file (a NUL byte here); Flee's tables are CSV text");
      return std::nullopt;
    }
    // Flee reads its CSVs as UTF-8: a name in another encoding would reach run files no reader then opens.
    if (!check_utf8(bytes, display(relative), "save the file as UTF-8", diagnostics_)) return std::nullopt;
    conflict_.inputs.push_back({relative, sha256_hex(bytes)});
    read_.insert(relative);
    return parse_csv(bytes);
  }

  [[nodiscard]] std::string display(const std::string& relative) const { return (folder_ / relative).string(); }

  SourceLocation at(const std::string& relative, const Row& row, std::size_t field) const {
    const std::size_t column = field < row.fields.size() ? row.fields[field].column : 1;
    return {display(relative), row.line, column};
  }

  void error(const std::string& file, const Row& row, std::size_t field, const std::string& message) {
    diagnostics_.error(at(file, row, field), message);
  }

  // A Flee comment or header row: empty, or its first field starts with '#'.
  static bool skipped(const Row& row) { return row.fields.empty() || (row.fields[0].text.rfind('#', 0) == 0); }

  bool first_field_present(const std::string& file, const Row& row, const char* column) {
    if (!row.fields[0].text.empty()) return true;
    error(file, row, 0, fmt::format("column '{}': empty (Flee cannot read a row that starts with a comma)", column));
    return false;
  }

  void read_sim_period() {
    const std::string file = "input_csv/sim_period.csv";
    auto rows = open(file);
    if (!rows) return;
    bool have_start = false, have_length = false;
    for (const auto& row : *rows) {
      if (row.fields.empty()) continue;
      std::string key = row.fields[0].text;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      if (key != "startdate" && key != "length") continue;
      if (row.fields.size() < 2) {
        error(file, row, 0, fmt::format("{}: the value is missing", row.fields[0].text));
        continue;
      }
      if (key == "startdate") {
        have_start = true;  // a bad date is reported as such, not also as missing
        auto date = parse_flee_date(row.fields[1].text);
        if (!date) {
          error(file, row, 1, fmt::format("StartDate: {}", why_not_a_flee_date(row.fields[1].text)));
        } else {
          conflict_.start_date = *date;
        }
      } else {
        have_length = true;
        auto days = parse_whole(row.fields[1].text);
        if (!days || *days < 1 || *days > 36600) {
          error(file, row, 1,
                fmt::format("Length: expected a whole number of days from 1 to 36600, got '{}'", row.fields[1].text));
        } else {
          conflict_.days = static_cast<int>(*days);
        }
      }
    }
    if (!have_start) diagnostics_.error({display(file)}, "no StartDate row (e.g. 'StartDate,2013-12-01')");
    if (!have_length) diagnostics_.error({display(file)}, "no Length row (e.g. 'Length,820')");
  }

  void read_locations() {
    const std::string file = "input_csv/locations.csv";
    auto rows = open(file);
    if (!rows) {
      locations_unread_ = true;
      return;
    }
    for (const auto& row : *rows) {
      if (skipped(row) || !first_field_present(file, row, "name")) continue;
      if (row.fields.size() < 8) {
        malformed_names_.insert(row.fields[0].text);  // its uses elsewhere are not "unknown" too
        error(file, row, row.fields.size() - 1,
              fmt::format("expected 8 columns (name,region,country,latitude,longitude,location_type,conflict_date,"
                          "population), got {}",
                          row.fields.size()));
        continue;
      }
      Location location;
      location.name = row.fields[0].text;
      location.region = row.fields[1].text;
      location.country = row.fields[2].text;
      location.origin = at(file, row, 0);
      bool ok = true;
      for (auto [index, slot, name] : {std::tuple{3, &location.lat, "latitude"}, {4, &location.lon, "longitude"}}) {
        const auto& text = row.fields[static_cast<std::size_t>(index)].text;
        if (trim(text).empty()) continue;  // Flee reads an empty coordinate as 0
        auto value = parse_number(text);
        const double limit = index == 3 ? 90.0 : 180.0;
        if (!value || std::abs(*value) > limit) {
          error(file, row, static_cast<std::size_t>(index),
                fmt::format("column '{}': expected a number from {} to {}, got '{}'", name, -limit, limit, text));
          ok = false;
        } else {
          *slot = *value;
        }
      }
      // Flee compares types in lower case.
      location.location_type = trim(row.fields[5].text);
      std::transform(location.location_type.begin(), location.location_type.end(), location.location_type.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (std::find(location_types.begin(), location_types.end(), location.location_type) == location_types.end()) {
        error(file, row, 5,
              fmt::format("column 'location_type': unknown type '{}' (expected {}){}", row.fields[5].text,
                          quoted_list(location_types), did_you_mean(location.location_type, location_types)));
        ok = false;
      }
      const auto& date_text = row.fields[6].text;
      if (!trim(date_text).empty()) {
        auto day = parse_whole(date_text);
        if (!day || *day < 0) {
          error(file, row, 6, fmt::format("column 'conflict_date': expected a whole day number, got '{}'", date_text));
          ok = false;
        } else {
          location.conflict_date = static_cast<int>(*day);
        }
      } else if (location.location_type == "conflict_zone") {
        error(file, row, 6, "column 'conflict_date': a conflict_zone needs the day its conflict starts");
        ok = false;
      }
      const auto& population_text = row.fields[7].text;
      if (!trim(population_text).empty()) {
        auto population = parse_whole(population_text);
        if (!population || *population < 0 || *population > 1'000'000'000'000LL) {
          error(file, row, 7,
                fmt::format("column 'population': expected a whole number of people, got '{}'", population_text));
          ok = false;
        } else {
          location.population = *population;
        }
      }
      if (auto found = index_.find(location.name); found != index_.end()) {
        const auto& first = conflict_.locations[found->second].origin;
        error(file, row, 0,
              fmt::format("column 'name': duplicate location '{}' (first at line {})", location.name, first.line));
        continue;
      }
      index_[location.name] = conflict_.locations.size();
      names_.push_back(location.name);
      if (std::find(countries_.begin(), countries_.end(), location.country) == countries_.end()) {
        countries_.push_back(location.country);
      }
      (void)ok;
      conflict_.locations.push_back(std::move(location));
    }
    if (conflict_.locations.empty() && rows) diagnostics_.error({display(file)}, "no locations");
  }

  // True when `name` is a location; otherwise reports it with a did-you-mean.
  bool known_location(const std::string& file, const Row& row, std::size_t field, const char* column) {
    const std::string& name = row.fields[field].text;
    if (index_.count(name) != 0) return true;
    if (!unknown_worth_saying(name)) return false;
    error(file, row, field,
          fmt::format("column '{}': unknown location '{}'{}", column, name, did_you_mean(name, names_)));
    return false;
  }

  [[nodiscard]] bool locations_failed() const { return names_.empty(); }
  // A name locations.csv does not give is said unknown, but for follow-on errors that would only repeat the first:
  // no locations read, or the name's own row malformed.
  [[nodiscard]] bool unknown_worth_saying(const std::string& name) const {
    return index_.count(name) == 0 && !locations_failed() && malformed_names_.count(name) == 0;
  }

  void read_routes() {
    const std::string file = "input_csv/routes.csv";
    auto rows = open(file);
    if (!rows) return;
    std::map<std::pair<std::string, std::string>, std::size_t> seen;
    for (const auto& row : *rows) {
      if (skipped(row) || !first_field_present(file, row, "name1")) continue;
      if (row.fields.size() < 3) {
        error(file, row, row.fields.size() - 1,
              fmt::format("expected at least 3 columns (name1,name2,distance[,forced_redirection]), got {}",
                          row.fields.size()));
        continue;
      }
      Route route{row.fields[0].text, row.fields[1].text, 0.0, 0, at(file, row, 0)};
      bool ok = known_location(file, row, 0, "name1");
      ok = known_location(file, row, 1, "name2") && ok;
      if (ok && route.name1 == route.name2) {
        error(file, row, 1, fmt::format("column 'name2': a route from '{}' to itself", route.name1));
        ok = false;
      }
      auto distance = parse_number(row.fields[2].text);
      if (!distance || *distance <= 0.0 || *distance > 20000.0) {
        error(file, row, 2,
              fmt::format("column 'distance': expected a length in km, more than 0 and at most 20000, got '{}'",
                          row.fields[2].text));
        ok = false;
      } else {
        route.distance_km = *distance;
      }
      if (row.fields.size() > 3 && !trim(row.fields[3].text).empty()) {
        auto forced = parse_whole(row.fields[3].text);
        if (!forced || *forced < 0 || *forced > 2) {
          error(file, row, 3,
                fmt::format("column 'forced_redirection': expected 0, 1, 2 or nothing, got '{}'", row.fields[3].text));
          ok = false;
        } else {
          route.forced_redirection = static_cast<int>(*forced);
        }
      }
      if (!ok) continue;
      const auto key = std::minmax(route.name1, route.name2);
      if (auto found = seen.find({key.first, key.second}); found != seen.end()) {
        error(file, row, 0,
              fmt::format("duplicate route between '{}' and '{}' (first at line {})", route.name1, route.name2,
                          found->second));
        continue;
      }
      seen[{key.first, key.second}] = row.line;
      conflict_.routes.push_back(std::move(route));
    }
  }

  void read_closures() {
    const std::string file = "input_csv/closures.csv";
    auto rows = open(file, false);
    if (!rows) return;
    for (const auto& row : *rows) {
      if (skipped(row) || !first_field_present(file, row, "closure_type")) continue;
      if (row.fields.size() < 5) {
        error(file, row, row.fields.size() - 1,
              fmt::format("expected 5 columns (closure_type,name1,name2,closure_start,closure_end), got {}",
                          row.fields.size()));
        continue;
      }
      Closure closure{trim(row.fields[0].text), row.fields[1].text, row.fields[2].text, 0, 0, at(file, row, 0)};
      bool ok = true;
      if (std::find(closure_types.begin(), closure_types.end(), closure.type) == closure_types.end()) {
        error(file, row, 0,
              fmt::format("column 'closure_type': unknown type '{}' (expected {}){}", row.fields[0].text,
                          quoted_list(closure_types), did_you_mean(closure.type, closure_types)));
        ok = false;
      } else if (closure.type == "country") {
        for (std::size_t field : {1U, 2U}) {
          const auto& name = row.fields[field].text;
          if (std::find(countries_.begin(), countries_.end(), name) != countries_.end() || locations_failed()) continue;
          error(file, row, field,
                fmt::format("column 'name{}': unknown country '{}' (no location has it){}", field, name,
                            did_you_mean(name, countries_)));
          ok = false;
        }
      } else {
        ok = known_location(file, row, 1, "name1") && ok;
        if (closure.type == "link" || closure.type == "remove_forced_redirection") {
          ok = known_location(file, row, 2, "name2") && ok;
        }
      }
      for (auto [field, slot, name] :
           {std::tuple{3U, &closure.start_day, "closure_start"}, {4U, &closure.end_day, "closure_end"}}) {
        auto day = parse_whole(row.fields[field].text);
        if (!day || *day < 0 || *day > 1'000'000) {
          error(file, row, field,
                fmt::format("column '{}': expected a whole day number, got '{}'", name, row.fields[field].text));
          ok = false;
        } else {
          *slot = static_cast<int>(*day);
        }
      }
      if (ok) conflict_.closures.push_back(std::move(closure));
    }
  }

  void read_conflicts() {
    const std::string file = "input_csv/conflicts.csv";
    auto rows = open(file);
    if (!rows) return;
    const Row* header = nullptr;
    std::vector<std::optional<std::size_t>> column_of_field;  // header field -> conflicts index
    std::size_t expected_fields = 0;
    int day = 0;
    for (std::size_t r = 0; r < rows->size(); ++r) {
      const Row& row = (*rows)[r];
      if (header == nullptr) {
        // Flee takes the first line, whatever it is, as the header; field 0 is the day.
        header = &row;
        for (std::size_t i = 0; i < row.fields.size(); ++i) {
          if (i == 0) {
            column_of_field.emplace_back();
            continue;
          }
          const std::string name = trim(row.fields[i].text);
          if (name.empty()) {
            column_of_field.emplace_back();
            continue;
          }
          expected_fields = i + 1;
          bool ok = true;
          if (unknown_worth_saying(name)) {
            error(file, row, i,
                  fmt::format("column {}: unknown location '{}'{}", i + 1, name, did_you_mean(name, names_)));
            ok = false;
          }
          const auto duplicate = std::find_if(conflict_.conflicts.begin(), conflict_.conflicts.end(),
                                              [&](const ConflictColumn& c) { return c.location == name; });
          if (duplicate != conflict_.conflicts.end()) {
            error(file, row, i,
                  fmt::format("column {}: location '{}' has a column already (column at {}:{})", i + 1, name,
                              duplicate->origin.line, duplicate->origin.column));
            ok = false;
          }
          column_of_field.emplace_back(conflict_.conflicts.size());
          conflict_.conflicts.push_back({ok ? name : std::string(), {}, at(file, row, i)});
        }
        continue;
      }
      // An empty line: Flee's csv reader gives it as no fields, whose loop appends nothing; it is no day.
      if (row.fields.empty()) continue;
      const auto given_day = parse_whole(row.fields[0].text);
      if (!given_day || *given_day != day) {
        // Rows left out: the day is later and the next row goes on from it (or there is none). Then the rows after
        // are read as the days they say, so that the gap is one error. Anything else (rows swapped, a mistyped
        // number) is said as it is, and the count goes on.
        const auto next = std::find_if(rows->begin() + static_cast<std::ptrdiff_t>(r) + 1, rows->end(),
                                       [](const Row& later) { return !later.fields.empty(); });
        const bool gap = given_day && *given_day > day && *given_day <= 36600 &&
                         (next == rows->end() || parse_whole(next->fields[0].text) == *given_day + 1);
        error(file, row, 0,
              fmt::format("column 1 (day): expected day {} (Flee takes the rows in order, one per day), got '{}'{}",
                          day, row.fields[0].text,
                          !gap                    ? std::string()
                          : *given_day == day + 1 ? fmt::format(": day {} is missing", day)
                                                  : fmt::format(": days {} to {} are missing", day, *given_day - 1)));
        if (gap) day = static_cast<int>(*given_day);
      }
      if (row.fields.size() != expected_fields) {
        // At the first value too many, or at the last one given.
        error(file, row, row.fields.size() > expected_fields ? expected_fields : row.fields.size() - 1,
              fmt::format("day {}: {} values for {} location columns (Flee would misalign the columns)", day,
                          row.fields.size() - 1, expected_fields - 1));
      }
      for (std::size_t i = 1; i < std::min(row.fields.size(), expected_fields); ++i) {
        if (!column_of_field[i]) {
          error(file, row, i, fmt::format("column {}: a value under an empty header", i + 1));
          continue;
        }
        auto& column = conflict_.conflicts[*column_of_field[i]];
        auto value = parse_number(row.fields[i].text);
        if (!value || *value < 0.0 || *value > 1e6) {
          error(file, row, i,
                fmt::format("column '{}' (day {}): expected an intensity from 0 to 10^6, got '{}'",
                            column.location.empty() ? trim(header->fields[i].text) : column.location, day,
                            row.fields[i].text));
          continue;
        }
        column.intensity_by_day.push_back(*value);
      }
      ++day;
    }
    if (header == nullptr) {
      diagnostics_.error({display(file)}, "empty: expected a header '#Day,<location>,...' and a row per day");
      return;
    }
    if (conflict_.days > 0 && day < conflict_.days) {
      diagnostics_.error({display(file), rows->back().line, 1},
                         fmt::format("{} days of conflict for a Length of {} (sim_period.csv): Flee needs a row "
                                     "for every simulated day",
                                     day, conflict_.days));
    }
  }

  std::optional<std::vector<SeriesPoint>> read_series(const std::string& file) {
    const std::size_t errors_before = diagnostics_.error_count();
    auto rows = open(file);
    if (!rows) return std::nullopt;
    std::vector<SeriesPoint> points;
    bool first = true;
    for (const auto& row : *rows) {
      const bool is_first = first;
      first = false;
      if (row.fields.size() < 2) continue;
      if (is_first &&
          (row.fields[0].text.empty() || row.fields[0].text == "Date" || row.fields[0].text == "DateTime")) {
        continue;  // Flee's header row
      }
      if (row.fields[0].text.empty()) {
        error(file, row, 0, "column 'date': empty (Flee cannot read a row that starts with a comma)");
        continue;
      }
      if (row.fields[0].text[0] == '#' || row.fields[1].text.empty()) continue;
      auto date = parse_flee_date(row.fields[0].text);
      if (!date) {
        error(file, row, 0, fmt::format("column 'date': {}", why_not_a_flee_date(row.fields[0].text)));
        continue;
      }
      auto value = parse_whole(row.fields[1].text);
      if (!value || *value < 0) {
        error(file, row, 1,
              fmt::format("column 'count': expected a whole number of people, got '{}'", row.fields[1].text));
        continue;
      }
      points.push_back({*date, *value});
    }
    // An empty series would leave its camp, or the total, without a count: the run would silently lose them.
    if (points.empty() && diagnostics_.error_count() == errors_before) {
      diagnostics_.error({display(file)}, "no dated count: expected rows 'YYYY-MM-DD,people' (UNHCR's series)");
      return std::nullopt;
    }
    return points;
  }

  void read_data_layout() {
    const std::string file = "source_data/data_layout.csv";
    auto rows = open(file);
    if (!rows) return;
    for (const auto& row : *rows) {
      if (row.fields.size() < 2) continue;  // Flee reads only rows with a file
      if (!first_field_present(file, row, "name") || row.fields[0].text[0] == '#') continue;
      CampSeries series{row.fields[0].text, {}, {}, at(file, row, 0)};
      layout_names_.push_back(series.name);
      const bool is_total = series.name == "total";
      // Flee looks up only camps' series, by name: another row is read but never used.
      bool used = true;
      if (!is_total && index_.count(series.name) == 0) {
        // locations.csv not read (its error is said): whether it names a location cannot be told.
        if (!locations_unread_) {
          diagnostics_.warning(at(file, row, 0),
                               fmt::format("column 'name': '{}' is not a location; Flee never uses its series{}",
                                           series.name, did_you_mean(series.name, names_)));
        }
        used = false;
      } else if (!is_total &&
                 conflict_.locations[index_.at(series.name)].location_type.find("camp") == std::string::npos) {
        diagnostics_.warning(at(file, row, 0),
                             fmt::format("column 'name': '{}' is a {}, not a camp; Flee never uses its series",
                                         series.name, conflict_.locations[index_.at(series.name)].location_type));
        used = false;
      }
      series.used = used;
      const bool duplicate = std::any_of(conflict_.camp_series.begin(), conflict_.camp_series.end(),
                                         [&](const CampSeries& s) { return s.name == series.name; }) ||
                             (is_total && conflict_.total);
      if (duplicate) {
        error(file, row, 0, fmt::format("column 'name': '{}' has a row already", series.name));
        continue;
      }
      bool ok = true;
      for (std::size_t i = 1; i < row.fields.size(); ++i) {
        const std::string relative = "source_data/" + row.fields[i].text;
        if (row.fields[i].text.empty() || !fs::is_regular_file(folder_ / relative)) {
          error(file, row, i, fmt::format("column {}: no file '{}' in source_data/", i + 1, row.fields[i].text));
          ok = false;
          continue;
        }
        auto points = read_series(relative);
        if (!points) {
          ok = false;
          continue;
        }
        series.files.push_back(row.fields[i].text);
        series.points_by_file.push_back(std::move(*points));
      }
      if (!ok) continue;
      if (is_total) {
        conflict_.total = std::move(series);
      } else {
        conflict_.camp_series.push_back(std::move(series));
      }
    }
  }

  void read_registration_corrections() {
    const std::string file = "input_csv/registration_corrections.csv";
    auto rows = open(file, false);
    if (!rows) return;
    for (const auto& row : *rows) {
      if (row.fields.size() < 2) continue;  // as Flee: rows without a date are ignored
      RegistrationCorrection correction{
          row.fields[0].text, {}, row.fields.size() > 2 ? row.fields[2].text : "", at(file, row, 0)};
      bool ok = true;
      const auto series = std::find_if(conflict_.camp_series.begin(), conflict_.camp_series.end(),
                                       [&](const CampSeries& s) { return s.name == correction.name; });
      const bool in_layout =
          std::find(layout_names_.begin(), layout_names_.end(), correction.name) != layout_names_.end();
      if (!in_layout) {
        error(file, row, 0,
              fmt::format("column 'name': '{}' has no series in source_data/data_layout.csv{}", correction.name,
                          did_you_mean(correction.name, layout_names_)));
        ok = false;
      } else if (series == conflict_.camp_series.end()) {
        ok = false;  // its series could not be read, which is reported already
      }
      auto date = parse_flee_date(row.fields[1].text);
      if (!date) {
        error(file, row, 1, fmt::format("column 'date': {}", why_not_a_flee_date(row.fields[1].text)));
        ok = false;
      } else {
        correction.date = *date;
      }
      if (ok && days_between(conflict_.start_date, correction.date) >= 0) {
        // Flee scales the points before the one on this date; without such a point its correction fails.
        const auto& points = series->points_by_file.front();
        const auto match =
            std::find_if(points.begin(), points.end(), [&](const SeriesPoint& p) { return p.date == correction.date; });
        if (match == points.end() || match == points.begin()) {
          error(file, row, 1,
                fmt::format("column 'date': source_data/{} has no point on {} after its first one (Flee's "
                            "correction needs one)",
                            series->files.front(), row.fields[1].text));
          ok = false;
        }
      }
      if (ok) conflict_.registration_corrections.push_back(std::move(correction));
    }
  }

  void read_settings(const fs::path& path, const std::string& shown) {
    std::string bytes;
    try {
      bytes = read_whole_file(path, max_flee_file_bytes);
    } catch (const std::exception& e) {
      diagnostics_.error({path.string()}, e.what());
      return;
    }
    conflict_.inputs.push_back({shown, sha256_hex(bytes)});
    conflict_.settings_file = shown;
    YAML::Node root;
    try {
      root = YAML::Load(bytes);
    } catch (const YAML::Exception& e) {
      diagnostics_.error(
          {path.string(), static_cast<std::size_t>(e.mark.line + 1), static_cast<std::size_t>(e.mark.column + 1)},
          "YAML syntax: " + e.msg);
      return;
    }
    if (!root.IsMap()) {
      diagnostics_.error({path.string()}, "a Flee setting file must be a mapping of sections (move_rules: ...)");
      return;
    }
    try {
      read_sections(root, path);
    } catch (const YAML::Exception& e) {  // a key that is not text, for example
      diagnostics_.error(
          {path.string(), static_cast<std::size_t>(e.mark.line + 1), static_cast<std::size_t>(e.mark.column + 1)},
          "expected 'section: {setting: value, ...}': " + e.msg);
    }
  }

  void read_sections(const YAML::Node& root, const fs::path& path) {
    for (const auto& section : root) {
      const auto name = section.first.as<std::string>();
      if (!section.second.IsMap()) {
        diagnostics_.error({path.string(), static_cast<std::size_t>(section.first.Mark().line + 1),
                            static_cast<std::size_t>(section.first.Mark().column + 1)},
                           fmt::format("{}: expected a mapping of settings", name));
        continue;
      }
      for (const auto& entry : section.second) {
        YAML::Emitter value;
        value << YAML::Flow << entry.second;
        conflict_.settings.emplace_back(name + "." + entry.first.as<std::string>(), value.c_str());
        const auto& [key, text] = conflict_.settings.back();
        if (const auto problem = flee_setting_problem(key, text); !problem.message.empty()) {
          const auto mark = problem.at_value ? entry.second.Mark() : entry.first.Mark();
          const SourceLocation where{path.string(), static_cast<std::size_t>(mark.line + 1),
                                     static_cast<std::size_t>(mark.column + 1)};
          if (problem.warning) {
            diagnostics_.warning(where, problem.message);
          } else {
            diagnostics_.error(where, problem.message);
          }
        }
      }
    }
  }

  void list_ignored_files() {
    std::error_code error;
    std::vector<std::string> ignored;
    for (const auto& entry : fs::directory_iterator(folder_ / "input_csv", error)) {
      const std::string relative = "input_csv/" + entry.path().filename().string();
      if (read_.count(relative) == 0) ignored.push_back(relative);
    }
    std::sort(ignored.begin(), ignored.end());
    conflict_.ignored_files = std::move(ignored);
  }

  fs::path folder_;
  Diagnostics& diagnostics_;
  FleeConflict conflict_;
  std::map<std::string, std::size_t> index_;  // location name -> index
  std::vector<std::string> names_;
  std::set<std::string> malformed_names_;  // locations whose row is too short to read
  bool locations_unread_ = false;          // locations.csv could not be read: names it would hold are not said unknown
  std::vector<std::string> countries_;
  std::vector<std::string> layout_names_;  // every name data_layout.csv gives, read or not
  std::set<std::string> read_;
};

}  // namespace

bool is_flee_folder(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error) && fs::is_directory(path / "input_csv", error);
}

std::optional<FleeConflict> read_flee_folder(const fs::path& folder, Diagnostics& diagnostics,
                                             const fs::path& simsetting) {
  if (!fs::is_directory(folder)) {
    diagnostics.error({folder.string()}, "not a directory (a Flee conflict folder holds input_csv/ and source_data/)");
    return std::nullopt;
  }
  return Reader(folder, diagnostics).read(simsetting);
}

std::string derive_id(const std::string& name) {
  std::string id;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) == 0x80) continue;  // the rest of a character already written as one '_' (names are UTF-8)
    id += byte < 128 && std::isalnum(byte) != 0 ? c : '_';
  }
  if (id.empty() || std::isalpha(static_cast<unsigned char>(id[0])) == 0) id.insert(0, "n_");
  if (id.size() > 64) id.resize(64);
  return id;
}

}  // namespace haven::flee
