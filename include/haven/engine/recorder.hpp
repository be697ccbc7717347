#pragma once
// An observer that keeps every daily series in memory, for tests and for tools that post-process a run
// (the HDF5 writer is its own observer and streams instead).

#include <vector>

#include "haven/engine/observer.hpp"

namespace haven {

class MemoryRecorder final : public Observer {
 public:
  void on_start(const RunInfo& info) override;
  void on_day(const DayRecord& record) override;
  void on_event(const EventRecord& event) override { events_.push_back(event); }
  void on_finish(const FinalRecord& record) override { final_ = record; }

  [[nodiscard]] const RunInfo& info() const noexcept { return info_; }
  [[nodiscard]] std::size_t days() const noexcept { return residents_.size(); }
  [[nodiscard]] Count units_per_person() const noexcept { return info_.units_per_person; }

  // Series indexed [day]; each entry is what DayRecord held for that day.
  std::vector<CountMatrix> residents_;
  std::vector<CountMatrix> displaced_;
  std::vector<CountVector> departures_, arrivals_, returns_, waiting_, unsheltered_, corridor_inflow_, in_transit_;
  std::vector<Eigen::VectorXd> threat_;
  std::vector<std::vector<double>> capacity_;
  std::vector<Count> cumulative_displaced_;
  std::vector<EventRecord> events_;
  FinalRecord final_;

  // Feeds everything recorded to `observer` in the order it happened (e.g. into a file writer after a run that
  // had to stay off a shared resource while it ran).
  void replay(Observer& observer) const;

  // Everyone accounted for on `day`: at home + displaced present + in transit + waiting (units).
  [[nodiscard]] Count accounted(std::size_t day) const;

 private:
  RunInfo info_;
  std::vector<std::size_t> events_before_day_;  // events_.size() when each day was recorded
};

}  // namespace haven
