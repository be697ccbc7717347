#pragma once
// `haven report`: an HTML report of one or more run files, or a preview of a scenario before any run.

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace haven::app {

class ReportCommands {
 public:
  // Registers the subcommand on `app`.
  explicit ReportCommands(CLI::App& app);
  // The exit code when it was parsed; nullopt otherwise.
  std::optional<int> dispatch(std::ostream& out, std::ostream& err);

 private:
  CLI::App* report_ = nullptr;
  struct {
    std::vector<std::string> inputs;
    std::string variant;
    std::string output;
    bool overwrite = false;
  } args_;
};

}  // namespace haven::app
