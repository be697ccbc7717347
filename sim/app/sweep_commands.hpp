#pragma once
// `haven sweep`, `haven gather` and `haven calibrate`: many runs of one scenario (or, calibrate --suite, of the
// cases of a validation suite).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace haven::app {

class SweepCommands {
 public:
  // Registers the three subcommands on `app`.
  explicit SweepCommands(CLI::App& app);
  // The exit code when one of them was parsed; nullopt otherwise.
  std::optional<int> dispatch(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

 private:
  int sweep(std::ostream& out, std::ostream& err);
  int gather(std::ostream& out, std::ostream& err);
  int calibrate(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);
  int calibrate_suite(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

  CLI::App* sweep_ = nullptr;
  CLI::App* gather_ = nullptr;
  CLI::App* calibrate_ = nullptr;

  struct {
    std::string file;
    int threads = 0;
    std::optional<int> task_id;
    std::optional<int> tasks;
    std::string members;
    std::string output;
    bool overwrite = false;
    bool quiet = false;
    bool list = false;
    bool print_directory = false;
  } sweep_args_;

  struct {
    std::string directory;
    bool allow_missing = false;
    bool materialize = false;
  } gather_args_;

  struct {
    std::string scenario;
    std::string variant;
    std::vector<std::string> sets;
    std::vector<std::string> set_files;
    std::vector<std::string> params;
    int runs = 20;
    int threads = 1;
    std::optional<std::uint64_t> seed;
    std::string mode = "stochastic";
    std::string algorithm = "bobyqa";
    int max_evaluations = 60;
    std::string from, to;
    std::string output;
    bool overwrite = false;
    bool quiet = false;
    // --suite: one set of values fitted to the cases of a validation suite (docs/validation.md).
    std::string suite;
    std::vector<std::string> cases;
    std::string leave_out;
    bool leave_one_out = false;
    std::optional<int> days;
    std::string csv;
    const CLI::Option* runs_option = nullptr;
  } calibrate_args_;
};

// "3,5,10-12" -> {3, 5, 10, 11, 12} (sorted, each once), checked against the sweep's `members` before anything
// is expanded, so the list never holds more than the sweep has; `error` says what is wrong otherwise.
struct MemberList {
  std::vector<std::int64_t> members;
  std::string error;
};
MemberList parse_member_list(const std::string& text, std::int64_t members);

}  // namespace haven::app
