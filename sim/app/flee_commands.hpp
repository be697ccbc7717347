#pragma once
// `haven import-flee`, and reading a Flee conflict folder wherever a scenario file is expected (check, run).

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "haven/scenario/load.hpp"

namespace haven::app {

class FleeCommands {
 public:
  // Registers `import-flee` on `app`.
  explicit FleeCommands(CLI::App& app);
  // The exit code when it was parsed; nullopt otherwise.
  std::optional<int> dispatch(std::ostream& out, std::ostream& err);

 private:
  CLI::App* import_ = nullptr;
  struct {
    std::string folder;
    std::string rules = "flee";  // issue 12: Flee users get Flee's rules unless they ask for Haven's
    std::string departures = "given";
    std::string simsetting;
    std::string output;
    bool overwrite = false;
  } args_;
};

// load_scenario_file, except that a Flee conflict folder is imported in memory as `import-flee` with the defaults
// would (Flee's rules, departures given by the camps' series) and then loaded with `options` as if it were the
// scenario file.
LoadResult load_scenario_or_flee_folder(const std::string& path, const LoadOptions& options);

// A Flee conflict folder imported as load_scenario_or_flee_folder does, as the YAML text of a scenario (haven serve
// keeps a scenario's text); nothing, with the reasons in `diagnostics`, when the folder cannot be imported.
std::optional<std::string> flee_folder_as_yaml(const std::string& path, Diagnostics& diagnostics);

}  // namespace haven::app
