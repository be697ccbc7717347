#include "transport.hpp"

#include <cmath>
#include <limits>

namespace haven::engine {

Transport::Transport(const Scenario& scenario, Count units_per_person, const RoadNetwork& network,
                     PopulationLedger& ledger, EventQueue<EngineEvent>& queue, const EventLog& log)
    : s_(scenario), units_(units_per_person), network_(network), ledger_(ledger), queue_(queue), log_(log) {
  const auto n = s_.nodes.size();
  const auto c = s_.corridors.size();
  incoming_.assign(n, 0);
  waiting_by_node_.assign(n, 0);
  in_transit_ = CountVector::Zero(idx(c));
  corridor_inflow_ = CountVector::Zero(idx(c));
  budget_.assign(c, std::numeric_limits<Count>::max());
  queues_.resize(c);
  for (std::size_t k = 0; k < c; ++k) {
    if (s_.corridors[k].capacity_people_per_day) capped_.push_back(k);
  }
}

std::uint32_t Transport::store(Cohort cohort) {
  ++cohorts_created_;
  if (!free_cohorts_.empty()) {
    const auto slot = free_cohorts_.back();
    free_cohorts_.pop_back();
    cohorts_[slot] = std::move(cohort);
    return slot;
  }
  cohorts_.push_back(std::move(cohort));
  return static_cast<std::uint32_t>(cohorts_.size() - 1);
}

void Transport::release(std::uint32_t slot) {
  cohorts_[slot].route.reset();
  free_cohorts_.push_back(slot);
}

void Transport::launch(Cohort cohort) {
  incoming_[at(cohort.destination)] += cohort.count;
  const auto slot = store(std::move(cohort));
  if (deciding_ && completes_today(cohorts_[slot], log_.time())) {
    played_out_later_.push_back(slot);
    return;
  }
  advance(slot);
}

void Transport::end_decisions() {
  deciding_ = false;
  for (const auto slot : played_out_later_) play_out(slot);
  played_out_later_.clear();
}

// Puts cohort `slot` onto its next corridor, or in the corridor's queue, or re-routes it when the way ahead has
// closed since it set off; people with no way on settle where they are.
void Transport::advance(std::uint32_t slot) {
  Cohort& cohort = cohorts_[slot];
  const Leg* leg = &cohort.route->legs[cohort.leg];
  if (!network_.corridor_open(leg->corridor) || !network_.node_open(leg->to)) {
    RoutePtr detour = network_.route(leg->from, cohort.destination);
    if (!detour) {
      log_("stranded", "", leg->from, leg->corridor, people(cohort.count));
      settle(slot, leg->from);
      return;
    }
    cohort.route = std::move(detour);
    cohort.leg = 0;
    leg = &cohort.route->legs[0];
  }
  const auto c = static_cast<std::size_t>(leg->corridor);
  const bool limited = s_.corridors[c].capacity_people_per_day.has_value();
  Count& budget = budget_[c];
  if (limited && budget < cohort.count) {
    // The corridor lets only `budget` more people in today; the rest wait at its entrance.
    if (budget > 0) {
      Cohort rest = cohort;
      rest.count -= budget;
      cohort.count = budget;
      const auto rest_slot = store(std::move(rest));
      enqueue(rest_slot);
    } else {
      enqueue(slot);
      return;
    }
  }
  Cohort& entering = cohorts_[slot];
  if (limited) budget -= entering.count;
  corridor_inflow_[idx(c)] += entering.count;
  in_transit_[idx(c)] += entering.count;
  const double speed_factor = s_.groups[static_cast<std::size_t>(entering.group)].speed_factor;
  queue_.push(log_.time() + leg->travel_days / speed_factor, priority_arrive, {EngineEvent::Type::arrive, slot});
}

void Transport::enqueue(std::uint32_t slot) {
  ++cohorts_queued_;
  const Cohort& cohort = cohorts_[slot];
  const Leg& leg = cohort.route->legs[cohort.leg];
  queues_[static_cast<std::size_t>(leg.corridor)].push_back(slot);
  waiting_by_node_[at(leg.from)] += cohort.count;
}

void Transport::release_queues() {
  for (const auto c : capped_) {
    budget_[c] =
        static_cast<Count>(std::llround(*s_.corridors[c].capacity_people_per_day * static_cast<double>(units_)));
  }
  // Only capped corridors ever hold a queue (a closed one is re-routed around before anyone queues).
  for (const auto c : capped_) {
    auto& queue = queues_[c];
    if (queue.empty()) continue;
    // First come, first served; those who cannot enter today go back to the queue, in order.
    std::vector<std::uint32_t> waiting;
    waiting.swap(queue);
    for (const auto slot : waiting) {
      const Cohort& cohort = cohorts_[slot];
      waiting_by_node_[at(cohort.route->legs[cohort.leg].from)] -= cohort.count;
      advance(slot);
    }
  }
}

void Transport::arrive(std::uint32_t slot) {
  Cohort& cohort = cohorts_[slot];
  const Leg& leg = cohort.route->legs[cohort.leg];
  in_transit_[idx(static_cast<std::size_t>(leg.corridor))] -= cohort.count;
  if (leg.to == cohort.destination) {
    settle(slot, leg.to);
    return;
  }
  ++cohort.leg;
  if (completes_today(cohort, log_.time())) {
    play_out(slot);
    return;
  }
  advance(slot);
}

// Journeys that end before the next whole day along open, uncapped corridors are played out at once instead of
// one queued arrival per leg. Between two whole days the network does not change, and what such an arrival does
// (leave a corridor, enter an uncapped one, settle) only adds to sums that nothing reads before the next day's
// record, so its place among other arrivals does not matter. Every other journey goes through the queue exactly
// as before, in the same order: results are those of one event per leg.
bool Transport::completes_today(const Cohort& cohort, double time) const {
  const double day_end = std::floor(time) + 1.0;
  const double speed_factor = s_.groups[static_cast<std::size_t>(cohort.group)].speed_factor;
  for (std::size_t l = cohort.leg; l < cohort.route->legs.size(); ++l) {
    const Leg& leg = cohort.route->legs[l];
    if (!enters_freely(leg)) return false;
    time += leg.travel_days / speed_factor;
    if (!(time < day_end)) return false;
    if (leg.to == cohort.destination) return true;
  }
  return false;
}

// Enters cohort `slot`'s remaining legs in turn and settles it (completes_today() holds).
void Transport::play_out(std::uint32_t slot) {
  ++journeys_played_out_;
  Cohort& cohort = cohorts_[slot];
  for (;; ++cohort.leg) {
    const Leg& leg = cohort.route->legs[cohort.leg];
    corridor_inflow_[idx(static_cast<std::size_t>(leg.corridor))] += cohort.count;
    if (leg.to == cohort.destination) break;
  }
  settle(slot, cohort.destination);
}

// Whether entering the leg's corridor now is free of order effects: open, to an open node, and without capacity.
bool Transport::enters_freely(const Leg& leg) const {
  return network_.corridor_open(leg.corridor) && network_.node_open(leg.to) &&
         !s_.corridors[static_cast<std::size_t>(leg.corridor)].capacity_people_per_day.has_value();
}

// People reach the end of their journey (or of the road) at `node`.
void Transport::settle(std::uint32_t slot, NodeIndex node) {
  const Cohort cohort = cohorts_[slot];
  release(slot);
  incoming_[at(cohort.destination)] -= cohort.count;
  ledger_.settle(node, cohort.group, cohort.origin, cohort.mix.get(), cohort.destination, cohort.count);
}

}  // namespace haven::engine
