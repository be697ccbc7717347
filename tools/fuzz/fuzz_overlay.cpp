// Fuzz harness: bytes -> an overlay file (`--set-file`, what `haven calibrate` writes), applied to the valley
// example as `haven run scenarios/examples/valley.yaml --set-file FILE` applies it, and after a variant.
// Promise held: a bad overlay gives located errors, never a crash, a hang or an exception. docs/reliability.md.

#include <cstddef>
#include <cstdint>
#include <sstream>

#include "fuzz_support.hpp"
#include "haven/scenario/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace haven;
  auto& workspace = fuzz::Workspace::get();
  const auto overlay = workspace.input_path("overlay.yaml");
  workspace.write(overlay, data, size);
  const auto valley = workspace.scenario("examples/valley.yaml");

  Diagnostics alone;
  const auto edits = load_overlay_file(overlay, alone);
  for (const auto& edit : edits) {
    if (edit.origin.file.empty() || edit.origin.line == 0) fuzz::broken_promise("an overlay edit is not located");
  }

  auto base = load_scenario_file(valley, {.set_files = {overlay}});
  fuzz::check_outcome(base.scenario.has_value(), base.diagnostics);
  if (alone.has_errors() && base.scenario) fuzz::broken_promise("an overlay with errors was applied");
  std::ostringstream printed;
  base.diagnostics.print(printed);

  auto variant = load_scenario_file(valley, {.variant = "bigger_camp", .set_files = {overlay}});
  fuzz::check_outcome(variant.scenario.has_value(), variant.diagnostics);
  return 0;
}
