#include "haven/sweep/runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/io/output.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/util/csv.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

namespace haven {

namespace fs = std::filesystem;

namespace {

constexpr const char* fingerprint_name = ".haven-sweep";

// FILE.tmp.HOST.PID: written by write_atomically, then renamed over FILE.
fs::path temporary_of(const fs::path& path) {
  return path.string() + fmt::format(".tmp.{}.{}", host_name(), static_cast<long>(::getpid()));
}

// Writes `text` to `path` so that no reader ever sees half of it.
// On failure (a full disk) the temporary file goes and the message names the file and the reason.
void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path temporary = temporary_of(path);
  auto fail = [&](int error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(error)));
  };
  std::FILE* out = std::fopen(temporary.c_str(), "wb");
  if (out == nullptr) fail(errno);
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fflush(out) == 0;
  const int error = errno;
  if (std::fclose(out) != 0 || !written) fail(written ? errno : error);
  std::error_code renamed;
  fs::rename(temporary, path, renamed);
  if (renamed) fail(renamed.value());
}

std::string fingerprint_value(const std::string& text, std::string_view key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(std::string(key) + " ", 0) == 0) return line.substr(key.size() + 1);
  }
  return {};
}

struct Fingerprint {
  std::string plan_sha256, scenario_sha256, created_utc, sweep_file;
  std::string tables_sha256;  // the CSV tables the scenario names; absent in a record written before it was kept
};

Fingerprint read_fingerprint(const std::string& text) {
  return {fingerprint_value(text, "plan_sha256"), fingerprint_value(text, "scenario_sha256"),
          fingerprint_value(text, "created_utc"), fingerprint_value(text, "sweep_file"),
          fingerprint_value(text, "tables_sha256")};
}

// What decides the members' results: the run list and everything each run is made of, not the sweep file's
// comments or layout.
std::string sweep_plan(const SweepSpec& spec) {
  std::string plan = fmt::format("variant {}\nmode {}\ndays {}\n", spec.variant, to_string(spec.mode),
                                 spec.days ? std::to_string(*spec.days) : "all");
  for (const auto& edit : spec.fixed) plan += fmt::format("set {}={}\n", edit.path, edit.value);
  for (const auto& p : spec.parameters) plan += fmt::format("parameter {} {}\n", p.name, p.path);
  for (const auto& m : expand_sweep(spec)) {
    plan += fmt::format("{} {} {} {}", m.index, m.design_point, m.replicate, m.seed);
    for (const auto& v : m.values) plan += " " + v;
    plan += "\n";
  }
  return plan;
}

[[noreturn]] void refuse_directory(const fs::path& directory, const std::string& message) {
  Diagnostics diagnostics;
  diagnostics.error({directory.string(), 0, 0}, message);
  throw InputError(diagnostics);
}

// The temporaries a process of this host killed mid-write (kill -9, a node's power) left of the sweep's own files:
// removed when a sweep goes on in the directory. One of another host, or of a process still alive, is left alone
// (it may be being written now).
void remove_dead_temporaries(const fs::path& directory) {
  const std::string here = host_name();
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(directory, ignored)) {
    const std::string name = entry.path().filename().string();
    for (const char* file : {fingerprint_name, "sweep.yaml", "manifest.csv"}) {
      const std::string prefix = fmt::format("{}.tmp.{}.", file, here);
      if (name.rfind(prefix, 0) != 0) continue;
      long pid = 0;
      const auto digits = std::string_view(name).substr(prefix.size());
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
      if (error != std::errc() || end != digits.data() + digits.size() || pid <= 0) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) fs::remove(entry.path(), ignored);
    }
  }
}

// What a sweep writes in its directory (besides runs/): nothing else there is ever deleted or overwritten.
bool written_by_sweep(const std::string& name) {
  for (const char* file : {fingerprint_name, "sweep.yaml", "manifest.csv", "ensemble.h5"}) {
    if (name == file || name.rfind(std::string(file) + ".tmp", 0) == 0 || name == std::string(file) + ".partial") {
      return true;
    }
  }
  return false;
}
bool written_by_sweep_in_runs(const std::string& name) {
  const auto ends_with = [&](std::string_view end) {
    return name.size() >= end.size() && name.compare(name.size() - end.size(), end.size(), end) == 0;
  };
  return name.rfind("member_", 0) == 0 && (ends_with(".h5") || ends_with(".h5.partial") || ends_with(".failed"));
}

// `--overwrite`: deletes what this sweep wrote (never the sweep file itself, never anything else).
void delete_sweep_files(const SweepSpec& spec, const fs::path& directory) {
  std::error_code same;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (!written_by_sweep(name) || entry.is_directory() || fs::equivalent(entry.path(), spec.file, same)) continue;
    fs::remove(entry.path());
  }
  const fs::path runs = directory / "runs";
  if (!fs::is_directory(runs)) return;
  for (const auto& entry : fs::directory_iterator(runs)) {
    if (written_by_sweep_in_runs(entry.path().filename().string()) && !entry.is_directory()) fs::remove(entry.path());
  }
  if (fs::is_empty(runs)) fs::remove(runs);
}

// The CSV tables the scenario names (nodes: {csv: ...}), each under its path relative to the scenario file: kept
// apart from the file's own digest, so that a record written before tables were counted still resumes.
std::string tables_digest(const SweepSpec& spec) {
  LoadOptions options;
  options.variant = spec.variant;
  options.variant_origin = spec.variant_origin;
  const auto tables = load_scenario_file(spec.scenario, options).table_files;
  std::string text;
  for (const auto& table : tables) {
    std::error_code error;
    const auto content = fs::exists(table, error) ? read_whole_file(table) : std::string("(missing)");
    text += fmt::format("# table {} ({} bytes)\n", table.lexically_relative(spec.scenario.parent_path()).string(),
                        content.size());
    text += content;
  }
  return sha256_hex(text);
}

// Creates the directory, or checks that it holds this same sweep; returns the sweep's creation record. A
// directory that holds no sweep (no fingerprint) is used only if nothing in it would be overwritten, and
// --overwrite starts again only a directory that holds a sweep.
Fingerprint prepare_directory(const SweepSpec& spec, const fs::path& directory, bool overwrite) {
  const std::string sweep_text = read_whole_file(spec.file);
  Fingerprint here{sha256_hex(sweep_plan(spec)), sha256_hex(read_whole_file(spec.scenario)), utc_now_iso(),
                   // Absolute: gather may run from elsewhere (a sweep killed before its manifest rebuilds it from
                   // this file).
                   fs::absolute(spec.file).lexically_normal().string(), tables_digest(spec)};
  if (fs::exists(directory) && !fs::is_directory(directory)) {
    refuse_directory(directory, "this is a file, not a directory: give the sweep a directory with -o");
  }
  if (fs::is_directory(directory) && !fs::exists(directory / fingerprint_name)) {
    std::vector<std::string> in_the_way;
    bool empty = true;
    std::error_code same;
    for (const auto& entry : fs::directory_iterator(directory)) {
      const std::string name = entry.path().filename().string();
      if (fs::equivalent(entry.path(), spec.file, same)) continue;  // `output: .` next to the sweep file
      if (name == "runs" && fs::is_directory(entry.path()) && fs::is_empty(entry.path())) continue;
      // Another share of the same sweep starting now, writing the fingerprint.
      if (name.rfind(std::string(fingerprint_name) + ".tmp", 0) == 0) continue;
      empty = false;
      if (written_by_sweep(name)) in_the_way.push_back(name);
      if (name == "runs" && fs::is_directory(entry.path())) {
        for (const auto& run : fs::directory_iterator(entry.path())) {
          if (!run.is_directory() && written_by_sweep_in_runs(run.path().filename().string())) {
            in_the_way.push_back("runs/member_*");
            break;
          }
        }
      }
    }
    // Another share of the same sweep (an array task, an MPI rank) may have written the fingerprint, then
    // sweep.yaml, while this one listed the directory: what it wrote is then that sweep's, checked below.
    const bool started_meanwhile = fs::exists(directory / fingerprint_name);
    if (started_meanwhile) {
      in_the_way.clear();
      empty = true;
    }
    if (overwrite && !empty) {
      refuse_directory(directory,
                       "--overwrite starts again only a sweep's own directory, and this one holds no sweep (no "
                       ".haven-sweep) and is not empty; nothing was deleted. Give -o a new or empty directory");
    }
    if (!in_the_way.empty()) {
      refuse_directory(directory, fmt::format("this directory holds no sweep (no .haven-sweep) but has {}, which the "
                                              "sweep would overwrite; give -o a new or empty directory",
                                              fmt::join(in_the_way, ", ")));
    }
  }
  if (overwrite && fs::exists(directory / fingerprint_name)) delete_sweep_files(spec, directory);
  fs::create_directories(directory / "runs");
  const fs::path record = directory / fingerprint_name;
  if (fs::exists(record)) {
    remove_dead_temporaries(directory);
    const Fingerprint there = read_fingerprint(read_whole_file(record));
    std::string changed;
    if (there.plan_sha256 != here.plan_sha256) changed = fmt::format("the sweep ({})", spec.file.string());
    if (there.scenario_sha256 != here.scenario_sha256) {
      changed += fmt::format("{}the scenario ({})", changed.empty() ? "" : " and ", spec.scenario.string());
    } else if (!there.tables_sha256.empty() && there.tables_sha256 != here.tables_sha256) {
      changed +=
          fmt::format("{}a CSV table the scenario names ({})", changed.empty() ? "" : " and ", spec.scenario.string());
    }
    if (!changed.empty()) {
      Diagnostics diagnostics;
      diagnostics.error({directory.string(), 0, 0},
                        fmt::format("this directory holds a sweep started on {} from another version of {}; "
                                    "pass --overwrite to start again, or -o to write elsewhere",
                                    there.created_utc, changed));
      throw InputError(diagnostics);
    }
    return there;
  }
  write_atomically(
      record,
      fmt::format("plan_sha256 {}\nscenario_sha256 {}\ncreated_utc {}\nsweep_file {}\ntables_sha256 {}\n",
                  here.plan_sha256, here.scenario_sha256, here.created_utc, here.sweep_file, here.tables_sha256));
  if (!fs::exists(directory / "sweep.yaml")) write_atomically(directory / "sweep.yaml", sweep_text);
  // Another process of the same sweep may have written the record first; its creation time is the sweep's.
  return read_fingerprint(read_whole_file(record));
}

fs::path failed_note(const fs::path& file) {
  return fs::path(file).replace_extension(".failed");
}
fs::path partial_file(const fs::path& file) {
  return fs::path(file.string() + ".partial");
}

// Scenario loads are shared between the replicates of a design point; a few recent points are kept.
class DesignPointCache {
 public:
  explicit DesignPointCache(const SweepSpec& spec, std::size_t capacity) : spec_(spec), capacity_(capacity) {}

  std::shared_ptr<const LoadResult> get(const SweepMember& member) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = loaded_.find(member.design_point); it != loaded_.end()) return it->second;
    }
    auto result =
        std::make_shared<const LoadResult>(load_scenario_file(spec_.scenario, member_load_options(spec_, member)));
    std::lock_guard lock(mutex_);
    if (loaded_.size() >= capacity_) loaded_.erase(loaded_.begin());
    loaded_.emplace(member.design_point, result);
    return result;
  }

 private:
  const SweepSpec& spec_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::map<std::int64_t, std::shared_ptr<const LoadResult>> loaded_;
};

std::string values_attribute(const SweepSpec& spec, const SweepMember& member) {
  std::string text;
  for (std::size_t j = 0; j < spec.parameters.size(); ++j) {
    text += fmt::format("{}{}={}", j ? "; " : "", spec.parameters[j].name, member.values[j]);
  }
  return text;
}

// HDF5 serialises every call behind one global lock anyway (Debian builds it thread-safe): files are written
// under this lock, so a run never waits mid-file on another run.
std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

const char* to_string(MemberStatus status) noexcept {
  switch (status) {
    case MemberStatus::pending:
      return "pending";
    case MemberStatus::done:
      return "done";
    case MemberStatus::failed:
      return "failed";
  }
  return "?";
}

fs::path sweep_directory(const SweepSpec& spec, const fs::path& override_path) {
  if (!override_path.empty()) return override_path;
  if (!spec.output.empty()) return spec.output;
  return fs::path("output") / spec.name;
}

fs::path member_file(const fs::path& directory, std::int64_t members, std::int64_t index) {
  const std::size_t width = std::max<std::size_t>(4, fmt::format("{}", std::max<std::int64_t>(members - 1, 0)).size());
  return directory / "runs" / fmt::format("member_{:0{}}.h5", index, width);
}

namespace {

// Whether `file` is member `member`'s run, whole: it opens, and says it is that member, run with its seed (as gather
// checks it). A damaged file, or another member's copied over it, is run again.
bool holds_member(const fs::path& file, std::int64_t member, std::uint64_t seed) {
  try {
    auto h5file = h5::File::open_read_only(file);
    if (h5::has_attribute(h5file.id(), "sweep_member") &&
        h5::read_string_attribute(h5file.id(), "sweep_member") != std::to_string(member)) {
      return false;
    }
    return !h5::has_attribute(h5file.id(), "seed") || h5::read_attribute<std::uint64_t>(h5file.id(), "seed") == seed;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::vector<MemberStatus> member_statuses(const fs::path& directory, std::int64_t members,
                                          std::vector<std::string>* errors) {
  std::vector<MemberStatus> statuses(static_cast<std::size_t>(members), MemberStatus::pending);
  if (errors) errors->assign(static_cast<std::size_t>(members), std::string());
  for (std::int64_t i = 0; i < members; ++i) {
    const fs::path file = member_file(directory, members, i);
    // The note first: a run removes it when it starts, so a note says the member's latest run failed, even where
    // the file an earlier run wrote is kept beside it (a re-run replaces the file only once it is whole).
    if (const fs::path note = failed_note(file); fs::exists(note)) {
      statuses[static_cast<std::size_t>(i)] = MemberStatus::failed;
      if (errors) {
        std::string message = read_whole_file(note);
        while (!message.empty() && message.back() == '\n') message.pop_back();
        (*errors)[static_cast<std::size_t>(i)] = message;
      }
    } else if (fs::is_regular_file(file)) {
      statuses[static_cast<std::size_t>(i)] = MemberStatus::done;
    }
  }
  return statuses;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(csv_unguarded(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(csv_unguarded(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty() || !row.empty()) {
    row.push_back(csv_unguarded(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

void write_manifest(const SweepSpec& spec, const std::vector<SweepMember>& members, const fs::path& directory) {
  const auto total = static_cast<std::int64_t>(members.size());
  std::vector<std::string> errors;
  const auto statuses = member_statuses(directory, total, &errors);
  std::vector<std::string> names;
  for (const auto& p : spec.parameters) names.push_back(p.name);
  std::vector<ManifestEntry> entries;
  for (const auto& m : members) {
    const auto i = static_cast<std::size_t>(m.index);
    const fs::path file = member_file(directory, total, m.index).lexically_relative(directory);
    entries.push_back({m, file.string(), to_string(statuses[i]), errors[i]});
  }
  write_manifest_entries(directory, names, entries);
}

void recover_manifest(const fs::path& directory) {
  const fs::path record = directory / fingerprint_name;
  auto refuse = [&](const std::string& message) {
    Diagnostics diagnostics;
    diagnostics.error({directory.string(), 0, 0}, message);
    throw InputError(diagnostics);
  };
  if (!fs::exists(record)) {
    refuse(
        fmt::format("no manifest.csv and no {} here; is this a sweep's output directory? (haven sweep writes "
                    "them)",
                    fingerprint_name));
  }
  const std::string text = read_whole_file(record);
  const std::string plan = fingerprint_value(text, "plan_sha256");
  std::vector<fs::path> candidates;
  const fs::path recorded = fingerprint_value(text, "sweep_file");
  if (!recorded.empty()) candidates.push_back(recorded);
  candidates.push_back(directory / "sweep.yaml");
  std::vector<std::string> tried;
  for (const auto& candidate : candidates) {
    if (!fs::exists(candidate)) {
      tried.push_back(fmt::format("{} (not there)", candidate.string()));
      continue;
    }
    // The copy's paths (its scenario) are relative to where the sweep file was, not to the copy.
    const bool copy = candidate == directory / "sweep.yaml";
    const auto loaded =
        load_sweep_file(candidate, copy && recorded.is_absolute() ? recorded.parent_path() : fs::path());
    if (!loaded.spec) {
      tried.push_back(fmt::format("{} (does not load: {})", candidate.string(),
                                  loaded.diagnostics.all().empty()
                                      ? std::string("errors")
                                      : format_diagnostic(loaded.diagnostics.all().front())));
      continue;
    }
    if (sha256_hex(sweep_plan(*loaded.spec)) != plan) {
      tried.push_back(fmt::format("{} (another sweep: its run list differs)", candidate.string()));
      continue;
    }
    write_manifest(*loaded.spec, expand_sweep(*loaded.spec), directory);
    return;
  }
  refuse(
      fmt::format("no manifest.csv (the sweep was stopped before writing it), and its sweep file cannot be "
                  "found to rebuild it: tried {}. Run the sweep again from where it was started (it resumes "
                  "and writes the manifest)",
                  fmt::join(tried, "; ")));
}

void write_manifest_entries(const fs::path& directory, const std::vector<std::string>& parameter_names,
                            const std::vector<ManifestEntry>& entries) {
  std::string text = "member,design_point,replicate,seed";
  for (const auto& name : parameter_names) text += "," + csv_field(name);
  text += ",path,status,error\n";
  for (const auto& e : entries) {
    const auto& m = e.member;
    text += fmt::format("{},{},{},{}", m.index, m.design_point, m.replicate, seed_hex(m.seed));
    for (const auto& value : m.values) text += "," + csv_field(value);
    text += fmt::format(",{},{},{}\n", csv_field(e.path), e.status, csv_field(e.error));
  }
  write_atomically(directory / "manifest.csv", text);
}

namespace {
Fingerprint prepare_or_explain(const SweepSpec& spec, const fs::path& directory, bool overwrite) {
  try {
    return prepare_directory(spec, directory, overwrite);
  } catch (const fs::filesystem_error& e) {  // a read-only or full disk: one line, the directory and why
    throw std::runtime_error(fmt::format("cannot write {}: {}", directory.string(), e.code().message()));
  }
}
}  // namespace

void prepare_sweep_directory(const SweepSpec& spec, const SweepRunOptions& options) {
  prepare_or_explain(spec, sweep_directory(spec, options.output), options.overwrite);
}

SweepOutcome run_sweep(const SweepSpec& spec, const SweepRunOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  SweepOutcome outcome;
  outcome.directory = sweep_directory(spec, options.output);
  const Fingerprint record = prepare_or_explain(spec, outcome.directory, options.overwrite);
  const std::vector<SweepMember> members = expand_sweep(spec);
  outcome.members = static_cast<std::int64_t>(members.size());
  for (auto index : options.only) {
    if (index < 0 || index >= outcome.members) {
      Diagnostics diagnostics;
      diagnostics.error(
          {"command line (--members)", 0, 0},
          fmt::format("member {} does not exist: the sweep has members 0 to {}", index, outcome.members - 1));
      throw InputError(diagnostics);
    }
  }
  const std::set<std::int64_t> only(options.only.begin(), options.only.end());

  // What this process runs: its share, minus what is done (unless named with --members: then it is run again).
  const auto statuses = member_statuses(outcome.directory, outcome.members);
  std::vector<const SweepMember*> pending;
  for (const auto& m : members) {
    if (!options.share.owns(m.index)) continue;
    // A partial file is what a killed run of this share left (other shares may be writing theirs now).
    std::error_code ignored;
    fs::remove(partial_file(member_file(outcome.directory, outcome.members, m.index)), ignored);
    if (!only.empty() && !only.count(m.index)) continue;
    ++outcome.in_share;
    // A file appears only whole (.partial, then renamed), but a disk may damage it, a copy cut it short or put
    // another member's run in its place: one that HDF5 cannot open, or that is not this member's, is run again,
    // which gather (calling it broken) would otherwise ask for in vain.
    if (statuses[static_cast<std::size_t>(m.index)] == MemberStatus::done && only.empty() &&
        holds_member(member_file(outcome.directory, outcome.members, m.index), m.index, m.seed)) {
      ++outcome.skipped;
      continue;
    }
    pending.push_back(&m);
  }

  // Many runs: one run per thread. Few: threads inside each run. The results are the same either way.
  const int threads = std::max(1, options.threads);
  const bool across_runs = static_cast<int>(pending.size()) >= threads || threads == 1;
  const int threads_per_run = across_runs ? 1 : threads;
  DesignPointCache cache(spec, static_cast<std::size_t>(2 * threads + 2));

  std::atomic<std::int64_t> done{0}, failed{0};
  std::mutex progress_mutex;
  auto report = [&] {
    if (!options.progress) return;
    std::lock_guard lock(progress_mutex);
    options.progress({done.load(), static_cast<std::int64_t>(pending.size()), failed.load(),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
  };
  report();

  auto run_member = [&](const SweepMember& m) {
    const fs::path file = member_file(outcome.directory, outcome.members, m.index);
    std::error_code ignored;
    fs::remove(failed_note(file), ignored);
    fs::remove(partial_file(file), ignored);
    try {
      const auto loaded = cache.get(m);
      if (!loaded->scenario) throw InputError(loaded->diagnostics);
      const Scenario& scenario = *loaded->scenario;
      RunConfig config;
      config.seed = m.seed;
      config.mode = spec.mode;
      config.threads = threads_per_run;
      config.days = spec.days;
      Provenance provenance{fmt::format("haven sweep {} --members {}", record.sweep_file, m.index),
                            loaded->resolved_yaml,
                            record.created_utc,
                            {}};
      provenance.attributes = {{"sweep_name", spec.name},
                               {"sweep_member", std::to_string(m.index)},
                               {"sweep_design_point", std::to_string(m.design_point)},
                               {"sweep_replicate", std::to_string(m.replicate)},
                               {"sweep_values", values_attribute(spec, m)}};
      Simulation simulation(scenario, config);
      if (across_runs) {
        // Simulate in memory, then write under the HDF5 lock, so runs never wait on each other's I/O mid-run.
        MemoryRecorder recorder;
        simulation.add_observer(recorder);
        simulation.run();
        std::lock_guard lock(hdf5_mutex());
        Hdf5Writer writer(file, scenario, provenance);
        recorder.replay(writer);
      } else {
        std::lock_guard lock(hdf5_mutex());
        Hdf5Writer writer(file, scenario, provenance);
        simulation.add_observer(writer);
        simulation.run();
      }
    } catch (const std::exception& e) {
      std::string message = e.what();
      if (const auto* input = dynamic_cast<const InputError*>(&e)) {
        std::ostringstream text;
        input->diagnostics().print(text);
        message = text.str();
      }
      std::replace(message.begin(), message.end(), '\n', ' ');
      while (!message.empty() && message.back() == ' ') message.pop_back();
      std::ofstream(failed_note(file)) << message << "\n";
      ++failed;
    }
    ++done;
    report();
  };

  if (across_runs) {
    const auto count = static_cast<std::int64_t>(pending.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t k = 0; k < count; ++k) run_member(*pending[static_cast<std::size_t>(k)]);
  } else {
    for (const auto* m : pending) run_member(*m);
  }
  outcome.failed = failed.load();
  outcome.ran = done.load() - outcome.failed;
  if (options.write_manifest) {
    try {
      write_manifest(spec, members, outcome.directory);
    } catch (const std::exception& e) {
      outcome.manifest_error = e.what();
    }
  }
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return outcome;
}

}  // namespace haven
