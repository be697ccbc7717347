// The HTTP side of `haven serve`: routes, headers, limits. Sessions, edits and runs live in session*.cpp and
// runs.cpp, bands in band.cpp, the bound on runs at once in run_gate.cpp; this file turns requests into calls to
// them and their results into JSON.
#include <fmt/format.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "band.hpp"
#include "haven/report/report.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/serve/runs.hpp"
#include "haven/serve/server.hpp"
#include "haven/util/text.hpp"
#include "recent_runs.hpp"
#include "run_gate.hpp"
#include "session_info.hpp"
#include "session_store.hpp"

// Last: <resolv.h>, which httplib.h includes, defines `_res`, a name Eigen's headers use.
#include <httplib.h>

#ifndef HAVEN_SERVE_ASSETS_DIR
#define HAVEN_SERVE_ASSETS_DIR "tools/serve"
#endif

namespace haven::serve {

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string read_asset(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ReportAssetError(
        fmt::format("cannot read {}, which the serve page needs (or point HAVEN_SERVE_ASSETS at "
                    "the folder holding serve.js and serve.css)",
                    path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::filesystem::path serve_assets_dir() {
  if (const char* dir = std::getenv("HAVEN_SERVE_ASSETS"); dir != nullptr && *dir != '\0') return dir;
  return HAVEN_SERVE_ASSETS_DIR;
}

// A JSON answer's text: bytes of a request that are not UTF-8 (echoed in a message) become U+FFFD instead of
// throwing, so a malformed request is answered 400, not 500.
std::string json_text(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, json_text(Json{{"error", message}}));
}

Json diagnostics_json(const Diagnostics& diagnostics) {
  Json list = Json::array();
  for (const auto& d : diagnostics.all()) {
    list.push_back({{"severity", d.severity == Severity::error ? "error" : "warning"},
                    {"where", d.location.file},
                    {"line", d.location.line},
                    {"column", d.location.column},
                    {"message", d.message},
                    {"text", format_diagnostic(d)}});
  }
  return list;
}

bool safe_file_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && name.front() != '-' && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

enum class Saved { written, name_taken, failed };

// Writes `text` as dir/file_name whole or not at all: into a partial file of its own (created exclusively, named by a
// counter, so that no two saves, even of one session, write one partial), then linked into place, which fails at
// once if the name is taken: no moment in which another writer's file could be replaced. `overwrite` renames over
// it instead. A file system without hard links is checked, then renamed into.
Saved save_file(const std::filesystem::path& dir, const std::string& file_name, const std::string& text,
                bool overwrite) {
  static std::atomic<std::uint64_t> saves{0};
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const auto path = dir / file_name;
  auto partial = path;
  partial += fmt::format(".{}.{}.partial", ::getpid(), saves.fetch_add(1));
  std::FILE* file = std::fopen(partial.c_str(), "wx");
  if (file == nullptr) return Saved::failed;
  // On disk before it takes the name: a crash after the answer must not leave an empty file there.
  const bool wrote = std::fwrite(text.data(), 1, text.size(), file) == text.size() && std::fflush(file) == 0 &&
                     ::fsync(::fileno(file)) == 0;
  const bool closed = std::fclose(file) == 0;
  const auto drop_partial = [&] {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
  };
  if (!wrote || !closed) {
    drop_partial();
    return Saved::failed;
  }
  if (overwrite) {
    std::filesystem::rename(partial, path, error);
    if (!error) return Saved::written;
    drop_partial();
    return Saved::failed;
  }
  std::filesystem::create_hard_link(partial, path, error);
  std::error_code exists_error;
  if (error && error != std::errc::file_exists && !std::filesystem::exists(path, exists_error) && !exists_error) {
    error.clear();
    std::filesystem::rename(partial, path, error);
    if (!error) return Saved::written;
  }
  drop_partial();
  if (!error) return Saved::written;
  return error == std::errc::file_exists || std::filesystem::exists(path, exists_error) ? Saved::name_taken
                                                                                        : Saved::failed;
}

// How the page names a run: the scenario (or its variant) as written, or with the server's starting point
// (--set-file, --set) and the session's edits.
std::string run_label(const Scenario& scenario, const ScenarioSource& source, std::size_t edits) {
  std::string variant = scenario.variant;
  std::replace(variant.begin(), variant.end(), '_', ' ');
  const std::string what = variant.empty() ? "the scenario" : "variant " + variant;
  const std::string edited = fmt::format("{} edit{}", edits, edits == 1 ? "" : "s");
  if (!source.start.empty()) {
    const std::string started = fmt::format("{} with {}", what, fmt::join(source.start.arguments(), " "));
    return edits == 0 ? started : started + " and " + edited;
  }
  if (edits == 0) return what + " as written";
  return fmt::format("{} with {}", what, edited);
}

// The edits a run carries, in order, for the page's and the downloaded report's description of it.
std::string edits_note(const Session& session) {
  if (session.edits().empty()) return "";
  std::string note = fmt::format("{}: ", run_label(session.scenario(), session.source(), session.edits().size()));
  for (std::size_t i = 0; i < session.edits().size(); ++i) {
    note += fmt::format("{}{}. {}", i == 0 ? "" : "; ", i + 1, session.edits()[i].listed());
  }
  return note + ".";
}

// The cores this process may run on: its CPU affinity (a container's or `taskset`'s share), not the host's count.
// (A CPU quota without an affinity, as some container runtimes set, is not seen: the gate then lets in more runs
// than the quota runs at once, which costs memory, not results.)
unsigned usable_cores() {
#ifdef __linux__
  cpu_set_t cores;
  CPU_ZERO(&cores);
  if (sched_getaffinity(0, sizeof(cores), &cores) == 0 && CPU_COUNT(&cores) > 0)
    return static_cast<unsigned>(CPU_COUNT(&cores));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

// Requests run on any of the pool's 32 threads, and glibc gives threads up to 8 malloc arenas per core: most of a
// session's first edits then ran in an arena no run had used, whose ~10 MB of pages the run faulted in afresh
// (~2,500 page faults, 20 ms of Idlib's ~185 ms run; docs/benchmarks.md, "Serve: warm malloc arenas"). As many
// arenas as cores keeps them warm after the first few runs, and runs on different cores still allocate apart.
void limit_malloc_arenas() {
#ifdef __GLIBC__
  static const bool once = [] {
    const int arenas = static_cast<int>(std::max(2u, usable_cores()));
    return mallopt(M_ARENA_MAX, arenas) == 1;
  }();
  (void)once;
#endif
}

}  // namespace

std::string allowed_encoding(std::string_view accept_encoding, std::string_view peer_address) {
  const auto starts = [&](std::string_view prefix) { return peer_address.substr(0, prefix.size()) == prefix; };
  if (peer_address == "::1" || starts("127.") || starts("::ffff:127.")) return "";
  const auto trim = [](std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
  };
  // "gzip", "gzip;q=0.8" or "*" accept it; "gzip;q=0" refuses it.
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const auto semicolon = item.find(';');
    const auto name = trim(item.substr(0, semicolon));
    if (name != "gzip" && name != "x-gzip" && name != "*") continue;
    if (semicolon != std::string_view::npos) {
      const auto parameter = trim(item.substr(semicolon + 1));
      if (parameter.substr(0, 2) == "q=" && std::strtod(std::string(parameter.substr(2)).c_str(), nullptr) <= 0.0)
        continue;
    }
    return "gzip";
  }
  return "";
}

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
  RunRequest run_request(const Scenario& scenario) const {
    return {scenario.seed, 0, Mode::stochastic, options_.limits.max_run_seconds, &stopping_};
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
  void routes();
  void ensemble(const httplib::Request& req, httplib::Response& res);

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

std::shared_ptr<const Server::Impl::Base> Server::Impl::base_of(std::size_t scenario_index, const Session& session,
                                                                bool* ran) {
  const auto key = std::make_pair(scenario_index, session.variant());
  if (ran) *ran = false;
  {
    std::lock_guard guard(bases_lock_);
    if (auto it = bases_.find(key); it != bases_.end()) return it->second;
  }
  if (ran) *ran = true;
  auto base = std::make_shared<Base>();
  base->scenario = session.base();
  // The scenarios and variants the server was started with are not limited: `haven run` would run them too.
  RunRequest request = run_request(base->scenario);
  request.max_seconds = std::numeric_limits<double>::infinity();
  request.save_days = base_save_days(base->scenario, base_saved_days);
  request.max_saved_bytes = base_saved_bytes;
  base->run = gate_.run(base->scenario, request);
  for (auto& saved : std::exchange(base->run.saved, {})) {
    base->saved.push_back(std::make_shared<const ResumePoint>(std::move(saved)));
  }
  base->ghost_json = headline_json(headline_series(base->scenario, *base->run.recorder));
  std::lock_guard guard(bases_lock_);
  return bases_.emplace(key, std::move(base)).first->second;
}

int Server::Impl::start() {
  const auto assets = report_assets();
  const auto serve_dir = serve_assets_dir();
  const std::string serve_js = read_asset(serve_dir / "serve.js");
  const std::string serve_css = read_asset(serve_dir / "serve.css");
  for (std::size_t k = 0; k < options_.scenarios.size(); ++k) {
    Session session(options_.scenarios[k], "", options_.limits);
    if (!session.ok()) throw InputError(session.load_diagnostics());
    if (const auto& start = options_.scenarios[k].start; !start.empty()) {
      // The starting point applies to every variant the page offers, checked as `haven check --set-file` checks
      // them: a variant it breaks (an edited event the variant removes) is said now, not when a planner picks it.
      LoadOptions options = options_.scenarios[k].load_options();
      options.all_variants = true;
      options.want_resolved_yaml = false;
      options.overrides = start.edits();
      const auto checked = load_scenario_text(options_.scenarios[k].text, options_.scenarios[k].name, options);
      if (checked.diagnostics.has_errors()) throw InputError(checked.diagnostics);
    }
    const auto base = base_of(k, session);
    const MemoryRun run{&base->scenario, base->run.recorder.get(), run_label(base->scenario, options_.scenarios[k], 0),
                        "stochastic",    base->scenario.seed,      ""};
    const std::string data = report_data_from_memory(base->scenario, options_.scenarios[k].name, {run});
    const Scenario& s = base->scenario;
    std::string page = render_report_html(data, (s.title.empty() ? s.name : s.title) + " (haven serve)", assets);
    // The serving page's own style and script, after the report's (which they drive through window.havenReport).
    std::string script = serve_js;
    for (std::size_t at = script.find("</"); at != std::string::npos; at = script.find("</", at + 3))
      script.replace(at, 2, "<\\/");
    const std::string extra = fmt::format(
        "<style>{}</style>\n<script type=\"application/json\" id=\"serve-config\">{}</script>\n<script>{}</script>\n",
        serve_css, json_text(Json{{"scenario", k}, {"name", options_.scenarios[k].name}}), script);
    const auto body_end = page.rfind("</body>");
    page.insert(body_end == std::string::npos ? page.size() : body_end, extra);
    pages_.push_back(std::move(page));
  }

  server_.set_payload_max_length(options_.limits.max_request_bytes);
  limit_malloc_arenas();
  server_.new_task_queue = [] { return new httplib::ThreadPool(32); };
  httplib::Headers headers{{"Cache-Control", "no-store"},
                           {"X-Content-Type-Options", "nosniff"},
                           {"Referrer-Policy", "no-referrer"},
                           {"X-Frame-Options", "DENY"}};
  if (!options_.allow_origin.empty()) {
    headers.emplace("Access-Control-Allow-Origin", options_.allow_origin);
    headers.emplace("Vary", "Origin");
  }
  server_.set_default_headers(headers);
  // httplib's default sets SO_REUSEPORT, which lets a second server bind the same port and the kernel share the
  // connections out between the two: half of a page's requests would reach a server that never heard of its
  // session. SO_REUSEADDR alone still restarts at once on a port whose last connections are closing.
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void*>(&yes), sizeof(yes));
  });
  routes();
  port_ = options_.port == 0 ? server_.bind_to_any_port(options_.host.c_str())
                             : (server_.bind_to_port(options_.host.c_str(), options_.port) ? options_.port : -1);
  if (port_ < 0) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{} (in use, or not an address of this machine); "
                    "choose another with --port",
                    options_.host, options_.port));
  }
  return port_;
}

std::shared_ptr<SessionEntry> Server::Impl::session_or_404(const httplib::Request& req, httplib::Response& res) {
  auto entry = store_.find(req.matches[1]);
  if (!entry) send_error(res, 404, "no such session (it may have expired: reload the page)");
  return entry;
}

std::optional<Json> Server::Impl::json_body(const httplib::Request& req, httplib::Response& res,
                                            std::initializer_list<std::string_view> keys) {
  Json body;
  try {
    body = req.body.empty() ? Json::object() : Json::parse(req.body);
    if (!body.is_object()) throw std::runtime_error("not an object");
  } catch (const std::exception&) {
    send_error(res, 400, "the request body must be a JSON object");
    return std::nullopt;
  }
  for (const auto& item : body.items()) {
    if (std::find(keys.begin(), keys.end(), item.key()) != keys.end()) continue;
    send_error(
        res, 400,
        keys.size() == 0
            ? fmt::format("unknown key '{}' in the request; it takes none (send {{}} or nothing)", clip(item.key()))
            : fmt::format("unknown key '{}' in the request; it takes {}", clip(item.key()), fmt::join(keys, ", ")));
    return std::nullopt;
  }
  return body;
}

std::optional<RunResult> Server::Impl::run_made_before(const SessionEntry& entry) {
  const Session& session = entry.session;
  if (!session.same_as_base()) return recent_runs_.find(run_key(entry));
  std::lock_guard guard(bases_lock_);
  const auto it = bases_.find(std::make_pair(entry.scenario_index, session.variant()));
  if (it == bases_.end()) return std::nullopt;
  return it->second->run;
}

Server::Impl::SessionRun Server::Impl::session_run(SessionEntry& entry, const Base& base, bool base_ran) {
  const Session& session = entry.session;
  const double base_queued_ms = base_ran ? base.run.queued_ms : 0.0;
  // Without edits (or with edits that change nothing) the session's scenario is the base one, whose run (same seed,
  // same index) is kept: the page's first draw and an undo back to the start need no run.
  if (session.same_as_base()) {
    entry.last_run_scenario = nullptr;  // the base's
    return {base.run, !base_ran, base_queued_ms};
  }
  const std::string key = run_key(entry);
  if (auto kept = recent_runs_.find(key)) {
    entry.last_run_scenario = kept->scenario;
    return {*kept, true, base_queued_ms};
  }
  // Run on a copy the run keeps: the recorder points at its scenario, and the session's changes with its next edit.
  auto scenario = std::make_shared<const Scenario>(session.scenario());
  RunRequest request = run_request(*scenario);
  // Go on from the latest saved day (the session's or the base run's) the scenario agrees with its run before; save
  // the day this edit changed (from the session's last run), where the next edit of the same event will go on from.
  auto resume_from = saved_days_.find(entry.serial, *scenario);
  const auto day_of = [](const auto& point) { return point ? checkpoint_day(*point->checkpoint) : 0; };
  if (auto from_base = latest_usable(base.saved, base.scenario, *scenario); day_of(from_base) > day_of(resume_from)) {
    resume_from = std::move(from_base);
  }
  request.resume_from = resume_from.get();
  const int resume_day = day_of(resume_from);
  const Scenario& before = entry.last_run_scenario ? *entry.last_run_scenario : base.scenario;
  if (const int changed = first_day_apart(before, *scenario); changed > resume_day && changed < scenario->days) {
    request.save_days = {changed};
  }
  RunResult run = gate_.run(*scenario, request);
  run.scenario = std::move(scenario);
  for (auto& saved : std::exchange(run.saved, {})) saved_days_.keep(entry.serial, std::move(saved));
  entry.last_run_scenario = run.scenario;
  recent_runs_.keep(key, run);
  const double queued_ms = base_queued_ms + run.queued_ms;
  return {std::move(run), false, queued_ms};
}

void Server::Impl::answer_with_run(httplib::Response& res, SessionEntry& entry, const std::string& id,
                                   const Json& extra, double edit_ms, const std::function<std::string()>& on_cancel) {
  const Session& session = entry.session;
  try {
    // Timed from before base_of(): a variant's base is run the first time it is asked for, here.
    const auto run_started = Clock::now();
    bool base_ran = false;
    const auto base = base_of(entry.scenario_index, session, &base_ran);
    const auto [run, reused, queued_ms] = session_run(entry, *base, base_ran);
    // A run sent again took no time now (a kept run implies its variant's base was made before, so `reused` never
    // comes with a base made now); a run made now is timed without its wait for a turn.
    const double run_ms = reused ? 0.0 : std::max(0.0, ms_since(run_started) - queued_ms);
    const auto json_started = Clock::now();
    const MemoryRun memory{&session.scenario(),
                           run.recorder.get(),
                           run_label(session.scenario(), session.source(), session.edits().size()),
                           "stochastic",
                           session.scenario().seed,
                           edits_note(session)};
    const std::string data = report_data_from_memory(session.scenario(), session.source_name(), {memory});
    Json info = session_info(session, id);
    info.update(extra);
    info["applied"] = true;
    info["run_reused"] = reused;
    info["run_from_day"] = reused ? 0 : run.started_day;  // a kept run sent again was not run now
    info["timing_ms"] = {{"edit", edit_ms}, {"queue", queued_ms}, {"run", run_ms}, {"json", 0.0}, {"total", 0.0}};
    std::string body = json_text(info);
    body.pop_back();  // the closing brace: the data and the ghost are appended as they are
    body += fmt::format(R"(,"ghost":{},"data":{}}})", base->ghost_json, data);
    // The JSON's time and the server's whole time (the edit's checks, the run, the JSON), known only now: written
    // over their placeholders in timing_ms.
    const auto timing_at = body.find(R"("timing_ms":)");
    const auto fill = [&](const char* key, double ms) {
      const std::string placeholder = fmt::format(R"("{}":0.0)", key);
      const auto at = body.find(placeholder, timing_at);
      if (at != std::string::npos) body.replace(at, placeholder.size(), fmt::format(R"("{}":{:.1f})", key, ms));
    };
    const double json_ms = ms_since(json_started);
    fill("json", json_ms);
    fill("total", edit_ms + queued_ms + run_ms + json_ms);
    send_json(res, 200, body);
  } catch (const RunCancelled& e) {
    const std::string taken_back = on_cancel ? on_cancel() : std::string();
    send_json(res, 503,
              json_text(Json{
                  {"error", taken_back.empty() ? std::string(e.what()) : fmt::format("{}; {}", e.what(), taken_back)},
                  {"cancelled", true},
                  {"edits", edits_json(session.edits())},
                  {"undo", session.undo_target()},
                  {"variant", session.variant()}}));
  } catch (const std::exception& e) {
    send_json(res, 500,
              json_text(Json{{"error", fmt::format("the run failed: {}", e.what())},
                             {"edits", edits_json(session.edits())}}));
  }
}

void Server::Impl::routes() {
  // A page on 127.0.0.1 answers only to its own names, so a web page elsewhere cannot reach it through a DNS name
  // that points here (DNS rebinding).
  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // httplib compresses an answer by the request's Accept-Encoding after the route has run: narrowed here to what
    // pays (allowed_encoding). The request is httplib's own non-const object, handed to this hook as const.
    if (req.has_header("Accept-Encoding")) {
      auto& headers = const_cast<httplib::Request&>(req).headers;
      const auto allowed = allowed_encoding(req.get_header_value("Accept-Encoding"), req.remote_addr);
      headers.erase("Accept-Encoding");
      if (!allowed.empty()) headers.emplace("Accept-Encoding", allowed);
    }
    // Nothing here is worth a part of: a Range is ignored and the whole answer sent (RFC 9110 allows it). httplib
    // would build every range asked for, repeats and overlaps included: 200 ranges of the 1.5 MB page in a
    // 600-byte request made a 313 MB answer.
    if (req.has_header("Range") || !req.ranges.empty()) {
      auto& request = const_cast<httplib::Request&>(req);
      request.headers.erase("Range");
      request.ranges.clear();
    }
    if (options_.host == "127.0.0.1" || options_.host == "localhost" || options_.host == "::1") {
      // Host names are case-insensitive (LOCALHOST is localhost).
      std::string host = req.get_header_value("Host");
      std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
      const std::string port = fmt::format(":{}", port_);
      if (host != "127.0.0.1" + port && host != "localhost" + port && host != "[::1]" + port) {
        send_error(res, 403, "this server answers only to 127.0.0.1 and localhost");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    // httplib limits a body by its Content-Length only: a chunked one would be read whole, however large (it grew
    // the server by 800 MB). The page always sends a length; a body without one is refused before it is read. (httplib
    // 0.11 keeps the connection open all the same: what the client sends after is answered as a malformed request,
    // 400, and never read as a body.)
    if (req.has_header("Transfer-Encoding")) {
      send_error(res, 411,
                 fmt::format("send the request with a Content-Length (at most {} bytes), not in chunks",
                             options_.limits.max_request_bytes));
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // A route that does not exist (or a method a route does not take) gets a JSON body and its content type too.
  server_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status;
    send_error(res, status,
               status == 404   ? fmt::format("no such route: {} {}", req.method, req.path)
               : status == 413 ? fmt::format("the request is larger than the server takes ({} bytes); send one edit "
                                             "at a time",
                                             options_.limits.max_request_bytes)
                               : fmt::format("HTTP {}", status));
  });
  server_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr e) {
    std::string what = "unknown error";
    try {
      if (e) std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    send_error(res, 500, fmt::format("internal error: {}", what));
  });
  if (!options_.allow_origin.empty()) {
    server_.Options(R"(/api/.*)", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE");
      res.set_header("Access-Control-Allow-Headers", "Content-Type");
      res.status = 204;
    });
  }

  server_.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
    std::size_t k = 0;
    if (req.has_param("scenario")) {
      const auto text = req.get_param_value("scenario");
      if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), ::isdigit) ||
          std::stoul(text) >= pages_.size()) {
        send_error(res, 404, "no such scenario; GET /api/scenarios lists them");
        return;
      }
      k = std::stoul(text);
    }
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
                   "connect-src 'self'; form-action 'none'; frame-ancestors 'none'");
    res.set_content(pages_[k], "text/html; charset=utf-8");
  });

  server_.Get("/api/scenarios", [this](const httplib::Request&, httplib::Response& res) {
    Json list = Json::array();
    for (std::size_t k = 0; k < options_.scenarios.size(); ++k)
      list.push_back({{"index", k}, {"name", options_.scenarios[k].name}});
    send_json(res, 200,
              json_text(Json{{"scenarios", list},
                             {"limits",
                              {{"max_request_bytes", options_.limits.max_request_bytes},
                               {"max_edits", options_.limits.max_edits},
                               {"max_added_events", options_.limits.max_added_events},
                               {"max_ensemble_members", options_.limits.max_ensemble_members},
                               {"max_run_seconds", options_.limits.max_run_seconds}}},
                             {"saving", !options_.output_dir.empty()}}));
  });

  server_.Post("/api/sessions", [this](const httplib::Request& req, httplib::Response& res) {
    const auto body = json_body(req, res, {"scenario", "variant"});
    if (!body) return;
    // Its type checked before it is read as a number (reading a string as one throws).
    const Json scenario = body->value("scenario", Json(std::size_t{0}));
    if (!scenario.is_number_unsigned() || scenario.get<std::size_t>() >= options_.scenarios.size()) {
      send_error(res, 400,
                 "'scenario' must be the index of a scenario the server was started with (GET /api/scenarios)");
      return;
    }
    // null, as "", is the scenario without a variant; anything else but a name is refused, not read as null.
    const Json given = body->value("variant", Json(""));
    if (!given.is_string() && !given.is_null()) {
      send_error(res, 400, "give 'variant': a variant's name, or \"\" for the scenario without one");
      return;
    }
    const auto variant = given.is_string() ? given.get<std::string>() : std::string();
    const auto index = scenario.get<std::size_t>();
    Session session(options_.scenarios[index], variant, options_.limits);
    if (!session.ok()) {
      send_json(res, 422,
                json_text(Json{{"error", "the variant does not load"},
                               {"diagnostics", diagnostics_json(session.load_diagnostics())}}));
      return;
    }
    auto entry = std::make_shared<SessionEntry>(std::move(session), index);
    const auto id = store_.add(entry);
    std::lock_guard guard(entry->lock);
    send_json(res, 201, json_text(session_info(entry->session, id)));
  });

  server_.Get(R"(/api/sessions/([0-9a-f]{32}))", [this](const httplib::Request& req, httplib::Response& res) {
    auto entry = session_or_404(req, res);
    if (!entry) return;
    std::lock_guard guard(entry->lock);
    send_json(res, 200, json_text(session_info(entry->session, req.matches[1])));
  });

  server_.Delete(R"(/api/sessions/([0-9a-f]{32}))", [this](const httplib::Request& req, httplib::Response& res) {
    if (!store_.remove(req.matches[1])) {
      send_error(res, 404, "no such session");
      return;
    }
    send_json(res, 200, R"({"deleted":true})");
  });

  server_.Post(R"(/api/sessions/([0-9a-f]{32})/edits)", [this](const httplib::Request& req, httplib::Response& res) {
    auto entry = session_or_404(req, res);
    if (!entry) return;
    const auto started = Clock::now();
    std::string problem;
    auto edit = edit_from_json(req.body, problem);
    if (!edit) {
      send_json(res, 400,
                json_text(Json{
                    {"error", problem},
                    {"diagnostics",
                     Json::array(
                         {{{"severity", "error"}, {"where", "request"}, {"message", problem}, {"text", problem}}})}}));
      return;
    }
    std::lock_guard guard(entry->lock);
    auto result = entry->session.apply(std::move(*edit));
    if (!result.applied) {
      send_json(res, 422,
                json_text(Json{{"error", "the edit was not applied: the scenario with it does not pass the checks"},
                               {"diagnostics", diagnostics_json(result.diagnostics)},
                               {"edits", edits_json(entry->session.edits())}}));
      return;
    }
    // A run cancelled leaves the session as before the edit: kept, an edit the page was told failed would go into
    // every later run and saved file unseen.
    answer_with_run(res, *entry, req.matches[1], {{"warnings", diagnostics_json(result.diagnostics)}},
                    ms_since(started), [&entry] {
                      entry->session.undo();
                      return std::string("the edit was not kept");
                    });
  });

  server_.Post(R"(/api/sessions/([0-9a-f]{32})/undo)", [this](const httplib::Request& req, httplib::Response& res) {
    auto entry = session_or_404(req, res);
    if (!entry || !json_body(req, res, {})) return;
    const auto started = Clock::now();
    std::lock_guard guard(entry->lock);
    const bool undone = entry->session.undo();
    answer_with_run(res, *entry, req.matches[1], {{"undone", undone}}, ms_since(started));
  });

  server_.Post(R"(/api/sessions/([0-9a-f]{32})/run)", [this](const httplib::Request& req, httplib::Response& res) {
    auto entry = session_or_404(req, res);
    if (!entry || !json_body(req, res, {})) return;
    std::lock_guard guard(entry->lock);
    answer_with_run(res, *entry, req.matches[1], Json::object(), 0.0);
  });

  server_.Post(R"(/api/sessions/([0-9a-f]{32})/variant)", [this](const httplib::Request& req, httplib::Response& res) {
    auto entry = session_or_404(req, res);
    if (!entry) return;
    const auto body = json_body(req, res, {"variant"});
    if (!body) return;
    if (!body->contains("variant") || !(*body)["variant"].is_string()) {
      send_error(res, 400, "give 'variant': a variant's name, or \"\" for the scenario without one");
      return;
    }
    const auto started = Clock::now();
    std::lock_guard guard(entry->lock);
    const std::string variant = (*body)["variant"].get<std::string>();
    // The variant in use already: nothing switches, so a cancelled run has nothing to take back (an undo then would
    // take back the edit before).
    const bool switching = variant != entry->session.variant();
    auto result = entry->session.choose_variant(variant);
    if (!result.applied) {
      send_json(res, 422,
                json_text(Json{{"error", "the variant does not load"},
                               {"diagnostics", diagnostics_json(result.diagnostics)}}));
      return;
    }
    std::function<std::string()> take_back;
    if (switching) {
      take_back = [&entry] {
        entry->session.undo();  // back across the switch, with the edits as they were
        return std::string("the variant was not switched");
      };
    }
    answer_with_run(res, *entry, req.matches[1], {{"warnings", diagnostics_json(result.diagnostics)}},
                    ms_since(started), take_back);
  });

  // Downloads: the overlay, the edited scenario, the report of what is on screen.
  server_.Get(R"(/api/sessions/([0-9a-f]{32})/(overlay|scenario)\.yaml)",
              [this](const httplib::Request& req, httplib::Response& res) {
                auto entry = session_or_404(req, res);
                if (!entry) return;
                std::lock_guard guard(entry->lock);
                const Session& s = entry->session;
                const bool overlay = req.matches[2] == "overlay";
                const auto stem = std::filesystem::path(s.source_name()).stem().string();
                res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}-{}.yaml\"", stem,
                                                                  overlay ? "overlay" : "edited"));
                res.set_content(overlay ? s.overlay_yaml() : s.scenario_yaml(), "application/yaml; charset=utf-8");
              });

  server_.Get(R"(/api/sessions/([0-9a-f]{32})/report\.html)", [this](const httplib::Request& req,
                                                                     httplib::Response& res) {
    auto entry = session_or_404(req, res);
    if (!entry) return;
    std::lock_guard guard(entry->lock);
    const Session& s = entry->session;
    try {
      bool base_ran = false;
      const auto base = base_of(entry->scenario_index, s, &base_ran);
      const RunResult run = session_run(*entry, *base, base_ran).run;
      std::vector<MemoryRun> runs{{&base->scenario, base->run.recorder.get(), run_label(base->scenario, s.source(), 0),
                                   "stochastic", base->scenario.seed, ""}};
      // Edits that leave the scenario as the base one give no second, identical column.
      if (!s.edits().empty() && !s.same_as_base()) {
        runs.push_back({&s.scenario(), run.recorder.get(), run_label(s.scenario(), s.source(), s.edits().size()),
                        "stochastic", s.scenario().seed, edits_note(s)});
      }
      const Scenario& sc = s.scenario();
      const std::string html =
          render_report_html(report_data_from_memory(base->scenario, s.source_name(), runs),
                             (sc.title.empty() ? sc.name : sc.title) + " (what-if)", report_assets());
      const auto stem = std::filesystem::path(s.source_name()).stem().string();
      res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}-what-if.html\"", stem));
      res.set_content(html, "text/html; charset=utf-8");
    } catch (const std::exception& e) {
      send_error(res, 500, fmt::format("the report could not be made: {}", e.what()));
    }
  });

  // Saving on the server: only under --output-dir, under a plain name the request gives.
  server_.Post(R"(/api/sessions/([0-9a-f]{32})/save)", [this](const httplib::Request& req, httplib::Response& res) {
    auto entry = session_or_404(req, res);
    if (!entry) return;
    const auto body = json_body(req, res, {"form", "name", "overwrite"});
    if (!body) return;
    if (options_.output_dir.empty()) {
      send_error(res, 403,
                 "saving on the server is off: start haven serve with --output-dir DIR (or download the file)");
      return;
    }
    const Json form_json = body->value("form", Json("overlay"));
    const std::string form = form_json.is_string() ? form_json.get<std::string>() : "";
    const std::string name =
        body->contains("name") && (*body)["name"].is_string() ? (*body)["name"].get<std::string>() : "";
    if (form != "overlay" && form != "scenario") {
      send_error(res, 400, "'form' must be overlay or scenario");
      return;
    }
    if (body->contains("overwrite") && !(*body)["overwrite"].is_boolean()) {
      send_error(res, 400, "'overwrite' must be true or false");
      return;
    }
    if (!safe_file_name(name)) {
      send_error(res, 400,
                 "'name' must be a plain file name without extension: letters, digits, '_' and '-' (at most 64); files "
                 "are written only in the server's --output-dir");
      return;
    }
    std::string text;
    std::string scenario_arguments;
    {
      std::lock_guard guard(entry->lock);
      text = form == "overlay" ? entry->session.overlay_yaml() : entry->session.scenario_yaml();
      scenario_arguments = entry->session.scenario_arguments();
    }
    // A file of that name is replaced only when the request says so: the page asks the planner first.
    const bool overwrite = body->contains("overwrite") && (*body)["overwrite"].get<bool>();
    switch (save_file(options_.output_dir, name + ".yaml", text, overwrite)) {
      case Saved::written:
        break;
      case Saved::name_taken:
        send_error(res, 409,
                   fmt::format("{}.yaml is already in the output folder: choose another name, or replace it "
                               "('overwrite': true)",
                               name));
        return;
      case Saved::failed:
        send_error(res, 500, fmt::format("cannot write {}.yaml in the output folder", name));
        return;
    }
    // Where it went, as the server was told (--output-dir), and the command that runs it from where the server was
    // started: an overlay is a change of its scenario, not a scenario. Its run goes beside it, not over the run
    // file of the scenario's name, which `haven run` would refuse to replace once the scenario has been run.
    const auto saved_at = std::filesystem::path(options_.output_dir) / (name + ".yaml");
    const std::string path = saved_at.string();
    const std::string output = shell_word(std::filesystem::path(saved_at).replace_extension(".h5").string());
    const std::string run = form == "overlay" ? fmt::format("haven run {} --set-file {} -o {}", scenario_arguments,
                                                            shell_word(path), output)
                                              : fmt::format("haven run {} -o {}", shell_word(path), output);
    send_json(res, 201,
              json_text(Json{
                  {"saved", name + ".yaml"}, {"path", path}, {"run", run}, {"form", form}, {"bytes", text.size()}}));
  });

  server_.Post(R"(/api/sessions/([0-9a-f]{32})/ensemble)",
               [this](const httplib::Request& req, httplib::Response& res) { ensemble(req, res); });
}

// An ensemble of N members (the scenario's seed, run indices 0..N-1), streamed as newline-delimited JSON: one line
// with the bands so far after each member, the last with "finished": true.
void Server::Impl::ensemble(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry) return;
  const auto body = json_body(req, res, {"members", "parameters"});
  if (!body) return;
  const auto members_json = body->value("members", Json(20));
  if (!members_json.is_number_unsigned() || members_json.get<std::size_t>() < 2 ||
      members_json.get<std::size_t>() > options_.limits.max_ensemble_members) {
    send_error(res, 400,
               fmt::format("'members' must be a whole number from 2 to {}", options_.limits.max_ensemble_members));
    return;
  }
  const auto members = members_json.get<std::size_t>();
  const auto parameters_json = body->value("parameters", Json(false));
  if (!parameters_json.is_boolean()) {
    send_error(res, 400, "'parameters' must be true (draw parameter values from the sweep's ranges too) or false");
    return;
  }
  BandRequest band;
  band.members = members;
  band.max_run_seconds = options_.limits.max_run_seconds;
  {
    std::lock_guard guard(entry->lock);
    const Session& session = entry->session;
    band.scenario = std::make_shared<const Scenario>(session.scenario());
    if (parameters_json.get<bool>()) {
      const auto& source = options_.scenarios[entry->scenario_index];
      if (!source.uncertainty) {
        send_error(
            res, 400,
            fmt::format("no sweep file gives parameter ranges for {}: the band can vary the seed only", source.name));
        return;
      }
      auto uncertain = std::make_shared<BandRequest::Uncertain>();
      uncertain->source = &source;
      uncertain->options = session.load_options();
      const auto held = held_paths(session);
      uncertain->overrides = uncertainty_overrides(*source.uncertainty, members, held);
      Json varied = Json::array();
      Json fixed = Json::array();
      for (const auto& p : source.uncertainty->spec.parameters) (held.count(p.path) ? fixed : varied).push_back(p.name);
      uncertain->summary_json =
          json_text(Json{{"sweep", source.uncertainty->sweep_name}, {"varied", varied}, {"held", fixed}});
      band.uncertain = std::move(uncertain);
    } else if (const auto shown = run_made_before(*entry)) {
      // Member 0 is the run on the page (the same seed and run index): one run fewer, the first line at once.
      band.known_first.push_back(headline_series(*band.scenario, *shown->recorder));
    }
  }
  res.set_chunked_content_provider("application/x-ndjson", [this, band](std::size_t, httplib::DataSink& sink) {
    BandStreamIo io;
    io.run = [this](const Scenario& scenario, const RunRequest& request) { return gate_.run(scenario, request); };
    io.write = [&sink](const std::string& line) { return sink.write(line.data(), line.size()); };
    io.still_reading = [&sink] { return sink.is_writable(); };
    io.stopping = &stopping_;
    // Each member waits at the gate with everyone's runs: more threads than cores only queue there.
    stream_band(band, io, std::min(4u, usable_cores()));
    sink.done();
    return true;
  });
}

Server::Server(ServeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
int Server::start() {
  return impl_->start();
}
void Server::serve() {
  impl_->serve();
}
bool Server::stop() {
  return impl_->stop();
}

}  // namespace haven::serve
