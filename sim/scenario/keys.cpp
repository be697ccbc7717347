#include "haven/scenario/keys.hpp"

namespace haven::keys {

namespace {
constexpr std::array<std::string_view, 5> bombardment = {"node", "lat", "lon", "radius_km", "intensity"};
constexpr std::array<std::string_view, 2> capture = {"node", "by"};
constexpr std::array<std::string_view, 1> corridor_event = {"corridor"};
constexpr std::array<std::string_view, 1> border_event = {"node"};
constexpr std::array<std::string_view, 4> ceasefire = {"node", "lat", "lon", "radius_km"};
constexpr std::array<std::string_view, 2> capacity_change = {"node", "capacity"};
constexpr std::array<std::string_view, 3> evacuation = {"from", "to", "rate"};
constexpr std::array<std::string_view, 2> armed_conflict = {"node", "intensity"};
constexpr std::array<std::string_view, 1> camp_closure = {"node"};
constexpr std::array<std::string_view, 1> country_closure = {"countries"};
}  // namespace

std::span<const std::string_view> event_specific_keys(std::string_view kind) {
  if (kind == "bombardment") return bombardment;
  if (kind == "capture") return capture;
  if (kind == "corridor_closure" || kind == "corridor_opening") return corridor_event;
  if (kind == "border_closure" || kind == "border_opening") return border_event;
  if (kind == "ceasefire") return ceasefire;
  if (kind == "capacity_change") return capacity_change;
  if (kind == "evacuation") return evacuation;
  if (kind == "armed_conflict") return armed_conflict;
  if (kind == "camp_closure") return camp_closure;
  if (kind == "country_closure") return country_closure;
  if (kind == "redirection_end") return corridor_event;
  return {};
}

std::vector<std::string_view> event_keys_for(std::string_view kind) {
  std::vector<std::string_view> keys(event_common.begin(), event_common.end());
  const auto specific = event_specific_keys(kind);
  keys.insert(keys.end(), specific.begin(), specific.end());
  return keys;
}

}  // namespace haven::keys
