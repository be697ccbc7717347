#include "common.hpp"

#include <fmt/format.h>

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

CLI::Validator names_a_path() {
  return CLI::Validator(
      [](const std::string& value) {
        return value.empty() ? std::string(
                                   "names no path (an empty value); give one, or leave the option out for "
                                   "its default")
                             : std::string();
      },
      "PATH");
}

}  // namespace haven::app
