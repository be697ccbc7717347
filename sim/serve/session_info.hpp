#pragma once
// `haven serve`: what the page's editing panel is told of a session (GET /api/sessions/<id>, and every answer to an
// edit): its events (those switched off too, with the edits they keep), places, roads, the parameters its rules read
// with their registry entries, the band's parameter ranges, and the edits made.

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "haven/serve/session.hpp"

namespace haven::serve {

nlohmann::json edits_json(const std::vector<Edit>& edits);

// The key paths a band with parameter uncertainty leaves as they are: those the session's edits, the server's
// starting edits and the chosen variant set, and those of an event not in the run (switched off, or removed).
std::set<std::string> held_paths(const Session& session);

nlohmann::json session_info(const Session& session, const std::string& id);

}  // namespace haven::serve
