// Fuzz harness: bytes -> the CSV tables of a scenario (nodes.csv, corridors.csv, events.csv; the `==> NAME <==`
// form of fuzz_support.hpp), loaded through the valley example's YAML as `haven check` loads it, then with a --set
// on top. A table the input does not give is the shipped valley table.
// Promise held: whatever the tables hold, the loader returns a scenario or errors located in a file it read; it
// never crashes, hangs or throws. docs/reliability.md.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "haven/scenario/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace haven;
  namespace fs = std::filesystem;
  auto& workspace = fuzz::Workspace::get();
  const fs::path directory = workspace.input_path("tables");
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto written = fuzz::write_files(directory, input, {"nodes.csv", "corridors.csv", "events.csv"});
  for (const char* table : {"nodes.csv", "corridors.csv", "events.csv"}) {
    if (std::find(written.begin(), written.end(), table) != written.end()) continue;
    fs::copy_file(workspace.scenario("examples/valley_tables") / table, directory / table);
  }
  std::ifstream yaml_in(workspace.scenario("examples/valley_tables.yaml"));
  std::stringstream yaml;
  yaml << yaml_in.rdbuf();
  std::string text = yaml.str();
  for (std::size_t at = text.find("valley_tables/"); at != std::string::npos; at = text.find("valley_tables/")) {
    text.erase(at, std::string("valley_tables/").size());
  }
  {
    std::ofstream out(directory / "scenario.yaml", std::ios::trunc);
    out << text;
  }

  auto checked = load_scenario_file(directory / "scenario.yaml", {.all_variants = true});
  fuzz::check_outcome(checked.scenario.has_value(), checked.diagnostics);
  std::ostringstream printed;
  checked.diagnostics.print(printed);
  if (!checked.scenario) return 0;
  auto edited = load_scenario_file(directory / "scenario.yaml", {.set_overrides = {"parameters.threat_kernel_km=1.5"}});
  fuzz::check_outcome(edited.scenario.has_value(), edited.diagnostics);
  if (!edited.scenario) fuzz::broken_promise("tables that load do not load with a valid --set on top");
  return 0;
}
