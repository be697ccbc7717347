#pragma once
// What the engine reports as it runs. Observers (the HDF5 writer, the summary, tests) receive the state at the
// end of each day; they never change it.

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "haven/scenario/scenario.hpp"

namespace haven {

// People are counted in whole units: one unit is one person in stochastic mode and a millionth of a person in
// expected mode (fixed point), so that every transfer conserves people exactly in both modes.
using Count = std::int64_t;
using CountVector = Eigen::Matrix<Count, Eigen::Dynamic, 1>;
using CountMatrix = Eigen::Matrix<Count, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Mode { stochastic, expected };
const char* to_string(Mode mode) noexcept;

struct RunInfo {
  const Scenario* scenario = nullptr;
  std::uint64_t seed = 0;
  std::uint64_t run_index = 0;
  Mode mode = Mode::stochastic;
  int days = 0;
  Count units_per_person = 1;
};

// The state at the end of `day` (0-based) and the flows during it. Per-node vectors have one entry per node,
// per-corridor vectors one per corridor; `*_by_group` are nodes x groups.
struct DayRecord {
  int day = 0;
  Count units_per_person = 1;
  const CountMatrix* residents_by_group = nullptr;  // at home
  const CountMatrix* displaced_by_group = nullptr;  // displaced people present (hosted)
  const CountVector* departures = nullptr;          // people who set off from the node during the day
  // Arrivals are people arriving at a node as displaced (incl. stranded); people arriving back home are `returns`,
  // never arrivals, so arrivals + returns are the journeys that ended at the node.
  const CountVector* arrivals = nullptr;          // people who arrived at the node as displaced
  const CountVector* returns = nullptr;           // people who arrived back home at the node
  const CountVector* waiting = nullptr;           // people queued at the node for a full corridor
  const CountVector* unsheltered = nullptr;       // displaced people present beyond the node's capacity
  const CountVector* corridor_inflow = nullptr;   // people who entered each corridor during the day
  const CountVector* in_transit = nullptr;        // people on each corridor at the end of the day
  const Eigen::VectorXd* threat = nullptr;        // strikes/day equivalent at each node
  const std::vector<double>* capacity = nullptr;  // shelter capacity (people) at each node; infinite: no limit
  Count cumulative_displaced = 0;                 // people who have left home since day 0 (each time they did)
};

// A scenario event taking effect, or an engine event worth logging (e.g. a route with no way through).
struct EventRecord {
  double time_days = 0.0;
  std::string kind;  // "bombardment_start", "corridor_closure_end", "stranded", ...
  std::string event_id;
  NodeIndex node = no_node;
  CorridorIndex corridor = -1;
  double value = 0.0;
};

struct OriginDestination {
  NodeIndex origin = no_node;
  NodeIndex destination = no_node;
  Count count = 0;
};

struct FinalRecord {
  Count units_per_person = 1;
  // Cumulative arrivals by home origin and destination (sparse; sorted by origin then destination). A person who
  // moves on counts again at the next destination. People displaced before day 0 have no origin and are left out.
  std::vector<OriginDestination> origin_destination;
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_start(const RunInfo& /*info*/) {}
  virtual void on_day(const DayRecord& record) = 0;
  virtual void on_event(const EventRecord& /*event*/) {}
  virtual void on_finish(const FinalRecord& /*record*/) {}
};

}  // namespace haven
