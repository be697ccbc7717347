#include "cli.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <list>
#include <map>
#include <sstream>

#include "check_summary.hpp"
#include "common.hpp"
#include "export_commands.hpp"
#include "flee_commands.hpp"
#include "haven/analysis/compare.hpp"
#include "haven/analysis/flee_metric.hpp"
#include "haven/analysis/series.hpp"
#include "haven/analysis/suite.hpp"
#include "haven/analysis/suite_calibration.hpp"
#include "haven/analysis/validation.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/io/output.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/scenario/generate.hpp"
#include "haven/scenario/keys.hpp"
#include "haven/scenario/load.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/scenario/schema.hpp"
#include "haven/sweep/ensemble.hpp"
#include "haven/util/text.hpp"
#include "haven/version.hpp"
#include "inspect_commands.hpp"
#include "report_commands.hpp"
#include "run_summary.hpp"
#include "serve_commands.hpp"
#include "sweep_commands.hpp"

namespace haven::app {

namespace {

struct ScenarioArgs {
  std::string path;
  std::string variant;
  std::vector<std::string> sets;
  std::vector<std::string> set_files;

  [[nodiscard]] LoadOptions options(const std::string& variant_name, bool all_variants,
                                    std::vector<std::string> extra_sets = {}) const {
    LoadOptions options{variant_name, sets, all_variants};
    options.set_overrides.insert(options.set_overrides.end(), extra_sets.begin(), extra_sets.end());
    options.set_files.assign(set_files.begin(), set_files.end());
    return options;
  }
};

void add_scenario_args(CLI::App& command, ScenarioArgs& args) {
  command.add_option("scenario", args.path, "Scenario YAML file")->required();
  command.add_option("--variant", args.variant, "Apply the named what-if variant defined in the file")
      ->check(names_a_variant());
  command.add_option("--set", args.sets,
                     "Override a value, e.g. --set parameters.return_rate_per_day=0.02 (one per --set; repeat it)");
  command
      .add_option("--set-file", args.set_files,
                  "Apply an overlay file (e.g. from haven calibrate) after the variant, before --set")
      ->check(CLI::ExistingFile);
}

int command_check(const ScenarioArgs& args, std::ostream& out, std::ostream& err) {
  LoadOptions options = args.options(args.variant, true);
  options.want_resolved_yaml = false;  // nothing is written
  auto result = load_scenario_or_flee_folder(args.path, options);
  if (print_diagnostics(result.diagnostics, err) != exit_ok) return exit_bad_input;
  out << check_summary(*result.scenario);
  const auto warnings = result.diagnostics.all().size();
  out << fmt::format("ok: {} is valid{}\n", args.path,
                     warnings == 0 ? "" : fmt::format(" ({} warning{})", warnings, warnings == 1 ? "" : "s"));
  return exit_ok;
}

struct RunArgs {
  ScenarioArgs scenario;
  std::optional<std::uint64_t> seed;
  std::string mode = "stochastic";
  int threads = 1;
  std::optional<int> days;
  std::string output;
  bool overwrite = false;
  bool no_output = false;
  std::string variants;
  bool quiet = false;
  std::vector<std::string> record;
};

void add_run_args(CLI::App& command, RunArgs& args) {
  add_scenario_args(command, args.scenario);
  add_seed_option(command, args.seed, "Random seed, decimal or 0x hex (default: the scenario's)");
  command.add_option("--mode", args.mode, "stochastic (binomial draws) or expected (deterministic mean flows)")
      ->check(CLI::IsMember({"stochastic", "expected"}));
  command.add_option("-j,--threads", args.threads, "OpenMP threads inside the run (results do not depend on it)")
      ->check(CLI::Range(1, 1024));
  command
      .add_option("--days", args.days,
                  "Simulate only the first N days (default: the scenario's period; more is an error)")
      ->check(CLI::Range(1, 100000));
  auto* output =
      command.add_option("-o,--output", args.output, "Output file (default: output/<scenario>[-<variant>].h5)")
          ->check(names_a_path());
  command.add_flag("--overwrite", args.overwrite, "Replace the output file if it exists");
  // Both given is a contradiction: which was meant cannot be told, so neither is taken.
  command.add_flag("--no-output", args.no_output, "Write no file; print the summary only")->excludes(output);
  command.add_option("--variants", args.variants, "'all': run the base and every variant, then compare them")
      ->check(CLI::IsMember({"all"}));
  command.add_flag("-q,--quiet", args.quiet, "No progress line and no timing");
  command
      .add_option("--record", args.record,
                  "What the output file records, as under outputs: 'variables=departures,arrivals', "
                  "'nodes=a,b', 'interval_days=7' (';' or repeated --record for several; 'variables=all', 'nodes=all' "
                  "for every one)")
      ->delimiter(';');
}

// --days only shortens a run: more days than the scenario's period is a mistake (the engine would quietly stop at
// the period's end), reported before anything runs.
bool days_within_period(const RunArgs& args, const Scenario& scenario, std::ostream& err) {
  if (!args.days || *args.days <= scenario.days) return true;
  err << fmt::format(
      "haven: error: --days {} is more than the {} day{} of {}{} ({} to {}); --days only shortens a run: to simulate "
      "longer, lengthen the scenario's period (its 'days' or 'end_date', e.g. with --set)\n",
      *args.days, scenario.days, scenario.days == 1 ? "" : "s", scenario.name,
      scenario.variant.empty() ? "" : " [" + scenario.variant + "]", format_iso_date(scenario.start_date),
      format_iso_date(add_days(scenario.start_date, scenario.days - 1)));
  return false;
}

// What a run reads (the scenario, its overlays, its CSV tables): never a file it may write.
std::vector<std::filesystem::path> run_inputs(const RunArgs& args, const LoadResult& loaded) {
  std::vector<std::filesystem::path> inputs{args.scenario.path};
  inputs.insert(inputs.end(), args.scenario.set_files.begin(), args.scenario.set_files.end());
  inputs.insert(inputs.end(), loaded.table_files.begin(), loaded.table_files.end());
  return inputs;
}

// One run of one scenario (resolved with its variant and overrides): summary, validation rows, file.
int run_one(const RunArgs& args, const LoadResult& loaded, const std::vector<std::string>& argv, bool validation,
            std::ostream& out, std::ostream& err, std::filesystem::path* written = nullptr) {
  const Scenario& scenario = *loaded.scenario;
  RunConfig config;
  config.seed = args.seed.value_or(scenario.seed);
  config.mode = args.mode == "expected" ? Mode::expected : Mode::stochastic;
  config.threads = args.threads;
  config.days = args.days;
  const bool show_progress = !args.quiet && isatty(fileno(stderr)) != 0;
  if (show_progress) {
    config.progress = [&err](int done, int total) {
      if (done % 10 == 0 || done == total) err << fmt::format("\rsimulating: day {}/{}", done, total) << std::flush;
      if (done == total) err << "\n";
    };
  }
  const std::filesystem::path output_path =
      args.output.empty() ? default_output_path(scenario) : std::filesystem::path(args.output);
  if (!args.no_output) {
    if (auto problem = check_output_file(output_path, args.overwrite, run_inputs(args, loaded))) {
      err << fmt::format("haven: error: {}\n", problem->message);
      return problem->input_mistake ? exit_bad_input : exit_failure;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  Simulation simulation(scenario, config);
  std::unique_ptr<Hdf5Writer> writer;
  if (!args.no_output) {
    writer = std::make_unique<Hdf5Writer>(output_path, scenario, Provenance{command_line(argv), loaded.resolved_yaml},
                                          Publishing{.own_partial = true, .replace = args.overwrite});
    simulation.add_observer(*writer);
  }
  ObservationProbe probe(scenario);
  simulation.add_observer(probe);
  const RunSummary summary = simulation.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out << run_summary_table(scenario, config, summary);
  if (validation && !scenario.observations.empty()) {
    const auto report = validate(scenario, {&probe});
    out << validation_table(scenario, report);
    // The same file given to haven validate refuses points it cannot supply unless asked: said here, where they
    // were only skipped, so that the next command does not come as a surprise.
    if (report.unrecorded() > 0 && !args.no_output) {
      out << fmt::format("(haven validate {} compares the other points only with --skip-unrecorded)\n",
                         output_path.string());
    }
  }
  if (!args.quiet) {
    // Flee's rules step day by day without events or cohorts: their counts would read as nothing done.
    err << (scenario.rules == RuleSetKind::flee
                ? fmt::format("simulated {} day{} in {:.3f} s (Flee's rules)\n", summary.days,
                              summary.days == 1 ? "" : "s", seconds)
                : fmt::format("simulated {} day{} in {:.3f} s ({} events, {} cohorts)\n", summary.days,
                              summary.days == 1 ? "" : "s", seconds, summary.events_processed,
                              summary.cohorts_created));
  }
  if (writer) out << fmt::format("wrote {}\n", output_path.string());
  if (written) *written = output_path;
  return exit_ok;
}

int command_run(const RunArgs& args, const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (args.variants != "all") {
    // A --seed given here is recorded in the resolved scenario, so the file's scenario_yaml reruns this run.
    std::vector<std::string> seed_set;
    if (args.seed) seed_set.push_back(fmt::format("scenario.seed={}", *args.seed));
    LoadOptions options = args.scenario.options(args.scenario.variant, false, seed_set);
    options.record_overrides = args.record;
    options.want_resolved_yaml = !args.no_output;  // the run file's provenance
    auto loaded = load_scenario_or_flee_folder(args.scenario.path, options);
    if (print_diagnostics(loaded.diagnostics, err) != exit_ok) return exit_bad_input;
    if (!days_within_period(args, *loaded.scenario, err)) return exit_bad_input;
    return run_one(args, loaded, argv, true, out, err);
  }
  // --variants all: the base and every variant, then the what-if table.
  if (!args.output.empty() || !args.scenario.variant.empty()) {
    err << "haven: error: --variants all writes one file per variant; it cannot be combined with -o or --variant\n";
    return exit_bad_input;
  }
  LoadOptions base_options = args.scenario.options("", true);
  base_options.record_overrides = args.record;
  auto base = load_scenario_or_flee_folder(args.scenario.path, base_options);
  if (print_diagnostics(base.diagnostics, err) != exit_ok) return exit_bad_input;
  std::vector<std::string> variants = {""};
  for (const auto& v : base.scenario->variant_names) variants.push_back(v);
  // Every variant is resolved and checked before the first runs: a mistake found later would leave files behind.
  std::vector<LoadResult> resolved;
  for (const auto& variant : variants) {
    LoadOptions variant_options = args.scenario.options(variant, false);
    variant_options.record_overrides = args.record;
    resolved.push_back(load_scenario_or_flee_folder(args.scenario.path, variant_options));
    if (print_diagnostics(resolved.back().diagnostics, err) != exit_ok) return exit_bad_input;
    if (!days_within_period(args, *resolved.back().scenario, err)) return exit_bad_input;
  }
  // Every file too, all at once: one refused after the first runs had written theirs left a half-done set that the
  // same command then refused at its first file.
  if (!args.no_output) {
    std::vector<std::string> problems;
    std::vector<std::string> existing;
    bool input_mistake = true;
    std::map<std::filesystem::path, std::string> writers;  // each output path and the variant that writes it
    for (std::size_t k = 0; k < resolved.size(); ++k) {
      const std::filesystem::path path = default_output_path(*resolved[k].scenario);
      const std::string name = variants[k].empty() ? "the base" : "variant " + variants[k];
      // By the file it names: relative or absolute, through a linked folder or not.
      std::error_code unresolved;
      auto resolved_path = std::filesystem::weakly_canonical(std::filesystem::absolute(path), unresolved);
      if (unresolved) resolved_path = std::filesystem::absolute(path).lexically_normal();
      if (const auto [it, first] = writers.emplace(resolved_path, name); !first) {
        problems.push_back(fmt::format("{} and {} both write {} (outputs.path); give each variant a path of its own",
                                       it->second, name, path.string()));
        continue;
      }
      // What --overwrite would not cure first (an input of the command, a directory, a pipe): then, without it, a
      // file that is there, all of them said in one line with the hint that fits --variants all.
      if (auto problem = check_output_file(path, true, run_inputs(args, resolved[k]))) {
        problems.push_back(problem->message);
        input_mistake = input_mistake && problem->input_mistake;
        continue;
      }
      std::error_code status;
      if (!args.overwrite && std::filesystem::exists(std::filesystem::symlink_status(path, status))) {
        existing.push_back(path.string());
      }
    }
    if (!existing.empty()) {
      problems.push_back(fmt::format(
          "{} exist{}; pass --overwrite to replace {}, or move {} away (--variants all writes each variant's file "
          "where its outputs.path, else output/<scenario>-<variant>.h5, says)",
          fmt::join(existing, ", "), existing.size() == 1 ? "s" : "", existing.size() == 1 ? "it" : "them",
          existing.size() == 1 ? "it" : "them"));
    }
    if (!problems.empty()) {
      for (const auto& problem : problems) err << fmt::format("haven: error: {}\n", problem);
      err << "haven: nothing was run\n";
      return input_mistake ? exit_bad_input : exit_failure;
    }
  }
  // With --no-output the runs still make the table: they are written to a folder of their own, removed after it.
  struct Scratch {
    std::filesystem::path folder;
    ~Scratch() {
      std::error_code ignored;
      if (!folder.empty()) std::filesystem::remove_all(folder, ignored);
    }
  } scratch;
  if (args.no_output) {
    std::string pattern = (std::filesystem::temp_directory_path() / "haven-variants-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      err << fmt::format("haven: error: cannot make a folder for the runs to compare ({}): {}\n", pattern,
                         std::strerror(errno));
      return exit_failure;
    }
    scratch.folder = pattern;
  }
  std::vector<RunFile> files;
  for (std::size_t k = 0; k < resolved.size(); ++k) {
    std::filesystem::path path;
    std::ostringstream ignored;
    RunArgs one = args;
    if (args.no_output) {
      one.no_output = false;
      one.output = (scratch.folder / fmt::format("run_{}.h5", k)).string();
    }
    const int code = run_one(one, resolved[k], argv, false, ignored, err, &path);
    if (code != exit_ok) return code;
    files.push_back(read_run_file(path));
  }
  if (!files.empty()) {
    const auto points = default_compare_points(files);
    std::vector<WhatIfOutcome> outcomes;
    for (const auto& file : files) outcomes.push_back(summarise_run(file, points, file.scenario_nodes));
    out << comparison_table(outcomes, points);
  }
  return exit_ok;
}

struct ValidateArgs {
  RunArgs run;
  int runs = 1;
  std::string from, to;
  std::optional<double> max_error;
  std::optional<double> max_point_error;
  bool skip_unrecorded = false;
  std::string suite;               // --suite FILE: every case of a validation suite instead of one target
  std::string csv;                 // --suite: the table as CSV too
  std::vector<std::string> cases;  // --suite: only these cases
  const CLI::Option* runs_option = nullptr;
  const CLI::Option* mode_option = nullptr;
};

// `haven validate --suite FILE`: every case as an ensemble, one table, optionally its CSV (docs/validation.md).
int command_validate_suite(const ValidateArgs& args, std::ostream& out, std::ostream& err) {
  const std::string& target = args.run.scenario.path;
  if (!target.empty() || !args.run.scenario.variant.empty() || !args.run.scenario.sets.empty() || !args.from.empty() ||
      !args.to.empty() || args.max_error || args.max_point_error) {
    err << "haven validate: --suite runs the cases its file lists: it takes no target, --variant, --set, "
           "--from, --to, --max-error or --max-point-error; see 'haven validate --help'\n";
    return exit_bad_input;
  }
  const SuiteFile whole = load_suite_file(args.suite);
  // As haven calibrate --suite --cases fits them: its overlay is checked on the same cases.
  const SuiteFile suite = args.cases.empty() ? whole : select_cases(whole, args.cases, "--cases");
  if (!args.csv.empty()) {
    // Every case's files, not only those --cases picks.
    if (auto problem =
            check_output_file(args.csv, args.run.overwrite, suite_input_files(whole), "another --csv path")) {
      err << fmt::format("haven: error: {}\n", problem->message);
      return problem->input_mistake ? exit_bad_input : exit_failure;
    }
    // Its folder is made now, as for every other output: not found missing once the suite has run.
    const std::filesystem::path folder = std::filesystem::path(args.csv).parent_path();
    std::error_code made;
    if (!folder.empty()) std::filesystem::create_directories(folder, made);
    if (made) {
      err << fmt::format("haven: error: cannot make {} for {}: {}\n", folder.string(), args.csv, made.message());
      return exit_failure;
    }
  }
  SuiteSettings settings;
  settings.runs = args.runs_option != nullptr && args.runs_option->count() > 0 ? args.runs : suite.runs;
  settings.days = args.run.days;
  settings.seed = args.run.seed;
  settings.mode = args.run.mode == "expected" ? Mode::expected : Mode::stochastic;
  settings.threads = args.run.threads;
  // An overlay (haven calibrate --suite's) applies to every case.
  settings.set_files.assign(args.run.scenario.set_files.begin(), args.run.scenario.set_files.end());
  const auto rows = run_suite(suite, settings);
  out << suite_table(suite, settings, rows);
  if (!args.csv.empty()) {
    // Whole or not at all: written beside, then renamed over the file.
    const std::filesystem::path path(args.csv);
    try {
      write_whole_file(path, suite_csv(rows));
    } catch (const std::runtime_error& e) {
      err << fmt::format("haven: error: {}\n", e.what());
      return exit_failure;
    }
    out << fmt::format("wrote {}\n", path.string());
  }
  return exit_ok;
}

int command_validate(const ValidateArgs& args, std::ostream& out, std::ostream& err) {
  if (args.run.overwrite && args.csv.empty()) {
    err << "haven validate: --overwrite replaces the --csv table, and there is none; leave it out, or give --csv "
           "FILE with --suite; see 'haven validate --help'\n";
    return exit_bad_input;
  }
  if (!args.suite.empty()) return command_validate_suite(args, out, err);
  if (!args.csv.empty()) {
    err << "haven validate: --csv writes a suite's table; it needs --suite FILE; see 'haven validate --help'\n";
    return exit_bad_input;
  }
  if (!args.cases.empty()) {
    err << "haven validate: --cases picks cases of a suite; it needs --suite FILE; see 'haven validate --help'\n";
    return exit_bad_input;
  }
  const std::string& target = args.run.scenario.path;
  if (target.empty()) {
    err << "haven validate: missing target (a run file, an ensemble or a scenario; or --suite FILE); see 'haven "
           "validate --help'\n";
    return exit_bad_input;
  }
  if (is_hdf5_file(target)) {
    // A file holds runs made already: what would make other runs does not apply to it, and is not dropped unsaid.
    const std::array<std::pair<const char*, bool>, 7> options = {{
        {"--variant", !args.run.scenario.variant.empty()},
        {"--set", !args.run.scenario.sets.empty()},
        {"--set-file", !args.run.scenario.set_files.empty()},
        {"--runs", args.runs_option && args.runs_option->count() > 0},
        {"--seed", args.run.seed.has_value()},
        {"--mode", args.mode_option && args.mode_option->count() > 0},
        {"--days", args.run.days.has_value()},
    }};
    std::string given;
    std::size_t count = 0;
    for (const auto& [name, is_given] : options) {
      if (!is_given) continue;
      given += fmt::format("{}{}", count++ == 0 ? "" : ", ", name);
    }
    if (count > 0) {
      err << fmt::format(
          "haven validate: {} holds runs made already: {} would make other runs and {} not apply to it; "
          "validate the scenario with {} to run it so (haven validate SCENARIO ...), or leave {} out\n",
          target, given, count == 1 ? "does" : "do", count == 1 ? "it" : "them", count == 1 ? "it" : "them");
      return exit_bad_input;
    }
  }
  std::optional<LoadResult> loaded;
  std::optional<RunFile> file;
  std::optional<EnsembleFile> ensemble;
  if (is_hdf5_file(target) && is_ensemble_file(target)) {
    ensemble = read_usable_ensemble(target, err);
    // Every member shares the scenario's observations; the stored scenario is one member's (swept values apply).
    loaded = load_scenario_text(ensemble->scenario_yaml, target + " (scenario_yaml)");
  } else if (is_hdf5_file(target)) {
    file = read_run_file(target);
    // The file carries its resolved scenario: observations come from exactly what was run.
    loaded = load_scenario_text(file->scenario_yaml, target + " (scenario_yaml)");
  } else if (const auto extension = std::filesystem::path(target).extension();
             extension == ".h5" || extension == ".hdf5" || extension == ".nc") {
    // Named as a run file and not one (empty, cut short, another kind): said as info and compare say it, not read
    // as a scenario ("a scenario needs at least 'scenario'").
    err << fmt::format("haven validate: {} is not a run file (the HDF5 file haven run writes)\n", target);
    return exit_bad_input;
  } else {
    loaded = load_scenario_or_flee_folder(target, args.run.scenario.options(args.run.scenario.variant, false));
  }
  if ((file || ensemble ? print_stored_scenario_problems(loaded->diagnostics, err)
                        : print_diagnostics(loaded->diagnostics, err)) != exit_ok)
    return exit_bad_input;
  Scenario& scenario = *loaded->scenario;
  if (file) scenario.variant = file->variant;
  if (ensemble) scenario.variant = ensemble->variant;
  ValidationWindow window;
  for (auto [text, slot] : {std::pair{&args.from, &window.first_day}, std::pair{&args.to, &window.last_day}}) {
    if (text->empty()) continue;
    auto date = parse_iso_date(*text);
    if (!date) {
      err << fmt::format("haven: error: --from/--to expects a date as YYYY-MM-DD, got '{}'\n", *text);
      return exit_bad_input;
    }
    *slot = static_cast<int>(days_between(scenario.start_date, *date));
  }
  if (!args.from.empty() && !args.to.empty() && window.first_day > window.last_day) {
    err << fmt::format("haven: error: --from {} is after --to {}; the window runs from the first to the second\n",
                       args.from, args.to);
    return exit_bad_input;
  }
  // A window that holds no day of the scenario is a mistyped date, not a model that failed (as calibrate says).
  if ((window.first_day && *window.first_day > scenario.days - 1) || (window.last_day && *window.last_day < 0)) {
    err << fmt::format("haven: error: --from/--to fall outside the scenario's period ({} to {})\n",
                       format_iso_date(scenario.start_date),
                       format_iso_date(add_days(scenario.start_date, scenario.days - 1)));
    return exit_bad_input;
  }
  if (scenario.observations.empty()) {
    err << fmt::format("haven: error: {} has no observations to validate against\n", target);
    return exit_bad_input;
  }
  // A window between the observations' dates holds nothing to judge: a usage mistake (exit 2, as calibrate says),
  // found before any run, not a model that failed.
  if (window.first_day || window.last_day) {
    int first_point = std::numeric_limits<int>::max(), last_point = std::numeric_limits<int>::min();
    bool inside = false;
    for (const auto& observation : scenario.observations) {
      for (const auto& point : observation.points) {
        first_point = std::min(first_point, point.day);
        last_point = std::max(last_point, point.day);
        inside = inside || (point.day >= window.first_day.value_or(point.day) &&
                            point.day <= window.last_day.value_or(point.day));
      }
    }
    if (!inside && first_point <= last_point) {
      err << fmt::format(
          "haven: error: no observation point falls in --from/--to ({} to {}); the points run from {} "
          "to {}: widen the window\n",
          format_iso_date(add_days(scenario.start_date, window.first_day.value_or(0))),
          format_iso_date(add_days(scenario.start_date, window.last_day.value_or(scenario.days - 1))),
          format_iso_date(add_days(scenario.start_date, first_point)),
          format_iso_date(add_days(scenario.start_date, last_point)));
      return exit_bad_input;
    }
  }
  ValidationReport report;
  FleeArdResult flee;
  // Flee's ARD averages over every simulated day (of the window): the last day the members ran.
  auto ard = [&](const std::vector<const SimulatedSeries*>& members, int last_simulated_day) {
    return flee_ard_of(scenario, members, std::max(window.first_day.value_or(0), 0),
                       std::min(window.last_day.value_or(last_simulated_day), last_simulated_day));
  };
  auto last_recorded_day = [](const RunFile& run) { return run.time_days.empty() ? -1 : run.time_days.back(); };
  if (file) {
    RunFileSeries series(*file, scenario);
    report = validate(scenario, {&series}, window);
    flee = ard({&series}, last_recorded_day(*file));
  } else if (ensemble) {
    std::vector<std::unique_ptr<RunFileSeries>> series;
    std::vector<const SimulatedSeries*> members;
    for (const auto& run : ensemble->runs) {
      series.push_back(std::make_unique<RunFileSeries>(run, scenario));
      members.push_back(series.back().get());
    }
    report = validate(scenario, members, window);
    flee = ard(members, last_recorded_day(ensemble->runs.front()));
  } else {
    RunConfig config;
    config.seed = args.run.seed.value_or(scenario.seed);
    config.mode = args.run.mode == "expected" ? Mode::expected : Mode::stochastic;
    config.days = args.run.days;
    const auto probes = run_ensemble(scenario, config, args.runs, args.run.threads);
    std::vector<const SimulatedSeries*> members;
    for (const auto& probe : probes) members.push_back(probe.get());
    report = validate(scenario, members, window);
    flee = ard(members, std::min(config.days.value_or(scenario.days), scenario.days) - 1);
  }
  // A point the runs cannot supply would silently shrink what is judged: an error unless asked for.
  if (const std::size_t unrecorded = report.unrecorded(); unrecorded > 0 && !args.skip_unrecorded) {
    err << fmt::format("haven: error: {} cannot supply {} of {} observation point{}:\n", target, unrecorded,
                       report.rows.size() + report.skipped.size(), unrecorded == 1 ? "" : "s");
    // The first few say what is missing; a run cut to 50 days of a 300-day conflict would list hundreds.
    constexpr std::size_t listed = 10;
    std::size_t shown = 0;
    for (const auto& p : report.skipped) {
      if (!p.unrecorded || shown == listed) continue;
      ++shown;
      err << fmt::format("  {} {}: {}\n", format_iso_date(add_days(scenario.start_date, p.day)), p.series, p.reason);
    }
    if (unrecorded > listed) err << fmt::format("  ... and {} more\n", unrecorded - listed);
    // A run stopped short (--days) cannot be mended by recording more: it is the days that are missing.
    const RunFile* shortest = file ? &*file : ensemble ? &ensemble->runs.front() : nullptr;
    const int last_day = shortest        ? last_recorded_day(*shortest)
                         : args.run.days ? std::min(*args.run.days, scenario.days) - 1
                                         : scenario.days - 1;
    const auto past_the_end = last_day < scenario.days - 1
                                  ? std::count_if(report.skipped.begin(), report.skipped.end(),
                                                  [&](const auto& p) { return p.unrecorded && p.day > last_day; })
                                  : 0;
    if (past_the_end > 0) {
      err << fmt::format(
          "The run ends on {} (day {}), before {} of these points: run it for the scenario's whole period (without "
          "--days, or with more), or pass --skip-unrecorded to compare the other points\n",
          format_iso_date(add_days(scenario.start_date, last_day)), last_day, past_the_end);
    } else {
      err << (file ? "Record what the observations need (the days: haven run --record interval_days=1; variables "
                     "and nodes: --record variables=... and nodes=..., or outputs: in the scenario), or pass "
                     "--skip-unrecorded to compare the other points\n"
                   : "Pass --skip-unrecorded to compare the other points\n");
    }
    return exit_bad_input;
  }
  out << validation_table(scenario, report);
  out << flee_ard_text(scenario, flee);
  bool failed = false;
  // Weights say how much each point counts: the judged mean is the weighted one (calibrate minimises the same).
  const double judged = report.weighted_mean_abs_relative_error;
  if (args.max_error && !report.rows.empty() && std::isnan(judged)) {
    out << "FAIL: every compared point has weight 0, so there is no weighted error to judge\n";
    failed = true;
  } else if (args.max_error && judged > *args.max_error) {
    out << fmt::format("FAIL: weighted mean absolute relative error {:.3f} exceeds --max-error {:.3f}\n", judged,
                       *args.max_error);
    failed = true;
  }
  if (args.max_point_error && report.max_abs_relative_error > *args.max_point_error) {
    out << fmt::format("FAIL: a point is off by {:.3f}, more than --max-point-error {:.3f}\n",
                       report.max_abs_relative_error, *args.max_point_error);
    failed = true;
  }
  if (report.rows.empty()) {
    out << "FAIL: no observation point could be compared\n";
    failed = true;
  }
  return failed ? exit_failure : exit_ok;
}

// Applied to every command once all options exist (those of sweep_commands.cpp too).
void finish_options(CLI::App& app) {
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    for (CLI::Option* option : command->get_options()) {
      // A list option takes one value per flag (`--set a=1 --set b=2`): otherwise it also takes the words after
      // its value, the scenario file among them (`run --set a=1 valley.yaml`).
      if (!option->get_positional() && option->get_items_expected_max() > 1) option->allow_extra_args(false);
      // Defaults are shown in --help, except where there is none to show ("[]", "") or the description says
      // what it is in words ("(default: the scenario's)"), which a captured 0 would contradict.
      const std::string shown = option->get_default_str();
      if (shown.empty() || shown == "[]" || option->get_description().find("(default") != std::string::npos) {
        option->default_str("");
      }
    }
  }
}

// The command being given (`run`), or "" before one is recognised.
std::string command_name(CLI::App& app, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (!arg.empty() && arg.front() == '-') continue;
    for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
      if (command->get_name() == arg) return arg;
    }
    return {};
  }
  return {};
}

// `--set a=1 b=2 valley.yaml`: each list option takes one value per flag, so `b=2` would be taken for the scenario
// file and the file reported as an extra argument. Say what happened instead.
std::optional<std::string> value_without_its_flag(CLI::App& app, const std::vector<std::string>& args) {
  static constexpr std::array<std::string_view, 3> key_value_flags = {"--set", "--param", "--record"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    for (const auto flag : key_value_flags) {
      std::size_t next = 0;
      if (args[i] == flag) {
        next = i + 2;
      } else if (args[i].size() > flag.size() && args[i].rfind(flag, 0) == 0 && args[i][flag.size()] == '=') {
        next = i + 1;
      } else {
        continue;
      }
      if (next >= args.size()) continue;
      const std::string& word = args[next];
      std::error_code ignored;
      if (word.empty() || word.front() == '-' || word.find('=') == std::string::npos ||
          std::filesystem::exists(word, ignored)) {
        continue;
      }
      const std::string command = command_name(app, args);
      return fmt::format(
          "haven{}: '{}' follows {} {} without a flag of its own: {} takes one value; give each its "
          "own ({} {} {} {}); see 'haven{} --help'",
          command.empty() ? "" : " " + command, word, flag, args[next - 1], flag, flag, args[next - 1], flag, word,
          command.empty() ? "" : " " + command);
    }
  }
  return std::nullopt;
}

// A usage mistake in one line, pointing to the help of the command it was made in.
std::string usage_error(CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error) {
  const std::string command = command_name(app, args);
  const std::string help = fmt::format("see 'haven{} --help'", command.empty() ? "" : " " + command);
  if (command.empty()) {
    // The first word that is not an option names no command: a misspelling, usually.
    for (const auto& arg : args) {
      if (arg.empty() || arg.front() == '-') continue;
      std::vector<std::string> names;
      for (const CLI::App* c : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(c->get_name());
      return fmt::format("haven: unknown command '{}'{} ({})", arg, did_you_mean(arg, std::span(names)), help);
    }
    return fmt::format("haven: {}; {}", error.what(), help);
  }
  CLI::App* sub = app.get_subcommand(command);
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    // A missing file is the usual case (`haven run`): name what is missing as the help does.
    for (const CLI::Option* option : sub->get_options()) {
      if (option->get_positional() && option->get_required() && option->count() == 0) {
        return fmt::format("haven {}: missing {} ({}); {}", command, option->get_name(), option->get_description(),
                           help);
      }
    }
  }
  // `--rules haven`, `--threat_kernel_km 2`: a scenario's key or a parameter typed as an option of its own. Said
  // as the --set it would be (CLI11 names the words it did not expect, which reads as garbled here).
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr && sub->get_option_no_throw("--set") != nullptr) {
    for (std::size_t k = 0; k < args.size(); ++k) {
      if (!args[k].starts_with("--") || args[k].size() < 3) continue;
      const std::string name =
          args[k].substr(2, args[k].find('=') == std::string::npos ? std::string::npos : args[k].find('=') - 2);
      if (sub->get_option_no_throw("--" + name) != nullptr) continue;
      // Top-level keys that hold one value (sections and lists are not set whole from the command line).
      const bool top_level = name == "rules" || name == "home_country";
      const bool parameter = find_parameter_spec(name) != nullptr;
      if (!top_level && !parameter) continue;
      const std::string path = parameter ? "parameters." + name : name;
      const std::string value = args[k].find('=') != std::string::npos ? args[k].substr(args[k].find('=') + 1)
                                : k + 1 < args.size() && !args[k + 1].starts_with("-") ? args[k + 1]
                                                                                       : "VALUE";
      return fmt::format("haven {}: {} is not an option; a scenario's value is set with --set {}={}; {}", command,
                         args[k], path, value, help);
    }
  }
  return fmt::format("haven {}: {}; {}", command, error.what(), help);
}

// Writes each (path, text) whole: to `<path>.partial` first, all of them, then each renamed into place, so that a
// failure leaves nothing half-written. An existing file is replaced only with `overwrite`; a missing folder is made,
// as `haven run -o` makes one.
int write_whole_files(const std::vector<std::pair<std::filesystem::path, const std::string*>>& files, bool overwrite,
                      std::string_view hint, std::ostream& err) {
  for (const auto& [path, text] : files) {
    // What it is first (a device, a folder: never replaced), then whether it may be replaced.
    auto problem = check_output_file(path, true, hint);
    if (!problem && !overwrite) problem = check_output_file(path, false, hint);
    if (problem) {
      err << fmt::format("haven: error: {}\n", problem->message);
      return problem->input_mistake ? exit_bad_input : exit_failure;
    }
  }
  std::error_code ignored;  // a folder that cannot be made shows as a file that cannot be written, below
  for (const auto& [path, text] : files) {
    if (!path.parent_path().empty()) std::filesystem::create_directories(path.parent_path(), ignored);
  }
  const auto remove_partials = [&] {
    for (const auto& [written, unused] : files) std::filesystem::remove(written.string() + ".partial", ignored);
  };
  std::list<PartialFile> registered;  // removed on Ctrl-C while they are written
  for (const auto& [path, text] : files) {
    registered.emplace_back(path.string() + ".partial");
    std::ofstream file(path.string() + ".partial", std::ios::binary);
    if (!(file << *text) || !(file.flush())) {
      err << fmt::format("haven: error: cannot write {}: {}\n", path.string(), std::strerror(errno));
      remove_partials();
      return exit_failure;
    }
  }
  for (const auto& [path, text] : files) {
    std::error_code ec;
    std::filesystem::rename(path.string() + ".partial", path, ec);
    if (ec) {
      err << fmt::format("haven: error: cannot write {}: {}\n", path.string(), ec.message());
      remove_partials();
      return exit_failure;
    }
  }
  return exit_ok;
}

// `haven generate --tables csv -o big.yaml`: big.yaml naming big-nodes.csv, big-corridors.csv and big-events.csv
// beside it, all four written whole or none.
int write_generated_tables(const GeneratorSettings& generator, const std::string& output, bool overwrite,
                           std::ostream& err) {
  const std::filesystem::path scenario_path(output);
  const std::string prefix = scenario_path.stem().string() + "-";
  const auto tables = generate_scenario_tables(generator, prefix);
  const std::filesystem::path folder = scenario_path.parent_path();
  return write_whole_files({{scenario_path, &tables.yaml},
                            {folder / (prefix + "nodes.csv"), &tables.nodes_csv},
                            {folder / (prefix + "corridors.csv"), &tables.corridors_csv},
                            {folder / (prefix + "events.csv"), &tables.events_csv}},
                           overwrite, "give -o the path of a scenario file; its tables are written beside it", err);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"Haven: a discrete-event simulator of displacement under bombardment", "haven"};
  app.require_subcommand(0, 1);
  // Every option's default is shown in --help (subcommands inherit this).
  app.option_defaults()->always_capture_default();
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and the git commit it was built from");

  ScenarioArgs check_args;
  auto* check = app.add_subcommand("check", "Validate a scenario and summarise it (all variants are checked too)");
  add_scenario_args(*check, check_args);

  RunArgs run_args;
  auto* run = app.add_subcommand("run", "Simulate a scenario and print a summary");
  add_run_args(*run, run_args);

  ValidateArgs validate_args;
  auto* validate_command = app.add_subcommand(
      "validate", "Compare a run file, or an ensemble of a scenario, with the scenario's observations");
  validate_command->add_option("target", validate_args.run.scenario.path,
                               "Run file (.h5), ensemble (haven gather's ensemble.h5) or scenario (.yaml)");
  validate_command->add_option("--variant", validate_args.run.scenario.variant, "Variant (scenario only)")
      ->check(names_a_variant());
  validate_command->add_option("--set", validate_args.run.scenario.sets,
                               "Override a value (scenario only; one per --set; repeat it)");
  validate_command
      ->add_option("--set-file", validate_args.run.scenario.set_files,
                   "Apply an overlay (a scenario; a suite: every case)")
      ->check(CLI::ExistingFile);
  validate_args.runs_option =
      validate_command
          ->add_option("--runs", validate_args.runs,
                       "Ensemble members to run (scenario or suite; a suite's default: its file's)")
          ->check(CLI::Range(1, 1'000'000));
  validate_command
      ->add_option(
          "--suite", validate_args.suite,
          "Run every case of a validation suite file (e.g. scenarios/validation/suite.yaml) and print one table")
      ->check(CLI::ExistingFile);
  validate_command->add_option("--csv", validate_args.csv, "With --suite: write the table as CSV to this file")
      ->check(names_a_path(", or leave the option out for no CSV"));
  validate_command->add_flag("--overwrite", validate_args.run.overwrite, "Replace the --csv file if it exists");
  validate_command->add_option("--cases", validate_args.cases, "With --suite: only these cases (comma-separated names)")
      ->delimiter(',');
  validate_command
      ->add_option("--days", validate_args.run.days, "Simulate only the first N days (a scenario; a suite: every case)")
      ->check(CLI::Range(1, 100000));
  add_seed_option(*validate_command, validate_args.run.seed,
                  "Random seed, decimal or 0x hex (default: the scenario's)");
  validate_args.mode_option = validate_command->add_option("--mode", validate_args.run.mode, "stochastic or expected")
                                  ->check(CLI::IsMember({"stochastic", "expected"}));
  validate_command->add_option("-j,--threads", validate_args.run.threads, "Members run in parallel")
      ->check(CLI::Range(1, 1024));
  validate_command->add_option("--from", validate_args.from, "First observation date to compare (YYYY-MM-DD)");
  validate_command->add_option("--to", validate_args.to, "Last observation date to compare (YYYY-MM-DD)");
  // "nan" would never be exceeded (every comparison with it is false), so the check could never fail.
  const CLI::Validator finite_at_least_zero(
      [](std::string& text) -> std::string {
        double value = 0.0;
        try {
          std::size_t used = 0;
          value = std::stod(text, &used);
          if (used != text.size()) return "expected a number, got '" + text + "'";
        } catch (const std::exception&) {
          return "expected a number, got '" + text + "'";
        }
        if (!std::isfinite(value) || value < 0) return "must be a finite number at least 0, got '" + text + "'";
        return {};
      },
      "FLOAT>=0");
  validate_command
      ->add_option("--max-error", validate_args.max_error,
                   "Exit 1 when the weighted mean absolute relative error exceeds this")
      ->check(finite_at_least_zero);
  validate_command
      ->add_option("--max-point-error", validate_args.max_point_error,
                   "Exit 1 when any point's (of weight above 0) absolute relative error exceeds this")
      ->check(finite_at_least_zero);
  validate_command->add_flag("--skip-unrecorded", validate_args.skip_unrecorded,
                             "Compare the points the runs can supply and list the others (default: an error)");

  CompareArgs compare_args;
  auto* compare = app.add_subcommand("compare", "Compare what-if runs: displaced by chosen days, peaks, destinations");
  compare
      ->add_option("files", compare_args.files,
                   "Run files or ensembles (.h5; an ensemble gives its members' mean); differences are from the first")
      ->required()
      ->check(CLI::ExistingFile);
  compare->add_option("--at", compare_args.at,
                      "Where to read displaced: a day, a date (YYYY-MM-DD), 'end' or 'peak' (each run's day of most "
                      "departures; repeat it; default: days 30, 60, 90 within the period, and the end)");
  compare->add_flag("--csv", compare_args.csv, "Print CSV (full names, every column) instead of the table");

  std::string info_file;
  auto* info = app.add_subcommand("info", "Describe a Haven output file: scenario, period, seed, headline numbers");
  info->add_option("file", info_file, "Run file or ensemble (.h5)")
      ->required()
      // A sweep's folder is what people give first: pointed to its ensemble.h5.
      ->check(CLI::Validator(
          [](const std::string& path) {
            std::error_code error;
            if (!std::filesystem::is_directory(path, error)) return std::string();
            const auto ensemble = std::filesystem::path(path) / "ensemble.h5";
            return std::filesystem::exists(ensemble, error)
                       ? fmt::format("{} is a folder; its ensemble is {}", path, ensemble.string())
                       : fmt::format("{} is a folder, not a run file (.h5)", path);
          },
          "", "not a folder"))
      ->check(CLI::ExistingFile);

  GeneratorSettings generator;
  std::string generate_output;
  auto* generate = app.add_subcommand("generate", "Write a synthetic scenario (random road graph) for benchmarks");
  // Bounds are checked together after parsing (generator_problems), so every problem is reported at once.
  generate->add_option("--nodes", generator.nodes, "Number of nodes (4 to 1,000,000)");
  auto* corridors_option =
      generate
          ->add_option("--corridors", generator.corridors,
                       "Roads between the nodes this side of the border (2 to 10 per node, each pair once; "
                       "default: 3 per node, as many as the nodes hold); the border crossing is one more")
          ->default_str("3 per node");
  generate->add_option("--people", generator.people, "People in all, in the towns and cities (0 to 1e12)");
  generate->add_option("--events", generator.bombardments, "Bombardment events (0 to 1,000,000)");
  generate->add_option("--days", generator.days, "Days to simulate (1 to 36,600)");
  add_seed_option(*generate, generator.seed, "Generator seed (also the scenario's default seed)");
  generate->add_option("--name", generator.name, "Scenario name");
  generate->add_option("-o,--output", generate_output, "Write to this file instead of standard output")
      ->check(names_a_path(", or leave the option out for standard output"));
  bool generate_overwrite = false;
  generate->add_flag("--overwrite", generate_overwrite, "Replace the -o file (and, with --tables csv, its tables)");
  std::string generate_tables = "yaml";
  generate
      ->add_option("--tables", generate_tables,
                   "How to write the nodes, corridors and events: 'yaml' (lists in the file) or 'csv' (tables "
                   "<name>-nodes.csv, <name>-corridors.csv, <name>-events.csv next to the -o file)")
      ->check(CLI::IsMember({"yaml", "csv"}));

  auto* schema = app.add_subcommand("schema", "Print the JSON Schema of the scenario format (for editors)");

  bool params_markdown = false;
  auto* params = app.add_subcommand("params", "List the model parameters: units, default, range, meaning");
  params->add_flag("--markdown", params_markdown, "Print docs/parameters.md instead of a table");

  SweepCommands sweep_commands(app);
  FleeCommands flee_commands(app);
  ExportCommands export_commands(app);
  ReportCommands report_commands(app);
  ServeCommands serve_commands(app);
  finish_options(app);

  if (auto mistake = value_without_its_flag(app, args)) {
    err << *mistake << "\n";
    return exit_bad_input;
  }
  std::vector<const char*> argv{"haven"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  try {
    // CLI11 parses right to left from a reversed vector; its char** overload keeps the order.
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return exit_ok;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return exit_ok;
  } catch (const CLI::ParseError& e) {
    err << usage_error(app, args, e) << "\n";
    return exit_bad_input;
  }

  if (show_version) {
    out << fmt::format("haven {} (commit {})\n", HAVEN_VERSION, HAVEN_GIT_COMMIT);
    return exit_ok;
  }
  try {
    if (check->parsed()) return command_check(check_args, out, err);
    if (run->parsed()) return command_run(run_args, args, out, err);
    if (info->parsed()) return command_info(info_file, out, err);
    if (validate_command->parsed()) return command_validate(validate_args, out, err);
    if (compare->parsed()) return command_compare(compare_args, out, err);
    if (auto code = sweep_commands.dispatch(args, out, err)) return *code;
    if (auto code = flee_commands.dispatch(out, err)) return *code;
    if (auto code = export_commands.dispatch(out, err)) return *code;
    if (auto code = report_commands.dispatch(out, err)) return *code;
    if (auto code = serve_commands.dispatch(out, err)) return *code;
    if (generate->parsed()) {
      if (corridors_option->count() == 0) generator.corridors = default_corridors(generator.nodes);
      auto problems = generator_problems(generator);
      if (generate_tables == "csv" && generate_output.empty()) {
        problems.push_back("--tables csv writes the scenario and three tables: give the scenario file with -o");
      }
      for (const auto& problem : problems) err << fmt::format("haven: error: {}\n", problem);
      if (!problems.empty()) return exit_bad_input;
      if (generate_tables == "csv") return write_generated_tables(generator, generate_output, generate_overwrite, err);
      const std::string text = generate_scenario_yaml(generator);
      if (generate_output.empty()) {
        out << text;
        return exit_ok;
      }
      return write_whole_files({{std::filesystem::path(generate_output), &text}}, generate_overwrite,
                               "leave out -o to write the scenario to standard output", err);
    }
    if (schema->parsed()) {
      out << scenario_json_schema();
      return exit_ok;
    }
    if (params->parsed()) {
      out << (params_markdown ? parameters_markdown() : parameters_table());
      return exit_ok;
    }
  } catch (const InputError& e) {
    return print_diagnostics(e.diagnostics(), err);
  } catch (const OutputRefused& e) {
    err << "haven: error: " << e.what() << "\n";
    return exit_bad_input;
  } catch (const std::exception& e) {
    err << "haven: error: " << e.what() << "\n";
    return exit_failure;
  }
  out << app.help();
  return exit_bad_input;
}

}  // namespace haven::app
