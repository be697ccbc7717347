#pragma once
// Synthetic scenarios for scaling tests and benchmarks: a random geometric road graph with towns, a few camps,
// a closed border crossing and bombardment spread over the period. Deterministic in its seed.

#include <cstdint>
#include <string>
#include <vector>

namespace haven {

struct GeneratorSettings {
  std::int64_t nodes = 1000;
  std::int64_t corridors = 3000;
  double people = 1e6;
  std::int64_t bombardments = 100;
  int days = 365;
  std::uint64_t seed = 1;
  std::string name = "synthetic";
};

// The roads --corridors gives when it is not given: 3 per node (the benchmarks' networks), within what `nodes`
// nodes can hold (a 10-node network takes at most 36).
std::int64_t default_corridors(std::int64_t nodes);

// What is wrong with the settings, one message per problem ("--nodes 3: ..."), empty when they are usable. Every
// scenario made from usable settings passes `haven check`, and its size is bounded.
std::vector<std::string> generator_problems(const GeneratorSettings& settings);

// The scenario as YAML text (format v1), ready for the loader. The settings must be usable (see above).
std::string generate_scenario_yaml(const GeneratorSettings& settings);

// The same scenario with its nodes, corridors and events as CSV tables (docs/scenario-format.md, "Tables"): the YAML
// names them `<table_prefix>nodes.csv`, `<table_prefix>corridors.csv` and `<table_prefix>events.csv`, relative to
// itself. Loaded, it gives exactly the Scenario the YAML form gives.
struct GeneratedTables {
  std::string yaml;
  std::string nodes_csv;
  std::string corridors_csv;
  std::string events_csv;
};
GeneratedTables generate_scenario_tables(const GeneratorSettings& settings, const std::string& table_prefix);

}  // namespace haven
