#pragma once
// The discrete-event core's queue: events ordered by (time, priority, insertion sequence), so two events at
// the same time always run in the same order (as in ns-3). Cancellation is lazy: a cancelled event is flagged
// and skipped when it reaches the front, never searched for.
//
// A calendar queue with one bucket per whole day (time is in days): later days' events are appended unsorted to
// their day's bucket; when that day comes, its bucket is sorted once and read in order. Events pushed for the
// current day while it runs (and any in the past or beyond the calendar) go to a small binary heap, and pop()
// takes the earlier of the two fronts. Sorting a day's events once costs about a third of what popping them one by
// one from a heap does, and the order is exactly (time, priority, sequence): a strict order, so the same whichever
// way it is found.

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
      Entry entry = take_front();
      --stored_;
      if (!cancelled_.empty()) {
        if (auto it = cancelled_.find(entry.id); it != cancelled_.end()) {
          cancelled_.erase(it);
          continue;
        }
      }
      return entry;
    }
    return std::nullopt;
  }

  std::optional<double> next_time() {
    while (refill()) {
      const Entry& front = peek_front();
      if (cancelled_.empty() || !cancelled_.count(front.id)) return front.time;
      cancelled_.erase(front.id);
      (void)take_front();
      --stored_;
    }
    return std::nullopt;
  }

  // Drops the pending events whose payload `keep` refuses (a run resumed from a saved day replaces the scenario's
  // events it had queued with the edited scenario's: Simulation::resume_from). The others keep their times,
  // priorities and sequence numbers, so they run in the order they would have.
  template <typename Keep>
  void keep_only(Keep keep) {
    const auto refused = [&](const Entry& entry) { return !keep(entry.payload); };
    day_.erase(day_.begin(), day_.begin() + static_cast<std::ptrdiff_t>(next_));
    next_ = 0;
    std::erase_if(day_, refused);
    std::erase_if(heap_, refused);
    std::make_heap(heap_.begin(), heap_.end(), later_);
    for (auto& bucket : buckets_) std::erase_if(bucket, refused);
    stored_ = day_.size() + heap_.size();
    for (const auto& bucket : buckets_) stored_ += bucket.size();
  }

  [[nodiscard]] bool empty() { return !next_time().has_value(); }
  [[nodiscard]] std::size_t stored() const noexcept { return stored_; }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  static constexpr std::size_t max_calendar_days = 1u << 16;

  // Whether the front of the day's sorted events comes before the heap's (either may be empty, not both).
  [[nodiscard]] bool day_first() const noexcept {
    if (next_ == day_.size()) return false;
    return heap_.empty() || later_(heap_.front(), day_[next_]);
  }
  [[nodiscard]] const Entry& peek_front() const noexcept { return day_first() ? day_[next_] : heap_.front(); }
  Entry take_front() {
    if (day_first()) return std::move(day_[next_++]);
    std::pop_heap(heap_.begin(), heap_.end(), later_);
    Entry entry = std::move(heap_.back());
    heap_.pop_back();
    return entry;
  }

  // Makes sure an event is ready (false: none is left).
  bool refill() {
    while (heap_.empty() && next_ == day_.size()) {
      while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].empty()) ++next_bucket_;
      if (next_bucket_ >= buckets_.size()) return false;
      current_day_ = static_cast<double>(next_bucket_);
      day_.clear();
      next_ = 0;
      day_.swap(buckets_[next_bucket_]);  // the bucket keeps the old day's storage for its next use
      std::sort(day_.begin(), day_.end(), [this](const Entry& a, const Entry& b) { return later_(b, a); });
      ++next_bucket_;
    }
    return true;
  }

  struct Later {
    bool operator()(const Entry& a, const Entry& b) const noexcept {
      if (a.time != b.time) return a.time > b.time;
      if (a.priority != b.priority) return a.priority > b.priority;
      return a.id > b.id;
    }
  };
  Later later_{};
  std::vector<Entry> day_;                   // the current day's events from its bucket, sorted
  std::size_t next_ = 0;                     // the next of them
  std::vector<Entry> heap_;                  // events pushed for the current day (or earlier) since, a heap
  std::vector<std::vector<Entry>> buckets_;  // later days' events by day, unsorted
  std::size_t next_bucket_ = 0;              // no bucket before this one holds anything
  double current_day_ = -1.0;
  std::size_t stored_ = 0;
  std::unordered_set<EventId> cancelled_;
  EventId next_id_ = 0;
};

}  // namespace haven
