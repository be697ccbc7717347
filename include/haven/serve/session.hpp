#pragma once
// `haven serve`: one browser session's copy of a scenario and the edits made to it. Every edit is a change of the
// scenario's YAML tree (as --set and overlay files make), so the scenario loader checks it exactly as it checks a
// file, and a bad edit comes back as the loader's located messages. docs/serve.md describes the edits.

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "haven/scenario/load.hpp"
#include "haven/scenario/scenario.hpp"
#include "haven/serve/edit.hpp"
#include "haven/sweep/sweep.hpp"
#include "haven/util/diagnostics.hpp"

namespace haven::serve {

// Bounds on what one session may ask for (docs/serve.md, "Limits").
struct Limits {
  std::size_t max_request_bytes = 64 * 1024;
  std::size_t max_edits = 500;        // edits kept in one session
  std::size_t max_added_events = 50;  // events added by the page in one session
  std::size_t max_ensemble_members = 50;
  double max_run_seconds = 20.0;  // one run (one member of an ensemble); past it the run is cancelled
  std::size_t max_sessions = 64;  // the oldest idle session is dropped beyond this
};

// Parameter ranges a sweep file gives for a scenario (a Latin hypercube or random design): a band may draw its
// members' parameter values from them as well as their seeds.
struct ParameterUncertainty {
  std::string sweep_name;  // the sweep file's name, e.g. idlib_sensitivity.yaml (never its path)
  SweepSpec spec;
};

// `haven serve --set-file F --set k=v`: edits under every session's own, read once when the server starts (a
// calibrated overlay as the starting point; a file changed on disk later does not change a running page).
struct StartingPoint {
  std::vector<std::string> files;       // --set-file, as given
  std::vector<Override> file_edits;     // what the files set, in order
  std::vector<std::string> typed_sets;  // --set, as given ("parameters.x=1.5")
  std::vector<Override> sets;           // the same as edits, after the files'
  [[nodiscard]] bool empty() const noexcept { return files.empty() && typed_sets.empty(); }
  // The files' edits, then the sets: as `haven run --set-file F --set k=v` applies them.
  [[nodiscard]] std::vector<Override> edits() const {
    std::vector<Override> all = file_edits;
    all.insert(all.end(), sets.begin(), sets.end());
    return all;
  }
  // As given on the command line: {"--set-file", F, ..., "--set", "k=v", ...}.
  [[nodiscard]] std::vector<std::string> arguments() const {
    std::vector<std::string> all;
    for (const auto& f : files) all.insert(all.end(), {"--set-file", f});
    for (const auto& typed : typed_sets) all.insert(all.end(), {"--set", typed});
    return all;
  }
};

// A scenario the server was started with: its text and the name it goes by (never its path on disk).
struct ScenarioSource {
  std::string name;  // the file's name, e.g. idlib_2019_2020.yaml
  std::string text;
  std::optional<ParameterUncertainty> uncertainty;
  std::string path;     // as given to haven serve (commands the page suggests name it); empty: the name
  StartingPoint start;  // haven serve --set-file, --set
  // Where the CSV tables it names are looked for: the scenario file's folder, as `haven run` looks (empty: the
  // current directory).
  std::filesystem::path table_directory;
  // The loader's options every load of it starts from.
  [[nodiscard]] LoadOptions load_options() const {
    LoadOptions options;
    options.table_directory = table_directory;
    return options;
  }
};

// The edit's problems (located where the loader found them); empty when it was applied.
struct EditResult {
  bool applied = false;
  Diagnostics diagnostics;
};

class Session {
 public:
  Session(const ScenarioSource& source, std::string variant, const Limits& limits);

  // The scenario as the page sees it now (after the variant and every edit).
  [[nodiscard]] const Scenario& scenario() const noexcept { return scenario_; }
  // The base (variant, no edits): the ghost the page compares with.
  [[nodiscard]] const Scenario& base() const noexcept { return base_; }
  [[nodiscard]] const std::string& source_name() const noexcept { return source_.name; }
  [[nodiscard]] const ScenarioSource& source() const noexcept { return source_; }
  // How the loader reads the scenario as it is now (the variant and every edit), for loads with more overrides.
  [[nodiscard]] LoadOptions load_options() const { return options_for(edits_); }
  [[nodiscard]] const std::string& variant() const noexcept { return variant_; }
  [[nodiscard]] const std::vector<Edit>& edits() const noexcept { return edits_; }
  // The events the edits added and then switched off, in the order they were added, as they were when last on (an
  // edit of one while it is off waits, as for the base's events), or, if never on since the session last loaded
  // afresh (a variant switch or its undo), as they would be switched on: the page lists them to be switched on again.
  // One that would not load switched on is left out (the list of edits still names it).
  [[nodiscard]] std::vector<Event> added_events_off() const;
  // A base event as the scenario writes it (flow YAML with its id); empty for an event the edits added.
  [[nodiscard]] std::string base_event_text(const std::string& id) const;
  // What makes the scenario as it is now: its variant and the overrides its edits amount to. Equal keys load equal
  // scenarios (a run of one is a run of the other); edits that change nothing, such as the strength of an event
  // switched off or a value set to what it was, leave the key as it was.
  [[nodiscard]] std::string scenario_key() const { return keys_.back().empty() ? key_of(edits_) : keys_.back(); }
  // Whether the scenario as it is now is the base one, edits or not (an edit set back, a value set to what it held):
  // the base's run is its run.
  [[nodiscard]] bool same_as_base() const noexcept { return same_as_base_; }
  // Whether the variant itself sets `path` (its `set` and `parameters`, and every key of an event it adds): a band's
  // parameter ranges leave such a value as the variant gives it.
  [[nodiscard]] bool variant_sets(const std::string& path) const;
  // `path` with a list item named by its position in the variant's scenario (`events[2].intensity`,
  // `events.2.intensity`) named by its id instead (`events.b_ariha.intensity`); any other path as it is.
  [[nodiscard]] std::string by_id(const std::string& path) const;
  // Problems of the scenario or variant itself (the session cannot start when there are errors).
  [[nodiscard]] const Diagnostics& load_diagnostics() const noexcept { return load_diagnostics_; }
  [[nodiscard]] bool ok() const noexcept { return !load_diagnostics_.has_errors(); }
  // How many times this session parsed its scenario's text: once, and again once every
  // ParsedScenarioText::reparse_after_loads edits, undos and variant changes (what keeps its memory flat).
  [[nodiscard]] std::size_t parses() const noexcept { return parsed_.parses(); }

  // Checks `edit` with the loader; keeps it only when the scenario with it is valid.
  EditResult apply(Edit edit);
  // Drops the last edit, or takes back the last variant switch once no edit made since is left (its variant and
  // every edit before it, those it dropped included); false when there was nothing to undo.
  bool undo();
  // What undo() would take back now: "variant", "edit", or "" (nothing).
  [[nodiscard]] const char* undo_target() const noexcept {
    if (!variant_steps_.empty() && edits_.size() <= variant_steps_.back().edits_after) return "variant";
    return edits_.empty() ? "" : "edit";
  }
  // Starts again from `variant` (empty: the base scenario), keeping the edits when they still apply.
  EditResult choose_variant(const std::string& variant);

  // The edits as an overlay file (`haven check SCENARIO --set-file FILE`), edits listed as comments.
  [[nodiscard]] std::string overlay_yaml() const;
  // What names the session's scenario on a command line: its path as given to haven serve, and its variant.
  [[nodiscard]] std::string scenario_arguments() const;
  // The edited scenario as one complete file, edits listed as comments.
  [[nodiscard]] std::string scenario_yaml() const;

 private:
  // The loader's options for the variant and `edits` (with event `switched_on` on, whatever they say of it: an edit
  // of an event that is off is checked as if it were on).
  [[nodiscard]] LoadOptions options_for(const std::vector<Edit>& edits, const std::string& switched_on = {}) const;
  // The overrides `edits` amount to, in order, deduplicated: a later edit of a key wins, a move of an event over
  // earlier edits of where it is, and a later `node` over the event's point (a move's or the file's).
  [[nodiscard]] std::vector<Override> overrides_for(const std::vector<Edit>& edits,
                                                    const std::string& switched_on = {}) const;
  [[nodiscard]] std::string comment_block(const char* what) const;
  // What `path` (a key the page edits) holds now, as the page would send it ("1.5", "2020-01-10", "none"); empty
  // for a key it does not know or an event switched off. An edit's description says what it replaced.
  [[nodiscard]] std::string value_now(const std::string& path) const;
  // The same of another scenario (the session's with an event that is off switched on).
  [[nodiscard]] static std::string value_in(const Scenario& scenario, const std::string& path);
  // How the edits reloaded relate to the session's: one more (apply), the last taken back (undo), or another list.
  enum class Reload : std::uint8_t { one_more, one_less, other };
  EditResult reload(const std::vector<Edit>& edits, Reload how = Reload::other);
  // Each added event that is off and was never on in this session's loads (switched off before a variant switch
  // or its undo, which load afresh) is found as it would be switched on, for added_events_off(): a load each, once,
  // where the session loads afresh (not at every edit: one that fails would be tried again each time).
  void see_added_events_off();
  // The key of the variant and `edits` (scenario_key() unless an edit changed nothing).
  [[nodiscard]] std::string key_of(const std::vector<Edit>& edits) const;

  ScenarioSource source_;
  ParsedScenarioText parsed_;  // the source's text, parsed once: an edit costs its checks, not a parse
  std::string variant_;
  Limits limits_;
  Diagnostics load_diagnostics_;
  Scenario base_;
  std::vector<std::string> base_event_yaml_;  // each base event in flow YAML, with its id
  std::vector<std::string> base_event_ids_;
  std::set<std::string> variant_paths_;  // variant_sets(): its set paths and parameters, events.<id> of its additions
  Scenario scenario_;
  std::vector<Edit> edits_;
  // Each added event as it was in the last scenario that had it on (or would be on: see_added_events_off()).
  std::map<std::string, Event> added_seen_;
  // Each variant switch: the variant and edits before it, and how many edits the switch kept (undo goes back).
  struct VariantStep {
    std::string variant;
    std::vector<Edit> edits;
    std::size_t edits_after = 0;
  };
  static constexpr std::size_t max_variant_steps = 8;
  std::vector<VariantStep> variant_steps_;
  std::vector<std::string> warnings_now_;  // the loader's warnings of the scenario as it is now (reload says new ones)
  // scenario_key() after the first n edits, for n = 0 .. edits_.size(): the key of the state before an edit that
  // left the scenario as it was (the loaded scenarios compared whole), under which that state's run may be kept, or
  // empty for the key of those edits (made when asked). Undo goes back to the key the state had.
  std::vector<std::string> keys_{std::string()};
  bool same_as_base_ = true;
};

}  // namespace haven::serve
