#pragma once
// A Flee conflict folder (input_csv/ + source_data/, as FabFlee ships them) read strictly into plain data, and
// turned into a Haven scenario. docs/flee.md says what each column becomes and what cannot be expressed yet.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "haven/util/date.hpp"
#include "haven/util/diagnostics.hpp"

namespace haven::flee {

struct Location {
  std::string name;  // exactly as Flee has it; the Haven node's name
  std::string region;
  std::string country;
  double lat = 0.0;  // Flee's gps_x column (latitude in every FabFlee conflict)
  double lon = 0.0;
  std::string location_type;  // conflict_zone, town, camp, idpcamp, forwarding_hub, marker, flood_zone
  std::optional<int> conflict_date;
  long long population = 0;  // residents; for camps Flee reads it as the capacity
  SourceLocation origin;
};

struct Route {
  std::string name1, name2;
  double distance_km = 0.0;
  int forced_redirection = 0;  // 0 none, 1 towards name2, 2 towards name1
  SourceLocation origin;
};

struct Closure {
  std::string type;  // country, location, link, camp, idpcamp, remove_forced_redirection
  std::string name1, name2;
  int start_day = 0;
  int end_day = 0;  // Flee acts on `time == end_day`: an end at or before the start never comes
  SourceLocation origin;
};

// conflicts.csv: one intensity per day (row) per named location (column).
struct ConflictColumn {
  std::string location;
  std::vector<double> intensity_by_day;
  SourceLocation origin;
};

struct SeriesPoint {
  Date date{};
  long long value = 0;
};

// source_data/data_layout.csv: a row names a camp (or `total`) and one or more series files.
struct CampSeries {
  std::string name;
  std::vector<std::string> files;  // relative to source_data/
  std::vector<std::vector<SeriesPoint>> points_by_file;
  SourceLocation origin;
  bool used = true;  // false for rows that name no camp: Flee reads them but never uses them
};

struct RegistrationCorrection {
  std::string name;
  Date date{};
  std::string mode;  // "normalize"
  SourceLocation origin;
};

struct InputFile {
  std::string path;  // relative to the folder
  std::string sha256;
};

struct FleeConflict {
  std::filesystem::path folder;
  std::string folder_name;
  Date start_date{};
  int days = 0;
  std::vector<Location> locations;
  std::vector<Route> routes;
  std::vector<Closure> closures;
  std::vector<ConflictColumn> conflicts;
  std::optional<CampSeries> total;  // the data_layout row `total` (refugees.csv)
  std::vector<CampSeries> camp_series;
  std::vector<RegistrationCorrection> registration_corrections;
  std::vector<std::pair<std::string, std::string>> settings;  // simsetting.yml flattened: section.key -> value
  std::string settings_file;                                  // empty when none was given or found
  std::vector<InputFile> inputs;                              // every file read, with its sha256
  std::vector<std::string> ignored_files;                     // files in input_csv/ that Flee does not read
};

// True when `path` is a directory holding input_csv/: read as a Flee conflict folder, whose reading says what of it
// is missing (input_csv/locations.csv, say) rather than that a directory is not a scenario file.
bool is_flee_folder(const std::filesystem::path& path);

// Reads the folder (and `simsetting` when not empty, else <folder>/simsetting.yml when present). Every problem
// goes to `diagnostics`, located at file:line:col and naming the column; nullopt when there is any error.
std::optional<FleeConflict> read_flee_folder(const std::filesystem::path& folder, Diagnostics& diagnostics,
                                             const std::filesystem::path& simsetting = {});

struct ImportOptions {
  // flee (the default, as issue 12 asks): Flee 3's rules (`rules: flee`), departures given by the camps' series
  // summed as Flee's sum_from_camps; haven: Haven's own rules.
  std::string rules = "flee";
  // given: by the rise of UNHCR's camp total (refugees.csv), placed over the armed conflicts; predicted: by the
  // model's departure hazard (Haven's rules only: `import-flee` refuses it with Flee's). Given needs the folder's
  // `total` series; without it departures are predicted.
  std::string departures = "given";
};

// One Flee feature the scenario could not express, and how many rows it affected.
struct Unexpressed {
  std::string feature;
  std::string extent;  // "3 rows", "approximated"
};

// simsetting.yml as Haven parameters (flee_* and the spawn decay), for `--rules flee`.
struct SettingsAsParameters {
  std::vector<std::pair<std::string, double>> parameters;  // name, value; in the file's order
  std::vector<Unexpressed> unexpressed;                    // settings the Flee rule set does not reproduce
  std::vector<std::string> notes;
};
SettingsAsParameters settings_as_parameters(const FleeConflict& conflict);
// What is wrong with one simsetting.yml entry (section.key and its value's YAML text), said where it is: a key Flee
// does not read that is one or two letters from one it does in its section (a warning: "did you mean '...'?"), or
// a value that is not a number where Flee reads one (an error, at the value). Empty message when fine.
struct SettingProblem {
  std::string message;
  bool at_value = false;
  bool warning = false;
};
SettingProblem flee_setting_problem(const std::string& key, const std::string& text);

struct ImportResult {
  std::string yaml;  // a scenario in today's format, header comment included
  std::vector<Unexpressed> unexpressed;
  std::vector<std::string> notes;  // what was mapped how, for the command's report
  // Flee's rules were asked for, but the folder has no camp series to give their departures (Flee's
  // sum_from_camps): the scenario cannot run, and the callers say so instead of loading it.
  bool flee_rules_without_departures = false;
};

// The Haven scenario for `conflict` (ids derived from Flee's names; names kept exactly).
ImportResult import_conflict(const FleeConflict& conflict, const ImportOptions& options = {});

// A Haven id made from a Flee name: letters, digits and `_` (anything else becomes `_`), starting with a letter.
std::string derive_id(const std::string& name);

}  // namespace haven::flee
