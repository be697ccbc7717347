#include "common.hpp"

#include <fmt/format.h>

#include "cli.hpp"

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
  for (const auto& arg : args) {
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"$\\") == std::string::npos;
    line += plain ? " " + arg : " '" + arg + "'";
  }
  return line;
}

}  // namespace haven::app
