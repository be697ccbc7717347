#pragma once
// `haven export`: run files (and ensembles) as CSV tables and GeoJSON layers for spreadsheets, HDX and GIS.

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace haven::app {

class ExportCommands {
 public:
  // Registers the subcommand on `app`.
  explicit ExportCommands(CLI::App& app);
  // The exit code when it was parsed; nullopt otherwise.
  std::optional<int> dispatch(std::ostream& out, std::ostream& err);

 private:
  int run_export(std::ostream& out, std::ostream& err);

  CLI::App* export_ = nullptr;
  struct {
    std::vector<std::string> files;
    std::vector<std::string> formats;
    std::string directory;
    bool no_hxl = false;
    bool bom = false;
    bool overwrite = false;
    bool series = false;
  } args_;
};

}  // namespace haven::app
