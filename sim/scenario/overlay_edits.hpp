#pragma once
// Internal: tree edits. Variants and --set overrides work on the YAML document before it is decoded, so an override
// passes through exactly the validation the file does and the resolved document can be stored for provenance.
// load.cpp applies them in the load sequence; overlay files (--set-file) are read into located edits here too
// (load_overlay_file, declared in haven/scenario/load.hpp).

#include <span>
#include <string>
#include <utility>

#include "haven/util/diagnostics.hpp"
#include "yaml.hpp"
#include "yaml_reader.hpp"

namespace haven::detail {

// A copy that carries no source positions, so diagnostics blame the edit that created it.
YAML::Node unmarked_copy(const YAML::Node& node);

// Copies of the containers an edit changes, sharing everything else with the first parse: a second parse of a large
// file (and a full copy per variant) cost seconds and doubled the peak memory.
class TreeCopier {
 public:
  // yaml-cpp merges the node sets of two documents whenever a node of one is assigned into the other, at the cost
  // of a pass over the larger: the copies are made inside the first parse's memory, so that happens once.
  explicit TreeCopier(const YAML::Node& root) { pool_.push_back(root); }

  // A copy of a mapping or list whose entries are new nodes referring to the original's values (and so to their
  // source positions): replacing an entry of the copy leaves the original as it was. Scalars are returned as they
  // are.
  YAML::Node detached(const YAML::Node& node);

 private:
  YAML::Node fresh(YAML::NodeType::value type);

  YAML::Node pool_{YAML::NodeType::Sequence};
};

// Sets `path` (dotted; list items by their id or by index) to `value`. Intermediate keys must exist;
// the last may be new, so that unknown keys are caught by the decoder like any other. `items_by_id_only`: the
// writer names items by id only (Override::items_by_id_only), and a path naming none is not told of indices.
// `value_origins`: where the value's parts are in their file (Override::value_origins).
void apply_path_edit(YamlReader& reader, TreeCopier& copier, YAML::Node root, const std::string& path,
                     const YAML::Node& value, const SourceLocation& origin, bool items_by_id_only = false,
                     bool replaces_whole_lists = false,
                     std::span<const std::pair<std::string, SourceLocation>> value_origins = {});

// `haven run --record key=value` as the edit `outputs.key=value`: the list keys take comma-separated items
// (`variables=departures,arrivals` -> `[departures, arrivals]`) and `all` (or nothing) for everything. Without
// '=' the text is passed on as is, and reported as malformed.
std::string record_edit(const std::string& text);

}  // namespace haven::detail
