#pragma once
// The engine: given a Scenario (never modified) and a run configuration, simulate day by day who leaves
// where, along which roads, to where, and when they arrive or go home. docs/model.md has the equations.

#include <functional>
#include <memory>
#include <optional>

#include "haven/engine/observer.hpp"
#include "haven/engine/rules.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

struct RunConfig {
  std::uint64_t seed = 1;
  std::uint64_t run_index = 0;  // member of an ensemble; part of every random stream's key
  Mode mode = Mode::stochastic;
  int threads = 1;
  std::optional<int> days;  // simulate fewer days than the scenario holds
  // Called after each day with (days done, days in all); for progress lines.
  std::function<void(int, int)> progress;
};

struct NodeTotal {
  NodeIndex node = no_node;
  double people = 0.0;
};

// What an evacuation did: the people it moved, and on how many days it found no open route (people it would have
// moved those days stayed at home).
struct EvacuationTotal {
  std::size_t event = 0;  // index into the scenario's events
  double moved = 0.0;
  double not_moved = 0.0;  // what it would have moved on its blocked days, summed (the same people may be in several)
  int days_active = 0;     // days it had people to move
  int days_blocked = 0;    // of those, days without an open route
};

// Headline numbers of a run, in people.
struct RunSummary {
  int days = 0;
  double initial_population = 0.0;
  double cumulative_displaced = 0.0;
  double peak_daily_departures = 0.0;  // people leaving home in one day
  int peak_day = 0;
  double unsheltered_peak = 0.0;
  int unsheltered_peak_day = 0;
  double returned = 0.0;
  double displaced_present_end = 0.0;
  double in_transit_end = 0.0;
  double waiting_end = 0.0;
  std::vector<NodeTotal> top_origins;        // by people who left home there, largest first
  std::vector<NodeTotal> top_destinations;   // by displaced arrivals, largest first
  std::vector<EvacuationTotal> evacuations;  // every evacuation that had people to move, in the scenario's order
  // Given departures (departures: given) that never could set off, every road from their node closed to the end.
  std::vector<NodeTotal> given_not_left;
  // Work done: deterministic (the same for a seed at any thread count, on any machine), so that a change that
  // multiplies the work shows whatever the timing noise (tools/bench/work_counters.txt, docs/benchmarks.md).
  std::uint64_t cohorts_created = 0;      // cohorts of their own: launched, or split at a full corridor
  std::uint64_t events_processed = 0;     // events that went through the queue
  std::uint64_t searches_run = 0;         // bounded and unbounded network searches
  std::uint64_t flows_committed = 0;      // decisions applied: a group's people from a node to a destination
  std::uint64_t journeys_played_out = 0;  // journeys ended the day they set off without queued arrivals
  std::uint64_t cohorts_queued = 0;       // times a cohort waited at a full corridor
  std::uint64_t cohorts_merged = 0;       // cohorts merged into one on the same corridor, time, destination, group
  std::uint64_t cohorts_alive_peak = 0;   // the most cohorts travelling, waiting or being played out at once
};

// The shelter capacity node `node` starts a run with, in people (infinity: no limit), as the scenario's rules read
// it: its `capacity`; else, under Haven's rules, no limit at external nodes, border crossings and transit points
// and default_capacity_factor x its day-0 population elsewhere; under Flee's rules no limit but at a camp with a
// capacity (docs/model.md#capacity-and-unsheltered-people). What `haven serve` shows as a place's capacity now.
[[nodiscard]] double starting_capacity_people(const Scenario& scenario, std::size_t node);

class Simulation {
 public:
  Simulation(const Scenario& scenario, RunConfig config, std::shared_ptr<const RuleSet> rules = nullptr);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  void add_observer(Observer& observer);
  // Runs to the end; call once.
  RunSummary run();

  [[nodiscard]] Count units_per_person() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace haven
