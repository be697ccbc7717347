#include "haven/scenario/load.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "haven/util/text.hpp"
#include "item_names.hpp"
#include "overlay_edits.hpp"
#include "scenario_decoder.hpp"
#include "tables.hpp"
#include "yaml_reader.hpp"

namespace haven {

using detail::apply_path_edit;
using detail::explicit_id;
using detail::item_ids;
using detail::join_path;
using detail::record_edit;
using detail::ScenarioDecoder;
using detail::TreeCopier;
using detail::unmarked_copy;
using detail::YamlReader;

namespace {

// The resolved document of a scenario whose nodes or corridors came from tables: the other sections as they are
// (an events table is already a list), then the network as YAML lists, so that it loads alone into the same
// Scenario.
std::string resolved_with_tables(const YAML::Node& doc, const Scenario& scenario) {
  YAML::Node rest(YAML::NodeType::Map);
  bool nodes_table = false, corridors_table = false;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (key == "nodes" && detail::is_table_section(it->second)) {
      nodes_table = true;
    } else if (key == "corridors" && detail::is_table_section(it->second)) {
      corridors_table = true;
    } else {
      rest[key] = it->second;
    }
  }
  YAML::Emitter emitter;
  emitter << rest;
  std::string out = emitter.c_str();
  out += "\n";
  if (nodes_table) detail::append_nodes_as_yaml(scenario, out);
  if (corridors_table) detail::append_corridors_as_yaml(scenario, out);
  return out;
}

}  // namespace

namespace {
void load_root(const std::string& text, const std::string& display_name, const LoadOptions& options, YAML::Node root,
               LoadResult& result, YamlReader& reader);
}  // namespace

LoadResult load_scenario_text(const std::string& text, const std::string& display_name, const LoadOptions& options) {
  if (text.find('\r') != std::string::npos) {
    std::string normalized = text;
    if (detail::normalize_line_endings(normalized)) return load_scenario_text(normalized, display_name, options);
  }
  LoadResult result;
  YamlReader reader(display_name, result.diagnostics);
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    // A run file given where a scenario goes is the likeliest case: said, with what reads it.
    const bool hdf5 = text.starts_with("\x89HDF");  // the signature (its CR LF may have been normalised)
    result.diagnostics.error(
        {display_name, 0, 0},
        hdf5 ? std::string("an HDF5 file (a run file?), not a scenario: scenarios are YAML text; haven info FILE shows "
                           "a run file, and its scenario_yaml holds the scenario it ran")
             : fmt::format("not a text file (a NUL byte at offset {}); scenarios are YAML text", nul));
    return result;
  }
  auto parsed = detail::parse_yaml(text, display_name, result.diagnostics, "a scenario");
  if (!parsed) return result;
  load_root(text, display_name, options, *parsed, result, reader);
  result.table_files = reader.table_files();
  return result;
}

namespace {

// Everything after the parse: the variant and edits applied to copies (`root` itself is left as it was), decoded
// and checked into `result`.
void load_root(const std::string& text, const std::string& display_name, const LoadOptions& options, YAML::Node root,
               LoadResult& result, YamlReader& reader) {
  if (!root.IsDefined() || root.IsNull()) {
    // yaml-cpp reads some malformed text (a line starting with ',') as no value at all: name the first line that
    // holds anything but a comment rather than calling the file empty.
    std::size_t line = 0;
    std::size_t first_text_line = 0;
    std::istringstream lines(text);
    for (std::string content; first_text_line == 0 && std::getline(lines, content);) {
      ++line;
      if (line == 1 && content.starts_with("\xEF\xBB\xBF")) content.erase(0, 3);  // a byte-order mark is no text
      const auto start = content.find_first_not_of(" \t\r");
      if (start != std::string::npos && content[start] != '#' && content.compare(start, 3, "---") != 0) {
        first_text_line = line;
      }
    }
    if (first_text_line == 0) {
      result.diagnostics.error({display_name, 0, 0},
                               "the file is empty; a scenario needs at least 'scenario' and 'nodes'");
    } else {
      result.diagnostics.error({display_name, first_text_line, 1},
                               "no YAML value could be read from here on; this line does not start one (a stray "
                               "',' or ':'?); a scenario is a mapping with 'scenario', 'nodes', ...");
    }
    return;
  }
  if (!root.IsMap()) {
    reader.error(root, "", "a scenario file must be a mapping with 'scenario', 'nodes', ... at the top level");
    return;
  }

  try {
    // An events table becomes the list it stands for before anything edits the tree, so that variants and --set
    // reach its rows; the readers locate problems in it through the cells' key paths (tables.hpp).
    SourceLocation events_origin;
    std::shared_ptr<const detail::TableOrigins> table_origins;
    bool events_from_table = false;
    {
      YAML::Node events_section(YAML::NodeType::Undefined);
      for (auto it = root.begin(); it != root.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == "events") events_section.reset(it->second);
      }
      if (detail::is_table_section(events_section)) {
        events_from_table = true;
        events_origin = reader.where(events_section, "events");
        detail::EventTable events;
        if (auto table = detail::read_table_section(reader, events_section, "events", options.table_directory))
          events = detail::event_table_as_yaml(std::move(*table), result.diagnostics);
        table_origins = std::move(events.origins);
        root["events"] = events.list;
      }
    }
    auto adopt_table_origins = [&](YamlReader& r) {
      if (!events_from_table) return;
      r.record_edit_origin("events", events_origin);
      r.adopt_table_origins(table_origins);
    };
    adopt_table_origins(reader);

    Scenario scenario;
    // The variants' own problems are listed after the base's, as the file is read: base first.
    Diagnostics variant_shape_diagnostics;
    YamlReader shape_reader(display_name, variant_shape_diagnostics);
    ScenarioDecoder shapes(shape_reader, scenario);
    YAML::Node variants(YAML::NodeType::Undefined);
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "variants") variants.reset(it->second);
    }
    shapes.decode_variant_shapes(variants);

    // Overlay files first, then the located overrides (both after the variant, before --set).
    // An overlay that cannot be read stops here (the scenario it would edit is unknown); one with a bad key (given
    // twice, empty) goes on with its other keys, so that their problems are told too; a broken variant does not
    // stop either: its problems are reported with the base's and every other variant's, all at once.
    std::vector<Override> located_overrides;
    bool overlay_unread = false;
    for (const auto& overlay : options.set_files) {
      const std::size_t errors_before = result.diagnostics.error_count();
      auto edits = load_overlay_file(overlay, result.diagnostics);
      if (edits.empty() && result.diagnostics.error_count() > errors_before) overlay_unread = true;
      located_overrides.insert(located_overrides.end(), edits.begin(), edits.end());
    }
    if (overlay_unread) {
      result.diagnostics.append(variant_shape_diagnostics);
      return;
    }
    located_overrides.insert(located_overrides.end(), options.overrides.begin(), options.overrides.end());

    std::optional<TreeCopier> copier_storage;  // made on the first edit
    // Each resolution edits copies of what it changes (YAML::Clone would drop the source positions diagnostics need).
    auto resolve = [&](YamlReader& r, const std::string& variant_name, const std::vector<Override>& located,
                       const std::vector<std::string>& overrides,
                       const std::vector<std::string>& records) -> YAML::Node {
      // Without edits the first parse serves as is: a second parse of a 100,000-node file costs seconds and
      // doubles the peak memory.
      if (variant_name.empty() && located.empty() && overrides.empty() && records.empty()) return root;
      // Edits work on copies of the containers they change, sharing the rest with the first parse: a second parse
      // of a large file (and a full copy per variant) cost seconds and doubled the peak memory.
      if (!copier_storage) copier_storage.emplace(root);
      TreeCopier& copier = *copier_storage;
      r.record_edit_origin("", r.where(root, ""));
      YAML::Node doc = copier.detached(root);
      auto detach_section = [&](const char* section) {
        if (!doc[section].IsMap() && !doc[section].IsSequence()) return;
        r.record_edit_origin(section, r.where(doc[section], section));
        doc[section] = copier.detached(doc[section]);
      };
      if (!variant_name.empty()) {
        YAML::Node variant(YAML::NodeType::Undefined);
        for (auto it = variants.begin(); variants.IsMap() && it != variants.end(); ++it) {
          if (it->first.IsScalar() && it->first.Scalar() == variant_name) {
            variant.reset(it->second);  // not =, which merges whole documents' memory
            break;
          }
        }
        if (!variant.IsDefined()) {
          const bool named_in_file = !options.variant_origin.file.empty() && variant_name == options.variant;
          r.diagnostics().error(
              named_in_file ? options.variant_origin
                            : SourceLocation{fmt::format("command line (--variant {})", clip(variant_name)), 0, 0},
              fmt::format("no variant '{}' in {}{}", clip(variant_name), display_name, [&] {
                // The likely one, else every one (bounded): the name to type instead.
                const auto likely = did_you_mean(variant_name, std::span(scenario.variant_names));
                if (!likely.empty()) return likely;
                if (scenario.variant_names.empty()) return std::string(" (the file defines none)");
                return "; its variants: " + first_names(scenario.variant_names, 20);
              }()));
          return {};
        }
        if (!variant.IsMap()) return {};  // its shape is already reported
        const std::string vpath = join_path("variants", variant_name);
        if (auto remove = variant["remove_events"]; remove.IsSequence()) {
          YAML::Node kept(YAML::NodeType::Sequence);
          std::set<std::string> removed;
          for (const auto& id : remove) {
            if (id.IsScalar()) removed.insert(id.Scalar());
          }
          std::set<std::string> found;
          std::vector<std::string> all_ids;
          if (doc["events"].IsSequence()) {
            YAML::Node events = doc["events"];
            // Events without an `id` are named <kind>_<n>; kept ones keep that name, though the count changes.
            const auto ids = item_ids("events", events);
            r.record_edit_origin("events", r.where(events, "events"));
            for (std::size_t k = 0; k < events.size(); ++k) {
              YAML::Node event = events[k];
              if (!ids[k].empty()) all_ids.push_back(ids[k]);
              if (!ids[k].empty() && removed.count(ids[k])) {
                found.insert(ids[k]);
                continue;
              }
              if (!ids[k].empty() && explicit_id(event).empty()) {
                r.record_edit_origin(join_path("events", ids[k]), r.where(event, join_path("events", ids[k])));
                event.reset(copier.detached(event));  // the first parse stays as it was
                event["id"] = ids[k];
              }
              kept.push_back(event);
            }
          }
          for (std::size_t k = 0; k < remove.size(); ++k) {
            const YAML::Node id = remove[k];
            if (id.IsScalar() && !found.count(id.Scalar())) {
              r.error(
                  id, join_path(vpath, fmt::format("remove_events[{}]", k)),
                  fmt::format("no event with id '{}'{}", id.Scalar(), did_you_mean(id.Scalar(), std::span(all_ids))));
            }
          }
          doc["events"] = kept;
          r.note_removed_by_variant(found);
        }
        if (auto add = variant["add_events"]; add.IsSequence()) {
          if (!variant["remove_events"].IsSequence()) detach_section("events");
          if (!doc["events"].IsSequence()) doc["events"] = YAML::Node(YAML::NodeType::Sequence);
          for (const auto& event : add) doc["events"].push_back(event);
        }
        if (auto params = variant["parameters"]; params.IsMap()) {
          detach_section("parameters");
          if (!doc["parameters"].IsMap()) doc["parameters"] = YAML::Node(YAML::NodeType::Map);
          for (auto it = params.begin(); it != params.end(); ++it) {
            r.record_edit_origin(join_path("parameters", it->first.Scalar()), r.where(it->first, vpath));
            doc["parameters"][it->first.Scalar()] = it->second;
          }
        }
        if (auto set = variant["set"]; set.IsMap()) {
          for (auto it = set.begin(); it != set.end(); ++it) {
            apply_path_edit(r, copier, doc, it->first.Scalar(), it->second, r.where(it->first, vpath));
          }
        }
      }
      for (const auto& edit : located) {
        auto value = detail::load_yaml_value(edit.value, edit.origin, r.diagnostics(), edit.path);
        if (!value) continue;
        apply_path_edit(r, copier, doc, edit.path, unmarked_copy(*value), edit.origin, edit.items_by_id_only,
                        edit.replaces_whole_lists, edit.value_origins);
      }
      // --set edits, then --record edits (outputs.<key>), each blamed on what was typed.
      std::vector<std::pair<std::string, std::string>> edits;  // (path=value, how it was given)
      for (const auto& typed : overrides) edits.emplace_back(typed, "--set " + typed);
      for (const auto& typed : records) {
        // `variables=` would read as the empty list, which records everything: not what a blank asks for.
        if (const auto eq = typed.find('='); eq != std::string::npos && eq > 0 && eq + 1 == typed.size()) {
          const std::string key = typed.substr(0, eq);
          const std::string example = key == "variables" ? "departures,arrivals"
                                      : key == "nodes"   ? "NODE_ID,NODE_ID"
                                                         : "VALUE";
          r.diagnostics().error({fmt::format("command line ({})", clip("--record " + typed)), 0, 0},
                                key == "variables" || key == "nodes"
                                    ? fmt::format("no value after '='; give one (e.g. {}{}), or {}all for every one",
                                                  typed, example, typed)
                                    : fmt::format("no value after '='; give one ({}{})", typed, example));
          continue;
        }
        edits.emplace_back(record_edit(typed), "--record " + typed);
      }
      for (const auto& [override_text, given_as] : edits) {
        const SourceLocation origin{fmt::format("command line ({})", clip(given_as)), 0, 0};
        const auto eq = override_text.find('=');
        if (eq == std::string::npos || eq == 0) {
          r.diagnostics().error(origin, given_as.rfind("--record", 0) == 0
                                            ? "expected --record key=value (keys as under outputs:, e.g. "
                                              "variables=departures,arrivals or interval_days=7)"
                                            : "expected --set path.to.key=value");
          continue;
        }
        auto value = detail::load_yaml_value(override_text.substr(eq + 1), origin, r.diagnostics());
        if (!value) continue;
        apply_path_edit(r, copier, doc, override_text.substr(0, eq), unmarked_copy(*value), origin);
      }
      return doc;
    };

    YAML::Node doc =
        resolve(reader, options.variant, located_overrides, options.set_overrides, options.record_overrides);
    if (doc.IsDefined() && doc.IsMap()) {
      ScenarioDecoder decoder(reader, scenario);
      decoder.set_table_directory(options.table_directory);
      decoder.decode(doc);
      scenario.variant = options.variant;
      if (!options.variant.empty()) {
        const YAML::Node described = doc["variants"][options.variant]["description"];
        if (described.IsDefined() && described.IsScalar()) scenario.variant_description = described.Scalar();
      }
      // The resolved document is the scenario as run: the applied variant is folded in, so the overlays go.
      if (!options.variant.empty()) doc.remove("variants");
      if (events_from_table || decoder.network_from_tables()) {
        // A run file keeps the resolved scenario, and it must load alone: the tables' rows are written as lists.
        if (!result.diagnostics.has_errors() && options.want_resolved_yaml)
          result.resolved_yaml = resolved_with_tables(doc, scenario);
      } else if (options.variant.empty() && located_overrides.empty() && options.set_overrides.empty() &&
                 options.record_overrides.empty()) {
        result.resolved_yaml = text;  // nothing was edited: the file is the scenario as run (comments and all)
      } else if (options.want_resolved_yaml) {
        YAML::Emitter emitter;
        emitter << doc;
        result.resolved_yaml = emitter.c_str();
      }
    }
    // Every variant is resolved and decoded too (haven check), with the same overlays and --set as the base, as
    // `--variant NAME` would run it; problems that only a variant has say which one.
    std::vector<Diagnostic> found(result.diagnostics.all().begin(), result.diagnostics.all().end());
    found.insert(found.end(), variant_shape_diagnostics.all().begin(), variant_shape_diagnostics.all().end());
    if (options.all_variants && options.variant.empty()) {
      for (const auto& name : std::vector<std::string>(scenario.variant_names)) {
        Scenario scratch;
        Diagnostics own;
        YamlReader variant_reader(display_name, own);
        adopt_table_origins(variant_reader);
        YAML::Node variant_doc =
            resolve(variant_reader, name, located_overrides, options.set_overrides, options.record_overrides);
        if (variant_doc.IsDefined() && variant_doc.IsMap()) {
          ScenarioDecoder decoder(variant_reader, scratch);
          decoder.set_table_directory(options.table_directory);
          decoder.decode(variant_doc);
        }
        for (auto d : own.all()) {
          if (d.message.rfind("variants.", 0) != 0) d.message = fmt::format("in variant '{}': {}", name, d.message);
          found.push_back(std::move(d));
        }
      }
    }
    // The same problem seen from the base and from a variant (or under two key paths, as a variant's parameter
    // is) is reported once: at one place, one message.
    auto problem = [](const Diagnostic& d) {
      std::string_view message = d.message;
      if (message.rfind("in variant '", 0) == 0) message.remove_prefix(message.find("': ") + 3);
      if (const auto colon = message.find(": "); colon != std::string_view::npos) message.remove_prefix(colon + 2);
      return fmt::format("{}:{}:{}:{}:{}", d.location.file, d.location.line, d.location.column,
                         d.severity == Severity::error ? 'E' : 'W', message);
    };
    Diagnostics unique;
    std::set<std::string> seen;
    for (const auto& d : found) {
      if (!seen.insert(problem(d)).second) continue;
      if (d.severity == Severity::error) {
        unique.error(d.location, d.message);
      } else {
        unique.warning(d.location, d.message);
      }
    }
    result.diagnostics = unique;
    if (!result.diagnostics.has_errors()) result.scenario = std::move(scenario);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on a few malformed shapes the checks above do not anticipate; never crash on them.
    result.diagnostics.error({display_name, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1,
                              e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1},
                             "cannot read the YAML: " + e.msg);
  }
}

}  // namespace

LoadResult load_scenario_file(const std::filesystem::path& path, const LoadOptions& options) {
  Diagnostics diagnostics;
  std::string text = detail::read_text_file(path, diagnostics, "a scenario file");
  if (diagnostics.has_errors()) {
    LoadResult result;
    result.diagnostics = diagnostics;
    return result;
  }
  if (!options.table_directory.empty()) return load_scenario_text(text, path.string(), options);
  LoadOptions with_tables = options;
  with_tables.table_directory = path.parent_path();  // tables are named relative to the scenario file
  return load_scenario_text(text, path.string(), with_tables);
}

struct ParsedScenarioText::State {
  std::string text;
  std::string display_name;
  // Only a text without tables for its events, whose parse succeeded, is kept (an events table is turned into a
  // list in the parsed document itself); any other is loaded from its text each time, as load_scenario_text does.
  std::optional<YAML::Node> root;
  Diagnostics parse_diagnostics;  // warnings of the parse, repeated with every load
  std::size_t parses = 0;
  std::size_t loads_since_parse = 0;
};

ParsedScenarioText::ParsedScenarioText(std::string text, std::string display_name) : state_(std::make_unique<State>()) {
  if (std::string normalized = text; text.find('\r') != std::string::npos) {
    if (detail::normalize_line_endings(normalized)) text = std::move(normalized);
  }
  state_->text = std::move(text);
  state_->display_name = std::move(display_name);
}
ParsedScenarioText::~ParsedScenarioText() = default;
ParsedScenarioText::ParsedScenarioText(ParsedScenarioText&&) noexcept = default;
ParsedScenarioText& ParsedScenarioText::operator=(ParsedScenarioText&&) noexcept = default;

std::size_t ParsedScenarioText::parses() const noexcept {
  return state_->parses;
}

const std::string& ParsedScenarioText::text() const noexcept {
  return state_->text;
}

LoadResult ParsedScenarioText::load(const LoadOptions& options) {
  State& s = *state_;
  if (!s.root || s.loads_since_parse >= reparse_after_loads) {
    // A fresh parse: the copies earlier loads made in the old document's memory go with it.
    s.root.reset();
    s.loads_since_parse = 0;
    s.parse_diagnostics = Diagnostics{};
    if (s.text.find('\0') != std::string::npos) return load_scenario_text(s.text, s.display_name, options);
    ++s.parses;
    auto parsed = detail::parse_yaml(s.text, s.display_name, s.parse_diagnostics, "a scenario");
    if (!parsed || !parsed->IsMap()) return load_scenario_text(s.text, s.display_name, options);
    for (auto it = parsed->begin(); it != parsed->end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "events" && detail::is_table_section(it->second)) {
        return load_scenario_text(s.text, s.display_name, options);
      }
    }
    s.root = *parsed;
  }
  ++s.loads_since_parse;
  LoadResult result;
  result.diagnostics = s.parse_diagnostics;
  YamlReader reader(s.display_name, result.diagnostics);
  load_root(s.text, s.display_name, options, *s.root, result, reader);
  result.table_files = reader.table_files();
  return result;
}

Scenario load_scenario_or_throw(const std::filesystem::path& path, const LoadOptions& options) {
  auto result = load_scenario_file(path, options);
  if (!result.scenario) throw InputError(result.diagnostics);
  return std::move(*result.scenario);
}

}  // namespace haven
