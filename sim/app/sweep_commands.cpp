#include "sweep_commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <vector>

#include "cli.hpp"
#include "common.hpp"
#include "haven/analysis/calibrate.hpp"
#include "haven/analysis/suite_calibration.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/io/output.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/scenario/load.hpp"
#include "haven/sweep/gather.hpp"
#include "haven/sweep/mpi.hpp"
#include "haven/sweep/runner.hpp"
#include "haven/util/csv.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

namespace haven::app {

namespace {

// A value echoed back in a message, cut short when long.
std::string shorten(const std::string& text, std::size_t limit) {
  return text.size() <= limit ? text : text.substr(0, limit - 3) + "...";
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long>(std::lround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// The progress bar: redrawn in place on a terminal; on a log (Slurm, CI), one line per tenth of the work.
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, std::string label) : err_(err), label_(std::move(label)), tty_(isatty(2) != 0) {}

  void operator()(const SweepProgress& p) {
    if (p.total == 0) return;
    const double rate = p.elapsed_seconds > 0 ? static_cast<double>(p.done) / p.elapsed_seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(p.total - p.done) / rate : NAN;
    const int width = 24;
    const auto filled = static_cast<int>(width * p.done / p.total);
    const std::string line = fmt::format(
        "{}[{}{}] {}/{} runs  {:.1f} runs/s  ETA {}{}", label_, std::string(static_cast<std::size_t>(filled), '#'),
        std::string(static_cast<std::size_t>(width - filled), '-'), p.done, p.total, rate,
        p.done == p.total ? "0:00" : duration_text(eta), p.failed ? fmt::format("  {} failed", p.failed) : "");
    if (tty_) {
      err_ << "\r" << line << (p.done == p.total ? "\n" : "") << std::flush;
      return;
    }
    const auto tenth = p.done * 10 / p.total;
    if (p.done == p.total || tenth > last_tenth_) {
      last_tenth_ = tenth;
      err_ << line << "\n" << std::flush;
    }
  }

 private:
  std::ostream& err_;
  std::string label_;
  bool tty_;
  std::int64_t last_tenth_ = 0;
};

}  // namespace

MemberList parse_member_list(const std::string& text, std::int64_t members) {
  MemberList list;
  const std::string malformed =
      fmt::format("--members {}: expected member numbers and ranges, e.g. 3,10-12", shorten(text, 80));
  auto number = [](const std::string& part) -> std::optional<std::int64_t> {
    std::int64_t value = 0;
    const char* end = part.data() + part.size();
    const auto [ptr, ec] = std::from_chars(part.data(), end, value);
    if (part.empty() || part[0] == '-' || ptr != end || ec != std::errc()) return std::nullopt;
    return value;
  };
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    const auto dash = part.find('-');
    const auto lo = number(part.substr(0, dash));
    const auto hi = dash == std::string::npos ? lo : number(part.substr(dash + 1));
    if (!lo || !hi) return {{}, malformed};
    if (*hi < *lo) return {{}, fmt::format("--members {}: the range {} runs backwards", shorten(text, 80), part)};
    if (*hi >= members) {
      return {{},
              fmt::format("--members {}: member {} does not exist; the sweep has members 0 to {}", shorten(text, 80),
                          *hi, members - 1)};
    }
    ranges.emplace_back(*lo, *hi);
    start = end + 1;
  }
  // Each range lies within the sweep: marking members costs at most one byte per member, however many ranges.
  std::vector<char> chosen(static_cast<std::size_t>(members), 0);
  for (const auto& [lo, hi] : ranges) {
    std::fill(chosen.begin() + static_cast<std::ptrdiff_t>(lo), chosen.begin() + static_cast<std::ptrdiff_t>(hi) + 1,
              1);
  }
  for (std::int64_t i = 0; i < members; ++i) {
    if (chosen[static_cast<std::size_t>(i)]) list.members.push_back(i);
  }
  return list;
}

SweepCommands::SweepCommands(CLI::App& app) {
  auto& s = sweep_args_;
  sweep_ = app.add_subcommand("sweep", "Run a parameter sweep or ensemble: one HDF5 file per member, resumable");
  sweep_->add_option("file", s.file, "Sweep file (YAML; see scenarios/sweeps/)")->required();
  sweep_->add_option("-j,--threads", s.threads, "Threads (default: OMP_NUM_THREADS, else all cores)")
      ->check(CLI::Range(1, 4096));
  sweep_->add_option("--task-id", s.task_id, "This Slurm array task's share (default: SLURM_ARRAY_TASK_ID)")
      ->check(CLI::Range(0, 10'000'000));
  sweep_->add_option("--tasks", s.tasks, "Shares in all (default: SLURM_ARRAY_TASK_COUNT, else 1)")
      ->check(CLI::Range(1, 10'000'000));
  sweep_->add_option("--members", s.members, "Run only these members, again if done (e.g. 3,10-12)")
      ->check(CLI::Validator(
          [](const std::string& value) {
            return value.empty() ? std::string(
                                       "names no member; give numbers and ranges (e.g. 3,10-12), or leave "
                                       "it out to run every member")
                                 : std::string();
          },
          ""));
  sweep_->add_option("-o,--output", s.output, "Output directory (default: the sweep's, else output/<name>)")
      ->check(names_a_path());
  sweep_->add_flag("--overwrite", s.overwrite,
                   "Delete what this sweep wrote in the output directory (runs, manifest, ensemble) and start again");
  sweep_->add_flag("--list", s.list, "Print the run list (CSV) and stop");
  sweep_->add_flag("--print-directory", s.print_directory,
                   "Print the output directory (-o, else the sweep's output:, else output/<name>) and stop (for "
                   "scripts: tools/slurm/submit.sh)");
  sweep_->add_flag("-q,--quiet", s.quiet, "No progress bar");

  auto& g = gather_args_;
  gather_ = app.add_subcommand("gather", "Gather a sweep's run files into ensemble.h5 (member dimension, summaries)");
  gather_->add_option("directory", g.directory, "The sweep's output directory")->required();
  gather_->add_flag("--allow-missing", g.allow_missing,
                    "Gather despite missing, failed or broken members (their status says so; values masked)");
  gather_->add_flag("--materialize", g.materialize,
                    "Copy the members' series into ensemble.h5 (a standalone file that can be moved or shared "
                    "without runs/) instead of virtual datasets over runs/*.h5");

  auto& c = calibrate_args_;
  calibrate_ = app.add_subcommand(
      "calibrate", "Fit parameters to the scenario's observations, or to every case of a validation suite (NLopt)");
  calibrate_->add_option("scenario", c.scenario, "Scenario YAML file (with observations); or --suite FILE");
  calibrate_->add_option("--param", c.params, "NAME=LOW:HIGH to fit, e.g. threat_kernel_km=0.5:3 (repeat)")
      ->required()
      ->take_all();
  calibrate_->add_option("--variant", c.variant, "Apply the named what-if variant")->check(names_a_variant());
  calibrate_->add_option("--set", c.sets, "Override a value")->take_all();
  calibrate_->add_option("--set-file", c.set_files, "Apply an overlay file first")->check(CLI::ExistingFile);
  c.runs_option = calibrate_
                      ->add_option("--runs", c.runs,
                                   "Ensemble members per evaluation (stochastic; with --suite, per case; default 20, "
                                   "with --suite the suite file's)")
                      ->check(CLI::Range(1, 100'000));
  calibrate_->add_option("-j,--threads", c.threads, "Members run in parallel")->check(CLI::Range(1, 4096));
  add_seed_option(*calibrate_, c.seed, "Random seed, decimal or 0x hex (default: the scenario's)");
  calibrate_->add_option("--mode", c.mode, "stochastic or expected")->check(CLI::IsMember({"stochastic", "expected"}));
  calibrate_->add_option("--algorithm", c.algorithm, "bobyqa (default), sbplx, neldermead or cobyla")
      ->check(CLI::IsMember({"bobyqa", "sbplx", "neldermead", "cobyla"}));
  calibrate_->add_option("--max-evals", c.max_evaluations, "Evaluations at most (with --suite: per fit)")
      ->check(CLI::Range(1, 100'000));
  calibrate_->add_option("--from", c.from, "First observation date to fit (YYYY-MM-DD)");
  calibrate_->add_option("--to", c.to, "Last observation date to fit (YYYY-MM-DD)");
  calibrate_
      ->add_option("-o,--output", c.output,
                   "Overlay file to write (default: output/<scenario>-calibrated.yaml; with --suite, "
                   "output/<suite name>-calibrated.yaml)")
      ->check(names_a_path());
  calibrate_->add_flag("--overwrite", c.overwrite, "Replace the overlay file (and the --csv table) if they exist");
  calibrate_->add_flag("-q,--quiet", c.quiet, "Print only the result");
  calibrate_
      ->add_option("--suite", c.suite,
                   "Fit one set of values to every case of a validation suite file (e.g. "
                   "scenarios/validation/suite.yaml) instead of a scenario")
      ->check(CLI::ExistingFile);
  calibrate_->add_option("--cases", c.cases, "With --suite: fit only these cases (comma-separated names)")
      ->delimiter(',');
  calibrate_->add_option("--leave-out", c.leave_out,
                         "With --suite: fit on every case but this one (and its scenario's other cases), score it");
  calibrate_->add_flag("--leave-one-out", c.leave_one_out,
                       "With --suite: fit on all cases, then once without each case; print in-sample and left-out "
                       "errors");
  calibrate_->add_option("--days", c.days, "With --suite: simulate only each case's first N days")
      ->check(CLI::Range(1, 100000));
  calibrate_->add_option("--csv", c.csv, "With --suite: write the per-case table as CSV to this file")
      ->check(names_a_path(", or leave the option out for no CSV"));
}

std::optional<int> SweepCommands::dispatch(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (sweep_->parsed()) return sweep(out, err);
  if (gather_->parsed()) return gather(out, err);
  if (calibrate_->parsed()) return calibrate(argv, out, err);
  return std::nullopt;
}

int SweepCommands::sweep(std::ostream& out, std::ostream& err) {
  const auto& a = sweep_args_;
  auto loaded = load_sweep_file(a.file);
  if (print_diagnostics(loaded.diagnostics, err) != exit_ok) return exit_bad_input;
  const SweepSpec& spec = *loaded.spec;
  if (a.print_directory) {
    out << sweep_directory(spec, a.output).string() << "\n";
    return exit_ok;
  }
  const auto members = expand_sweep(spec);
  if (a.list) {
    out << "member,design_point,replicate,seed";
    for (const auto& p : spec.parameters) out << "," << csv_field(p.name);
    out << "\n";
    for (const auto& m : members) {
      out << fmt::format("{},{},{},{}", m.index, m.design_point, m.replicate, seed_hex(m.seed));
      for (const auto& v : m.values) out << "," << csv_field(v);
      out << "\n";
    }
    return exit_ok;
  }

  SweepRunOptions options;
  options.threads = a.threads > 0 ? a.threads : omp_get_max_threads();
  options.output = a.output;
  options.overwrite = a.overwrite;
  if (!a.members.empty()) {
    auto only = parse_member_list(a.members, static_cast<std::int64_t>(members.size()));
    if (!only.error.empty()) {
      err << fmt::format("haven: error: {}\n", only.error);
      return exit_bad_input;
    }
    options.only = std::move(only.members);
  }
  // Slurm job arrays: the task's share, counted from the array's first index. Each of --task-id and --tasks
  // defaults to the array's own (an sbatch script may pass either), said in a message as where it came from.
  std::string bad_variable;
  const auto slurm = [&bad_variable](const char* name) -> std::optional<int> {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    const std::string_view text(value);
    int number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end != text.data() + text.size()) {
      if (bad_variable.empty()) bad_variable = fmt::format("{}='{}'", name, shorten(std::string(text), 40));
      return std::nullopt;
    }
    return number;
  };
  const auto array_id = slurm("SLURM_ARRAY_TASK_ID");
  const int array_first = slurm("SLURM_ARRAY_TASK_MIN").value_or(0);
  const int array_step = std::max(1, slurm("SLURM_ARRAY_TASK_STEP").value_or(1));
  const auto array_count = slurm("SLURM_ARRAY_TASK_COUNT");
  if (!bad_variable.empty()) {
    err << fmt::format("haven: error: {} is not a whole number; give the share with --task-id K --tasks N\n",
                       bad_variable);
    return exit_bad_input;
  }
  int task = 0;
  std::string task_from;  // where the share came from, for a message
  if (a.task_id) {
    task = *a.task_id;
    task_from = fmt::format("--task-id {}", task);
  } else if (array_id) {
    task = (*array_id - array_first) / array_step;
    task_from = fmt::format("SLURM_ARRAY_TASK_ID={} counted from SLURM_ARRAY_TASK_MIN={}{}", *array_id, array_first,
                            array_step > 1 ? fmt::format(" in steps of {}", array_step) : std::string());
  }
  int tasks = 1;
  std::string tasks_from = "--tasks 1 by default";
  if (a.tasks) {
    tasks = *a.tasks;
    tasks_from = fmt::format("--tasks {}", tasks);
  } else if (array_id && array_count) {
    tasks = *array_count;
    tasks_from = fmt::format("SLURM_ARRAY_TASK_COUNT={}", tasks);
  }
  if (tasks < 1) {
    err << fmt::format("haven: error: {} gives no share; it must be 1 or more\n", tasks_from);
    return exit_bad_input;
  }
  if (task < 0 || task >= tasks) {
    err << fmt::format("haven: error: the task's share {} ({}) is outside 0 to {} ({})\n", task, task_from, tasks - 1,
                       tasks_from);
    return exit_bad_input;
  }
  if (launched_ranks() > 1 && !built_with_mpi()) {
    err << fmt::format(
        "haven: error: started as {} MPI ranks, but this haven was built without MPI: every rank would run the "
        "whole sweep. Rebuild with -DHAVEN_WITH_MPI=ON (cmake --preset mpi), or run without mpirun.\n",
        launched_ranks());
    return exit_bad_input;
  }
  auto mpi = MpiSession::start_if_launched();
  const int rank = mpi ? mpi->rank() : 0;
  const int ranks = mpi ? mpi->size() : 1;
  if (a.overwrite && !a.members.empty()) {
    err << "haven: error: --overwrite starts the whole sweep again, deleting every member's run and the ensemble; "
           "--members alone runs the members it names again, done or not: leave out --overwrite\n";
    return exit_bad_input;
  }
  if (a.overwrite && (tasks > 1 || ranks > 1)) {
    err << "haven: error: --overwrite with several shares would let one delete another's runs; delete the "
           "directory first, then start the shares\n";
    return exit_bad_input;
  }
  options.share = {task * ranks + rank, tasks * ranks};
  options.write_manifest = !mpi;
  std::string label;
  if (tasks > 1) label += fmt::format("task {}/{} ", task, tasks);
  if (ranks > 1) label += fmt::format("rank {}/{} ", rank, ranks);
  ProgressBar bar(err, label);
  if (!a.quiet && rank == 0) options.progress = [&bar](const SweepProgress& p) { bar(p); };

  // Under MPI an error on one rank must not leave the others waiting in a collective: each step's failure is
  // caught, every rank learns of it, and the rank that failed reports it (its message, its exit code).
  const auto attempt = [](auto&& step) -> std::exception_ptr {
    try {
      step();
      return nullptr;
    } catch (...) {
      return std::current_exception();
    }
  };
  if (mpi) {
    // Rank 0 creates (or checks) the directory before the other ranks look at it.
    const auto failure = rank == 0 ? attempt([&] { prepare_sweep_directory(spec, options); }) : nullptr;
    if (mpi->any(failure != nullptr)) {
      if (failure) std::rethrow_exception(failure);
      return exit_failure;
    }
  }
  SweepOutcome outcome;
  const auto failure = attempt([&] { outcome = run_sweep(spec, options); });
  if (!mpi && failure) std::rethrow_exception(failure);
  std::vector<std::int64_t> counts = {outcome.in_share, outcome.skipped, outcome.ran, outcome.failed, failure ? 1 : 0};
  if (mpi) {
    counts = mpi->sum(counts);
    if (counts[4] > 0) {
      if (failure) std::rethrow_exception(failure);
      return exit_failure;
    }
    mpi->barrier();
    if (rank == 0) {
      try {
        write_manifest(spec, members, outcome.directory);
      } catch (const std::exception& e) {
        outcome.manifest_error = e.what();  // said below with the counts; the other ranks are not left waiting
      }
    }
    mpi->barrier();
    if (rank != 0) return counts[3] > 0 ? exit_failure : exit_ok;
  }
  const auto points = design_points(spec);
  out << fmt::format("sweep {}: {} member{} ({} design point{} x {} replicate{}) in {}\n", spec.name,
                     grouped(static_cast<double>(outcome.members)), outcome.members == 1 ? "" : "s", points,
                     points == 1 ? "" : "s", spec.replicates, spec.replicates == 1 ? "" : "s",
                     outcome.directory.string());
  std::string share = "this process";
  if (tasks > 1 || ranks > 1)
    share = fmt::format("share{}{}", tasks > 1 ? fmt::format(" task {} of {}", task, tasks) : "",
                        ranks > 1 ? fmt::format(" over {} ranks", ranks) : "");
  out << fmt::format("{}: {} member{}, {} already done, ran {}, failed {} in {:.1f} s\n", share, counts[0],
                     counts[0] == 1 ? "" : "s", counts[1], counts[2], counts[3], outcome.seconds);
  if (counts[3] > 0) {
    err << fmt::format(
        "haven: {} run{} failed (status 'failed' in manifest.csv, with the error); run the same command again to "
        "retry {}\n",
        counts[3], counts[3] == 1 ? "" : "s", counts[3] == 1 ? "it" : "them");
  }
  if (!outcome.manifest_error.empty()) {
    // The counts above are what the runs did; the manifest that would list them is what failed (a full disk).
    err << fmt::format(
        "haven: error: {}; the members' run files are in {}; run the same command again once it can "
        "be written\n",
        outcome.manifest_error, (outcome.directory / "runs").string());
    return exit_failure;
  }
  out << fmt::format("manifest: {}\n", (outcome.directory / "manifest.csv").string());
  // A gather from before these runs: its members' status and its summaries are the old ones (and, materialized, its
  // series too). Said here, where the user still looks; the file is theirs to gather again.
  const std::filesystem::path ensemble = outcome.directory / "ensemble.h5";
  if (counts[2] > 0 && std::filesystem::exists(ensemble)) {
    err << fmt::format(
        "haven: warning: {} was gathered before the {} run{} just made; its members' status and summaries may be out "
        "of date until you run `haven gather {}`\n",
        ensemble.string(), counts[2], counts[2] == 1 ? "" : "s", outcome.directory.string());
  }
  if (counts[3] > 0) return exit_failure;
  return exit_ok;
}

int SweepCommands::gather(std::ostream& out, std::ostream& err) {
  const auto& a = gather_args_;
  GatherOptions options;
  options.allow_missing = a.allow_missing;
  options.materialize = a.materialize;
  // What the gather replaces: a standalone (materialized) ensemble that becomes one reading the run files is said,
  // for whoever moves it away from runs/ next.
  std::string replaced_stored;
  if (const auto previous = std::filesystem::path(a.directory) / "ensemble.h5"; std::filesystem::exists(previous)) {
    try {
      if (is_ensemble_file(previous)) replaced_stored = read_ensemble_file(previous, false).members_stored;
    } catch (const std::exception&) {
      // A damaged old ensemble is simply replaced.
    }
  }
  const GatherOutcome outcome = gather_sweep(a.directory, options);
  const std::size_t shown = 20;
  for (std::size_t k = 0; k < outcome.problems.size() && k < shown; ++k) {
    const auto& p = outcome.problems[k];
    err << fmt::format("member {}: {}: {}\n", p.member, p.status, p.detail);
  }
  if (outcome.problems.size() > shown) err << fmt::format("... and {} more\n", outcome.problems.size() - shown);
  if (!outcome.written) {
    if (outcome.usable == 0) {
      err << fmt::format("haven: error: no usable member in {}; nothing gathered\n", a.directory);
    } else {
      // A broken member's file opens but is not the member's (or not whole): a resumed sweep takes it as done, so
      // it is named to run again.
      std::vector<std::string> broken;
      for (const auto& p : outcome.problems)
        if (p.status == "broken") broken.push_back(fmt::format("{}", p.member));
      err << fmt::format(
          "haven: error: {} of {} members are not usable; nothing gathered. Re-run the sweep to finish them{}, or "
          "pass --allow-missing to gather the {} usable one{}.\n",
          outcome.problems.size(), outcome.members,
          broken.empty()
              ? ""
              : fmt::format(" (the broken ones with --members {}, which runs them again)", fmt::join(broken, ",")),
          outcome.usable, outcome.usable == 1 ? "" : "s");
    }
    return exit_failure;
  }
  out << fmt::format("wrote {}: {} members ({} usable)\n", outcome.file.string(), outcome.members, outcome.usable);
  if (replaced_stored == "materialized" && !a.materialize) {
    err << fmt::format(
        "haven: warning: the {} it replaced stood alone (gathered with --materialize); this one reads the members' "
        "series from runs/: gather with --materialize again for a file to move or share\n",
        outcome.file.filename().string());
  }
  // The headline: the last day's cumulative displacement over members.
  auto file = h5::File::open_read_only(outcome.file);
  if (file.has("cumulative_displaced_quantiles")) {
    const auto q = h5::read<double>(file.open_dataset("cumulative_displaced_quantiles").id());
    const auto mean = h5::read<double>(file.open_dataset("cumulative_displaced_mean").id());
    const auto days = h5::read<std::int32_t>(file.open_dataset("time").id());
    if (!mean.empty()) {
      const std::size_t t = mean.size() - 1;
      const std::string start = h5::has_attribute(file.id(), "start_date")
                                    ? h5::read_string_attribute(file.id(), "start_date")
                                    : std::string();
      std::string when = fmt::format("day {}", days[t]);
      if (auto date = parse_iso_date(start)) when = format_iso_date(add_days(*date, days[t]));
      out << fmt::format("cumulative displaced on {}: mean {}, median {}, 5-95% {} to {}\n", when, grouped(mean[t]),
                         grouped(q[mean.size() + t]), grouped(q[t]), grouped(q[2 * mean.size() + t]));
    }
  }
  out << "open it in Python: haven_io.open_sweep(path) (tools/python/haven_io.py)\n";
  return exit_ok;
}

namespace {

// The --param list: each parsed and checked, none twice; nullopt after saying everything that is wrong.
// `errors`, when given, counts what was said.
std::optional<std::vector<CalibrationParameter>> parse_parameters(const std::vector<std::string>& texts,
                                                                  std::ostream& err, std::size_t* errors = nullptr) {
  std::vector<CalibrationParameter> parameters;
  bool failed = false;
  for (const auto& text : texts) {
    std::string error;
    auto parameter = parse_calibration_parameter(text, error);
    if (!parameter) {
      err << "haven: error: " << error << "\n";
      failed = true;
      if (errors) ++*errors;
      continue;
    }
    const auto earlier = std::find_if(parameters.begin(), parameters.end(),
                                      [&](const CalibrationParameter& p) { return p.path == parameter->path; });
    if (earlier != parameters.end()) {
      err << fmt::format("haven: error: --param {} and --param {} fit the same value ({}); give it once\n",
                         earlier->name, parameter->name, parameter->path);
      failed = true;
      if (errors) ++*errors;
      continue;
    }
    parameters.push_back(*parameter);
  }
  if (failed) return std::nullopt;
  return parameters;
}

// Whole or not at all: written beside, then renamed over the file.
// One line of a calibration's progress table (single scenario or suite): the evaluation, its values, its error and
// the best so far, starred when this one is the best.
void print_step(std::ostream& out, const CalibrationStep& step) {
  std::string line = fmt::format("{:>5}", step.evaluation);
  for (double v : step.values) line += fmt::format("  {:>14.6g}", v);
  out << line << fmt::format("  {:>9.5f}  {:>9.5f}{}\n", step.error, step.best_error, step.best ? " *" : "")
      << std::flush;
}

// What went wrong ("cannot write F: No space left on device"); nullopt when the file was written.
std::optional<std::string> write_whole(const std::filesystem::path& path, const std::string& text) {
  try {
    write_whole_file(path, text);
    return std::nullopt;
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

}  // namespace

int SweepCommands::calibrate(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const auto& a = calibrate_args_;
  if (!a.suite.empty()) return calibrate_suite(argv, out, err);
  for (const auto& [given, option] :
       {std::pair{!a.cases.empty(), "--cases"}, std::pair{!a.leave_out.empty(), "--leave-out"},
        std::pair{a.leave_one_out, "--leave-one-out"}, std::pair{a.days.has_value(), "--days"},
        std::pair{!a.csv.empty(), "--csv"}}) {
    if (given) {
      err << fmt::format(
          "haven calibrate: {} works on a suite's cases; it needs --suite FILE; see 'haven calibrate "
          "--help'\n",
          option);
      return exit_bad_input;
    }
  }
  if (a.scenario.empty()) {
    err << "haven calibrate: missing scenario (a scenario file with observations, or --suite FILE); see 'haven "
           "calibrate --help'\n";
    return exit_bad_input;
  }
  // Every mistake at once: the --param list, the dates' form and the scenario with its --set and --set-file.
  std::size_t option_errors = 0;
  const auto parsed = parse_parameters(a.params, err, &option_errors);
  for (const auto* text : {&a.from, &a.to}) {
    if (!text->empty() && !parse_iso_date(*text)) {
      err << fmt::format("haven: error: --from/--to expects a date as YYYY-MM-DD, got '{}'\n", *text);
      ++option_errors;
    }
  }
  LoadOptions base;
  base.variant = a.variant;
  base.set_overrides = a.sets;
  base.set_files.assign(a.set_files.begin(), a.set_files.end());
  if (parsed) {
    // A --set that fixes a fitted value is said with the rest, not alone.
    try {
      check_fitted_values_free(*parsed, base);
    } catch (const InputError& e) {
      e.diagnostics().print(err);
      option_errors += e.diagnostics().error_count();
    }
  }
  auto loaded = load_scenario_file(a.scenario, base);
  if (option_errors > 0) {
    loaded.diagnostics.print(err);
    const std::size_t total = option_errors + loaded.diagnostics.error_count();
    err << fmt::format("{} error{}; nothing was run.\n", total, total == 1 ? "" : "s");
    return exit_bad_input;
  }
  if (print_diagnostics(loaded.diagnostics, err) != exit_ok) return exit_bad_input;
  const std::vector<CalibrationParameter>& parameters = *parsed;
  const Scenario& scenario = *loaded.scenario;

  CalibrationOptions options;
  options.runs = a.runs;
  options.threads = a.threads;
  options.seed = a.seed;
  options.mode = a.mode == "expected" ? Mode::expected : Mode::stochastic;
  options.algorithm = a.algorithm;
  options.max_evaluations = a.max_evaluations;
  for (auto [text, slot] :
       {std::pair{&a.from, &options.window.first_day}, std::pair{&a.to, &options.window.last_day}}) {
    if (text->empty()) continue;
    auto date = parse_iso_date(*text);
    if (!date) {
      err << fmt::format("haven: error: --from/--to expects a date as YYYY-MM-DD, got '{}'\n", *text);
      return exit_bad_input;
    }
    *slot = static_cast<int>(days_between(scenario.start_date, *date));
  }
  // A window that holds no day of the scenario would fit nothing: said before the search, not after it.
  const int last_day = scenario.days - 1;
  const auto day_text = [&](int day) { return format_iso_date(add_days(scenario.start_date, day)); };
  const auto& window = options.window;
  if (window.first_day && window.last_day && *window.last_day < *window.first_day) {
    err << fmt::format("haven: error: --from {} is after --to {}; the window runs from the first to the second\n",
                       a.from, a.to);
    return exit_bad_input;
  }
  if ((window.first_day && *window.first_day > last_day) || (window.last_day && *window.last_day < 0)) {
    err << fmt::format("haven: error: --from/--to fall outside the scenario's period ({} to {})\n", day_text(0),
                       day_text(last_day));
    return exit_bad_input;
  }
  // The overlay is checked before the search, not after an hour of it.
  std::filesystem::path path = a.output;
  if (path.empty()) path = std::filesystem::path("output") / fmt::format("{}-calibrated.yaml", scenario.name);
  std::vector<std::filesystem::path> inputs{a.scenario};
  inputs.insert(inputs.end(), a.set_files.begin(), a.set_files.end());
  inputs.insert(inputs.end(), loaded.table_files.begin(), loaded.table_files.end());
  if (auto problem = check_output_file(path, a.overwrite, inputs)) {
    err << fmt::format("haven: error: {}\n", problem->message);
    return problem->input_mistake ? exit_bad_input : exit_failure;
  }
  // More values than points: many combinations fit equally well, and the one reported is an accident of the search.
  std::size_t points = 0;
  for (const auto& observation : scenario.observations) {
    for (const auto& point : observation.points) {
      const bool inside = (!options.window.first_day || point.day >= *options.window.first_day) &&
                          (!options.window.last_day || point.day <= *options.window.last_day);
      if (inside && point.value > 0.0 && point.weight > 0.0) ++points;
    }
  }
  if (points == 0 && scenario.observations.empty()) {
    err << fmt::format(
        "haven: error: no observation point to fit: {} has no observations; calibrate fits the scenario to "
        "observed figures (its observations: section, docs/scenario-format.md)\n",
        a.scenario);
    return exit_bad_input;
  }
  if (points == 0) {
    err << fmt::format(
        "haven: error: no observation point to fit: none has a value and weight above 0{}; widen the window or "
        "give the points a weight\n",
        a.from.empty() && a.to.empty() ? "" : " inside --from/--to");
    return exit_bad_input;
  }
  if (points < parameters.size()) {
    err << fmt::format(
        "haven: warning: fitting {} parameters to {} observation point{} (weight above 0, inside --from/--to): "
        "more values than points, so many fit equally well; fix some, or add points\n",
        parameters.size(), points, points == 1 ? "" : "s");
  }
  const int members = options.mode == Mode::expected ? 1 : options.runs;
  if (!a.quiet) {
    std::string heading =
        fmt::format("calibrating {} on {} ({} {}, {} run{} per evaluation, seed {}), {} at most {} evaluations\n eval",
                    fmt::join(a.params, " "), a.scenario, a.mode, a.mode == "expected" ? "mode" : "ensemble", members,
                    members == 1 ? "" : "s", a.seed.value_or(scenario.seed), a.algorithm, a.max_evaluations);
    for (const auto& p : parameters) heading += fmt::format("  {:>14}", p.name.substr(0, 14));
    heading += "      error       best\n";
    // Said with the first evaluation: a range refused before the search leaves its error alone on the screen.
    options.on_step = [&out, heading](const CalibrationStep& step) {
      if (step.evaluation == 1) out << heading;
      print_step(out, step);
    };
  }
  const CalibrationResult result = haven::calibrate(a.scenario, base, parameters, options);
  out << fmt::format(
      "best after {} evaluations ({}): weighted mean absolute relative error {:.4f} (start {:.4f}) over {} "
      "points\n",
      result.evaluations, result.stop_reason, result.error, result.start_error, result.points);
  if (!result.skipped.empty()) {
    out << fmt::format("skipped {} of {} points:\n", result.skipped.size(), result.points + result.skipped.size());
    for (const auto& p : result.skipped) {
      out << fmt::format("  {} {}: {}\n", format_iso_date(add_days(scenario.start_date, p.day)), p.series, p.reason);
    }
  }
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    out << fmt::format("  {} = {:.6g}   (range {:g} to {:g})\n", parameters[j].name, result.best[j],
                       parameters[j].lower, parameters[j].upper);
  }
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  // The run with the fitted values goes beside the overlay, not over the scenario's own run file (which `haven run`
  // would refuse to replace): the two can then be compared. A fit redone with --overwrite replaces that run too.
  // On the scenario the fit ran on: its variant, overlays and --set go with the fitted values, or the run would
  // be of another scenario than the one fitted.
  std::vector<std::string> apply_args = {"run", a.scenario};
  if (!a.variant.empty()) apply_args.insert(apply_args.end(), {"--variant", a.variant});
  for (const auto& file : a.set_files) apply_args.insert(apply_args.end(), {"--set-file", file});
  apply_args.insert(apply_args.end(), {"--set-file", path.string()});
  for (const auto& set : a.sets) apply_args.insert(apply_args.end(), {"--set", set});
  if (a.seed) apply_args.insert(apply_args.end(), {"--seed", fmt::format("{}", *a.seed)});
  if (a.mode == "expected") apply_args.insert(apply_args.end(), {"--mode", "expected"});
  apply_args.insert(apply_args.end(), {"-o", std::filesystem::path(path).replace_extension(".h5").string()});
  if (a.overwrite) apply_args.emplace_back("--overwrite");
  const std::string apply = command_line(apply_args);
  // And the check of the fit: validate's error under the settings it was measured with.
  std::vector<std::string> check = {"validate", a.scenario};
  if (!a.variant.empty()) check.insert(check.end(), {"--variant", a.variant});
  for (const auto& file : a.set_files) check.insert(check.end(), {"--set-file", file});
  check.insert(check.end(), {"--set-file", path.string()});
  for (const auto& set : a.sets) check.insert(check.end(), {"--set", set});
  if (members > 1) check.insert(check.end(), {"--runs", fmt::format("{}", members)});
  if (a.seed) check.insert(check.end(), {"--seed", fmt::format("{}", *a.seed)});
  if (a.mode == "expected") check.insert(check.end(), {"--mode", "expected"});
  if (!a.from.empty()) check.insert(check.end(), {"--from", a.from});
  if (!a.to.empty()) check.insert(check.end(), {"--to", a.to});
  const std::string header = fmt::format(
      "Fitted by: {}\nWeighted mean absolute relative error of the {}: {:.4f} over {} points ({} evaluations, "
      "{}).\nApply with: {}\nCheck with: {}",
      command_line(argv), options.mode == Mode::expected ? "expected run" : "ensemble mean", result.error,
      result.points, result.evaluations, result.stop_reason, apply, command_line(check));
  // Written beside and renamed, so a failed write never leaves half an overlay (or destroys the old one).
  if (const auto failed = write_whole(path, calibration_overlay(parameters, result, header))) {
    err << fmt::format("haven: error: {}\n", *failed);
    return exit_failure;
  }
  out << fmt::format("wrote {} ({})\n", path.string(), apply);
  return exit_ok;
}

int SweepCommands::calibrate_suite(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const auto& a = calibrate_args_;
  if (!a.scenario.empty() || !a.variant.empty() || !a.sets.empty() || !a.set_files.empty() || !a.from.empty() ||
      !a.to.empty()) {
    err << "haven calibrate: --suite fits the cases its file lists: it takes no scenario, --variant, --set, "
           "--set-file, --from or --to; see 'haven calibrate --help'\n";
    return exit_bad_input;
  }
  if (a.leave_one_out && !a.leave_out.empty()) {
    err << "haven calibrate: --leave-out CASE runs one fold, --leave-one-out every fold: give one of them\n";
    return exit_bad_input;
  }
  const auto parsed = parse_parameters(a.params, err);
  if (!parsed) return exit_bad_input;
  const std::vector<CalibrationParameter>& parameters = *parsed;
  const SuiteFile whole = load_suite_file(a.suite);
  const SuiteFile suite = a.cases.empty() ? whole : select_cases(whole, a.cases, "--cases");
  std::vector<std::string> held_out;
  if (!a.leave_out.empty()) {
    if (std::find(a.cases.begin(), a.cases.end(), a.leave_out) == a.cases.end() && !a.cases.empty()) {
      (void)select_cases(whole, {a.leave_out}, "--leave-out");  // not a case at all: that error, with its hint
      err << fmt::format("haven calibrate: --leave-out {}: the case is not among --cases {}; add it there\n",
                         a.leave_out, fmt::join(a.cases, ","));
      return exit_bad_input;
    }
    held_out = held_out_with(suite, a.leave_out);
  }
  // Outputs are checked before the search, not after an hour of it.
  std::filesystem::path path = a.output;
  if (path.empty()) path = std::filesystem::path("output") / fmt::format("{}-calibrated.yaml", suite.name);
  for (const auto& [file, option] : {std::pair{path.string(), "-o"}, std::pair{a.csv, "another --csv path"}}) {
    if (file.empty()) continue;
    std::vector<std::filesystem::path> inputs = suite_input_files(whole);  // every case's, not only --cases'
    inputs.insert(inputs.end(), a.set_files.begin(), a.set_files.end());
    if (auto problem = check_output_file(file, a.overwrite, inputs, option)) {
      err << fmt::format("haven: error: {}\n", problem->message);
      return problem->input_mistake ? exit_bad_input : exit_failure;
    }
  }
  SuiteCalibrationOptions options;
  options.search.runs = a.runs_option != nullptr && a.runs_option->count() > 0 ? a.runs : suite.runs;
  options.search.threads = a.threads;
  options.search.seed = a.seed;
  options.search.mode = a.mode == "expected" ? Mode::expected : Mode::stochastic;
  options.search.algorithm = a.algorithm;
  options.search.max_evaluations = a.max_evaluations;
  options.days = a.days;
  const int members = options.search.mode == Mode::expected ? 1 : options.search.runs;
  if (!a.quiet) {
    // Said with the first fit: a range refused before the search leaves its error alone on the screen.
    std::string heading = fmt::format(
        "calibrating {} on {} case{} of {} ({} {}, {} run{} per case and evaluation, seed {}{}), {} at most {} "
        "evaluations per fit\n",
        fmt::join(a.params, " "), suite.cases.size(), suite.cases.size() == 1 ? "" : "s", a.suite, a.mode,
        a.mode == "expected" ? "mode" : "ensembles", members, members == 1 ? "" : "s",
        a.seed ? fmt::format("{}", *a.seed) : std::string("of each scenario"),
        a.days ? fmt::format(", at most {} days", *a.days) : std::string(), a.algorithm, a.max_evaluations);
    options.on_fit = [&out, &parameters,
                      heading = std::move(heading)](const std::vector<std::string>& left_out) mutable {
      out << heading;
      heading.clear();
      out << (left_out.empty() ? std::string("fit on every case\n")
                               : fmt::format("fit without {}\n", fmt::join(left_out, ", ")));
      std::string head = " eval";
      for (const auto& p : parameters) head += fmt::format("  {:>14}", p.name.substr(0, 14));
      out << head << "  objective       best\n" << std::flush;
    };
    options.search.on_step = [&out](const CalibrationStep& step) { print_step(out, step); };
  }
  SuiteCalibration calibration;
  if (a.leave_one_out) {
    calibration = leave_one_case_out(suite, parameters, options);
  } else {
    SuiteFit fit = haven::calibrate_suite(suite, parameters, held_out, options);
    (held_out.empty() ? calibration.in_sample.emplace(std::move(fit)) : calibration.folds.emplace_back(std::move(fit)));
  }
  out << suite_calibration_table(parameters, calibration);
  if (!a.csv.empty()) {
    if (const auto folder = std::filesystem::path(a.csv).parent_path(); !folder.empty()) {
      std::filesystem::create_directories(folder);
    }
    if (const auto failed = write_whole(a.csv, suite_calibration_csv(parameters, calibration))) {
      err << fmt::format("haven: error: {}\n", *failed);
      return exit_failure;
    }
    out << fmt::format("wrote {}\n", a.csv);
  }
  // The overlay holds the fit that saw every case given (with --leave-out, the fit without the case left out).
  const SuiteFit& fit = calibration.in_sample ? *calibration.in_sample : calibration.folds.front();
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  // The check of the fit is the suite's table under the same settings: the cases, days, members, seed and mode
  // the error was measured with.
  std::vector<std::string> check = {"validate", "--suite", a.suite, "--set-file", path.string()};
  if (!a.cases.empty()) check.insert(check.end(), {"--cases", fmt::format("{}", fmt::join(a.cases, ","))});
  if (a.days) check.insert(check.end(), {"--days", fmt::format("{}", *a.days)});
  if (a.runs_option != nullptr && a.runs_option->count() > 0) {
    check.insert(check.end(), {"--runs", fmt::format("{}", a.runs)});
  }
  if (a.seed) check.insert(check.end(), {"--seed", fmt::format("{}", *a.seed)});
  if (a.mode == "expected") check.insert(check.end(), {"--mode", "expected"});
  const std::string validate_command = command_line(check);
  const std::string header = fmt::format(
      "Fitted by: {}\nWeighted mean of the cases' errors: {:.4f} ({}{} evaluations, {}).\nApply with: {} (or "
      "haven run SCENARIO --set-file {})",
      command_line(argv), fit.result.error,
      fit.held_out.empty() ? std::string() : fmt::format("without {}; ", fmt::join(fit.held_out, ", ")),
      fit.result.evaluations, fit.result.stop_reason, validate_command, path.string());
  if (const auto failed = write_whole(path, calibration_overlay(parameters, fit.result, header))) {
    err << fmt::format("haven: error: {}\n", *failed);
    return exit_failure;
  }
  out << fmt::format("wrote {} ({})\n", path.string(), validate_command);
  return exit_ok;
}

}  // namespace haven::app
