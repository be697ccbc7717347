#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "haven/serve/session.hpp"
#include "haven/util/text.hpp"
#include "yaml_text.hpp"

namespace haven::serve {

std::string Session::base_event_text(const std::string& id) const {
  const auto at = std::find(base_event_ids_.begin(), base_event_ids_.end(), id);
  return at == base_event_ids_.end() ? std::string()
                                     : base_event_yaml_[static_cast<std::size_t>(at - base_event_ids_.begin())];
}

std::string Session::comment_block(const char* what) const {
  std::string text =
      "# " +
      one_line(fmt::format(
          "{} written by haven serve from {}{}{}.", what, source_.name,
          variant_.empty() ? "" : fmt::format(" (variant {})", variant_),
          source_.start.empty() ? "" : fmt::format(" with {}", fmt::join(source_.start.arguments(), " ")))) +
      "\n";
  if (edits_.empty()) {
    text += "# No edits.\n";
  } else {
    text += "# Edits, in the order made:\n";
    for (std::size_t i = 0; i < edits_.size(); ++i) {
      text += fmt::format("#   {}. {}\n", i + 1, one_line(edits_[i].listed()));
    }
  }
  return text;
}

std::string Session::scenario_arguments() const {
  std::string arguments = fmt::format("{}{}", shell_word(source_.path.empty() ? source_.name : source_.path),
                                      variant_.empty() ? "" : " --variant " + shell_word(variant_));
  // The starting overlays only: `haven run` applies every --set after every --set-file, so the starting --set
  // values go into a saved overlay instead (overlay_yaml), under the page's edits of the same keys.
  for (const auto& file : source_.start.files) arguments += " --set-file " + shell_word(file);
  return arguments;
}

std::string Session::overlay_yaml() const {
  std::string text = comment_block("Overlay");
  text += fmt::format("# Check it: haven check {} --set-file THIS_FILE\n", scenario_arguments());
  const auto overrides = overrides_for(edits_);
  // The server's --set values the page did not set again (an overlay holds each key once): `haven run` applies
  // --set after every --set-file, so the suggested command leaves them out and the overlay carries them.
  std::vector<std::pair<std::string, std::string>> started;  // (path, value): the last --set of a key wins
  for (const auto& set : source_.start.sets) {
    if (std::any_of(overrides.begin(), overrides.end(), [&](const Override& o) { return o.path == set.path; }))
      continue;
    const auto same = std::find_if(started.begin(), started.end(), [&](const auto& p) { return p.first == set.path; });
    if (same == started.end())
      started.emplace_back(set.path, set.value);
    else
      same->second = set.value;
  }
  if (overrides.empty() && started.empty()) return text + "{}\n";
  if (!started.empty()) {
    text += "# Given to haven serve with --set:\n";
    for (const auto& [path, value] : started) text += fmt::format("{}: {}\n", path, value);
    if (!overrides.empty()) text += "# The page's edits:\n";
  }
  for (const auto& o : overrides) {
    // The events list one event a line, as a scenario file writes it, not one line of thousands of characters.
    if (const YAML::Node list = o.path == "events" ? YAML::Load(o.value) : YAML::Node();
        list.IsSequence() && list.size() > 0) {
      text += "events:\n";
      for (const auto& event : list) text += fmt::format("  - {}\n", flow_line(event));
      continue;
    }
    text += fmt::format("{}: {}\n", o.path, o.value);
  }
  return text;
}

namespace {

// The comment lines a scenario file opens with (what it is, its sources, an import's provenance), up to the first
// line of YAML: a saved scenario keeps them, since the YAML written out again has lost every comment. Bounded.
std::string leading_comments(const std::string& text) {
  constexpr std::size_t max_lines = 400;
  std::string kept;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < text.size() && lines < max_lines; ++lines) {
    const auto end = std::min(text.find('\n', at), text.size());
    std::string line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#') break;
    kept += first == std::string::npos ? "#\n" : line.substr(first) + "\n";
    at = end + 1;
  }
  // Blank (or bare '#') lines at its end are not part of the header.
  while (kept.ends_with("\n#\n")) kept.resize(kept.size() - 2);
  if (kept == "#\n") kept.clear();
  return kept;
}

}  // namespace

std::string Session::scenario_yaml() const {
  // The kept edits loaded when they were made; loaded again here with the edited document written out.
  const auto loaded = load_scenario_text(source_.text, source_.name, options_for(edits_));
  YAML::Node doc = YAML::Load(loaded.resolved_yaml);
  // The edited scenario stands alone: its variants were written for the scenario before the edits.
  if (doc.IsMap()) doc.remove("variants");
  YAML::Emitter emitter;
  emit(emitter, doc);
  std::string header = leading_comments(source_.text);
  if (!header.empty()) header = "#\n# The scenario's own header, as written:\n" + header;
  // yaml-cpp double-quotes a text holding DEL but writes the DEL itself raw.
  return comment_block("Scenario") + header + with_del_escaped(emitter.c_str()) + "\n";
}

}  // namespace haven::serve
