#include "transport.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

namespace haven::engine {

Transport::Transport(const Scenario& scenario, Count units_per_person, const RoadNetwork& network,
                     PopulationLedger& ledger, EventQueue<EngineEvent>& queue, const EventLog& log,
                     std::size_t dense_cells_max_nodes)
    : s_(scenario), units_(units_per_person), network_(network), ledger_(ledger), queue_(queue), log_(log) {
  const auto n = s_.nodes.size();
  const auto c = s_.corridors.size();
  incoming_.assign(n, 0);
  waiting_by_node_.assign(n, 0);
  in_transit_ = CountVector::Zero(idx(c));
  corridor_inflow_ = CountVector::Zero(idx(c));
  budget_.assign(c, std::numeric_limits<Count>::max());
  played_out_today_.assign(n * s_.groups.size(), no_cohort);
  if (n <= dense_cells_max_nodes) cell_homes_.resize(n * s_.groups.size());
  entered_last_.resize(c);
  queues_.resize(c);
  for (std::size_t k = 0; k < c; ++k) {
    if (s_.corridors[k].capacity_people_per_day) capped_.push_back(k);
  }
}

std::size_t Transport::KeyHash::operator()(const Key& k) const noexcept {
  std::uint64_t h = static_cast<std::uint32_t>(k.corridor);
  h = h * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint32_t>(k.to);
  h = h * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint32_t>(k.destination);
  h = h * 0x9E3779B97F4A7C15ull ^
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.group)) << 32 | static_cast<std::uint32_t>(k.day));
  h = h * 0x9E3779B97F4A7C15ull ^ std::bit_cast<std::uint64_t>(k.time);  // times are never -0 or NaN
  h *= 0x9E3779B97F4A7C15ull;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

std::uint32_t Transport::store(Cohort cohort) {
  ++cohorts_created_;
  std::uint32_t slot = 0;
  if (!free_cohorts_.empty()) {
    slot = free_cohorts_.back();
    free_cohorts_.pop_back();
    cohorts_[slot] = std::move(cohort);
  } else {
    cohorts_.push_back(std::move(cohort));
    slot = static_cast<std::uint32_t>(cohorts_.size() - 1);
  }
  cohorts_alive_peak_ = std::max(cohorts_alive_peak_, cohorts_alive());
  return slot;
}

void Transport::release(std::uint32_t slot) {
  cohorts_[slot].route.reset();
  cohorts_[slot].mix.reset();
  free_cohorts_.push_back(slot);
}

void Transport::drop(std::uint32_t slot) {
  if (!cohorts_[slot].placed) --cohorts_created_;
  release(slot);
}

namespace {

// Hands `cohort`'s people by home to add(home, people) (for_each_home_part()).
template <typename Add>
void for_each_home(const Cohort& cohort, Count units_per_person, Add&& add) {
  for_each_home_part(cohort.origin, cohort.mix.get(), cohort.mix_in_people, cohort.destination, cohort.count,
                     units_per_person, add);
}

// Appends `cohort`'s people by home to `out` (for_each_home()).
void append_people(OriginMix& out, const Cohort& cohort, Count units_per_person) {
  if (cohort.mix && cohort.mix_in_people) {
    out.insert(out.end(), cohort.mix->begin(), cohort.mix->end());
    return;
  }
  for_each_home(cohort, units_per_person,
                [&out](NodeIndex home, Count people) { out.emplace_back(home, static_cast<double>(people)); });
}

// Splits `n` people over homes holding `weights` people (n at most their sum), exactly: each home floor(n w / W),
// the units left over to the largest remainders (lower index first on ties), so no home gives more than it has.
void split_exactly(Count n, const std::vector<Count>& weights, std::vector<Count>& out) {
  __extension__ using Wide = __int128;
  Count total = 0;
  for (const auto w : weights) total += w;
  out.assign(weights.size(), 0);
  if (total <= 0 || n <= 0) return;
  thread_local std::vector<std::pair<Count, std::size_t>> remainders;
  remainders.clear();
  Count left = n;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const Wide product = static_cast<Wide>(n) * weights[k];
    out[k] = static_cast<Count>(product / total);
    left -= out[k];
    remainders.emplace_back(static_cast<Count>(product % total), k);
  }
  const auto extra = static_cast<std::size_t>(left);
  std::partial_sort(
      remainders.begin(), remainders.begin() + static_cast<std::ptrdiff_t>(extra), remainders.end(),
      [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (std::size_t k = 0; k < extra; ++k) ++out[remainders[k].second];
}

// Gives `cohort` a mix of its own, in people.
void own_people_mix(Cohort& cohort, Count units_per_person) {
  OriginMix mix;
  mix.reserve(16);  // merges usually follow: fewer reallocations as they append
  append_people(mix, cohort, units_per_person);
  cohort.mix_compacted = static_cast<std::uint32_t>(mix.size());
  cohort.mix = SharedMix(std::move(mix));
  cohort.mix_in_people = true;
  cohort.origin = no_node;
}

}  // namespace

void Transport::absorb(Cohort& into, const Cohort& from) {
  ++cohorts_merged_;
  // The mix in people is this cohort's alone (made here, or by an earlier merge or split): grown in place.
  if (!into.mix_in_people || !into.mix.sole()) own_people_mix(into, units_);
  OriginMix& mix = into.mix.owned();
  append_people(mix, from, units_);
  into.count += from.count;
  // Many merges repeat the same homes: combined when the mix has doubled, so it stays within the homes' number.
  if (mix.size() >= 32 && mix.size() >= 2 * static_cast<std::size_t>(into.mix_compacted)) {
    // Whole units: the sums do not depend on the order of equal homes.
    std::sort(mix.begin(), mix.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::size_t kept = 0;
    for (std::size_t k = 0; k < mix.size(); ++k) {
      if (kept > 0 && mix[kept - 1].first == mix[k].first) {
        mix[kept - 1].second += mix[k].second;
      } else {
        mix[kept++] = mix[k];
      }
    }
    mix.resize(kept);
    into.mix_compacted = static_cast<std::uint32_t>(kept);
  }
}

// `entering` (all of them so far) keeps `entering_count` people, `rest` the others, each with exactly its homes.
void Transport::split_homes(Cohort& entering, Cohort& rest, Count entering_count) {
  rest.count = entering.count - entering_count;
  if (entering.mix) {
    thread_local OriginMix people;
    thread_local std::vector<Count> weights, parts;
    people.clear();
    append_people(people, entering, units_);
    weights.resize(people.size());
    for (std::size_t k = 0; k < people.size(); ++k) weights[k] = static_cast<Count>(people[k].second);
    split_exactly(entering_count, weights, parts);
    OriginMix entering_mix;
    OriginMix rest_mix;
    for (std::size_t k = 0; k < people.size(); ++k) {
      if (parts[k] > 0) entering_mix.emplace_back(people[k].first, static_cast<double>(parts[k]));
      if (weights[k] > parts[k]) rest_mix.emplace_back(people[k].first, static_cast<double>(weights[k] - parts[k]));
    }
    for (Cohort* c : {&entering, &rest}) {
      c->mix_in_people = true;
      c->origin = no_node;
    }
    entering.mix_compacted = static_cast<std::uint32_t>(entering_mix.size());
    rest.mix_compacted = static_cast<std::uint32_t>(rest_mix.size());
    entering.mix = SharedMix(std::move(entering_mix));
    rest.mix = SharedMix(std::move(rest_mix));
  }
  entering.count = entering_count;
}

Transport::Key Transport::queue_key(const Cohort& cohort) const {
  const Leg& leg = cohort.route->legs[cohort.leg];
  return Key{leg.corridor, leg.to, cohort.destination, cohort.group, cohort.queued_day, 0.0};
}

void Transport::adopt(const Transport& saved) {
  // Field by field: copying a Cohort whole would count its mix's owners up and down in `saved`, which other runs
  // may be reading at the same time (the counts are not atomic). The binding names every field: one added to Cohort
  // does not compile here until it is copied too.
  MixCopies copy_mix;
  cohorts_.clear();
  cohorts_.reserve(saved.cohorts_.size());
  for (const Cohort& c : saved.cohorts_) {
    const auto& [count, group, origin, destination, route, leg, mix, mix_in_people, placed, queued_at, queued_day,
                 mix_compacted] = c;
    cohorts_.push_back(Cohort{count, group, origin, destination, route, leg, copy_mix(mix), mix_in_people, placed,
                              queued_at, queued_day, mix_compacted});
  }
  free_cohorts_ = saved.free_cohorts_;
  deciding_ = saved.deciding_;
  releasing_ = saved.releasing_;
  played_out_later_ = saved.played_out_later_;
  entered_last_ = saved.entered_last_;
  waiting_ = saved.waiting_;
  played_out_today_ = saved.played_out_today_;
  cell_homes_ = saved.cell_homes_;
  settling_today_ = saved.settling_today_;
  incoming_ = saved.incoming_;
  budget_ = saved.budget_;
  queues_ = saved.queues_;
  capped_ = saved.capped_;
  waiting_by_node_ = saved.waiting_by_node_;
  corridor_inflow_ = saved.corridor_inflow_;
  in_transit_ = saved.in_transit_;
  cohorts_created_ = saved.cohorts_created_;
  journeys_played_out_ = saved.journeys_played_out_;
  cohorts_queued_ = saved.cohorts_queued_;
  cohorts_merged_ = saved.cohorts_merged_;
  cohorts_alive_peak_ = saved.cohorts_alive_peak_;
}

std::size_t Transport::bytes() const {
  std::size_t bytes = sizeof(*this) + cohorts_.capacity() * sizeof(Cohort);
  for (const Cohort& cohort : cohorts_) {
    if (!cohort.mix) continue;
    const OriginMix& mix = *cohort.mix;
    bytes += sizeof(mix) + mix.capacity() * sizeof(mix[0]) +
             (mix.carried.quotients.capacity() + mix.carried.owed_units.capacity()) * sizeof(double);
  }
  for (const auto& cell : cell_homes_) {
    bytes += sizeof(cell) + (cell.people.capacity() + cell.pooled_units.capacity() + cell.owed_units.capacity()) * 8;
  }
  for (const auto& queue : queues_) bytes += sizeof(queue) + queue.capacity() * sizeof(std::uint32_t);
  for (const auto& entered : entered_last_) bytes += sizeof(entered) + entered.cohorts.capacity() * sizeof(OnCorridor);
  bytes += waiting_.size() * (sizeof(Key) + 32) + 8 * incoming_.size() * sizeof(Count);
  return bytes;
}

void Transport::launch(Cohort cohort) {
  incoming_[at(cohort.destination)] += cohort.count;
  if (deciding_ && completes_today(cohort, log_.time())) {
    // The journey ends today along free corridors: its legs are counted now, and its people settle after the
    // decisions together with everyone of their group reaching the same destination today (their homes kept
    // exactly: the same stays as one by one). Nothing reads the stays before then.
    enter_remaining_legs(cohort);
    cohort.route.reset();
    const std::size_t cell_index = played_out_cell(cohort);
    auto& cell = played_out_today_[cell_index];
    if (cell != no_cohort) {
      if (cell_homes_.empty()) {
        absorb(cohorts_[cell], cohort);
      } else {
        absorb_into_cell(cell_index, cohorts_[cell], cohort);
      }
      return;
    }
    cell = store(std::move(cohort));
    cohorts_[cell].placed = true;
    played_out_later_.push_back(cell);
    return;
  }
  advance(store(std::move(cohort)));
}

void Transport::end_decisions() {
  deciding_ = false;
  for (const auto slot : played_out_later_) {
    const Cohort& cohort = cohorts_[slot];
    const std::size_t cell_index = played_out_cell(cohort);
    played_out_today_[cell_index] = no_cohort;
    if (cell_index < cell_homes_.size() && cell_homes_[cell_index].in_use) {
      settle_cell(slot, cell_index);
    } else {
      settle(slot, cohort.destination);
    }
  }
  played_out_later_.clear();
}

Transport::CellHomes& Transport::open_cell(std::size_t cell) {
  CellHomes& homes = cell_homes_[cell];
  if (homes.people.empty()) {
    const std::size_t slots = s_.nodes.size() + 1;
    homes.people.assign(slots, 0);
    homes.pooled_units.assign(slots, 0.0);
    homes.owed_units.assign(slots, 0.0);
  }
  return homes;
}

// A pooled cohort's homes' unrounded shares added to a cell's table by home slot (add_pooled_shares()).
bool Transport::add_to_cell(const Cohort& cohort, std::vector<double>& units_by_slot) const {
  const OriginMix& mix = *cohort.mix;
  return add_pooled_shares(mix, cohort.destination, cohort.count, units_by_slot,
                           [&](std::size_t k) { return home_slot(mix[k].first); });
}

// As absorb(), for the cohort of a destination and group whose journeys all end today (`cell`): its people by
// home are counted in the cell's dense table instead of a list of (home, people) that grows and is sorted.
void Transport::absorb_into_cell(std::size_t cell, Cohort& into, const Cohort& from) {
  ++cohorts_merged_;
  CellHomes& homes = open_cell(cell);
  const auto add = [&](const Cohort& cohort) {
    // A pooled journey's shares are rounded with the cell's others when it settles: one rounding a day per
    // destination and group, not one per journey (most of a run's journeys end merged here).
    if (cohort.mix && !cohort.mix_in_people && add_to_cell(cohort, homes.pooled_units)) {
      homes.pooled += cohort.count;
      return;
    }
    for_each_home(cohort, units_, [&](NodeIndex home, Count people) { homes.people[home_slot(home)] += people; });
  };
  if (!homes.in_use) {
    // The first merge: the cell's own people go into the table (own_people_mix()'s step).
    homes.in_use = true;
    add(into);
    into.mix.reset();
    into.mix_in_people = false;
    into.origin = no_node;
  }
  add(from);
  into.count += from.count;
}

// As settle() for a cell counted in its table: each home's people settle at once (the ledger's sums and its
// sorted stays do not depend on the order or grouping of a settlement's parts), and the table is cleared.
void Transport::settle_cell(std::uint32_t slot, std::size_t cell) {
  const NodeIndex destination = cohorts_[slot].destination;
  const GroupIndex group = cohorts_[slot].group;
  const Count count = cohorts_[slot].count;
  release(slot);
  incoming_[at(destination)] -= count;
  settle_homes(cell_homes_[cell], destination, group);
}

void Transport::settle_homes(CellHomes& homes, NodeIndex node, GroupIndex group) {
  const std::size_t slots = homes.people.size();
  if (homes.pooled > 0) {
    // The pooled journeys' people, rounded once for the cell (their shares add up to them but for rounding).
    thread_local std::vector<Count> parts;
    parts.resize(slots);
    apportion_owed(homes.pooled_units, homes.pooled, std::max<Count>(units_, 1), homes.owed_units, parts);
    for (std::size_t h = 0; h < slots; ++h) {
      homes.people[h] += parts[h];
      homes.pooled_units[h] = 0.0;
    }
    homes.pooled = 0;
  }
  for (std::size_t h = 0; h < slots; ++h) {
    if (homes.people[h] == 0) continue;  // nobody: no stay
    const NodeIndex home = h + 1 == slots ? no_node : static_cast<NodeIndex>(h);
    ledger_.settle_home(node, group, home, homes.people[h]);
    homes.people[h] = 0;
  }
  homes.in_use = false;
  homes.settling = false;
}

void Transport::settle_day() {
  const std::size_t groups = s_.groups.size();
  for (const std::size_t cell : settling_today_) {
    CellHomes& homes = cell_homes_[cell];
    // Already settled when the played-out journeys' settling took them (settle_cell()).
    if (!homes.settling) continue;
    settle_homes(homes, static_cast<NodeIndex>(cell / groups), static_cast<GroupIndex>(cell % groups));
  }
  settling_today_.clear();
}

// Puts cohort `slot` onto its next corridor, or in the corridor's queue, or re-routes it when the way ahead has
// closed since it set off; people with no way on settle where they are.
void Transport::advance(std::uint32_t slot) {
  Cohort& cohort = cohorts_[slot];
  const Leg* leg = &cohort.route->legs[cohort.leg];
  if (!network_.leg_passable(*leg)) {
    if (before_detour_) before_detour_();
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
      rest.placed = false;
      split_homes(cohort, rest, budget);
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
  entering.queued_at = -1;
  const double arrival_time = log_.time() + leg->travel_days / speed_factor(entering);
  // Others on this corridor who reach its far end at the same time for the same destination: they go on as one.
  // Arriving at the same time on one corridor, in one direction and group, is entering it at the same time, and
  // time only moves on: only the cohorts that entered at this very time need a look.
  auto& entered = entered_last_[c];
  if (entered.time != log_.time()) {
    entered.time = log_.time();
    entered.cohorts.clear();
  }
  for (const auto& other : entered.cohorts) {
    if (other.arrival_time == arrival_time && other.destination == entering.destination &&
        other.group == entering.group && other.to == leg->to) {
      join(other.slot, other.leg, slot);
      return;
    }
  }
  const OnCorridor on{arrival_time, entering.destination, leg->to, entering.group, slot, entering.leg};
  // Others may join it while it is on this corridor: not if it settled within the day, nor if it crossed the
  // corridor in no time (leg by leg, its arrival now would have taken it off before they came).
  if (travel(slot, arrival_time) && arrival_time > log_.time()) entered.cohorts.push_back(on);
}

// Enters cohort `slot`'s legs after the one it entered now (reaching its end at `time`) for as long as it reaches
// them before the next whole day and they are free (completes_today() says why that is exact), then schedules
// one arrival: at the end of the leg that runs past the day, or of the leg before one that is closed or capped,
// so that closures and queues are met at the same time as leg by leg. Within a day the legs between only add to
// the day's inflows (in transit on them is back to what it was by the record). A journey that ends within the day
// settles at once, as play_out() does, except while the day's decisions (or the releases before them) are under
// way: then its last arrival is queued as before. Returns whether the cohort is on the road (not settled).
bool Transport::travel(std::uint32_t slot, double time) {
  Cohort& cohort = cohorts_[slot];
  const auto& legs = cohort.route->legs;
  const double day_end = day_start(log_.time()) + 1.0;
  const bool may_settle = !deciding_ && !releasing_;
  while (time < day_end) {
    const Leg& leg = legs[cohort.leg];
    if (leg.to == cohort.destination) {
      if (!may_settle) break;
      ++journeys_played_out_;
      settle(slot, leg.to);
      return false;
    }
    const Leg& next = legs[cohort.leg + 1];
    if (!enters_freely(next)) break;
    ++cohort.leg;
    corridor_inflow_[idx(static_cast<std::size_t>(next.corridor))] += cohort.count;
    time += next.travel_days / speed_factor(cohort);
  }
  in_transit_[idx(static_cast<std::size_t>(legs[cohort.leg].corridor))] += cohort.count;
  cohort.placed = true;
  queue_.push(time, priority_arrive, {EngineEvent::Type::arrive, slot});
  return true;
}

// Cohort `from` entering now the corridor that cohort `into` entered now as its leg `entered_leg`, for the same far
// end, destination, group and arrival: its people go on with `into` along the legs `into` has entered since.
void Transport::join(std::uint32_t into, std::uint32_t entered_leg, std::uint32_t from) {
  Cohort& joined = cohorts_[into];
  const Count count = cohorts_[from].count;
  const auto& legs = joined.route->legs;
  for (auto l = entered_leg + 1; l <= joined.leg; ++l) {
    corridor_inflow_[idx(static_cast<std::size_t>(legs[l].corridor))] += count;
  }
  in_transit_[idx(static_cast<std::size_t>(legs[joined.leg].corridor))] += count;
  absorb(joined, cohorts_[from]);
  drop(from);
}

void Transport::enqueue(std::uint32_t slot) {
  ++cohorts_queued_;
  Cohort& cohort = cohorts_[slot];
  const Leg& leg = cohort.route->legs[cohort.leg];
  waiting_by_node_[at(leg.from)] += cohort.count;
  if (cohort.queued_at != leg.corridor) {
    cohort.queued_at = leg.corridor;
    cohort.queued_day = static_cast<std::int32_t>(day_start(log_.time()));
  }
  // People who joined this queue on the same day for the same destination wait as one, in the place of the first:
  // first come, first served between days.
  const auto [it, fresh] = waiting_.try_emplace(queue_key(cohort), slot);
  if (!fresh) {
    absorb(cohorts_[it->second], cohort);
    drop(slot);
    return;
  }
  cohort.placed = true;
  queues_[static_cast<std::size_t>(leg.corridor)].push_back(slot);
}

void Transport::release_queues() {
  // Before the day's decisions: journeys that end today are not settled before them (travel()).
  releasing_ = true;
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
    for (const auto slot : waiting) waiting_.erase(queue_key(cohorts_[slot]));
    for (const auto slot : waiting) {
      const Cohort& cohort = cohorts_[slot];
      waiting_by_node_[at(cohort.route->legs[cohort.leg].from)] -= cohort.count;
      advance(slot);
    }
  }
  releasing_ = false;
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
// record, so its place among other arrivals does not matter. Other journeys go as far along such legs as they
// reach within the day at once too, and queue one arrival there (travel()): results are those of one event per
// leg.
bool Transport::completes_today(const Cohort& cohort, double time) const {
  const double day_end = day_start(time) + 1.0;
  const double speed = speed_factor(cohort);
  for (std::size_t l = cohort.leg; l < cohort.route->legs.size(); ++l) {
    const Leg& leg = cohort.route->legs[l];
    // The time first: most journeys run past the day on their first legs, and it reads no network state.
    time += leg.travel_days / speed;
    if (!(time < day_end)) return false;
    if (!enters_freely(leg)) return false;
    if (leg.to == cohort.destination) return true;
  }
  return false;
}

// Enters cohort `slot`'s remaining legs in turn and settles it (completes_today() holds).
void Transport::play_out(std::uint32_t slot) {
  enter_remaining_legs(cohorts_[slot]);
  settle(slot, cohorts_[slot].destination);
}

void Transport::enter_remaining_legs(const Cohort& cohort) {
  ++journeys_played_out_;
  for (auto l = cohort.leg;; ++l) {
    const Leg& leg = cohort.route->legs[l];
    corridor_inflow_[idx(static_cast<std::size_t>(leg.corridor))] += cohort.count;
    if (leg.to == cohort.destination) break;
  }
}

// Whether entering the leg's corridor now is free of order effects: open, to an open node, and without capacity.
bool Transport::enters_freely(const Leg& leg) const {
  return network_.leg_passable(leg) &&
         !s_.corridors[static_cast<std::size_t>(leg.corridor)].capacity_people_per_day.has_value();
}

// People reach the end of their journey (or of the road) at `node`.
void Transport::settle(std::uint32_t slot, NodeIndex node) {
  // Moved out: the slot is released at once, so its route and mix need no second owner.
  const Cohort cohort = std::move(cohorts_[slot]);
  release(slot);
  incoming_[at(cohort.destination)] -= cohort.count;
  if (!cell_homes_.empty() && cohort.mix && !cohort.mix_in_people && settle_pooled_in_cell(cohort, node)) return;
  ledger_.settle(node, cohort.group, cohort.origin, cohort.mix.get(), cohort.mix_in_people, cohort.destination,
                 cohort.count);
}

// A pooled journey settling on its own (after the decisions, a queue, or stranded where the road ends): its homes'
// unrounded shares are added to the cell of `node` and its group, and rounded with everyone else's there once, when
// the day ends (settle_day()), with what the homes are owed there. False when no positive weight is left (the
// ledger's general split decides at once).
bool Transport::settle_pooled_in_cell(const Cohort& cohort, NodeIndex node) {
  const std::size_t cell = at(node) * s_.groups.size() + static_cast<std::size_t>(cohort.group);
  CellHomes& homes = open_cell(cell);
  if (!add_to_cell(cohort, homes.pooled_units)) return false;  // nothing was added
  if (!homes.settling) {
    homes.settling = true;
    settling_today_.push_back(cell);
  }
  homes.pooled += cohort.count;
  return true;
}

}  // namespace haven::engine
