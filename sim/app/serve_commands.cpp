#include "serve_commands.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cli.hpp"
#include "common.hpp"
#include "flee_commands.hpp"
#include "haven/flee/folder.hpp"
#include "haven/report/report.hpp"
#include "haven/scenario/load.hpp"
#include "haven/serve/server.hpp"
#include "haven/sweep/sweep.hpp"
#include "haven/util/diagnostics.hpp"
#include "haven/util/text.hpp"

extern char** environ;

namespace haven::app {

namespace {

// Set by SIGINT/SIGTERM; a watcher thread stops the server (a signal handler may only touch a lock-free atomic).
std::atomic<bool> stop_requested{false};
extern "C" void request_stop(int) {
  stop_requested = true;
}

// SIGINT and SIGTERM ask the server to stop while it runs; the previous handlers come back after.
class SignalHandlers {
 public:
  SignalHandlers() {
    stop_requested = false;
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~SignalHandlers() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalHandlers(const SignalHandlers&) = delete;
  SignalHandlers& operator=(const SignalHandlers&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Opens `url` in the desktop's browser (xdg-open), without waiting for it.
void open_browser(const std::string& url, std::ostream& err) {
  pid_t pid = 0;
  std::string program = "xdg-open";
  char* argv[] = {program.data(), const_cast<char*>(url.c_str()), nullptr};
  if (posix_spawnp(&pid, "xdg-open", nullptr, nullptr, argv, environ) != 0) {
    err << fmt::format("haven serve: cannot start a browser (xdg-open); open {} yourself\n", url);
  }
}

// A sweep's `set:` section is what every run of `haven sweep` gets; a band varies the ranges around the run on the
// page (its first member is that run), so the section is left out, and said to be.
void note_fixed_left_out(const std::string& sweep_name, const SweepSpec& spec, std::ostream& err) {
  if (spec.fixed.empty()) return;
  std::vector<std::string> set;
  for (const auto& fixed : spec.fixed) set.push_back(fmt::format("{}={}", fixed.path, clip(fixed.value)));
  err << fmt::format(
      "haven serve: note: the band takes only the ranges of {}, not its set: section ({}): a band varies them "
      "around the scenario on the page; to start every session from those values, give them with --set (or "
      "--set-file)\n",
      sweep_name, first_names(set, 3));
}

// The parameter ranges for `scenario` from the first sweep file (by name) in the `sweeps` folder beside it that
// names it and samples ranges (a Latin hypercube or random design); a band may draw parameter values from them.
// A sweep file that does not load is passed over with a note: it does not stop the page.
std::optional<serve::ParameterUncertainty> find_uncertainty(const std::filesystem::path& scenario, std::ostream& err) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto folder = scenario.parent_path() / "sweeps";
  if (!fs::is_directory(folder, error)) return std::nullopt;
  std::vector<fs::path> files;
  for (const auto& item : fs::directory_iterator(folder, error)) {
    if (item.path().extension() == ".yaml" || item.path().extension() == ".yml") files.push_back(item.path());
    if (files.size() > 1000) break;  // bounded: a sweeps folder is a handful of files
  }
  std::sort(files.begin(), files.end());
  const auto wanted = fs::weakly_canonical(scenario, error);
  for (const auto& file : files) {
    // A glance first: the full check loads the scenario once per range end.
    try {
      const YAML::Node doc = YAML::LoadFile(file.string());
      if (!doc["sweep"].IsMap() || !doc["sweep"]["scenario"].IsScalar() || !doc["design"].IsMap()) continue;
      const auto method = doc["design"]["method"].IsScalar() ? doc["design"]["method"].Scalar() : "";
      if (method != "lhs" && method != "random") continue;
      if (fs::weakly_canonical(folder / doc["sweep"]["scenario"].Scalar(), error) != wanted) continue;
    } catch (const YAML::Exception&) {
      continue;
    }
    auto loaded = load_sweep_file(file);
    if (!loaded.spec) {
      err << fmt::format(
          "haven serve: note: {} gives parameter ranges for {} but does not load ({} errors; "
          "haven sweep {} --list shows them): the band varies seeds only\n",
          file.string(), scenario.filename().string(), loaded.diagnostics.error_count(), file.string());
      continue;
    }
    note_fixed_left_out(file.string(), *loaded.spec, err);
    return serve::ParameterUncertainty{file.filename().string(), std::move(*loaded.spec)};
  }
  return std::nullopt;
}

// `--sweep FILE`: its ranges give the band's parameter uncertainty for every scenario served. Checked in full: the
// file loads (sweep checks), samples ranges (a Latin hypercube or random design), and both ends of each range are
// keys every served scenario takes, as --set checks them; each problem located in the sweep file, all at once.
std::optional<serve::ParameterUncertainty> named_uncertainty(const std::string& file,
                                                             const std::vector<serve::ScenarioSource>& scenarios,
                                                             Diagnostics& diagnostics) {
  auto loaded = load_sweep_file(file);
  diagnostics.append(loaded.diagnostics);
  if (!loaded.spec) return std::nullopt;
  const SweepSpec& spec = *loaded.spec;
  if (spec.method != DesignMethod::lhs && spec.method != DesignMethod::random) {
    // Located at `design.method` when the file says it (it loaded, so it parses).
    SourceLocation where{file, 0, 0};
    try {
      const YAML::Node method = YAML::LoadFile(file)["design"]["method"];
      if (method.IsDefined())
        where = {file, static_cast<std::size_t>(method.Mark().line + 1),
                 static_cast<std::size_t>(method.Mark().column + 1)};
    } catch (const YAML::Exception&) {
    }
    diagnostics.error(where, fmt::format("--sweep: design.method is {}, which gives no parameter ranges for the band; "
                                         "give a sweep with method: lhs or random (min and max per parameter)",
                                         to_string(spec.method)));
    return std::nullopt;
  }
  const auto errors_before = diagnostics.error_count();
  std::set<std::string> reported;
  for (const auto& scenario : scenarios) {
    for (std::size_t end = 0; end < 2; ++end) {
      LoadOptions options = scenario.load_options();
      options.want_resolved_yaml = false;
      for (const auto& parameter : spec.parameters) {
        if (parameter.values.size() == 2)
          options.overrides.push_back({parameter.path, parameter.values[end], parameter.origin});
      }
      const auto checked = load_scenario_text(scenario.text, scenario.name, options);
      for (const auto& d : checked.diagnostics.all()) {
        // A problem both ends of a range have is reported once.
        const auto message = fmt::format("--sweep, for {}: {}", scenario.name, d.message);
        if (d.severity == Severity::error &&
            reported.insert(format_diagnostic({d.severity, d.location, message})).second) {
          diagnostics.error(d.location, message);
        }
      }
    }
  }
  if (diagnostics.error_count() > errors_before) return std::nullopt;
  return serve::ParameterUncertainty{std::filesystem::path(file).filename().string(), spec};
}

// `--set-file F` and `--set k=v`, read once: the edits every session starts from. Every problem at once.
serve::StartingPoint starting_point(const std::vector<std::string>& set_files, const std::vector<std::string>& sets,
                                    Diagnostics& diagnostics) {
  serve::StartingPoint start;
  for (const auto& file : set_files) {
    Diagnostics read;
    auto overlay = load_overlay_file(file, read);
    diagnostics.append(read);
    start.files.push_back(file);
    start.file_edits.insert(start.file_edits.end(), overlay.begin(), overlay.end());
  }
  for (const auto& typed : sets) {
    const SourceLocation origin{fmt::format("command line (--set {})", typed.substr(0, 80)), 0, 0};
    const auto eq = typed.find('=');
    if (eq == std::string::npos || eq == 0) {
      diagnostics.error(origin, "expected --set path.to.key=value");
      continue;
    }
    start.typed_sets.push_back(typed);
    start.sets.push_back({typed.substr(0, eq), typed.substr(eq + 1), origin});
  }
  return start;
}

}  // namespace

ServeCommands::ServeCommands(CLI::App& app) {
  serve_ = app.add_subcommand("serve", "Serve the what-if page: edit a scenario in the browser and see the result");
  serve_
      ->add_option("scenarios", args_.scenarios,
                   "Scenario YAML files or Flee conflict folders (the page starts with the first)")
      ->required();
  serve_->add_option("--port", args_.port, "TCP port (default 8765; 0: any free port)")->check(CLI::Range(0, 65535));
  // An empty --host listened on [::1] only while warning that anyone could reach it; an empty --output-dir turned
  // saving off without a word.
  const auto not_empty = [](const char* hint) {
    return CLI::Validator([hint](const std::string& text) { return text.empty() ? std::string(hint) : std::string(); },
                          "", "not empty");
  };
  serve_
      ->add_option("--host", args_.host,
                   "Address to listen on (default 127.0.0.1, this machine only; 0.0.0.0: anyone on the network)")
      ->check(not_empty("empty: give an address, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (anyone)"));
  serve_->add_flag("--open", args_.open, "Open the page in the browser");
  serve_
      ->add_option("--output-dir", args_.output_dir,
                   "Folder where the page may save overlays and scenarios (default: none, downloads only)")
      ->check(not_empty("empty: give the folder the page may save into, or leave --output-dir out (downloads only)"));
  serve_->add_option("--allow-origin", args_.allow_origin,
                     "Allow pages from this origin (e.g. http://localhost:3000) to use the API (default: none)");
  serve_->add_option("--max-run-seconds", args_.max_run_seconds, "Cancel a run after this many seconds (default 20)")
      ->check(CLI::Range(0.01, 3600.0))
      // CLI::Range compares, and every comparison with NaN is false: it would let `nan` through (no limit at all).
      ->check(CLI::Validator(
          [](const std::string& text) {
            return std::isnan(std::strtod(text.c_str(), nullptr)) ? std::string("not a number of seconds")
                                                                  : std::string();
          },
          "", "not NaN"));
  serve_->add_option("--max-members", args_.max_members, "Largest ensemble the page may ask for (default 50)")
      ->check(CLI::Range(2, 1000));
  serve_->add_option("--set-file", args_.set_files,
                     "Start every session from this overlay (e.g. from haven calibrate), as haven run --set-file does");
  serve_->add_option("--set", args_.sets,
                     "Start every session with this value, e.g. --set parameters.onward_base_rate_per_day=0.1 (one per "
                     "--set; after --set-file)");
  serve_->add_option("--sweep", args_.sweep,
                     "Sweep file (method lhs or random) whose ranges give the band's parameter uncertainty (default: "
                     "the first such file, by name, in sweeps/ beside the scenario)");
}

std::optional<int> ServeCommands::dispatch(std::ostream& out, std::ostream& err) {
  if (!serve_->parsed()) return std::nullopt;
  serve::ServeOptions options;
  Diagnostics unreadable;
  for (const auto& path : args_.scenarios) {
    // A Flee conflict folder is served as `haven run` reads it: imported with Flee's rules, departures given.
    std::string text;
    std::filesystem::path table_directory;  // a Flee folder's import holds its tables
    if (flee::is_flee_folder(path)) {
      auto yaml = flee_folder_as_yaml(path, unreadable);
      if (!yaml) continue;
      text = std::move(*yaml);
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in || std::filesystem::is_directory(path)) {
        unreadable.error({path, 0, 0},
                         "cannot read this scenario: give a scenario YAML file or a Flee conflict "
                         "folder (with input_csv/ and source_data/)");
        continue;
      }
      std::ostringstream read;
      read << in.rdbuf();
      text = read.str();
      table_directory = std::filesystem::path(path).parent_path();
    }
    // A folder given with its trailing slash (as a shell completes it) is named by the folder, not "".
    std::filesystem::path named = std::filesystem::path(path).lexically_normal();
    if (named.filename().empty()) named = named.parent_path();
    options.scenarios.push_back({named.filename().string(), std::move(text),
                                 args_.sweep.empty() ? find_uncertainty(path, err) : std::nullopt, path});
    options.scenarios.back().table_directory = table_directory;
  }
  if (!args_.output_dir.empty()) {
    // The folder, or the nearest of its parents that exists (the rest is made when something is first saved), must
    // be a folder: a file there makes every save fail.
    std::error_code error;
    std::filesystem::path existing = std::filesystem::absolute(args_.output_dir, error);
    while (!existing.empty() && !std::filesystem::exists(existing, error) && existing != existing.parent_path())
      existing = existing.parent_path();
    if (std::filesystem::exists(existing, error) && !std::filesystem::is_directory(existing, error)) {
      unreadable.error({fmt::format("command line (--output-dir {})", args_.output_dir.substr(0, 200)), 0, 0},
                       fmt::format("{} is a file, not a folder: give the folder the page may save into (one that "
                                   "does not exist yet is made when something is first saved)",
                                   existing.string()));
    }
  }
  const auto start = starting_point(args_.set_files, args_.sets, unreadable);
  for (auto& scenario : options.scenarios) scenario.start = start;
  if (unreadable.has_errors()) return print_diagnostics(unreadable, err);
  unreadable.print(err);  // the warnings of a Flee folder's import
  if (!args_.sweep.empty()) {
    Diagnostics diagnostics;
    auto uncertainty = named_uncertainty(args_.sweep, options.scenarios, diagnostics);
    if (!uncertainty) return print_diagnostics(diagnostics, err);
    note_fixed_left_out(args_.sweep, uncertainty->spec, err);
    for (auto& scenario : options.scenarios) scenario.uncertainty = uncertainty;
  }
  options.host = args_.host;
  options.port = args_.port;
  options.output_dir = args_.output_dir;
  options.allow_origin = args_.allow_origin;
  options.limits.max_run_seconds = args_.max_run_seconds;
  options.limits.max_ensemble_members = args_.max_members;

  // Handlers first: a SIGTERM that comes as soon as the URL is printed stops the server cleanly too.
  const SignalHandlers handlers;
  serve::Server server(options);
  int port = 0;
  try {
    port = server.start();
  } catch (const InputError& e) {
    return print_diagnostics(e.diagnostics(), err);
  } catch (const std::exception& e) {
    err << "haven: error: " << e.what() << "\n";
    return exit_failure;
  }
  const bool loopback = args_.host == "127.0.0.1" || args_.host == "localhost" || args_.host == "::1";
  if (!loopback) {
    err << fmt::format(
        "haven serve: WARNING: listening on {}: anyone who can reach this machine on port {} can use the page and "
        "run scenarios on it. There is no password. Use --host 127.0.0.1 unless that is what you want.\n",
        args_.host, port);
  }
  const std::string shown_host = args_.host == "0.0.0.0" || args_.host == "::" ? "127.0.0.1" : args_.host;
  // An IPv6 address goes in brackets in a URL (http://[::1]:8765/), or the port reads as part of it.
  const std::string url = shown_host.find(':') != std::string::npos ? fmt::format("http://[{}]:{}/", shown_host, port)
                                                                    : fmt::format("http://{}:{}/", shown_host, port);
  out << fmt::format("haven serve: {} on {} (Ctrl-C to stop)\n", args_.scenarios.front(), url) << std::flush;
  if (!args_.output_dir.empty()) out << fmt::format("haven serve: saving under {}\n", args_.output_dir) << std::flush;

  std::atomic<bool> served{false};
  // Stops the server once it listens (a stop before that would be lost).
  std::thread watcher([&] {
    while (!served) {
      if (stop_requested && server.stop()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  if (args_.open) open_browser(url, err);
  server.serve();
  served = true;
  watcher.join();
  out << "haven serve: stopped\n";
  return exit_ok;
}

}  // namespace haven::app
