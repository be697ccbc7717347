#pragma once
// `haven serve`: the server's most recent runs, by the scenario they ran. The same scenario and seed give the same
// run bit for bit (docs/reliability.md), so an undo, an event switched off and on again, or the report of what is on
// screen is answered with the run already made. Keys name their session: one session never learns from the answer's
// speed or its `run_reused` what another has tried.

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "haven/serve/runs.hpp"

namespace haven::serve {

// About how many bytes keeping a run costs: its recorded series and their allocations (an estimate: the
// allocator's own overhead and fragmentation come on top).
std::size_t recorded_bytes(const MemoryRecorder& recorder);

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

}  // namespace haven::serve
