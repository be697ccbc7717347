#pragma once
// Reading an ensemble (`haven gather`'s ensemble.h5) back, for `haven info`, `compare` and `validate`: its
// description, which members are usable, and each usable member's series as a RunFile. A virtual ensemble reads
// its members from runs/*.h5 relative to itself; when those files are not there (the file was copied away), the
// members read as missing and the reader names the files, instead of passing fill values off as numbers.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "haven/io/output.hpp"

namespace haven {

struct EnsembleFile {
  std::string scenario_name;
  std::string variant;
  std::string variant_description;  // empty in ensembles gathered before it was kept
  std::string sweep_name;
  std::string mode;
  std::string start_date;
  std::string source;
  std::string history;
  std::string scenario_yaml;  // the reference member's resolved scenario (its swept values applied)
  std::int64_t scenario_yaml_member = 0;
  std::string scenario_yaml_values;  // that member's swept values, `name=value; ...`
  std::string members_stored;        // "virtual" or "materialized"
  std::int64_t members = 0;
  std::vector<std::int8_t> status;      // per member: 0 done, 1 missing, 2 failed, 3 broken
  std::vector<std::string> path;        // per member: its run file, relative to the ensemble
  std::vector<std::string> parameters;  // swept keys
  // Per member: its design point and replicate (empty in a file without them), and per swept key its value as text.
  std::vector<std::int64_t> design_point, replicate;
  std::vector<std::vector<std::string>> parameter_values;  // [key][member]
  // Run files a virtual ensemble maps that are not there (as the paths it stores), and the members they hold.
  std::vector<std::string> missing_sources;
  std::vector<std::int64_t> members_without_source;
  std::int32_t days = 0;  // days every member simulated (0: gathered before 5 Dec 2026; the last recorded day + 1)
  std::vector<std::int32_t> time_days;
  std::size_t nodes = 0, corridors = 0, groups = 0;
  std::size_t scenario_nodes = 0;  // the scenario's places, `nodes` of them recorded (0: gathered before 4 Dec 2026)
  // Summaries over the usable members (mean, 5th and 95th percentiles), per recorded day; empty when absent.
  std::vector<double> cumulative_displaced_mean, cumulative_displaced_p05, cumulative_displaced_p95;
  std::vector<double> displaced_present_total_mean, displaced_present_total_p05, displaced_present_total_p95;
  std::vector<double> unsheltered_total_mean;
  // With members read: every member that is done and whose data are there, as a run file of its own.
  std::vector<std::int64_t> run_member;
  std::vector<RunFile> runs;

  [[nodiscard]] std::int64_t usable() const;
};

// Whether `path` is an ensemble (it has a `members` attribute and a `member` dimension), not a run file.
bool is_ensemble_file(const std::filesystem::path& path);

// Reads an ensemble; with `read_members`, each usable member's series too (every dataset checked against its
// declared shape and type, as read_run_file does). Throws std::runtime_error naming the file and what is wrong.
EnsembleFile read_ensemble_file(const std::filesystem::path& path, bool read_members);

// One line for stderr when members' run files are missing, naming them (empty when none are).
std::string missing_sources_warning(const std::filesystem::path& path, const EnsembleFile& ensemble);

}  // namespace haven
