#include "flee_commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli.hpp"
#include "common.hpp"
#include "haven/flee/folder.hpp"
#include "haven/io/output.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/util/date.hpp"

namespace fs = std::filesystem;

namespace haven::app {

namespace {

// Flee's rules are told how many flee: a folder without camp series cannot give them that.
void refuse_flee_rules_without_series(const flee::FleeConflict& conflict, Diagnostics& diagnostics) {
  // Named but with no point in the simulated period (a StartDate after the data, say) is not "names none".
  const bool named = std::any_of(conflict.camp_series.begin(), conflict.camp_series.end(),
                                 [](const flee::CampSeries& series) { return series.used; });
  const std::string why =
      named ? fmt::format(
                  "the camp series this file names have no point in the simulated period ({} days from {}): "
                  "check the StartDate of simsetting.yml or conflict_period.csv against the data, or",
                  conflict.days, format_iso_date(conflict.start_date))
            : std::string("this file names none;");
  diagnostics.error({(conflict.folder / "source_data" / "data_layout.csv").string(), 1, 1},
                    fmt::format("Flee's rules need the camps' UNHCR series to give their departures (Flee's "
                                "sum_from_camps), and {} import it with Haven's rules: haven import-flee {} --rules "
                                "haven",
                                why, conflict.folder.string()));
}

}  // namespace

FleeCommands::FleeCommands(CLI::App& app) {
  import_ = app.add_subcommand("import-flee", "Write a Haven scenario from a Flee conflict folder (docs/flee.md)");
  import_->add_option("folder", args_.folder, "Flee conflict folder (input_csv/, source_data/)")->required();
  import_
      ->add_option("--rules", args_.rules,
                   "flee (Flee 3's rules with counts, docs/model.md; the default) or haven (Haven's own rules)")
      ->check(CLI::IsMember({"flee", "haven"}));
  import_
      ->add_option("--departures", args_.departures,
                   "given (by the rise of UNHCR's camp total; the default) or predicted (by the model; with --rules "
                   "haven only)")
      ->check(CLI::IsMember({"given", "predicted"}));
  import_->add_option("--simsetting", args_.simsetting, "Flee's simsetting.yml (default: <folder>/simsetting.yml)")
      ->check(CLI::ExistingFile);
  import_
      ->add_option("-o,--output", args_.output,
                   "Scenario file to write (default: output/<folder name>.yaml; - for standard output)")
      ->check(names_a_path());
  import_->add_flag("--overwrite", args_.overwrite, "Replace the output file if it exists");
}

std::optional<int> FleeCommands::dispatch(std::ostream& out, std::ostream& err) {
  if (!import_->parsed()) return std::nullopt;
  if (args_.rules == "flee" && args_.departures == "predicted") {
    err << "haven: error: --departures predicted needs --rules haven: Flee's rules are told how many people flee "
           "each day (departures given by the camps' UNHCR series)\n"
           "  hint: haven import-flee "
        << args_.folder << " --rules haven --departures predicted\n";
    return exit_bad_input;
  }
  Diagnostics diagnostics;
  auto conflict = flee::read_flee_folder(args_.folder, diagnostics, args_.simsetting);
  if (!conflict) return print_diagnostics(diagnostics, err);
  const auto imported = flee::import_conflict(*conflict, {args_.rules, args_.departures});
  if (imported.flee_rules_without_departures) {
    refuse_flee_rules_without_series(*conflict, diagnostics);
    return print_diagnostics(diagnostics, err);
  }
  const bool to_stdout = args_.output == "-";
  const fs::path output =
      args_.output.empty() ? fs::path("output") / (conflict->folder_name + ".yaml") : fs::path(args_.output);
  // The scenario must be one `haven check` accepts; anything else is a bug of the importer, not of the folder.
  // Its warnings are in the list of what could not be expressed; `haven check` shows them one by one.
  auto checked = load_scenario_text(imported.yaml, to_stdout ? "-" : output.string());
  for (const auto& diagnostic : checked.diagnostics.all()) {
    if (diagnostic.severity == Severity::error) diagnostics.error(diagnostic.location, diagnostic.message);
  }
  if (print_diagnostics(diagnostics, err) != exit_ok) return exit_bad_input;
  // With `-o -` the scenario goes to standard output and the report to standard error.
  std::ostream& report = to_stdout ? err : out;
  if (to_stdout) {
    out << imported.yaml;
  } else {
    if (fs::exists(output) && !args_.overwrite) {
      err << fmt::format("haven: error: {} exists; pass --overwrite to replace it, or -o to write elsewhere\n",
                         output.string());
      return exit_bad_input;
    }
    // Never a CSV of the conflict folder itself, nor the settings file read with it (what this reads).
    std::vector<fs::path> inputs{fs::path(args_.folder), fs::path(args_.folder) / "simsetting.yml"};
    if (!args_.simsetting.empty()) inputs.emplace_back(args_.simsetting);
    if (auto problem = check_output_file(output, true, inputs)) {
      err << fmt::format("haven: error: {}\n", problem->message);
      return problem->input_mistake ? exit_bad_input : exit_failure;
    }
    try {
      write_whole_file(output, imported.yaml);
    } catch (const std::runtime_error& e) {
      err << fmt::format("haven: error: {}\n", e.what());
      return exit_failure;
    }
  }
  report << fmt::format("imported {} ({} day{} from {})\n", conflict->folder.string(), conflict->days,
                        conflict->days == 1 ? "" : "s", format_iso_date(conflict->start_date));
  for (const auto& note : imported.notes) report << "  " << note << "\n";
  if (!to_stdout) report << fmt::format("wrote {}\n", output.string());
  report << fmt::format("Flee features this scenario could not express ({}):\n", imported.unexpressed.size());
  for (const auto& item : imported.unexpressed) report << fmt::format("  {}: {}\n", item.feature, item.extent);
  return exit_ok;
}

std::optional<std::string> flee_folder_as_yaml(const std::string& path, Diagnostics& diagnostics) {
  auto conflict = flee::read_flee_folder(path, diagnostics);
  if (!conflict) return std::nullopt;
  auto imported = flee::import_conflict(*conflict);
  if (imported.flee_rules_without_departures) {
    refuse_flee_rules_without_series(*conflict, diagnostics);
    return std::nullopt;
  }
  // What import-flee would list at its end is said here too: never dropped silently.
  for (const auto& item : imported.unexpressed) {
    diagnostics.warning({conflict->folder.string(), 0, 0},
                        fmt::format("not expressed by the scenario: {} ({})", item.feature, item.extent));
  }
  return std::move(imported.yaml);
}

namespace {

LoadResult load_as_given(const std::string& path, const LoadOptions& options) {
  if (!flee::is_flee_folder(path)) return load_scenario_file(path, options);
  LoadResult result;
  const auto yaml = flee_folder_as_yaml(path, result.diagnostics);
  if (!yaml) return result;
  auto loaded = load_scenario_text(*yaml, path + " (imported from Flee)", options);
  result.diagnostics.append(loaded.diagnostics);  // the import's warnings first
  loaded.diagnostics = std::move(result.diagnostics);
  return loaded;
}

}  // namespace

LoadResult load_scenario_or_flee_folder(const std::string& path, const LoadOptions& options) {
  LoadResult loaded = load_as_given(path, options);
  if (!loaded.diagnostics.has_errors() || (options.set_overrides.empty() && options.set_files.empty())) return loaded;
  // An error at a line of the file that only the command line's edits bring (--set scenario.days=50 leaves an
  // observation after the period) names them: the file alone is fine, and the message must not say otherwise.
  LoadOptions as_written = options;
  as_written.set_overrides.clear();
  as_written.set_files.clear();
  const LoadResult without = load_as_given(path, as_written);
  std::vector<std::string> edits;
  for (const auto& file : options.set_files) edits.push_back("--set-file " + file.string());
  for (const auto& set : options.set_overrides) edits.push_back("--set " + set);
  loaded.diagnostics = naming_edits(loaded.diagnostics, without.diagnostics, path, edits);
  return loaded;
}

}  // namespace haven::app
