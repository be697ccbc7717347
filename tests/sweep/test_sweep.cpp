// Sweep files: located errors, and the deterministic expansion of every design (grid, list, LHS, random).

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "../support.hpp"
#include "haven/scenario/load.hpp"
#include "haven/sweep/sweep.hpp"

namespace fs = std::filesystem;
using namespace haven;
using namespace haven::test;

namespace {

// A sweep file over the valley example, written into a scratch directory beside a copy of the scenario path.
SweepSpec load_spec(const std::string& name, const std::string& body) {
  const fs::path dir = fs::temp_directory_path() / "haven_sweep_spec";
  fs::create_directories(dir);
  const fs::path file = dir / (name + ".yaml");
  write_text(file, fmt::format("sweep:\n  name: {}\n  scenario: {}\n{}", name,
                               (fs::path(HAVEN_SOURCE_DIR) / "scenarios/examples/valley.yaml").string(), body));
  auto loaded = load_sweep_file(file);
  if (!loaded.spec) {
    std::ostringstream text;
    loaded.diagnostics.print(text);
    FAIL_CHECK(text.str());
    throw std::runtime_error("the sweep file did not load");
  }
  return *loaded.spec;
}

std::vector<double> column(const std::vector<SweepMember>& members, std::size_t j) {
  std::vector<double> values;
  for (const auto& m : members) values.push_back(std::stod(m.values[j]));
  return values;
}

}  // namespace

TEST_CASE("bad sweep files are rejected with exit code 2 and their exact located messages") {
  const auto cases = files_with_extension(HAVEN_TEST_DATA_DIR "/bad_sweeps", ".yaml");
  CHECK(cases.size() >= 9);
  for (const auto& path : cases) {
    CAPTURE(path.stem().string());
    const auto result = run_cli({"sweep", "--list", fs::relative(path, HAVEN_SOURCE_DIR).string()});
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err.find(": error: ") != std::string::npos);
    CHECK(unlocated_errors(result.err).empty());
    check_golden(result, fs::path(path).replace_extension(".expected"));
  }
}

TEST_CASE("a grid expands to the product of its axes with the first axis slowest") {
  const auto spec = load_spec("grid", R"(  seed: 7
  replicates: 2
design:
  method: grid
  parameters:
    threat_kernel_km: [0.5, 1, 2]
    max_departure_rate_per_day: [0.1, 0.2]
)");
  REQUIRE(design_points(spec) == 6);
  const auto members = expand_sweep(spec);
  REQUIRE(members.size() == 12);
  const std::vector<std::pair<std::string, std::string>> expected = {{"0.5", "0.1"}, {"0.5", "0.2"}, {"1", "0.1"},
                                                                     {"1", "0.2"},   {"2", "0.1"},   {"2", "0.2"}};
  for (const auto& m : members) {
    CAPTURE(m.index);
    CHECK(m.index == m.design_point * 2 + m.replicate);
    CHECK(m.values[0] == expected[static_cast<std::size_t>(m.design_point)].first);
    CHECK(m.values[1] == expected[static_cast<std::size_t>(m.design_point)].second);
    CHECK(m.seed == member_seed(7, static_cast<std::uint64_t>(m.index)));
  }
  // Every member has its own seed; the options a member loads with name its values, located in the sweep file.
  std::set<std::uint64_t> seeds;
  for (const auto& m : members) seeds.insert(m.seed);
  CHECK(seeds.size() == members.size());
  const auto options = member_load_options(spec, members[7]);  // design point 3
  REQUIRE(options.overrides.size() == 2);
  CHECK(options.overrides[0].path == "parameters.threat_kernel_km");
  CHECK(options.overrides[0].value == "1");
  CHECK(options.overrides[1].value == "0.2");
  CHECK(options.overrides[0].origin.line == 9);
}

TEST_CASE("a list design runs its points in order and common random numbers share seeds across points") {
  const auto spec = load_spec("list", R"(  seed: 3
  replicates: 3
  common_random_numbers: true
design:
  method: list
  points:
    - {threat_kernel_km: 0.5, nodes.northcamp.capacity: 9000}
    - {threat_kernel_km: 4, nodes.northcamp.capacity: 20000}
)");
  const auto members = expand_sweep(spec);
  REQUIRE(members.size() == 6);
  CHECK(spec.parameters[1].path == "nodes.northcamp.capacity");
  CHECK(members[0].values == std::vector<std::string>{"0.5", "9000"});
  CHECK(members[5].values == std::vector<std::string>{"4", "20000"});
  for (std::size_t k = 0; k < 3; ++k) {
    CHECK(members[k].seed == members[k + 3].seed);
    CHECK(members[k].seed == member_seed(3, k));
  }
  CHECK(members[0].seed != members[1].seed);
}

TEST_CASE("quoted text in a sweep's values runs as the text it is - not as null or a list or a folded line") {
  // The values are YAML text, read again when applied: a quoted value must stay quoted, or "null" would read as no
  // value, "[a, b]" as a list, and a line break folded into a space.
  const auto spec = load_spec("quoted", R"(  seed: 3
  set:
    nodes.hilltown.name: "x: y"
design:
  method: list
  points:
    - {nodes.northcamp.name: "null"}
    - {nodes.northcamp.name: "[a, b]"}
    - {nodes.northcamp.name: "a\"b\nc"}
    - {nodes.northcamp.name: plain words}
)");
  const auto members = expand_sweep(spec);
  REQUIRE(members.size() == 4);
  std::vector<std::string> names;
  for (const auto& member : members) {
    const auto loaded = load_scenario_file(spec.scenario, member_load_options(spec, member));
    REQUIRE(loaded.scenario);
    const auto& nodes = loaded.scenario->nodes;
    const auto camp = std::find_if(nodes.begin(), nodes.end(), [](const Node& n) { return n.id == "northcamp"; });
    const auto town = std::find_if(nodes.begin(), nodes.end(), [](const Node& n) { return n.id == "hilltown"; });
    REQUIRE(camp != nodes.end());
    REQUIRE(town != nodes.end());
    CHECK(town->name == "x: y");
    names.push_back(camp->name);
  }
  CHECK(names == std::vector<std::string>{"null", "[a, b]", "a\"b\nc", "plain words"});
  CHECK(members[3].values[0] == "plain words");  // a plain value is recorded as written
}

TEST_CASE("a Latin hypercube puts exactly one sample in each of n strata per parameter") {
  const auto spec = load_spec("lhs", R"(  seed: 11
design:
  method: lhs
  samples: 40
  parameters:
    threat_kernel_km: {min: 0.5, max: 2.5}
    max_departure_rate_per_day: {min: 0.01, max: 1, scale: log}
    nodes.northcamp.capacity: {min: 1000, max: 50000, integer: true}
)");
  const auto members = expand_sweep(spec);
  REQUIRE(members.size() == 40);
  auto strata = [&](std::size_t j, auto to_unit) {
    std::set<int> seen;
    for (double v : column(members, j)) seen.insert(static_cast<int>(std::floor(to_unit(v) * 40)));
    return seen.size();
  };
  CHECK(strata(0, [](double v) { return (v - 0.5) / 2.0; }) == 40);
  CHECK(strata(1, [](double v) { return std::log(v / 0.01) / std::log(100.0); }) == 40);
  for (const auto& m : members) CHECK(m.values[2].find('.') == std::string::npos);  // integer
  // Deterministic: the same file gives the same design; another seed another one.
  CHECK(expand_sweep(spec)[17].values == members[17].values);
  auto other = spec;
  other.seed = 12;
  CHECK(expand_sweep(other)[17].values != members[17].values);
}

TEST_CASE("a sampled parameter that takes whole numbers or 0 or 1 is sampled in whole numbers") {
  const auto spec = load_spec("kinds", R"(  seed: 5
design:
  method: lhs
  samples: 20
  parameters:
    flee_awareness_level: {min: 0, max: 4}
    parameters.flee_start_on_foot: {min: 0, max: 1}
    threat_kernel_km: {min: 0.5, max: 2.5}
)");
  REQUIRE(spec.parameters.size() == 3);
  CHECK(spec.parameters[0].integer);
  CHECK(spec.parameters[1].integer);
  CHECK_FALSE(spec.parameters[2].integer);
  std::set<std::string> awareness;
  std::set<std::string> on_foot;
  for (const auto& m : expand_sweep(spec)) {
    awareness.insert(m.values[0]);
    on_foot.insert(m.values[1]);
  }
  CHECK(awareness == std::set<std::string>{"0", "1", "2", "3", "4"});
  CHECK(on_foot == std::set<std::string>{"0", "1"});
  // Each whole number an equal share of the hypercube's strata: rounding would give 0 and 4 half as many.
  std::map<std::string, int> count;
  std::map<std::string, int> switched;
  for (const auto& m : expand_sweep(spec)) {
    ++count[m.values[0]];
    ++switched[m.values[1]];
  }
  // A plain pair: clang cannot capture a structured binding in CHECK_MESSAGE's lambda under OpenMP.
  for (const auto& share : count) CHECK_MESSAGE(share.second == 4, share.first);
  for (const auto& share : switched) CHECK_MESSAGE(share.second == 10, share.first);
}

TEST_CASE("random designs stay inside their ranges and are reproducible") {
  const auto spec = load_spec("random", R"(  seed: 5
  replicates: 2
design:
  method: random
  samples: 200
  parameters:
    threat_kernel_km: {min: 0.5, max: 2.5}
)");
  const auto members = expand_sweep(spec);
  REQUIRE(members.size() == 400);
  const auto values = column(members, 0);
  CHECK(*std::min_element(values.begin(), values.end()) >= 0.5);
  CHECK(*std::max_element(values.begin(), values.end()) <= 2.5);
  // Replicates share their design point's values; the sample mean is near the middle (5 sigma: 0.2).
  CHECK(members[0].values == members[1].values);
  double sum = 0;
  for (double v : values) sum += v;
  CHECK(std::abs(sum / 400 - 1.5) < 0.2);
  CHECK(expand_sweep(spec)[123].values == members[123].values);
}

TEST_CASE("no design is an ensemble of replicates with the scenario as it is") {
  const auto spec = load_spec("ensemble", "  seed: 9\n  replicates: 5\n");
  CHECK(spec.method == DesignMethod::none);
  const auto members = expand_sweep(spec);
  REQUIRE(members.size() == 5);
  for (const auto& m : members) CHECK(m.values.empty());
  CHECK(yaml_number(0.1, false) == "0.1");
  CHECK(yaml_number(1234.6, true) == "1235");
}

TEST_CASE("the shipped sweep files are valid") {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(HAVEN_SOURCE_DIR) / "scenarios/sweeps")) {
    if (entry.path().extension() != ".yaml") continue;
    CAPTURE(entry.path().string());
    auto loaded = load_sweep_file(entry.path());
    std::ostringstream text;
    loaded.diagnostics.print(text);
    CHECK_MESSAGE(loaded.spec.has_value(), text.str());
    CHECK(loaded.diagnostics.all().empty());
    ++count;
  }
  CHECK(count >= 4);
}

TEST_CASE("a sweep seed keeps all 64 bits in decimal or hex") {
  // 2^64 - 1 and 2^53 + 1: a double would round both.
  CHECK(load_spec("seed_max", "  seed: 18446744073709551615\n").seed == UINT64_MAX);
  CHECK(load_spec("seed_odd", "  seed: 9007199254740993\n").seed == 9007199254740993ULL);
  CHECK(load_spec("seed_hex", "  seed: 0xfedcba9876543210\n").seed == 0xfedcba9876543210ULL);
}
