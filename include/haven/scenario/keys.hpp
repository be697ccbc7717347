#pragma once
// The keys each section of a scenario file accepts. The loader rejects any other key and the JSON Schema
// (haven schema) lists exactly these, so the two cannot drift apart.

#include <array>
#include <span>
#include <string_view>
#include <vector>

namespace haven::keys {

inline constexpr std::array<std::string_view, 12> top = {"scenario", "groups",     "nodes",        "corridors",
                                                         "events",   "parameters", "observations", "outputs",
                                                         "variants", "departures", "home_country", "rules"};
inline constexpr std::array<std::string_view, 8> scenario = {"name",     "title", "description", "start_date",
                                                             "end_date", "days",  "seed",        "sources"};
inline constexpr std::array<std::string_view, 3> source = {"publisher", "url", "note"};
inline constexpr std::array<std::string_view, 4> group = {"id", "share", "departure_factor", "speed_factor"};
inline constexpr std::array<std::string_view, 15> node = {
    "id",         "name",    "kind",    "lat",    "lon",   "population", "displaced", "capacity",
    "admin_area", "country", "control", "closed", "pcode", "admin1",     "admin2"};
inline constexpr std::array<std::string_view, 10> corridor = {"id",
                                                              "from",
                                                              "to",
                                                              "length_km",
                                                              "kind",
                                                              "speed_km_per_day",
                                                              "capacity_people_per_day",
                                                              "bidirectional",
                                                              "closed",
                                                              "forced_redirection"};
// Keys every event takes, then the union of the kind-specific ones.
inline constexpr std::array<std::string_view, 7> event_common = {"id",    "kind", "day", "date", "duration_days",
                                                                 "until", "note"};
inline constexpr std::array<std::string_view, 19> event_all = {
    "id",        "kind",      "day", "date",     "duration_days", "until", "note", "node", "lat",      "lon",
    "radius_km", "intensity", "by",  "corridor", "capacity",      "from",  "to",   "rate", "countries"};
inline constexpr std::array<std::string_view, 6> observation = {"id", "variable", "node", "nodes", "source", "points"};
inline constexpr std::array<std::string_view, 2> departures = {"mode", "observation"};
inline constexpr std::array<std::string_view, 5> observation_point = {"day", "date", "value", "weight", "note"};
inline constexpr std::array<std::string_view, 4> outputs = {"path", "variables", "nodes", "interval_days"};
inline constexpr std::array<std::string_view, 5> variant = {"description", "remove_events", "add_events", "parameters",
                                                            "set"};

// The kind-specific keys of each event kind (besides event_common).
std::span<const std::string_view> event_specific_keys(std::string_view kind);
// event_common + event_specific_keys(kind).
std::vector<std::string_view> event_keys_for(std::string_view kind);

}  // namespace haven::keys
