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
  events_before_day_.push_back(events_.size());
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
  capacity_.push_back(r.capacity ? *r.capacity : std::vector<double>{});
  cumulative_displaced_.push_back(r.cumulative_displaced);
}

void MemoryRecorder::replay(Observer& observer) const {
  observer.on_start(info_);
  std::size_t next_event = 0;
  for (std::size_t day = 0; day < residents_.size(); ++day) {
    for (; next_event < events_before_day_[day]; ++next_event) observer.on_event(events_[next_event]);
    DayRecord record;
    record.day = static_cast<int>(day);
    record.units_per_person = info_.units_per_person;
    record.residents_by_group = &residents_[day];
    record.displaced_by_group = &displaced_[day];
    record.departures = &departures_[day];
    record.arrivals = &arrivals_[day];
    record.returns = &returns_[day];
    record.waiting = &waiting_[day];
    record.unsheltered = &unsheltered_[day];
    record.corridor_inflow = &corridor_inflow_[day];
    record.in_transit = &in_transit_[day];
    record.threat = &threat_[day];
    record.capacity = capacity_[day].empty() ? nullptr : &capacity_[day];
    record.cumulative_displaced = cumulative_displaced_[day];
    observer.on_day(record);
  }
  for (; next_event < events_.size(); ++next_event) observer.on_event(events_[next_event]);
  observer.on_finish(final_);
}

Count MemoryRecorder::accounted(std::size_t day) const {
  return residents_[day].sum() + displaced_[day].sum() + in_transit_[day].sum() + waiting_[day].sum();
}

}  // namespace haven
