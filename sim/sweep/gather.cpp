#include "haven/sweep/gather.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>

#include "haven/analysis/validation.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/io/output.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/io/read_guard.hpp"
#include "haven/sweep/runner.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"
#include "haven/version.hpp"

namespace haven {

namespace fs = std::filesystem;

namespace {

// The run file's per-member variables stacked in the ensemble, with their dimensions after `member`.
struct StackedVariable {
  const char* name;
  std::vector<std::string> dims;
  bool floating = false;
};

const std::vector<StackedVariable>& stacked_variables() {
  static const std::vector<StackedVariable> variables = {
      {"population", {"time", "node", "group"}},
      {"residents", {"time", "node"}},
      {"displaced_present", {"time", "node"}},
      {"departures", {"time", "node"}},
      {"arrivals", {"time", "node"}},
      {"returns", {"time", "node"}},
      {"waiting", {"time", "node"}},
      {"unsheltered", {"time", "node"}},
      {"corridor_inflow", {"time", "corridor"}},
      {"in_transit", {"time", "corridor"}},
      {"cumulative_displaced", {"time"}},
      {"threat", {"time", "node"}, true},
  };
  return variables;
}

// Summary series: name, the variable it totals per day, and what it means.
struct SummarySpec {
  const char* name;
  const char* variable;
  const char* long_name;
};

constexpr SummarySpec summaries[] = {
    {"cumulative_displaced", "cumulative_displaced", "people who have left home since the start"},
    {"displaced_present_total", "displaced_present", "displaced people present, all nodes"},
    {"unsheltered_total", "unsheltered", "displaced people beyond shelter capacity, all nodes"},
    {"departures_total", "departures", "people who set off during the day, all nodes"},
    {"in_transit_total", "in_transit", "people on the roads at the end of the day"},
    {"returns_total", "returns", "people who arrived back home during the day, all nodes"},
};

std::optional<double> as_number(const std::string& text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::string variable_name(const std::string& parameter) {
  std::string name = "parameter_";
  for (char c : parameter) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

struct ManifestRow {
  std::int64_t member = 0, design_point = 0, replicate = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> values;
  std::string path;
};

struct Manifest {
  std::vector<std::string> parameters;
  std::vector<ManifestRow> rows;
};

[[noreturn]] void bad_directory(const fs::path& where, const std::string& message, std::size_t line = 0) {
  Diagnostics diagnostics;
  diagnostics.error({where.string(), line, 0}, message);
  throw InputError(diagnostics);
}

Manifest read_manifest(const fs::path& directory) {
  const fs::path file = directory / "manifest.csv";
  if (std::error_code error; !fs::is_directory(directory, error)) {
    bad_directory(directory, fmt::format("{}; give a sweep's output directory (its sweep file's output:, where haven "
                                         "sweep wrote manifest.csv)",
                                         fs::exists(directory, error) ? "not a folder" : "no such folder"));
  }
  if (!fs::exists(file)) {
    bad_directory(directory, "no manifest.csv here; is this a sweep's output directory? (haven sweep writes it)");
  }
  const auto table = parse_csv(read_whole_file(file));
  const std::vector<std::string> head = {"member", "design_point", "replicate", "seed"};
  const std::vector<std::string> tail = {"path", "status", "error"};
  if (table.empty() || table[0].size() < head.size() + tail.size() ||
      !std::equal(head.begin(), head.end(), table[0].begin()) ||
      !std::equal(tail.begin(), tail.end(), table[0].end() - static_cast<std::ptrdiff_t>(tail.size()))) {
    bad_directory(file, fmt::format("not a Haven sweep manifest (expected the columns {}, parameters..., {})",
                                    fmt::join(head, ","), fmt::join(tail, ",")));
  }
  Manifest manifest;
  const std::size_t width = table[0].size();
  for (std::size_t c = 4; c + 3 < width; ++c) manifest.parameters.push_back(table[0][c]);
  for (std::size_t r = 1; r < table.size(); ++r) {
    const auto& row = table[r];
    if (row.size() == 1 && row[0].empty()) continue;
    if (row.size() != width) {
      bad_directory(file, fmt::format("{} fields where the header has {}", row.size(), width), r + 1);
    }
    ManifestRow m;
    try {
      m.member = std::stoll(row[0]);
      m.design_point = std::stoll(row[1]);
      m.replicate = std::stoll(row[2]);
      // Written as 0x hex (spreadsheets keep it); decimal, as older manifests have it, is read too.
      const auto seed = parse_seed(row[3]);
      if (!seed) throw std::invalid_argument("seed");
      m.seed = *seed;
    } catch (const std::exception&) {
      bad_directory(file, "member, design_point, replicate and seed must be whole numbers (the seed may be 0x hex)",
                    r + 1);
    }
    for (std::size_t c = 4; c + 3 < width; ++c) m.values.push_back(row[c]);
    m.path = row[width - 3];
    if (m.member != static_cast<std::int64_t>(manifest.rows.size())) {
      bad_directory(file, fmt::format("expected member {}, found {}", manifest.rows.size(), m.member), r + 1);
    }
    manifest.rows.push_back(std::move(m));
  }
  return manifest;
}

// What one usable member contributes: its shapes (checked against the first) and its daily totals.
struct MemberData {
  std::map<std::string, std::vector<hsize_t>> shapes;
  std::map<std::string, std::vector<double>> totals;  // summary name -> per time
};

std::string shape_text(const std::vector<hsize_t>& shape) {
  return shape.empty() ? std::string("a scalar") : fmt::format("{}", fmt::join(shape, "x"));
}

MemberData inspect_member(const fs::path& file, std::int64_t member, std::uint64_t seed) {
  MemberData data;
  auto h5file = h5::File::open_read_only(file);
  if (h5::has_attribute(h5file.id(), "sweep_member")) {
    const std::string recorded = h5::read_string_attribute(h5file.id(), "sweep_member");
    if (recorded != std::to_string(member)) {
      throw std::runtime_error(fmt::format("it holds member {}, not {}", recorded, member));
    }
  }
  // A file of the same member number from another sweep (another seed) would be stacked as this one's.
  if (h5::has_attribute(h5file.id(), "seed")) {
    const auto recorded = h5::read_attribute<std::uint64_t>(h5file.id(), "seed");
    if (recorded != seed) {
      throw std::runtime_error(
          fmt::format("it was run with seed {:#x}, and this sweep gives member {} seed {:#x} "
                      "(a file of another sweep?)",
                      recorded, member, seed));
    }
  }
  for (const char* name : {"time", "node", "corridor", "group"}) {
    if (!h5file.has(name)) throw std::runtime_error(fmt::format("no '{}' dataset", name));
    auto dataset = h5file.open_dataset(name);
    data.shapes[name] = h5::dims(dataset.id());
  }
  for (const auto& v : stacked_variables()) {
    if (!h5file.has(v.name)) continue;
    auto dataset = h5file.open_dataset(v.name);
    data.shapes[v.name] = h5::dims(dataset.id());
    // Its shape follows from the file's own dimensions.
    std::vector<hsize_t> expected;
    for (const auto& dim : v.dims) expected.push_back(data.shapes.at(dim).empty() ? 0 : data.shapes.at(dim)[0]);
    if (data.shapes[v.name] != expected) {
      throw std::runtime_error(fmt::format("'{}' is {}, not {} ({})", v.name, shape_text(data.shapes[v.name]),
                                           fmt::join(v.dims, " x "), shape_text(expected)));
    }
  }
  for (const auto& s : summaries) {
    if (!h5file.has(s.variable)) continue;
    auto dataset = h5file.open_dataset(s.variable);
    const auto dims = h5::dims(dataset.id());
    const auto values = h5::read<std::int64_t>(dataset.id());
    const std::size_t times = dims.empty() ? 0 : dims[0];
    const std::size_t per_time = times == 0 ? 0 : values.size() / times;
    std::vector<double> total(times, 0.0);
    for (std::size_t t = 0; t < times; ++t) {
      for (std::size_t k = 0; k < per_time; ++k) total[t] += static_cast<double>(values[t * per_time + k]);
    }
    data.totals[s.name] = std::move(total);
  }
  return data;
}

template <typename T>
void copy_dataset(const h5::File& from, h5::File& to, const std::string& name) {
  if (!from.has(name)) return;
  auto source = from.open_dataset(name);
  const auto values = h5::read<T>(source.id());
  auto target = to.create_dataset<T>(name, {values.size()});
  if (!values.empty()) h5::write<T>(target.id(), values);
  for (const char* attribute : {"long_name", "units", "standard_name", "calendar", "axis"}) {
    if (h5::has_attribute(source.id(), attribute)) {
      h5::set_attribute(target.id(), attribute, h5::read_string_attribute(source.id(), attribute));
    }
  }
}

}  // namespace

GatherOutcome gather_sweep(const fs::path& directory, const GatherOptions& options) {
  GatherOutcome outcome;
  if (fs::is_directory(directory) && !fs::exists(directory / "manifest.csv") && fs::exists(directory / "runs")) {
    recover_manifest(directory);
  }
  const Manifest manifest = read_manifest(directory);
  // Before reading every member: ensemble.h5 is replaced only if it is a regular file, in a writable directory.
  if (auto problem = check_output_file(directory / "ensemble.h5", true)) throw std::runtime_error(problem->message);
  const auto members = static_cast<std::int64_t>(manifest.rows.size());
  outcome.members = members;
  std::vector<std::string> errors;
  const auto statuses = member_statuses(directory, members, &errors);

  // 0 done, 1 missing, 2 failed, 3 broken.
  std::vector<std::int8_t> status(static_cast<std::size_t>(members), 0);
  std::vector<std::optional<MemberData>> data(static_cast<std::size_t>(members));
  for (std::int64_t i = 0; i < members; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const fs::path file = directory / manifest.rows[k].path;
    if (statuses[k] == MemberStatus::failed) {
      status[k] = 2;
      outcome.problems.push_back({i, "failed", errors[k]});
      continue;
    }
    if (!fs::exists(file)) {
      status[k] = 1;
      outcome.problems.push_back({i, "missing", fmt::format("no {}", manifest.rows[k].path)});
      continue;
    }
    try {
      // A member whose damage would crash libhdf5 is a broken member, not the end of the gather (read_guard.hpp).
      read_in_child_first(file, [&] { (void)inspect_member(file, i, manifest.rows[k].seed); });
      data[k] = inspect_member(file, i, manifest.rows[k].seed);
    } catch (const std::exception& e) {
      status[k] = 3;
      outcome.problems.push_back({i, "broken", fmt::format("{}: {}", manifest.rows[k].path, e.what())});
    }
  }
  // Every member is judged against the layout (dimensions, variables, shapes) most readable members share, not
  // against one of them: a bad member 0 condemns only itself, and a variable it lacks is its fault. On a tie, the
  // layout with more variables wins (a member missing one is the likelier broken), then the earlier member's.
  std::map<std::map<std::string, std::vector<hsize_t>>, std::pair<std::int64_t, std::int64_t>> layouts;
  for (std::int64_t i = members - 1; i >= 0; --i) {
    if (const auto& d = data[static_cast<std::size_t>(i)]) {
      auto& [count, first] = layouts[d->shapes];
      ++count;
      first = i;
    }
  }
  std::optional<std::int64_t> reference;
  std::int64_t readable = 0;
  const std::map<std::string, std::vector<hsize_t>>* expected = nullptr;
  std::int64_t expected_count = 0;
  for (const auto& [shapes, seen] : layouts) {
    const auto& [count, first] = seen;
    readable += count;
    const bool better = !expected || count > expected_count ||
                        (count == expected_count && (shapes.size() > expected->size() ||
                                                     (shapes.size() == expected->size() && first < *reference)));
    if (better) {
      expected = &shapes;
      expected_count = count;
      reference = first;
    }
  }
  for (std::int64_t i = 0; i < members; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (!data[k]) continue;
    if (data[k]->shapes == *expected) {
      ++outcome.usable;
      continue;
    }
    // Dimensions first: when one differs, every variable along it does too, and says nothing more.
    std::vector<std::string> differences;
    for (const char* name : {"time", "node", "corridor", "group"}) {
      const auto& mine = data[k]->shapes.at(name);
      const auto& theirs = expected->at(name);
      if (mine != theirs) {
        differences.push_back(
            fmt::format("'{}' is {} where the other members' is {}", name, shape_text(mine), shape_text(theirs)));
      }
    }
    const bool dimensions_differ = !differences.empty();
    for (const auto& [name, shape] : *expected) {
      if (dimensions_differ) break;
      auto it = data[k]->shapes.find(name);
      if (it == data[k]->shapes.end()) {
        differences.push_back(fmt::format("no '{}' (the other members have it)", name));
      } else if (it->second != shape) {
        differences.push_back(
            fmt::format("'{}' is {} where the other members' is {}", name, shape_text(it->second), shape_text(shape)));
      }
    }
    for (const auto& [name, shape] : data[k]->shapes) {
      if (!dimensions_differ && !expected->count(name))
        differences.push_back(fmt::format("'{}', which the other members lack", name));
    }
    if (differences.size() > 3) {
      const auto more = differences.size() - 3;
      differences.resize(3);
      differences.push_back(fmt::format("{} more difference{}", more, more == 1 ? "" : "s"));
    }
    data[k].reset();
    status[k] = 3;
    outcome.problems.push_back({i, "broken",
                                fmt::format("{}: {} ({} of {} readable members agree)", manifest.rows[k].path,
                                            fmt::join(differences, "; "), expected_count, readable)});
  }
  std::sort(outcome.problems.begin(), outcome.problems.end(),
            [](const MemberProblem& a, const MemberProblem& b) { return a.member < b.member; });
  // The manifest says what was found, whether or not the ensemble is written (Slurm tasks each wrote their view).
  {
    static constexpr const char* status_names[] = {"done", "pending", "failed", "broken"};
    std::vector<ManifestEntry> entries;
    std::size_t next_problem = 0;
    for (std::int64_t i = 0; i < members; ++i) {
      const auto& row = manifest.rows[static_cast<std::size_t>(i)];
      std::string detail;
      if (next_problem < outcome.problems.size() && outcome.problems[next_problem].member == i) {
        if (status[static_cast<std::size_t>(i)] != 1) detail = outcome.problems[next_problem].detail;
        ++next_problem;
      }
      entries.push_back({SweepMember{row.member, row.design_point, row.replicate, row.seed, row.values}, row.path,
                         status_names[status[static_cast<std::size_t>(i)]], detail});
    }
    write_manifest_entries(directory, manifest.parameters, entries);
  }
  if (!reference || (!outcome.problems.empty() && !options.allow_missing)) return outcome;

  const auto& ref = *data[static_cast<std::size_t>(*reference)];
  const fs::path reference_file = directory / manifest.rows[static_cast<std::size_t>(*reference)].path;
  const fs::path target = directory / "ensemble.h5";
  const fs::path partial = directory / "ensemble.h5.partial";
  // Written to ensemble.h5.partial, then renamed: a reader never sees half an ensemble; on failure (a full
  // disk) the partial file goes and the message names the file and the reason.
  h5::File file;
  const PartialFile registration(partial);  // removed if Ctrl-C stops the gather
  try {
    auto source = h5::File::open_read_only(reference_file);
    file = h5::File::create(partial);
    const hid_t root = file.id();
    h5::set_attribute(root, "Conventions", std::string("CF-1.8"));
    // The first usable member's scenario (its observations are every member's) for readers that compare. It is
    // that member's, swept values applied, not the sweep's base: the file says whose it is and with which values,
    // and keeps the sweep file (base scenario, design) beside it.
    for (const char* attribute :
         {"scenario_name", "variant", "variant_description", "start_date", "mode", "sweep_name", "scenario_yaml"}) {
      if (h5::has_attribute(source.id(), attribute)) {
        h5::set_attribute(root, attribute, h5::read_string_attribute(source.id(), attribute));
      }
    }
    // The scenario's places, of which `node` holds all or (outputs.nodes) some: its totals are then of those.
    // Days every member simulated (a sweep's `days:` may stop before the scenario's end), as a run file says them.
    if (h5::has_attribute(source.id(), "days")) {
      h5::set_attribute<std::int32_t>(root, "days", h5::read_attribute<std::int32_t>(source.id(), "days"));
    }
    if (h5::has_attribute(source.id(), "scenario_nodes")) {
      h5::set_attribute<std::int32_t>(root, "scenario_nodes",
                                      h5::read_attribute<std::int32_t>(source.id(), "scenario_nodes"));
    }
    h5::set_attribute<std::int64_t>(root, "scenario_yaml_member", *reference);
    h5::set_attribute(root, "scenario_yaml_values",
                      h5::has_attribute(source.id(), "sweep_values")
                          ? h5::read_string_attribute(source.id(), "sweep_values")
                          : std::string());
    if (fs::exists(directory / "sweep.yaml")) {
      h5::set_attribute(root, "sweep_yaml", read_whole_file(directory / "sweep.yaml"));
    }
    h5::set_attribute(root, "members_stored", std::string(options.materialize ? "materialized" : "virtual"));
    h5::set_attribute(root, "title", fmt::format("ensemble of {} members", members));
    h5::set_attribute(root, "source", fmt::format("Haven {} (commit {})", HAVEN_VERSION, HAVEN_GIT_COMMIT));
    // As a run file's (CF): when, then the command.
    const std::string created = utc_now_iso();
    h5::set_attribute(
        root, "history",
        fmt::format("{}: haven gather {}{}", created, options.materialize ? "--materialize " : "", directory.string()));
    h5::set_attribute(root, "created_utc", created);
    h5::set_attribute<std::int64_t>(root, "members", members);
    h5::set_attribute<std::int64_t>(root, "usable_members", outcome.usable);

    std::map<std::string, h5::Handle> scales;
    auto scale = [&](const std::string& name, h5::Handle dataset, const std::string& long_name) {
      h5::make_dimension_scale(dataset.id(), name);
      h5::set_attribute(dataset.id(), "long_name", long_name);
      scales[name] = std::move(dataset);
    };
    auto attach = [&](hid_t dataset, const std::vector<std::string>& dims) {
      for (unsigned d = 0; d < dims.size(); ++d) h5::attach_scale(dataset, scales.at(dims[d]).id(), d);
    };
    // Dimensions: member and quantile are ours; time, node, corridor and group come from the run files.
    {
      std::vector<std::int64_t> index(static_cast<std::size_t>(members));
      for (std::int64_t i = 0; i < members; ++i) index[static_cast<std::size_t>(i)] = i;
      auto dataset = file.create_dataset<std::int64_t>("member", {index.size()});
      h5::write<std::int64_t>(dataset.id(), index);
      scale("member", std::move(dataset), "sweep member (run index)");
    }
    {
      const std::vector<double> q = {0.05, 0.5, 0.95};
      auto dataset = file.create_dataset<double>("quantile", {q.size()});
      h5::write<double>(dataset.id(), q);
      scale("quantile", std::move(dataset), "quantile over members");
    }
    {
      auto time_source = source.open_dataset("time");
      const auto days = h5::read<std::int32_t>(time_source.id());
      auto dataset = file.create_dataset<std::int32_t>("time", {days.size()});
      if (!days.empty()) h5::write<std::int32_t>(dataset.id(), days);
      for (const char* attribute : {"standard_name", "units", "calendar", "axis"}) {
        h5::set_attribute(dataset.id(), attribute, h5::read_string_attribute(time_source.id(), attribute));
      }
      scale("time", std::move(dataset), "day of the scenario (state at the end of the day)");
    }
    for (const char* name : {"node", "corridor", "group"}) {
      const auto size = ref.shapes.at(name).at(0);
      std::vector<std::int32_t> values(size);
      for (std::size_t k = 0; k < size; ++k) values[k] = static_cast<std::int32_t>(k);
      auto dataset = file.create_dataset<std::int32_t>(name, {size});
      if (size > 0) h5::write<std::int32_t>(dataset.id(), values);
      scale(name, std::move(dataset), name);
    }
    // Coordinates along node, corridor and group, as in the run files.
    auto coordinate_strings = [&](const std::string& name, const std::string& dim) {
      if (!source.has(name)) return;
      auto dataset = file.create_string_dataset(name, h5::read_strings(source.open_dataset(name).id()));
      attach(dataset.id(), {dim});
    };
    coordinate_strings("node_id", "node");
    coordinate_strings("node_name", "node");
    coordinate_strings("corridor_id", "corridor");
    coordinate_strings("group_name", "group");
    for (const char* name : {"node_lat", "node_lon"}) {
      copy_dataset<double>(source, file, name);
      if (file.has(name)) attach(file.open_dataset(name).id(), {"node"});
    }
    copy_dataset<std::int32_t>(source, file, "node_index");
    if (file.has("node_index")) attach(file.open_dataset("node_index").id(), {"node"});

    // Per member: seed, design point, replicate, status, path and the swept values.
    std::vector<std::uint64_t> seeds;
    std::vector<std::int64_t> points, replicates;
    std::vector<std::string> paths;
    for (const auto& row : manifest.rows) {
      seeds.push_back(row.seed);
      points.push_back(row.design_point);
      replicates.push_back(row.replicate);
      paths.push_back(row.path);
    }
    auto member_variable = [&]<typename T>(const std::string& name, const std::vector<T>& values,
                                           const std::string& long_name) {
      auto dataset = file.create_dataset<T>(name, {values.size()});
      if (!values.empty()) h5::write<T>(dataset.id(), values);
      h5::set_attribute(dataset.id(), "long_name", long_name);
      attach(dataset.id(), {"member"});
      return dataset;
    };
    member_variable("seed", seeds, "the member's random seed (haven run --seed reproduces it)");
    member_variable("design_point", points, "design point of the sweep");
    member_variable("replicate", replicates, "replicate at its design point");
    {
      auto dataset = member_variable("status", status, "member status");
      h5::set_attribute_array<std::int8_t>(dataset.id(), "flag_values", std::vector<std::int8_t>{0, 1, 2, 3});
      h5::set_attribute(dataset.id(), "flag_meanings", std::string("done missing failed broken"));
    }
    {
      auto dataset = file.create_string_dataset("path", paths);
      h5::set_attribute(dataset.id(), "long_name", std::string("run file, relative to this file"));
      attach(dataset.id(), {"member"});
    }
    for (std::size_t j = 0; j < manifest.parameters.size(); ++j) {
      std::vector<double> numbers;
      std::vector<std::string> texts;
      bool numeric = true;
      for (const auto& row : manifest.rows) {
        texts.push_back(row.values[j]);
        if (auto value = as_number(row.values[j])) {
          numbers.push_back(*value);
        } else {
          numeric = false;
        }
      }
      const std::string name = variable_name(manifest.parameters[j]);
      const std::string long_name = fmt::format("swept value of {}", manifest.parameters[j]);
      if (numeric) {
        auto dataset = member_variable(name, numbers, long_name);
        h5::set_attribute(dataset.id(), "key", manifest.parameters[j]);
      } else {
        auto dataset = file.create_string_dataset(name, texts);
        h5::set_attribute(dataset.id(), "long_name", long_name);
        h5::set_attribute(dataset.id(), "key", manifest.parameters[j]);
        attach(dataset.id(), {"member"});
      }
    }

    // The stacked series: virtual datasets over the member files, or (materialize) copies of them.
    std::vector<std::string> sources(static_cast<std::size_t>(members));
    for (std::int64_t i = 0; i < members; ++i) {
      if (data[static_cast<std::size_t>(i)])
        sources[static_cast<std::size_t>(i)] = manifest.rows[static_cast<std::size_t>(i)].path;
    }
    std::map<std::string, h5::Handle> copies;
    for (const auto& v : stacked_variables()) {
      auto shape = ref.shapes.find(v.name);
      if (shape == ref.shapes.end()) continue;
      auto from = source.open_dataset(v.name);
      h5::Handle dataset;
      if (options.materialize) {
        std::vector<hsize_t> dims = {static_cast<hsize_t>(members)};
        std::vector<hsize_t> chunk = {1};
        for (std::size_t d = 0; d < shape->second.size(); ++d) {
          dims.push_back(shape->second[d]);
          chunk.push_back(std::max<hsize_t>(1, std::min<hsize_t>(shape->second[d], d == 0 ? 32 : 1024)));
        }
        dataset = v.floating ? file.create_dataset<double>(v.name, dims, h5::Layout{chunk, 4})
                             : file.create_dataset<std::int64_t>(v.name, dims, h5::Layout{chunk, 4});
      } else {
        dataset = v.floating
                      ? h5::create_virtual_stack<double>(file, v.name, shape->second, sources, v.name, std::nan(""))
                      : h5::create_virtual_stack<std::int64_t>(file, v.name, shape->second, sources, v.name, -1);
      }
      // As in the run files: the same meaning, what a day's value is (cell_methods), and the places' ids and
      // positions as auxiliary coordinates (xarray then lists them as coordinates, not data).
      for (const char* attribute : {"long_name", "units", "cell_methods", "coordinates"}) {
        if (h5::has_attribute(from.id(), attribute)) {
          h5::set_attribute(dataset.id(), attribute, h5::read_string_attribute(from.id(), attribute));
        }
      }
      // Unmapped members (allow_missing) read as the fill value; say so, so that xarray masks them.
      if (v.floating) {
        h5::set_attribute<double>(dataset.id(), "_FillValue", std::nan(""));
      } else {
        h5::set_attribute<std::int64_t>(dataset.id(), "_FillValue", -1);
      }
      std::vector<std::string> dims = {"member"};
      dims.insert(dims.end(), v.dims.begin(), v.dims.end());
      attach(dataset.id(), dims);
      if (options.materialize) copies.emplace(v.name, std::move(dataset));
    }
    // Materialized: every member's slice written, each member file opened once; unusable members hold the fill.
    for (std::int64_t i = 0; options.materialize && i < members; ++i) {
      const auto k = static_cast<std::size_t>(i);
      std::optional<h5::File> member;
      if (data[k]) member = h5::File::open_read_only(directory / manifest.rows[k].path);
      for (const auto& v : stacked_variables()) {
        auto copy = copies.find(v.name);
        if (copy == copies.end()) continue;
        const auto& shape = ref.shapes.at(v.name);
        std::vector<hsize_t> offset = {static_cast<hsize_t>(i)}, count = {1};
        std::size_t size = 1;
        for (auto extent : shape) {
          offset.push_back(0);
          count.push_back(extent);
          size *= extent;
        }
        if (size == 0) continue;
        if (v.floating) {
          const auto values =
              member ? h5::read_dataset<double>(*member, v.name, shape) : std::vector<double>(size, std::nan(""));
          h5::write_slab<double>(copy->second.id(), offset, count, values);
        } else {
          const auto values =
              member ? h5::read_dataset<std::int64_t>(*member, v.name, shape) : std::vector<std::int64_t>(size, -1);
          h5::write_slab<std::int64_t>(copy->second.id(), offset, count, values);
        }
      }
    }
    copies.clear();

    // Materialised summaries: per member totals, then mean and quantiles over the usable members.
    const std::size_t times = ref.shapes.at("time").at(0);
    for (const auto& s : summaries) {
      if (!ref.totals.count(s.name)) continue;
      const std::string stem = s.name;
      std::vector<double> per_member(static_cast<std::size_t>(members) * times, std::nan(""));
      std::vector<double> mean(times, 0.0), quantiles(3 * times, 0.0);
      for (std::size_t t = 0; t < times; ++t) {
        std::vector<double> values;
        for (std::int64_t i = 0; i < members; ++i) {
          const auto& d = data[static_cast<std::size_t>(i)];
          if (!d) continue;
          const double value = d->totals.at(s.name)[t];
          per_member[static_cast<std::size_t>(i) * times + t] = value;
          values.push_back(value);
        }
        double sum = 0.0;
        for (double value : values) sum += value;
        mean[t] = sum / static_cast<double>(values.size());
        quantiles[0 * times + t] = percentile(values, 0.05);
        quantiles[1 * times + t] = percentile(values, 0.50);
        quantiles[2 * times + t] = percentile(values, 0.95);
      }
      if (stem != "cumulative_displaced") {  // that one is stacked already
        auto dataset = file.create_dataset<double>(stem, {static_cast<hsize_t>(members), times});
        if (!per_member.empty()) h5::write<double>(dataset.id(), per_member);
        h5::set_attribute(dataset.id(), "long_name", std::string(s.long_name));
        h5::set_attribute(dataset.id(), "units", std::string("1"));
        h5::set_attribute<double>(dataset.id(), "_FillValue", std::nan(""));
        attach(dataset.id(), {"member", "time"});
      }
      auto mean_dataset = file.create_dataset<double>(stem + "_mean", {times});
      if (times > 0) h5::write<double>(mean_dataset.id(), mean);
      h5::set_attribute(mean_dataset.id(), "long_name", fmt::format("{}: mean over members", s.long_name));
      h5::set_attribute(mean_dataset.id(), "units", std::string("1"));
      attach(mean_dataset.id(), {"time"});
      auto q_dataset = file.create_dataset<double>(stem + "_quantiles", {3, times});
      if (times > 0) h5::write<double>(q_dataset.id(), quantiles);
      h5::set_attribute(q_dataset.id(), "long_name",
                        fmt::format("{}: 5th, 50th and 95th percentiles over members", s.long_name));
      h5::set_attribute(q_dataset.id(), "units", std::string("1"));
      attach(q_dataset.id(), {"quantile", "time"});
    }
    file.close();
    fs::rename(partial, target);
  } catch (const h5::Hdf5Error& e) {
    file.discard(partial);
    throw std::runtime_error(fmt::format("cannot write {}: {}", target.string(), e.reason()));
  } catch (const fs::filesystem_error& e) {
    file.discard(partial);
    throw std::runtime_error(fmt::format("cannot write {}: {}", target.string(), e.code().message()));
  }
  outcome.file = target;
  outcome.written = true;
  return outcome;
}

}  // namespace haven
