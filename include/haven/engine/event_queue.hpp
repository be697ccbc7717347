#pragma once
// The discrete-event core's queue: events ordered by (time, priority, insertion sequence), so two events at
// the same time always run in the same order (as in ns-3). Cancellation is lazy: a cancelled event is flagged
// and skipped when it reaches the front, never searched for.

#include <algorithm>
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
    heap_.push_back(Entry{time, priority, id, std::move(payload)});
    std::push_heap(heap_.begin(), heap_.end(), later_);
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
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), later_);
      Entry entry = std::move(heap_.back());
      heap_.pop_back();
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
    while (!heap_.empty() && cancelled_.count(heap_.front().id)) {
      cancelled_.erase(heap_.front().id);
      std::pop_heap(heap_.begin(), heap_.end(), later_);
      heap_.pop_back();
    }
    if (heap_.empty()) return std::nullopt;
    return heap_.front().time;
  }

  [[nodiscard]] bool empty() { return !next_time().has_value(); }
  // Entries held, cancelled ones included until they surface.
  [[nodiscard]] std::size_t stored() const noexcept { return heap_.size(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  // A max-heap on "later", so the front is the earliest.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const noexcept {
      if (a.time != b.time) return a.time > b.time;
      if (a.priority != b.priority) return a.priority > b.priority;
      return a.id > b.id;
    }
  };
  Later later_{};
  std::vector<Entry> heap_;
  std::unordered_set<EventId> cancelled_;
  EventId next_id_ = 0;
};

}  // namespace haven
