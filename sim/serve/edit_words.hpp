#pragma once
// Internal to haven serve: edits and events in a planner's words, for the panel's list of edits and the downloaded
// report's note (the saved overlay's comments keep each edit exactly: Edit::listed()).
#include <string>
#include <vector>

#include "haven/scenario/scenario.hpp"
#include "haven/serve/session.hpp"

namespace haven::serve {

// An event by its kind and where it acts: "bombardment · Ariha", "corridor closure · Latakia – Jisr al-Shughur",
// "evacuation · River Town → Mid City", "ceasefire · everywhere"; one centred on a point by the place within 15 km of
// it ("bombardment · near Ariha"), else by its id.
std::string event_in_words(const Event& event, const Scenario& scenario);

// The name of the place within 15 km of a point (great-circle), the nearest, or "" when none is: what "near X" says
// in the list of edits and in the panel's event rows (sent as an event's `near`).
std::string place_near(const Scenario& scenario, double lat_deg, double lon_deg);

// An edit in words (EditWords), its event, place or road named: "bombardment · Ariha: intensity 10 (was 23.6)",
// "bombardment · Ariha: off", "road South Town – Capital: closed (was false)", "River Town: capacity 9000 (was 58500 by
// default)", "threat kernel 1.5 km (was 1)", "flee start on foot: on (was off)". An event of the scenario as written
// (or its variant) is named by its place there, so a move does not rename the edits of it; an added event by where it
// is now; an added event's own edit by its description, which says all it gives. Made once for a session as it is now
// (an answer words every edit), and used while the session stays as it is.
class EditWords {
 public:
  explicit EditWords(const Session& session);
  [[nodiscard]] std::string operator()(const Edit& edit) const;

 private:
  [[nodiscard]] std::string event_named(const std::string& id) const;
  const Session& session_;
  std::vector<Event> added_off_;  // Session::added_events_off(), once
};

}  // namespace haven::serve
