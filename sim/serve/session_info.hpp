#pragma once
// `haven serve`: what the page's editing panel is told of a session (GET /api/sessions/<id>, and every answer to an
// edit): its events (those switched off too, with the edits they keep), places, roads, the parameters its rules read
// with their registry entries, the band's parameter ranges, and the edits made.

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "haven/serve/session.hpp"

namespace haven::serve {

// The session's edits in order: each as the overlay's comments give it (`description`), in a planner's words
// (`words`: EditWords) and by its parts (`path`, `value`, `was`; `id`, `enabled`).
nlohmann::json edits_json(const Session& session);

// The key paths a band with parameter uncertainty leaves as they are, each with why: "edited" (the session's edits),
// "started_with" (the server's --set-file and --set), "variant" (what the chosen variant sets), "not_in_run" (a key
// of an event switched off or removed: no value to draw). "not_in_run" wins over the others, then "edited".
std::map<std::string, std::string> held_because(const Session& session);
// Their paths.
std::set<std::string> held_paths(const Session& session);

nlohmann::json session_info(const Session& session, const std::string& id);

// The capacity change that sets place `node`'s capacity on day 0 under Haven's rules (the last of those starting
// then, in the scenario's order, as the rules layer them), or nullptr: its own capacity (or the default) holds then.
const Event* capacity_change_from_day_0(const Scenario& scenario, std::size_t node);

}  // namespace haven::serve
