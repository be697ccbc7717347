#include "recent_runs.hpp"

#include <algorithm>

namespace haven::serve {

std::size_t recorded_bytes(const MemoryRecorder& recorder) {
  std::size_t bytes = sizeof(MemoryRecorder);
  const auto add = [&bytes](const auto& series) {
    for (const auto& day : series) bytes += static_cast<std::size_t>(day.size()) * sizeof(day.data()[0]);
  };
  add(recorder.residents_);
  add(recorder.displaced_);
  for (const auto* series : {&recorder.departures_, &recorder.arrivals_, &recorder.returns_, &recorder.waiting_,
                             &recorder.unsheltered_, &recorder.corridor_inflow_, &recorder.in_transit_}) {
    add(*series);
  }
  add(recorder.threat_);
  add(recorder.capacity_);
  bytes += recorder.cumulative_displaced_.size() * sizeof(Count);
  bytes += recorder.final_.origin_destination.size() * sizeof(OriginDestination);
  // An allocation a day for each series, and the run's scenario kept with it (of a size with a day's series).
  bytes += static_cast<std::size_t>(recorder.days()) * 16 * 16;
  for (const auto& event : recorder.events_) bytes += sizeof(event) + event.kind.size() + event.event_id.size();
  return bytes;
}

std::size_t RecentRuns::size() const {
  std::lock_guard guard(lock_);
  return kept_.size();
}

std::size_t RecentRuns::bytes() const {
  std::lock_guard guard(lock_);
  return bytes_;
}

std::optional<RunResult> RecentRuns::find(const std::string& key) {
  std::lock_guard guard(lock_);
  const auto it = std::find_if(kept_.begin(), kept_.end(), [&](const Kept& k) { return k.key == key; });
  if (it == kept_.end()) return std::nullopt;
  if (it != kept_.begin()) {
    Kept found = std::move(*it);
    kept_.erase(it);
    kept_.push_front(std::move(found));
  }
  return kept_.front().run;
}

void RecentRuns::keep(const std::string& key, const RunResult& run) {
  if (!run.recorder) return;
  const std::size_t bytes = recorded_bytes(*run.recorder) + key.size();
  if (bytes > max_bytes_ || max_runs_ == 0) return;
  std::lock_guard guard(lock_);
  const auto same = std::find_if(kept_.begin(), kept_.end(), [&](const Kept& k) { return k.key == key; });
  if (same != kept_.end()) {
    bytes_ -= same->bytes;
    kept_.erase(same);
  }
  kept_.push_front({key, run, bytes});
  bytes_ += bytes;
  while (kept_.size() > max_runs_ || bytes_ > max_bytes_) {
    bytes_ -= kept_.back().bytes;
    kept_.pop_back();
  }
}

std::string run_key_prefix(std::uint64_t serial) {
  return std::to_string(serial) + "\n";
}

void RecentRuns::forget(std::uint64_t serial) {
  const std::string prefix = run_key_prefix(serial);
  std::lock_guard guard(lock_);
  std::erase_if(kept_, [&](const Kept& k) {
    if (k.key.compare(0, prefix.size(), prefix) != 0) return false;
    bytes_ -= k.bytes;
    return true;
  });
}

std::vector<int> base_save_days(const Scenario& scenario, std::size_t max_days) {
  std::vector<int> days;
  for (const auto& event : scenario.events) {
    for (const std::optional<int> day : {std::optional<int>(event.start_day), event.end_day}) {
      if (day && *day > 0 && *day < scenario.days) days.push_back(*day);
    }
  }
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  if (days.size() <= max_days) return days;
  // Evenly spread over the list, its last day among them: an edit goes on from the nearest saved day before it.
  std::vector<int> spread;
  for (std::size_t k = 1; k <= max_days; ++k) spread.push_back(days[(k * days.size()) / max_days - 1]);
  return spread;
}

std::shared_ptr<const ResumePoint> latest_usable(const std::vector<std::shared_ptr<const ResumePoint>>& saved,
                                                 const Scenario& saved_scenario, const Scenario& scenario) {
  if (saved.empty()) return nullptr;
  const int apart = first_day_apart(saved_scenario, scenario);
  std::shared_ptr<const ResumePoint> best;
  for (const auto& point : saved) {
    if (checkpoint_day(*point->checkpoint) <= apart) best = point;
  }
  return best;
}

std::shared_ptr<const ResumePoint> SavedDays::find(std::uint64_t serial, const Scenario& scenario) {
  std::lock_guard guard(lock_);
  auto best = saved_.end();
  int best_day = 0;
  for (auto it = saved_.begin(); it != saved_.end(); ++it) {
    if (it->serial != serial) continue;
    const SimulationCheckpoint& checkpoint = *it->point->checkpoint;
    const int day = checkpoint_day(checkpoint);
    if (day > best_day && first_day_apart(checkpoint_scenario(checkpoint), scenario) >= day) {
      best = it;
      best_day = day;
    }
  }
  if (best == saved_.end()) return nullptr;
  Saved found = std::move(*best);
  saved_.erase(best);
  saved_.push_front(std::move(found));
  return saved_.front().point;
}

void SavedDays::keep(std::uint64_t serial, ResumePoint point) {
  if (!point.checkpoint || !point.recorded || max_points_ == 0 || max_per_session_ == 0) return;
  const std::size_t bytes = checkpoint_bytes(*point.checkpoint) + recorded_bytes(*point.recorded);
  if (bytes > max_bytes_) return;
  std::lock_guard guard(lock_);
  saved_.push_front({serial, std::make_shared<const ResumePoint>(std::move(point)), bytes});
  bytes_ += bytes;
  std::size_t of_session = 0;
  for (auto it = saved_.begin(); it != saved_.end();) {
    if (it->serial == serial && ++of_session > max_per_session_) {
      bytes_ -= it->bytes;
      it = saved_.erase(it);
    } else {
      ++it;
    }
  }
  while (saved_.size() > max_points_ || bytes_ > max_bytes_) {
    bytes_ -= saved_.back().bytes;
    saved_.pop_back();
  }
}

void SavedDays::forget(std::uint64_t serial) {
  std::lock_guard guard(lock_);
  std::erase_if(saved_, [&](const Saved& s) {
    if (s.serial != serial) return false;
    bytes_ -= s.bytes;
    return true;
  });
}

std::size_t SavedDays::size() const {
  std::lock_guard guard(lock_);
  return saved_.size();
}

std::size_t SavedDays::bytes() const {
  std::lock_guard guard(lock_);
  return bytes_;
}

}  // namespace haven::serve
