// haven serve's routes of sessions: a session made, shown and forgotten; its edits, undo, variant and run, each
// answered with the run of the scenario as it is then (the base run's, one kept, or a new one that goes on from a
// saved day); and its band, streamed as members finish.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "band.hpp"
#include "edit_words.hpp"
#include "haven/report/report.hpp"
#include "haven/serve/edit.hpp"
#include "session_info.hpp"

// Last (httplib.h): see there.
#include "server_impl.hpp"

namespace haven::serve {

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

std::string edits_note(const Session& session) {
  if (session.edits().empty()) return "";
  std::string note = fmt::format("{}: ", run_label(session.scenario(), session.source(), session.edits().size()));
  const EditWords words(session);
  for (std::size_t i = 0; i < session.edits().size(); ++i) {
    // In words for the report's reader; the saved overlay's comments give each exactly.
    note += fmt::format("{}{}. {}", i == 0 ? "" : "; ", i + 1, words(session.edits()[i]));
  }
  return note + ".";
}

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
    info["run_cores"] = reused ? 0 : run.cores;
    info["timing_ms"] = {{"edit", edit_ms}, {"queue", queued_ms}, {"run", run_ms}, {"json", 0.0}, {"total", 0.0}};
    const std::string head = json_text(info);
    // The answer in one string grown once: the data and the ghost are appended as they are, after the head but for
    // its closing brace.
    std::string body;
    body.reserve(head.size() + base->ghost_json.size() + data.size() + 32);
    body.append(head, 0, head.size() - 1);
    body.append(R"(,"ghost":)").append(base->ghost_json).append(R"(,"data":)").append(data).push_back('}');
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
    send_json(res, 200, std::move(body));
  } catch (const RunCancelled& e) {
    const std::string taken_back = on_cancel ? on_cancel() : std::string();
    send_json(res, 503,
              json_text(Json{
                  {"error", taken_back.empty() ? std::string(e.what()) : fmt::format("{}; {}", e.what(), taken_back)},
                  {"cancelled", true},
                  {"edits", edits_json(session)},
                  {"undo", session.undo_target()},
                  {"variant", session.variant()}}));
  } catch (const std::exception& e) {
    send_json(res, 500,
              json_text(Json{{"error", fmt::format("the run failed: {}", e.what())}, {"edits", edits_json(session)}}));
  }
}

void Server::Impl::create_session(const httplib::Request& req, httplib::Response& res) {
  const auto body = json_body(req, res, {"scenario", "variant"});
  if (!body) return;
  // Its type checked before it is read as a number (reading a string as one throws).
  const Json scenario = body->value("scenario", Json(std::size_t{0}));
  if (!scenario.is_number_unsigned() || scenario.get<std::size_t>() >= options_.scenarios.size()) {
    send_error(res, 400, "'scenario' must be the index of a scenario the server was started with (GET /api/scenarios)");
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
}

void Server::Impl::show_session(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry) return;
  std::lock_guard guard(entry->lock);
  send_json(res, 200, json_text(session_info(entry->session, req.matches[1])));
}

void Server::Impl::delete_session(const httplib::Request& req, httplib::Response& res) {
  if (!store_.remove(req.matches[1])) {
    send_error(res, 404, "no such session");
    return;
  }
  send_json(res, 200, R"({"deleted":true})");
}

void Server::Impl::apply_edit(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry) return;
  const auto started = Clock::now();
  std::string problem;
  auto edit = edit_from_json(req.body, problem);
  if (!edit) {
    send_json(
        res, 400,
        json_text(Json{
            {"error", problem},
            {"diagnostics",
             Json::array({{{"severity", "error"}, {"where", "request"}, {"message", problem}, {"text", problem}}})}}));
    return;
  }
  std::lock_guard guard(entry->lock);
  auto result = entry->session.apply(std::move(*edit));
  if (result.applied) entry->touched = true;
  if (!result.applied) {
    send_json(res, 422,
              json_text(Json{{"error", "the edit was not applied: the scenario with it does not pass the checks"},
                             {"diagnostics", diagnostics_json(result.diagnostics)},
                             {"edits", edits_json(entry->session)}}));
    return;
  }
  // A run cancelled leaves the session as before the edit: kept, an edit the page was told failed would go into
  // every later run and saved file unseen.
  answer_with_run(res, *entry, req.matches[1], {{"warnings", diagnostics_json(result.diagnostics)}}, ms_since(started),
                  [&entry] {
                    entry->session.undo();
                    return std::string("the edit was not kept");
                  });
}

void Server::Impl::undo_edit(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry || !json_body(req, res, {})) return;
  const auto started = Clock::now();
  std::lock_guard guard(entry->lock);
  const bool undone = entry->session.undo();
  answer_with_run(res, *entry, req.matches[1], {{"undone", undone}}, ms_since(started));
}

void Server::Impl::run_session(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry || !json_body(req, res, {})) return;
  std::lock_guard guard(entry->lock);
  answer_with_run(res, *entry, req.matches[1], Json::object(), 0.0);
}

void Server::Impl::choose_variant(const httplib::Request& req, httplib::Response& res) {
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
  if (result.applied && switching) entry->touched = true;
  if (!result.applied) {
    send_json(
        res, 422,
        json_text(Json{{"error", "the variant does not load"}, {"diagnostics", diagnostics_json(result.diagnostics)}}));
    return;
  }
  std::function<std::string()> take_back;
  if (switching) {
    take_back = [&entry] {
      entry->session.undo();  // back across the switch, with the edits as they were
      return std::string("the variant was not switched");
    };
  }
  answer_with_run(res, *entry, req.matches[1], {{"warnings", diagnostics_json(result.diagnostics)}}, ms_since(started),
                  take_back);
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
               fmt::format("'members' (the band's seeds) must be a whole number from 2 to {}",
                           options_.limits.max_ensemble_members));
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

}  // namespace haven::serve
