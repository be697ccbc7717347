#include "export_commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>

#include "cli.hpp"
#include "common.hpp"
#include "haven/io/export.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/load.hpp"
#include "haven/sweep/ensemble.hpp"
#include "haven/util/text.hpp"

namespace haven::app {

ExportCommands::ExportCommands(CLI::App& app) {
  export_ = app.add_subcommand(
      "export", "Write run files (or an ensemble's summary) as CSV tables (with HXL tags) and GeoJSON layers");
  export_
      ->add_option("files", args_.files,
                   "Run files (.h5; several: summary.csv with a row each, their tables in a folder each), or "
                   "ensembles (ensemble.h5: a summary.csv row per member)")
      ->required()
      ->check(CLI::ExistingFile);
  export_->add_option("--format", args_.formats, "csv, geojson or both ('csv,geojson'; default: both)")
      ->delimiter(',')
      ->check(CLI::IsMember({"csv", "geojson"}));
  export_->add_option("-o,--output", args_.directory, "Directory to write into (created if missing)")
      ->required()
      ->check(names_a_path(": the folder to write the tables and layers into"));
  export_->add_flag("--no-hxl", args_.no_hxl, "Plain CSV tables: no HXL hashtag row under the header");
  export_->add_flag("--bom", args_.bom,
                    "Start each CSV with a UTF-8 byte-order mark, so that Excel on Windows reads names in other "
                    "scripts (pandas then needs encoding='utf-8-sig')");
  export_->add_flag("--series", args_.series, "GeoJSON: add each feature's per-day series as array properties");
  export_->add_flag("--overwrite", args_.overwrite, "Replace files that exist");
}

std::optional<int> ExportCommands::dispatch(std::ostream& out, std::ostream& err) {
  if (!export_->parsed()) return std::nullopt;
  return run_export(out, err);
}

int ExportCommands::run_export(std::ostream& out, std::ostream& err) {
  ExportOptions options;
  const bool all = args_.formats.empty();
  for (const auto& format : args_.formats) {
    options.csv = options.csv || format == "csv";
    options.geojson = options.geojson || format == "geojson";
  }
  if (all) options.csv = options.geojson = true;
  options.hxl = !args_.no_hxl;
  options.overwrite = args_.overwrite;
  options.geojson_series = args_.series;
  options.byte_order_mark = args_.bom;

  for (const auto& file : args_.files) {
    if (refuse_if_not_a_run_file(file, "export", err)) return exit_bad_input;
  }
  // With several files, each run file's tables go into a folder named after it: the names must differ.
  std::map<std::string, std::string> folders;  // folder -> the file it is for
  bool any_tables = false;
  for (const auto& file : args_.files) {
    if (is_ensemble_file(file)) continue;
    any_tables = true;
    const std::string folder = std::filesystem::path(file).stem().string();
    if (args_.files.size() > 1) {
      if (const auto [at, added] = folders.emplace(folder, file); !added) {
        err << fmt::format(
            "haven export: {} and {} would both write their tables into {}/; rename one of them, or export them "
            "one at a time\n",
            at->second, file, (std::filesystem::path(args_.directory) / folder).string());
        return exit_bad_input;
      }
    }
  }
  if (!options.csv && !any_tables) {
    err << "haven export: an ensemble exports only summary.csv (a row per member); ask for --format csv, or export "
           "a member's run file (runs/member_NNNN.h5) for its layers\n";
    return exit_bad_input;
  }

  // Everything is read before anything is written. Deques: the exported runs point into them.
  std::deque<RunFile> run_files;
  std::deque<EnsembleFile> ensembles;
  std::deque<Scenario> scenarios;
  std::vector<ExportedRun> runs;
  // The rows of summary.csv name their file: by its name, or by the path as given when another file has that
  // name (two sweeps' ensemble.h5).
  const auto names = distinct_file_names({args_.files.begin(), args_.files.end()});
  std::size_t index = 0;
  for (const auto& file : args_.files) {
    const std::string& name = names[index++];
    if (is_ensemble_file(file)) {
      EnsembleFile& ensemble = ensembles.emplace_back(read_ensemble_file(file, true));
      err << missing_sources_warning(file, ensemble);
      if (ensemble.runs.empty()) {
        err << fmt::format("haven: error: {}: none of its {} members can be read (see its status)\n", file,
                           ensemble.members);
        return exit_failure;
      }
      const auto loaded = load_scenario_text(ensemble.scenario_yaml, file + " (scenario_yaml)");
      if (print_stored_scenario_problems(loaded.diagnostics, err) != exit_ok) return exit_bad_input;
      const Scenario& scenario = scenarios.emplace_back(*loaded.scenario);
      for (std::size_t r = 0; r < ensemble.runs.size(); ++r) {
        RunFile& member = ensemble.runs[r];
        const auto m = static_cast<std::size_t>(ensemble.run_member[r]);
        ExportedRun exported{&member, &scenario, name, ensemble.run_member[r]};
        exported.tables = false;
        if (m < ensemble.design_point.size()) exported.design_point = ensemble.design_point[m];
        if (m < ensemble.replicate.size()) exported.replicate = ensemble.replicate[m];
        for (std::size_t k = 0; k < ensemble.parameters.size(); ++k) {
          if (m < ensemble.parameter_values[k].size())
            exported.swept.emplace_back(ensemble.parameters[k], ensemble.parameter_values[k][m]);
        }
        runs.push_back(std::move(exported));
      }
      continue;
    }
    const RunFile& run = run_files.emplace_back(read_run_file(file));
    // The file carries its resolved scenario: corridor ends and origin-destination names come from it.
    const auto loaded = load_scenario_text(run.scenario_yaml, file + " (scenario_yaml)");
    if (print_stored_scenario_problems(loaded.diagnostics, err) != exit_ok) return exit_bad_input;
    runs.push_back(
        {&run, &scenarios.emplace_back(*loaded.scenario), name, -1, true, std::filesystem::path(file).stem().string()});
  }
  for (const auto& path : export_runs(runs, args_.directory, options)) {
    out << fmt::format("wrote {}\n", path.string());
  }
  return exit_ok;
}

}  // namespace haven::app
