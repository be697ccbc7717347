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
  // People (in units) leaving each node's residents today; sums to the day's rise plus what earlier days could not
  // place (no resident left under armed conflict), as far as the residents there allow.
  void place(int day, const PopulationLedger& ledger, const ScenarioEvents& events, std::vector<Count>& leaving);
  // After the day's decisions: `units` of those placed could not leave (no destination open to them, e.g. every road
  // from their node closed), so they are due again the next day, not lost.
  void not_left(Count units) noexcept { placed_units_ -= units; }

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
  Count placed_units_ = 0;                      // given so far
  std::vector<double> weights_;
  std::vector<Count> split_;
};

}  // namespace haven::engine
