// haven serve's routes of files: the session's overlay, edited scenario and report downloaded, and a file saved
// under --output-dir, whole or not at all.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "haven/report/report.hpp"
#include "haven/util/text.hpp"

// Last (httplib.h): see there.
#include "server_impl.hpp"

namespace haven::serve {

namespace {

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

constexpr const char* file_name_rule =
    "at most 64 letters, digits, '_' and '-', starting with a letter or digit; files are written only in the "
    "server's --output-dir";

// A download's file name: NAME-what.ext, NAME the page's Name (`?name=`, as Save names its files) or the scenario's
// own name. Empty, with the answer sent, when the name given is not a plain one.
std::string download_name(const httplib::Request& req, httplib::Response& res, const std::string& source_name,
                          const char* what, const char* extension) {
  if (!req.has_param("name")) {
    return fmt::format("{}-{}.{}", std::filesystem::path(source_name).stem().string(), what, extension);
  }
  const std::string name = req.get_param_value("name");
  if (!safe_file_name(name)) {
    send_error(res, 400, fmt::format("'name' must be a plain file name without extension: {}", file_name_rule));
    return {};
  }
  return fmt::format("{}-{}.{}", name, what, extension);
}

}  // namespace

// Downloads: the overlay, the edited scenario, the report of what is on screen.
void Server::Impl::download_yaml(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry) return;
  std::lock_guard guard(entry->lock);
  const Session& s = entry->session;
  const bool overlay = req.matches[2] == "overlay";
  const std::string file = download_name(req, res, s.source_name(), overlay ? "overlay" : "scenario", "yaml");
  if (file.empty()) return;
  res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}\"", file));
  res.set_content(overlay ? s.overlay_yaml() : s.scenario_yaml(), "application/yaml; charset=utf-8");
}

void Server::Impl::download_report(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry) return;
  std::lock_guard guard(entry->lock);
  const Session& s = entry->session;
  const std::string file = download_name(req, res, s.source_name(), "report", "html");
  if (file.empty()) return;
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
    res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}\"", file));
    res.set_content(html, "text/html; charset=utf-8");
  } catch (const std::exception& e) {
    send_error(res, 500, fmt::format("the report could not be made: {}", e.what()));
  }
}

// Saving on the server: only under --output-dir, under a plain name the request gives.
void Server::Impl::save_on_server(const httplib::Request& req, httplib::Response& res) {
  auto entry = session_or_404(req, res);
  if (!entry) return;
  const auto body = json_body(req, res, {"form", "name", "overwrite"});
  if (!body) return;
  if (options_.output_dir.empty()) {
    send_error(res, 403, "saving on the server is off: start haven serve with --output-dir DIR (or download the file)");
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
    send_error(res, 400, fmt::format("'name' must be a plain file name without extension: {}", file_name_rule));
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
  const std::string run =
      form == "overlay" ? fmt::format("haven run {} --set-file {} -o {}", scenario_arguments, shell_word(path), output)
                        : fmt::format("haven run {} -o {}", shell_word(path), output);
  send_json(
      res, 201,
      json_text(Json{{"saved", name + ".yaml"}, {"path", path}, {"run", run}, {"form", form}, {"bytes", text.size()}}));
}

}  // namespace haven::serve
