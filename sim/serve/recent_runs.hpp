#pragma once
// `haven serve`: the server's most recent runs, by the scenario they ran, and the days they saved. The same scenario
// and seed give the same run bit for bit (docs/reliability.md), so an undo, an event switched off and on again, or the
// report of what is on screen is answered with the run already made. Keys name their session: one session never learns
// from the answer's speed or its `run_reused` what another has tried.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "haven/serve/runs.hpp"

namespace haven::serve {

// About how many bytes keeping a run costs: its recorded series and their allocations (an estimate: the
// allocator's own overhead and fragmentation come on top).
std::size_t recorded_bytes(const MemoryRecorder& recorder);

// What every key of session `serial`'s runs starts with (RecentRuns::forget drops them by it).
std::string run_key_prefix(std::uint64_t serial);

// The days a base run saves (docs/serve.md, "Runs from a saved day"): the days its events start or end on, where an
// edit of one changes the run from (first_day_apart), at most `max_days` of them spread over the run, in day order.
std::vector<int> base_save_days(const Scenario& scenario, std::size_t max_days);

// The latest of `saved` (days of one run of `saved_scenario`, in day order) a run of `scenario` can go on from;
// nothing if there is none.
std::shared_ptr<const ResumePoint> latest_usable(const std::vector<std::shared_ptr<const ResumePoint>>& saved,
                                                 const Scenario& saved_scenario, const Scenario& scenario);

// Safe to use from several threads at once.
class RecentRuns {
 public:
  // At most `max_runs` runs, together at most `max_bytes` (a run larger than that is not kept).
  RecentRuns(std::size_t max_runs, std::size_t max_bytes) : max_runs_(max_runs), max_bytes_(max_bytes) {}

  // The run kept for `key` (the session, which scenario it started from, and Session::scenario_key()), now the
  // most recent; nothing if there is none.
  std::optional<RunResult> find(const std::string& key);
  // Keeps `run` as the most recent; the least recent go beyond the bounds.
  void keep(const std::string& key, const RunResult& run);
  // Drops the runs of session `serial` (keys that start with run_key_prefix(serial)).
  void forget(std::uint64_t serial);

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t bytes() const;

 private:
  struct Kept {
    std::string key;
    RunResult run;
    std::size_t bytes = 0;
  };
  mutable std::mutex lock_;
  std::deque<Kept> kept_;  // the most recent first
  std::size_t max_runs_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
};

// Runs' saved days (ResumePoint), by session: an edit's run goes on from the latest one its scenario agrees with
// before it instead of from day 0 (docs/serve.md, "Runs from a saved day"). A session's own only, as for runs.
// Safe to use from several threads at once.
class SavedDays {
 public:
  // At most `max_points` in all, `max_per_session` of one session, together at most `max_bytes` by an estimate
  // (checkpoint_bytes and the recorded days; ~1.3 MB each on Idlib 2019-20): a day larger than that is not kept.
  SavedDays(std::size_t max_points, std::size_t max_per_session, std::size_t max_bytes)
      : max_points_(max_points), max_per_session_(max_per_session), max_bytes_(max_bytes) {}

  // The latest day saved for session `serial` that a run of `scenario` can go on from, now the most recent; nothing
  // if there is none.
  std::shared_ptr<const ResumePoint> find(std::uint64_t serial, const Scenario& scenario);
  // Keeps `point` as the most recent; the least recent go beyond the bounds.
  void keep(std::uint64_t serial, ResumePoint point);
  // Drops the days of session `serial` (removed, or pushed out of the server's sessions).
  void forget(std::uint64_t serial);

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t bytes() const;

 private:
  struct Saved {
    std::uint64_t serial = 0;
    std::shared_ptr<const ResumePoint> point;
    std::size_t bytes = 0;
  };
  mutable std::mutex lock_;
  std::deque<Saved> saved_;  // the most recent first
  std::size_t max_points_;
  std::size_t max_per_session_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
};

}  // namespace haven::serve
