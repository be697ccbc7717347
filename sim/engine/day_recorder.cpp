#include "day_recorder.hpp"

#include <algorithm>
#include <cmath>

namespace haven::engine {

DayRecorder::DayRecorder(const PopulationLedger& ledger, const Transport& transport, const ThreatField& threat,
                         const ScenarioEvents& events, const std::vector<Observer*>& observers, Count units_per_person)
    : ledger_(ledger),
      transport_(transport),
      threat_(threat),
      events_(events),
      observers_(observers),
      units_(units_per_person) {}

void DayRecorder::record(int day, RunSummary& summary) {
  const auto n = static_cast<std::size_t>(ledger_.residents().rows());
  unsheltered_.setZero(idx(n));
  waiting_.setZero(idx(n));
  Count unsheltered_total = 0;
  const auto& waiting_by_node = transport_.waiting_by_node();
  for (std::size_t i = 0; i < n; ++i) {
    waiting_[idx(i)] = waiting_by_node[i];
    const Count displaced_here = ledger_.displaced_at(i);
    // Nobody is sheltered at a junction: a transit node without a capacity counts everyone displaced there.
    const double capacity = events_.passes_through(i) ? 0.0 : events_.capacity(i);
    if (std::isfinite(capacity) && displaced_here > 0) {
      const double over = people(ledger_.residents_at(i) + displaced_here) - capacity;
      const Count over_units = over > 0.0 ? static_cast<Count>(std::ceil(over * static_cast<double>(units_))) : 0;
      unsheltered_[idx(i)] = std::clamp<Count>(over_units, 0, displaced_here);
      unsheltered_total += unsheltered_[idx(i)];
    }
  }
  DayRecord record;
  record.day = day;
  record.units_per_person = units_;
  record.residents_by_group = &ledger_.residents();
  record.displaced_by_group = &ledger_.displaced();
  record.departures = &ledger_.departures();
  record.arrivals = &ledger_.arrivals();
  record.returns = &ledger_.returns();
  record.waiting = &waiting_;
  record.unsheltered = &unsheltered_;
  record.corridor_inflow = &transport_.corridor_inflow();
  record.in_transit = &transport_.in_transit();
  record.threat = &threat_.threat();
  record.capacity = &events_.capacities();
  record.cumulative_displaced = ledger_.cumulative_displaced();
  for (auto* o : observers_) o->on_day(record);

  if (people(ledger_.left_home_today()) > summary.peak_daily_departures) {
    summary.peak_daily_departures = people(ledger_.left_home_today());
    summary.peak_day = day;
  }
  if (people(unsheltered_total) > summary.unsheltered_peak) {
    summary.unsheltered_peak = people(unsheltered_total);
    summary.unsheltered_peak_day = day;
  }
}

void DayRecorder::finish(RunSummary& summary) const {
  FinalRecord final_record;
  final_record.units_per_person = units_;
  final_record.origin_destination = ledger_.origin_destination();
  for (auto* o : observers_) o->on_finish(final_record);

  summary.cumulative_displaced = people(ledger_.cumulative_displaced());
  summary.returned = people(ledger_.returned());
  summary.displaced_present_end = people(ledger_.displaced().sum());
  summary.in_transit_end = people(transport_.in_transit().sum());
  Count waiting = 0;
  for (auto w : transport_.waiting_by_node()) waiting += w;
  summary.waiting_end = people(waiting);
  auto top = [&](const std::vector<Count>& by_node) {
    std::vector<NodeTotal> totals;
    for (std::size_t i = 0; i < by_node.size(); ++i) {
      if (by_node[i] > 0) totals.push_back({static_cast<NodeIndex>(i), people(by_node[i])});
    }
    std::stable_sort(totals.begin(), totals.end(), [](const auto& a, const auto& b) { return a.people > b.people; });
    if (totals.size() > 5) totals.resize(5);
    return totals;
  };
  summary.top_origins = top(ledger_.left_home_by_node());
  summary.top_destinations = top(ledger_.displaced_arrivals_by_node());
}

}  // namespace haven::engine
