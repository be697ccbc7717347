#include "check_summary.hpp"

#include <fmt/format.h>

#include <map>

#include "haven/util/text.hpp"

namespace haven::app {

namespace {

template <typename Map>
std::string counts(const Map& by_name) {
  std::string out;
  for (const auto& [name, count] : by_name) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", count, name);
  return out;
}

}  // namespace

std::string check_summary(const Scenario& s) {
  std::string out;
  auto line = [&](std::string_view label, const std::string& value) { out += fmt::format("{:<13}{}\n", label, value); };
  line("scenario", s.title.empty() ? s.name : fmt::format("{} ({})", s.name, s.title));
  if (!s.variant.empty()) line("variant", s.variant);
  line("period",
       fmt::format("{} to {} ({} day{}), seed {}", format_iso_date(s.start_date),
                   format_iso_date(add_days(s.start_date, s.days - 1)), s.days, s.days == 1 ? "" : "s", s.seed));
  std::map<std::string, int> kinds;
  for (const auto& n : s.nodes) ++kinds[to_string(n.kind)];
  line("nodes", fmt::format("{} ({})", s.nodes.size(), counts(kinds)));
  double length_km = 0.0;
  std::map<std::string, int> corridor_kinds;
  for (const auto& c : s.corridors) {
    length_km += c.length_km;
    ++corridor_kinds[to_string(c.kind)];
  }
  line("corridors",
       fmt::format("{} ({}), {} km in all", s.corridors.size(), counts(corridor_kinds), grouped(length_km)));
  std::vector<double> residents(s.groups.size(), 0.0), displaced(s.groups.size(), 0.0);
  for (const auto& n : s.nodes) {
    for (std::size_t g = 0; g < s.groups.size(); ++g) {
      residents[g] += static_cast<double>(n.residents_by_group[g]);
      displaced[g] += static_cast<double>(n.displaced_by_group[g]);
    }
  }
  double total_residents = 0.0, total_displaced = 0.0;
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    total_residents += residents[g];
    total_displaced += displaced[g];
  }
  line("people", fmt::format("{} ({} at home, {} already displaced)", grouped(total_residents + total_displaced),
                             grouped(total_residents), grouped(total_displaced)));
  if (s.groups.size() > 1) {
    for (std::size_t g = 0; g < s.groups.size(); ++g) {
      line("", fmt::format("{:<10} {:>12}", s.groups[g].id, grouped(residents[g] + displaced[g])));
    }
  }
  std::map<std::string, int> event_kinds;
  for (const auto& e : s.events) ++event_kinds[event_kind_name(e.action)];
  line("events", s.events.empty() ? "none" : fmt::format("{} ({})", s.events.size(), counts(event_kinds)));
  std::size_t points = 0;
  for (const auto& o : s.observations) points += o.points.size();
  line("observations",
       s.observations.empty() ? "none" : fmt::format("{} series, {} points", s.observations.size(), points));
  std::string variants;
  for (const auto& v : s.variant_names) variants += (variants.empty() ? "" : ", ") + v;
  line("variants", variants.empty() ? "none" : variants);
  return out;
}

}  // namespace haven::app
