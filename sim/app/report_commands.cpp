#include "report_commands.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "cli.hpp"
#include "common.hpp"
#include "haven/io/output.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/report/report.hpp"
#include "haven/scenario/load.hpp"
#include "haven/sweep/ensemble.hpp"
#include "haven/util/diagnostics.hpp"

namespace haven::app {

namespace {

bool is_run_file(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  return ext == ".h5" || ext == ".nc" || ext == ".hdf5";
}

}  // namespace

ReportCommands::ReportCommands(CLI::App& app) {
  report_ = app.add_subcommand(
      "report",
      "Write an HTML report (map, charts, headline figures) of run files, or preview a scenario before running it");
  report_
      ->add_option("inputs", args_.inputs,
                   "Run files or ensembles (.h5; several are compared, differences from the first; an ensemble gives "
                   "its median and 5-95% band), or one scenario (.yaml)")
      ->required();
  report_->add_option("--variant", args_.variant, "Variant to preview (scenario only)")->check(names_a_variant());
  report_
      ->add_option("-o,--output", args_.output,
                   "Report file (default: output/<run>.html, output/<run>-comparison.html for several runs, "
                   "output/<scenario>[-<variant>]-preview.html for a scenario)")
      ->check(names_a_path());
  report_->add_flag("--overwrite", args_.overwrite, "Replace the report file if it exists");
}

std::optional<int> ReportCommands::dispatch(std::ostream& out, std::ostream& err) {
  if (!report_->parsed()) return std::nullopt;
  const auto& inputs = args_.inputs;
  const bool preview = !is_run_file(inputs.front());
  if (preview && inputs.size() > 1) {
    err << "haven report: a scenario is previewed on its own; to compare variants, run them "
           "(haven run SCENARIO --variants all) and report the run files\n";
    return exit_bad_input;
  }
  for (const auto& input : inputs) {
    if (preview == is_run_file(input)) {
      err << fmt::format("haven report: {} is not a run file (.h5); give run files only, or one scenario\n", input);
      return exit_bad_input;
    }
    if (!std::filesystem::exists(input)) {
      err << fmt::format("haven report: {} does not exist\n", input);
      return exit_bad_input;
    }
    // Named .h5 but no HDF5 file (a text file, a scenario renamed): said as info, compare and export say it.
    if (!preview && refuse_if_not_a_run_file(input, "report", err)) return exit_bad_input;
  }
  if (!preview && !args_.variant.empty()) {
    err << "haven report: --variant applies to a scenario preview; a run file already holds its variant\n";
    return exit_bad_input;
  }

  std::string data;
  std::string title;
  std::filesystem::path output = args_.output;
  if (preview) {
    LoadOptions options;
    options.variant = args_.variant;
    auto result = load_scenario_file(inputs.front(), options);
    if (print_diagnostics(result.diagnostics, err) != exit_ok) return exit_bad_input;
    const Scenario& scenario = *result.scenario;
    data = report_data_from_scenario(scenario, inputs.front());
    title = (scenario.title.empty() ? scenario.name : scenario.title) + " (preview)";
    if (output.empty()) {
      output = std::filesystem::path("output") /
               (scenario.name + (scenario.variant.empty() ? "" : "-" + scenario.variant) + "-preview.html");
    }
  } else {
    std::vector<std::filesystem::path> files(inputs.begin(), inputs.end());
    const bool first_is_ensemble = is_ensemble_file(files.front());
    if (output.empty()) {
      // An ensemble is called ensemble.h5 in its sweep's folder: the folder names it.
      const auto& first = files.front();
      const std::string name = first_is_ensemble && first.stem() == "ensemble" && first.has_parent_path() &&
                                       !first.parent_path().filename().empty() && first.parent_path().filename() != "."
                                   ? first.parent_path().filename().string()
                                   : first.stem().string();
      output = std::filesystem::path("output") / (name + (files.size() > 1 ? "-comparison" : "") + ".html");
    }
    // Before the files are read: what would refuse the report is said first.
    if (auto problem = check_output_file(output, args_.overwrite, {inputs.begin(), inputs.end()})) {
      err << fmt::format("haven: error: {}\n", problem->message);
      return problem->input_mistake ? exit_bad_input : exit_failure;
    }
    for (const auto& file : files) {
      if (is_ensemble_file(file)) err << missing_sources_warning(file, read_ensemble_file(file, false));
    }
    try {
      data = report_data_from_runs(files);
    } catch (const ReportInputError& e) {
      err << "haven report: error: " << e.what() << "\n";
      return exit_bad_input;
    }
    if (first_is_ensemble) {
      const EnsembleFile ensemble = read_ensemble_file(files.front(), false);
      const auto loaded = load_scenario_text(ensemble.scenario_yaml, files.front().string() + " (scenario_yaml)");
      title = loaded.scenario && !loaded.scenario->title.empty() ? loaded.scenario->title : ensemble.scenario_name;
    } else {
      const RunFile first = read_run_file(files.front());
      title = first.title.empty() ? first.scenario_name : first.title;
    }
  }
  if (auto problem = check_output_file(output, args_.overwrite, {inputs.begin(), inputs.end()})) {
    err << fmt::format("haven: error: {}\n", problem->message);
    return problem->input_mistake ? exit_bad_input : exit_failure;
  }
  std::string html;
  try {
    html = render_report_html(data, title, report_assets());
  } catch (const ReportAssetError& e) {
    err << "haven: error: " << e.what() << "\n";
    return exit_failure;
  }
  write_whole_file(output, html);
  out << fmt::format("wrote {} ({:.1f} MB; opens offline in a browser)\n", output.string(),
                     static_cast<double>(html.size()) / 1e6);
  return exit_ok;
}

}  // namespace haven::app
