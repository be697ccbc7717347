#include "item_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "haven/scenario/scenario.hpp"
#include "yaml_reader.hpp"

namespace haven::detail {

bool is_plain_id(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string explicit_id(const YAML::Node& item) {
  if (!item.IsMap()) return {};
  for (auto it = item.begin(); it != item.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "id") return it->second.IsScalar() ? it->second.Scalar() : "";
  }
  return {};
}

std::string scalar_at(const YAML::Node& item, std::string_view key) {
  if (!item.IsMap()) return {};
  for (auto it = item.begin(); it != item.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key && it->second.IsScalar()) return it->second.Scalar();
  }
  return {};
}

bool same_letters(std::string_view a, std::string_view b) {
  auto letters = [](std::string_view text) {
    std::string out;
    for (char c : text)
      if (c != ' ' && c != '-' && c != '_')
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
  };
  return letters(a) == letters(b);
}

std::vector<std::string> item_ids(std::string_view section, const YAML::Node& list) {
  std::vector<std::string> ids;
  std::map<std::string, int, std::less<>> per_kind;
  for (std::size_t k = 0; k < list.size(); ++k) {
    const YAML::Node item = list[k];
    std::string id = explicit_id(item);
    if (section == "corridors" && id.empty() && !scalar_at(item, "from").empty() && !scalar_at(item, "to").empty()) {
      id = scalar_at(item, "from") + "-" + scalar_at(item, "to");
    }
    if (section == "events") {
      const std::string kind = scalar_at(item, "kind");
      if (std::find(event_kind_names.begin(), event_kind_names.end(), kind) != event_kind_names.end()) {
        const int n = ++per_kind[kind];
        const bool has_id = item.IsMap() && item["id"].IsDefined();
        if (id.empty() && !has_id) id = fmt::format("{}_{}", kind, n);
      }
    }
    ids.push_back(id);
  }
  return ids;
}

std::string item_path(std::string_view section, const YAML::Node& item, std::size_t index) {
  if (const std::string id = explicit_id(item); is_plain_id(id) && id.size() <= 64) return join_path(section, id);
  return fmt::format("{}[{}]", section, index);
}

}  // namespace haven::detail
