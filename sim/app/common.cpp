#include "common.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "cli.hpp"
#include "haven/util/text.hpp"

namespace haven::app {

int print_diagnostics(const Diagnostics& diagnostics, std::ostream& err) {
  diagnostics.print(err);
  if (diagnostics.has_errors()) {
    err << fmt::format("{} error{}; nothing was run.\n", diagnostics.error_count(),
                       diagnostics.error_count() == 1 ? "" : "s");
    return exit_bad_input;
  }
  return exit_ok;
}

int print_stored_scenario_problems(const Diagnostics& diagnostics, std::ostream& err) {
  return diagnostics.has_errors() ? print_diagnostics(diagnostics, err) : exit_ok;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = "haven";
  for (const auto& arg : args) line += " " + shell_word(arg);
  return line;
}

namespace {

// Rewrites the text as decimal for CLI11's own conversion, or says what a seed may be.
CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto seed = parse_seed(text);
        if (!seed) return fmt::format("expected a seed ({}), got '{}'", seed_forms, text);
        text = std::to_string(*seed);
        return {};
      },
      "SEED");
}

}  // namespace

CLI::Option* add_seed_option(CLI::App& command, std::optional<std::uint64_t>& seed, const std::string& description) {
  return command.add_option("--seed", seed, description)->transform(seed_validator());
}

CLI::Option* add_seed_option(CLI::App& command, std::uint64_t& seed, const std::string& description) {
  return command.add_option("--seed", seed, description)->transform(seed_validator());
}

namespace {

// An option given as "" (an unset shell variable) is refused with `message`, not read as "the default".
CLI::Validator refuses_empty(std::string message, std::string name) {
  return CLI::Validator(
      [message = std::move(message)](const std::string& value) { return value.empty() ? message : std::string(); },
      std::move(name));
}

}  // namespace

CLI::Validator names_a_path(std::string_view without_it) {
  return refuses_empty(fmt::format("names no path (an empty value); give one{}", without_it), "PATH");
}

CLI::Validator names_a_variant() {
  return refuses_empty(
      "names no variant (an empty value); give one, or leave the option out to run the scenario as written", "NAME");
}

bool is_hdf5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char signature[8] = {};
  in.read(signature, 8);
  return in.gcount() == 8 && std::string(signature, 8) == "\x89HDF\r\n\x1a\n";
}

// A scenario (or anything but a run file) where one is wanted: said with what to do, exit 2 (not HDF5's "file
// signature not found").
bool refuse_if_not_a_run_file(const std::string& path, const char* command, std::ostream& err) {
  if (is_hdf5_file(path)) return false;
  err << fmt::format(
      "haven {}: {} is not a run file (the HDF5 file haven run writes){}\n", command, path,
      std::filesystem::path(path).extension() == ".yaml" || std::filesystem::path(path).extension() == ".yml"
          ? fmt::format("; it looks like a scenario: run it first (haven run {} -o FILE.h5)", path)
          : "");
  return true;
}

// An ensemble where a run file is expected: its usable members, after a warning naming any missing run files.
EnsembleFile read_usable_ensemble(const std::string& path, std::ostream& err) {
  EnsembleFile ensemble = read_ensemble_file(path, true);
  err << missing_sources_warning(path, ensemble);
  if (ensemble.runs.empty()) {
    throw std::runtime_error(fmt::format("{}: none of its {} members can be read (see status, and the warning above)",
                                         path, ensemble.members));
  }
  return ensemble;
}

std::string ensemble_label(const EnsembleFile& ensemble) {
  return fmt::format("{}{} (mean of {} members)", ensemble.scenario_name,
                     ensemble.variant.empty() ? "" : " [" + ensemble.variant + "]", ensemble.usable());
}

}  // namespace haven::app
