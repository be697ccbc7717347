#include "cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "check_summary.hpp"
#include "haven/scenario/load.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/scenario/schema.hpp"
#include "haven/version.hpp"

namespace haven::app {

namespace {

struct ScenarioArgs {
  std::string path;
  std::string variant;
  std::vector<std::string> sets;
};

void add_scenario_args(CLI::App& command, ScenarioArgs& args) {
  command.add_option("scenario", args.path, "Scenario YAML file")->required();
  command.add_option("--variant", args.variant, "Apply the named what-if variant defined in the file");
  command.add_option("--set", args.sets, "Override a value, e.g. --set parameters.return_rate_per_day=0.02")
      ->take_all();
}

int print_diagnostics(const Diagnostics& diagnostics, std::ostream& err) {
  diagnostics.print(err);
  if (diagnostics.has_errors()) {
    err << fmt::format("{} error{}; nothing was run.\n", diagnostics.error_count(),
                       diagnostics.error_count() == 1 ? "" : "s");
    return exit_bad_input;
  }
  return exit_ok;
}

int command_check(const ScenarioArgs& args, std::ostream& out, std::ostream& err) {
  LoadOptions options{args.variant, args.sets, true};
  auto result = load_scenario_file(args.path, options);
  if (print_diagnostics(result.diagnostics, err) != exit_ok) return exit_bad_input;
  out << check_summary(*result.scenario);
  const auto warnings = result.diagnostics.all().size();
  out << fmt::format("ok: {} is valid{}\n", args.path,
                     warnings == 0 ? "" : fmt::format(" ({} warning{})", warnings, warnings == 1 ? "" : "s"));
  return exit_ok;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"Haven: a discrete-event simulator of displacement under bombardment", "haven"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and the git commit it was built from");

  ScenarioArgs check_args;
  auto* check = app.add_subcommand("check", "Validate a scenario and summarise it (all variants are checked too)");
  add_scenario_args(*check, check_args);

  auto* schema = app.add_subcommand("schema", "Print the JSON Schema of the scenario format (for editors)");

  bool params_markdown = false;
  auto* params = app.add_subcommand("params", "List the model parameters: units, default, range, meaning");
  params->add_flag("--markdown", params_markdown, "Print docs/parameters.md instead of a table");

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
    err << "haven: " << e.what() << "\n";
    err << "Run 'haven --help' for usage.\n";
    return exit_bad_input;
  }

  if (show_version) {
    out << fmt::format("haven {} (commit {})\n", HAVEN_VERSION, HAVEN_GIT_COMMIT);
    return exit_ok;
  }
  try {
    if (check->parsed()) return command_check(check_args, out, err);
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
  } catch (const std::exception& e) {
    err << "haven: error: " << e.what() << "\n";
    return exit_failure;
  }
  out << app.help();
  return exit_bad_input;
}

}  // namespace haven::app
