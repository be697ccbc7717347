#pragma once
// Exports of a run file for tools that cannot read HDF5: long-form CSV tables (with an HXL hashtag row, so HDX
// tools read them) and RFC 7946 GeoJSON layers (QGIS, web maps). docs/exports.md describes every column.

#include <filesystem>
#include <string>
#include <vector>

#include "haven/io/output.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

struct ExportOptions {
  bool csv = false;
  bool geojson = false;
  bool hxl = true;              // the HXL hashtag row under each CSV header
  bool overwrite = false;       // replace files that exist
  bool geojson_series = false;  // per-day series as array properties of each feature
  // Each CSV starts with a UTF-8 byte-order mark: Excel on Windows reads a CSV without one in the local code page,
  // and garbles names in other scripts (Arabic). Off by default: Python's csv and pandas read it into the first
  // column's name unless told the encoding is 'utf-8-sig'.
  bool byte_order_mark = false;
};

// A table in long form: header, HXL hashtags (one per column), rows of text cells.
struct ExportTable {
  std::vector<std::string> header;
  std::vector<std::string> hxl;
  std::vector<std::vector<std::string>> rows;
};

// `scenario` is the run's resolved scenario (from the file's scenario_yaml): it supplies the names, codes and
// coordinates of corridor ends and origin-destination nodes that a node subset may have left out of the file.
ExportTable node_day_table(const RunFile& run, const Scenario& scenario);
ExportTable corridor_day_table(const RunFile& run, const Scenario& scenario);
ExportTable origin_destination_table(const RunFile& run, const Scenario& scenario);

// One run to export: a run file, or one member of an ensemble (which gives a row of summary.csv only).
struct ExportedRun {
  const RunFile* run = nullptr;
  const Scenario* scenario = nullptr;  // the run's resolved scenario
  std::string file;                    // the file's name, as summary.csv's `file` column gives it
  std::int64_t member = -1;            // the ensemble member; -1 for a run file
  bool tables = true;                  // write its own tables and layers (false: a summary row only)
  std::string folder;                  // with several runs exported, the folder (under the output) for its tables
  std::int64_t design_point = -1;      // the member's design point and replicate (-1: a run file, or not known)
  std::int64_t replicate = -1;
  std::vector<std::pair<std::string, std::string>> swept;  // the member's swept keys and values
};

// summary.csv: one row per run (per variant, per ensemble member), in the order given.
ExportTable summary_table(const std::vector<ExportedRun>& runs);

// CSV text: UTF-8 with CRLF line ends (RFC 4180), quoted where needed.
std::string to_csv(const ExportTable& table, bool hxl);

// FeatureCollections: nodes as Points, corridors as LineStrings between their ends; lon/lat, at most 7 decimals.
std::string nodes_geojson(const RunFile& run, const Scenario& scenario, bool series);
std::string corridors_geojson(const RunFile& run, const Scenario& scenario, bool series);

// Writes the chosen formats into `directory` (created if missing) and returns the files written: summary.csv
// (one row per run) and, for each run with `tables`, its tables and layers, in `directory` itself when it is the
// only run, else in `directory / run.folder`. Every file is written to a temporary name and renamed; when one of
// them exists and `overwrite` is off, nothing is written and std::runtime_error names the files that exist.
std::vector<std::filesystem::path> export_runs(const std::vector<ExportedRun>& runs,
                                               const std::filesystem::path& directory, const ExportOptions& options);

}  // namespace haven
