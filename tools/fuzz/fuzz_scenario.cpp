// Fuzz harness: bytes -> a scenario, loaded as `haven check` loads it (every variant resolved and checked), then,
// when it loads, as `haven run` loads it: each variant alone, and with a --set and a --record edit on top.
// Promise held: whatever the bytes, the loader returns a scenario or located errors; it never crashes, hangs or
// throws. docs/reliability.md.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "haven/scenario/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace haven;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto checked = load_scenario_text(text, "fuzz.yaml", {.all_variants = true});
  fuzz::check_outcome(checked.scenario.has_value(), checked.diagnostics);
  std::ostringstream printed;
  checked.diagnostics.print(printed);
  if (!checked.scenario) return 0;

  // A variant that `haven check` accepted loads alone too.
  constexpr std::size_t max_variants_tried = 8;
  const auto& names = checked.scenario->variant_names;
  for (std::size_t k = 0; k < names.size() && k < max_variants_tried; ++k) {
    auto variant = load_scenario_text(text, "fuzz.yaml", {.variant = names[k]});
    fuzz::check_outcome(variant.scenario.has_value(), variant.diagnostics);
    if (!variant.scenario) fuzz::broken_promise("a variant that passed `check` does not load alone");
  }

  // Command-line edits on top: a parameter, the outputs, and one that must be refused.
  auto edited = load_scenario_text(
      text, "fuzz.yaml",
      {.set_overrides = {"parameters.threat_kernel_km=1.5"}, .record_overrides = {"variables=all", "interval_days=2"}});
  fuzz::check_outcome(edited.scenario.has_value(), edited.diagnostics);
  auto refused = load_scenario_text(text, "fuzz.yaml", {.set_overrides = {"parameters.no_such_parameter=1"}});
  fuzz::check_outcome(refused.scenario.has_value(), refused.diagnostics);
  if (refused.scenario) fuzz::broken_promise("an unknown parameter given with --set was accepted");
  return 0;
}
