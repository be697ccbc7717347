#pragma once
// The validation suite (docs/validation.md): every case of a suite file run as an ensemble, scored against its
// observations (mean relative error; Flee's ARD where it has camp series), one table and one CSV.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "haven/engine/simulation.hpp"
#include "haven/scenario/load.hpp"
#include "haven/util/date.hpp"
#include "haven/util/diagnostics.hpp"

namespace haven {

// A figure a case must reach, on one date, e.g. issue 13's "full_offensive 600,000-900,000 within 90 days".
struct SuiteTarget {
  std::string variable = "cumulative_displaced";  // the only one so far: people who have left home since day 0
  Date date{};
  std::optional<double> min;
  std::optional<double> max;
  std::string note;
};

struct SuiteCase {
  std::string name;
  std::filesystem::path scenario;  // resolved against the suite file's folder
  std::string variant;
  // Each is one row: "predicted" (the model decides who leaves) or "given" (departures given by an observed series,
  // the scenario format's `departures: {mode: given}`).
  std::vector<std::string> departures = {"predicted"};
  std::string departures_observation;  // for "given": the series whose rise gives the departures, when not the file's
  std::optional<int> days;             // simulate only the first N days
  std::optional<SuiteTarget> target;
  double weight = 1.0;  // how much the case counts in `haven calibrate --suite` (its departure modes share it)
  std::string note;
  SourceLocation origin;  // where the case is written
};

struct SuiteFile {
  std::filesystem::path path;
  std::string name;
  int runs = 10;  // members per case, unless the command line says otherwise
  std::vector<SuiteCase> cases;
};

// Reads a suite file strictly (unknown keys with a hint, types, ranges, missing scenario files), every problem at
// once; throws InputError.
SuiteFile load_suite_file(const std::filesystem::path& path);

// What a suite reads: its file, every case's scenario and the CSV tables each scenario names. An output is never
// written over one of them, whichever cases a command runs.
std::vector<std::filesystem::path> suite_input_files(const SuiteFile& suite);

struct SuiteSettings {
  int runs = 10;
  std::optional<int> days;            // caps every case's days (a fast version)
  std::optional<std::uint64_t> seed;  // default: each scenario's own seed
  Mode mode = Mode::stochastic;
  int threads = 1;  // members run in parallel
  // Applied to every case's scenario after its variant: overlay files (haven validate --suite --set-file), then
  // values (haven calibrate --suite's candidates).
  std::vector<std::filesystem::path> set_files;
  std::vector<Override> overrides;
};

struct Band {
  double mean = 0.0, p05 = 0.0, p95 = 0.0;
};

// One case in one departure mode.
struct SuiteRow {
  std::string name;
  std::string scenario;  // the scenario file, as resolved from the suite file
  std::string variant;
  std::string departures;
  std::string status = "ok";  // "ok", or "n/a: why" (nothing was run; the numbers are absent)
  int runs = 0;
  int days = 0;
  std::size_t points = 0;            // observation points compared
  std::optional<double> mean_error;  // weighted mean absolute relative error over those points
  std::optional<Band> ard;           // Flee's ARD, where the case has per-camp series
  std::optional<Band> rescaled_ard;
  std::string end_total;  // what the end total is: "camp total" or an observation's id
  std::optional<Date> end_date;
  std::optional<Band> end_predicted;
  std::optional<double> end_observed;
  std::optional<SuiteTarget> target;
  std::optional<Band> target_predicted;
  std::optional<bool> target_met;
  double wall_seconds = 0.0;
  // Given departures that never could set off (every road from their node closed to the end), people, mean over
  // the runs: the row's departures are then not all the observed ones.
  double given_not_left = 0.0;
};

// Runs every case (each departure mode a row) as an ensemble of `settings.runs` members.
std::vector<SuiteRow> run_suite(const SuiteFile& suite, const SuiteSettings& settings);

// The table `haven validate --suite` prints, and the same as CSV (one row per case and mode, every figure).
std::string suite_table(const SuiteFile& suite, const SuiteSettings& settings, const std::vector<SuiteRow>& rows);
std::string suite_csv(const std::vector<SuiteRow>& rows);

}  // namespace haven
