// The HTTP side of `haven serve`: the server's start (the pages, headers and socket), the guards every request passes
// and the table of routes. The routes are answered in session_routes.cpp (sessions, edits, runs, bands) and
// file_routes.cpp (downloads, saving); sessions, edits and runs live in session*.cpp and runs.cpp, bands in band.cpp,
// the bound on runs at once in run_gate.cpp.
#include <fmt/format.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <sched.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "haven/report/report.hpp"
#include "haven/util/text.hpp"
#include "session_info.hpp"

// Last (httplib.h): see there.
#include "server_impl.hpp"

#ifndef HAVEN_SERVE_ASSETS_DIR
#define HAVEN_SERVE_ASSETS_DIR "tools/serve"
#endif

namespace haven::serve {

namespace {

// The errors of a served scenario loaded with the server's starting edits (--set-file, --set), those at a line of
// the file that only the edits bring naming them, as `haven check --set` does. `as_written` loads it the same way
// without the edits.
Diagnostics naming_starting_edits(const Diagnostics& found, const ScenarioSource& source, LoadOptions as_written) {
  as_written.overrides.clear();
  as_written.want_resolved_yaml = false;
  const auto without = load_scenario_text(source.text, source.name, as_written);
  const auto arguments = source.start.arguments();
  std::vector<std::string> edits;
  for (std::size_t k = 0; k + 1 < arguments.size(); k += 2) edits.push_back(arguments[k] + " " + arguments[k + 1]);
  return naming_edits(found, without.diagnostics, source.name, edits);
}

std::string read_asset(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ReportAssetError(
        fmt::format("cannot read {}, which the serve page needs (or point HAVEN_SERVE_ASSETS at "
                    "the folder holding serve.js, its parts and serve.css)",
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

// Requests are served on any of the pool's 32 threads (a run someone waits for on the gate's own and its OpenMP
// team's, a band's members on the band's), and glibc gives threads up to 8 malloc arenas per core: most of a
// session's first edits ran in an arena no run had used, whose ~10 MB of pages the run faulted in afresh (~2,500
// page faults, 20 ms of Idlib's ~185 ms run, when runs went on the pool's threads; docs/benchmarks.md, "Serve: warm
// malloc arenas"). As many arenas as cores keeps them warm after the first few runs, and runs on different cores
// still allocate apart.
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

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string json_text(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void send_json(httplib::Response& res, int status, std::string body) {
  // What set_content does, but for its copy of the body.
  res.status = status;
  res.body = std::move(body);
  res.headers.erase("Content-Type");
  res.set_header("Content-Type", "application/json; charset=utf-8");
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

unsigned usable_cores() {
#ifdef __linux__
  cpu_set_t cores;
  CPU_ZERO(&cores);
  if (sched_getaffinity(0, sizeof(cores), &cores) == 0 && CPU_COUNT(&cores) > 0)
    return static_cast<unsigned>(CPU_COUNT(&cores));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

bool origin_allowed(std::string_view origin, std::string_view host, std::string_view allow_origin) {
  if (origin.empty()) return true;
  const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  const auto same = [&](std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
  };
  // --allow-origin as typed, "http://Localhost:3000/" too: an origin has no path, and its scheme and name no case.
  std::string_view allowed = allow_origin;
  if (allowed.ends_with('/')) allowed.remove_suffix(1);
  if (allowed == "*" || (!allowed.empty() && same(origin, allowed))) return true;
  constexpr std::string_view scheme = "http://";
  if (host.empty() || !origin.starts_with(scheme)) return false;
  return same(origin.substr(scheme.size()), host);
}

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

int Server::Impl::start() {
  const auto assets = report_assets();
  const auto serve_dir = serve_assets_dir();
  // The panel's parts first (they register themselves in window.havenServeParts), then the panel, which uses them.
  std::string serve_js;
  for (const char* file : {"serve_add.js", "serve_band.js", "serve.js"}) {
    std::string script = read_asset(serve_dir / file);
    for (std::size_t at = script.find("</"); at != std::string::npos; at = script.find("</", at + 3))
      script.replace(at, 2, "<\\/");
    serve_js += fmt::format("<script>{}</script>\n", script);
  }
  const std::string serve_css = read_asset(serve_dir / "serve.css");
  for (std::size_t k = 0; k < options_.scenarios.size(); ++k) {
    const ScenarioSource& source = options_.scenarios[k];
    Session session(source, "", options_.limits);
    if (!session.ok()) {
      if (source.start.empty()) throw InputError(session.load_diagnostics());
      throw InputError(naming_starting_edits(session.load_diagnostics(), source, source.load_options()));
    }
    if (!source.start.empty()) {
      // The starting point applies to every variant the page offers, checked as `haven check --set-file` checks
      // them: a variant it breaks (an edited event the variant removes) is said now, not when a planner picks it.
      LoadOptions options = source.load_options();
      options.all_variants = true;
      options.want_resolved_yaml = false;
      options.overrides = source.start.edits();
      const auto checked = load_scenario_text(source.text, source.name, options);
      if (checked.diagnostics.has_errors())
        throw InputError(naming_starting_edits(checked.diagnostics, source, options));
    }
    const auto base = base_of(k, session);
    const MemoryRun run{&base->scenario, base->run.recorder.get(), run_label(base->scenario, options_.scenarios[k], 0),
                        "stochastic",    base->scenario.seed,      ""};
    const std::string data = report_data_from_memory(base->scenario, options_.scenarios[k].name, {run});
    const Scenario& s = base->scenario;
    std::string page = render_report_html(data, (s.title.empty() ? s.name : s.title) + " (haven serve)", assets);
    // The serving page's own style and script, after the report's (which they drive through window.havenReport).
    const std::string extra =
        fmt::format("<style>{}</style>\n<script type=\"application/json\" id=\"serve-config\">{}</script>\n{}",
                    serve_css, json_text(Json{{"scenario", k}, {"name", options_.scenarios[k].name}}), serve_js);
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
  // httplib writes an answer's headers and its body in two sends. With Nagle's algorithm the body of a small answer
  // (a refused edit's messages, the session, the scenarios) waited for the headers' acknowledgement, which Chromium
  // delays by 40 ms: a refused edit took 48 ms to reach the page, 7 ms without (docs/benchmarks.md). Set on the
  // listening socket, which the connections it accepts inherit.
  server_.set_tcp_nodelay(true);
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

void Server::Impl::guard_requests() {
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
        send_error(res, 403, "this server answers only to 127.0.0.1, localhost and [::1]");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    // A page elsewhere may send this server a request a browser sends without asking first (a form's POST, a fetch
    // with a text body): it cannot read the answer, but the request takes effect. Sixty-four of them pushed a
    // planner's session, its edits unsaved, out of the server. A browser names the page's origin on every request
    // but a plain GET; only the server's own page, and the one --allow-origin names, may change anything.
    // A browser that leaves the Origin out still says where the request comes from (Sec-Fetch-Site).
    const std::string origin = req.get_header_value("Origin");
    const std::string site = req.get_header_value("Sec-Fetch-Site");
    if (req.method != "GET" && req.method != "HEAD" &&
        (!origin_allowed(origin, req.get_header_value("Host"), options_.allow_origin) ||
         (origin.empty() && (site == "cross-site" || site == "same-site")))) {
      // "null" is a sandboxed frame's or a file's: letting it in would let any such page in, so it is not offered.
      const bool nameable = !origin.empty() && origin != "null" && origin.size() <= 200;
      send_error(res, 403,
                 nameable ? fmt::format("a page from {} may not change anything here (only the server's own page "
                                        "may); start haven serve with --allow-origin {} to let that page use the API",
                                        origin, origin)
                          : fmt::format("a page from {} may not change anything here (only the server's own page may)",
                                        origin.empty() ? "another site" : clip(origin)));
      return httplib::Server::HandlerResponse::Handled;
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
}

void Server::Impl::routes() {
  guard_requests();
  const auto to = [this](void (Impl::*answer)(const httplib::Request&, httplib::Response&)) {
    return [this, answer](const httplib::Request& req, httplib::Response& res) { (this->*answer)(req, res); };
  };
  const std::string session = R"(/api/sessions/([0-9a-f]{32}))";
  server_.Get("/", to(&Impl::send_page));
  server_.Get("/api/scenarios", to(&Impl::list_scenarios));
  server_.Post("/api/sessions", to(&Impl::create_session));
  server_.Get(session, to(&Impl::show_session));
  server_.Delete(session, to(&Impl::delete_session));
  server_.Post(session + "/edits", to(&Impl::apply_edit));
  server_.Post(session + "/undo", to(&Impl::undo_edit));
  server_.Post(session + "/run", to(&Impl::run_session));
  server_.Post(session + "/variant", to(&Impl::choose_variant));
  server_.Post(session + "/ensemble", to(&Impl::ensemble));
  server_.Get(session + R"(/(overlay|scenario)\.yaml)", to(&Impl::download_yaml));
  server_.Get(session + R"(/report\.html)", to(&Impl::download_report));
  server_.Post(session + "/save", to(&Impl::save_on_server));
}

void Server::Impl::send_page(const httplib::Request& req, httplib::Response& res) {
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
}

void Server::Impl::list_scenarios(const httplib::Request&, httplib::Response& res) {
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
}

std::shared_ptr<SessionEntry> Server::Impl::session_or_404(const httplib::Request& req, httplib::Response& res) {
  auto entry = store_.find(req.matches[1]);
  if (!entry)
    send_error(res, 404,
               "no such session (the server was restarted, or newer sessions pushed it out); the page offers a new "
               "one with its edits made again");
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
