#pragma once
// Sweep files: a base scenario, the parameters to vary (an explicit list, a grid, or ranges sampled by Latin
// hypercube or uniformly at random), replicates and a sweep seed. A sweep expands deterministically into a numbered
// run list; member i is (design point, replicate, seed derived from the sweep seed and i). docs/sweeps.md.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "haven/engine/observer.hpp"
#include "haven/scenario/load.hpp"
#include "haven/util/diagnostics.hpp"

namespace haven {

enum class DesignMethod { none, list, grid, lhs, random };
const char* to_string(DesignMethod method) noexcept;

enum class RangeScale { linear, log };

// One varied quantity. `path` is what --set takes; a registered model parameter may be named alone
// (`threat_kernel_km` stands for `parameters.threat_kernel_km`).
struct SweepParameter {
  std::string name;  // as written in the sweep file (the manifest's column)
  std::string path;  // the scenario key path it sets
  SourceLocation origin;
  // grid: the axis' values; lhs and random: the range (and `values` its two ends). A list keeps its in `points`.
  std::vector<std::string> values;  // YAML text, as written
  double minimum = 0.0;
  double maximum = 0.0;
  RangeScale scale = RangeScale::linear;
  bool integer = false;  // round sampled values (capacities, populations)
  // A parameter that takes only whole numbers (a count of links, a 0/1 switch): each whole number of the range is
  // an equal share of it, where rounding would give the two ends half a share.
  bool whole_steps = false;
};

struct SweepSpec {
  std::filesystem::path file;  // the sweep file itself
  // Where its relative paths are read from: the sweep file's folder, or the original's for a sweep's copy of it.
  std::filesystem::path paths_relative_to;
  std::string name;
  std::filesystem::path scenario;  // resolved against the sweep file's directory
  std::string variant;
  SourceLocation variant_origin;  // where the sweep file names it
  Mode mode = Mode::stochastic;
  std::uint64_t seed = 1;
  std::int64_t replicates = 1;
  std::optional<int> days;  // at most the scenario's period (checked against it)
  SourceLocation days_origin;
  // Per-run seeds: from the member index (default), or from the replicate index alone, so that every design
  // point sees the same random streams (common random numbers: less noise between design points).
  bool common_random_numbers = false;
  std::vector<Override> fixed;   // the `set:` section, applied to every run
  std::filesystem::path output;  // empty: output/<name>
  DesignMethod method = DesignMethod::none;
  std::int64_t samples = 0;  // lhs and random
  std::vector<SweepParameter> parameters;
  // list: one row of YAML texts per point, in `parameters` order.
  std::vector<std::vector<std::string>> points;
  std::vector<SourceLocation> point_origins;
};

// One member of the run list.
struct SweepMember {
  std::int64_t index = 0;
  std::int64_t design_point = 0;
  std::int64_t replicate = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> values;  // one per SweepParameter, as YAML text (what the manifest shows)
};

struct SweepLoadResult {
  std::optional<SweepSpec> spec;
  Diagnostics diagnostics;
};

// Reads and checks a sweep file: unknown and duplicate keys, types, ranges, method-specific sections, and every
// varied key path against the scenario (with the list or grid values, and both ends of each range), each problem
// located in the sweep file.
// `paths_relative_to`: the folder its relative paths (the scenario's) are read from, if not the file's own (a
// sweep's copy of its file, in its output directory).
SweepLoadResult load_sweep_file(const std::filesystem::path& path, const std::filesystem::path& paths_relative_to = {});

// The number of design points (1 with no design).
std::int64_t design_points(const SweepSpec& spec);
// Members 0 .. design_points * replicates - 1, design point major. Pure function of the spec.
std::vector<SweepMember> expand_sweep(const SweepSpec& spec);
// The seed of member `index` (or of replicate `index` with common random numbers): a Philox draw keyed by the
// sweep seed, so that any member can be re-run alone.
std::uint64_t member_seed(std::uint64_t sweep_seed, std::uint64_t index) noexcept;

// The scenario load of one design point: the sweep's variant, fixed values and this point's values, located in
// the sweep file.
LoadOptions member_load_options(const SweepSpec& spec, const SweepMember& member);

// Formats a sampled number the way a YAML reader gets it back exactly (shortest round-trip form).
std::string yaml_number(double value, bool integer);

}  // namespace haven
