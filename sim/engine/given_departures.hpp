#pragma once
// Internal: departures given by an observed series (scenario `departures: {mode: given}`). Each day the number of
// people who flee is the day's rise of the observation (linearly interpolated, rises only), placed over the nodes
// under armed conflict by residents x intensity x spawn decay (docs/model.md, given departures). Deciding then
// sends them where Haven's destination choice says, as it does people the departure hazard sets off.

#include <vector>

#include "engine_common.hpp"
#include "population.hpp"
#include "scenario_events.hpp"

namespace haven::engine {

class GivenDepartures {
 public:
  GivenDepartures(const Scenario& scenario, Count units_per_person, Draws draws);

  [[nodiscard]] bool active() const noexcept { return active_; }
  // Takes who `saved` placed and who still waits to leave (Simulation::resume_from).
  void adopt(const GivenDepartures& saved) {
    placed_units_ = saved.placed_units_;
    owed_ = saved.owed_;
  }
  // People (in units) leaving each node's residents today: the day's rise split over the nodes under armed conflict,
  // plus what earlier days could not place (no resident left under armed conflict), plus each node's own leavers
  // who could not set off before, as far as the residents there allow.
  void place(int day, const PopulationLedger& ledger, const ScenarioEvents& events, std::vector<Count>& leaving);
  // After the day's decisions: `units` of node `node`'s leavers could not set off (no destination open to them,
  // e.g. every road from the node closed). They stay due there, and leave when they can.
  void not_left(std::size_t node, Count units) { owed_[node] += units; }
  // By node: given leavers still waiting for an open road (after the last day's decisions: at the run's end, those
  // who never could leave).
  [[nodiscard]] const std::vector<Count>& owed() const noexcept { return owed_; }

  // The observed series interpolated on `day`: linear between points, flat before the first and after the last.
  [[nodiscard]] double observed(int day) const;
  // The people (not units) due to leave from day 1 up to `day`: the rise of the running maximum since day 0.
  [[nodiscard]] double due_people(int day) const;

 private:
  const Scenario& s_;
  const ModelParameters& p_;
  Count units_;
  Draws draws_;
  bool active_ = false;
  std::vector<std::pair<int, double>> points_;  // (day, value), by day
  std::vector<double> running_max_;             // of observed(), by day
  Count placed_units_ = 0;                      // given to a node so far (left, or owed there)
  std::vector<Count> owed_;                     // by node: placed there, not yet able to leave
  std::vector<double> weights_;
  std::vector<Count> split_;
};

}  // namespace haven::engine
