#include "haven/engine/recorder.hpp"

namespace haven {

void MemoryRecorder::on_start(const RunInfo& info) {
  info_ = info;
  const auto days = static_cast<std::size_t>(info.days);
  for (auto* series : {&departures_, &arrivals_, &returns_, &waiting_, &unsheltered_, &corridor_inflow_, &in_transit_})
    series->reserve(days);
  residents_.reserve(days);
  displaced_.reserve(days);
}

void MemoryRecorder::on_day(const DayRecord& r) {
  residents_.push_back(*r.residents_by_group);
  displaced_.push_back(*r.displaced_by_group);
  departures_.push_back(*r.departures);
  arrivals_.push_back(*r.arrivals);
  returns_.push_back(*r.returns);
  waiting_.push_back(*r.waiting);
  unsheltered_.push_back(*r.unsheltered);
  corridor_inflow_.push_back(*r.corridor_inflow);
  in_transit_.push_back(*r.in_transit);
  threat_.push_back(*r.threat);
  cumulative_displaced_.push_back(r.cumulative_displaced);
}

Count MemoryRecorder::accounted(std::size_t day) const {
  return residents_[day].sum() + displaced_[day].sum() + in_transit_[day].sum() + waiting_[day].sum();
}

}  // namespace haven
