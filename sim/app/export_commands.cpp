#include "export_commands.hpp"

#include <fmt/format.h>

#include "cli.hpp"
#include "common.hpp"
#include "haven/io/export.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/load.hpp"

namespace haven::app {

ExportCommands::ExportCommands(CLI::App& app) {
  export_ = app.add_subcommand("export", "Write a run file as CSV tables (with HXL tags) and GeoJSON layers");
  export_->add_option("file", args_.file, "Run file (.h5)")->required()->check(CLI::ExistingFile);
  export_->add_option("--format", args_.formats, "csv, geojson or both ('csv,geojson'; default: both)")
      ->delimiter(',')
      ->check(CLI::IsMember({"csv", "geojson"}));
  export_->add_option("-o,--output", args_.directory, "Directory to write into (created if missing)")->required();
  export_->add_flag("--no-hxl", args_.no_hxl, "Plain CSV tables: no HXL hashtag row under the header");
  export_->add_flag("--series", args_.series, "GeoJSON: add each feature's per-day series as array properties");
  export_->add_flag("--overwrite", args_.overwrite, "Replace files that exist");
}

std::optional<int> ExportCommands::dispatch(std::ostream& out, std::ostream& err) {
  if (!export_->parsed()) return std::nullopt;
  return run_export(out, err);
}

int ExportCommands::run_export(std::ostream& out, std::ostream& err) {
  const RunFile run = read_run_file(args_.file);
  // The file carries its resolved scenario: corridor ends and origin-destination names come from it.
  const auto loaded = load_scenario_text(run.scenario_yaml, args_.file + " (scenario_yaml)");
  if (print_diagnostics(loaded.diagnostics, err) != exit_ok) return exit_bad_input;
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
  for (const auto& path : export_run(run, *loaded.scenario, args_.directory, options)) {
    out << fmt::format("wrote {}\n", path.string());
  }
  return exit_ok;
}

}  // namespace haven::app
