#pragma once
// Where validation gets simulated values: from a run file, or from a probe observing a run in memory.

#include <map>
#include <string>
#include <vector>

#include "haven/analysis/validation.hpp"
#include "haven/engine/observer.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/io/output.hpp"

namespace haven {

// Reads observation quantities from a run file (cumulative arrivals need every day recorded).
class RunFileSeries final : public SimulatedSeries {
 public:
  explicit RunFileSeries(const RunFile& file, const Scenario& scenario);
  [[nodiscard]] std::optional<double> value(const Observation& observation, int day) const override;
  [[nodiscard]] std::string missing_reason(const Observation& observation, int day) const override;

 private:
  const RunFile& file_;
  std::map<NodeIndex, std::size_t> column_;  // scenario node -> column in the file
  std::size_t node_count_ = 0;               // nodes in the scenario
  std::vector<std::string> node_ids_;        // the scenario's, for messages
};

// Records, day by day, exactly the quantities a scenario's observations refer to: small enough to keep for
// thousands of ensemble members.
class ObservationProbe final : public Observer, public SimulatedSeries {
 public:
  explicit ObservationProbe(const Scenario& scenario);
  void on_day(const DayRecord& record) override;
  void on_event(const EventRecord& event) override;
  [[nodiscard]] std::optional<double> value(const Observation& observation, int day) const override;
  [[nodiscard]] std::string missing_reason(const Observation& observation, int day) const override;
  // Given departures (departures: given) that never could set off, people: the observed rise they stand for did
  // not happen in the run.
  [[nodiscard]] double given_not_left() const noexcept { return given_not_left_; }

 private:
  const Scenario& scenario_;
  double given_not_left_ = 0.0;
  std::vector<std::vector<double>> by_observation_;  // [observation][day], people
  std::vector<double> cumulative_arrivals_;          // per observation, running
};

// Runs `runs` stochastic members (run index 0 .. runs-1, same seed) in parallel, `threads` at a time, each
// single-threaded, and returns their probes. Bit-identical whatever `threads` is.
std::vector<std::unique_ptr<ObservationProbe>> run_ensemble(const Scenario& scenario, const RunConfig& base, int runs,
                                                            int threads);

}  // namespace haven
