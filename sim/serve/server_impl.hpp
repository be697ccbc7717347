#pragma once
// Internal to haven serve: the server behind Server (Server::Impl), whose parts are answered in three files:
// server.cpp (its start, the guards every request passes, the table of routes), session_routes.cpp (sessions,
// edits, runs and bands) and file_routes.cpp (downloads and saving); and the JSON helpers they share.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "haven/serve/runs.hpp"
#include "haven/serve/server.hpp"
#include "haven/serve/session.hpp"
#include "haven/util/diagnostics.hpp"
#include "recent_runs.hpp"
#include "run_gate.hpp"
#include "session_store.hpp"

// Last: <resolv.h>, which httplib.h includes, defines `_res`, a name Eigen's headers use (a file that includes this
// one includes Eigen's users before it).
#include <httplib.h>

namespace haven::serve {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start);
// A JSON answer's text: bytes of a request that are not UTF-8 (echoed in a message) become U+FFFD instead of
// throwing, so a malformed request is answered 400, not 500.
std::string json_text(const Json& json);
// Taken by value: a body passed as a temporary or moved in (a run's answer, ~300 kB for Idlib) is not copied.
void send_json(httplib::Response& res, int status, std::string body);
void send_error(httplib::Response& res, int status, const std::string& message);
Json diagnostics_json(const Diagnostics& diagnostics);
// How the page names a run: the scenario (or its variant) as written, or with the server's starting point
// (--set-file, --set) and the session's edits.
std::string run_label(const Scenario& scenario, const ScenarioSource& source, std::size_t edits);
// The edits a run carries, in order, for the page's and the downloaded report's description of it.
std::string edits_note(const Session& session);
// The cores this process may run on: its CPU affinity (a container's or `taskset`'s share), not the host's count.
// (A CPU quota without an affinity, as some container runtimes set, is not seen: the gate then lets in more runs
// than the quota runs at once, which costs memory, not results.)
unsigned usable_cores();

class Server::Impl {
 public:
  explicit Impl(ServeOptions options)
      : options_(std::move(options)), store_(options_.limits.max_sessions, [this](std::uint64_t serial) {
          recent_runs_.forget(serial);
          saved_days_.forget(serial);
        }) {}

  int start();
  void serve() { server_.listen_after_bind(); }
  bool stop() {
    stopping_ = true;
    gate_.close();  // runs waiting for their turn are cancelled; those running stop after their day
    if (!server_.is_running()) return false;
    server_.stop();
    return true;
  }

 private:
  struct Base {
    Scenario scenario;
    RunResult run;
    std::string ghost_json;  // the base's headline series as every answer with a run sends them
    // Days the base run saved (base_save_days), in day order: a session's first edit of an event goes on from one.
    std::vector<std::shared_ptr<const ResumePoint>> saved;
  };
  // The base run of a scenario and variant (the ghost), made once; `ran` says whether it was made now.
  std::shared_ptr<const Base> base_of(std::size_t scenario_index, const Session& session, bool* ran = nullptr);
  // A run someone waits for (an edit's, an undo's, a variant's, a base run, the report's): on two cores when both
  // are free and nobody waits behind it, its decisions on two threads (an Idlib edit's run 80 -> 67 ms; more threads
  // were not measured). Under Flee's rules a run takes one thread whatever it is given. A band's members take one.
  static constexpr std::size_t waited_run_cores = 2;
  RunRequest run_request(const Scenario& scenario) const {
    RunRequest request;
    request.seed = scenario.seed;
    request.max_seconds = options_.limits.max_run_seconds;
    request.stop = &stopping_;
    request.cores = scenario.rules == RuleSetKind::flee ? 1 : waited_run_cores;
    return request;
  }
  // The key its session's scenario as it is now is kept under (recent_runs_).
  static std::string run_key(const SessionEntry& entry) {
    return fmt::format("{}{}\n{}", run_key_prefix(entry.serial), entry.scenario_index, entry.session.scenario_key());
  }
  // The run of the session's scenario as it is now, if it was made before (the base's, or one kept); never runs.
  std::optional<RunResult> run_made_before(const SessionEntry& entry);
  struct SessionRun {
    RunResult run;
    bool reused = false;     // sent again, not made now
    double queued_ms = 0.0;  // waiting for its turn (and the base's, when base_of() made it now)
  };
  // The run of the session's scenario as it is now: the base's when it has no edits (`reused` unless base_of()
  // made it just now: `base_ran`), one this session kept when its scenario ran before (`reused`), else a new one,
  // kept. The session's lock is held.
  SessionRun session_run(SessionEntry& entry, const Base& base, bool base_ran);
  // Runs the session's scenario and answers with the page's data, the ghost and timings. A run cancelled (past its
  // time limit, or the server stopping) calls `on_cancel` first, which may take back what asked for the run and says
  // what it did ("the edit was not kept"), and answers 503 with the session's edits as they are then.
  void answer_with_run(httplib::Response& res, SessionEntry& entry, const std::string& id, const Json& extra,
                       double edit_ms, const std::function<std::string()>& on_cancel = {});
  std::shared_ptr<SessionEntry> session_or_404(const httplib::Request& req, httplib::Response& res);
  // The request's JSON object, with only the keys `keys` (another is refused, not ignored: a typo would otherwise
  // leave a default in force unsaid).
  std::optional<Json> json_body(const httplib::Request& req, httplib::Response& res,
                                std::initializer_list<std::string_view> keys);
  // The checks every request passes before its route (host names, encodings, ranges, chunked bodies) and the
  // answers to requests no route takes.
  void guard_requests();
  // The table of routes, each answered by one of the functions below.
  void routes();
  // The page and the scenarios (server.cpp).
  void send_page(const httplib::Request& req, httplib::Response& res);
  void list_scenarios(const httplib::Request& req, httplib::Response& res);
  // Sessions, their edits and runs, bands (session_routes.cpp).
  void create_session(const httplib::Request& req, httplib::Response& res);
  void show_session(const httplib::Request& req, httplib::Response& res);
  void delete_session(const httplib::Request& req, httplib::Response& res);
  void apply_edit(const httplib::Request& req, httplib::Response& res);
  void undo_edit(const httplib::Request& req, httplib::Response& res);
  void run_session(const httplib::Request& req, httplib::Response& res);
  void choose_variant(const httplib::Request& req, httplib::Response& res);
  void ensemble(const httplib::Request& req, httplib::Response& res);
  // Downloads and saving (file_routes.cpp).
  void download_yaml(const httplib::Request& req, httplib::Response& res);
  void download_report(const httplib::Request& req, httplib::Response& res);
  void save_on_server(const httplib::Request& req, httplib::Response& res);

  ServeOptions options_;
  SessionStore store_;
  httplib::Server server_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  std::mutex bases_lock_;
  std::map<std::pair<std::size_t, std::string>, std::shared_ptr<const Base>> bases_;
  std::vector<std::string> pages_;          // the page of each scenario, rendered once
  RecentRuns recent_runs_{32, 32u << 20};   // docs/serve.md, "Limits": 32 runs, 32 MiB at most
  SavedDays saved_days_{16, 2, 32u << 20};  // docs/serve.md, "Limits": 16 saved days, 2 a session, 32 MiB
  // A base run's saved days (docs/serve.md, "Limits"): 8 at most, 16 MiB by estimate, for each scenario and variant.
  static constexpr std::size_t base_saved_days = 8;
  static constexpr std::size_t base_saved_bytes = 16u << 20;
  RunGate gate_{usable_cores()};  // as many runs at once as cores
};

}  // namespace haven::serve
