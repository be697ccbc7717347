#pragma once
// `haven serve`: a band. `members` runs of one scenario, one per seed index (and, with parameter uncertainty, each
// with its own values from a sweep's ranges), on a few threads; a line of newline-delimited JSON with the 5-95% bands
// so far each time members finish, so the page draws the band as it grows (docs/serve.md, the API's `ensemble`).
// Kept apart from HTTP: the route hands it a way to write and a way to ask whether anyone still reads.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "haven/scenario/load.hpp"
#include "haven/serve/runs.hpp"
#include "haven/serve/session.hpp"

namespace haven::serve {

struct BandRequest {
  std::shared_ptr<const Scenario> scenario;  // the session's scenario when the band was asked for
  std::size_t members = 0;
  double max_run_seconds = Limits{}.max_run_seconds;  // each member's limit
  // With parameter uncertainty, each member's scenario is loaded again from the source text with the session's
  // options and that member's values; `summary_json` is what the lines say of them. Without it: null.
  struct Uncertain {
    const ScenarioSource* source = nullptr;
    LoadOptions options;
    std::vector<std::vector<Override>> overrides;  // by member
    std::string summary_json = "null";
  };
  std::shared_ptr<const Uncertain> uncertain;
  // The series of the first members when they were run already: member 0 is the session's own run (same seed, run
  // index 0), which the page is showing. Not run again; ignored with parameter uncertainty.
  std::vector<HeadlineSeries> known_first;
};

struct BandStreamIo {
  // Runs one member (the server's gate and limits apply); throws as run_in_memory() does.
  std::function<RunResult(const Scenario&, const RunRequest&)> run;
  // Writes one line; false when the client has gone.
  std::function<bool(const std::string&)> write;
  // Whether anyone still reads, asked while no member has finished for a while.
  std::function<bool()> still_reading;
  const std::atomic<bool>* stopping = nullptr;  // set when the server stops
};

// Runs the band on `threads` threads and writes its lines: after members finish, {"done", "total", "finished",
// "elapsed_ms", "parameters", "bands"}; on the first member that fails, one {"error", "finished": true,
// "cancelled"} line. Stops early, running no further member, once the client has gone or the server stops.
void stream_band(const BandRequest& request, const BandStreamIo& io, unsigned threads);

}  // namespace haven::serve
