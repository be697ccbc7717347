#include "haven/io/output.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <tuple>

#include "haven/io/hdf5.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/io/read_guard.hpp"
#include "haven/util/date.hpp"
#include "haven/version.hpp"

namespace haven {

namespace fs = std::filesystem;

namespace {

// Dense origin-destination matrices are written up to this many nodes (8 bytes x n^2); beyond, only the sparse
// triplets, which hold the same information.
constexpr std::size_t dense_od_limit = 2000;
constexpr hsize_t chunk_days = 32;
constexpr hsize_t chunk_nodes = 1024;

enum class flow { stock, daily_sum };

struct VariableSpec {
  const char* name;
  const char* long_name;
  flow kind;
};

// Auxiliary coordinates of every variable along `node` (CF `coordinates` attribute, timeSeries feature type).
constexpr const char* node_coordinates = "node_id node_lat node_lon";

std::vector<std::string> variable_dims(const std::string& name) {
  if (name == "population") return {"time", "node", "group"};
  if (name == "corridor_inflow" || name == "in_transit") return {"time", "corridor"};
  if (name == "cumulative_displaced") return {"time"};
  return {"time", "node"};
}

// Expected mode counts in units of 1/units_per_person of a person; the file holds whole people. Rounded to the
// nearest, halves away from zero, in integer arithmetic (units may exceed what a double holds exactly).
std::int64_t round_people(Count units, Count units_per_person) {
  if (units_per_person == 1) return units;
  if (units < 0) return -round_people(-units, units_per_person);
  const Count whole = units / units_per_person, rest = units % units_per_person;
  return whole + (rest >= units_per_person - rest ? 1 : 0);
}

// Largest-remainder rounding: whole people for `cells` (in units) that add up to exactly `target` (which must be
// within one person per cell of their exact sum), so that a file's parts sum to the totals it also stores.
// Ties go to the earlier cell, so the result is deterministic.
std::vector<std::int64_t> apportion(std::span<const Count> cells, Count units_per_person, std::int64_t target) {
  std::vector<std::int64_t> out(cells.size());
  if (units_per_person == 1) {
    std::copy(cells.begin(), cells.end(), out.begin());
    return out;
  }
  std::vector<std::size_t> order(cells.size());
  std::int64_t floors = 0;
  for (std::size_t k = 0; k < cells.size(); ++k) {
    out[k] = cells[k] / units_per_person;
    floors += out[k];
    order[k] = k;
  }
  const auto rest = [&](std::size_t k) { return cells[k] % units_per_person; };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rest(a) > rest(b); });
  std::int64_t missing = target - floors;
  for (std::size_t k = 0; missing > 0 && !order.empty(); k = (k + 1) % order.size(), --missing) ++out[order[k]];
  // A target below the floors (never for the totals we store) takes from the smallest remainders first.
  for (std::size_t k = order.size(); missing < 0 && k-- > 0;) {
    if (out[order[k]] > 0) --out[order[k]], ++missing;
  }
  return out;
}

// A daily flow written as the day's step of its rounded running total: the recorded days then add up to the
// rounded total of the run (no drift of up to half a person a day), which the origin-destination counts can
// be checked against.
struct RoundedFlow {
  std::vector<Count> total_units;
  std::vector<std::int64_t> total_people;
  std::int64_t step(std::size_t k, Count units, Count units_per_person) {
    if (total_units.size() <= k) {
      total_units.resize(k + 1, 0);
      total_people.resize(k + 1, 0);
    }
    total_units[k] += units;
    const std::int64_t people = round_people(total_units[k], units_per_person);
    const std::int64_t today = people - total_people[k];
    total_people[k] = people;
    return today;
  }
};

}  // namespace

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

fs::path default_output_path(const Scenario& scenario) {
  if (!scenario.outputs.path.empty()) return scenario.outputs.path;
  return fs::path("output") / (scenario.name + (scenario.variant.empty() ? "" : "-" + scenario.variant) + ".h5");
}

std::optional<OutputProblem> check_output_file(const fs::path& path, bool overwrite, std::string_view not_regular_hint,
                                               std::string_view output_option) {
  std::error_code error;
  // "out/" or "out/.": a folder, which would be created on the way and then fail to open as a file.
  if (const auto name = path.filename(); name.empty() || name == "." || name == "..") {
    return OutputProblem{fmt::format("{} names a folder; name the file to write in it", path.string())};
  }
  const auto link = fs::symlink_status(path, error);
  if (fs::exists(link)) {
    const auto target = fs::status(path, error);
    if (fs::is_directory(target)) {
      return OutputProblem{fmt::format("{} is a directory, not a file; name a file to write", path.string())};
    }
    // Said before --overwrite is asked for: with it, the same command would be refused.
    if (!fs::is_regular_file(target)) {
      return OutputProblem{fmt::format("{} is not a regular file (a device, pipe, socket or broken link); {}",
                                       path.string(), not_regular_hint)};
    }
    if (!overwrite) {
      return OutputProblem{fmt::format("{} exists; pass --overwrite to replace it, or {} to write elsewhere",
                                       path.string(), output_option)};
    }
  }
  // The directory the file goes in, or the nearest existing one above it (the rest is created).
  fs::path directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  while (!fs::exists(directory, error) && directory.has_parent_path() && directory.parent_path() != directory) {
    directory = directory.parent_path();
  }
  if (!fs::exists(directory, error)) directory = ".";
  if (!fs::is_directory(directory, error)) {
    return OutputProblem{fmt::format("cannot write {}: {} is not a directory", path.string(), directory.string())};
  }
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return OutputProblem{fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)), false};
  }
  return std::nullopt;
}

std::optional<OutputProblem> check_output_file(const fs::path& path, bool overwrite,
                                               const std::vector<fs::path>& inputs, std::string_view output_option) {
  std::error_code error;
  for (const auto& input : inputs) {
    if (fs::exists(path, error) && fs::exists(input, error) && fs::equivalent(path, input, error)) {
      return OutputProblem{fmt::format("{} is an input of this command ({}); name another file for the output",
                                       path.string(), input.string())};
    }
    // A folder given as input (a Flee conflict) is read through its CSV files: one of them is an input too.
    if (fs::is_directory(input, error) && fs::exists(path, error) && path.extension() == ".csv") {
      const auto folder = fs::weakly_canonical(input, error).string() + "/";
      if (fs::weakly_canonical(path, error).string().starts_with(folder)) {
        return OutputProblem{
            fmt::format("{} is a CSV file of the folder {} (an input of this command); write the "
                        "output to another file",
                        path.string(), input.string())};
      }
    }
  }
  return check_output_file(path, overwrite, "--overwrite replaces only regular files", output_option);
}

// A stock is the state at the end of its day, 24:00, where `time` is the day's start: "time: point" alone would put
// it at `time`, a day early against the event log's instants. CF's parenthesised comment says where the point is
// (without a colon in its text: CF readers take a word ending in one for a keyword).
constexpr const char* end_of_day_point =
    "time: point (comment: the state at the end of the day, the upper bound of time_bnds)";

class Hdf5Writer::Impl {
 public:
  Impl(fs::path path, const Scenario& scenario, Provenance provenance, Publishing publishing)
      : final_path_(std::move(path)),
        target_path_(written_path(final_path_)),
        partial_path_(publishing.own_partial ? own_partial_path(target_path_)
                                             : fs::path(target_path_.string() + ".partial")),
        publishing_(publishing),
        s_(scenario),
        provenance_(std::move(provenance)) {}

  ~Impl() {
    if (!committed_) {
      // Closing a dataset flushes its chunks: after a full disk that fails too, unless the space comes back.
      file_.release_space(partial_path_);
      datasets_.clear();
      threat_dataset_.reset();
      coordinates_.clear();
      file_.discard(partial_path_);
    }
  }

  // Every failure to write becomes one line naming the file the user asked for and the reason
  // ("cannot write output/x.h5: No space left on device"); the partial file goes when the writer does.
  template <typename F>
  void guarded(F&& write) {
    try {
      write();
    } catch (const h5::Hdf5Error& e) {
      throw std::runtime_error(fmt::format("cannot write {}: {}", final_path_.string(), e.reason()));
    } catch (const fs::filesystem_error& e) {
      throw std::runtime_error(fmt::format("cannot write {}: {}", final_path_.string(), e.code().message()));
    }
  }

  void start(const RunInfo& info) {
    info_ = info;
    if (target_path_.has_parent_path()) fs::create_directories(target_path_.parent_path());
    if (publishing_.own_partial) remove_unused_partials(target_path_);
    // A partial file of the shared name left by a killed run is this file's: created afresh over it. One of its
    // own (haven run's) has a new name; those killed runs left were removed above.
    registration_.emplace(partial_path_);  // removed if Ctrl-C stops the run (registered before it exists)
    file_ = h5::File::create(partial_path_);
    const int interval = std::max(1, s_.outputs.interval_days);
    for (int day = 0; day < info.days; ++day) {
      if (day % interval == 0 || day + 1 == info.days) recorded_days_.push_back(day);
    }
    if (s_.outputs.nodes.empty()) {
      for (std::size_t i = 0; i < s_.nodes.size(); ++i) nodes_.push_back(static_cast<NodeIndex>(i));
    } else {
      nodes_ = s_.outputs.nodes;
      std::sort(nodes_.begin(), nodes_.end());
      nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
    }
    write_attributes();
    write_coordinates();
    create_variables();
  }

  void day(const DayRecord& r) {
    const Count upp = r.units_per_person;
    // Flows are rounded through their running totals, which every day (recorded or not) adds to.
    auto& steps = flow_steps_;
    auto flow_steps = [&](const char* name, const CountVector& units,
                          bool by_node) -> const std::vector<std::int64_t>& {
      auto& flow = flows_[name];
      steps.clear();
      if (by_node) {
        for (std::size_t k = 0; k < nodes_.size(); ++k) {
          steps.push_back(flow.step(k, units(static_cast<Eigen::Index>(nodes_[k])), upp));
        }
      } else {
        for (Eigen::Index c = 0; c < units.size(); ++c)
          steps.push_back(flow.step(static_cast<std::size_t>(c), units(c), upp));
      }
      return steps;
    };
    const bool recorded = next_record_ < recorded_days_.size() && r.day == recorded_days_[next_record_];
    for (auto [name, units, by_node] :
         {std::tuple{"departures", r.departures, true}, std::tuple{"arrivals", r.arrivals, true},
          std::tuple{"returns", r.returns, true}, std::tuple{"corridor_inflow", r.corridor_inflow, false}}) {
      const auto& today = flow_steps(name, *units, by_node);
      if (auto* buffer = recorded ? buffer_for(name) : nullptr)
        buffer->insert(buffer->end(), today.begin(), today.end());
    }
    if (!recorded) return;
    ++next_record_;
    const auto people = [&](Count units) { return round_people(units, upp); };
    const std::size_t groups = s_.groups.size();
    auto per_node = [&](const char* name, auto value) {
      auto* buffer = buffer_for(name);
      if (!buffer) return;
      for (auto i : nodes_) buffer->push_back(people(value(static_cast<Eigen::Index>(i))));
    };
    if (auto* buffer = buffer_for("population")) {
      // By group, apportioned so that a node's groups add up to its residents plus its displaced present.
      std::vector<Count> cells(groups);
      for (auto i : nodes_) {
        const auto row = static_cast<Eigen::Index>(i);
        for (std::size_t g = 0; g < groups; ++g) {
          const auto col = static_cast<Eigen::Index>(g);
          cells[g] = (*r.residents_by_group)(row, col) + (*r.displaced_by_group)(row, col);
        }
        const std::int64_t total =
            people(r.residents_by_group->row(row).sum()) + people(r.displaced_by_group->row(row).sum());
        for (auto value : apportion(cells, upp, total)) buffer->push_back(value);
      }
    }
    per_node("residents", [&](Eigen::Index i) { return r.residents_by_group->row(i).sum(); });
    per_node("displaced_present", [&](Eigen::Index i) { return r.displaced_by_group->row(i).sum(); });
    per_node("waiting", [&](Eigen::Index i) { return (*r.waiting)(i); });
    per_node("unsheltered", [&](Eigen::Index i) { return (*r.unsheltered)(i); });
    if (auto* buffer = buffer_for("in_transit")) {
      for (Eigen::Index c = 0; c < r.in_transit->size(); ++c) buffer->push_back(people((*r.in_transit)(c)));
    }
    if (auto* buffer = buffer_for("cumulative_displaced")) buffer->push_back(people(r.cumulative_displaced));
    if (threat_dataset_.valid()) {
      for (auto i : nodes_) threat_buffer_.push_back((*r.threat)(static_cast<Eigen::Index>(i)));
    }
    if (capacity_dataset_.valid()) {
      // No shelter limit (crossings, transit, external) is infinity, as the engine holds it (and equal to itself,
      // so files compare equal where they should); NaN only for a record that carried no capacity.
      for (auto i : nodes_) {
        capacity_buffer_.push_back(r.capacity ? (*r.capacity)[static_cast<std::size_t>(i)] : std::nan(""));
      }
    }
    ++buffered_days_;
    if (buffered_days_ == chunk_days || next_record_ == recorded_days_.size()) flush_buffers();
  }

  void event(const EventRecord& e) { events_.push_back(e); }

  void finish(const FinalRecord& record) {
    if (next_record_ != recorded_days_.size()) flush_buffers();
    write_events();
    write_origin_destination(record);
    datasets_.clear();
    threat_dataset_.reset();
    capacity_dataset_.reset();
    coordinates_.clear();
    file_.close();
    put_in_place();
    committed_ = true;
  }

 private:
  struct Variable {
    h5::Handle dataset;
    std::vector<hsize_t> row_shape;  // dims after time
    std::vector<std::int64_t> buffer;
  };

  std::vector<std::int64_t>* buffer_for(const std::string& name) {
    auto it = datasets_.find(name);
    return it == datasets_.end() ? nullptr : &it->second.buffer;
  }

  bool wanted(const std::string& name) const {
    const auto& selected = s_.outputs.variables;
    return selected.empty() || std::find(selected.begin(), selected.end(), name) != selected.end();
  }

  void write_attributes() {
    const hid_t root = file_.id();
    h5::set_attribute(root, "Conventions", std::string("CF-1.8"));
    h5::set_attribute(root, "featureType", std::string("timeSeries"));
    h5::set_attribute(root, "title", s_.title.empty() ? s_.name : s_.title);
    h5::set_attribute(root, "institution", std::string("Haven displacement simulator"));
    h5::set_attribute(root, "source", fmt::format("Haven {} (commit {})", HAVEN_VERSION, HAVEN_GIT_COMMIT));
    const std::string created = provenance_.created_utc.empty() ? utc_now_iso() : provenance_.created_utc;
    h5::set_attribute(root, "history", fmt::format("{}: {}", created, provenance_.command_line));
    h5::set_attribute(root, "created_utc", created);
    h5::set_attribute(root, "scenario_name", s_.name);
    h5::set_attribute(root, "variant", s_.variant);
    h5::set_attribute(root, "description", s_.description);
    h5::set_attribute(root, "variant_description", s_.variant_description);
    h5::set_attribute(root, "start_date", format_iso_date(s_.start_date));
    h5::set_attribute<std::int32_t>(root, "days", info_.days);
    h5::set_attribute<std::uint64_t>(root, "seed", info_.seed);
    h5::set_attribute<std::uint64_t>(root, "run_index", info_.run_index);
    h5::set_attribute(root, "mode", std::string(to_string(info_.mode)));
    h5::set_attribute(root, "scenario_yaml", provenance_.resolved_yaml);
    h5::set_attribute(root, "scenario_sha256", sha256_hex(provenance_.resolved_yaml));
    // `node` may hold only some of them (outputs.nodes): readers tell a subset from the whole network by this.
    h5::set_attribute<std::int32_t>(root, "scenario_nodes", static_cast<std::int32_t>(s_.nodes.size()));
    for (const auto& [name, value] : provenance_.attributes) h5::set_attribute(root, name, value);
  }

  // A 1-D coordinate that is also a dimension scale (named like the dimension, as netCDF expects).
  hid_t dimension(const std::string& name, std::size_t size, const std::string& long_name) {
    std::vector<std::int32_t> values(size);
    for (std::size_t k = 0; k < size; ++k) values[k] = static_cast<std::int32_t>(k);
    auto dataset = file_.create_dataset<std::int32_t>(name, {size});
    if (size > 0) h5::write<std::int32_t>(dataset.id(), values);
    h5::make_dimension_scale(dataset.id(), name);
    h5::set_attribute(dataset.id(), "long_name", long_name);
    const hid_t id = dataset.id();
    coordinates_[name] = std::move(dataset);
    return id;
  }

  void attach(hid_t dataset, const std::vector<std::string>& dims) {
    for (unsigned k = 0; k < dims.size(); ++k) h5::attach_scale(dataset, coordinates_.at(dims[k]).id(), k);
  }

  template <typename T>
  void coordinate(const std::string& name, const std::string& dim, const std::vector<T>& values,
                  const std::string& long_name, const std::string& units = "", const std::string& standard_name = "") {
    auto dataset = file_.create_dataset<T>(name, {values.size()});
    if (!values.empty()) h5::write<T>(dataset.id(), values);
    if (!standard_name.empty()) h5::set_attribute(dataset.id(), "standard_name", standard_name);
    h5::set_attribute(dataset.id(), "long_name", long_name);
    if (!units.empty()) h5::set_attribute(dataset.id(), "units", units);
    attach(dataset.id(), {dim});
  }

  void string_coordinate(const std::string& name, const std::string& dim, const std::vector<std::string>& values,
                         const std::string& long_name) {
    auto dataset = file_.create_string_dataset(name, values);
    h5::set_attribute(dataset.id(), "long_name", long_name);
    attach(dataset.id(), {dim});
  }

  void write_coordinates() {
    // time: the recorded days, CF-encoded so that readers decode real dates.
    {
      std::vector<std::int32_t> days(recorded_days_.begin(), recorded_days_.end());
      auto dataset = file_.create_dataset<std::int32_t>("time", {days.size()});
      if (!days.empty()) h5::write<std::int32_t>(dataset.id(), days);
      h5::make_dimension_scale(dataset.id(), "time");
      h5::set_attribute(dataset.id(), "standard_name", std::string("time"));
      h5::set_attribute(dataset.id(), "long_name", std::string("day of the scenario (state at the end of the day)"));
      h5::set_attribute(dataset.id(), "units", fmt::format("days since {}", format_iso_date(s_.start_date)));
      h5::set_attribute(dataset.id(), "calendar", std::string("standard"));
      h5::set_attribute(dataset.id(), "axis", std::string("T"));
      h5::set_attribute(dataset.id(), "bounds", std::string("time_bnds"));
      coordinates_["time"] = std::move(dataset);
    }
    // Each recorded day spans [day, day + 1): what the daily flows (cell_methods "time: sum") are summed over.
    dimension("nv", 2, "bounds vertex");
    {
      std::vector<std::int32_t> bounds;
      for (int day : recorded_days_) {
        bounds.push_back(day);
        bounds.push_back(day + 1);
      }
      auto dataset = file_.create_dataset<std::int32_t>("time_bnds", {recorded_days_.size(), 2});
      if (!bounds.empty()) h5::write<std::int32_t>(dataset.id(), bounds);
      h5::set_attribute(dataset.id(), "long_name", std::string("the day each record covers"));
      attach(dataset.id(), {"time", "nv"});
    }
    dimension("node", nodes_.size(), "node (index into node_index)");
    dimension("corridor", s_.corridors.size(), "corridor");
    dimension("group", s_.groups.size(), "demographic group");

    std::vector<std::string> names, ids, corridor_ids, group_ids, pcodes, admin1s, admin2s;
    std::vector<double> lat, lon, capacity, corridor_length;
    std::vector<std::int8_t> kind;
    std::vector<std::int32_t> index, from, to;
    for (auto i : nodes_) {
      const auto& n = s_.nodes[static_cast<std::size_t>(i)];
      names.push_back(n.name);
      ids.push_back(n.id);
      pcodes.push_back(n.pcode);
      admin1s.push_back(n.admin1);
      admin2s.push_back(n.admin2);
      lat.push_back(n.lat_deg);
      lon.push_back(n.lon_deg);
      kind.push_back(static_cast<std::int8_t>(n.kind));
      index.push_back(i);
    }
    for (const auto& c : s_.corridors) {
      corridor_ids.push_back(c.id);
      from.push_back(c.from);
      to.push_back(c.to);
      corridor_length.push_back(c.length_km);
    }
    for (const auto& g : s_.groups) group_ids.push_back(g.id);
    string_coordinate("node_id", "node", ids, "node id in the scenario");
    h5::set_attribute(file_.open_dataset("node_id").id(), "cf_role", std::string("timeseries_id"));
    string_coordinate("node_name", "node", names, "node name");
    string_coordinate("node_pcode", "node", pcodes, "place code of the node (e.g. COD p-code; empty: none given)");
    string_coordinate("node_admin1", "node", admin1s, "first-level administrative area (empty: none given)");
    string_coordinate("node_admin2", "node", admin2s, "second-level administrative area (empty: none given)");
    coordinate<double>("node_lat", "node", lat, "latitude", "degrees_north", "latitude");
    coordinate<double>("node_lon", "node", lon, "longitude", "degrees_east", "longitude");
    coordinate<std::int32_t>("node_index", "node", index, "index of the node in the scenario's node list");
    {
      auto dataset = file_.create_dataset<std::int8_t>("node_kind", {kind.size()});
      if (!kind.empty()) h5::write<std::int8_t>(dataset.id(), kind);
      h5::set_attribute(dataset.id(), "long_name", std::string("kind of node"));
      std::vector<std::int8_t> flags;
      std::string meanings;
      for (std::size_t k = 0; k < node_kind_names.size(); ++k) {
        flags.push_back(static_cast<std::int8_t>(k));
        meanings += (k ? " " : "") + std::string(node_kind_names[k]);
      }
      h5::set_attribute_array<std::int8_t>(dataset.id(), "flag_values", flags);
      h5::set_attribute(dataset.id(), "flag_meanings", meanings);
      attach(dataset.id(), {"node"});
    }
    string_coordinate("corridor_id", "corridor", corridor_ids, "corridor id in the scenario");
    coordinate<std::int32_t>("corridor_from", "corridor", from, "index of the node the corridor starts at");
    coordinate<std::int32_t>("corridor_to", "corridor", to, "index of the node the corridor ends at");
    coordinate<double>("corridor_length_km", "corridor", corridor_length, "corridor length", "km");
    string_coordinate("group_name", "group", group_ids, "demographic group");
  }

  void create_variable(const VariableSpec& spec, const std::vector<std::string>& dims) {
    if (!wanted(spec.name)) return;
    std::vector<hsize_t> shape = {recorded_days_.size()};
    std::vector<hsize_t> chunk = {std::min<hsize_t>(chunk_days, std::max<std::size_t>(recorded_days_.size(), 1))};
    Variable variable;
    for (std::size_t k = 1; k < dims.size(); ++k) {
      const hsize_t extent = coordinate_size(dims[k]);
      shape.push_back(extent);
      variable.row_shape.push_back(extent);
      chunk.push_back(std::max<hsize_t>(1, std::min<hsize_t>(dims[k] == "group" ? extent : chunk_nodes, extent)));
    }
    variable.dataset = file_.create_dataset<std::int64_t>(spec.name, shape, h5::Layout{chunk, 4});
    h5::set_attribute(variable.dataset.id(), "long_name", std::string(spec.long_name));
    h5::set_attribute(variable.dataset.id(), "units", std::string("1"));
    h5::set_attribute(variable.dataset.id(), "cell_methods",
                      std::string(spec.kind == flow::daily_sum ? "time: sum" : end_of_day_point));
    if (std::find(dims.begin(), dims.end(), "node") != dims.end()) {
      h5::set_attribute(variable.dataset.id(), "coordinates", std::string(node_coordinates));
    }
    attach(variable.dataset.id(), dims);
    datasets_.emplace(spec.name, std::move(variable));
  }

  hsize_t coordinate_size(const std::string& dim) const {
    if (dim == "node") return nodes_.size();
    if (dim == "corridor") return s_.corridors.size();
    if (dim == "group") return s_.groups.size();
    return 0;
  }

  void create_variables() {
    // CF: counts are dimensionless ("1"); flows are sums over the day (time_bnds), stocks are end-of-day points.
    const VariableSpec specs[] = {
        {"population", "people present (at home or displaced) by group", flow::stock},
        {"residents", "people at home", flow::stock},
        {"displaced_present", "displaced people present (hosted)", flow::stock},
        {"departures", "people who set off from the node during the day", flow::daily_sum},
        {"arrivals", "people who arrived at the node as displaced during the day (returns home excluded)",
         flow::daily_sum},
        {"returns", "people who arrived back home at the node during the day", flow::daily_sum},
        {"waiting", "people queued at the node for a full corridor", flow::stock},
        {"unsheltered", "displaced people present beyond the node's shelter capacity", flow::stock},
        {"corridor_inflow", "people who entered the corridor during the day", flow::daily_sum},
        {"in_transit", "people on the corridor at the end of the day", flow::stock},
        {"cumulative_displaced", "people who have left home since the start (each departure counts)", flow::stock},
    };
    for (const auto& spec : specs) create_variable(spec, variable_dims(spec.name));
    // Threat is a model quantity, not a count: doubles.
    if (wanted("threat") || s_.outputs.variables.empty()) {
      std::vector<hsize_t> chunk = {std::min<hsize_t>(chunk_days, std::max<std::size_t>(recorded_days_.size(), 1)),
                                    std::max<hsize_t>(1, std::min<hsize_t>(chunk_nodes, nodes_.size()))};
      threat_dataset_ =
          file_.create_dataset<double>("threat", {recorded_days_.size(), nodes_.size()}, h5::Layout{chunk, 4});
      h5::set_attribute(
          threat_dataset_.id(), "long_name",
          std::string("threat (felt strikes per day: built up under lasting strikes, remembered after them)"));
      h5::set_attribute(threat_dataset_.id(), "units", std::string("1/day"));
      // The threat people feel that day, made at its start from the events then in force: its point is `time`.
      h5::set_attribute(threat_dataset_.id(), "cell_methods", std::string("time: point"));
      h5::set_attribute(threat_dataset_.id(), "coordinates", std::string(node_coordinates));
      attach(threat_dataset_.id(), {"time", "node"});
    }
    // Capacity is a model quantity (events change it; fractions are possible): doubles, infinity where unlimited.
    if (wanted("capacity")) {
      std::vector<hsize_t> chunk = {std::min<hsize_t>(chunk_days, std::max<std::size_t>(recorded_days_.size(), 1)),
                                    std::max<hsize_t>(1, std::min<hsize_t>(chunk_nodes, nodes_.size()))};
      capacity_dataset_ =
          file_.create_dataset<double>("capacity", {recorded_days_.size(), nodes_.size()}, h5::Layout{chunk, 4});
      h5::set_attribute(capacity_dataset_.id(), "long_name",
                        std::string("shelter capacity of the node at the end of the day (inf: no limit)"));
      h5::set_attribute(capacity_dataset_.id(), "units", std::string("1"));
      h5::set_attribute(capacity_dataset_.id(), "cell_methods", std::string(end_of_day_point));
      h5::set_attribute(capacity_dataset_.id(), "coordinates", std::string(node_coordinates));
      attach(capacity_dataset_.id(), {"time", "node"});
    }
  }

  void flush_buffers() {
    if (buffered_days_ == 0) return;
    for (auto& [name, variable] : datasets_) {
      std::vector<hsize_t> offset = {written_days_};
      std::vector<hsize_t> count = {buffered_days_};
      for (auto extent : variable.row_shape) {
        offset.push_back(0);
        count.push_back(extent);
      }
      std::size_t expected = 1;
      for (auto c : count) expected *= c;
      if (expected > 0) h5::write_slab<std::int64_t>(variable.dataset.id(), offset, count, variable.buffer);
      variable.buffer.clear();
    }
    if (threat_dataset_.valid() && !nodes_.empty()) {
      h5::write_slab<double>(threat_dataset_.id(), {written_days_, 0}, {buffered_days_, nodes_.size()}, threat_buffer_);
      threat_buffer_.clear();
    }
    if (capacity_dataset_.valid() && !nodes_.empty()) {
      h5::write_slab<double>(capacity_dataset_.id(), {written_days_, 0}, {buffered_days_, nodes_.size()},
                             capacity_buffer_);
      capacity_buffer_.clear();
    }
    written_days_ += buffered_days_;
    buffered_days_ = 0;
  }

  void write_events() {
    h5::Group group = file_.create_group("events");
    std::vector<double> time;
    std::vector<std::string> kind, id;
    std::vector<std::int32_t> node, corridor;
    std::vector<double> value;
    for (const auto& e : events_) {
      time.push_back(e.time_days);
      kind.push_back(e.kind);
      id.push_back(e.event_id);
      node.push_back(e.node);
      corridor.push_back(e.corridor);
      value.push_back(e.value);
    }
    // The event dimension lives in the group, so netCDF sees /events as a group with its own dimension.
    std::vector<std::int32_t> index(events_.size());
    for (std::size_t k = 0; k < index.size(); ++k) index[k] = static_cast<std::int32_t>(k);
    auto scale = group.create_dataset<std::int32_t>("event", {index.size()});
    if (!index.empty()) h5::write<std::int32_t>(scale.id(), index);
    h5::make_dimension_scale(scale.id(), "event");
    auto column = [&](h5::Handle dataset, const std::string& long_name, const std::string& units) {
      h5::set_attribute(dataset.id(), "long_name", long_name);
      if (!units.empty()) h5::set_attribute(dataset.id(), "units", units);
      h5::attach_scale(dataset.id(), scale.id(), 0);
    };
    auto times = group.create_dataset<double>("time", {time.size()});
    if (!time.empty()) h5::write<double>(times.id(), time);
    column(std::move(times), "when the event took effect",
           fmt::format("days since {}", format_iso_date(s_.start_date)));
    column(group.create_string_dataset("kind", kind), "what happened (e.g. bombardment_start, stranded)", "");
    column(group.create_string_dataset("event_id", id), "id of the scenario event, if any", "");
    auto nodes = group.create_dataset<std::int32_t>("node", {node.size()});
    if (!node.empty()) h5::write<std::int32_t>(nodes.id(), node);
    column(std::move(nodes), "node index (-1: none)", "");
    auto corridors = group.create_dataset<std::int32_t>("corridor", {corridor.size()});
    if (!corridor.empty()) h5::write<std::int32_t>(corridors.id(), corridor);
    column(std::move(corridors), "corridor index (-1: none)", "");
    auto values = group.create_dataset<double>("value", {value.size()});
    if (!value.empty()) h5::write<double>(values.id(), value);
    column(std::move(values), "intensity, capacity, open (1) / closed (0) or people, by kind", "");
  }

  void write_origin_destination(const FinalRecord& record) {
    std::vector<std::int32_t> origin, destination;
    std::vector<std::int64_t> count;
    for (const auto& od : record.origin_destination) {
      origin.push_back(od.origin);
      destination.push_back(od.destination);
    }
    // Whole people apportioned per destination, so that a destination's counts add up to its rounded total:
    // never more than the arrivals the file records there (rounded the same way, through the run's total).
    count.assign(record.origin_destination.size(), 0);
    {
      std::map<NodeIndex, std::vector<std::size_t>> by_destination;
      for (std::size_t k = 0; k < record.origin_destination.size(); ++k) {
        by_destination[record.origin_destination[k].destination].push_back(k);
      }
      std::vector<Count> cells;
      for (const auto& [node, pairs] : by_destination) {
        cells.clear();
        Count total_units = 0;
        for (auto k : pairs) {
          cells.push_back(record.origin_destination[k].count);
          total_units += record.origin_destination[k].count;
        }
        const auto people =
            apportion(cells, record.units_per_person, round_people(total_units, record.units_per_person));
        for (std::size_t j = 0; j < pairs.size(); ++j) count[pairs[j]] = people[j];
      }
    }
    std::vector<std::int32_t> index(count.size());
    for (std::size_t k = 0; k < index.size(); ++k) index[k] = static_cast<std::int32_t>(k);
    auto scale = file_.create_dataset<std::int32_t>("od_pair", {index.size()});
    if (!index.empty()) h5::write<std::int32_t>(scale.id(), index);
    h5::make_dimension_scale(scale.id(), "od_pair");
    h5::set_attribute(scale.id(), "long_name", std::string("(home node, destination) pair with arrivals"));
    auto column = [&](const std::string& name, const auto& values, const std::string& long_name,
                      const std::string& units) {
      using T = typename std::decay_t<decltype(values)>::value_type;
      auto dataset = file_.create_dataset<T>(name, {values.size()});
      if (!values.empty()) h5::write<T>(dataset.id(), values);
      h5::set_attribute(dataset.id(), "long_name", long_name);
      if (!units.empty()) h5::set_attribute(dataset.id(), "units", units);
      h5::attach_scale(dataset.id(), scale.id(), 0);
    };
    column("od_origin", origin, "home node index", "");
    column("od_destination", destination, "destination node index", "");
    column("od_count", count, "cumulative arrivals from the home node at the destination", "1");
    if (s_.outputs.nodes.empty() && s_.nodes.size() <= dense_od_limit && wanted("od_matrix")) {
      const std::size_t n = s_.nodes.size();
      std::vector<std::int64_t> dense(n * n, 0);
      for (std::size_t k = 0; k < count.size(); ++k) {
        dense[static_cast<std::size_t>(origin[k]) * n + static_cast<std::size_t>(destination[k])] += count[k];
      }
      // netCDF needs a second dimension for the same nodes: `destination`, a scale with the node indices.
      dimension("destination", n, "destination node");
      auto dataset = file_.create_dataset<std::int64_t>("od_matrix", {n, n});
      if (n > 0) h5::write<std::int64_t>(dataset.id(), dense);
      h5::set_attribute(dataset.id(), "long_name",
                        std::string("cumulative arrivals by home node (row) and destination (column) at the end"));
      h5::set_attribute(dataset.id(), "units", std::string("1"));
      attach(dataset.id(), {"node", "destination"});
    }
  }

  // A link given as the path is written through: the file it points to is replaced, not the link.
  static fs::path written_path(const fs::path& path) {
    std::error_code error;
    if (!fs::is_symlink(path, error)) return path;
    fs::path target = fs::weakly_canonical(path, error);
    return error ? path : target;
  }

  void put_in_place() {
    if (publishing_.replace) {
      fs::rename(partial_path_, target_path_);
      return;
    }
    // Not over a file another process put there while this one ran (checked absent before the run, without
    // --overwrite): the rename fails instead, atomically. A file system without RENAME_NOREPLACE gets the check.
    if (::renameat2(AT_FDCWD, partial_path_.c_str(), AT_FDCWD, target_path_.c_str(), RENAME_NOREPLACE) == 0) return;
    const int error = errno;
    if (error == EINVAL || error == ENOSYS) {
      if (!fs::exists(fs::symlink_status(target_path_))) {
        fs::rename(partial_path_, target_path_);
        return;
      }
    } else if (error != EEXIST) {
      throw fs::filesystem_error("rename", partial_path_, target_path_,
                                 std::error_code(error, std::generic_category()));
    }
    throw std::runtime_error(
        fmt::format("{} appeared while this run went on (another process wrote it), and this run "
                    "does not replace it: run again with --overwrite to replace it",
                    final_path_.string()));
  }

  fs::path final_path_;   // as the user gave it, in messages
  fs::path target_path_;  // the file replaced: final_path_, or where it links to
  fs::path partial_path_;
  Publishing publishing_;
  std::optional<PartialFile> registration_;
  const Scenario& s_;
  Provenance provenance_;
  RunInfo info_;
  h5::File file_;
  std::map<std::string, h5::Handle> coordinates_;
  std::map<std::string, Variable> datasets_;
  h5::Handle threat_dataset_;
  std::vector<double> threat_buffer_;
  std::map<std::string, RoundedFlow> flows_;
  std::vector<std::int64_t> flow_steps_;
  h5::Handle capacity_dataset_;
  std::vector<double> capacity_buffer_;
  std::vector<int> recorded_days_;
  std::vector<NodeIndex> nodes_;
  std::size_t next_record_ = 0;
  hsize_t buffered_days_ = 0;
  hsize_t written_days_ = 0;
  std::vector<EventRecord> events_;
  bool committed_ = false;
};

Hdf5Writer::Hdf5Writer(fs::path path, const Scenario& scenario, Provenance provenance, Publishing publishing)
    : impl_(std::make_unique<Impl>(path, scenario, std::move(provenance), publishing)), path_(std::move(path)) {}
Hdf5Writer::~Hdf5Writer() = default;
void Hdf5Writer::on_start(const RunInfo& info) {
  impl_->guarded([&] { impl_->start(info); });
}
void Hdf5Writer::on_day(const DayRecord& record) {
  impl_->guarded([&] { impl_->day(record); });
}
void Hdf5Writer::on_event(const EventRecord& event) {
  impl_->event(event);
}
void Hdf5Writer::on_finish(const FinalRecord& record) {
  impl_->guarded([&] { impl_->finish(record); });
}

namespace {

// What read_run_file() reads, in this process.
RunFile read_run_file_in_process(const fs::path& path) {
  try {
    auto file = h5::File::open_read_only(path);
    const hid_t root = file.id();
    RunFile run;
    if (!h5::has_attribute(root, "scenario_name")) {
      throw std::runtime_error("not a Haven run file (no scenario_name attribute)");
    }
    run.scenario_name = h5::read_string_attribute(root, "scenario_name");
    run.variant = h5::read_string_attribute(root, "variant");
    run.title = h5::read_string_attribute(root, "title");
    run.mode = h5::read_string_attribute(root, "mode");
    run.source = h5::read_string_attribute(root, "source");
    run.history = h5::read_string_attribute(root, "history");
    run.start_date = h5::read_string_attribute(root, "start_date");
    run.scenario_yaml = h5::read_string_attribute(root, "scenario_yaml");
    run.scenario_sha256 = h5::read_string_attribute(root, "scenario_sha256");
    run.seed = h5::read_attribute<std::uint64_t>(root, "seed");
    run.run_index = h5::read_attribute<std::uint64_t>(root, "run_index");
    if (h5::has_attribute(root, "scenario_nodes")) {
      run.scenario_nodes =
          static_cast<std::size_t>(std::max(0, h5::read_attribute<std::int32_t>(root, "scenario_nodes")));
    }
    if (!parse_iso_date(run.start_date)) {
      throw std::runtime_error(fmt::format("attribute 'start_date' is '{}', not a date (YYYY-MM-DD)", run.start_date));
    }
    // Every dataset is read against the shape its dimensions declare: a hostile or damaged file is an error
    // naming the dataset, never data read out of bounds.
    auto length = [&](const char* dimension) -> hsize_t {
      if (!file.has(dimension)) throw std::runtime_error(fmt::format("no '{}' dimension", dimension));
      const auto shape = h5::dims(file.open_dataset(dimension).id());
      if (shape.size() != 1) throw std::runtime_error(fmt::format("dimension '{}' is not one-dimensional", dimension));
      return shape[0];
    };
    const hsize_t times = length("time"), nodes = length("node"), corridors = length("corridor"),
                  groups = length("group"), pairs = length("od_pair");
    const std::map<std::string, std::vector<hsize_t>> shapes = {
        {"population", {times, nodes, groups}},
        {"corridor_inflow", {times, corridors}},
        {"in_transit", {times, corridors}},
        {"cumulative_displaced", {times}},
    };
    auto optional_ints = [&](const char* name) {
      if (!file.has(name)) return std::vector<std::int64_t>{};
      auto it = shapes.find(name);
      return h5::read_dataset<std::int64_t>(file, name,
                                            it == shapes.end() ? std::vector<hsize_t>{times, nodes} : it->second);
    };
    run.time_days = h5::read_dataset<std::int32_t>(file, "time", {times});
    // Days run from 0 to the `days` simulated, increasing: a date beyond them would be no date of the run.
    const std::int64_t days_run =
        h5::has_attribute(root, "days") ? h5::read_attribute<std::int32_t>(root, "days") : std::int64_t{36600};
    if (h5::has_attribute(root, "days")) run.days = static_cast<std::int32_t>(days_run);
    for (std::size_t t = 0; t < run.time_days.size(); ++t) {
      if (run.time_days[t] < 0 || run.time_days[t] >= days_run || (t > 0 && run.time_days[t] <= run.time_days[t - 1])) {
        throw std::runtime_error(
            fmt::format("dataset 'time': days must increase from 0 to below the {} days run", days_run));
      }
    }
    run.node_name = h5::read_string_dataset(file, "node_name", nodes);
    run.node_index = h5::read_dataset<std::int32_t>(file, "node_index", {nodes});
    run.corridor_name = h5::read_string_dataset(file, "corridor_id", corridors);
    run.group_name = h5::read_string_dataset(file, "group_name", groups);
    run.population = optional_ints("population");
    run.residents = optional_ints("residents");
    run.displaced_present = optional_ints("displaced_present");
    run.departures = optional_ints("departures");
    run.arrivals = optional_ints("arrivals");
    run.returns = optional_ints("returns");
    run.waiting = optional_ints("waiting");
    run.unsheltered = optional_ints("unsheltered");
    run.corridor_inflow = optional_ints("corridor_inflow");
    run.in_transit = optional_ints("in_transit");
    run.cumulative_displaced = optional_ints("cumulative_displaced");
    if (file.has("threat")) run.threat = h5::read_dataset<double>(file, "threat", {times, nodes});
    run.od_origin = h5::read_dataset<std::int32_t>(file, "od_origin", {pairs});
    run.od_destination = h5::read_dataset<std::int32_t>(file, "od_destination", {pairs});
    run.od_count = h5::read_dataset<std::int64_t>(file, "od_count", {pairs});
    if (file.has("capacity")) run.capacity = h5::read_dataset<double>(file, "capacity", {times, nodes});
    run.node_id = h5::read_string_dataset(file, "node_id", nodes);
    run.node_lat = h5::read_dataset<double>(file, "node_lat", {nodes});
    run.node_lon = h5::read_dataset<double>(file, "node_lon", {nodes});
    // Files written before place codes existed have none: empty strings, one per node.
    auto optional_strings = [&](const char* name) {
      return file.has(name) ? h5::read_string_dataset(file, name, nodes) : std::vector<std::string>(nodes);
    };
    run.node_pcode = optional_strings("node_pcode");
    run.node_admin1 = optional_strings("node_admin1");
    run.node_admin2 = optional_strings("node_admin2");
    run.corridor_from = h5::read_dataset<std::int32_t>(file, "corridor_from", {corridors});
    run.corridor_to = h5::read_dataset<std::int32_t>(file, "corridor_to", {corridors});
    // Indices into the scenario's places: within the scenario's count where the file says it (files from before it
    // was written down are checked only for negatives here; readers with the scenario check the rest), each recorded
    // place once and in order.
    const std::int64_t places = run.scenario_nodes > 0 ? static_cast<std::int64_t>(run.scenario_nodes)
                                                       : std::numeric_limits<std::int32_t>::max();
    const auto check_places = [places](const char* dataset, const std::vector<std::int32_t>& indices) {
      for (const auto index : indices) {
        if (index < 0 || index >= places) {
          throw std::runtime_error(fmt::format("dataset '{}': place index {} is not one of the scenario's {} places",
                                               dataset, index, places));
        }
      }
    };
    check_places("node_index", run.node_index);
    for (std::size_t k = 1; k < run.node_index.size(); ++k) {
      if (run.node_index[k] <= run.node_index[k - 1])
        throw std::runtime_error("dataset 'node_index': places must be listed once each, in the scenario's order");
    }
    check_places("corridor_from", run.corridor_from);
    check_places("corridor_to", run.corridor_to);
    check_places("od_origin", run.od_origin);
    check_places("od_destination", run.od_destination);
    // Values the readers hand on as they are (GeoJSON has no NaN; an empty capacity cell means "no limit"): one
    // out of its range is damage, said here rather than written into a layer QGIS then refuses.
    const auto check_range = [](const char* dataset, const std::vector<double>& values, double lowest, double highest,
                                bool nan_allowed = false) {
      for (const double value : values) {
        if (!(value >= lowest && value <= highest) && !(nan_allowed && std::isnan(value))) {
          throw std::runtime_error(
              fmt::format("dataset '{}': {} is not a value it can hold ({} to {})", dataset, value, lowest, highest));
        }
      }
    };
    check_range("node_lat", run.node_lat, -90.0, 90.0);
    check_range("node_lon", run.node_lon, -180.0, 180.0);
    // (A capacity may be NaN: a record that carried none.)
    check_range("capacity", run.capacity, 0.0, std::numeric_limits<double>::infinity(), true);
    // The scenario stored names the corridors' ends and the places of exports and reports: it must be the one run.
    if (!run.scenario_sha256.empty() && sha256_hex(run.scenario_yaml) != run.scenario_sha256) {
      throw std::runtime_error(
          "attribute 'scenario_yaml' does not match its 'scenario_sha256': the stored scenario was changed after the "
          "run");
    }
    if (file.has("events")) {
      const h5::Group log = file.open_group("events");
      const auto shape = h5::dims(log.open_dataset("event").id());
      if (shape.size() != 1) throw std::runtime_error("dataset 'events/event': expected one dimension");
      const hsize_t logged = shape[0];
      const auto when = h5::read_dataset<double>(log, "time", {logged});
      const auto kinds = h5::read_string_dataset(log, "kind", logged);
      const auto ids = h5::read_string_dataset(log, "event_id", logged);
      const auto at_node = h5::read_dataset<std::int32_t>(log, "node", {logged});
      const auto at_corridor = h5::read_dataset<std::int32_t>(log, "corridor", {logged});
      const auto values = h5::read_dataset<double>(log, "value", {logged});
      run.event_log.reserve(logged);
      for (hsize_t k = 0; k < logged; ++k) {
        run.event_log.push_back(EventRecord{when[k], kinds[k], ids[k], at_node[k], at_corridor[k], values[k]});
      }
    }
    if (h5::has_attribute(root, "description")) run.description = h5::read_string_attribute(root, "description");
    if (h5::has_attribute(root, "variant_description")) {
      run.variant_description = h5::read_string_attribute(root, "variant_description");
    }
    return run;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", path.string(), e.what()));
  }
}

}  // namespace

RunFile read_run_file(const fs::path& path) {
  read_in_child_first(path, [&] { (void)read_run_file_in_process(path); });
  return read_run_file_in_process(path);
}

}  // namespace haven
