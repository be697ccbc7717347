#pragma once
// Internal: deciding. From the start-of-day state only, every node decides in parallel who leaves home (the
// departure hazard), which hosted people move on or go home (onward and return hazards) and where they go
// (destination appeal over the node's candidates, pooled by group). The decisions are flows, applied by the
// simulation's commit in node order, so that the outcome does not depend on which thread decided what.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine_common.hpp"
#include "haven/engine/network.hpp"
#include "haven/engine/rules.hpp"
#include "population.hpp"
#include "scenario_events.hpp"
#include "threat_field.hpp"

namespace haven::engine {

// A decision taken at a node today, applied in the deterministic commit.
struct Flow {
  enum class Kind : std::uint8_t { leave_home, move_on, go_home };
  Kind kind = Kind::leave_home;
  GroupIndex group = 0;
  NodeIndex origin = no_node;
  NodeIndex destination = no_node;
  Count count = 0;
  std::uint32_t stay = 0;       // which stay (go_home)
  std::int32_t candidate = -1;  // index into the node's candidates (leave_home, move_on)
  SharedMix mix;                // move_on: the movers' homes
  RoutePtr route;               // go_home: the way home today (found while deciding); nullptr: none
};

// People leaving a stay today (moving on), taken from it at the commit.
struct StayDeparture {
  std::uint32_t stay = 0;
  Count count = 0;
};

// What deciding reads: the parts' state at the start of the day (stays' cached candidate indices and the
// network's search caches aside).
struct DecisionInputs {
  PopulationLedger& ledger;
  const ThreatField& threat;
  const ScenarioEvents& events;
  RoadNetwork& network;  // candidate lists are searched for (and cached) as needed
  // People heading for each node (occupancy): read by the appeals, before any node decides, and never after (the
  // commits beside the deciding launch people, and this is transport's own count).
  const std::vector<Count>& incoming;
};

class Decider {
 public:
  // `split_small`: decide a network of one chunk on `threads` threads too (RunConfig::split_small_networks).
  Decider(const Scenario& scenario, const RuleSet& rules, Draws draws, Count units_per_person, int threads,
          bool split_small = false);

  // Takes what `saved` learned (each node's reach) and its last appeals (Simulation::resume_from). Flows are
  // made afresh each day and not taken.
  void adopt(const Decider& saved) {
    appeal_ = saved.appeal_;
    refuge_ = saved.refuge_;
    reach_km_ = saved.reach_km_;
  }

  // Every node's decisions today; then `commit(i)` for every node i in node order, on the calling thread, which may
  // take node i's flows (flows_to_commit(i)). On more than one thread the commits begin while later nodes are still
  // deciding, each node's as soon as its decisions are taken: the commit thread decides chunks too while the node it
  // waits for is not done. Results are those of deciding every node first, because a node's decisions read nothing
  // another node's commit writes (that node's stays, residents and departures; transport; the network's route
  // tables, which the commit must leave alone meanwhile: see wait_for_decisions()). A commit must launch or drop every
  // flow it is handed: the next day's deciding drops what is left, on any thread, and a mix's owners are counted
  // without atomics (SharedMix). On one thread an exception from deciding is thrown at once, before any commit; on
  // more, one from deciding node i (thrown before one from a commit) or from a commit ends the day's commits at i and
  // is thrown once every thread has stopped.
  void decide(int day, DecisionInputs in, const std::function<void(std::size_t)>& commit);
  // For a commit that must search the network or change its route tables (a detour): returns once every node's
  // decisions today are taken, the calling thread deciding those nobody has taken up yet. Deciding reads and writes
  // the network's per-node searches and reads its remembered routes. Outside decide(), returns at once.
  void wait_for_decisions();

  [[nodiscard]] const std::vector<Flow>& flows(std::size_t node) const { return flows_[node]; }
  // The same, for the commit, which hands each flow's mix and route on to its cohort (moved, not copied: the
  // route's shared_ptr counts atomically in a process with threads). Nothing reads the flows after the commit.
  [[nodiscard]] std::vector<Flow>& flows_to_commit(std::size_t node) { return flows_[node]; }
  [[nodiscard]] const std::vector<StayDeparture>& stay_departures(std::size_t node) const {
    return stay_departures_[node];
  }
  // Given departures (scenario `departures: given`): the residents leaving each node today, in units, instead of
  // the departure hazard's draw; nullptr (the default): predicted by the hazard.
  void set_given_leaving(const std::vector<Count>* leaving) noexcept { given_leaving_ = leaving; }
  // Today's destination appeal (RuleSet::destination_appeal) of each node.
  [[nodiscard]] const std::vector<double>& appeal() const noexcept { return appeal_; }
  // How far (road km) people at `node` look for destinations: awareness_range_km at first, grown while no refuge
  // is within it (docs/model.md#reach); the commit reads the candidates searched with it.
  [[nodiscard]] double reach_km(std::size_t node) const { return reach_km_[node]; }

 private:
  // Everything node i decides today, from the start-of-day state only: safe to run for all nodes in parallel.
  void decide_at(std::size_t i, int day, const DecisionInputs& in);
  // Today's deciding while the commits go on beside it (decide() on more than one thread).
  struct Pipeline;
  // Decides the next chunk nobody has taken up yet; false when none is left.
  bool decide_next_chunk(Pipeline& pipeline);
  // Node i's candidates within its reach, the reach grown first if no refuge is within it.
  const CandidateList& candidates_within_reach(std::size_t i, RoadNetwork& network);

  const Scenario& s_;
  const ModelParameters& p_;
  const RuleSet& rules_;
  Draws draws_;
  Count units_;
  int threads_;
  bool split_small_;
  std::vector<double> appeal_;
  std::vector<char> refuge_;  // today: RuleSet::is_refuge of each node (and it admits people)
  std::vector<double> reach_km_;
  std::vector<std::vector<Flow>> flows_;
  std::vector<std::vector<StayDeparture>> stay_departures_;
  const std::vector<Count>* given_leaving_ = nullptr;
  Pipeline* pipeline_ = nullptr;  // set while decide() runs the commits beside the deciding
};

}  // namespace haven::engine
