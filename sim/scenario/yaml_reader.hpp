#pragma once
// Internal: strict, located reading of a yaml-cpp tree. Every accessor reports problems into Diagnostics
// with the file, line, column and key path, and returns nullopt instead of throwing.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "haven/util/date.hpp"
#include "haven/util/diagnostics.hpp"
#include "table_origins.hpp"
#include "yaml.hpp"

namespace haven::detail {

// Key paths use the same syntax as --set: `nodes.idlib.population`, `events[3].day`.
std::string join_path(std::string_view parent, std::string_view key);

// The largest input file read (scenario, sweep, overlay): a typo'd path to a device or a huge file stops here,
// not when memory runs out. docs/scenario-format.md states it.
inline constexpr std::uintmax_t max_input_bytes = std::uintmax_t{256} << 20;
// Values that aliases (*name) may add to a document in all: far beyond any real use of anchors, far below what
// an alias bomb ("billion laughs") expands to.
inline constexpr std::uint64_t max_alias_values = 1'000'000;
// ... and at most this much text (a long text repeated many times costs its length each time).
inline constexpr std::uint64_t max_alias_bytes = std::uint64_t{64} << 20;

// Dates a scenario may use: output time axes are "days since start_date", and xarray decodes them to numpy
// datetime64[ns] (what pandas and most plotting code expect) only within these years.
inline constexpr Date earliest_date{std::chrono::year{1678}, std::chrono::January, std::chrono::day{1}};
inline constexpr Date latest_date{std::chrono::year{2261}, std::chrono::December, std::chrono::day{31}};
bool date_in_range(const Date& date);
// "<date> is outside the dates Haven supports, ...".
std::string date_range_message(const Date& date);

// Reads a whole text file (at most max_input_bytes, lone CR line ends made LF); a directory or an unreadable file
// becomes a diagnostic (`what` names the kind of file expected: "a scenario file") and an empty string.
std::string read_text_file(const std::filesystem::path& path, Diagnostics& diagnostics, std::string_view what);

// Lone CRs (classic Mac line ends) become LF, keeping every offset; true when anything changed.
bool normalize_line_endings(std::string& text);

// Reports aliases that expand past max_alias_values and unsupported explicit tags, located; false when the aliases
// do (the document must not be walked then; a tag only spoils its own value).
bool check_expansion(const std::string& text, const std::string& display_name, Diagnostics& diagnostics);

// Whether `text` holds more than one YAML value: yaml-cpp reads "[North] Camp" as the list [North] and '"North" Camp'
// as North, and drops the rest without a word (it is a second document).
bool goes_on_after_its_value(const std::string& text);

// A value given as YAML text (--set, an overlay or a sweep edit), bounded as a file is; problems are reported at
// `origin` (prefixed with `path`, when given). A text that goes on after its value is refused.
std::optional<YAML::Node> load_yaml_value(const std::string& text, const SourceLocation& origin,
                                          Diagnostics& diagnostics, std::string_view path = {});

// Parses YAML text; a syntax error becomes a located diagnostic (with the likely unclosed bracket, or a hint about
// tabs) and nullopt. `what` names the kind of document in messages ("a scenario", "a sweep").
std::optional<YAML::Node> parse_yaml(const std::string& text, const std::string& display_name, Diagnostics& diagnostics,
                                     std::string_view what);

// The value rules the YAML readers apply, shared with the CSV tables (tables.cpp): a number as number() accepts it
// ('_' groups digits, a leading '+' is allowed), "must be between ..." for a value outside its range, and why text
// shaped like YYYY-MM-DD is still not a date (": February 2019 has 28 days", or "").
std::optional<double> parse_number(std::string_view text);
std::string out_of_range(double minimum, double maximum, double value, const std::string& shown_value);
// Where a duplicated id was first given, for "duplicate ... (first at line 12)"; line 0 is not a line of the file
// (a --set value, an overlay's value or an edit of haven serve gave it), and is said so.
std::string first_given(std::size_t line);
std::string why_not_a_date(std::string_view text);
inline constexpr std::string_view comma_hint = "; write large numbers without commas (3000000 or 3_000_000)";
// The hint for a number that did not read, by its shape: a decimal comma (`35,5`: use '.'), thousands separators
// (commas, or spaces as some locales and web pages write them: `10 000`), or none.
std::string number_text_hint(std::string_view text);

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics& diagnostics) : file_(std::move(file)), diagnostics_(diagnostics) {}

  // Nodes created by an edit (a variant's `set` or a --set) carry no position; the edit records where it came from.
  void record_edit_origin(const std::string& path, SourceLocation origin) { edit_origins_[path] = std::move(origin); }
  // Nor does the list an events table stands for (tables.hpp): its rows and cells are located by the table. A
  // cell's scalar is found by the node itself, so that two rows that go by one key path (a repeated id) are still
  // told apart. Edits recorded later take precedence over the table.
  void adopt_table_origins(std::shared_ptr<const TableOrigins> origins) { table_origins_ = std::move(origins); }
  // The events the variant being resolved removed (its remove_events): an overlay's events list that names them
  // puts them back, which is said.
  void note_removed_by_variant(std::set<std::string> ids) { removed_by_variant_ = std::move(ids); }
  [[nodiscard]] const std::set<std::string>& removed_by_variant() const { return removed_by_variant_; }
  // An empty value (`key:` and nothing) is positioned where the next token starts, often the next line; problems
  // with it are reported at its key instead.
  void record_empty_value(const YAML::Node& value, const YAML::Node& key);

  [[nodiscard]] SourceLocation where(const YAML::Node& node, std::string_view path) const;
  void error(const YAML::Node& node, std::string_view path, const std::string& message);
  // As error(), but the position of an edited node is looked up under `location_path` (a key's own path).
  void error_at(const YAML::Node& node, std::string_view location_path, std::string_view path,
                const std::string& message);
  void warning(const YAML::Node& node, std::string_view path, const std::string& message);
  [[nodiscard]] Diagnostics& diagnostics() { return diagnostics_; }
  [[nodiscard]] const std::string& file() const { return file_; }

  // Scalars. Each checks the YAML type and reports "expected ..., got ..." naming the path.
  std::optional<std::string> string(const YAML::Node& node, std::string_view path);
  std::optional<double> number(const YAML::Node& node, std::string_view path);
  std::optional<double> number_in(const YAML::Node& node, std::string_view path, double minimum, double maximum);
  std::optional<std::int64_t> whole_number(const YAML::Node& node, std::string_view path, std::int64_t minimum,
                                           std::int64_t maximum);
  // A random seed: read as an integer (all 64 bits; a double would round above 2^53), decimal or 0x hex, quoted
  // or not; a whole number written otherwise (1e3) is taken when a double holds it exactly.
  std::optional<std::uint64_t> seed(const YAML::Node& node, std::string_view path);
  std::optional<bool> boolean(const YAML::Node& node, std::string_view path);
  // A switch: 0 or 1, or false or true (unquoted), read as 0 or 1.
  std::optional<double> switch_value(const YAML::Node& node, std::string_view path);
  std::optional<Date> date(const YAML::Node& node, std::string_view path);
  // An identifier: a letter, then letters, digits or underscores (ids appear in --set paths and file names).
  std::optional<std::string> identifier(const YAML::Node& node, std::string_view path);
  // One of `allowed`, with a "did you mean" hint otherwise (`hint`, when given, ends the message instead).
  std::optional<std::string> choice(const YAML::Node& node, std::string_view path,
                                    std::span<const std::string_view> allowed, std::string_view hint = {});

  bool expect_sequence(const YAML::Node& node, std::string_view path);

  // The CSV tables read for this scenario (LoadResult::table_files).
  void note_table_file(std::filesystem::path path) { table_files_.push_back(std::move(path)); }
  [[nodiscard]] const std::vector<std::filesystem::path>& table_files() const noexcept { return table_files_; }

 private:
  std::string file_;
  Diagnostics& diagnostics_;
  std::map<std::string, SourceLocation, std::less<>> edit_origins_;
  std::shared_ptr<const TableOrigins> table_origins_;
  std::set<std::string> removed_by_variant_;
  std::vector<std::pair<YAML::Node, YAML::Node>> empty_values_;  // (value, its key)
  std::vector<std::filesystem::path> table_files_;
};

// A YAML mapping read with a fixed set of allowed keys: reports duplicate keys, unknown keys (with a hint)
// and, through `require`, missing ones. Lookups return null nodes for absent keys.
class MapReader {
 public:
  // `unknown_key_hint` ends the message for an unknown key that resembles no allowed key (default: the list of
  // allowed keys when it is short).
  MapReader(YamlReader& reader, const YAML::Node& node, std::string path, std::span<const std::string_view> allowed,
            std::string_view unknown_key_hint = {});

  [[nodiscard]] bool valid() const { return valid_; }
  [[nodiscard]] YAML::Node get(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return get(key).IsDefined(); }
  // Reports a missing key at the mapping's position, unless an unknown key was already reported as a probable
  // misspelling of it; returns the value node when present.
  YAML::Node require(std::string_view key);
  // True when an unknown key was reported as probably meaning `key` (so `key` being absent is no news).
  [[nodiscard]] bool near_miss(std::string_view key) const;
  // Reports when both keys are present (e.g. `day` and `date`).
  bool exclusive(std::string_view first, std::string_view second);
  [[nodiscard]] std::string path(std::string_view key) const { return join_path(path_, key); }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const YAML::Node& node() const { return node_; }

 private:
  YamlReader& reader_;
  YAML::Node node_;
  std::string path_;
  bool valid_ = false;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
  std::vector<std::string> near_misses_;
};

// The message for a node capacity given as a word other than `unlimited` (in a YAML file or a CSV table alike), with
// the spelling it takes when the word is `unlimited` in other letters.
std::string capacity_word_message(std::string_view word);

// What kind of Haven file a document reads as, by its top-level keys: a scenario ('scenario' or 'nodes'), a sweep
// file ('sweep'), a validation suite ('suite'), or none of these (an overlay, or a file too broken to tell).
enum class FileKind : std::uint8_t { scenario, sweep, suite, other };
FileKind file_kind_of(const YAML::Node& root);
// The one error for a document (`root`) of another kind given where a `wanted` one is read (a sweep file to haven
// check, a scenario to haven sweep): what it reads as and the command that reads it. Empty when it is the kind
// wanted, or reads as none: then its own keys are checked, every one.
std::string wrong_kind_of_file(const YAML::Node& root, FileKind wanted, const std::string& file);
// Says that error at the document's start through `reader` and returns true when there is one (the decoder then
// reads nothing more of it).
bool refused_as_other_kind(YamlReader& reader, const YAML::Node& root, FileKind wanted);

}  // namespace haven::detail
