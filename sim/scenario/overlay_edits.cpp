#include "overlay_edits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "haven/scenario/load.hpp"
#include "haven/util/text.hpp"
#include "item_names.hpp"
#include "tables.hpp"

namespace haven {
namespace detail {

YAML::Node unmarked_copy(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      YAML::Node copy(node.Scalar());
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") copy.SetTag(node.Tag());  // text stays text
      return copy;
    }
    case YAML::NodeType::Sequence: {
      YAML::Node copy(YAML::NodeType::Sequence);
      for (const auto& item : node) copy.push_back(unmarked_copy(item));
      return copy;
    }
    case YAML::NodeType::Map: {
      YAML::Node copy(YAML::NodeType::Map);
      for (auto it = node.begin(); it != node.end(); ++it) copy[it->first.Scalar()] = unmarked_copy(it->second);
      return copy;
    }
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

YAML::Node TreeCopier::detached(const YAML::Node& node) {
  if (node.IsMap()) {
    YAML::Node copy = fresh(YAML::NodeType::Map);
    // force_insert keeps duplicate keys (the decoder reports them) and the key nodes themselves (their positions).
    for (auto it = node.begin(); it != node.end(); ++it) copy.force_insert(it->first, YAML::Node(YAML::NodeType::Null));
    auto source = node.begin();
    for (auto it = copy.begin(); it != copy.end(); ++it, ++source) {
      YAML::Node slot = it->second;
      slot = source->second;  // the copy's own entry now refers to the original value
    }
    return copy;
  }
  if (node.IsSequence()) {
    YAML::Node copy = fresh(YAML::NodeType::Sequence);
    std::size_t k = 0;
    for (const auto& item : node) {
      copy.push_back(YAML::Node(YAML::NodeType::Null));
      YAML::Node slot = copy[k++];
      slot = static_cast<const YAML::Node&>(item);
    }
    return copy;
  }
  return node;
}

YAML::Node TreeCopier::fresh(YAML::NodeType::value type) {
  pool_.push_back(YAML::Node(type));
  return pool_[pool_.size() - 1];
}

namespace {

// "a.b[2].c" -> {"a", "b", "2", "c"}: list items by index may be written `name[2]` or `name.2`, as messages show
// them. nullopt when a part is empty ("a..b", "a.", "b[]").
std::optional<std::vector<std::string>> split_path(std::string_view path) {
  if (path.empty()) return std::nullopt;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = path.find_first_of(".[", start);
    if (end == start) return std::nullopt;
    parts.emplace_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    while (end != std::string_view::npos && path[end] == '[') {
      const auto close = path.find(']', end);
      if (close == std::string_view::npos || close == end + 1) return std::nullopt;
      parts.emplace_back(path.substr(end + 1, close - end - 1));
      end = close + 1;
      if (end == path.size()) return parts;
      if (path[end] != '.' && path[end] != '[') return std::nullopt;
    }
    if (end == std::string_view::npos) return parts;
    start = end + 1;  // past the '.'
    if (start == path.size()) return std::nullopt;
  }
}

// The parts of an edit's value located in their own file, under every path the decoder may name them by: list
// items by index, and a section's items (`section` non-empty: the value replaces a whole section) by id too.
void record_value_origins(YamlReader& reader, const std::vector<std::string>& aliases, const std::string& section,
                          const YAML::Node& value, std::span<const std::pair<std::string, SourceLocation>> origins) {
  if (origins.empty()) return;
  std::vector<std::string> ids =
      !section.empty() && value.IsSequence() ? item_ids(section, value) : std::vector<std::string>();
  // An id given twice names two items: the decoder's messages by that id cannot tell which, so they stay at the
  // list's key (the duplicate itself is an error the decoder reports).
  std::map<std::string, int> uses;
  for (const auto& id : ids) ++uses[id];
  for (auto& id : ids) {
    if (uses[id] > 1) id.clear();
  }
  for (const auto& [below, where] : origins) {
    for (const auto& alias : aliases) {
      reader.record_edit_origin(join_path(alias, below), where);
      // "[3].points[0]" is also "<id of item 3>.points[0]".
      if (ids.empty() || below.empty() || below.front() != '[') continue;
      const auto close = below.find(']');
      if (close == std::string::npos) continue;
      std::size_t index = 0;
      const auto digits = std::from_chars(below.data() + 1, below.data() + close, index);
      if (digits.ec != std::errc() || index >= ids.size() || ids[index].empty()) continue;
      std::string_view rest = std::string_view(below).substr(close + 1);
      if (rest.starts_with('.')) rest.remove_prefix(1);
      const std::string item = join_path(alias, ids[index]);
      reader.record_edit_origin(rest.empty() ? item : join_path(item, rest), where);
    }
  }
}

// The same YAML: scalars by their text, maps by their keys and values, sequences item by item.
bool same_yaml(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (!same_yaml(a[k], b[k])) return false;
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& entry : a) {
      const YAML::Node other = b[entry.first.Scalar()];
      if (!other.IsDefined() || !same_yaml(entry.second, other)) return false;
    }
    return true;
  }
  return a.IsNull() == b.IsNull();
}

// Whether `given` is the item `old` is, as it is there: also when `given` spells out the id `old` has by default
// (haven serve writes every item with its id; a scenario may leave an event to its default one, bombardment_1).
bool same_item(const YAML::Node& old, const YAML::Node& given, const std::string& old_id) {
  if (same_yaml(old, given)) return true;
  if (!old.IsMap() || !given.IsMap() || old["id"] || given.size() != old.size() + 1) return false;
  const YAML::Node id = given["id"];
  if (!id || !id.IsScalar() || id.Scalar() != old_id) return false;
  for (const auto& entry : old) {
    const YAML::Node other = given[entry.first.Scalar()];
    if (!other || !same_yaml(entry.second, other)) return false;
  }
  return true;
}

// Whether `given` is `old` with items left out and new ones added, and nothing else: every item given with an id of
// the old list is that item as it is there, in the old list's order, and one at least is kept. That list switches
// items off on purpose (as haven serve's overlay writes it), where one that changes an item, or gives only new
// ones, and loses the rest is the mistake the warning is for.
bool only_leaves_out(const std::string& section, const YAML::Node& old, const YAML::Node& given) {
  const auto old_ids = item_ids(section, old);
  const auto given_ids = item_ids(section, given);
  std::size_t at = 0;
  std::size_t kept = 0;
  for (std::size_t k = 0; k < given.size(); ++k) {
    if (given_ids[k].empty()) return false;
    if (std::find(old_ids.begin(), old_ids.end(), given_ids[k]) == old_ids.end()) continue;  // added
    while (at < old.size() && old_ids[at] != given_ids[k]) ++at;
    if (at == old.size() || !same_item(old[at], given[k], old_ids[at])) return false;
    ++at;
    ++kept;
  }
  return kept > 0;
}

}  // namespace

void apply_path_edit(YamlReader& reader, TreeCopier& copier, YAML::Node root, const std::string& path,
                     const YAML::Node& value, const SourceLocation& origin, bool items_by_id_only,
                     bool replaces_whole_lists, std::span<const std::pair<std::string, SourceLocation>> value_origins) {
  const auto parts = split_path(path);
  if (!parts) {
    reader.diagnostics().error(origin, fmt::format("'{}' is not a key path (use names joined by '.')", clip(path)));
    return;
  }
  // The variant named is applied before any --set or overlay, and the others are not applied at all: an edit of a
  // variant would change nothing, silently.
  if (parts->front() == "variants") {
    reader.diagnostics().error(
        origin, fmt::format("{}: variants are applied before --set and overlays, so an edit of one changes nothing; "
                            "give the change itself (e.g. --variant NAME --set events.ID.day=59), or edit the file",
                            clip(path)));
    return;
  }
  YAML::Node current = root;
  std::string walked;
  // The innermost list item on the path: an edit may change the id it goes by (its `id`, or a corridor's `from`
  // or `to`), and messages name it by that new id.
  struct Item {
    YAML::Node list;
    std::size_t index;
    std::string section;
    std::vector<std::string> list_aliases;
    std::size_t next_part;  // the first part of the path below the item
  };
  std::optional<Item> item;
  // Every path under which the decoder may name the node reached so far (a list item goes by its id, its default
  // id and its index), so that problems with the new value are blamed on `origin`.
  std::vector<std::string> aliases = {""};
  auto record = [&](const std::vector<std::string>& at) {
    for (const auto& alias : at) reader.record_edit_origin(alias, origin);
  };
  for (std::size_t i = 0; i < parts->size(); ++i) {
    const std::string& part = (*parts)[i];
    const bool last = i + 1 == parts->size();
    const std::string here = join_path(walked, part);
    std::vector<std::string> next_aliases;
    if (current.IsMap()) {
      for (const auto& alias : aliases) next_aliases.push_back(join_path(alias, part));
      if (last) {
        record(next_aliases);
        record_value_origins(reader, next_aliases, walked.empty() ? part : std::string(), value, value_origins);
        // An event starts on its `day` or its `date` and ends with its `until` or its `duration_days`, one of each
        // pair: setting one replaces the other (an imported Flee event has a `day`; the page sets a `date`).
        if (item && item->section == "events" && i == item->next_part) {
          static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> replaces = {
              {{"day", "date"}, {"date", "day"}, {"until", "duration_days"}, {"duration_days", "until"}}};
          for (const auto& [set, other] : replaces) {
            if (part == set) current.remove(std::string(other));
          }
        }
        // A whole section of items (events, nodes, corridors, ...) replaced by the items an overlay gives, written
        // like the part of the scenario it changes: easily meant as "add this event", and then every other event is
        // gone, unsaid. The warning names the items left out; a list that keeps every item (by id), or an empty
        // list (the section cleared on purpose), or one that leaves items out and keeps the others as they are
        // (items switched off, and perhaps some added: haven serve's overlay), says nothing.
        if (const YAML::Node old = current[part]; !replaces_whole_lists && walked.empty() && old.IsSequence() &&
                                                  old.size() > 0 && old[0].IsMap() && value.IsSequence() &&
                                                  value.size() > 0) {
          const auto kept = item_ids(part, value);
          std::vector<std::string> left_out, put_back;
          for (const auto& id : item_ids(part, old)) {
            if (!id.empty() && std::find(kept.begin(), kept.end(), id) == kept.end()) left_out.push_back(id);
          }
          // Under a variant: the events its remove_events took out, which the list brings back.
          if (part == "events") {
            for (const auto& id : kept) {
              if (reader.removed_by_variant().count(id)) put_back.push_back(id);
            }
          }
          const auto named = [](std::vector<std::string> ids) {
            for (auto& id : ids) id = clip(id);
            return first_names(ids, 5);
          };
          std::vector<std::string> said;
          if (!left_out.empty() && !only_leaves_out(part, old, value)) {
            said.push_back(fmt::format("leaves out {} of its {} ({})",
                                       left_out.size() == old.size() ? "all" : std::to_string(left_out.size()),
                                       old.size(), named(left_out)));
          }
          if (!put_back.empty()) {
            said.push_back(fmt::format("puts back {} the variant removes ({})", put_back.size(), named(put_back)));
          }
          if (!said.empty()) {
            reader.diagnostics().warning(
                origin, fmt::format("{}: the list given replaces the scenario's '{}' and {}; to change one, set its "
                                    "keys ({}.ID.KEY){}",
                                    path, part, fmt::join(said, " and "), part,
                                    part == "events" ? ", and to add events, use a variant's add_events" : ""));
          }
        }
        current[part] = value;
        if (item) {
          const std::string new_id = item_ids(item->section, item->list)[item->index];
          std::string below;
          for (std::size_t k = item->next_part; k < parts->size(); ++k) below = join_path(below, (*parts)[k]);
          for (const auto& list : item->list_aliases) {
            if (!new_id.empty()) reader.record_edit_origin(join_path(join_path(list, new_id), below), origin);
          }
        }
        return;
      }
      YAML::Node next;
      bool found = false;
      std::vector<std::string> keys;
      for (auto it = current.begin(); it != current.end(); ++it) {
        keys.push_back(it->first.Scalar());
        if (!found && it->first.Scalar() == part) {
          next = it->second;
          found = true;
        }
      }
      if (!found) {
        // Missing sections are created so that `--set parameters.x=1` works on a file without `parameters:`.
        if ((walked == "nodes" || walked == "corridors") && detail::is_table_section(current)) {
          reader.diagnostics().error(
              origin, fmt::format("{}: '{}' comes from a table ({}); an edit cannot reach its rows: change the "
                                  "table, or give '{}' as a YAML list",
                                  path, walked, clip(scalar_at(current, "csv")), walked));
          return;
        }
        if (walked.empty() && (part == "parameters" || part == "outputs")) {
          current[part] = YAML::Node(YAML::NodeType::Map);
          next.reset(current[part]);  // reset, not =: assignment would rewrite the original node
          record(next_aliases);
        } else {
          reader.diagnostics().error(
              origin, fmt::format("{}: no key '{}' to set{}", path, part, did_you_mean(part, std::span(keys))));
          return;
        }
      } else if (next.IsMap() || next.IsSequence()) {
        // Edited below: a copy of this level, found where the original is.
        const SourceLocation at = reader.where(next, here);
        for (const auto& alias : next_aliases) reader.record_edit_origin(alias, at);
        current[part] = copier.detached(next);
        next.reset(current[part]);  // reset, not =: assignment would rewrite the original node
      }
      current.reset(next);
    } else if (current.IsSequence()) {
      const auto ids = item_ids(walked, current);
      std::optional<std::size_t> index;
      for (std::size_t k = 0; k < ids.size() && !index; ++k) {
        if (ids[k] == part) index = k;
      }
      if (!index && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          part.size() < 9 && std::stoul(part) < current.size()) {
        index = std::stoul(part);
      }
      if (!index) {
        std::vector<std::string> known;
        for (const auto& id : ids)
          if (!id.empty()) known.push_back(id);
        std::string hint;
        for (std::size_t k = 0; k < ids.size() && hint.empty(); ++k) {
          const std::string name = scalar_at(current[k], "name");
          if (!ids[k].empty() && !name.empty() && same_letters(name, part))
            hint = fmt::format("; did you mean '{}'? ('{}' is its name; items are named by id)", ids[k], name);
        }
        if (hint.empty()) hint = did_you_mean(part, std::span(known));
        if (hint.empty() && items_by_id_only) {
          constexpr std::size_t listed = 12;
          hint = known.empty()
                     ? std::string(" (no item of it has an id)")
                     : fmt::format(
                           " (its ids: {}{})",
                           fmt::join(known.begin(),
                                     known.begin() + static_cast<std::ptrdiff_t>(std::min(known.size(), listed)), ", "),
                           known.size() > listed ? ", ..." : "");
        }
        if (hint.empty()) {
          hint = current.size() == 0
                     ? " (the list is empty)"
                     : fmt::format(" (name an item by its id or by an index from 0 to {})", current.size() - 1);
        }
        reader.diagnostics().error(origin, fmt::format("{}: '{}' names no item of '{}'{}", path, part, walked, hint));
        return;
      }
      YAML::Node next = current[*index];
      // emplace, never assign: assigning an Item assigns its YAML::Node, which rewrites the node it held.
      item.reset();
      item.emplace(Item{current, *index, walked, aliases, i + 1});
      for (const auto& alias : aliases) {
        next_aliases.push_back(fmt::format("{}[{}]", alias, *index));
        if (!ids[*index].empty()) next_aliases.push_back(join_path(alias, ids[*index]));
      }
      if (!last && (next.IsMap() || next.IsSequence())) {
        const SourceLocation at = reader.where(next, here);
        for (const auto& alias : next_aliases) reader.record_edit_origin(alias, at);
        current[*index] = copier.detached(next);
        next.reset(current[*index]);
      }
      if (last) {
        if (next.IsMap() || next.IsSequence()) {
          reader.diagnostics().error(origin,
                                     fmt::format("{}: cannot replace a whole list item; set one of its keys", path));
          return;
        }
        record(next_aliases);
        current[*index] = value;
        return;
      }
      current.reset(next);
    } else {
      reader.diagnostics().error(origin, fmt::format("{}: '{}' holds a value, not keys", path, walked));
      return;
    }
    walked = here;
    aliases = std::move(next_aliases);
  }
}

std::string record_edit(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return text;
  const std::string key = text.substr(0, eq);
  std::string value = text.substr(eq + 1);
  if (key == "variables" || key == "nodes") {
    if (value == "all") value.clear();
    std::string list = "[";
    std::size_t start = 0;
    while (!value.empty() && start <= value.size()) {
      const auto comma = value.find(',', start);
      const auto item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      list += (list.size() > 1 ? ", " : "") + item;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    value = list + "]";
  }
  return "outputs." + key + "=" + value;
}

}  // namespace detail

using detail::join_path;
using detail::YamlReader;

std::vector<Override> load_overlay_file(const std::filesystem::path& path, Diagnostics& diagnostics) {
  const std::string display_name = path.string();
  std::string text = detail::read_text_file(path, diagnostics, "an overlay file");
  if (diagnostics.has_errors()) return {};
  auto parsed = detail::parse_yaml(text, display_name, diagnostics, "an overlay");
  if (!parsed) return {};
  YamlReader reader(display_name, diagnostics);
  if (parsed->IsNull() || !parsed->IsDefined()) {
    diagnostics.error({display_name, 0, 0},
                      "the overlay is empty; it should map keys to values, e.g. "
                      "'parameters: {threat_kernel_km: 1.2}'");
    return {};
  }
  if (!parsed->IsMap()) {
    reader.error(*parsed, "",
                 "an overlay must be a mapping of keys to values, e.g. 'parameters: {threat_kernel_km: 1.2}'");
    return {};
  }
  std::vector<Override> edits;
  // Where a list's or mapping's parts are, by their path below the key (Override::value_origins); bounded, for a
  // value of many thousand parts (what is not recorded is blamed on the nearest part that is, or on its key).
  constexpr std::size_t max_located_parts = 20'000;
  std::size_t located_parts = 0;
  std::function<void(const YAML::Node&, const std::string&, std::vector<std::pair<std::string, SourceLocation>>&)>
      record_parts = [&](const YAML::Node& node, const std::string& below, auto& origins) {
        if (node.IsSequence()) {
          for (std::size_t i = 0; i < node.size() && located_parts < max_located_parts; ++i) {
            const std::string here = fmt::format("{}[{}]", below, i);
            origins.emplace_back(here, reader.where(node[i], here));
            ++located_parts;
            record_parts(node[i], here, origins);
          }
        } else if (node.IsMap()) {
          for (auto it = node.begin(); it != node.end() && located_parts < max_located_parts; ++it) {
            if (!it->first.IsScalar()) continue;
            const std::string here = join_path(below, it->first.Scalar());
            // A key's problems (unknown, duplicate) and its value's are told at the key, as in a scenario file.
            origins.emplace_back(here, reader.where(it->first, here));
            ++located_parts;
            record_parts(it->second, here, origins);
          }
        }
      };
  // Each key's first edit, by its full path: `parameters: {x: 1}` and `parameters.x: 2` name one key twice.
  std::map<std::string, SourceLocation> first_given;
  // Nested mappings are walked down to their leaves (scalars or lists); each leaf is one edit at its own key.
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& map,
                                                                        const std::string& prefix) {
    std::map<std::string, std::size_t> seen;  // key -> the line it was first given at
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        reader.error(it->first, prefix, "keys must be plain names");
        continue;
      }
      const std::string key = it->first.Scalar();
      const std::string path_here = join_path(prefix, key);
      if (key.empty()) {
        reader.error(it->first, prefix, "an empty key names nothing to set");
        continue;
      }
      const auto line = static_cast<std::size_t>(it->first.Mark().line + 1);
      if (const auto [first, fresh] = seen.emplace(key, line); !fresh) {
        reader.error(it->first, path_here,
                     fmt::format("duplicate key '{}' (first given at line {})", key, first->second));
        continue;
      }
      if (it->second.IsMap() && it->second.size() > 0) {
        walk(it->second, path_here);
        continue;
      }
      const SourceLocation here = reader.where(it->first, path_here);
      if (const auto [at, fresh] = first_given.emplace(path_here, here); !fresh) {
        reader.error(it->first, path_here,
                     fmt::format("'{}' is given twice (first at line {}): nested and dotted keys name the same value; "
                                 "keep one",
                                 path_here, at->second.line));
        continue;
      }
      YAML::Emitter emitter;
      emitter << YAML::Flow << it->second;
      Override edit{path_here, emitter.c_str(), here};
      record_parts(it->second, "", edit.value_origins);
      edits.push_back(std::move(edit));
    }
  };
  walk(*parsed, "");
  return edits;
}

}  // namespace haven
