#include "flee_step.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <variant>

namespace haven::engine {

namespace {

constexpr double no_conflict = 1e-6;  // Flee's threshold in conflicts.csv
// A day's hops are bounded: Flee stops with a RecursionError far earlier than this.
constexpr int max_hops_per_day = 256;
// Up to this many movers choose their routes person by person (one uniform each) rather than by a multinomial's
// conditional binomials: the same distribution, and cheaper for the small parties most of a day's hops leave.
constexpr Count few_movers = 16;
// Recent travel is kept in steps of 1/recent_steps of a day's distance: finer only multiplies the groups of people.
constexpr double recent_steps = 32.0;
// People who arrive at a location within a hop and go on the same day are pooled when they share a coarse state
// (merge_arrivals, docs/model.md): the value that decides their next step, in steps of 1/merge_steps of a day's
// distance. Those avoid_short_stints pushes on through towns (recent + moved today / max speed < 1) pool by that
// sum, 32 slots below 1; the others by the distance moved today, which decides whether they go on again, in up to
// merge_moved_slots steps (they moved less than a day's distance: 32 steps unless walking is faster than driving).
// Anyone outside the table goes on as a party of their own.
constexpr double merge_steps = 32.0;
constexpr std::size_t merge_pushed_slots = 32;
constexpr std::size_t merge_moved_slots = 64;
constexpr std::size_t merge_slots = merge_pushed_slots + merge_moved_slots;  // per location

}  // namespace

void FleeWorld::finish_links(int day_count) {
  days = day_count;
  const auto n = locations.size();
  links_from.assign(n, {});
  for (std::size_t l = 0; l < links.size(); ++l) links_from[at(links[l].from)].push_back(static_cast<std::int32_t>(l));
  conflict_intensity.assign(static_cast<std::size_t>(days), std::vector<double>(n, 0.0));
  link_closed.assign(static_cast<std::size_t>(days), std::vector<char>(links.size(), 0));
  camp_closed.assign(static_cast<std::size_t>(days), std::vector<char>(n, 0));
  observed_total.assign(static_cast<std::size_t>(days), 0.0);
}

FleeStep::FleeStep(const FleeWorld& world, const FleeSettings& settings, Draws draws, Count units_per_person)
    : world_(world), s_(settings), draws_(draws), units_(units_per_person) {
  const auto n = world_.locations.size();
  states_.resize(n);
  capacity_.resize(n);
  parties_.resize(n);
  choices_.resize(n);
  settled_.resize(n);
  score_.assign(n, 1.0);
  agents_.setZero(static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& location = world_.locations[i];
    auto& state = states_[i];
    state.type = location.type;
    state.population = location.population;
    state.foreign = location.foreign;
    capacity_[i] = location.capacity;
    // Flee inserts the camps' day-0 people and takes as many off their capacity (spawning.spawn_daily_displaced):
    // a camp that starts full has capacity <= 0, which Flee reads as no limit.
    if (s_.insert_day0 && location.type == FleeLocationType::camp && location.capacity > 0.0 &&
        std::isfinite(location.capacity)) {
      capacity_[i] =
          location.capacity - std::floor(static_cast<double>(location.initial_agents) / static_cast<double>(units_));
    }
    state.capacity = capacity_[i];
    if (location.initial_agents > 0) {
      parties_[i].push_back(Party{location.initial_agents, 0.0, walked_at_start(), {}, 0.0});
      agents_[idx(i)] = location.initial_agents;
    }
  }
  link_open_.assign(world_.links.size(), 1);
}

double FleeStep::capacity_now(NodeIndex location) const {
  return capacity_[at(location)];
}

double FleeStep::quantised_recent(double recent) {
  // recent >= 0: adding a half and truncating rounds to the nearest step without a call to lround.
  return static_cast<double>(static_cast<long>(std::clamp(recent * recent_steps, 0.0, 65535.0) + 0.5)) / recent_steps;
}

CountVector FleeStep::on_links() const {
  CountVector out = CountVector::Zero(static_cast<Eigen::Index>(world_.links.size()));
  for (const auto& t : travellers_) out[t.link] += t.count;
  return out;
}

void FleeStep::update_conflicts(int day) {
  bool changed = false;
  const auto& today = world_.conflict_intensity[static_cast<std::size_t>(day)];
  for (std::size_t i = 0; i < states_.size(); ++i) {
    auto& state = states_[i];
    const double now = today[i];
    const double before = day > 0 ? world_.conflict_intensity[static_cast<std::size_t>(day) - 1][i] : 0.0;
    // Flee acts on a conflict's onset and end only: a change of intensity while it lasts is not read
    // (InputGeography.AddNewConflictZones).
    if (now > no_conflict && (day == 0 || before <= no_conflict)) {
      state.conflict_intensity = now;
      state.conflict_start_day = day;
      if (state.type != FleeLocationType::camp) state.type = FleeLocationType::conflict_zone;
      changed = true;
    } else if (day > 0 && now <= no_conflict && before > no_conflict) {
      state.conflict_intensity = 0.0;
      state.type = FleeLocationType::town;
      changed = true;
    }
  }
  // Flee refreshes the spawn weights when a conflict begins or ends and after each day's spawning: the day's
  // spawning reads weights of today when something changed, else of yesterday (a decay step one day late).
  spawn_weight_day_ = changed || day == 0 ? day : day - 1;
}

void FleeStep::spawn(int day) {
  spawned_.setZero(static_cast<Eigen::Index>(states_.size()));
  if (day == 0 && s_.insert_day0) return;  // the camps' day-0 people are in place instead
  long long new_people = 0;
  const auto& total = world_.observed_total;
  if (day == 0) {
    new_people = static_cast<long long>(std::floor(total[0]));
  } else {
    new_people = static_cast<long long>(std::floor(total[static_cast<std::size_t>(day)])) -
                 static_cast<long long>(std::floor(total[static_cast<std::size_t>(day) - 1]));
  }
  // Flee's refugee debt: a fall of the total is made up by later rises before anyone new flees.
  new_people -= debt_people_;
  if (new_people < 0) {
    debt_people_ = -new_people;
    return;
  }
  debt_people_ = 0;
  if (new_people == 0) return;
  std::vector<double> weights(states_.size());
  double weight_total = 0.0;
  for (std::size_t i = 0; i < states_.size(); ++i) {
    weights[i] = flee_rules::spawn_weight(states_[i], spawn_weight_day_, s_);
    weight_total += weights[i];
  }
  if (weight_total <= 0.0) {  // nowhere in conflict: they flee once a conflict begins (Flee would stop here)
    debt_people_ = -new_people;
    return;
  }
  auto stream = draws_.stream(RandomPurpose::flee_spawn, 0, day);
  std::vector<Count> split(states_.size());
  draws_.multinomial(stream, new_people * units_, weights, split);
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (split[i] == 0) continue;
    parties_[i].push_back(Party{split[i], 0.0, walked_at_start(), {}, 0.0});
    agents_[idx(i)] += split[i];
    spawned_[idx(i)] = split[i];
    spawned_total_ += split[i];
  }
}

void FleeStep::apply_closures(int day) {
  const auto d = static_cast<std::size_t>(day);
  for (std::size_t l = 0; l < link_open_.size(); ++l) {
    const char open = world_.link_closed[d][l] ? 0 : 1;
    if (open != link_open_[l]) ++routes_version_;
    link_open_[l] = open;
  }
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (world_.locations[i].type != FleeLocationType::camp) continue;
    // Flee closes a camp by making it a town (Location.close_camp) and opens it by making it a camp again.
    states_[i].type = world_.camp_closed[d][i] ? FleeLocationType::town : FleeLocationType::camp;
  }
}

std::int32_t FleeStep::open_link(NodeIndex from, NodeIndex to) const {
  for (auto l : world_.links_from[at(from)]) {
    if (link_open_[static_cast<std::size_t>(l)] && world_.links[static_cast<std::size_t>(l)].to == to) return l;
  }
  return -1;
}

bool FleeStep::full_camp(NodeIndex location) const {
  const auto& state = states_[at(location)];
  if (state.type != FleeLocationType::camp) return false;
  const double people = static_cast<double>(agents_[idx(location)]) / static_cast<double>(units_);
  return flee_rules::capacity_multiplier(people, capacity_[at(location)], s_) < 0.5;
}

void FleeStep::add_routes(NodeIndex at_node, std::vector<NodeIndex>& path, double length_km, int step,
                          std::vector<Route>& out) const {
  for (auto l : world_.links_from[at(at_node)]) {
    if (!link_open_[static_cast<std::size_t>(l)]) continue;
    const auto& link = world_.links[static_cast<std::size_t>(l)];
    if (std::find(path.begin(), path.end(), link.to) != path.end()) continue;  // no loops
    path.push_back(link.to);
    const double length = length_km + link.length_km;
    int next_step = step;
    if (states_[at(link.to)].type != FleeLocationType::marker) {
      out.push_back(Route{std::vector<NodeIndex>(path.begin() + 1, path.end()), length});
    } else {
      --next_step;  // markers are passed, not chosen, and do not count as a step
    }
    if (s_.awareness_level > next_step) add_routes(link.to, path, length, next_step + 1, out);
    path.pop_back();
  }
}

std::vector<FleeStep::Route> FleeStep::routes_from(NodeIndex origin) const {
  std::vector<Route> routes;
  if (s_.awareness_level <= 0) {  // a random neighbour (Flee's own code here moves nobody: docs/model.md)
    for (auto l : world_.links_from[at(origin)]) {
      if (link_open_[static_cast<std::size_t>(l)]) {
        const auto& link = world_.links[static_cast<std::size_t>(l)];
        routes.push_back(Route{{link.to}, link.length_km, l, flee_rules::route_distance_factor(link.length_km, s_)});
      }
    }
    return routes;
  }
  std::vector<NodeIndex> path{origin};
  add_routes(origin, path, 0.0, 1, routes);
  for (auto& route : routes) {
    route.first_link = open_link(origin, route.nodes.front());
    route.distance_factor = flee_rules::route_distance_factor(route.length_km, s_);
  }
  return routes;
}

void FleeStep::enter_link(NodeIndex location, std::int32_t link, const Party& party, Count count,
                          std::vector<NodeIndex> rest, std::vector<Traveller>& out) {
  agents_[idx(location)] -= count;
  departures_[idx(location)] += count;
  link_inflow_[link] += count;
  const auto& on = world_.links[static_cast<std::size_t>(link)];
  const double speed = day_distance_km(party.walked);
  if (!(speed > on.length_km)) {
    out.push_back(Traveller{count, link, 0.0, party.moved_km, party.recent, party.walked, std::move(rest)});
    return;
  }
  // A link shorter than the day's distance is passed in the next round for certain (links open and close only
  // between days): they arrive now, as that round's travel would have them, and are counted at the end of the link
  // when the round begins (incoming_), so that the choices of this round still see the counts it began with.
  arrivals_[idx(on.to)] += count;
  incoming_[idx(on.to)] += count;
  Party arrived{count, party.recent, true, std::move(rest), party.moved_km + on.length_km};
  if (arrived.moved_km < speed && arrival_hop_ + 1 < max_hops_per_day) {
    pool_arrival(on.to, std::move(arrived));
  } else {
    settled_[at(on.to)].push_back(std::move(arrived));
  }
}

const FleeStep::Choice& FleeStep::choice_at(NodeIndex location) {
  auto& choice = choices_[at(location)];
  if (choice.generation == generation_) return choice;
  choice.generation = generation_;
  if (choice.routes_version != routes_version_) {
    choice.routes_version = routes_version_;
    choice.routes = routes_from(location);
    choice.probabilities.resize(choice.routes.size());
    choice.full_end.resize(choice.routes.size());
  }
  for (std::size_t r = 0; r < choice.routes.size(); ++r) {
    const NodeIndex end = choice.routes[r].nodes.back();
    const double people = static_cast<double>(agents_[idx(end)]) / static_cast<double>(units_);
    choice.probabilities[r] =
        flee_rules::route_weight_of_factor(score_[at(end)], choice.routes[r].distance_factor,
                                           flee_rules::capacity_multiplier(people, capacity_[at(end)], s_), s_);
    choice.full_end[r] = full_camp(end) ? 1 : 0;
  }
  flee_rules::normalise_route_weights(choice.probabilities, s_);
  choice.cumulative.resize(choice.probabilities.size());
  choice.last_positive = 0;
  double sum = 0.0;
  for (std::size_t r = 0; r < choice.probabilities.size(); ++r) {
    choice.cumulative[r] = sum += choice.probabilities[r];
    if (choice.probabilities[r] > 0.0) choice.last_positive = r;
  }
  return choice;
}

void FleeStep::decide(NodeIndex location, Party party, bool continuing, RandomStream& move, RandomStream& route_stream,
                      std::vector<Traveller>& out, std::vector<Party>& stay) {
  const auto& state = states_[at(location)];
  const bool forced = continuing && flee_rules::forced_town_move(party.recent, party.moved_km, s_);
  const double chance = flee_rules::move_chance(state, !party.route.empty(), forced, s_);
  ++party_decisions_;
  // Certain moves (a conflict zone, a town that pushes them on, a known route) take no draw in either mode.
  const Count movers = chance >= 1.0 ? party.count : draws_.binomial(move, party.count, chance);
  Count staying = party.count - movers;
  if (movers > 0) {
    if (!party.route.empty()) {
      // On a known route: on along it, unless its next link is closed or its end a camp near full (then the route
      // is forgotten and they stay: flee.py take_next_step).
      const NodeIndex next = party.route.front();
      const auto link = open_link(location, next);
      if (link < 0 || full_camp(party.route.back())) {
        Party blocked = party;
        blocked.count = movers;
        blocked.route.clear();
        stay.push_back(std::move(blocked));
      } else {
        std::vector<NodeIndex> rest(party.route.begin() + 1, party.route.end());
        enter_link(location, link, party, movers, std::move(rest), out);
      }
    } else {
      const Choice& choice = choice_at(location);
      const auto& routes = choice.routes;
      if (routes.empty()) {
        staying += movers;
      } else {
        split_.resize(routes.size());
        if (draws_.mode == Mode::stochastic && movers <= few_movers) {
          // Person by person: one uniform each against the cumulative probabilities.
          std::fill(split_.begin(), split_.end(), 0);
          // 32 random bits a person (two from each draw of the stream): the route probabilities to 2^-32.
          std::uint64_t bits = 0;
          for (Count k = 0; k < movers; ++k) {
            if ((k & 1) == 0) bits = route_stream();
            const double u = static_cast<double>(static_cast<std::uint32_t>(bits)) * 0x1.0p-32;
            bits >>= 32;
            std::size_t r = 0;
            while (r < choice.last_positive && u >= choice.cumulative[r]) ++r;
            ++split_[r];
          }
        } else {
          draws_.multinomial(route_stream, movers, choice.probabilities, split_);
        }
        for (std::size_t r = 0; r < routes.size(); ++r) {
          if (split_[r] == 0) continue;
          if (choice.full_end[r]) {
            staying += split_[r];  // chose a camp that is (nearly) full: they stay, route forgotten
            continue;
          }
          std::vector<NodeIndex> rest(routes[r].nodes.begin() + 1, routes[r].nodes.end());
          enter_link(location, routes[r].first_link, party, split_[r], std::move(rest), out);
        }
      }
    }
  }
  if (staying > 0) {
    party.count = staying;
    stay.push_back(std::move(party));
  }
}

void FleeStep::merge_arrivals(std::vector<std::pair<NodeIndex, Party>>& arrivals) {
  clear_pool();
  for (auto& [location, party] : arrivals) pool_arrival(location, std::move(party));
  arrivals.swap(pool_);
  clear_pool();
}

void FleeStep::clear_pool() {
  for (const auto slot : merge_touched_) merge_head_[slot] = -1;
  merge_touched_.clear();
  merge_chain_.clear();
  pool_.clear();
}

void FleeStep::pool_arrival(NodeIndex location, Party&& party) {
  if (merge_head_.empty()) merge_head_.assign(states_.size() * merge_slots, -1);
  // The slot: by recent + moved today while avoid_short_stints pushes them on, else by the distance moved today.
  const double steps_per_km = merge_steps / s_.max_move_speed_km_per_day;
  double steps = 0.0;
  std::size_t limit = 0, first_slot = 0;
  if (flee_rules::forced_town_move(party.recent, party.moved_km, s_)) {
    steps = party.recent * merge_steps + party.moved_km * steps_per_km;
    limit = merge_pushed_slots;
  } else {
    steps = party.moved_km * steps_per_km;
    limit = merge_moved_slots;
    first_slot = merge_pushed_slots;
  }
  // steps >= 0, so truncation is the floor.
  const bool mergeable = party.walked && steps >= 0.0 && steps < static_cast<double>(limit);
  std::size_t slot = 0;
  if (mergeable) {
    // A table from (location, slot) to the first party pooled with that state, chained through those with other
    // routes.
    slot = at(location) * merge_slots + first_slot + static_cast<std::size_t>(steps);
    std::int32_t same = merge_head_[slot];
    // (Most routes are empty: compared without a call.)
    auto other_route = [&](const Party& p) {
      return p.route.size() != party.route.size() || (!party.route.empty() && p.route != party.route);
    };
    while (same >= 0 && other_route(pool_[static_cast<std::size_t>(same)].second)) {
      same = merge_chain_[static_cast<std::size_t>(same)];
    }
    if (same >= 0) {
      // The pooled party carries its members' people-weighted mean recent travel and distance moved today, so the
      // sums over people of both are kept (and with them the recent travel of the day's end).
      Party& into = pool_[static_cast<std::size_t>(same)].second;
      const double a = static_cast<double>(into.count);
      const double b = static_cast<double>(party.count);
      into.recent = (into.recent * a + party.recent * b) / (a + b);
      into.moved_km = (into.moved_km * a + party.moved_km * b) / (a + b);
      into.count += party.count;
      return;
    }
    merge_chain_.push_back(merge_head_[slot]);
    merge_head_[slot] = static_cast<std::int32_t>(pool_.size());
    merge_touched_.push_back(slot);
  } else {
    merge_chain_.push_back(-1);
  }
  pool_.emplace_back(location, std::move(party));
}

void FleeStep::merge(std::vector<Traveller>& travellers) {
  auto key = [](const Traveller& t) { return std::tie(t.link, t.progress_km, t.recent, t.walked, t.route); };
  std::sort(travellers.begin(), travellers.end(),
            [&](const Traveller& a, const Traveller& b) { return key(a) < key(b); });
  // In place: the vector keeps its storage from day to day.
  std::size_t kept = 0;
  for (std::size_t k = 0; k < travellers.size(); ++k) {
    if (travellers[k].count == 0) continue;
    if (kept > 0 && key(travellers[kept - 1]) == key(travellers[k])) {
      travellers[kept - 1].count += travellers[k].count;
    } else {
      if (kept != k) travellers[kept] = std::move(travellers[k]);
      ++kept;
    }
  }
  travellers.resize(kept);
}

void FleeStep::merge(std::vector<Party>& parties) {
  // Most parties have no route: they are summed by (recent, walked) in buckets, without a sort; the few with a
  // route are sorted. The result is ordered by (recent, walked, route), an empty route first.
  auto key = [](const Party& p) { return std::tie(p.recent, p.walked, p.route); };
  auto bucket_of = [](const Party& p) {
    return static_cast<std::size_t>(p.recent * recent_steps + 0.5) * 2 + (p.walked ? 1 : 0);  // on the grid
  };
  routed_.clear();
  touched_buckets_.clear();
  for (auto& p : parties) {
    if (p.count == 0) continue;
    if (!p.route.empty()) {
      routed_.push_back(std::move(p));
      continue;
    }
    const auto b = bucket_of(p);
    if (b >= bucket_people_.size()) bucket_people_.resize(b + 1, 0);
    if (bucket_people_[b] == 0) touched_buckets_.push_back(b);
    bucket_people_[b] += p.count;
  }
  std::sort(touched_buckets_.begin(), touched_buckets_.end());
  std::sort(routed_.begin(), routed_.end(), [&](const Party& a, const Party& b) { return key(a) < key(b); });
  parties.clear();
  auto add = [&](Party&& p) {
    if (!parties.empty() && key(parties.back()) == key(p)) {
      parties.back().count += p.count;
    } else {
      parties.push_back(std::move(p));
    }
  };
  std::size_t r = 0;
  for (const auto b : touched_buckets_) {
    const double recent = static_cast<double>(b / 2) / recent_steps;
    const bool walked = (b % 2) == 1;
    for (; r < routed_.size() && std::tie(routed_[r].recent, routed_[r].walked) < std::tie(recent, walked); ++r) {
      add(std::move(routed_[r]));
    }
    add(Party{bucket_people_[b], recent, walked, {}, 0.0});
    bucket_people_[b] = 0;
  }
  for (; r < routed_.size(); ++r) add(std::move(routed_[r]));
}

void FleeStep::count_incoming() {
  agents_ += incoming_;
  incoming_.setZero();
}

void FleeStep::step(int day) {
  const auto n = states_.size();
  departures_.setZero(static_cast<Eigen::Index>(n));
  arrivals_.setZero(static_cast<Eigen::Index>(n));
  link_inflow_.setZero(static_cast<Eigen::Index>(world_.links.size()));
  update_conflicts(day);
  spawn(day);
  apply_closures(day);
  // A location's score holds for the day: its type and conflict change only at the start of a day.
  for (std::size_t i = 0; i < n; ++i) score_[i] = flee_rules::location_score(states_[i], day, s_);

  // Everyone at a location decides with the counts of the start of the day (Flee: agent by agent).
  auto move = draws_.stream(RandomPurpose::flee_move, 0, day);
  auto route = draws_.stream(RandomPurpose::flee_route, 0, day);
  auto& active = active_;
  active.clear();
  auto& settled = settled_;  // stopped after moving today: recent travel from today's distance
  for (auto& stopped : settled) stopped.clear();
  clear_pool();
  incoming_.setZero(static_cast<Eigen::Index>(n));
  arrival_hop_ = 0;
  ++generation_;  // route choices from the counts at the start of the phase
  std::vector<Party> parties;
  for (std::size_t i = 0; i < n; ++i) {
    parties.swap(parties_[i]);
    parties_[i].clear();
    for (auto& party : parties) {
      party.moved_km = 0.0;
      decide(static_cast<NodeIndex>(i), std::move(party), false, move, route, active, parties_[i]);
    }
    parties.clear();
  }
  for (auto& t : travellers_) t.moved_km = 0.0;
  for (auto& t : travellers_) active.push_back(std::move(t));
  travellers_.clear();

  // Travel: a day's distance on the current link; whoever arrives with distance left decides again at once, and
  // the new link gets a full day's distance in its test, as in Flee's recursion (flee.py finish_travel).
  // Whoever sets off on a link shorter than the day's distance has arrived already (enter_link): into the pool of
  // the next round, or settled.
  auto& continuing = continuing_;
  for (int hop = 0; !active.empty() || !pool_.empty(); ++hop) {
    for (auto& t : active) {
      const auto& link = world_.links[static_cast<std::size_t>(t.link)];
      const double speed = day_distance_km(t.walked);
      t.progress_km += speed;
      t.moved_km += speed;
      if (!(t.progress_km > link.length_km)) {
        travellers_.push_back(std::move(t));
        continue;
      }
      t.moved_km += link.length_km - t.progress_km;
      Party party{t.count, t.recent, true, std::move(t.route), t.moved_km};
      if (!link_open_[static_cast<std::size_t>(t.link)]) {
        // A link closed under them: back to where they set off (flee.py finish_travel), no further today.
        party.route.clear();
        agents_[idx(link.from)] += party.count;
        settled[at(link.from)].push_back(std::move(party));
        continue;
      }
      agents_[idx(link.to)] += party.count;
      arrivals_[idx(link.to)] += party.count;
      if (party.moved_km < speed && hop + 1 < max_hops_per_day) {
        pool_arrival(link.to, std::move(party));
      } else {
        settled[at(link.to)].push_back(std::move(party));
      }
    }
    active.clear();
    count_incoming();
    ++generation_;  // and for those who go on, from the counts after this round's arrivals
    continuing.clear();
    continuing.swap(pool_);
    clear_pool();
    arrival_hop_ = hop + 1;
    for (auto& [location, party] : continuing) {
      decide(location, std::move(party), true, move, route, active, settled[at(location)]);
    }
  }
  count_incoming();  // the last round's arrivals, all settled

  // End of day: everyone's recent travel distance (Flee's recent_travel_distance) from today's distance.
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& party : parties_[i]) {
      party.recent = quantised_recent(flee_rules::updated_recent_travel(party.recent, 0.0, s_));
    }
    for (auto& party : settled[i]) {
      party.recent = quantised_recent(flee_rules::updated_recent_travel(party.recent, party.moved_km, s_));
      parties_[i].push_back(std::move(party));
    }
    settled[i].clear();
    merge(parties_[i]);
  }
  for (auto& t : travellers_) {
    t.recent = quantised_recent(flee_rules::updated_recent_travel(t.recent, t.moved_km, s_));
  }
  merge(travellers_);
}

}  // namespace haven::engine
