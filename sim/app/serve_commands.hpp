#pragma once
// `haven serve`: the what-if page on a local web server (docs/serve.md).

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace haven::app {

class ServeCommands {
 public:
  // Registers the subcommand on `app`.
  explicit ServeCommands(CLI::App& app);
  // The exit code when it was parsed; nullopt otherwise. Blocks until SIGINT or SIGTERM.
  std::optional<int> dispatch(std::ostream& out, std::ostream& err);

 private:
  CLI::App* serve_ = nullptr;
  struct {
    std::vector<std::string> scenarios;
    int port = 8765;
    std::string host = "127.0.0.1";
    bool open = false;
    std::string output_dir;
    std::string allow_origin;
    double max_run_seconds = 20.0;
    std::size_t max_members = 50;
    std::string sweep;                   // the sweep file whose ranges give the band's parameter uncertainty
    std::vector<std::string> set_files;  // overlays every session starts from (e.g. haven calibrate's)
    std::vector<std::string> sets;       // path=value edits every session starts from, after the overlays
  } args_;
};

}  // namespace haven::app
