#pragma once
// `haven serve`: running an edited scenario in-process, within a time limit, and the series and 5-95% bands the
// page draws.

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/scenario.hpp"
#include "haven/serve/session.hpp"

namespace haven::serve {

// A run stopped before its end: past its time limit, or the server is stopping.
class RunCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run's state at the start of a day, with what its recorder held then: where a later run of a scenario that agrees
// with it before that day can go on from (an edit of an event from that day: docs/serve.md, "Runs from a saved day").
struct ResumePoint {
  std::shared_ptr<const SimulationCheckpoint> checkpoint;
  std::shared_ptr<const MemoryRecorder> recorded;  // the days before the checkpoint's, and the events logged in them
};

struct RunRequest {
  std::uint64_t seed = 1;
  std::uint64_t run_index = 0;
  Mode mode = Mode::stochastic;
  double max_seconds = 20.0;
  const std::atomic<bool>* stop = nullptr;  // set when the server stops
  // Set when no one wants the result any more (a band whose page has gone, or whose other member failed): the run
  // stops at its next day, or does not start.
  const std::atomic<bool>* abandoned = nullptr;
  // Go on from this saved day instead of day 0 when the scenario agrees with the saved run's before it (the result
  // is the same bit for bit); else run from day 0.
  const ResumePoint* resume_from = nullptr;
  // Save the run's state at the start of each of these days (RunResult::saved), together at most `max_saved_bytes`
  // by an estimate (checkpoint_bytes and the recorded days): the earliest go as later ones come beyond it, and a
  // day larger than it all is not kept.
  std::vector<int> save_days;
  std::size_t max_saved_bytes = std::numeric_limits<std::size_t>::max();
  // The cores it may use: its decisions on as many threads (the result is the same at any count). RunGate::run
  // gives it those of these free when its turn comes.
  std::size_t cores = 1;
};

struct RunResult {
  std::shared_ptr<MemoryRecorder> recorder;
  // The scenario the recorder's RunInfo points at, when the run is kept beyond the scenario it was given (a
  // session's changes with its next edit): kept alive with it.
  std::shared_ptr<const Scenario> scenario;
  RunSummary summary;
  double seconds = 0.0;
  double queued_ms = 0.0;          // how long it waited for its turn before it ran (haven serve runs a few at once)
  int started_day = 0;             // the day it went on from (RunRequest::resume_from), or 0
  std::size_t cores = 1;           // the cores it ran on (RunRequest::cores, as many as were free)
  std::vector<ResumePoint> saved;  // at RunRequest::save_days the run reached (from the day it went on from)
};

// Runs `scenario` to its end. Throws RunCancelled past `max_seconds` (or on `stop`), std::exception when the run
// fails.
RunResult run_in_memory(const Scenario& scenario, const RunRequest& request);

// The parameter values of a band's members drawn from a sweep's ranges: a design of `members` points by the
// sweep's method (Latin hypercube: each range cut into `members` strata, one value in each) from the sweep's seed,
// so the same band gives the same values. Member k's overrides, located in the sweep file; parameters whose path is
// in `held` (set by an edit) are left as the edit set them.
std::vector<std::vector<Override>> uncertainty_overrides(const ParameterUncertainty& uncertainty, std::size_t members,
                                                         const std::set<std::string>& held);

// The page's headline series of one run, in people, one value per day.
struct HeadlineSeries {
  std::vector<double> newly_away;   // displaced present + in transit + waiting, less those displaced on day 0
  std::vector<double> unsheltered;  // displaced people beyond shelter capacity
  std::vector<double> left_home;    // people who left home since day 0
};
HeadlineSeries headline_series(const Scenario& scenario, const MemoryRecorder& recorder);

// {"newly_away": [...], "unsheltered": [...], "left_home": [...]}
std::string headline_json(const HeadlineSeries& series);

// The 5%, 50% and 95% quantiles per day of the members' series, as
// {"members": n, "newly_away": {"p5": [...], "p50": [...], "p95": [...]}, ...}.
std::string bands_json(const std::vector<HeadlineSeries>& members);

}  // namespace haven::serve
