#include "given_departures.hpp"

#include <algorithm>
#include <cmath>

namespace haven::engine {

GivenDepartures::GivenDepartures(const Scenario& scenario, Count units_per_person, Draws draws)
    : s_(scenario), p_(scenario.parameters), units_(units_per_person), draws_(draws) {
  if (s_.departures.mode != DepartureMode::given) return;
  owed_.assign(s_.nodes.size(), 0);
  for (const auto& observation : s_.observations) {
    if (observation.id != s_.departures.observation) continue;
    for (const auto& point : observation.points) points_.emplace_back(point.day, point.value);
  }
  // The loader rejects an unknown id; a series without points gives nobody.
  active_ = true;
  std::stable_sort(points_.begin(), points_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  running_max_.resize(static_cast<std::size_t>(std::max(s_.days, 1)));
  double highest = observed(0);
  for (int day = 0; day < static_cast<int>(running_max_.size()); ++day) {
    highest = std::max(highest, observed(day));
    running_max_[static_cast<std::size_t>(day)] = highest;
  }
}

double GivenDepartures::observed(int day) const {
  if (points_.empty()) return 0.0;
  if (day <= points_.front().first) return points_.front().second;
  if (day >= points_.back().first) return points_.back().second;
  const auto after =
      std::upper_bound(points_.begin(), points_.end(), day, [](int d, const auto& point) { return d < point.first; });
  const auto before = after - 1;
  const double fraction = static_cast<double>(day - before->first) / static_cast<double>(after->first - before->first);
  return before->second + fraction * (after->second - before->second);
}

double GivenDepartures::due_people(int day) const {
  if (running_max_.empty() || day <= 0) return 0.0;
  const auto d = static_cast<std::size_t>(std::min(day, static_cast<int>(running_max_.size()) - 1));
  return running_max_[d] - running_max_.front();
}

void GivenDepartures::place(int day, const PopulationLedger& ledger, const ScenarioEvents& events,
                            std::vector<Count>& leaving) {
  const auto n = s_.nodes.size();
  leaving.assign(n, 0);
  // A node's leavers who could not set off before go first, from that node (as many as still live there; the rest
  // go back to the pool, for the split below).
  for (std::size_t i = 0; i < n; ++i) {
    if (owed_[i] == 0) continue;
    const Count residents = ledger.residents_at(i);
    leaving[i] = std::min(owed_[i], residents);
    placed_units_ -= owed_[i] - leaving[i];
    owed_[i] = 0;
  }
  // Exact in units: what is due up to today, less what was placed before (a shortfall is carried over).
  const Count due_units = std::llround(due_people(day) * static_cast<double>(units_)) - placed_units_;
  if (due_units <= 0) return;
  const std::array<double, 5> decay = {p_.spawn_decay_1, p_.spawn_decay_2, p_.spawn_decay_3, p_.spawn_decay_4,
                                       p_.spawn_decay_5};
  weights_.assign(n, 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double intensity = events.conflict_intensity(i);
    const Count residents = ledger.residents_at(i);
    if (intensity <= 0.0 || residents <= 0) continue;
    const auto steps = static_cast<std::size_t>(
        std::floor(static_cast<double>(day - events.conflict_start_day(i)) / p_.spawn_decay_interval_days));
    weights_[i] = static_cast<double>(residents) * intensity * decay[std::min(steps, decay.size() - 1)];
    total += weights_[i];
  }
  if (total <= 0.0) return;  // nobody under armed conflict today: carried over to the next day
  split_.assign(n, 0);
  RandomStream stream = draws_.stream(RandomPurpose::given_departure, 0, day);
  draws_.multinomial(stream, due_units, weights_, split_);
  for (std::size_t i = 0; i < n; ++i) {
    const Count fresh = std::min(split_[i], ledger.residents_at(i) - leaving[i]);  // never more than live there
    leaving[i] += fresh;
    placed_units_ += fresh;
  }
}

}  // namespace haven::engine
