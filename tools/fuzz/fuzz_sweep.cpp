// Fuzz harness: bytes -> a sweep file, loaded as `haven sweep` loads it (its scenario read from a copy of the
// shipped tree), then, when it loads and is small, expanded, with the first and last members' scenarios loaded
// with their swept values as `haven sweep` runs them.
// Promise held: a bad sweep file gives located errors, never a crash, a hang or an exception; a sweep that loads
// expands deterministically and its members load. docs/reliability.md.

#include <cstddef>
#include <cstdint>
#include <sstream>

#include "fuzz_support.hpp"
#include "haven/sweep/sweep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace haven;
  auto& workspace = fuzz::Workspace::get();
  const auto file = workspace.input_path("sweep.yaml");
  workspace.write(file, data, size);

  auto loaded = load_sweep_file(file);
  fuzz::check_outcome(loaded.spec.has_value(), loaded.diagnostics);
  std::ostringstream printed;
  loaded.diagnostics.print(printed);
  if (!loaded.spec) return 0;

  const auto& spec = *loaded.spec;
  // Expanding is linear in the members (at most 10 million, as the loader bounds them); keep each input fast.
  constexpr std::int64_t max_members_expanded = 2000;
  const std::int64_t points = design_points(spec);
  if (points < 1) fuzz::broken_promise("a sweep with no design point was accepted");
  if (points > max_members_expanded / spec.replicates) return 0;
  const auto members = expand_sweep(spec);
  if (static_cast<std::int64_t>(members.size()) != points * spec.replicates) {
    fuzz::broken_promise("the expansion's size is not design points x replicates");
  }
  if (expand_sweep(spec).back().seed != members.back().seed) fuzz::broken_promise("the expansion is not deterministic");
  for (const auto* member : {&members.front(), &members.back()}) {
    auto scenario = load_scenario_file(spec.scenario, member_load_options(spec, *member));
    fuzz::check_outcome(scenario.scenario.has_value(), scenario.diagnostics);
  }
  return 0;
}
