#pragma once
// The engine: given a Scenario (never modified) and a run configuration, simulate day by day who leaves
// where, along which roads, to where, and when they arrive or go home. docs/model.md has the equations.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "haven/engine/observer.hpp"
#include "haven/engine/rules.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

// A run's state at the start of a day (the day's events not yet begun), from which runs of scenarios that agree with
// it before that day can go on instead of starting from day 0 (Simulation::resume_from). Opaque; safe to read from
// several threads at once (resuming only reads it).
struct SimulationCheckpoint;

struct RunConfig {
  std::uint64_t seed = 1;
  std::uint64_t run_index = 0;  // member of an ensemble; part of every random stream's key
  Mode mode = Mode::stochastic;
  int threads = 1;
  // Decide a small network (64 places or fewer, one chunk) on `threads` threads too, where it takes one otherwise,
  // and cut networks of fewer than 64 x 4 x threads places into chunks of a quarter of a thread's share: faster when
  // the other cores are free (Idlib on two: a run from day 54 80 -> 67 ms), much slower when one is busy (a team
  // waits at each day's end for a thread the scheduler set aside: 1.3-2.5 times the run on one thread). For a
  // caller that holds the cores (haven serve, for a run its gate gave two); results are the same either way.
  bool split_small_networks = false;
  std::optional<int> days;  // simulate fewer days than the scenario holds
  // Called after each day with (days done, days in all); for progress lines.
  std::function<void(int, int)> progress;
  // Save the run's state at the start of each of these days (1 .. the run's days - 1; others are ignored) and hand
  // it to `on_checkpoint`, called on the run's thread before the day begins, in day order (haven serve keeps them
  // for the next edits).
  std::vector<int> checkpoint_days;
  std::function<void(std::shared_ptr<const SimulationCheckpoint>)> on_checkpoint;
};

// The day the checkpoint was saved at the start of, and the scenario its run ran.
[[nodiscard]] int checkpoint_day(const SimulationCheckpoint& checkpoint) noexcept;
[[nodiscard]] const Scenario& checkpoint_scenario(const SimulationCheckpoint& checkpoint) noexcept;
// About how many bytes it holds (an estimate, for bounds on how many are kept).
[[nodiscard]] std::size_t checkpoint_bytes(const SimulationCheckpoint& checkpoint);

// The first day on which runs of `a` and `b` (the same seed) may differ: the earliest start of an event one of them
// has and the other has not at the same place in its list (or has otherwise), or the earlier end of one both have
// that differs in its end alone; 0 when anything but their events differs, and their days when nothing does. The
// engine is causal: what happens before an event starts, or ends, does not depend on it
// (tests/engine/test_resume.cpp holds it to that).
[[nodiscard]] int first_day_apart(const Scenario& a, const Scenario& b);

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
  // Before run(): start from `checkpoint`'s day instead of day 0, the result bit for bit the run from day 0, when
  // the checkpoint was saved by a run of the same seed, index, mode and days under Haven's rules (the same RuleSet,
  // or DefaultRules in both), of a scenario that agrees with this one before its day (first_day_apart). Returns
  // false, and changes nothing, when it cannot. The observers then see the run from that day on (on_start, then the
  // days from it): what they hold of the days before it is theirs to give them (haven serve copies its recorder at
  // the checkpoint).
  bool resume_from(const SimulationCheckpoint& checkpoint);
  // Runs to the end; call once.
  RunSummary run();

  [[nodiscard]] Count units_per_person() const noexcept;

 private:
  friend struct SimulationCheckpoint;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace haven
