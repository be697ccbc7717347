#pragma once
// `haven report`: one self-contained HTML file (map, charts, headline figures) that a planner can open offline
// and forward by e-mail. The page's JavaScript libraries, country outlines and the run data are inlined when the
// report is written; viewing it fetches nothing. docs/report.md describes what the report shows.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "haven/engine/recorder.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

// A library or data file the report inlines is missing (tools/setup.sh installs them).
class ReportAssetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run files cannot be shown on one page (runs of different networks): the user's to fix, exit 2.
class ReportInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where the report's parts come from: the page template and the npm packages (tools/report, or the folder named
// by HAVEN_REPORT_ASSETS), and Debian's libjs-leaflet and libjs-chart.js (/usr/share/javascript, or
// HAVEN_REPORT_JS).
struct ReportAssets {
  std::filesystem::path template_dir;
  std::filesystem::path javascript_dir;
};

// The configured folders (build-time defaults, overridden by the environment variables above).
ReportAssets report_assets();

// The data the page draws, as one JSON document: the network and events of the first run's scenario and, per run,
// its daily series. Throws std::runtime_error naming a run file that cannot be read.
std::string report_data_from_runs(const std::vector<std::filesystem::path>& run_files);

// A preview before any run: the network and the event timeline of a scenario (after its variant).
std::string report_data_from_scenario(const Scenario& scenario, const std::string& source_name);

// One run held in memory (`haven serve`): its scenario as run, what it recorded (every node) and how it was made.
struct MemoryRun {
  const Scenario* scenario = nullptr;
  const MemoryRecorder* recorder = nullptr;
  std::string label;  // names the run on the page ("the scenario with 2 edits"); the file is "SOURCE (label)"
  std::string mode;   // "stochastic" or "expected"
  std::uint64_t seed = 0;
  std::string note;  // what the run is (haven serve: the edits, in order), shown after the scenario's description
};

// The data the page draws for runs held in memory, in the shape report_data_from_runs gives run files; the
// network (places, roads, observations) is `network`'s.
std::string report_data_from_memory(const Scenario& network, const std::string& source_name,
                                    const std::vector<MemoryRun>& runs);

// The HTML page with every library, the country outlines and `data_json` inlined. Throws ReportAssetError naming
// the missing file and tools/setup.sh.
std::string render_report_html(const std::string& data_json, const std::string& title, const ReportAssets& assets);

}  // namespace haven
