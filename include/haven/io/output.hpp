#pragma once
// Haven's output file: one HDF5 file per run, laid out as a netCDF-4/CF dataset so that h5py, xarray
// (h5netcdf and netcdf4 engines) and ncdump open it directly. docs/output-format.md describes every dataset.

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "haven/engine/observer.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

// What a reader needs to reproduce the run.
struct Provenance {
  std::string command_line;   // the full command, for `history`
  std::string resolved_yaml;  // the scenario after the variant and --set overrides
  // When the run was made (ISO 8601 UTC); empty: now. A sweep gives every member its own creation time, so that
  // a member's file is the same bytes whichever process, thread or rank wrote it.
  std::string created_utc;
  std::vector<std::pair<std::string, std::string>> attributes;  // more root attributes (sweep_member, ...)
};

// How a writer puts its file in place. A sweep member's file has one writer, by the sweep's design: it is written as
// `path.partial` and renamed over whatever is there. `haven run` may race another process for the same path (runs
// started together from a notebook): it writes a partial file of its own (own_partial_path) and, unless `replace`,
// refuses to put it over a file that appeared while it ran.
struct Publishing {
  bool own_partial = false;
  bool replace = true;
};

// Writes the daily state to `path`: first to a partial file, renamed when the run finishes, so no reader ever sees
// a half-written file. If the run fails, the partial file is removed. A `path` that is a symbolic link is written
// through: its target is replaced, the link stays.
class Hdf5Writer final : public Observer {
 public:
  Hdf5Writer(std::filesystem::path path, const Scenario& scenario, Provenance provenance, Publishing publishing = {});
  ~Hdf5Writer() override;
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  void on_start(const RunInfo& info) override;
  void on_day(const DayRecord& record) override;
  void on_event(const EventRecord& event) override;
  void on_finish(const FinalRecord& record) override;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path path_;
};

// output/<scenario>[-<variant>].h5, or the scenario's outputs.path when it sets one.
std::filesystem::path default_output_path(const Scenario& scenario);

// An output the command line asked for that cannot be written as asked (files that exist without --overwrite, a
// directory where a file goes): the user's mistake, exit code 2 as for bad input, where a system failure is 1.
class OutputRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Why a file cannot be written at `path`, checked before any work is done: the path is a directory; it exists
// and `overwrite` is false; it exists but is not a regular file (a device, pipe or socket, or a link to one:
// only regular files are ever replaced); or its directory cannot be written (or created). `input_mistake`:
// the command line asked for it (exit 2), otherwise the system refuses (exit 1).
struct OutputProblem {
  std::string message;
  bool input_mistake = true;
};
// `not_regular_hint` ends the message for a path that is not a regular file: what the command does instead.
// `output_option` is the option that names the file, for the hint to write elsewhere.
std::optional<OutputProblem> check_output_file(
    const std::filesystem::path& path, bool overwrite,
    std::string_view not_regular_hint = "--overwrite replaces only regular files",
    std::string_view output_option = "-o");
// The same, and never one of the command's own `inputs` (the same file by any name: a scenario, an overlay, a run
// file), --overwrite or not: writing there would destroy what the command reads.
std::optional<OutputProblem> check_output_file(const std::filesystem::path& path, bool overwrite,
                                               const std::vector<std::filesystem::path>& inputs,
                                               std::string_view output_option = "-o");

// SHA-256 of a text, as lowercase hex.
std::string sha256_hex(const std::string& text);

// A run file read back (the datasets `haven info`, `validate` and `compare` need, and tests).
struct RunFile {
  std::string scenario_name;
  std::string variant;
  std::string title;
  std::string mode;
  std::string source;
  std::string history;
  std::string start_date;
  std::string scenario_yaml;
  std::string scenario_sha256;
  std::uint64_t seed = 0;
  std::uint64_t run_index = 0;
  std::size_t scenario_nodes = 0;       // the scenario's places (0: a file written before this was recorded)
  std::int32_t days = 0;                // days simulated (the `days` attribute; 0: a file without it)
  std::vector<std::int32_t> time_days;  // recorded days
  std::vector<std::string> node_name;
  std::vector<std::int32_t> node_index;  // each column's node in the scenario (a node subset may be recorded)
  std::vector<std::string> corridor_name;
  std::vector<std::string> group_name;
  // Row-major (time, node[, group]) or (time, corridor); whole people.
  std::vector<std::int64_t> population, residents, displaced_present, departures, arrivals, returns, waiting,
      unsheltered, corridor_inflow, in_transit, cumulative_displaced;
  std::vector<double> threat;
  std::vector<double> capacity;     // (time, node), people; infinity where the node has no shelter limit
  std::string description;          // the scenario's description
  std::string variant_description;  // the applied variant's description (empty: none, or the base scenario)
  std::vector<std::string> node_id, node_pcode, node_admin1, node_admin2;
  std::vector<double> node_lat, node_lon;
  std::vector<std::int32_t> corridor_from, corridor_to;  // indices into the scenario's node list (node_index)
  std::vector<std::int32_t> od_origin, od_destination;
  std::vector<std::int64_t> od_count;
  // The engine's event log (/events): what took effect when (scenario events starting and ending, evacuations
  // blocked, travellers stranded). Empty in a file without one.
  std::vector<EventRecord> event_log;
  std::size_t times() const { return time_days.size(); }
  std::size_t nodes() const { return node_name.size(); }
  // Whether the file holds every day from its first to its last: a thinned one (outputs.interval_days above 1) holds
  // only some days, and no total over the run, nor a day's rise, can be made from them.
  [[nodiscard]] bool every_day_recorded() const {
    for (std::size_t t = 1; t < time_days.size(); ++t) {
      if (time_days[t] != time_days[t - 1] + 1) return false;
    }
    return true;
  }
};

// Reads a run file; throws std::runtime_error naming the file and what is wrong with it.
RunFile read_run_file(const std::filesystem::path& path);

}  // namespace haven
