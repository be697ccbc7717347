#pragma once
// Internal: the daily recorder. Assembles each day's DayRecord from the parts (ledger, transport, threat,
// capacity) for the observers, keeps the run's peaks, and at the end gives the observers the FinalRecord and
// fills the RunSummary. Reads the parts; changes none of them.

#include <vector>

#include "engine_common.hpp"
#include "haven/engine/simulation.hpp"
#include "population.hpp"
#include "scenario_events.hpp"
#include "threat_field.hpp"
#include "transport.hpp"

namespace haven::engine {

class DayRecorder {
 public:
  DayRecorder(const PopulationLedger& ledger, const Transport& transport, const ThreatField& threat,
              const ScenarioEvents& events, const std::vector<Observer*>& observers, Count units_per_person);

  // The state at the end of `day`, to every observer; the peaks so far into `summary`.
  void record(int day, RunSummary& summary);
  void adopt(const DayRecorder& saved) {
    waiting_ = saved.waiting_;
    unsheltered_ = saved.unsheltered_;
  }
  // The FinalRecord to every observer; the end state and the top origins and destinations into `summary`.
  void finish(RunSummary& summary) const;

 private:
  [[nodiscard]] double people(Count units) const { return static_cast<double>(units) / static_cast<double>(units_); }

  const PopulationLedger& ledger_;
  const Transport& transport_;
  const ThreatField& threat_;
  const ScenarioEvents& events_;
  const std::vector<Observer*>& observers_;
  Count units_;
  CountVector waiting_, unsheltered_;
};

}  // namespace haven::engine
