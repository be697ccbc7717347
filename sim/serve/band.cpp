#include "band.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "haven/util/diagnostics.hpp"

namespace haven::serve {

namespace {

// Member k's scenario: the band's own, or loaded again with member k's parameter values (checked like any edit: a
// value the session's edits make invalid names the sweep file's line).
std::shared_ptr<const Scenario> member_scenario(const BandRequest& request, std::size_t k) {
  if (!request.uncertain) return request.scenario;
  const auto& uncertain = *request.uncertain;
  LoadOptions options = uncertain.options;
  const auto& values = uncertain.overrides[k];
  options.overrides.insert(options.overrides.end(), values.begin(), values.end());
  auto loaded = load_scenario_text(uncertain.source->text, uncertain.source->name, options);
  if (!loaded.scenario) {
    const auto& problems = loaded.diagnostics.all();
    throw std::runtime_error(problems.empty() ? "its scenario does not load" : format_diagnostic(problems.front()));
  }
  return std::make_shared<const Scenario>(std::move(*loaded.scenario));
}

}  // namespace

void stream_band(const BandRequest& request, const BandStreamIo& io, unsigned threads) {
  if (request.members == 0) return;
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const std::size_t members = request.members;
  std::mutex lock;
  std::condition_variable changed;
  // With parameter uncertainty member 0 has values of its own: no run made before is one of the band's.
  const std::size_t known = request.uncertain ? 0 : std::min(members, request.known_first.size());
  std::vector<HeadlineSeries> done(request.known_first.begin(),
                                   request.known_first.begin() + static_cast<std::ptrdiff_t>(known));
  std::string failure;
  bool cancelled = false;  // the failure is a run stopped (its limit, or the server stopping), not a run that failed
  std::atomic<std::size_t> next{done.size()};
  std::atomic<bool> abandon{false};
  const auto fail = [&](std::size_t k, const char* what, bool stopped) {
    std::lock_guard guard(lock);
    if (failure.empty()) {
      failure = fmt::format("member {}: {}", k, what);
      cancelled = stopped;
    }
    abandon = true;
  };
  auto worker = [&] {
    for (std::size_t k = next++; k < members && !abandon; k = next++) {
      try {
        // The server stopping ends the band with a line that says so, not a stream that stops short.
        if (io.stopping != nullptr && io.stopping->load()) throw RunCancelled("the server is stopping");
        const auto member = member_scenario(request, k);
        const RunRequest run_request{member->seed, k, Mode::stochastic, request.max_run_seconds, io.stopping, &abandon};
        const auto run = io.run(*member, run_request);
        auto series = headline_series(*member, *run.recorder);
        std::lock_guard guard(lock);
        done.push_back(std::move(series));
      } catch (const RunCancelled& e) {
        fail(k, e.what(), true);
      } catch (const std::exception& e) {
        fail(k, e.what(), false);
      }
      changed.notify_all();
    }
  };
  std::vector<std::thread> pool;
  // Whatever ends the stream (a throw from writing included), the members stop and their threads are joined.
  struct JoinOnExit {
    std::vector<std::thread>& pool;
    std::atomic<bool>& abandon;
    ~JoinOnExit() {
      abandon = true;
      for (auto& t : pool)
        if (t.joinable()) t.join();
    }
  } join_on_exit{pool, abandon};
  for (unsigned t = 0; t < std::max(1u, threads); ++t) pool.emplace_back(worker);
  std::size_t sent = 0;
  std::string error_line;
  while (true) {
    std::unique_lock guard(lock);
    changed.wait_for(guard, std::chrono::milliseconds(200), [&] { return done.size() > sent || !failure.empty(); });
    if (!failure.empty()) {
      error_line = nlohmann::json{{"error", failure}, {"finished", true}, {"cancelled", cancelled}}.dump(
                       -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                   "\n";
      break;
    }
    if (done.size() == sent) {
      if (!io.still_reading()) {  // the client has gone
        abandon = true;
        break;
      }
      continue;
    }
    sent = done.size();
    const bool finished = sent == members;
    const double elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    std::string line =
        fmt::format(R"({{"done":{},"total":{},"finished":{},"elapsed_ms":{:.1f},"parameters":{},"bands":{}}})", sent,
                    members, finished ? "true" : "false", elapsed_ms,
                    request.uncertain ? request.uncertain->summary_json : "null", bands_json(done));
    guard.unlock();
    line += '\n';
    if (!io.write(line)) {  // the client has gone
      abandon = true;
      break;
    }
    if (finished) break;
  }
  // Said at once: the other members may still be waiting for their turn at the gate, where they will see the band
  // abandoned and not run, but the page need not wait for that.
  if (!error_line.empty()) io.write(error_line);
  for (auto& t : pool) t.join();
}

}  // namespace haven::serve
