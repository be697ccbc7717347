#pragma once
// Reading scenarios: YAML text -> validated Scenario, or every problem found, each located.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "haven/scenario/scenario.hpp"
#include "haven/util/diagnostics.hpp"

namespace haven {

// One edit of the scenario tree, located where it was written (a sweep file, an overlay file), so that a bad
// value is reported there.
struct Override {
  std::string path;   // as for --set: `parameters.threat_kernel_km`, `nodes.atmeh.capacity`
  std::string value;  // YAML text
  SourceLocation origin;
  // Its writer names list items by id only (haven serve's page): a path naming none is not told of indices.
  bool items_by_id_only = false;
  // It replaces a whole list of items on purpose (haven serve's events, switched off, moved and added): no warning
  // that the scenario's items are replaced.
  bool replaces_whole_lists = false;
  // Where the parts of a list or mapping `value` stand in the file that gave it (an overlay), by their path below
  // `path` ("[0].points[1].date", "late.name"), so that a problem inside the value is located there rather than
  // at its key. Empty: everything in the value is blamed on `origin`.
  std::vector<std::pair<std::string, SourceLocation>> value_origins;
};

struct LoadOptions {
  std::string variant;                           // empty = the base scenario
  std::vector<std::string> set_overrides;        // "path.to.key=value", applied last (the command line wins)
  bool all_variants = false;                     // also resolve and validate every variant (haven check)
  std::vector<std::filesystem::path> set_files;  // overlay files (haven calibrate writes them), after the variant
  std::vector<Override> overrides;               // applied after the overlay files, before set_overrides
  // `haven run --record`: "key=value" edits of the outputs section, applied last; lists are comma-separated
  // (`variables=departures,arrivals`, `nodes=a,b`, `interval_days=7`; `all` selects everything). Each is
  // checked as if written under `outputs:` and reported at `command line (--record key=value)`.
  std::vector<std::string> record_overrides;
  SourceLocation variant_origin;  // where `variant` was named (a sweep file); none: the command line (--variant)
  // Where the tables a scenario names (`nodes: {csv: nodes.csv}`) are looked for: load_scenario_file sets the
  // scenario file's folder; empty = the current directory.
  std::filesystem::path table_directory;
  // false: leave LoadResult::resolved_yaml empty when edits or tables make it differ from the file. Emitting the
  // whole edited document costs as much as parsing it; haven serve, which loads again on every edit, needs it only
  // when a scenario is saved, and `check` and `run --no-output` never (a table's rows written out as YAML lists are
  // a fifth of loading a 100,000-node network).
  bool want_resolved_yaml = true;
};

struct LoadResult {
  std::optional<Scenario> scenario;  // present when there is no error (warnings allowed)
  Diagnostics diagnostics;
  std::string resolved_yaml;  // the document after the variant and --set overrides, for provenance
  // The CSV tables the scenario names (nodes: {csv: ...}), as their paths were opened: inputs a command must not
  // write over, as the scenario file itself.
  std::vector<std::filesystem::path> table_files;
};

// Never throws for bad input, whatever the bytes: every problem becomes a located diagnostic.
LoadResult load_scenario_file(const std::filesystem::path& path, const LoadOptions& options = {});
// `display_name` stands in for the file name in diagnostics.
LoadResult load_scenario_text(const std::string& text, const std::string& display_name,
                              const LoadOptions& options = {});

// A scenario's text parsed once, loaded again and again with other options (haven serve keeps one per session, and
// an edit then costs its checks, not a parse). Each load applies its variant and edits to copies of what they
// change, as load_scenario_text does; yaml-cpp keeps those copies in the parsed document's memory until the
// document goes, so the text is parsed afresh after `reparse_after_loads` loads: the memory stays bounded however
// many loads a session makes, and a parse is paid once in that many. Results are those of load_scenario_text.
class ParsedScenarioText {
 public:
  static constexpr std::size_t reparse_after_loads = 16;
  ParsedScenarioText(std::string text, std::string display_name);
  ~ParsedScenarioText();
  ParsedScenarioText(ParsedScenarioText&&) noexcept;
  ParsedScenarioText& operator=(ParsedScenarioText&&) noexcept;
  ParsedScenarioText(const ParsedScenarioText&) = delete;
  ParsedScenarioText& operator=(const ParsedScenarioText&) = delete;

  LoadResult load(const LoadOptions& options);
  // How many times the text was parsed so far (at most 1 + loads / reparse_after_loads).
  [[nodiscard]] std::size_t parses() const noexcept;
  [[nodiscard]] const std::string& text() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Reads an overlay: a YAML mapping shaped like (part of) a scenario, e.g. `parameters: {threat_kernel_km: 1.2}`,
// or with dotted keys (`nodes.atmeh.capacity: 90000`). Each leaf becomes an Override located at its key.
// Syntax errors, duplicate keys and an empty file are reported in `diagnostics`.
std::vector<Override> load_overlay_file(const std::filesystem::path& path, Diagnostics& diagnostics);

// Like load_scenario_file, but throws InputError on any error.
Scenario load_scenario_or_throw(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace haven
