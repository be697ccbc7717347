#include "deciding.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <thread>

namespace haven::engine {

namespace {

// Per-thread scratch space of a node's decisions, kept between nodes and days so that deciding allocates nothing.
struct DecisionScratch {
  std::vector<double> weights, pooled, share_total, onward_by_group;
  std::vector<Count> split, moving_total, movable_total, moving_by_stay, group_counts, group_split;
  std::vector<std::uint32_t> movable_stays, group_stays;
  std::vector<OriginMix> movers;
  std::vector<std::vector<double>> home_share;
  std::vector<NodeIndex> homes;
  std::vector<RoutePtr> routes;
};

// Each node's candidates and stays sit in their own allocations: asked for early, so that deciding does not wait on
// memory for them (the first look at them was most of deciding's time).
void prefetch_node(const DecisionInputs& in, std::size_t node) {
  in.network.prefetch_candidates(static_cast<NodeIndex>(node));
  __builtin_prefetch(in.ledger.stays(node).data());
}

// Waiting for another thread's node: a pause while the wait is short, then the core given up to whoever wants it,
// which may be the very thread waited for (more threads than cores: a spin would hold it off for a time slice).
class Backoff {
 public:
  void wait() noexcept {
    if (++spins_ < 4096) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      return;
    }
    std::this_thread::yield();
  }
  void reset() noexcept {
    spins_ = 0;
  }

 private:
  unsigned spins_ = 0;
};

}  // namespace

Decider::Decider(const Scenario& scenario, const RuleSet& rules, Draws draws, Count units_per_person, int threads,
                 bool split_small)
    : s_(scenario),
      p_(scenario.parameters),
      rules_(rules),
      draws_(draws),
      units_(units_per_person),
      threads_(threads),
      split_small_(split_small),
      appeal_(scenario.nodes.size(), 0.0),
      refuge_(scenario.nodes.size(), 0),
      reach_km_(scenario.nodes.size(),
                std::min(scenario.parameters.awareness_range_km, scenario.parameters.max_awareness_range_km)),
      flows_(scenario.nodes.size()),
      stay_departures_(scenario.nodes.size()) {}

struct Decider::Pipeline {
  Pipeline(int today, const DecisionInputs& inputs, std::int64_t node_count, std::int64_t chunk,
           std::vector<std::exception_ptr>& node_failures)
      : day(today),
        in(inputs),
        nodes(node_count),
        chunk_nodes(chunk),
        done(std::make_unique<std::atomic<bool>[]>(static_cast<std::size_t>(node_count))),
        failures(node_failures) {}
  int day;
  const DecisionInputs& in;
  std::int64_t nodes;
  std::int64_t chunk_nodes;
  std::atomic<std::int64_t> next_node{0};  // the first node of the next chunk nobody has taken up
  std::atomic<std::int64_t> decided{0};
  std::unique_ptr<std::atomic<bool>[]> done;  // by node: its decisions (or its failure) are there to read
  std::vector<std::exception_ptr>& failures;
};

void Decider::decide(int day, DecisionInputs in, const std::function<void(std::size_t)>& commit) {
  const auto n = static_cast<std::int64_t>(s_.nodes.size());
  const auto units = static_cast<double>(units_);
  // Each node's appeal reads only its own state: computed in parallel, the same values at any thread count.
#pragma omp parallel for schedule(static) num_threads(threads_) if (n > 4096)
  for (std::int64_t j = 0; j < n; ++j) {
    const auto k = static_cast<std::size_t>(j);
    const double occupancy_people =
        static_cast<double>(in.ledger.residents_at(k) + in.ledger.displaced_at(k) + in.incoming[k]) / units;
    // A node under a camp_closure admits nobody, and a junction is passed through: nobody chooses either.
    const bool open = in.events.admits(k) && !in.events.passes_through(k);
    const DestinationState state{s_.nodes[k].kind, in.threat.threat_at(k), occupancy_people, in.events.capacity(k)};
    appeal_[k] = open ? rules_.destination_appeal(state, p_) : 0.0;
    refuge_[k] = open && appeal_[k] > 0.0 && rules_.is_refuge(state, p_) ? 1 : 0;
  }
  // Chunks of 64 nodes, taken by whichever thread is free. A network of one chunk is decided by one thread: waking
  // a team for it costs, its threads waiting at the region's end for each other, a scheduler tick each when the
  // other cores are busy (2.7 times the run on Idlib). Unless the caller holds the cores (split_small_): then a
  // chunk is a quarter of a thread's share (at least one node), so that a few crowded nodes do not leave one
  // thread with most of the day (Idlib on two threads, a run from day 54: 80 -> 67 ms; docs/benchmarks.md,
  // "Issue 15: an edit's run on both cores").
  const bool split = threads_ > 1 && (n > 64 || (split_small_ && n > 1));
  const std::int64_t chunk_nodes =
      split && split_small_ ? std::clamp<std::int64_t>(n / (4 * std::int64_t{threads_}), 1, 64) : 64;
  if (!split) {
    for (std::int64_t i = 0; i < n; ++i) {
      if (i + 2 < n) prefetch_node(in, static_cast<std::size_t>(i + 2));
      decide_at(static_cast<std::size_t>(i), day, in);
    }
    for (std::int64_t i = 0; i < n; ++i) commit(static_cast<std::size_t>(i));
    return;
  }
  // An exception must not escape an OpenMP region (that aborts); the first one, by node, is rethrown after it.
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(n));
  // The commits in node order on this thread (the team's first), beside the deciding: a node's as soon as its
  // decisions are taken. The commit was most of a day's serial time (Idlib on two threads, a run from day 54:
  // 68 -> 56 ms; docs/benchmarks.md, "Issue 15: the commit beside the deciding").
  Pipeline pipeline{day, in, n, chunk_nodes, failures};
  pipeline_ = &pipeline;
  std::exception_ptr commit_failure;
#pragma omp parallel num_threads(threads_)
  {
    if (omp_get_thread_num() == 0) {
      Backoff backoff;
      for (std::int64_t i = 0; i < n;) {
        const auto node = static_cast<std::size_t>(i);
        if (pipeline.done[node].load(std::memory_order_acquire)) {
          backoff.reset();
          if (failures[node]) break;
          try {
            commit(node);
          } catch (...) {
            commit_failure = std::current_exception();
            break;
          }
          ++i;
        } else if (!decide_next_chunk(pipeline)) {
          backoff.wait();  // another thread is deciding it
        }
      }
    }
    while (decide_next_chunk(pipeline)) {
    }
  }
  pipeline_ = nullptr;
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  if (commit_failure) std::rethrow_exception(commit_failure);
}

bool Decider::decide_next_chunk(Pipeline& pipeline) {
  const std::int64_t begin = pipeline.next_node.fetch_add(pipeline.chunk_nodes, std::memory_order_relaxed);
  if (begin >= pipeline.nodes) return false;
  const std::int64_t end = std::min(pipeline.nodes, begin + pipeline.chunk_nodes);
  for (std::int64_t i = begin; i < end; ++i) {
    const auto node = static_cast<std::size_t>(i);
    // Only within this chunk: a node of another chunk may be having its lists rebuilt by another thread (reading
    // them then is a data race, which ThreadSanitizer reported).
    if (i + 2 < end) prefetch_node(pipeline.in, node + 2);
    try {
      decide_at(node, pipeline.day, pipeline.in);
    } catch (...) {
      pipeline.failures[node] = std::current_exception();
    }
    pipeline.done[node].store(true, std::memory_order_release);
  }
  pipeline.decided.fetch_add(end - begin, std::memory_order_release);
  return true;
}

void Decider::wait_for_decisions() {
  if (pipeline_ == nullptr) return;
  while (decide_next_chunk(*pipeline_)) {
  }
  Backoff backoff;
  while (pipeline_->decided.load(std::memory_order_acquire) < pipeline_->nodes) backoff.wait();
}

const CandidateList& Decider::candidates_within_reach(std::size_t i, RoadNetwork& network) {
  // The reach grows (doubling) until it holds a refuge, then to reach_ratio times the nearest refuge's distance,
  // never past max_awareness_range_km nor once the search reached every node it can. It never shrinks: what
  // people learned of stays known, and the cached search stays valid.
  const auto node = static_cast<NodeIndex>(i);
  double& reach = reach_km_[i];
  const double bound = std::max(reach, p_.max_awareness_range_km);
  for (;;) {
    const CandidateList& list = network.candidate_list(node, reach);
    const bool complete = !std::isfinite(list.exact_below_days);
    // Complete, or at the bound: the reach grows no further, whichever refuges are in it (wanted <= bound <= reach).
    if (complete || reach >= bound) return list;
    // The nearest refuge: the first one in distance order (read every day, by every deciding node).
    double nearest_refuge_km = std::numeric_limits<double>::infinity();
    for (const NodeIndex candidate : list.nearest_first) {
      if (refuge_[at(candidate)] != 0) {
        nearest_refuge_km = list.candidates[static_cast<std::size_t>(list.index_of(candidate))].road_distance_km;
        break;
      }
    }
    const double wanted = std::isfinite(nearest_refuge_km) ? std::min(p_.reach_ratio * nearest_refuge_km, bound)
                                                           : std::min(2.0 * reach, bound);
    if (wanted <= reach) return list;
    reach = wanted;
  }
}

void Decider::decide_at(std::size_t i, int day, const DecisionInputs& in) {
  auto& flows = flows_[i];
  flows.clear();
  stay_departures_[i].clear();
  const auto node = static_cast<NodeIndex>(i);
  const double threat = in.threat.threat_at(i);
  const auto groups = s_.groups.size();
  const CountMatrix& residents = in.ledger.residents();
  std::vector<Stay>& stays = in.ledger.stays(i);  // only this node's decision touches its stays now
  const std::vector<std::int32_t>& sides = in.events.sides();
  const bool anyone_home = residents.row(idx(i)).sum() > 0;
  const bool threatened = threat > 0.0;
  // Given departures: today's leavers were placed over the origins already; threat drives only moving on.
  const Count given = given_leaving_ ? (*given_leaving_)[i] : 0;
  const bool leaving_home = given_leaving_ ? given > 0 : threatened;
  if (!(anyone_home && leaving_home) && stays.empty()) return;

  const CandidateList& list = candidates_within_reach(i, in.network);
  const auto& candidates = list.candidates;
  // Scratch space per thread: every deciding node needs these each day.
  thread_local DecisionScratch scratch;
  auto& weights = scratch.weights;
  weights.resize(candidates.size());
  // People at a node belong to the side that held it on day 0, not to whoever took it since: they flee away from
  // the captor (and from any other side than their own), not into the captor's territory.
  const std::int32_t own_side = in.events.initial_side(i);
  const std::int32_t captor = sides[i] != own_side ? sides[i] : -1;
  const bool uncontested = own_side < 0 && captor < 0;
  auto raw_weight = [&](std::size_t k) -> double {
    if (uncontested) return appeal_[at(candidates[k].node)] * candidates[k].same_side_factor;
    const auto j = at(candidates[k].node);
    const bool other_side = sides[j] >= 0 && ((own_side >= 0 && sides[j] != own_side) || sides[j] == captor);
    // Sides exist here, so the list carries the other-side factors.
    return appeal_[j] * (other_side ? list.other_side_factors[k] : candidates[k].same_side_factor);
  };
  // The weights are needed in full only when someone leaves or moves on; most nodes on most days only host
  // people who stay. So they are computed when first needed (normalise()), and what decides whether anyone
  // may leave is found without them: the sum of non-negative weights is positive exactly when one weight is.
  bool can_leave = false;
  for (std::size_t k = 0; k < candidates.size() && !can_leave; ++k) can_leave = raw_weight(k) > 0.0;
  bool normalised = false;
  auto normalise = [&] {
    if (normalised) return;
    double total = 0.0;
    if (uncontested) {
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        weights[k] = appeal_[at(candidates[k].node)] * candidates[k].same_side_factor;
        total += weights[k];
      }
    } else {
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        weights[k] = raw_weight(k);
        total += weights[k];
      }
    }
    // Normalised: weights can be tiny (every destination under fire) and the pooled split divides by them.
    for (auto& w : weights) w /= total;
    normalised = true;
  };
  auto& split = scratch.split;
  split.resize(candidates.size());
  RandomStream destination_stream = draws_.stream(RandomPurpose::destination, i, day);
  // Flows are built in place (emplace_back, parenthesised aggregate initialisation): a Flow{...} pushed was a
  // temporary moved in and destroyed, a mix and a route each, for every one of half a million flows a run.
  auto spread = [&](Flow::Kind kind, GroupIndex group, NodeIndex origin, Count count, const SharedMix& mix) {
    normalise();
    draws_.destinations(destination_stream, count, units_, weights, split);
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      if (split[k] > 0) {
        flows.emplace_back(kind, group, origin, candidates[k].node, split[k], std::uint32_t{0},
                           static_cast<std::int32_t>(k), mix);
      }
    }
  };

  if (can_leave && leaving_home && given_leaving_) {
    // Split over the groups in proportion to the residents of each (exact in sum).
    RandomStream departure_stream = draws_.stream(RandomPurpose::departure, i, day);
    std::vector<double> group_weights(groups);
    std::vector<Count> group_split(groups);
    for (std::size_t g = 0; g < groups; ++g) group_weights[g] = static_cast<double>(residents(idx(i), idx(g)));
    draws_.multinomial(departure_stream, given, group_weights, group_split);
    for (std::size_t g = 0; g < groups; ++g) {
      if (group_split[g] > 0)
        spread(Flow::Kind::leave_home, static_cast<GroupIndex>(g), node, group_split[g], SharedMix{});
    }
  } else if (can_leave && leaving_home) {
    // Only the residents whose threshold today's threat has reached leave (at the hazard's rate): the node's
    // people, home or away, times the willing fraction, less those already away. A resident is willing with
    // probability (willing people still home) / (residents), whatever the group.
    const auto at_home = static_cast<double>(residents.row(idx(i)).sum());
    const auto away = static_cast<double>(in.ledger.away_from_home(i));
    const double willing_at_home =
        std::clamp(rules_.willing_fraction(threat, p_) * (at_home + away) - away, 0.0, at_home);
    const double willing_share = at_home > 0.0 ? willing_at_home / at_home : 0.0;
    RandomStream departure_stream = draws_.stream(RandomPurpose::departure, i, day);
    for (std::size_t g = 0; g < groups && willing_share > 0.0; ++g) {
      const double probability = willing_share * rules_.leave_probability(threat, s_.groups[g].departure_factor, p_);
      const Count leaving = draws_.binomial(departure_stream, residents(idx(i), idx(g)), probability);
      if (leaving > 0) spread(Flow::Kind::leave_home, static_cast<GroupIndex>(g), node, leaving, SharedMix{});
    }
  }
  auto& departing = stay_departures_[i];
  if (stays.empty()) return;
  // Displaced people moving on are drawn stay by stay, then pooled by group: one split over the destinations
  // per group (not per home origin), so cohorts grow with destinations, not origins x destinations. Nobody
  // moves on to their own home (that is the return rule's business): with c_o movers from origin o and w_k the
  // destination weights summing to W, b_o = c_o / (W - w_o) and the pooled split uses w_k (B - b_k), B = sum b_o;
  // on arrival at k, the people are shared out over origins o != k in proportion to b_o. This is exactly each
  // origin's own split with its home left out.
  RandomStream onward_stream = draws_.stream(RandomPurpose::onward, i, day);
  RandomStream return_stream = draws_.stream(RandomPurpose::return_home, i, day);
  auto candidate_index = [&](Stay& stay) -> std::int64_t {
    if (stay.home_generation != list.generation) {
      stay.home_candidate = list.index_of(stay.origin);
      stay.home_generation = list.generation;
    }
    return stay.home_candidate;
  };
  auto& movers = scratch.movers;
  movers.resize(groups);
  for (auto& m : movers) m.clear();
  auto& moving_total = scratch.moving_total;
  moving_total.assign(groups, 0);
  auto& home_share = scratch.home_share;  // b_o of the origin that is candidate k
  home_share.resize(groups);
  for (auto& h : home_share) h.clear();
  auto& share_total = scratch.share_total;  // B
  share_total.assign(groups, 0.0);
  auto& onward_by_group = scratch.onward_by_group;  // -1: not asked yet
  onward_by_group.assign(groups, -1.0);
  // Who moves on, first for every stay (the onward draws), then each stay's bookkeeping and return draw in stay
  // order. A stay's people may move on unless home carries all the weight; their probability is the group's.
  auto& moving_by_stay = scratch.moving_by_stay;
  moving_by_stay.assign(stays.size(), 0);
  auto& movable_stays = scratch.movable_stays;  // stays whose people may move on, in stay order
  movable_stays.clear();
  auto& movable_total = scratch.movable_total;
  movable_total.assign(groups, 0);
  for (std::uint32_t k = 0; k < stays.size(); ++k) {
    Stay& stay = stays[k];
    const auto g = static_cast<std::size_t>(stay.group);
    const std::int64_t home_candidate = candidate_index(stay);
    // Nobody of this stay moves on when home carries all the weight (the weight elsewhere, relative to the total,
    // is 1e-9 or less). Settled without the full weights when another destination clearly weighs something:
    // one at 1e-6 of home's weight or more leaves at least ~1e-6 elsewhere, whatever the rounding.
    bool may_move = can_leave;
    if (may_move && home_candidate >= 0 && !normalised) {
      const auto home = static_cast<std::size_t>(home_candidate);
      const double home_raw = raw_weight(home);
      bool clearly = false;
      for (std::size_t c = 0; c < candidates.size() && !clearly; ++c) {
        clearly = c != home && raw_weight(c) >= home_raw * 1e-6;
      }
      if (!clearly) normalise();
    }
    if (may_move && home_candidate >= 0 && normalised) {
      may_move = 1.0 - weights[static_cast<std::size_t>(home_candidate)] > 1e-9;
    }
    if (!may_move || stay.count <= 0) continue;
    // The same for every stay of a group here today (it reads the node's threat and kind and the group): asked
    // of the rules once per group, not once per stay (an exp() each, 9% of a conflict run).
    double& probability = onward_by_group[g];
    if (probability < 0.0) {
      probability = in.events.passes_through(i)
                        ? 1.0
                        : rules_.onward_probability(threat, s_.groups[g].departure_factor, s_.nodes[i].kind, p_);
    }
    movable_stays.push_back(k);
    movable_total[g] += stay.count;
  }
  if (draws_.mode == Mode::expected) {
    // Expected mode keeps its own rounding: round(count x probability) stay by stay.
    for (const auto k : movable_stays) {
      moving_by_stay[k] =
          draws_.binomial(onward_stream, stays[k].count, onward_by_group[static_cast<std::size_t>(stays[k].group)]);
    }
  } else {
    // Stochastic: per group, one binomial over the people of its movable stays, split over the stays by the
    // multivariate hypergeometric (exactly the distribution of a binomial per stay, with one draw and a uniform per
    // mover instead of a draw per stay), while the movers expected are no more than the stays; per stay above.
    auto& group_stays = scratch.group_stays;
    auto& group_counts = scratch.group_counts;
    auto& group_split = scratch.group_split;
    for (std::size_t g = 0; g < groups; ++g) {
      if (movable_total[g] == 0) continue;
      const double probability = onward_by_group[g];
      group_stays.clear();
      group_counts.clear();
      for (const auto k : movable_stays) {
        if (static_cast<std::size_t>(stays[k].group) != g) continue;
        group_stays.push_back(k);
        group_counts.push_back(stays[k].count);
      }
      if (static_cast<double>(movable_total[g]) * probability <= static_cast<double>(group_stays.size())) {
        const Count moving = sample_binomial(onward_stream, movable_total[g], probability);
        if (moving == 0) continue;
        group_split.resize(group_stays.size());
        sample_hypergeometric_split(onward_stream, moving, group_counts, group_split);
        for (std::size_t s = 0; s < group_stays.size(); ++s) moving_by_stay[group_stays[s]] = group_split[s];
      } else {
        for (const auto k : group_stays)
          moving_by_stay[k] = sample_binomial(onward_stream, stays[k].count, probability);
      }
    }
  }
  for (std::uint32_t k = 0; k < stays.size(); ++k) {
    Stay& stay = stays[k];
    const auto g = static_cast<std::size_t>(stay.group);
    const Count moving = moving_by_stay[k];
    if (moving > 0) {
      normalise();
      const std::int64_t home_candidate = stay.home_candidate;
      const double home_weight = home_candidate >= 0 ? weights[static_cast<std::size_t>(home_candidate)] : 0.0;
      // Relative to the total (1), so that cancellation (home nearly the only destination) cannot blow up the
      // share.
      const double elsewhere = 1.0 - home_weight;
      departing.push_back({k, moving});
      const double share = static_cast<double>(moving) / elsewhere;
      movers[g].emplace_back(stay.origin, share);
      moving_total[g] += moving;
      share_total[g] += share;
      if (home_candidate >= 0) {
        home_share[g].resize(candidates.size(), 0.0);
        home_share[g][static_cast<std::size_t>(home_candidate)] += share;
      }
    }
    if (stay.origin != no_node && stay.origin != node &&
        sides[at(stay.origin)] == in.events.initial_side(at(stay.origin))) {
      const double probability = rules_.return_probability(in.threat.safe_days(at(stay.origin)), p_);
      const Count going_home = draws_.binomial(return_stream, stay.count - moving, probability);
      if (going_home > 0) {
        flows.emplace_back(Flow::Kind::go_home, stay.group, stay.origin, stay.origin, going_home, k, std::int32_t{-1});
      }
    }
  }
  // The ways home, found here in parallel rather than one by one at the commit: unbounded searches are the
  // costliest part of a return, and they only read the network.
  auto& homes = scratch.homes;
  homes.clear();
  for (const Flow& flow : flows) {
    if (flow.kind == Flow::Kind::go_home) homes.push_back(flow.destination);
  }
  if (!homes.empty()) {
    auto& routes = scratch.routes;
    routes.assign(homes.size(), nullptr);
    in.network.find_routes(node, homes, routes);
    std::size_t h = 0;
    for (Flow& flow : flows) {
      if (flow.kind == Flow::Kind::go_home) flow.route = std::move(routes[h++]);
    }
  }
  auto& pooled = scratch.pooled;
  pooled.resize(candidates.size());
  for (std::size_t g = 0; g < groups; ++g) {
    if (moving_total[g] == 0) continue;
    // The same values as weights[k] x max(0, B - b_k) with b_k = 0 where no home is a candidate, the group's B and
    // home shares read once: pooled, weights and share_total are all vectors of double, so the compiler may not
    // keep them out of the loop itself.
    const double all_shares = share_total[g];
    const std::vector<double>& own_shares = home_share[g];
    if (own_shares.empty()) {
      const double factor = std::max(0.0, all_shares);  // x - 0.0 is x, -0.0 included
      for (std::size_t k = 0; k < candidates.size(); ++k) pooled[k] = weights[k] * factor;
    } else {
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        pooled[k] = weights[k] * std::max(0.0, all_shares - own_shares[k]);
      }
    }
    draws_.destinations(destination_stream, moving_total[g], units_, pooled, split);
    const SharedMix mix{OriginMix(movers[g])};
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      if (split[k] > 0) {
        flows.emplace_back(Flow::Kind::move_on, static_cast<GroupIndex>(g), no_node, candidates[k].node, split[k],
                           std::uint32_t{0}, static_cast<std::int32_t>(k), mix);
      }
    }
  }
}

}  // namespace haven::engine
