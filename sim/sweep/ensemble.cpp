#include "haven/sweep/ensemble.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>

#include "haven/io/hdf5.hpp"
#include "haven/io/read_guard.hpp"
#include "haven/util/date.hpp"

namespace haven {

namespace fs = std::filesystem;

namespace {

constexpr const char* stacked_names[] = {
    "population",  "residents",       "displaced_present", "departures",           "arrivals", "returns", "waiting",
    "unsheltered", "corridor_inflow", "in_transit",        "cumulative_displaced", "threat"};

std::string text_attribute(hid_t root, const char* name) {
  return h5::has_attribute(root, name) ? h5::read_string_attribute(root, name) : std::string();
}

}  // namespace

std::int64_t EnsembleFile::usable() const {
  return static_cast<std::int64_t>(run_member.size());
}

bool is_ensemble_file(const fs::path& path) {
  try {
    auto file = h5::File::open_read_only(path);
    return h5::has_attribute(file.id(), "members") && file.has("member");
  } catch (const std::exception&) {
    return false;
  }
}

namespace {

// What read_ensemble_file() reads, in this process.
EnsembleFile read_ensemble_file_in_process(const fs::path& path, bool read_members) {
  try {
    auto file = h5::File::open_read_only(path);
    const hid_t root = file.id();
    EnsembleFile e;
    e.scenario_name = text_attribute(root, "scenario_name");
    e.variant = text_attribute(root, "variant");
    e.variant_description = text_attribute(root, "variant_description");
    e.sweep_name = text_attribute(root, "sweep_name");
    e.mode = text_attribute(root, "mode");
    e.start_date = text_attribute(root, "start_date");
    e.source = text_attribute(root, "source");
    e.history = text_attribute(root, "history");
    e.scenario_yaml = text_attribute(root, "scenario_yaml");
    e.scenario_yaml_values = text_attribute(root, "scenario_yaml_values");
    if (h5::has_attribute(root, "scenario_yaml_member")) {
      e.scenario_yaml_member = h5::read_attribute<std::int64_t>(root, "scenario_yaml_member");
    }
    if (h5::has_attribute(root, "scenario_nodes")) {
      e.scenario_nodes =
          static_cast<std::size_t>(std::max(0, h5::read_attribute<std::int32_t>(root, "scenario_nodes")));
    }
    e.members_stored = h5::has_attribute(root, "members_stored") ? text_attribute(root, "members_stored") : "virtual";
    e.members = h5::read_attribute<std::int64_t>(root, "members");
    if (e.members < 0) throw std::runtime_error("attribute 'members' is negative");
    if (!e.start_date.empty() && !parse_iso_date(e.start_date)) {
      throw std::runtime_error(fmt::format("attribute 'start_date' is '{}', not a date (YYYY-MM-DD)", e.start_date));
    }
    auto length = [&](const char* dimension) -> hsize_t {
      if (!file.has(dimension)) throw std::runtime_error(fmt::format("no '{}' dimension", dimension));
      const auto shape = h5::dims(file.open_dataset(dimension).id());
      if (shape.size() != 1) throw std::runtime_error(fmt::format("dimension '{}' is not one-dimensional", dimension));
      return shape[0];
    };
    const auto members = static_cast<hsize_t>(e.members);
    if (length("member") != members) {
      throw std::runtime_error(fmt::format("dimension 'member' does not have the {} members the file says", members));
    }
    const hsize_t times = length("time"), nodes = length("node"), corridors = length("corridor"),
                  groups = length("group");
    e.nodes = nodes;
    e.corridors = corridors;
    e.groups = groups;
    e.time_days = h5::read_dataset<std::int32_t>(file, "time", {times});
    e.days = h5::has_attribute(root, "days") ? h5::read_attribute<std::int32_t>(root, "days")
             : e.time_days.empty()           ? 0
                                             : e.time_days.back() + 1;
    e.status = h5::read_dataset<std::int8_t>(file, "status", {members});
    e.path = h5::read_string_dataset(file, "path", members);
    {
      // The swept keys: member variables with a `key` attribute, in the file's order.
      H5G_info_t info{};
      h5::check(H5Gget_info(root, &info), "list the ensemble's variables");
      for (hsize_t k = 0; k < info.nlinks; ++k) {
        const ssize_t size = H5Lget_name_by_idx(root, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k, nullptr, 0, H5P_DEFAULT);
        if (size <= 0) continue;
        std::string name(static_cast<std::size_t>(size), '\0');
        H5Lget_name_by_idx(root, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, k, name.data(), name.size() + 1, H5P_DEFAULT);
        if (name.rfind("parameter_", 0) != 0) continue;
        auto dataset = file.open_dataset(name);
        if (!h5::has_attribute(dataset.id(), "key")) continue;
        e.parameters.push_back(h5::read_string_attribute(dataset.id(), "key"));
        // Numbers (written as the shortest text that reads back the same) or texts, as gather stored them.
        std::vector<std::string> values;
        h5::Handle type(H5Dget_type(dataset.id()), H5Tclose);
        if (type.valid() && H5Tget_class(type.id()) == H5T_STRING) {
          values = h5::read_string_dataset(file, name, members);
        } else {
          for (const double value : h5::read_dataset<double>(file, name, {members}))
            values.push_back(fmt::format("{}", value));
        }
        e.parameter_values.push_back(std::move(values));
      }
    }
    if (file.has("design_point")) e.design_point = h5::read_dataset<std::int64_t>(file, "design_point", {members});
    if (file.has("replicate")) e.replicate = h5::read_dataset<std::int64_t>(file, "replicate", {members});
    // Summaries over members, materialised at gather time.
    auto summary = [&](const std::string& stem, std::vector<double>& mean, std::vector<double>* p05,
                       std::vector<double>* p95) {
      if (!file.has(stem + "_mean")) return;
      mean = h5::read_dataset<double>(file, stem + "_mean", {times});
      if (!p05 || !file.has(stem + "_quantiles")) return;
      const auto q = h5::read_dataset<double>(file, stem + "_quantiles", {3, times});
      p05->assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(times));
      p95->assign(q.begin() + static_cast<std::ptrdiff_t>(2 * times), q.end());
    };
    summary("cumulative_displaced", e.cumulative_displaced_mean, &e.cumulative_displaced_p05,
            &e.cumulative_displaced_p95);
    summary("displaced_present_total", e.displaced_present_total_mean, &e.displaced_present_total_p05,
            &e.displaced_present_total_p95);
    summary("unsheltered_total", e.unsheltered_total_mean, nullptr, nullptr);

    // Virtual members: which of the run files they map are missing (relative names are found beside the file).
    std::set<std::string> mapped;
    for (const char* name : stacked_names) {
      if (!file.has(name)) continue;
      auto dataset = file.open_dataset(name);
      for (auto& source : h5::virtual_source_files(dataset.id())) mapped.insert(std::move(source));
    }
    const fs::path here = path.has_parent_path() ? path.parent_path() : fs::path(".");
    // Gathered before ensemble.h5 kept the scenario's place count: a member's run file has it, where one is found.
    for (hsize_t m = 0; e.scenario_nodes == 0 && m < members; ++m) {
      const fs::path member = fs::path(e.path[m]).is_absolute() ? fs::path(e.path[m]) : here / e.path[m];
      std::error_code error;
      if (e.path[m].empty() || !fs::is_regular_file(member, error)) continue;
      try {
        auto run = h5::File::open_read_only(member);
        if (h5::has_attribute(run.id(), "scenario_nodes")) {
          e.scenario_nodes =
              static_cast<std::size_t>(std::max(0, h5::read_attribute<std::int32_t>(run.id(), "scenario_nodes")));
        }
      } catch (const std::exception&) {
        // A member that does not open is gather's and info's to report; the count stays unknown.
      }
      break;
    }
    for (const auto& source : mapped) {
      const fs::path where = fs::path(source).is_absolute() ? fs::path(source) : here / source;
      if (!fs::exists(where)) e.missing_sources.push_back(source);
    }
    for (hsize_t m = 0; m < members; ++m) {
      if (std::find(e.missing_sources.begin(), e.missing_sources.end(), e.path[m]) != e.missing_sources.end()) {
        e.members_without_source.push_back(static_cast<std::int64_t>(m));
      }
    }
    for (hsize_t m = 0; m < members; ++m) {
      const auto member = static_cast<std::int64_t>(m);
      if (e.status[m] != 0) continue;
      if (std::find(e.members_without_source.begin(), e.members_without_source.end(), member) !=
          e.members_without_source.end()) {
        continue;
      }
      e.run_member.push_back(member);
    }
    if (!read_members) return e;

    // Every usable member as a run file: the shared coordinates, then its slice of each stacked series.
    RunFile shared;
    shared.scenario_name = e.scenario_name;
    shared.variant = e.variant;
    shared.variant_description = e.variant_description;
    // The scenario's description, as each member's run file has it (read from the resolved scenario kept here):
    // compare and export describe an ensemble's row as a run's.
    try {
      const YAML::Node description = YAML::Load(e.scenario_yaml)["scenario"]["description"];
      if (description && description.IsScalar()) shared.description = description.Scalar();
    } catch (const YAML::Exception&) {
      // A damaged stored scenario: the row has no description, the series are still read.
    }
    shared.mode = e.mode;
    shared.source = e.source;
    shared.history = e.history;
    shared.start_date = e.start_date;
    shared.scenario_yaml = e.scenario_yaml;
    shared.scenario_nodes = e.scenario_nodes;
    shared.days = e.days;
    shared.time_days = e.time_days;
    shared.node_name = h5::read_string_dataset(file, "node_name", nodes);
    shared.node_index = h5::read_dataset<std::int32_t>(file, "node_index", {nodes});
    shared.corridor_name = h5::read_string_dataset(file, "corridor_id", corridors);
    shared.group_name = h5::read_string_dataset(file, "group_name", groups);
    const auto seeds = h5::read_dataset<std::uint64_t>(file, "seed", {members});
    e.runs.assign(e.run_member.size(), shared);
    for (std::size_t r = 0; r < e.runs.size(); ++r) {
      e.runs[r].seed = seeds[static_cast<std::size_t>(e.run_member[r])];
      e.runs[r].run_index = static_cast<std::uint64_t>(e.run_member[r]);
    }
    const std::map<std::string, std::pair<std::vector<std::int64_t> RunFile::*, std::vector<hsize_t>>> series = {
        {"population", {&RunFile::population, {times, nodes, groups}}},
        {"residents", {&RunFile::residents, {times, nodes}}},
        {"displaced_present", {&RunFile::displaced_present, {times, nodes}}},
        {"departures", {&RunFile::departures, {times, nodes}}},
        {"arrivals", {&RunFile::arrivals, {times, nodes}}},
        {"returns", {&RunFile::returns, {times, nodes}}},
        {"waiting", {&RunFile::waiting, {times, nodes}}},
        {"unsheltered", {&RunFile::unsheltered, {times, nodes}}},
        {"corridor_inflow", {&RunFile::corridor_inflow, {times, corridors}}},
        {"in_transit", {&RunFile::in_transit, {times, corridors}}},
        {"cumulative_displaced", {&RunFile::cumulative_displaced, {times}}},
    };
    for (const auto& [name, target] : series) {
      if (!file.has(name)) continue;
      std::vector<hsize_t> shape = {members};
      std::size_t per_member = 1;
      for (auto extent : target.second) {
        shape.push_back(extent);
        per_member *= extent;
      }
      const auto values = h5::read_dataset<std::int64_t>(file, name, shape);
      for (std::size_t r = 0; r < e.runs.size(); ++r) {
        const auto begin =
            values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(e.run_member[r]) * per_member);
        (e.runs[r].*(target.first)).assign(begin, begin + static_cast<std::ptrdiff_t>(per_member));
      }
    }
    return e;
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("{}: {}", path.string(), error.what()));
  }
}

}  // namespace

EnsembleFile read_ensemble_file(const fs::path& path, bool read_members) {
  // The child reads the ensemble's own text and lists, where a damaged heap can crash libhdf5; not the members'
  // series through it (virtual datasets over many files: numbers, and as slow as the whole sweep is large).
  read_in_child_first(path, [&] { (void)read_ensemble_file_in_process(path, false); });
  return read_ensemble_file_in_process(path, read_members);
}

std::string missing_sources_warning(const fs::path& path, const EnsembleFile& ensemble) {
  if (ensemble.missing_sources.empty()) return {};
  constexpr std::size_t shown = 5;
  std::vector<std::string> names(
      ensemble.missing_sources.begin(),
      ensemble.missing_sources.begin() + static_cast<std::ptrdiff_t>(std::min(shown, ensemble.missing_sources.size())));
  const fs::path here = path.has_parent_path() ? path.parent_path() : fs::path(".");
  return fmt::format(
      "haven: warning: {}: {} of {} members' run files are not there ({}{}, looked for in {}); those members are "
      "left out (their series read as missing). Keep ensemble.h5 beside the sweep's runs/, or gather with "
      "--materialize for a file that stands alone.\n",
      path.string(), ensemble.members_without_source.size(), ensemble.members, fmt::join(names, ", "),
      ensemble.missing_sources.size() > shown ? fmt::format(" and {} more", ensemble.missing_sources.size() - shown)
                                              : "",
      here.string());
}

}  // namespace haven
