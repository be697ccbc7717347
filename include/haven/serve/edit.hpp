#pragma once
// `haven serve`: one edit as the page sends it, read from the request's JSON. The session (session.hpp) checks it
// with the scenario loader; this reads and bounds it only. docs/serve.md describes the edits.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haven::serve {

// One edit as the page sends it. Kinds:
//   set            path (events.<id>.<key>, nodes.<id>.<key>, corridors.<id>.<key>, parameters.<name>) = value
//   toggle_event   event `id` on or off (`enabled`)
//   move_event     event `id` (a bombardment or ceasefire) centred on a point: `event` holds lat and lon
//   add_event      `event`: the keys of one event, as a scenario file writes them
struct Edit {
  std::string kind;
  std::string path;   // set
  std::string value;  // set: YAML text of the value (one line, as the loader re-emits it)
  std::string id;     // toggle_event, move_event
  bool enabled = true;
  std::vector<std::pair<std::string, std::string>> event;  // add_event, move_event: (key, YAML text of the value)
  std::string description;                                 // one line: what it sets (and where a problem is)
  std::string replaced;  // set: what the key held before, " (was 40)" or " (unchanged)"; empty when not known
  // The line for the page's list, the run's note and the saved comments: the description and what it replaced.
  [[nodiscard]] std::string listed() const { return description + replaced; }
  // add_event: the id of the event it adds (Session::apply names one that was sent without); empty otherwise.
  [[nodiscard]] std::string added_id() const {
    for (const auto& [key, text] : event)
      if (kind == "add_event" && key == "id") return text;
    return {};
  }
};

// Edits from the page's JSON (see Edit); a malformed request gives a message for the page.
std::optional<Edit> edit_from_json(const std::string& body, std::string& problem);

// Whether `add_event` takes an event of this kind: not a country closure (its countries typed) or a redirection's
// end, which a scenario file or a Flee import writes.
bool addable_event_kind(std::string_view kind);

}  // namespace haven::serve
