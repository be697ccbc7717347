#include "yaml_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "haven/util/text.hpp"

namespace haven::detail {

namespace {

// After a YAML syntax error: a '{' or '[' still open where the next line starts at or left of the line that
// opened it is almost always the cause, though the parser only notices later. Returns its 1-based position and
// the character, when that point is at or before the line the parser gave up on.
struct OpenBracket {
  char bracket;
  std::size_t line;
  std::size_t column;
  std::size_t indent;
};

std::optional<OpenBracket> unclosed_bracket(const std::string& text, std::size_t error_line) {
  std::vector<OpenBracket> open;
  std::size_t line_number = 0;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find('\n', begin), text.size());
    const std::string_view line(text.data() + begin, end - begin);
    ++line_number;
    const std::size_t indent = std::min(line.find_first_not_of(' '), line.size());
    const bool blank = indent == line.size() || line[indent] == '#' || line[indent] == '\r';
    if (!blank && !open.empty() && open.front().line < line_number && indent <= open.front().indent) {
      return line_number <= error_line ? std::optional(open.back()) : std::nullopt;
    }
    if (line_number > error_line) return std::nullopt;
    char quote = 0;
    char previous = ' ';  // the last character before this one that is not a space
    for (std::size_t i = indent; i < line.size(); ++i) {
      const char c = line[i];
      if (quote != 0) {
        if (quote == '"' && c == '\\') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '#' && (i == 0 || line[i - 1] == ' ')) break;
      const bool starts_value = i == indent || previous == ':' || previous == '-' || previous == ',' ||
                                previous == '[' || previous == '{' || previous == '?';
      if ((c == '"' || c == '\'') && starts_value) {
        quote = c;
      } else if ((c == '{' || c == '[') && (starts_value || !open.empty())) {
        open.push_back({c, line_number, i + 1, indent});
      } else if ((c == '}' || c == ']') && !open.empty()) {
        if ((c == '}') != (open.back().bracket == '{')) return std::nullopt;  // crossed brackets: not this case
        open.pop_back();
      }
      if (c != ' ') previous = c;
    }
    begin = end + 1;
  }
  if (!open.empty()) return open.back();
  return std::nullopt;
}

// After a YAML syntax error: the nearest line at or before it whose indentation holds a tab. yaml-cpp names the tab
// only sometimes ("illegal tab when looking for indentation"); elsewhere it says "illegal map value" or "illegal
// block entry". Returns the tab's 1-based line and column.
std::optional<std::pair<std::size_t, std::size_t>> tab_in_indentation(const std::string& text, std::size_t error_line) {
  std::optional<std::pair<std::size_t, std::size_t>> found;
  std::size_t line_number = 0;
  std::size_t begin = 0;
  while (begin < text.size() && line_number < error_line) {
    const std::size_t end = std::min(text.find('\n', begin), text.size());
    const std::string_view line(text.data() + begin, end - begin);
    ++line_number;
    const std::size_t indent = std::min(line.find_first_not_of(" \t"), line.size());
    const bool blank = indent == line.size() || line[indent] == '#' || line[indent] == '\r';
    if (const auto tab = line.find('\t'); !blank && tab < indent) found = std::pair(line_number, tab + 1);
    begin = end + 1;
  }
  return found;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path, Diagnostics& diagnostics, std::string_view what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    // A Flee conflict folder (input_csv/, flee::is_flee_folder's test): what reads it, and what makes a scenario
    // file of it where a file is needed.
    const bool flee = std::filesystem::is_directory(path / "input_csv", ec);
    diagnostics.error({path.string(), 0, 0},
                      fmt::format("is a directory, not {}{}", what,
                                  flee ? fmt::format("; it is a Flee conflict folder: haven check, run and validate "
                                                     "read it as it is; elsewhere give the scenario file 'haven "
                                                     "import-flee {} -o FILE.yaml' writes",
                                                     path.string())
                                       : ""));
    return {};
  }
  const auto too_large = [&] {
    diagnostics.error({path.string(), 0, 0},
                      fmt::format("larger than {} MiB, the most Haven reads as {}", max_input_bytes >> 20, what));
  };
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > max_input_bytes) {
    too_large();
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error({path.string(), 0, 0}, "cannot open the file (does it exist, and may it be read?)");
    return {};
  }
  std::string text;
  if (!read_up_to(in, max_input_bytes, text)) {
    too_large();
    return {};
  }
  normalize_line_endings(text);
  return text;
}

bool normalize_line_endings(std::string& text) {
  // Classic Mac files end lines with a lone CR, which YAML does not treat as a line break: the whole file would
  // read as one line (often one comment: "the file is empty"). CR LF stays as it is.
  bool changed = false;
  for (std::size_t i = text.find('\r'); i != std::string::npos; i = text.find('\r', i + 1)) {
    if (i + 1 < text.size() && text[i + 1] == '\n') continue;
    text[i] = '\n';
    changed = true;
  }
  return changed;
}

namespace {

// Walks the parser's events to bound what aliases expand to and to vet explicit tags, before anything walks the
// tree: yaml-cpp shares an aliased node, so `[*a, *a, ...]` nested ten deep parses in microseconds but expands to
// 10^10 values for every reader that walks it (the decoder, the emitter, a copy).
class ExpansionCheck : public YAML::EventHandler {
 public:
  ExpansionCheck(std::string display_name, Diagnostics& diagnostics)
      : display_name_(std::move(display_name)), diagnostics_(diagnostics) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { add(1, 0, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // `&a [1, *a]`: yaml-cpp builds a node that holds itself, and every walk of it (decoding, copying, emitting)
    // never ends.
    if (std::any_of(open_.begin(), open_.end(), [&](const Open& open) { return open.anchor == anchor; })) {
      if (!reported_) {
        diagnostics_.error(located(mark),
                           "an alias (*name) inside the value its anchor (&name) names would make "
                           "that value contain itself without end; write the values out");
      }
      reported_ = true;
      return;
    }
    const std::uint64_t size = anchor < sizes_.size() ? sizes_[anchor] : 1;
    const std::uint64_t bytes = anchor < bytes_.size() ? bytes_[anchor] : 0;
    repeated_ = std::min(repeated_ + size, max_alias_values + 1);
    repeated_bytes_ = std::min(repeated_bytes_ + bytes, max_alias_bytes + 1);
    if (repeated_ > max_alias_values && !reported_) {
      reported_ = true;
      diagnostics_.error(located(mark),
                         fmt::format("aliases (*name) repeat more than {} values in all; write the values out, or "
                                     "split the file (an alias bomb?)",
                                     max_alias_values));
    }
    // A few long texts repeated many times are as costly as many values: every copy is made in full.
    if (repeated_bytes_ > max_alias_bytes && !reported_) {
      reported_ = true;
      diagnostics_.error(located(mark),
                         fmt::format("aliases (*name) repeat more than {} MiB of text in all; write the values out, "
                                     "or split the file (an alias bomb?)",
                                     max_alias_bytes >> 20));
    }
    add(size, bytes, 0);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_tag(mark, tag, false);
    add(1, value.size(), anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    check_tag(mark, tag, true);
    open_.push_back({1, 0, anchor});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    check_tag(mark, tag, true);
    open_.push_back({1, 0, anchor});
  }
  void OnMapEnd() override { close(); }
  // Past the limit, or a value that contains itself.
  [[nodiscard]] bool too_large() const { return reported_; }

 private:
  struct Open {
    std::uint64_t size;
    std::uint64_t bytes;
    YAML::anchor_t anchor;
  };

  SourceLocation located(const YAML::Mark& mark) const {
    return {display_name_, static_cast<std::size_t>(mark.line) + 1, static_cast<std::size_t>(mark.column) + 1};
  }
  // Sizes saturate: past the limit only "too many" matters.
  void add(std::uint64_t size, std::uint64_t bytes, YAML::anchor_t anchor) {
    if (anchor != 0) {
      if (sizes_.size() <= anchor) sizes_.resize(anchor + 1, 1), bytes_.resize(anchor + 1, 0);
      sizes_[anchor] = size;
      bytes_[anchor] = bytes;
    }
    if (!open_.empty()) {
      open_.back().size = std::min(open_.back().size + size, max_alias_values + 1);
      open_.back().bytes = std::min(open_.back().bytes + bytes, max_alias_bytes + 1);
    }
  }
  void close() {
    if (open_.empty()) return;
    const Open done = open_.back();
    open_.pop_back();
    add(done.size, done.bytes, done.anchor);
  }
  // Tags the readers honour: !!str makes a scalar text (as quotes do); the other core tags say what YAML infers
  // anyway. Any other tag would be silently ignored, so it is refused.
  void check_tag(const YAML::Mark& mark, const std::string& tag, bool collection) {
    if (tag.empty() || tag == "?" || tag == "!") return;
    static constexpr std::array<std::string_view, 5> scalar_tags = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int",
                                                                    "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                                                                    "tag:yaml.org,2002:null"};
    static constexpr std::array<std::string_view, 2> collection_tags = {"tag:yaml.org,2002:seq",
                                                                        "tag:yaml.org,2002:map"};
    const auto allowed = collection ? std::span<const std::string_view>(collection_tags)
                                    : std::span<const std::string_view>(scalar_tags);
    if (std::find(allowed.begin(), allowed.end(), tag) != allowed.end()) return;
    std::string shown_tag = tag.rfind("tag:yaml.org,2002:", 0) == 0 ? "!!" + tag.substr(18) : tag;
    diagnostics_.error(located(mark), fmt::format("the YAML tag '{}' is not supported here (Haven reads !!str, "
                                                  "!!int, !!float, !!bool and !!null; quote a value to make it text)",
                                                  clip(shown_tag)));
  }

  std::string display_name_;
  Diagnostics& diagnostics_;
  std::vector<Open> open_;
  std::vector<std::uint64_t> sizes_;  // expanded size of each anchored node, by anchor number
  std::vector<std::uint64_t> bytes_;  // the text of its scalars, in bytes, by anchor number
  std::uint64_t repeated_ = 0;        // values added by aliases so far
  std::uint64_t repeated_bytes_ = 0;  // bytes of text added by aliases so far
  bool reported_ = false;
};

}  // namespace

bool check_expansion(const std::string& text, const std::string& display_name, Diagnostics& diagnostics) {
  // Without an anchor there is no alias to expand, and without '!' no tag: the common case costs one scan.
  if (text.find_first_of("&!") == std::string::npos) return true;
  std::istringstream in(text);
  YAML::Parser parser(in);
  ExpansionCheck check(display_name, diagnostics);
  try {
    // Only the first document is read (as YAML::Load does); on some malformed input yaml-cpp's parser would go on
    // handing out empty documents for ever.
    parser.HandleNextDocument(check);
  } catch (const YAML::Exception&) {
    // Syntax errors are the parse's to report.
  }
  return !check.too_large();
}

namespace {

// Events read and dropped: how many documents a text holds is all that is asked.
class IgnoredEvents : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

bool goes_on_after_its_value(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  IgnoredEvents events;
  try {
    // Two documents at most: on some malformed input yaml-cpp would hand out empty ones for ever.
    return parser.HandleNextDocument(events) && parser.HandleNextDocument(events);
  } catch (const YAML::Exception&) {
    return false;  // a syntax error: the value's own parse reports it
  }
}

std::optional<YAML::Node> load_yaml_value(const std::string& text, const SourceLocation& origin,
                                          Diagnostics& diagnostics, std::string_view path) {
  Diagnostics own;
  const bool bounded = check_expansion(text, origin.file, own);
  for (const auto& d : own.all()) {
    diagnostics.error(origin, path.empty() ? d.message : fmt::format("{}: {}", path, d.message));
  }
  if (!bounded) return std::nullopt;
  // The hint for text YAML reads otherwise: the whole of it, double-quoted.
  const auto quoted = [&text] {
    YAML::Emitter emitter;
    emitter << YAML::DoubleQuoted << text;
    return clip(emitter.c_str());
  };
  if (goes_on_after_its_value(text)) {
    diagnostics.error(origin, fmt::format("{}{} goes on after its value: YAML reads the start alone and drops the "
                                          "rest; to give it all as text, quote it: {}",
                                          path.empty() ? "" : fmt::format("{}: ", path), clip(text), quoted()));
    return std::nullopt;
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // Text that starts with one of YAML's signs (@, `, %, a quote left open) is the usual case: the hint quotes it.
    diagnostics.error(origin, fmt::format("{}the value is not valid YAML: {}; if it is text, quote it: {}",
                                          path.empty() ? "" : fmt::format("{}: ", path), e.msg, quoted()));
  }
  return std::nullopt;
}

namespace {

// Whether `line` is a YAML document marker ("---" or "...") at the margin, alone or followed by a space.
bool is_document_marker(std::string_view line, std::string_view marker) {
  return line.substr(0, 3) == marker && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Where a second YAML document starts (its 1-based line) and the line of the "..." that ended the first one (0:
// a "---" began it), if the text holds one with something in it: YAML::Load reads the first document alone and
// would drop the rest without a word. A "---" before any content begins the first document; blank or comment
// lines, and an empty document after the first, are nothing; directives ("%YAML 1.2") stand before a "---".
// Markers stand at the margin, where nothing inside a document (a block or quoted scalar) may.
struct LaterDocument {
  std::size_t line = 0;
  std::size_t ended_at = 0;
};
std::optional<LaterDocument> later_document(std::string_view text) {
  bool content = false;  // the first document has begun: a "---" or something read
  std::size_t ended_at = 0;
  std::size_t second = 0;  // the "---" of a second document (empty so far)
  std::size_t number = 0;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = std::min(text.find('\n', begin), text.size());
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    ++number;
    if (is_document_marker(line, "...")) {
      if (ended_at == 0) ended_at = number;
      continue;
    }
    const bool starts = is_document_marker(line, "---");
    const std::string_view rest = starts ? line.substr(3) : line;
    const auto first = rest.find_first_not_of(" \t\r");
    const bool empty = first == std::string_view::npos || rest[first] == '#' || (!starts && rest[first] == '%');
    if (starts && !content && ended_at == 0) {
      content = true;
      continue;
    }
    if (starts && second == 0) second = number;
    if (empty) continue;
    if (second != 0) return LaterDocument{second, 0};
    if (ended_at != 0) return LaterDocument{number, ended_at};
    content = true;
  }
  return std::nullopt;
}

}  // namespace

std::optional<YAML::Node> parse_yaml(const std::string& text, const std::string& display_name, Diagnostics& diagnostics,
                                     std::string_view what) {
  if (!check_utf8(text, display_name, fmt::format("save {} as UTF-8", what), diagnostics)) return std::nullopt;
  try {
    YAML::Node root = YAML::Load(text);
    if (!check_expansion(text, display_name, diagnostics)) return std::nullopt;
    if (const auto later = later_document(text)) {
      diagnostics.error(
          {display_name, later->line, 1},
          later->ended_at == 0
              ? fmt::format("a second YAML document starts here, and {} is one document: only the first would be "
                            "read (remove this '---' line, or move what follows into the first document)",
                            what)
              : fmt::format("this follows the end of the YAML document ('...' at line {}) and would not be read "
                            "(remove that '...' line)",
                            later->ended_at));
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    const bool depth = e.msg == "bad file" || e.msg.find("depth") != std::string::npos;
    const std::size_t line = e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1;
    const std::size_t column = e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1;
    const auto tab = tab_in_indentation(text, line == 0 ? std::numeric_limits<std::size_t>::max() : line);
    if (depth) {
      diagnostics.error({display_name, line, column}, fmt::format("nesting is too deep to be {}", what));
    } else if (tab) {
      diagnostics.error(
          {display_name, tab->first, tab->second},
          fmt::format(
              "YAML syntax: tabs are not allowed for indentation; use spaces{}",
              tab->first == line ? std::string() : fmt::format(" (the parser stopped at line {}: {})", line, e.msg)));
    } else if (auto bracket = unclosed_bracket(text, line == 0 ? std::numeric_limits<std::size_t>::max() : line)) {
      diagnostics.error(
          {display_name, bracket->line, bracket->column},
          fmt::format("YAML syntax: this '{}' is never closed (a '{}' is missing; the parser stopped at line {}: {})",
                      bracket->bracket, bracket->bracket == '{' ? '}' : ']', line, e.msg));
    } else {
      diagnostics.error({display_name, line, column}, fmt::format("YAML syntax: {}", e.msg));
    }
  } catch (const std::exception& e) {
    diagnostics.error({display_name, 0, 0}, fmt::format("cannot read the YAML: {}", e.what()));
  }
  return std::nullopt;
}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  if (!key.empty() && key.front() == '[') return fmt::format("{}{}", parent, key);
  return fmt::format("{}.{}", parent, key);
}

namespace {

// A scalar made text by quotes or by an explicit !!str tag.
bool is_text_scalar(const YAML::Node& node) {
  return node.IsScalar() && (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str");
}

// How a scalar looks in a message: its text, shortened, quoted.
std::string shown(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  const std::string text = clip(node.Scalar());
  if (node.Tag() == "tag:yaml.org,2002:str") return fmt::format("the string !!str {}", text);
  return node.Tag() == "!" ? fmt::format("the string \"{}\"", text) : fmt::format("'{}'", text);
}

bool is_plain_scalar(const YAML::Node& node) {
  return node.IsScalar() && !is_text_scalar(node);
}

// Ranges whose bound is this large are open in practice: say "at least 0", not "between 0 and 1000000000000".
constexpr double open_bound = 1e9;

// 1000000, not 1e+06: bounds are read by people who type them.
std::string bound(double value) {
  if (value == std::floor(value) && std::abs(value) <= 9007199254740992.0) return fmt::format("{:.0f}", value);
  return fmt::format("{:g}", value);
}

}  // namespace

std::string out_of_range(double minimum, double maximum, double value, const std::string& shown_value) {
  if (maximum >= open_bound && value < minimum)
    return fmt::format("must be at least {}, got {}", bound(minimum), shown_value);
  if (minimum <= -open_bound && value > maximum)
    return fmt::format("must be at most {}, got {}", bound(maximum), shown_value);
  return fmt::format("must be between {} and {}, got {}", bound(minimum), bound(maximum), shown_value);
}

std::string first_given(std::size_t line) {
  return line > 0 ? fmt::format("first at line {}", line)
                  : std::string("the other given by --set, an overlay or an edit");
}

// Parses a number the way number() accepts it: '_' groups digits, a leading '+' is allowed.
std::optional<double> parse_number(std::string_view scalar) {
  if (!scalar.empty() && scalar.find_first_of("_+") == std::string_view::npos) {
    // The common case, without a copy (large tables read millions of numbers).
    double value = 0.0;
    const auto [stop, status] = std::from_chars(scalar.data(), scalar.data() + scalar.size(), value);
    if (status != std::errc() || stop != scalar.data() + scalar.size() || !std::isfinite(value)) return std::nullopt;
    return value;
  }
  std::string text;
  for (char c : scalar)
    if (c != '_') text.push_back(c);
  if (!text.empty() && text.front() == '+') text.erase(0, 1);
  double value = 0.0;
  const auto* begin = text.data();
  const auto* end = text.data() + text.size();
  const auto [stop, status] = std::from_chars(begin, end, value);
  if (text.empty() || status != std::errc() || stop != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string why_not_a_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return {};
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (text[i] < '0' || text[i] > '9') return {};
  }
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const unsigned month = static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2))));
  if (month < 1 || month > 12) return fmt::format(": there is no month {}", month);
  static constexpr std::array<std::string_view, 12> month_names = {"January",   "February", "March",    "April",
                                                                   "May",       "June",     "July",     "August",
                                                                   "September", "October",  "November", "December"};
  const auto last =
      std::chrono::year_month_day_last{std::chrono::year{year} / std::chrono::month{month} / std::chrono::last}.day();
  return fmt::format(": {} {} has {} days", month_names[month - 1], year, static_cast<unsigned>(last));
}

bool date_in_range(const Date& date) {
  return date.year() >= earliest_date.year() && date.year() <= latest_date.year();
}

std::string date_range_message(const Date& date) {
  return fmt::format(
      "{} is outside the dates Haven supports, {} to {} (the years xarray and numpy decode a time "
      "axis in)",
      format_iso_date(date), format_iso_date(earliest_date), format_iso_date(latest_date));
}

void YamlReader::record_empty_value(const YAML::Node& value, const YAML::Node& key) {
  // Only values read from the file: a null an edit put there (`--set KEY=~`) is blamed on the edit, not on the key.
  if (value.IsNull() && value.Scalar().empty() && !key.Mark().is_null() && !value.Mark().is_null())
    empty_values_.emplace_back(value, key);
}

SourceLocation YamlReader::where(const YAML::Node& node, std::string_view path) const {
  if (node.IsDefined() && node.IsNull()) {
    for (const auto& [value, key] : empty_values_) {
      if (value.is(node)) return where(key, path);
    }
  }
  if (node.IsDefined() && !node.Mark().is_null()) {
    return {file_, static_cast<std::size_t>(node.Mark().line) + 1, static_cast<std::size_t>(node.Mark().column) + 1};
  }
  if (table_origins_) {
    if (auto cell = table_origins_->find_scalar(node)) return *cell;
  }
  // Created by an edit (or from a table): blame the longest edited path that contains this one.
  std::string prefix(path);
  while (!prefix.empty()) {
    if (auto it = edit_origins_.find(prefix); it != edit_origins_.end()) return it->second;
    if (table_origins_) {
      if (auto written = table_origins_->find(prefix)) return *written;
    }
    const auto cut = prefix.find_last_of(".[");
    prefix = cut == std::string::npos ? std::string() : prefix.substr(0, cut);
  }
  if (auto it = edit_origins_.find(""); it != edit_origins_.end()) return it->second;  // an edited document's top
  return {file_, 0, 0};
}

void YamlReader::error(const YAML::Node& node, std::string_view path, const std::string& message) {
  diagnostics_.error(where(node, path), path.empty() ? message : fmt::format("{}: {}", path, message));
}

void YamlReader::error_at(const YAML::Node& node, std::string_view location_path, std::string_view path,
                          const std::string& message) {
  diagnostics_.error(where(node, location_path), path.empty() ? message : fmt::format("{}: {}", path, message));
}

void YamlReader::warning(const YAML::Node& node, std::string_view path, const std::string& message) {
  diagnostics_.warning(where(node, path), path.empty() ? message : fmt::format("{}: {}", path, message));
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, std::string_view path) {
  if (!node.IsScalar()) {
    error(node, path, fmt::format("expected text, got {}", shown(node)));
    return std::nullopt;
  }
  // An escaped NUL ("\0", "\u0000") would cut the text short in every file written from it.
  if (node.Scalar().find('\0') != std::string::npos) {
    error(node, path, "the text holds a NUL character (\\0); remove it");
    return std::nullopt;
  }
  return node.Scalar();
}

std::string number_text_hint(std::string_view text) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string_view body = text;
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) body.remove_prefix(1);
  const auto comma = body.find(',');
  if (comma != std::string_view::npos && body.find(',', comma + 1) == std::string_view::npos && comma > 0) {
    const auto whole = body.substr(0, comma), fraction = body.substr(comma + 1);
    // One comma, and not before a group of three digits: a decimal comma.
    if (!fraction.empty() && fraction.size() != 3 && std::all_of(whole.begin(), whole.end(), digit) &&
        std::all_of(fraction.begin(), fraction.end(), digit)) {
      std::string meant(text);
      meant[meant.find(',')] = '.';
      return fmt::format("; use '.' as the decimal mark ({})", meant);
    }
  }
  if (comma != std::string_view::npos) return std::string(comma_hint);
  // A space (or a no-break space, U+00A0, as pasted from a web page) between digits.
  for (const std::string_view space : {std::string_view(" "), std::string_view("\xc2\xa0")}) {
    const auto at = text.find(space);
    if (at != std::string_view::npos && at > 0 && digit(text[at - 1]) && at + space.size() < text.size() &&
        digit(text[at + space.size()])) {
      return fmt::format("; write numbers without spaces (10000 or 10_000){}",
                         space.size() > 1 ? "; that one is a no-break space (U+00A0)" : "");
    }
  }
  return {};
}

std::optional<double> YamlReader::number(const YAML::Node& node, std::string_view path) {
  const bool has_comma = node.IsScalar() && node.Scalar().find(',') != std::string::npos;
  if (!is_plain_scalar(node)) {
    // A quoted number is text to YAML; say how to fix it rather than only what is wrong.
    std::string hint;
    if (node.IsScalar() && has_comma) {
      hint = number_text_hint(node.Scalar());
    } else if (node.IsScalar() && parse_number(node.Scalar())) {
      hint = node.Tag() == "!" ? "; remove the quotes" : "; remove the !!str tag";
    }
    error(node, path, fmt::format("expected a number, got {}{}", shown(node), hint));
    return std::nullopt;
  }
  // Underscores group digits (3_000_000), as YAML 1.1 allows; commas are a common slip and get a hint.
  auto value = parse_number(node.Scalar());
  if (!value) {
    error(node, path, fmt::format("expected a number, got {}{}", shown(node), number_text_hint(node.Scalar())));
    return std::nullopt;
  }
  return value;
}

std::optional<double> YamlReader::number_in(const YAML::Node& node, std::string_view path, double minimum,
                                            double maximum) {
  auto value = number(node, path);
  if (!value) return std::nullopt;
  if (*value < minimum || *value > maximum) {
    error(node, path, out_of_range(minimum, maximum, *value, fmt::format("{}", *value)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> YamlReader::whole_number(const YAML::Node& node, std::string_view path,
                                                     std::int64_t minimum, std::int64_t maximum) {
  auto value = number(node, path);
  if (!value) return std::nullopt;
  if (*value != std::floor(*value)) {
    error(node, path, fmt::format("expected a whole number, got {}", shown(node)));
    return std::nullopt;
  }
  // 2^53 bounds the integers a double holds exactly.
  constexpr double exact_limit = 9007199254740992.0;
  const double low = std::max(static_cast<double>(minimum), -exact_limit);
  const double high = std::min(static_cast<double>(maximum), exact_limit);
  if (*value < low || *value > high) {
    error(node, path, out_of_range(low, high, *value, clip(node.Scalar())));
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*value);
}

std::optional<std::uint64_t> YamlReader::seed(const YAML::Node& node, std::string_view path) {
  if (node.IsScalar()) {
    if (auto exact = parse_seed(node.Scalar())) return exact;
    if (is_plain_scalar(node)) {
      constexpr double exact_limit = 9007199254740992.0;  // 2^53
      if (auto value = parse_number(node.Scalar());
          value && *value >= 0.0 && *value <= exact_limit && *value == std::floor(*value)) {
        return static_cast<std::uint64_t>(*value);
      }
    }
  }
  error(node, path, fmt::format("expected a seed ({}), got {}", seed_forms, shown(node)));
  return std::nullopt;
}

std::optional<double> YamlReader::switch_value(const YAML::Node& node, std::string_view path) {
  if (is_plain_scalar(node)) {
    if (node.Scalar() == "true") return 1.0;
    if (node.Scalar() == "false") return 0.0;
    if (auto value = parse_number(node.Scalar()); value && (*value == 0.0 || *value == 1.0)) return value;
  }
  error(node, path, fmt::format("a switch: expected 0 or 1 (or false or true), got {}", shown(node)));
  return std::nullopt;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, std::string_view path) {
  if (is_plain_scalar(node)) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  error(node, path, fmt::format("expected true or false, got {}", shown(node)));
  return std::nullopt;
}

std::optional<Date> YamlReader::date(const YAML::Node& node, std::string_view path) {
  if (node.IsScalar()) {
    if (auto parsed = parse_iso_date(node.Scalar())) {
      if (!date_in_range(*parsed)) {
        error(node, path, date_range_message(*parsed));
        return std::nullopt;
      }
      return parsed;
    }
    if (auto why = why_not_a_date(node.Scalar()); !why.empty()) {
      error(node, path, fmt::format("{} is not a calendar date{}", clip(node.Scalar()), why));
      return std::nullopt;
    }
  }
  error(node, path, fmt::format("expected a date as YYYY-MM-DD, got {}", shown(node)));
  return std::nullopt;
}

std::optional<std::string> YamlReader::identifier(const YAML::Node& node, std::string_view path) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  bool ok = !text->empty() && text->size() <= 64 && is_letter(text->front());
  for (char c : *text) ok = ok && (is_letter(c) || (c >= '0' && c <= '9') || c == '_');
  if (!ok) {
    error(node, path,
          fmt::format("'{}' is not a valid id: use a letter then letters, digits or '_' (at most 64)", clip(*text)));
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> YamlReader::choice(const YAML::Node& node, std::string_view path,
                                              std::span<const std::string_view> allowed, std::string_view hint) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  for (auto option : allowed) {
    if (option == *text) return text;
  }
  error(node, path,
        fmt::format("unknown value '{}' (expected {}){}", clip(*text), quoted_list(allowed),
                    hint.empty() ? did_you_mean(*text, allowed) : std::string(hint)));
  return std::nullopt;
}

bool YamlReader::expect_sequence(const YAML::Node& node, std::string_view path) {
  if (node.IsSequence()) return true;
  error(node, path,
        fmt::format("expected a list, got {}{}", shown(node),
                    node.IsMap() ? " (start each item with '- ', or write [a, b])" : ""));
  return false;
}

namespace {

// The allowed key an unknown one was probably meant to be: a typo, or a key without its unit suffix ('radius' for
// 'radius_km', 'duration' for 'duration_days').
std::optional<std::string> meant_key(const std::string& name, std::span<const std::string_view> allowed) {
  if (auto match = closest_match(name, allowed)) return match;
  // Other tools' names for coordinates, too far from ours for an edit distance.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> synonyms = {
      {{"lng", "lon"}, {"long", "lon"}, {"longitude", "lon"}, {"latitude", "lat"}, {"radius", "radius_km"}}};
  for (const auto& [other, ours] : synonyms) {
    if (name == other && std::find(allowed.begin(), allowed.end(), ours) != allowed.end()) return std::string(ours);
  }
  for (auto option : allowed) {
    if (option.size() > name.size() + 1 && option.substr(0, name.size()) == name && option[name.size()] == '_') {
      return std::string(option);
    }
  }
  return std::nullopt;
}

std::string key_hint(const std::string& name, std::span<const std::string_view> allowed, std::string_view fallback) {
  if (auto match = meant_key(name, allowed)) return fmt::format("; did you mean '{}'?", *match);
  if (!fallback.empty()) return std::string(fallback);
  if (allowed.size() <= 16) return fmt::format(" (expected {})", quoted_list(allowed));
  return {};
}

}  // namespace

MapReader::MapReader(YamlReader& reader, const YAML::Node& node, std::string path,
                     std::span<const std::string_view> allowed, std::string_view unknown_key_hint)
    : reader_(reader), node_(node), path_(std::move(path)) {
  if (!node.IsMap()) {
    reader_.error(node, path_, fmt::format("expected a mapping (key: value lines), got {}", shown(node)));
    return;
  }
  valid_ = true;
  bool comma_reported = false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      reader_.error(key, path_, "keys must be plain names");
      continue;
    }
    const std::string& name = key.Scalar();
    reader_.record_empty_value(value, key);
    bool known = false;
    for (auto option : allowed) known = known || option == name;
    if (!known) {
      // `{population: 3,000,000}`: inside braces the commas split the number into keys '000' with no value.
      const bool digits =
          !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (digits && value.IsNull()) {
        if (!comma_reported) {
          reader_.error_at(
              key, join_path(path_, name), path_,
              fmt::format("unknown key '{}': inside {{...}} a comma separates entries{}", clip(name), comma_hint));
        }
        comma_reported = true;
        continue;
      }
      // `{kind:town}`: without a space after the colon, YAML reads one key 'kind:town' with no value.
      if (const auto colon = name.find(':'); colon != std::string::npos && colon > 0 && value.IsNull()) {
        near_misses_.push_back(name.substr(0, colon));
        reader_.error_at(key, join_path(path_, name), path_,
                         fmt::format("unknown key '{}': put a space after the colon ('{}: {}')", clip(name),
                                     clip(name.substr(0, colon)), clip(name.substr(colon + 1))));
        continue;
      }
      if (auto meant = meant_key(name, allowed)) near_misses_.push_back(*meant);
      reader_.error_at(key, join_path(path_, name), path_,
                       fmt::format("unknown key '{}'{}", clip(name), key_hint(name, allowed, unknown_key_hint)));
      continue;
    }
    bool duplicate = false;
    for (const auto& [seen, first_value] : entries_) {
      if (seen == name) {
        const auto first = reader_.where(first_value, join_path(path_, name));
        reader_.error_at(key, join_path(path_, name), path_,
                         first.line > 0 ? fmt::format("duplicate key '{}' (first given at line {})", name, first.line)
                                        : fmt::format("duplicate key '{}'", name));
        duplicate = true;
        break;
      }
    }
    if (!duplicate) entries_.emplace_back(name, value);
  }
}

YAML::Node MapReader::get(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return value;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node MapReader::require(std::string_view key) {
  auto value = get(key);
  if (valid_ && !value.IsDefined() && !near_miss(key)) {
    reader_.error(node_, path_, fmt::format("missing required key '{}'", key));
  }
  return value;
}

bool MapReader::near_miss(std::string_view key) const {
  return std::find(near_misses_.begin(), near_misses_.end(), key) != near_misses_.end();
}

bool MapReader::exclusive(std::string_view first, std::string_view second) {
  if (has(first) && has(second)) {
    reader_.error(get(second), path_, fmt::format("give either '{}' or '{}', not both", first, second));
    return false;
  }
  return true;
}

std::string capacity_word_message(std::string_view word) {
  std::string lower(word);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("expected a number of people or 'unlimited', got '{}'{}", word,
                     lower == "unlimited" ? "; write it 'unlimited', in lower case" : "");
}

FileKind file_kind_of(const YAML::Node& root) {
  if (!root.IsMap()) return FileKind::other;
  bool has_scenario = false, has_nodes = false, sweep = false, suite = false, design_or_cases = false;
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) continue;
    const auto& key = entry.first.Scalar();
    has_scenario = has_scenario || key == "scenario";
    has_nodes = has_nodes || key == "nodes";
    sweep = sweep || key == "sweep";
    suite = suite || key == "suite";
    design_or_cases = design_or_cases || key == "design" || key == "cases";
  }
  // 'scenario:' beside 'design:' or 'cases:' is a sweep file or suite that lost its top level, not a scenario.
  const bool scenario = has_nodes || (has_scenario && !design_or_cases);
  // A sweep file also has a 'scenario' key, in its sweep section, never at the top: one with both is misspelt.
  if (scenario + sweep + suite != 1) return FileKind::other;
  return scenario ? FileKind::scenario : sweep ? FileKind::sweep : FileKind::suite;
}

std::string wrong_kind_of_file(const YAML::Node& root, FileKind wanted, const std::string& file) {
  const FileKind kind = file_kind_of(root);
  if (kind == wanted || kind == FileKind::other) return {};
  std::vector<std::string> present;  // what makes it a scenario, as it is there
  for (const char* key : {"scenario", "nodes"})
    if (root[key]) present.push_back(fmt::format("'{}:'", key));
  const std::string has_what = fmt::format("{}", fmt::join(present, " and "));
  const char* wanted_name = wanted == FileKind::scenario ? "a scenario"
                            : wanted == FileKind::sweep  ? "a sweep file"
                                                         : "a validation suite";
  switch (kind) {
    case FileKind::sweep:
      return fmt::format(
          "this reads as a sweep file (it has 'sweep:'), not {}: run it with haven sweep {} ('--list' "
          "shows its members first)",
          wanted_name, file);
    case FileKind::suite:
      return fmt::format(
          "this reads as a validation suite (it has 'suite:'), not {}: run it with haven validate "
          "--suite {} (or fit to it with haven calibrate --suite {} --param ...)",
          wanted_name, file, file);
    case FileKind::scenario:
      return fmt::format("this reads as a scenario (it has {}), not {}: {}", has_what, wanted_name,
                         wanted == FileKind::sweep
                             ? "a sweep file names its scenario and what varies ('sweep: {name: ..., scenario: "
                               "FILE}' and 'design:', docs/sweeps.md)"
                             : fmt::format("validate it alone with haven validate {}, or name it as a case of a "
                                           "suite ('cases:', docs/validation.md)",
                                           file));
    case FileKind::other:
      break;
  }
  return {};
}

bool refused_as_other_kind(YamlReader& reader, const YAML::Node& root, FileKind wanted) {
  const std::string wrong = wrong_kind_of_file(root, wanted, reader.file());
  if (!wrong.empty()) reader.error(root, "", wrong);
  return !wrong.empty();
}

}  // namespace haven::detail
