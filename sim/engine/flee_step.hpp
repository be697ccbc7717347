#pragma once
// Internal: the Flee rule set's day step (`rules: flee`). Flee 3's daily loop with counts of people instead of
// agents: conflicts begin and end, the day's new displaced people appear at conflict zones, closures apply, people
// at locations decide whether and where to go, and travellers cover up to a day's distance, passing several links a
// day. The rules themselves are the pure functions of haven/engine/flee_rules.hpp; docs/model.md ("The Flee rule
// set") has the equations. The run emits the same DayRecord series as Haven's rules, so run files, validate,
// report and export work unchanged.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine_common.hpp"
#include "haven/engine/flee_rules.hpp"
#include "haven/engine/simulation.hpp"

namespace haven::engine {

// A location as the Flee rules see it before day 0.
struct FleeLocation {
  FleeLocationType type = FleeLocationType::town;  // camp, town (conflict zones begin as towns), forwarding hub
  double population = 0.0;                         // residents: the spawn weight's population
  double capacity = FleeLocationState::no_capacity;
  bool foreign = false;
  Count initial_agents = 0;  // displaced people there on day 0, in units
};

// A directed link (every corridor gives one each way, in corridor order: Flee's link order).
struct FleeLink {
  NodeIndex from = no_node;
  NodeIndex to = no_node;
  double length_km = 0.0;
  CorridorIndex corridor = -1;
};

// Everything a Flee run reads: the geography and, day by day, the conflicts, the closures and the observed total
// whose daily rise is the number of people who flee.
struct FleeWorld {
  std::vector<FleeLocation> locations;
  std::vector<FleeLink> links;
  std::vector<std::vector<std::int32_t>> links_from;  // outgoing links of each location, in link order
  int days = 0;
  std::vector<std::vector<double>> conflict_intensity;  // [day][location]; <= 1e-6: no conflict
  std::vector<std::vector<char>> link_closed;           // [day][link]
  std::vector<std::vector<char>> camp_closed;           // [day][location]: a closed camp is a town that day
  std::vector<double> observed_total;                   // [day]: the series whose rise is given as departures

  // Sizes the day tables (all open, no conflict, total 0) and fills links_from.
  void finish_links(int day_count);
};

// Builds the Flee world of a scenario (`rules: flee`). Throws std::invalid_argument naming what is missing.
FleeWorld build_flee_world(const Scenario& scenario, Count units_per_person);

// Flee's day step on a FleeWorld, in units (1 per person, or 10^6 in expected mode).
class FleeStep {
 public:
  // People at a location who share a state: Flee's per-agent recent travel distance (in days' distance: a multiple
  // of 1/32 between days, within a day the people-weighted mean of those merged on arriving), whether they have
  // finished a link yet (only read with start_on_foot: without it everyone counts as having done so, so that they
  // merge), and the rest of a chosen multi-link route.
  struct Party {
    Count count = 0;
    double recent = 0.0;
    bool walked = false;
    std::vector<NodeIndex> route;
    double moved_km = 0.0;  // today, for those who moved
  };

  FleeStep(const FleeWorld& world, const FleeSettings& settings, Draws draws, Count units_per_person);

  void step(int day);

  // After a step.
  [[nodiscard]] const CountVector& agents() const noexcept { return agents_; }  // at each location
  [[nodiscard]] const CountVector& spawned_today() const noexcept { return spawned_; }
  [[nodiscard]] const CountVector& departures() const noexcept { return departures_; }
  [[nodiscard]] const CountVector& arrivals() const noexcept { return arrivals_; }
  [[nodiscard]] const CountVector& link_inflow() const noexcept { return link_inflow_; }  // per link
  [[nodiscard]] CountVector on_links() const;                                             // per link, end of day
  [[nodiscard]] Count spawned_total() const noexcept { return spawned_total_; }
  [[nodiscard]] const FleeLocationState& state(NodeIndex location) const { return states_[at(location)]; }
  [[nodiscard]] double capacity_now(NodeIndex location) const;
  // Work done so far: how many times a party decided whether and where to go (at the start of a day or on
  // arriving with distance left); the Flee rule set's cost grows with it.
  [[nodiscard]] std::uint64_t party_decisions() const noexcept { return party_decisions_; }

  // Within a hop: the parties that arrived with distance left and go on are pooled where they share a location, a
  // route and a coarse state: while avoid_short_stints pushes them on, recent + moved today / max speed in steps of
  // 1/32; else the distance moved today in steps of 1/32 of max_move_speed. A pooled party carries its members'
  // people-weighted mean recent travel and distance. Keeps the order of first arrival and every person.
  void merge_arrivals(std::vector<std::pair<NodeIndex, Party>>& arrivals);

 private:
  struct Traveller {
    Count count = 0;
    std::int32_t link = -1;
    double progress_km = 0.0;
    double moved_km = 0.0;
    double recent = 0.0;
    bool walked = false;
    std::vector<NodeIndex> route;
  };
  struct Route {
    std::vector<NodeIndex> nodes;  // after the origin
    double length_km = 0.0;
    std::int32_t first_link = -1;  // the open link to nodes.front()
    double distance_factor = 1.0;  // flee_rules::route_distance_factor of length_km
  };

  // Where the people deciding at a location go: its routes (from the network and the closures: rebuilt only when a
  // link opens or closes) and their probabilities, from the counts when the phase (or round) began, and whether
  // each route ends at a camp too full to go to.
  struct Choice {
    std::uint64_t generation = 0;
    std::uint64_t routes_version = 0;
    std::vector<Route> routes;
    std::vector<double> probabilities;
    std::vector<double> cumulative;  // of the probabilities
    std::size_t last_positive = 0;   // the last route with a probability above 0
    std::vector<char> full_end;
  };
  const Choice& choice_at(NodeIndex location);

  void update_conflicts(int day);
  void spawn(int day);
  void apply_closures(int day);
  // Party members at `location` decide; movers become travellers in `out`, the others stay (into `stay`).
  void decide(NodeIndex location, Party party, bool continuing, RandomStream& move, RandomStream& route,
              std::vector<Traveller>& out, std::vector<Party>& stay);
  void enter_link(NodeIndex location, std::int32_t link, const Party& party, Count count, std::vector<NodeIndex> rest,
                  std::vector<Traveller>& out);
  [[nodiscard]] std::vector<Route> routes_from(NodeIndex origin) const;
  void add_routes(NodeIndex at_node, std::vector<NodeIndex>& path, double length_km, int step,
                  std::vector<Route>& out) const;
  [[nodiscard]] std::int32_t open_link(NodeIndex from, NodeIndex to) const;
  [[nodiscard]] bool full_camp(NodeIndex location) const;
  // Recent travel kept between days: to the nearest 1/32 of a day's distance.
  [[nodiscard]] static double quantised_recent(double recent);
  [[nodiscard]] bool walked_at_start() const noexcept { return !s_.start_on_foot; }
  // How far people go in a day: at walking speed on their first link when start_on_foot, else at max_move_speed.
  [[nodiscard]] double day_distance_km(bool walked) const noexcept {
    return s_.start_on_foot && !walked ? s_.max_walk_speed_km_per_day : s_.max_move_speed_km_per_day;
  }
  // The next round's pool: whoever arrives with distance left, pooled on arrival (merge_arrivals' rule).
  void pool_arrival(NodeIndex location, Party&& party);
  void clear_pool();
  // Adds the round's arrivals at the ends of short links to the counts at their locations.
  void count_incoming();
  void merge(std::vector<Party>& parties);
  static void merge(std::vector<Traveller>& travellers);

  const FleeWorld& world_;
  FleeSettings s_;
  Draws draws_;
  Count units_;
  std::vector<FleeLocationState> states_;
  std::vector<double> capacity_;  // after the day-0 reduction
  std::vector<std::vector<Party>> parties_;
  std::vector<Traveller> travellers_;
  std::vector<char> link_open_;
  CountVector agents_, spawned_, departures_, arrivals_, link_inflow_;
  Count spawned_total_ = 0;
  long long debt_people_ = 0;  // Flee's refugee_debt: falls of the observed total not yet made up
  int spawn_weight_day_ = 0;
  std::vector<Choice> choices_;
  std::uint64_t generation_ = 0;
  std::uint64_t party_decisions_ = 0;
  std::uint64_t routes_version_ = 1;  // bumped when a link opens or closes: the routes must be rebuilt
  std::vector<double> score_;         // each location's score today (flee_rules::location_score)
  // Scratch space of the day loop, kept to spare allocations.
  std::vector<Count> split_;
  std::vector<Traveller> active_;
  std::vector<std::pair<NodeIndex, Party>> continuing_;
  std::vector<std::vector<Party>> settled_;
  std::vector<Count> bucket_people_;  // merge(): people by (recent, walked)
  std::vector<std::size_t> touched_buckets_;
  std::vector<Party> routed_;
  std::vector<std::pair<NodeIndex, Party>> pool_;  // the next round's parties, pooled (pool_arrival)
  CountVector incoming_;                           // at each location: arrived this round, not yet counted there
  int arrival_hop_ = 0;                            // the round in which enter_link's arrivals arrive
  std::vector<std::int32_t> merge_head_;           // merge_arrivals(): the first party kept of each state, or -1
  std::vector<std::int32_t> merge_chain_;
  std::vector<std::size_t> merge_touched_;
};

// Runs a scenario with `rules: flee`: the DayRecords, events and FinalRecord to the observers, the headline
// numbers into the returned summary.
RunSummary run_flee(const Scenario& scenario, const RunConfig& config, const std::vector<Observer*>& observers);

}  // namespace haven::engine
