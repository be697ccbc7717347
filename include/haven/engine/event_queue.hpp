#pragma once
// The discrete-event core's queue: events ordered by (time, priority, insertion sequence), so two events at
// the same time always run in the same order (as in ns-3). Cancellation is lazy: a cancelled event is flagged
// and skipped when it reaches the front, never searched for.
//
// A calendar queue with one bucket per whole day (time is in days): only the current day's events are kept in a
// binary heap; later days' events are appended unsorted to their day's bucket and heapified when that day comes.
// The heap stays as small as one day's traffic whatever the number of travellers still days from arrival, and
// the order is exactly the heap's (time, priority, sequence).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

namespace haven {

using EventId = std::uint64_t;

template <typename Payload>
class EventQueue {
 public:
  struct Entry {
    double time = 0.0;  // days since the scenario start
    int priority = 0;   // lower runs first among events at the same time
    EventId id = 0;     // insertion sequence
    Payload payload{};
  };

  EventId push(double time, int priority, Payload payload) {
    const EventId id = next_id_++;
    ++stored_;
    const double day = std::floor(time);
    // Today's events (and any in the past or beyond the calendar, which only the heap can order) go to the heap.
    if (!(day > current_day_) || !(day < static_cast<double>(max_calendar_days))) {
      heap_.push_back(Entry{time, priority, id, std::move(payload)});
      std::push_heap(heap_.begin(), heap_.end(), later_);
      return id;
    }
    const auto bucket = static_cast<std::size_t>(day);
    if (bucket >= buckets_.size()) buckets_.resize(std::max(bucket + 1, buckets_.size() * 2));
    buckets_[bucket].push_back(Entry{time, priority, id, std::move(payload)});
    next_bucket_ = std::min(next_bucket_, bucket);
    return id;
  }

  // Cancels a pending event (one pushed and not yet popped); returns false for an id never issued or already
  // cancelled. Remembering every popped id would cost memory per event, so cancelling one that already ran is
  // the caller's error: it is simply never seen again.
  bool cancel(EventId id) {
    if (id >= next_id_) return false;
    return cancelled_.insert(id).second;
  }

  // The earliest live event, removed from the queue; nullopt when none is left.
  std::optional<Entry> pop() {
    while (refill()) {
      std::pop_heap(heap_.begin(), heap_.end(), later_);
      Entry entry = std::move(heap_.back());
      heap_.pop_back();
      --stored_;
      if (auto it = cancelled_.find(entry.id); it != cancelled_.end()) {
        cancelled_.erase(it);
        continue;
      }
      return entry;
    }
    return std::nullopt;
  }

  // Time of the earliest live event.
  std::optional<double> next_time() {
    while (refill() && cancelled_.count(heap_.front().id)) {
      cancelled_.erase(heap_.front().id);
      std::pop_heap(heap_.begin(), heap_.end(), later_);
      heap_.pop_back();
      --stored_;
    }
    if (heap_.empty()) return std::nullopt;
    return heap_.front().time;
  }

  [[nodiscard]] bool empty() { return !next_time().has_value(); }
  // Entries held, cancelled ones included until they surface.
  [[nodiscard]] std::size_t stored() const noexcept { return stored_; }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  // Days beyond this (100 years) are ordered by the heap alone.
  static constexpr std::size_t max_calendar_days = 1u << 16;

  // When the heap is empty, the next non-empty day becomes current; false when nothing is left.
  bool refill() {
    while (heap_.empty()) {
      while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].empty()) ++next_bucket_;
      if (next_bucket_ >= buckets_.size()) return false;
      current_day_ = static_cast<double>(next_bucket_);
      heap_.swap(buckets_[next_bucket_]);
      std::make_heap(heap_.begin(), heap_.end(), later_);
      ++next_bucket_;
    }
    return true;
  }

  // A max-heap on "later", so the front is the earliest.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const noexcept {
      if (a.time != b.time) return a.time > b.time;
      if (a.priority != b.priority) return a.priority > b.priority;
      return a.id > b.id;
    }
  };
  Later later_{};
  std::vector<Entry> heap_;                  // events of the current day (and earlier), a heap
  std::vector<std::vector<Entry>> buckets_;  // later days' events by day, unsorted
  std::size_t next_bucket_ = 0;              // no bucket before this one holds anything
  double current_day_ = -1.0;
  std::size_t stored_ = 0;
  std::unordered_set<EventId> cancelled_;
  EventId next_id_ = 0;
};

}  // namespace haven
