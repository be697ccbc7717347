#include "haven/engine/simulation.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "haven/engine/event_queue.hpp"
#include "haven/engine/network.hpp"
#include "haven/engine/random.hpp"
#include "spatial_index.hpp"

namespace haven {

const char* to_string(Mode mode) noexcept {
  return mode == Mode::stochastic ? "stochastic" : "expected";
}

namespace {

constexpr Count expected_units_per_person = 1'000'000;

// Event priorities at equal times: yesterday is recorded first, then scenario events end and start, then corridor
// queues release, then people decide, then travellers arrive.
enum Priority : int {
  priority_record = 0,
  priority_scenario_end = 1,
  priority_scenario_start = 2,
  priority_release = 3,
  priority_decide = 4,
  priority_arrive = 5
};

struct EngineEvent {
  enum class Type : std::uint8_t { record_day, scenario_start, scenario_end, release_queues, decide, arrive };
  Type type = Type::decide;
  std::uint32_t index = 0;  // scenario event, or cohort
};

// People of one group travelling together from `origin` (their home) to `destination`.
// Where the people of a pooled cohort come from: (home origin, weight) pairs. On arrival the cohort's people are
// shared out over the origins other than its destination, in proportion to the weights (docs/model.md).
using OriginMix = std::vector<std::pair<NodeIndex, double>>;

// People of one group travelling together to `destination`. Their home is `origin` or, for displaced people
// moving on together from one node, the shares in `mix`.
struct Cohort {
  Count count = 0;
  GroupIndex group = 0;
  NodeIndex origin = no_node;  // home; no_node for people displaced before day 0 (or when `mix` is set)
  NodeIndex destination = no_node;
  RoutePtr route;
  std::uint32_t leg = 0;  // index of the corridor being travelled or waited for
  std::shared_ptr<const OriginMix> mix;
};

// Displaced people hosted at a node, by home origin and group.
struct Stay {
  NodeIndex origin = no_node;
  GroupIndex group = 0;
  Count count = 0;
  // Where the origin is among the host's candidates (-1: not one), valid while the host's candidate list is of
  // generation `home_generation` (0: not looked up yet). Looking it up every day was a third of deciding.
  std::uint32_t home_generation = 0;
  std::int32_t home_candidate = -1;
};

// A decision taken at a node today, applied in the deterministic commit.
struct Flow {
  enum class Kind : std::uint8_t { leave_home, move_on, go_home };
  Kind kind = Kind::leave_home;
  GroupIndex group = 0;
  NodeIndex origin = no_node;
  NodeIndex destination = no_node;
  Count count = 0;
  std::uint32_t stay = 0;                // which stay (go_home)
  std::int32_t candidate = -1;           // index into the node's candidates (leave_home, move_on)
  std::shared_ptr<const OriginMix> mix;  // move_on: the movers' homes
  RoutePtr route;                        // go_home: the way home today (found while deciding); nullptr: none
};

// Per-thread scratch space of a node's decisions, kept between nodes and days so that deciding allocates nothing.
struct DecisionScratch {
  std::vector<double> weights, pooled, share_total;
  std::vector<Count> split, moving_total;
  std::vector<OriginMix> movers;
  std::vector<std::vector<double>> home_share;
  std::vector<NodeIndex> homes;
  std::vector<RoutePtr> routes;
};

// People leaving a stay today (moving on), taken from it at the commit.
struct StayDeparture {
  std::uint32_t stay = 0;
  Count count = 0;
};

}  // namespace

class Simulation::Impl {
 public:
  Impl(const Scenario& scenario, RunConfig config, std::shared_ptr<const RuleSet> rules)
      : s_(scenario),
        p_(scenario.parameters),
        config_(std::move(config)),
        rules_(rules ? std::move(rules) : std::make_shared<DefaultRules>()),
        network_(scenario, scenario.parameters, rules_.get()),
        units_(config_.mode == Mode::expected ? expected_units_per_person : 1),
        days_(std::min(config_.days.value_or(scenario.days), scenario.days)) {
    const auto n = s_.nodes.size();
    const auto g = s_.groups.size();
    const auto c = s_.corridors.size();
    residents_ = CountMatrix::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(g));
    displaced_ = CountMatrix::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(g));
    stays_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < g; ++k) {
        residents_(idx(i), idx(k)) = s_.nodes[i].residents_by_group[k] * units_;
        const Count hosted = s_.nodes[i].displaced_by_group[k] * units_;
        if (hosted > 0) {
          stays_[i].push_back(Stay{no_node, static_cast<GroupIndex>(k), hosted, 0, -1});
          displaced_(idx(i), idx(k)) = hosted;
        }
      }
      initial_total_ += residents_.row(idx(i)).sum() + displaced_.row(idx(i)).sum();
    }
    threat_ = Eigen::VectorXd::Zero(idx(n));
    safe_days_.assign(n, 0);
    front_line_.assign(n, 0);
    control_.resize(n);
    initial_control_.resize(n);
    capacity_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      control_[i] = initial_control_[i] = s_.nodes[i].control;
      capacity_[i] = base_capacity(i);
    }
    side_.assign(n, -1);
    for (std::size_t i = 0; i < n; ++i) side_[i] = side_id(control_[i]);
    initial_side_ = side_;
    incoming_.assign(n, 0);
    zero_daily();
    in_transit_ = CountVector::Zero(idx(c));
    budget_.assign(c, std::numeric_limits<Count>::max());
    queues_.resize(c);
    for (std::size_t k = 0; k < c; ++k) {
      if (s_.corridors[k].capacity_people_per_day) capped_.push_back(k);
    }
    left_home_by_node_.assign(n, 0);
    displaced_arrivals_by_node_.assign(n, 0);
    flows_.resize(n);
    prepare_strike_footprints();
  }

  void add_observer(Observer& observer) { observers_.push_back(&observer); }
  [[nodiscard]] Count units() const noexcept { return units_; }

  RunSummary run() {
    RunInfo info{&s_, config_.seed, config_.run_index, config_.mode, days_, units_};
    for (auto* o : observers_) o->on_start(info);
    summary_.days = days_;
    summary_.initial_population = people(initial_total_);

    for (std::size_t e = 0; e < s_.events.size(); ++e) {
      const auto& event = s_.events[e];
      if (event.start_day >= days_) continue;
      queue_.push(event.start_day, priority_scenario_start,
                  {EngineEvent::Type::scenario_start, static_cast<std::uint32_t>(e)});
      if (event.end_day && *event.end_day < days_) {
        queue_.push(*event.end_day, priority_scenario_end,
                    {EngineEvent::Type::scenario_end, static_cast<std::uint32_t>(e)});
      }
    }
    for (int day = 0; day < days_; ++day) {
      queue_.push(day, priority_release, {EngineEvent::Type::release_queues, 0});
      queue_.push(day, priority_decide, {EngineEvent::Type::decide, 0});
      queue_.push(day + 1, priority_record, {EngineEvent::Type::record_day, static_cast<std::uint32_t>(day)});
    }
    // Travellers still on the road at the end stay in transit; nothing after the last record runs.
    while (auto entry = queue_.pop()) {
      ++summary_.events_processed;
      now_ = entry->time;
      const auto& ev = entry->payload;
      switch (ev.type) {
        case EngineEvent::Type::scenario_start:
          apply_scenario_event(ev.index, true);
          break;
        case EngineEvent::Type::scenario_end:
          apply_scenario_event(ev.index, false);
          break;
        case EngineEvent::Type::release_queues:
          release_queues();
          break;
        case EngineEvent::Type::decide:
          decide_day(static_cast<int>(entry->time));
          break;
        case EngineEvent::Type::arrive:
          arrive(ev.index);
          break;
        case EngineEvent::Type::record_day:
          record(static_cast<int>(ev.index));
          if (config_.progress) config_.progress(static_cast<int>(ev.index) + 1, days_);
          break;
      }
      if (ev.type == EngineEvent::Type::record_day && static_cast<int>(ev.index) + 1 == days_) break;
    }
    finish();
    return summary_;
  }

 private:
  // ---- helpers --------------------------------------------------------------------------------------------------
  static Eigen::Index idx(std::size_t i) { return static_cast<Eigen::Index>(i); }
  static Eigen::Index idx(NodeIndex i) { return static_cast<Eigen::Index>(i); }
  static std::size_t at(NodeIndex i) { return static_cast<std::size_t>(i); }
  [[nodiscard]] double people(Count units) const { return static_cast<double>(units) / static_cast<double>(units_); }

  double base_capacity(std::size_t i) const {
    const auto& node = s_.nodes[i];
    if (node.capacity_people) return *node.capacity_people;
    // People pass through crossings and transit points or leave the modelled area: no shelter limit there.
    if (node.kind == NodeKind::external || node.kind == NodeKind::border_crossing || node.kind == NodeKind::transit) {
      return std::numeric_limits<double>::infinity();
    }
    double population = 0.0;
    for (auto count : node.residents_by_group) population += static_cast<double>(count);
    for (auto count : node.displaced_by_group) population += static_cast<double>(count);
    return population * p_.default_capacity_factor;
  }

  Count draw_binomial(RandomStream& stream, Count n, double probability) const {
    return config_.mode == Mode::stochastic ? sample_binomial(stream, n, probability)
                                            : expected_binomial(n, probability);
  }
  void draw_multinomial(RandomStream& stream, Count n, std::span<const double> weights, std::span<Count> out) const {
    if (config_.mode == Mode::stochastic) {
      sample_multinomial(stream, n, weights, out);
    } else {
      expected_multinomial(n, weights, out);
    }
  }
  RandomStream stream(RandomPurpose purpose, std::uint64_t entity, int day) const {
    return RandomStream(StreamKey{config_.seed, config_.run_index, purpose, entity, static_cast<std::uint32_t>(day)});
  }

  void zero_daily() {
    const auto n = idx(s_.nodes.size());
    // Zeroed in place: the sizes never change, so a day need not allocate them again.
    departures_.setZero(n);
    arrivals_.setZero(n);
    returns_.setZero(n);
    corridor_inflow_.setZero(idx(s_.corridors.size()));
    left_home_today_ = 0;
  }

  void log(std::string kind, const std::string& event_id, NodeIndex node, CorridorIndex corridor, double value) {
    EventRecord record{now_, std::move(kind), event_id, node, corridor, value};
    for (auto* o : observers_) o->on_event(record);
  }

  // ---- threat ---------------------------------------------------------------------------------------------------
  // Each bombardment's footprint (nodes within the kernel's reach, with their weights) is computed once.
  void prepare_strike_footprints() {
    footprints_.resize(s_.events.size());
    aim_points_.resize(s_.events.size(), {0.0, 0.0});
    SpatialIndex index(s_.nodes);
    const double reach_beyond_radius_km = p_.threat_kernel_km * std::log(1.0 / negligible_kernel_weight);
    for (std::size_t e = 0; e < s_.events.size(); ++e) {
      const auto* b = std::get_if<Bombardment>(&s_.events[e].action);
      if (!b) continue;
      const auto [lat, lon] = area_point(b->target);
      aim_points_[e] = {lat, lon};
      for (NodeIndex i : index.within(lat, lon, b->target.radius_km + reach_beyond_radius_km)) {
        const auto& node = s_.nodes[at(i)];
        const double distance = i == b->target.node ? 0.0 : great_circle_km(lat, lon, node.lat_deg, node.lon_deg);
        const double weight = rules_->strike_kernel(distance, b->target.radius_km, p_);
        if (weight >= negligible_kernel_weight) footprints_[e].emplace_back(i, weight);
      }
    }
  }

  std::pair<double, double> area_point(const Area& area) const {
    if (area.node != no_node) return {s_.nodes[at(area.node)].lat_deg, s_.nodes[at(area.node)].lon_deg};
    return {area.lat_deg.value_or(0.0), area.lon_deg.value_or(0.0)};
  }

  bool ceasefire_covers(double lat, double lon) const {
    for (auto e : active_ceasefires_) {
      const auto& area = std::get<Ceasefire>(s_.events[e].action).area;
      if (area.node == no_node && !area.lat_deg) return true;  // everywhere
      const auto [clat, clon] = area_point(area);
      if (great_circle_km(lat, lon, clat, clon) <= area.radius_km + 1e-9) return true;
    }
    return false;
  }

  void update_threat() {
    const auto n = s_.nodes.size();
    exposure_.assign(n, 0.0);
    for (auto e : active_bombardments_) {
      const auto& b = std::get<Bombardment>(s_.events[e].action);
      double intensity = b.intensity_strikes_per_day;
      if (ceasefire_covers(aim_points_[e].first, aim_points_[e].second)) intensity *= 1.0 - p_.ceasefire_compliance;
      for (const auto& [node, weight] : footprints_[e]) exposure_[at(node)] += intensity * weight;
    }
    // Each node's update reads and writes only its own state: in parallel on large networks, same values.
    const auto nodes = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static) num_threads(config_.threads) if (nodes > 4096)
    for (std::int64_t k = 0; k < nodes; ++k) {
      const auto i = static_cast<std::size_t>(k);
      if (front_line_[i] > 0) {
        const double suppression =
            ceasefire_covers(s_.nodes[i].lat_deg, s_.nodes[i].lon_deg) ? 1.0 - p_.ceasefire_compliance : 1.0;
        exposure_[i] += p_.front_line_threat * suppression;
      }
      threat_[idx(i)] = rules_->updated_threat(threat_[idx(i)], exposure_[i], p_);
      safe_days_[i] = rules_->is_safe(threat_[idx(i)], p_) ? safe_days_[i] + 1 : 0;
    }
  }

  // ---- scenario events ------------------------------------------------------------------------------------------
  // Overlapping windows on the same corridor, border or capacity stack: the latest event still in force decides,
  // and when none is, the scenario's own value holds again.
  using Layers = std::vector<std::pair<std::uint32_t, double>>;  // (event, value), oldest first
  static void remove_layer(Layers& layers, std::uint32_t event) {
    layers.erase(std::remove_if(layers.begin(), layers.end(), [&](const auto& l) { return l.first == event; }),
                 layers.end());
  }

  void apply_scenario_event(std::uint32_t e, bool starting) {
    const Event& event = s_.events[e];
    const std::string kind = std::string(event_kind_name(event.action)) + (starting ? "_start" : "_end");
    auto remove = [](std::vector<std::uint32_t>& list, std::uint32_t value) {
      list.erase(std::remove(list.begin(), list.end(), value), list.end());
    };
    std::visit(
        [&](const auto& action) {
          using T = std::decay_t<decltype(action)>;
          if constexpr (std::is_same_v<T, Bombardment>) {
            starting ? active_bombardments_.push_back(e) : remove(active_bombardments_, e);
            log(kind, event.id, action.target.node, -1, action.intensity_strikes_per_day);
          } else if constexpr (std::is_same_v<T, Capture>) {
            if (starting) {
              control_[at(action.node)] = action.by;
              side_[at(action.node)] = side_id(action.by);
              ++front_line_[at(action.node)];
            } else {
              --front_line_[at(action.node)];
            }
            log(kind, event.id, action.node, -1, 0.0);
          } else if constexpr (std::is_same_v<T, CorridorClosure> || std::is_same_v<T, CorridorOpening>) {
            auto& layers = corridor_layers_[static_cast<std::size_t>(action.corridor)];
            const bool open = std::is_same_v<T, CorridorOpening>;
            starting ? layers.push_back({e, open ? 1.0 : 0.0}) : remove_layer(layers, e);
            const bool now_open = layers.empty() ? !s_.corridors[static_cast<std::size_t>(action.corridor)].closed
                                                 : layers.back().second > 0.0;
            network_.set_corridor_open(action.corridor, now_open);
            log(kind, event.id, no_node, action.corridor, now_open ? 1.0 : 0.0);
          } else if constexpr (std::is_same_v<T, BorderClosure> || std::is_same_v<T, BorderOpening>) {
            auto& layers = node_layers_[at(action.node)];
            const bool open = std::is_same_v<T, BorderOpening>;
            starting ? layers.push_back({e, open ? 1.0 : 0.0}) : remove_layer(layers, e);
            const bool now_open = layers.empty() ? !s_.nodes[at(action.node)].closed : layers.back().second > 0.0;
            network_.set_node_open(action.node, now_open);
            log(kind, event.id, action.node, -1, now_open ? 1.0 : 0.0);
          } else if constexpr (std::is_same_v<T, Ceasefire>) {
            starting ? active_ceasefires_.push_back(e) : remove(active_ceasefires_, e);
            log(kind, event.id, action.area.node, -1, 0.0);
          } else if constexpr (std::is_same_v<T, CapacityChange>) {
            auto& layers = capacity_layers_[at(action.node)];
            starting ? layers.push_back({e, action.capacity_people}) : remove_layer(layers, e);
            capacity_[at(action.node)] = layers.empty() ? base_capacity(at(action.node)) : layers.back().second;
            log(kind, event.id, action.node, -1, capacity_[at(action.node)]);
          } else if constexpr (std::is_same_v<T, Evacuation>) {
            starting ? active_evacuations_.push_back(e) : remove(active_evacuations_, e);
            log(kind, event.id, action.from, -1, action.rate_people_per_day);
          }
        },
        event.action);
  }

  // ---- decisions ------------------------------------------------------------------------------------------------
  double occupancy_people(std::size_t i) const {
    return people(residents_.row(idx(i)).sum() + displaced_.row(idx(i)).sum() + incoming_[i]);
  }

  // Everything node i decides today, from the start-of-day state only: safe to run for all nodes in parallel.
  void decide_at(std::size_t i, int day) {
    auto& flows = flows_[i];
    flows.clear();
    stay_departures_[i].clear();
    const auto node = static_cast<NodeIndex>(i);
    const double threat = threat_[idx(i)];
    const auto groups = s_.groups.size();
    const bool anyone_home = residents_.row(idx(i)).sum() > 0;
    const bool threatened = threat > 0.0;
    if (!(anyone_home && threatened) && stays_[i].empty()) return;

    const CandidateList& list = network_.candidate_list(node, p_.awareness_range_km);
    const auto& candidates = list.candidates;
    // Scratch space per thread: every deciding node needs these each day.
    thread_local DecisionScratch scratch;
    auto& weights = scratch.weights;
    weights.resize(candidates.size());
    const std::int32_t side = side_[i];
    auto raw_weight = [&](std::size_t k) -> double {
      if (side < 0) return appeal_[at(candidates[k].node)] * candidates[k].same_side_factor;  // uncontested
      const auto j = at(candidates[k].node);
      const bool other_side = side_[j] >= 0 && side_[j] != side;
      return appeal_[j] * (other_side ? candidates[k].other_side_factor : candidates[k].same_side_factor);
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
      if (side < 0) {
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
    RandomStream destination_stream = stream(RandomPurpose::destination, i, day);
    auto spread = [&](Flow::Kind kind, GroupIndex group, NodeIndex origin, Count count,
                      std::shared_ptr<const OriginMix> mix) {
      normalise();
      draw_multinomial(destination_stream, count, weights, split);
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        if (split[k] > 0) {
          flows.push_back(
              Flow{kind, group, origin, candidates[k].node, split[k], 0, static_cast<std::int32_t>(k), mix});
        }
      }
    };

    if (can_leave && threatened) {
      RandomStream departure_stream = stream(RandomPurpose::departure, i, day);
      for (std::size_t g = 0; g < groups; ++g) {
        const double probability = rules_->leave_probability(threat, s_.groups[g].departure_factor, p_);
        const Count leaving = draw_binomial(departure_stream, residents_(idx(i), idx(g)), probability);
        if (leaving > 0) spread(Flow::Kind::leave_home, static_cast<GroupIndex>(g), node, leaving, nullptr);
      }
    }
    auto& departing = stay_departures_[i];
    if (stays_[i].empty()) return;
    // Displaced people moving on are drawn stay by stay, then pooled by group: one split over the destinations
    // per group (not per home origin), so cohorts grow with destinations, not origins x destinations. Nobody
    // moves on to their own home (that is the return rule's business): with c_o movers from origin o and w_k the
    // destination weights summing to W, b_o = c_o / (W - w_o) and the pooled split uses w_k (B - b_k), B = sum b_o;
    // on arrival at k, the people are shared out over origins o != k in proportion to b_o. This is exactly each
    // origin's own split with its home left out.
    RandomStream onward_stream = stream(RandomPurpose::onward, i, day);
    RandomStream return_stream = stream(RandomPurpose::return_home, i, day);
    auto candidate_index = [&](Stay& stay) -> std::int64_t {
      if (stay.home_generation != list.generation) {
        auto it = std::lower_bound(candidates.begin(), candidates.end(), stay.origin,
                                   [](const Candidate& c, NodeIndex n) { return c.node < n; });
        stay.home_candidate =
            it != candidates.end() && it->node == stay.origin ? static_cast<std::int32_t>(it - candidates.begin()) : -1;
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
    for (std::uint32_t k = 0; k < stays_[i].size(); ++k) {
      Stay& stay = stays_[i][k];  // only this node's decision touches its stays now
      const auto g = static_cast<std::size_t>(stay.group);
      Count moving = 0;
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
      if (may_move) {
        const double probability =
            rules_->onward_probability(threat, s_.groups[g].departure_factor, s_.nodes[i].kind, p_);
        moving = draw_binomial(onward_stream, stay.count, probability);
        if (moving > 0) {
          normalise();
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
      }
      if (stay.origin != no_node && stay.origin != node && side_[at(stay.origin)] == initial_side_[at(stay.origin)]) {
        const double probability = rules_->return_probability(safe_days_[at(stay.origin)], p_);
        const Count going_home = draw_binomial(return_stream, stay.count - moving, probability);
        if (going_home > 0) {
          flows.push_back(Flow{Flow::Kind::go_home, stay.group, stay.origin, stay.origin, going_home, k, -1, nullptr});
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
      network_.find_routes(node, homes, routes);
      std::size_t h = 0;
      for (Flow& flow : flows) {
        if (flow.kind == Flow::Kind::go_home) flow.route = std::move(routes[h++]);
      }
    }
    auto& pooled = scratch.pooled;
    pooled.resize(candidates.size());
    for (std::size_t g = 0; g < groups; ++g) {
      if (moving_total[g] == 0) continue;
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        const double own = home_share[g].empty() ? 0.0 : home_share[g][k];
        pooled[k] = weights[k] * std::max(0.0, share_total[g] - own);
      }
      draw_multinomial(destination_stream, moving_total[g], pooled, split);
      auto mix = std::make_shared<const OriginMix>(movers[g]);
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        if (split[k] > 0) {
          flows.push_back(Flow{Flow::Kind::move_on, static_cast<GroupIndex>(g), no_node, candidates[k].node, split[k],
                               0, static_cast<std::int32_t>(k), mix});
        }
      }
    }
  }

  void decide_day(int day) {
    deciding_ = true;
    update_threat();
    const auto n = static_cast<std::int64_t>(s_.nodes.size());
    // Each node's appeal reads only its own state: computed in parallel, the same values at any thread count.
#pragma omp parallel for schedule(static) num_threads(config_.threads) if (n > 4096)
    for (std::int64_t j = 0; j < n; ++j) {
      const auto k = static_cast<std::size_t>(j);
      appeal_[k] = rules_->destination_appeal(
          DestinationState{s_.nodes[k].kind, threat_[idx(k)], occupancy_people(k), capacity_[k]}, p_);
    }
    // An exception must not escape an OpenMP region (that aborts); the first one, by node, is rethrown after it.
    std::vector<std::exception_ptr> failures(static_cast<std::size_t>(n));
#pragma omp parallel for schedule(dynamic, 64) num_threads(config_.threads)
    for (std::int64_t i = 0; i < n; ++i) {
      try {
        // Each node's candidates and stays sit in their own allocations: ask for the next nodes' early, so that
        // deciding does not wait on memory for them (the first look at them was most of deciding's time).
        if (i + 2 < n) {
          const auto ahead = static_cast<std::size_t>(i + 2);
          network_.prefetch_candidates(static_cast<NodeIndex>(ahead));
          __builtin_prefetch(stays_[ahead].data());
        }
        decide_at(static_cast<std::size_t>(i), day);
      } catch (...) {
        failures[static_cast<std::size_t>(i)] = std::current_exception();
      }
    }
    for (const auto& failure : failures) {
      if (failure) std::rethrow_exception(failure);
    }

    // Commit in node order: the outcome does not depend on which thread decided what. Stocks are taken first,
    // then travellers set off, so that nothing a departure triggers can shift the stay indices flows refer to.
    std::vector<std::pair<const Flow*, RoutePtr>> launches;
    std::vector<NodeIndex> homes;  // where the node's returners go today, and how
    std::vector<RoutePtr> home_routes;
    for (std::size_t i = 0; i < s_.nodes.size(); ++i) {
      if (flows_[i].empty()) continue;
      const auto node = static_cast<NodeIndex>(i);
      network_.candidate_list(node, p_.awareness_range_km);  // as decided today: candidate_route() reads it
      launches.clear();
      homes.clear();
      home_routes.clear();
      for (const auto& departure : stay_departures_[i]) {
        Stay& stay = stays_[i][departure.stay];
        stay.count -= departure.count;
        displaced_(idx(i), idx(static_cast<std::size_t>(stay.group))) -= departure.count;
      }
      for (const Flow& flow : flows_[i]) {
        const auto g = static_cast<std::size_t>(flow.group);
        RoutePtr route;
        if (flow.kind == Flow::Kind::go_home) {
          route = flow.route;
          homes.push_back(flow.destination);
          home_routes.push_back(flow.route);
          if (!route) continue;  // no open way home today; they stay
        } else {
          route = network_.candidate_route(node, static_cast<std::size_t>(flow.candidate));
        }
        switch (flow.kind) {
          case Flow::Kind::leave_home:
            residents_(idx(i), idx(g)) -= flow.count;
            left_home_today_ += flow.count;
            cumulative_displaced_ += flow.count;
            left_home_by_node_[i] += flow.count;
            break;
          case Flow::Kind::move_on:
            break;  // taken from the stays above
          case Flow::Kind::go_home:
            stays_[i][flow.stay].count -= flow.count;
            displaced_(idx(i), idx(g)) -= flow.count;
            break;
        }
        departures_[idx(i)] += flow.count;
        launches.emplace_back(&flow, std::move(route));
      }
      if (!homes.empty()) network_.remember_routes(node, homes, home_routes);
      std::erase_if(stays_[i], [](const Stay& stay) { return stay.count == 0; });
      for (auto& [flow, route] : launches) {
        launch(Cohort{flow->count, flow->group, flow->origin, flow->destination, std::move(route), 0, flow->mix});
      }
    }
    evacuate();
    deciding_ = false;
    for (const auto slot : played_out_later_) play_out(slot);
    played_out_later_.clear();
  }

  // Organised evacuations move up to `rate` residents a day, in proportion to the groups present.
  void evacuate() {
    for (auto e : active_evacuations_) {
      const auto& evacuation = std::get<Evacuation>(s_.events[e].action);
      const auto from = at(evacuation.from);
      const Count available = residents_.row(idx(from)).sum();
      const Count moving = std::min(
          available, static_cast<Count>(std::llround(evacuation.rate_people_per_day * static_cast<double>(units_))));
      if (moving <= 0) continue;
      RoutePtr route = network_.route(evacuation.from, evacuation.to);
      if (!route) {
        log("evacuation_blocked", s_.events[e].id, evacuation.from, -1, people(moving));
        continue;
      }
      std::vector<double> shares(s_.groups.size());
      for (std::size_t g = 0; g < shares.size(); ++g) shares[g] = static_cast<double>(residents_(idx(from), idx(g)));
      std::vector<Count> split(shares.size());
      expected_multinomial(moving, shares, split);
      for (std::size_t g = 0; g < split.size(); ++g) {
        if (split[g] == 0) continue;
        residents_(idx(from), idx(g)) -= split[g];
        departures_[idx(from)] += split[g];
        left_home_today_ += split[g];
        cumulative_displaced_ += split[g];
        left_home_by_node_[from] += split[g];
        launch(Cohort{split[g], static_cast<GroupIndex>(g), evacuation.from, evacuation.to, route, 0});
      }
    }
  }

  // ---- movement -------------------------------------------------------------------------------------------------
  std::uint32_t store(Cohort cohort) {
    ++summary_.cohorts_created;
    if (!free_cohorts_.empty()) {
      const auto slot = free_cohorts_.back();
      free_cohorts_.pop_back();
      cohorts_[slot] = std::move(cohort);
      return slot;
    }
    cohorts_.push_back(std::move(cohort));
    return static_cast<std::uint32_t>(cohorts_.size() - 1);
  }
  void release(std::uint32_t slot) {
    cohorts_[slot].route.reset();
    free_cohorts_.push_back(slot);
  }

  void launch(Cohort cohort) {
    incoming_[at(cohort.destination)] += cohort.count;
    const auto slot = store(std::move(cohort));
    // A journey that ends today without a capped or closed corridor is played out when the day's decisions are
    // done (settling now would move the stays that later nodes' flows refer to); the rest set off as usual.
    if (deciding_ && completes_today(cohorts_[slot], now_)) {
      played_out_later_.push_back(slot);
      return;
    }
    advance(slot);
  }

  // Puts cohort `slot` onto its next corridor, or in the corridor's queue, or re-routes it when the way ahead
  // has closed since it set off; people with no way on settle where they are.
  void advance(std::uint32_t slot) {
    Cohort& cohort = cohorts_[slot];
    const Leg* leg = &cohort.route->legs[cohort.leg];
    if (!network_.corridor_open(leg->corridor) || !network_.node_open(leg->to)) {
      RoutePtr detour = network_.route(leg->from, cohort.destination);
      if (!detour) {
        log("stranded", "", leg->from, leg->corridor, people(cohort.count));
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
    queue_.push(now_ + leg->travel_days / speed_factor, priority_arrive, {EngineEvent::Type::arrive, slot});
  }

  void enqueue(std::uint32_t slot) {
    const Cohort& cohort = cohorts_[slot];
    const Leg& leg = cohort.route->legs[cohort.leg];
    queues_[static_cast<std::size_t>(leg.corridor)].push_back(slot);
    waiting_by_node_[at(leg.from)] += cohort.count;
  }

  void release_queues() {
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

  // A cohort reaches the end of its leg at now_ and enters the next one, or settles.
  void arrive(std::uint32_t slot) {
    Cohort& cohort = cohorts_[slot];
    const Leg& leg = cohort.route->legs[cohort.leg];
    in_transit_[idx(static_cast<std::size_t>(leg.corridor))] -= cohort.count;
    if (leg.to == cohort.destination) {
      settle(slot, leg.to);
      return;
    }
    ++cohort.leg;
    if (completes_today(cohort, now_)) {
      play_out(slot);
      return;
    }
    advance(slot);
  }

  // Journeys that end before the next whole day along open, uncapped corridors are played out at once instead of
  // one queued arrival per leg. Between two whole days the network does not change, and what such an arrival
  // does (leave a corridor, enter an uncapped one, settle) only adds to sums that nothing reads before the next
  // day's record, so its place among other arrivals does not matter. Every other journey goes through the queue
  // exactly as before, in the same order: results are those of one event per leg.
  [[nodiscard]] bool completes_today(const Cohort& cohort, double time) const {
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
  void play_out(std::uint32_t slot) {
    Cohort& cohort = cohorts_[slot];
    for (;; ++cohort.leg) {
      const Leg& leg = cohort.route->legs[cohort.leg];
      corridor_inflow_[idx(static_cast<std::size_t>(leg.corridor))] += cohort.count;
      if (leg.to == cohort.destination) break;
    }
    settle(slot, cohort.destination);
  }

  // Whether entering the leg's corridor now is free of order effects: open, to an open node, and without capacity.
  [[nodiscard]] bool enters_freely(const Leg& leg) const {
    return network_.corridor_open(leg.corridor) && network_.node_open(leg.to) &&
           !s_.corridors[static_cast<std::size_t>(leg.corridor)].capacity_people_per_day.has_value();
  }

  // People reach the end of their journey (or of the road) at `node`.
  void settle(std::uint32_t slot, NodeIndex node) {
    const Cohort cohort = cohorts_[slot];
    release(slot);
    incoming_[at(cohort.destination)] -= cohort.count;
    if (!cohort.mix) {
      settle_part(node, cohort.group, cohort.origin, cohort.count);
      return;
    }
    // A pooled cohort shares its people out over their homes (never its destination), in proportion, exactly.
    const OriginMix& mix = *cohort.mix;
    thread_local std::vector<double> shares;
    thread_local std::vector<Count> parts;
    shares.resize(mix.size());
    parts.resize(mix.size());
    for (std::size_t k = 0; k < mix.size(); ++k) shares[k] = mix[k].first == cohort.destination ? 0.0 : mix[k].second;
    expected_multinomial(cohort.count, shares, parts);
    for (std::size_t k = 0; k < mix.size(); ++k) {
      if (parts[k] > 0) settle_part(node, cohort.group, mix[k].first, parts[k]);
    }
  }

  // `count` people of `group` whose home is `origin` end up at `node`: at home again, or hosted there.
  void settle_part(NodeIndex node, GroupIndex group, NodeIndex origin, Count count) {
    const auto i = at(node);
    const auto g = static_cast<std::size_t>(group);
    if (node == origin) {
      residents_(idx(i), idx(g)) += count;
      returns_[idx(i)] += count;
      returned_ += count;
      return;
    }
    displaced_(idx(i), idx(g)) += count;
    arrivals_[idx(i)] += count;
    displaced_arrivals_by_node_[i] += count;
    // Stays are kept sorted by (origin, group): arrivals find theirs by binary search.
    auto& stays = stays_[i];
    auto it = std::lower_bound(
        stays.begin(), stays.end(), std::pair(origin, group),
        [](const Stay& s, const std::pair<NodeIndex, GroupIndex>& key) { return std::pair(s.origin, s.group) < key; });
    if (it == stays.end() || it->origin != origin || it->group != group) {
      stays.insert(it, Stay{origin, group, count, 0, -1});
    } else {
      it->count += count;
    }
    if (origin != no_node) od_[od_key(origin, node)] += count;
  }

  // ---- recording ------------------------------------------------------------------------------------------------
  void record(int day) {
    const auto n = s_.nodes.size();
    unsheltered_.setZero(idx(n));
    waiting_.setZero(idx(n));
    Count unsheltered_total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      waiting_[idx(i)] = waiting_by_node_[i];
      const Count displaced_here = displaced_.row(idx(i)).sum();
      if (std::isfinite(capacity_[i]) && displaced_here > 0) {
        const double over = people(residents_.row(idx(i)).sum() + displaced_here) - capacity_[i];
        const Count over_units = over > 0.0 ? static_cast<Count>(std::ceil(over * static_cast<double>(units_))) : 0;
        unsheltered_[idx(i)] = std::clamp<Count>(over_units, 0, displaced_here);
        unsheltered_total += unsheltered_[idx(i)];
      }
    }
    DayRecord record;
    record.day = day;
    record.units_per_person = units_;
    record.residents_by_group = &residents_;
    record.displaced_by_group = &displaced_;
    record.departures = &departures_;
    record.arrivals = &arrivals_;
    record.returns = &returns_;
    record.waiting = &waiting_;
    record.unsheltered = &unsheltered_;
    record.corridor_inflow = &corridor_inflow_;
    record.in_transit = &in_transit_;
    record.threat = &threat_;
    record.capacity = &capacity_;
    record.cumulative_displaced = cumulative_displaced_;
    for (auto* o : observers_) o->on_day(record);

    if (people(left_home_today_) > summary_.peak_daily_departures) {
      summary_.peak_daily_departures = people(left_home_today_);
      summary_.peak_day = day;
    }
    if (people(unsheltered_total) > summary_.unsheltered_peak) {
      summary_.unsheltered_peak = people(unsheltered_total);
      summary_.unsheltered_peak_day = day;
    }
    zero_daily();
  }

  void finish() {
    FinalRecord final_record;
    final_record.units_per_person = units_;
    for (const auto& [key, count] : od_) {
      final_record.origin_destination.push_back(
          {static_cast<NodeIndex>(key >> 32), static_cast<NodeIndex>(key & 0xffffffffu), count});
    }
    std::sort(final_record.origin_destination.begin(), final_record.origin_destination.end(),
              [](const auto& a, const auto& b) {
                return a.origin < b.origin || (a.origin == b.origin && a.destination < b.destination);
              });
    for (auto* o : observers_) o->on_finish(final_record);

    summary_.cumulative_displaced = people(cumulative_displaced_);
    summary_.returned = people(returned_);
    summary_.displaced_present_end = people(displaced_.sum());
    summary_.in_transit_end = people(in_transit_.sum());
    Count waiting = 0;
    for (auto w : waiting_by_node_) waiting += w;
    summary_.waiting_end = people(waiting);
    auto top = [&](const std::vector<Count>& by_node) {
      std::vector<NodeTotal> totals;
      for (std::size_t i = 0; i < by_node.size(); ++i) {
        if (by_node[i] > 0) totals.push_back({static_cast<NodeIndex>(i), people(by_node[i])});
      }
      std::stable_sort(totals.begin(), totals.end(), [](const auto& a, const auto& b) { return a.people > b.people; });
      if (totals.size() > 5) totals.resize(5);
      return totals;
    };
    summary_.top_origins = top(left_home_by_node_);
    summary_.top_destinations = top(displaced_arrivals_by_node_);
  }

  const Scenario& s_;
  const ModelParameters& p_;
  RunConfig config_;
  std::shared_ptr<const RuleSet> rules_;
  RoadNetwork network_;
  Count units_;
  int days_;
  std::vector<Observer*> observers_;
  EventQueue<EngineEvent> queue_;
  double now_ = 0.0;

  // Population state.
  CountMatrix residents_;
  CountMatrix displaced_;
  std::vector<std::vector<Stay>> stays_;
  std::vector<Cohort> cohorts_;
  std::vector<std::uint32_t> free_cohorts_;
  bool deciding_ = false;                        // in decide_day: launches may be played out after it
  std::vector<std::uint32_t> played_out_later_;  // cohorts launched today whose whole journey ends today
  std::vector<Count> incoming_;                  // in transit or waiting, by destination
  Count initial_total_ = 0;

  // Node and network state.
  Eigen::VectorXd threat_;
  std::vector<double> exposure_;
  std::vector<double> appeal_ = std::vector<double>(s_.nodes.size(), 0.0);  // today's destination appeal
  std::vector<int> safe_days_;
  std::vector<int> front_line_;
  std::vector<std::string> control_;
  std::vector<std::string> initial_control_;
  // control_ as a number per side (-1: uncontested), so that deciding compares integers, not strings.
  std::vector<std::int32_t> side_;
  std::vector<std::int32_t> initial_side_;
  std::vector<std::string> side_names_;
  std::int32_t side_id(const std::string& control) {
    if (control.empty()) return -1;
    auto it = std::find(side_names_.begin(), side_names_.end(), control);
    if (it != side_names_.end()) return static_cast<std::int32_t>(it - side_names_.begin());
    side_names_.push_back(control);
    return static_cast<std::int32_t>(side_names_.size() - 1);
  }
  std::vector<double> capacity_;
  std::vector<Layers> corridor_layers_ = std::vector<Layers>(s_.corridors.size());
  std::vector<Layers> node_layers_ = std::vector<Layers>(s_.nodes.size());
  std::vector<Layers> capacity_layers_ = std::vector<Layers>(s_.nodes.size());
  std::vector<std::uint32_t> active_bombardments_;
  std::vector<std::uint32_t> active_ceasefires_;
  std::vector<std::uint32_t> active_evacuations_;
  std::vector<std::vector<std::pair<NodeIndex, double>>> footprints_;
  std::vector<std::pair<double, double>> aim_points_;
  std::vector<Count> budget_;
  std::vector<std::vector<std::uint32_t>> queues_;  // cohorts waiting at each corridor's entrance, in order
  std::vector<std::size_t> capped_;                 // corridors with a daily capacity, in index order
  std::vector<Count> waiting_by_node_ = std::vector<Count>(s_.nodes.size(), 0);
  std::vector<std::vector<Flow>> flows_;
  std::vector<std::vector<StayDeparture>> stay_departures_ = std::vector<std::vector<StayDeparture>>(s_.nodes.size());

  // Daily and cumulative counters.
  CountVector departures_, arrivals_, returns_, waiting_, unsheltered_, corridor_inflow_, in_transit_;
  Count left_home_today_ = 0;
  Count cumulative_displaced_ = 0;
  Count returned_ = 0;
  std::vector<Count> left_home_by_node_;
  std::vector<Count> displaced_arrivals_by_node_;
  // Origin-destination totals keyed by od_key(): a hash map (every settlement adds to it), sorted at the end.
  std::unordered_map<std::uint64_t, Count> od_;
  static std::uint64_t od_key(NodeIndex origin, NodeIndex destination) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(origin)) << 32) |
           static_cast<std::uint32_t>(destination);
  }
  RunSummary summary_;
};

Simulation::Simulation(const Scenario& scenario, RunConfig config, std::shared_ptr<const RuleSet> rules)
    : impl_(std::make_unique<Impl>(scenario, std::move(config), std::move(rules))) {}
Simulation::~Simulation() = default;
void Simulation::add_observer(Observer& observer) {
  impl_->add_observer(observer);
}
RunSummary Simulation::run() {
  return impl_->run();
}
Count Simulation::units_per_person() const noexcept {
  return impl_->units();
}

}  // namespace haven
