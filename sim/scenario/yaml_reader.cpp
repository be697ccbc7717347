#include "yaml_reader.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "haven/util/text.hpp"

namespace haven::detail {

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  if (!key.empty() && key.front() == '[') return fmt::format("{}{}", parent, key);
  return fmt::format("{}.{}", parent, key);
}

namespace {

// How a scalar looks in a message: its text, shortened, quoted.
std::string shown(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  std::string text = node.Scalar();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  const bool quoted = node.Tag() == "!";
  return quoted ? fmt::format("the string \"{}\"", text) : fmt::format("'{}'", text);
}

bool is_plain_scalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() != "!";
}

}  // namespace

SourceLocation YamlReader::where(const YAML::Node& node, std::string_view path) const {
  if (node.IsDefined() && !node.Mark().is_null()) {
    return {file_, static_cast<std::size_t>(node.Mark().line) + 1, static_cast<std::size_t>(node.Mark().column) + 1};
  }
  // Created by an edit: blame the longest edited path that contains this one.
  std::string prefix(path);
  while (!prefix.empty()) {
    if (auto it = edit_origins_.find(prefix); it != edit_origins_.end()) return it->second;
    const auto cut = prefix.find_last_of(".[");
    prefix = cut == std::string::npos ? std::string() : prefix.substr(0, cut);
  }
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
  return node.Scalar();
}

std::optional<double> YamlReader::number(const YAML::Node& node, std::string_view path) {
  if (!is_plain_scalar(node)) {
    error(node, path, fmt::format("expected a number, got {}", shown(node)));
    return std::nullopt;
  }
  // Underscores group digits (3_000_000), as YAML 1.1 allows; commas are a common slip and get a hint.
  std::string text;
  for (char c : node.Scalar())
    if (c != '_') text.push_back(c);
  if (!text.empty() && text.front() == '+') text.erase(0, 1);
  double value = 0.0;
  const auto* begin = text.data();
  const auto* end = text.data() + text.size();
  const auto [stop, status] = std::from_chars(begin, end, value);
  if (text.empty() || status != std::errc() || stop != end || !std::isfinite(value)) {
    const bool has_comma = node.Scalar().find(',') != std::string::npos;
    error(node, path,
          fmt::format("expected a number, got {}{}", shown(node),
                      has_comma ? "; write large numbers without commas (3000000 or 3_000_000)" : ""));
    return std::nullopt;
  }
  return value;
}

std::optional<double> YamlReader::number_in(const YAML::Node& node, std::string_view path, double minimum,
                                            double maximum) {
  auto value = number(node, path);
  if (!value) return std::nullopt;
  if (*value < minimum || *value > maximum) {
    if (maximum == std::numeric_limits<double>::max()) {
      error(node, path, fmt::format("must be at least {:g}, got {:g}", minimum, *value));
    } else {
      error(node, path, fmt::format("must be between {:g} and {:g}, got {:g}", minimum, maximum, *value));
    }
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
    error(node, path, fmt::format("must be between {} and {}, got {}", minimum, maximum, node.Scalar()));
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*value);
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
    if (auto parsed = parse_iso_date(node.Scalar())) return parsed;
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
          fmt::format("'{}' is not a valid id: use a letter then letters, digits or '_' (at most 64)", *text));
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> YamlReader::choice(const YAML::Node& node, std::string_view path,
                                              std::span<const std::string_view> allowed) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  for (auto option : allowed) {
    if (option == *text) return text;
  }
  error(node, path,
        fmt::format("unknown value '{}' (expected {}){}", *text, quoted_list(allowed), did_you_mean(*text, allowed)));
  return std::nullopt;
}

bool YamlReader::expect_sequence(const YAML::Node& node, std::string_view path) {
  if (node.IsSequence()) return true;
  error(node, path, fmt::format("expected a list, got {}", shown(node)));
  return false;
}

MapReader::MapReader(YamlReader& reader, const YAML::Node& node, std::string path,
                     std::span<const std::string_view> allowed)
    : reader_(reader), node_(node), path_(std::move(path)) {
  if (!node.IsMap()) {
    reader_.error(node, path_, fmt::format("expected a mapping (key: value lines), got {}", shown(node)));
    return;
  }
  valid_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node& key = it->first;
    if (!key.IsScalar()) {
      reader_.error(key, path_, "keys must be plain names");
      continue;
    }
    const std::string& name = key.Scalar();
    bool known = false;
    for (auto option : allowed) known = known || option == name;
    if (!known) {
      reader_.error_at(key, join_path(path_, name), path_,
                       fmt::format("unknown key '{}'{}", name, did_you_mean(name, allowed)));
      continue;
    }
    bool duplicate = false;
    for (const auto& [seen, value] : entries_) {
      if (seen == name) {
        const auto first = reader_.where(value, join_path(path_, name));
        reader_.error_at(key, join_path(path_, name), path_,
                         first.line > 0 ? fmt::format("duplicate key '{}' (first given at line {})", name, first.line)
                                        : fmt::format("duplicate key '{}'", name));
        duplicate = true;
        break;
      }
    }
    if (!duplicate) entries_.emplace_back(name, it->second);
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
  if (valid_ && !value.IsDefined()) {
    reader_.error(node_, path_, fmt::format("missing required key '{}'", key));
  }
  return value;
}

bool MapReader::exclusive(std::string_view first, std::string_view second) {
  if (has(first) && has(second)) {
    reader_.error(get(second), path_, fmt::format("give either '{}' or '{}', not both", first, second));
    return false;
  }
  return true;
}

}  // namespace haven::detail
