// Fuzz harness: bytes -> a Flee conflict folder (input_csv/ and source_data/ files in the `==> NAME <==` form of
// fuzz_support.hpp), read as `haven import-flee` reads it; when it reads, imported with Haven's rules in both
// departure modes and with Flee's rules, and each scenario written is loaded as `haven check` loads it.
// Promise held: whatever the folder holds, the reader returns a conflict or errors located in a file it read, never
// a crash, a hang or an exception; and whatever it accepts, the importer turns into a scenario the loader accepts.
// docs/reliability.md.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "haven/flee/folder.hpp"
#include "haven/scenario/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace haven;
  namespace fs = std::filesystem;
  auto& workspace = fuzz::Workspace::get();
  const fs::path folder = workspace.input_path("conflict");
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const std::vector<std::string> allowed = {"input_csv/locations.csv",
                                                   "input_csv/routes.csv",
                                                   "input_csv/closures.csv",
                                                   "input_csv/closures - extra.csv",
                                                   "input_csv/conflicts.csv",
                                                   "input_csv/sim_period.csv",
                                                   "input_csv/registration_corrections.csv",
                                                   "source_data/data_layout.csv",
                                                   "source_data/refugees.csv",
                                                   "source_data/camp-one.csv",
                                                   "source_data/camp-two.csv",
                                                   "source_data/camp-two-outside.csv",
                                                   "simsetting.yml"};
  fuzz::write_files(folder, input, allowed);

  Diagnostics diagnostics;
  const auto conflict = flee::read_flee_folder(folder, diagnostics);
  fuzz::check_outcome(conflict.has_value(), diagnostics);
  std::ostringstream printed;
  diagnostics.print(printed);
  if (!conflict) return 0;

  for (const auto& [rules, departures] :
       {std::pair<const char*, const char*>{"haven", "given"}, {"haven", "predicted"}, {"flee", "given"}}) {
    flee::ImportOptions options;
    options.rules = rules;
    options.departures = departures;
    const auto imported = flee::import_conflict(*conflict, options);
    // Flee's rules without camp series: import-flee, check and run refuse the folder with their own error.
    if (imported.flee_rules_without_departures) continue;
    auto loaded = load_scenario_text(imported.yaml, (folder / "imported.yaml").string());
    fuzz::check_outcome(loaded.scenario.has_value(), loaded.diagnostics);
    if (!loaded.scenario) {
      std::ostringstream why;
      loaded.diagnostics.print(why);
      fuzz::broken_promise("a folder the reader accepted was imported into a scenario the loader refuses: " +
                           why.str());
    }
  }
  return 0;
}
