#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>

#include "../support.hpp"
#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/generate.hpp"
#include "haven/scenario/load.hpp"
#include "haven/util/text.hpp"

namespace fs = std::filesystem;
using namespace haven;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("haven_io_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

LoadResult valley() {
  auto result = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  REQUIRE(result.scenario);
  return result;
}

// Throws partway through a run, as a crash or a full disk would.
class Saboteur final : public Observer {
 public:
  void on_day(const DayRecord& record) override {
    if (record.day == 5) throw std::runtime_error("disk full");
  }
};

}  // namespace

TEST_CASE("the file holds exactly the series the engine produced") {
  const auto loaded = valley();
  const Scenario& s = *loaded.scenario;
  const fs::path path = temp_dir("exact") / "valley.h5";
  MemoryRecorder memory;
  {
    Simulation simulation(s, RunConfig{.seed = 42});
    Hdf5Writer writer(path, s, Provenance{"haven run valley.yaml", loaded.resolved_yaml});
    simulation.add_observer(memory);
    simulation.add_observer(writer);
    simulation.run();
  }
  REQUIRE(fs::exists(path));
  CHECK_FALSE(fs::exists(path.string() + ".partial"));
  const RunFile file = read_run_file(path);
  const std::size_t days = memory.days(), n = s.nodes.size(), g = s.groups.size(), c = s.corridors.size();
  REQUIRE(file.times() == days);
  REQUIRE(file.nodes() == n);
  CHECK(file.scenario_name == "valley");
  CHECK(file.seed == 42);
  CHECK(file.mode == "stochastic");
  CHECK(file.start_date == "2024-03-01");
  CHECK(file.scenario_sha256 == sha256_hex(loaded.resolved_yaml));
  CHECK(file.history.find("haven run valley.yaml") != std::string::npos);
  CHECK(file.group_name == std::vector<std::string>{"children", "adults", "elderly"});
  for (std::size_t t = 0; t < days; ++t) {
    CAPTURE(t);
    CHECK(file.time_days[t] == static_cast<std::int32_t>(t));
    CHECK(file.cumulative_displaced[t] == memory.cumulative_displaced_[t]);
    for (std::size_t i = 0; i < n; ++i) {
      const auto row = static_cast<Eigen::Index>(i);
      for (std::size_t k = 0; k < g; ++k) {
        const auto col = static_cast<Eigen::Index>(k);
        REQUIRE(file.population[(t * n + i) * g + k] ==
                memory.residents_[t](row, col) + memory.displaced_[t](row, col));
      }
      REQUIRE(file.residents[t * n + i] == memory.residents_[t].row(row).sum());
      REQUIRE(file.displaced_present[t * n + i] == memory.displaced_[t].row(row).sum());
      REQUIRE(file.departures[t * n + i] == memory.departures_[t](row));
      REQUIRE(file.arrivals[t * n + i] == memory.arrivals_[t](row));
      REQUIRE(file.returns[t * n + i] == memory.returns_[t](row));
      REQUIRE(file.waiting[t * n + i] == memory.waiting_[t](row));
      REQUIRE(file.unsheltered[t * n + i] == memory.unsheltered_[t](row));
      REQUIRE(file.threat[t * n + i] == memory.threat_[t](row));
    }
    for (std::size_t k = 0; k < c; ++k) {
      REQUIRE(file.corridor_inflow[t * c + k] == memory.corridor_inflow_[t](static_cast<Eigen::Index>(k)));
      REQUIRE(file.in_transit[t * c + k] == memory.in_transit_[t](static_cast<Eigen::Index>(k)));
    }
  }
  REQUIRE(file.od_count.size() == memory.final_.origin_destination.size());
  for (std::size_t k = 0; k < file.od_count.size(); ++k) {
    CHECK(file.od_origin[k] == memory.final_.origin_destination[k].origin);
    CHECK(file.od_destination[k] == memory.final_.origin_destination[k].destination);
    CHECK(file.od_count[k] == memory.final_.origin_destination[k].count);
  }
  // The event log: one entry per scenario event start (all start within the period) at least.
  auto h5file = h5::File::open_read_only(path);
  auto events = h5file.open_group("events");
  const auto kinds = h5::read_strings(events.open_dataset("kind").id());
  CHECK(kinds.size() == memory.events_.size());
  CHECK(kinds.size() >= s.events.size());
}

TEST_CASE("expected-mode files hold whole people and a recording interval thins the time axis") {
  auto loaded = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml",
                                   {.set_overrides = {"outputs.interval_days=7", "outputs.variables=[residents]"}});
  REQUIRE(loaded.scenario);
  const fs::path path = temp_dir("interval") / "valley.h5";
  {
    Simulation simulation(*loaded.scenario, RunConfig{.mode = Mode::expected});
    Hdf5Writer writer(path, *loaded.scenario, Provenance{"test", loaded.resolved_yaml});
    simulation.add_observer(writer);
    simulation.run();
  }
  const RunFile file = read_run_file(path);
  CHECK(file.time_days == std::vector<std::int32_t>{0, 7, 14, 21, 28, 35, 42, 49, 56, 59});
  CHECK(file.mode == "expected");
  CHECK(file.residents.size() == 10 * loaded.scenario->nodes.size());
  CHECK(file.population.empty());  // not selected
  std::int64_t day0 = 0;
  for (std::size_t i = 0; i < file.nodes(); ++i) day0 += file.residents[i];
  CHECK(day0 > 600'000);
}

TEST_CASE("expected-mode files store their rounding so that the file's own totals agree") {
  // A small synthetic network with few people: many origin-destination cells of a fraction of a person, where
  // rounding each cell alone made a destination's column exceed its arrivals by up to 7 people.
  const auto text = generate_scenario_yaml(
      {.nodes = 40, .corridors = 80, .people = 3000, .bombardments = 20, .days = 40, .seed = 1, .name = "small"});
  auto loaded = load_scenario_text(text, "small.yaml");
  REQUIRE(loaded.scenario);
  const fs::path path = temp_dir("rounding") / "small.h5";
  {
    Simulation simulation(*loaded.scenario, RunConfig{.mode = Mode::expected});
    Hdf5Writer writer(path, *loaded.scenario, Provenance{"test", loaded.resolved_yaml});
    simulation.add_observer(writer);
    simulation.run();
  }
  const RunFile file = read_run_file(path);
  const std::size_t t_count = file.times(), n = file.nodes(), groups = file.group_name.size();
  REQUIRE(n == 40);
  std::size_t mismatched_groups = 0;
  for (std::size_t k = 0; k < t_count * n; ++k) {
    std::int64_t by_group = 0;
    for (std::size_t g = 0; g < groups; ++g) by_group += file.population[k * groups + g];
    if (by_group != file.residents[k] + file.displaced_present[k]) ++mismatched_groups;
  }
  CHECK(mismatched_groups == 0);
  std::vector<std::int64_t> arrivals(n, 0), od_column(n, 0);
  for (std::size_t t = 0; t < t_count; ++t) {
    for (std::size_t i = 0; i < n; ++i) arrivals[i] += file.arrivals[t * n + i];
  }
  for (std::size_t k = 0; k < file.od_count.size(); ++k) {
    od_column[static_cast<std::size_t>(file.od_destination[k])] += file.od_count[k];
  }
  std::size_t columns_beyond_arrivals = 0;
  for (std::size_t i = 0; i < n; ++i) columns_beyond_arrivals += od_column[i] > arrivals[i] ? 1U : 0U;
  CHECK(columns_beyond_arrivals == 0);
}

TEST_CASE("a damaged run file is refused naming the dataset and leaves no HDF5 object open") {
  const auto loaded = valley();
  const fs::path dir = temp_dir("damaged");
  const fs::path good = dir / "valley.h5";
  {
    Simulation simulation(*loaded.scenario, RunConfig{});
    Hdf5Writer writer(good, *loaded.scenario, Provenance{"test", loaded.resolved_yaml});
    simulation.add_observer(writer);
    simulation.run();
  }
  // Each damage replaces one object of a copy through the C API, as a hostile writer could.
  struct Damage {
    const char* name;
    std::function<void(hid_t)> apply;
    const char* message;
  };
  auto replace_dataset = [](hid_t file, const char* name, hid_t type, std::vector<hsize_t> dims) {
    REQUIRE(H5Ldelete(file, name, H5P_DEFAULT) >= 0);
    h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    h5::Handle dataset(H5Dcreate2(file, name, type, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    REQUIRE(dataset.valid());
  };
  const hsize_t days = 60, nodes = loaded.scenario->nodes.size();
  const std::vector<Damage> damages = {
      {"short arrivals",
       [&](hid_t f) {
         replace_dataset(f, "arrivals", H5T_NATIVE_INT64, {days, nodes - 1});
       },
       "dataset 'arrivals': it has shape (60, 8), expected shape (60, 9)"},
      {"float residents",
       [&](hid_t f) {
         replace_dataset(f, "residents", H5T_NATIVE_DOUBLE, {days, nodes});
       },
       "dataset 'residents': it holds floating-point numbers where integers are expected"},
      {"numeric names", [&](hid_t f) { replace_dataset(f, "node_name", H5T_NATIVE_INT32, {nodes}); },
       "dataset 'node_name': it does not hold strings"},
      {"seed array",
       [&](hid_t f) {
         REQUIRE(H5Adelete(f, "seed") >= 0);
         h5::set_attribute_array<std::uint64_t>(f, "seed", std::vector<std::uint64_t>{1, 2, 3});
       },
       "attribute 'seed' holds 3 values where one is expected"},
      {"place index out of the scenario",
       [&](hid_t f) {
         h5::Handle dataset(H5Dopen2(f, "node_index", H5P_DEFAULT), H5Dclose);
         std::vector<std::int32_t> indices(nodes);
         for (std::size_t k = 0; k < nodes; ++k) indices[k] = static_cast<std::int32_t>(k);
         indices[0] = 99;
         REQUIRE(H5Dwrite(dataset.id(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, indices.data()) >= 0);
       },
       "dataset 'node_index': place index 99 is not one of the scenario's 9 places"},
      {"destination out of the scenario",
       [&](hid_t f) {
         h5::Handle dataset(H5Dopen2(f, "od_destination", H5P_DEFAULT), H5Dclose);
         h5::Handle space(H5Dget_space(dataset.id()), H5Sclose);
         std::vector<std::int32_t> indices(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id())), 1000);
         REQUIRE(!indices.empty());
         REQUIRE(H5Dwrite(dataset.id(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, indices.data()) >= 0);
       },
       "dataset 'od_destination': place index 1000 is not one of the scenario's 9 places"},
      {"latitude not a number",
       [&](hid_t f) {
         h5::Handle dataset(H5Dopen2(f, "node_lat", H5P_DEFAULT), H5Dclose);
         std::vector<double> lat(nodes, 10.0);
         lat[1] = std::numeric_limits<double>::quiet_NaN();
         REQUIRE(H5Dwrite(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, lat.data()) >= 0);
       },
       "dataset 'node_lat': nan is not a value it can hold (-90 to 90)"},
      {"capacity below zero",
       [&](hid_t f) {
         h5::Handle dataset(H5Dopen2(f, "capacity", H5P_DEFAULT), H5Dclose);
         std::vector<double> capacity(days * nodes, std::numeric_limits<double>::infinity());
         capacity[5] = -1.0;
         REQUIRE(H5Dwrite(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, capacity.data()) >= 0);
       },
       "dataset 'capacity': -1 is not a value it can hold (0 to inf)"},
      {"another scenario stored",
       [&](hid_t f) {
         REQUIRE(H5Adelete(f, "scenario_yaml") >= 0);
         h5::set_attribute(f, "scenario_yaml", std::string("name: another\n"));
       },
       "attribute 'scenario_yaml' does not match its 'scenario_sha256'"},
  };
  for (const auto& damage : damages) {
    CAPTURE(damage.name);
    const fs::path path = dir / "damaged.h5";
    fs::copy_file(good, path, fs::copy_options::overwrite_existing);
    {
      h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
      REQUIRE(file.valid());
      damage.apply(file.id());
    }
    REQUIRE(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
    CHECK_THROWS_WITH(read_run_file(path), doctest::Contains(damage.message));
    // Every identifier opened on the way to the error was closed (the file too).
    CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
  }
}

TEST_CASE("a run that fails midway leaves no file behind") {
  const auto loaded = valley();
  const fs::path path = temp_dir("failing") / "valley.h5";
  {
    Simulation simulation(*loaded.scenario, RunConfig{});
    Hdf5Writer writer(path, *loaded.scenario, Provenance{"test", loaded.resolved_yaml});
    Saboteur saboteur;
    simulation.add_observer(writer);
    simulation.add_observer(saboteur);
    CHECK_THROWS_WITH(simulation.run(), "disk full");
  }
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path.string() + ".partial"));
}

namespace {
std::size_t partial_files(const fs::path& dir) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) count += entry.path().extension() == ".partial";
  return count;
}

// Another process's run writing the same file, finished on day 5 of this one.
class SameFileWriter final : public Observer {
 public:
  explicit SameFileWriter(fs::path path) : path_(std::move(path)) {}
  void on_day(const DayRecord& record) override {
    if (record.day != 5) return;
    // This run's own partial file (path.XXXXXXXXXXXXXXXX.partial), not path.partial.
    CHECK(partial_files(path_.parent_path()) == 1);
    CHECK_FALSE(fs::exists(path_.string() + ".partial"));
    std::ofstream(path_) << "the other run's file";
  }

 private:
  fs::path path_;
};
}  // namespace

TEST_CASE("a run that may race another process for its file writes its own partial file and replaces only as told") {
  const auto loaded = valley();
  const fs::path path = temp_dir("race") / "valley.h5";
  const auto run = [&](Publishing publishing) {
    Simulation simulation(*loaded.scenario, RunConfig{.seed = 42});
    Hdf5Writer writer(path, *loaded.scenario, Provenance{"test", loaded.resolved_yaml}, publishing);
    SameFileWriter other(path);
    simulation.add_observer(writer);
    simulation.add_observer(other);
    simulation.run();
  };
  // Without --overwrite: the file that appeared meanwhile stays, this run says so, and leaves nothing behind.
  CHECK_THROWS_WITH(run(Publishing{.own_partial = true, .replace = false}),
                    doctest::Contains("appeared while this run went on (another process wrote it)"));
  CHECK(haven::test::read_text(path) == "the other run's file");
  CHECK(partial_files(path.parent_path()) == 0);
  // With --overwrite: this run's file replaces it.
  run(Publishing{.own_partial = true, .replace = true});
  CHECK(read_run_file(path).seed == 42);
  CHECK(std::distance(fs::directory_iterator(path.parent_path()), fs::directory_iterator()) == 1);
}

TEST_CASE("a run written to a symbolic link replaces the file it points to and keeps the link") {
  const auto loaded = valley();
  const fs::path dir = temp_dir("link");
  fs::create_directories(dir / "volume");
  std::ofstream(dir / "volume" / "run.h5") << "an older run";
  fs::create_symlink("volume/run.h5", dir / "run.h5");
  {
    Simulation simulation(*loaded.scenario, RunConfig{.seed = 7});
    Hdf5Writer writer(dir / "run.h5", *loaded.scenario, Provenance{"test", loaded.resolved_yaml});
    simulation.add_observer(writer);
    simulation.run();
  }
  CHECK(fs::is_symlink(dir / "run.h5"));
  CHECK(read_run_file(dir / "volume" / "run.h5").seed == 7);
  CHECK_FALSE(fs::exists(dir / "volume" / "run.h5.partial"));
}

TEST_CASE("haven run writes the file and refuses to overwrite it without --overwrite") {
  const fs::path path = temp_dir("cli") / "run.h5";
  const std::string scenario = "scenarios/examples/valley.yaml";
  auto first = haven::test::run_cli({"run", scenario, "-o", path.string(), "--quiet"});
  CHECK(first.exit_code == 0);
  CHECK(fs::exists(path));
  CHECK(first.out.find("wrote " + path.string()) != std::string::npos);
  const auto written = fs::last_write_time(path);
  auto second = haven::test::run_cli({"run", scenario, "-o", path.string(), "--quiet"});
  CHECK(second.exit_code == 2);
  CHECK(second.err.find("exists; pass --overwrite") != std::string::npos);
  CHECK(fs::last_write_time(path) == written);
  auto third = haven::test::run_cli({"run", scenario, "-o", path.string(), "--quiet", "--overwrite", "--seed", "3"});
  CHECK(third.exit_code == 0);
  CHECK(read_run_file(path).seed == 3);
  auto info = haven::test::run_cli({"info", path.string()});
  CHECK(info.exit_code == 0);
  CHECK(info.out.find("scenario              valley") != std::string::npos);
  CHECK(info.out.find("seed 3") != std::string::npos);
  auto missing = haven::test::run_cli({"info", (path.parent_path() / "nope.h5").string()});
  CHECK(missing.exit_code == 2);  // a usage mistake, as for every command given a file that is not there
  CHECK(missing.err.find("nope.h5") != std::string::npos);
}

TEST_CASE("haven info of a file recording some places gives no network totals - not their partial sums") {
  const fs::path path = temp_dir("info_subset") / "run.h5";
  REQUIRE(haven::test::run_cli({"run", "scenarios/examples/valley.yaml", "-o", path.string(), "--quiet", "--record",
                                "nodes=hillcamp,northcamp"})
              .exit_code == 0);
  const auto info = haven::test::run_cli({"info", path.string()});
  CHECK(info.exit_code == 0);
  CHECK(info.out.find("2 of 9 nodes") != std::string::npos);
  CHECK(info.out.find("displaced at the end  - (the file records 2 of 9 places)") != std::string::npos);
  CHECK(info.out.find("unsheltered peak      - (the file records 2 of 9 places)") != std::string::npos);
  CHECK(info.out.find("displaced (left home) ") != std::string::npos);  // a network figure of its own
}

TEST_CASE("haven info adds up a run - on the roads and queueing at full ones - and names Flee's added people") {
  // People on the roads and queueing at a capped road are in no place's population: info says how many, the
  // same as the run's own summary and the file's series.
  const fs::path dir = temp_dir("info_queue");
  const fs::path capped = dir / "capped.h5";
  const auto run =
      haven::test::run_cli({"run", "scenarios/examples/valley.yaml", "--variant", "border_open", "--set",
                            "corridors.midcity-northcamp.capacity_people_per_day=500", "--set",
                            "corridors.northcamp-border.capacity_people_per_day=300", "-o", capped.string()});
  REQUIRE(run.exit_code == 0);
  const RunFile file = read_run_file(capped);
  const std::size_t last = file.times() - 1, n = file.nodes(), c = file.corridor_name.size();
  std::int64_t waiting = 0, moving = 0;
  for (std::size_t i = 0; i < n; ++i) waiting += file.waiting[last * n + i];
  for (std::size_t k = 0; k < c; ++k) moving += file.in_transit[last * c + k];
  REQUIRE(waiting > 10'000);  // the capped roads hold a queue at the end
  const auto info = haven::test::run_cli({"info", capped.string()});
  CHECK(info.exit_code == 0);
  CHECK(info.out.find(fmt::format("waiting at the end    {}\n", grouped(static_cast<double>(waiting)))) !=
        std::string::npos);
  CHECK(info.out.find(fmt::format("in transit at the end {}\n", grouped(static_cast<double>(moving)))) !=
        std::string::npos);
  CHECK(run.out.find(fmt::format("waiting at the end  {:>22}", grouped(static_cast<double>(waiting)))) !=
        std::string::npos);
  CHECK(info.out.find("displaced (left home) ") != std::string::npos);
  CHECK(info.out.find("Flee's") == std::string::npos);
  // Flee's rules add the people who flee to the population: not "left home".
  const fs::path flee = dir / "flee.h5";
  REQUIRE(haven::test::run_cli({"run", HAVEN_TEST_DATA_DIR "/flee/good", "-o", flee.string(), "--quiet"}).exit_code ==
          0);
  const auto flee_info = haven::test::run_cli({"info", flee.string()});
  CHECK(flee_info.out.find("displaced (added)     ") != std::string::npos);
  CHECK(flee_info.out.find("rules                 Flee's: people who flee are added to the population") !=
        std::string::npos);
  CHECK(flee_info.out.find("left home") == std::string::npos);
}

TEST_CASE("the event log reads back and haven info says which evacuation was blocked on which days") {
  const fs::path path = temp_dir("info_blocked") / "run.h5";
  // The closure cuts the evacuation's only road from day 14 on: all 5 of its days find no open route.
  const auto run =
      haven::test::run_cli({"run", "scenarios/examples/valley.yaml", "-o", path.string(), "--set",
                            "events.road_cut.corridor=rivertown-midcity", "--set", "events.road_cut.day=14"});
  REQUIRE(run.exit_code == 0);
  const RunFile file = read_run_file(path);
  std::size_t blocked = 0;
  double people = 0.0;
  for (const auto& logged : file.event_log) {
    if (logged.kind != "evacuation_blocked") continue;
    ++blocked;
    people += logged.value;
    CHECK(logged.event_id == "elderly_evacuation");
    CHECK(file.node_name[static_cast<std::size_t>(logged.node)] == "River Town");
  }
  CHECK(blocked == 5);
  CHECK(people == 7500.0);  // 1,500 a day
  CHECK(run.out.find("blocked on 5 of 5 days") != std::string::npos);
  const auto info = haven::test::run_cli({"info", path.string()});
  CHECK(info.exit_code == 0);
  CHECK(info.out.find("evacuation blocked    'elderly_evacuation' on 5 days from 2024-03-17 (no open route): 7,500 "
                      "more would have moved on those days") != std::string::npos);
  // The same scenario without the closure there: nothing blocked, nothing said.
  const fs::path open = path.parent_path() / "open.h5";
  REQUIRE(haven::test::run_cli({"run", "scenarios/examples/valley.yaml", "-o", open.string(), "--quiet"}).exit_code ==
          0);
  CHECK_FALSE(read_run_file(open).event_log.empty());  // the scenario's events are logged
  CHECK(haven::test::run_cli({"info", open.string()}).out.find("evacuation blocked") == std::string::npos);
}

TEST_CASE("given departures that never could leave are in the run file's log and said by info") {
  // burundi2015 under given departures, cut at day 60: every armed conflict so far is Bujumbura's, whose roads are
  // closed for the first 90 days, so all the series' rise by then is owed there at the end.
  const fs::path path = temp_dir("given_not_left") / "run.h5";
  const auto run = haven::test::run_cli({"run", "scenarios/flee/burundi2015.yaml", "--set", "departures.mode=given",
                                         "--days", "60", "--mode", "expected", "-o", path.string()});
  REQUIRE(run.exit_code == 0);
  const RunFile file = read_run_file(path);
  std::vector<EventRecord> owed;
  for (const auto& logged : file.event_log)
    if (logged.kind == "given_not_left") owed.push_back(logged);
  REQUIRE(owed.size() == 1);
  CHECK(file.node_name[static_cast<std::size_t>(owed[0].node)] == "Bujumbura");
  CHECK(owed[0].time_days == 60.0);
  CHECK(owed[0].value > 90'000.0);
  const auto info = haven::test::run_cli({"info", path.string()});
  CHECK(info.out.find(fmt::format("given, never left     {} due to leave Bujumbura found every road closed to the end",
                                  grouped(owed[0].value))) != std::string::npos);
  CHECK(run.out.find("given departures not made: ") != std::string::npos);
}

TEST_CASE("haven run --record selects variables and nodes and thins the time axis like the outputs section") {
  const fs::path path = temp_dir("record") / "run.h5";
  auto result =
      haven::test::run_cli({"run", "scenarios/examples/valley.yaml", "-o", path.string(), "--quiet", "--record",
                            "variables=departures,arrivals;nodes=hillcamp,northcamp", "--record", "interval_days=7"});
  REQUIRE(result.exit_code == 0);
  const RunFile file = read_run_file(path);
  const auto s = valley().scenario;
  CHECK(file.node_index ==
        std::vector<std::int32_t>{*s->find_node("northcamp"), *s->find_node("hillcamp")});  // in node order
  CHECK(file.time_days.size() == 10);  // every 7th day of 60, and the last
  CHECK(file.time_days[1] == 7);
  CHECK(file.departures.size() == file.times() * 2);
  CHECK(file.arrivals.size() == file.times() * 2);
  CHECK(file.residents.empty());
  CHECK(file.displaced_present.empty());
  // The same selection written under outputs: gives the same file contents.
  LoadOptions all_outputs;
  all_outputs.record_overrides = {"variables=all", "nodes=all"};
  auto edited = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml", all_outputs);
  REQUIRE(edited.scenario);
  CHECK(edited.scenario->outputs.variables.empty());
  CHECK(edited.scenario->outputs.nodes.empty());
}

TEST_CASE("HDF5 failures become exceptions that say what we were doing") {
  CHECK_THROWS_WITH_AS(h5::File::open_read_only("/nonexistent/dir/x.h5"),
                       doctest::Contains("HDF5: cannot open /nonexistent/dir/x.h5"), h5::Hdf5Error);
}

TEST_CASE("sha256_hex matches the standard test vector") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("the file holds each node's capacity per day and its place code and admin names") {
  auto loaded = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml",
                                   {.set_overrides = {"nodes.northcamp.pcode=VL0203", "nodes.northcamp.admin1=Northern",
                                                      "nodes.northcamp.admin2=Gate District"}});
  REQUIRE(loaded.scenario);
  const Scenario& s = *loaded.scenario;
  const fs::path path = temp_dir("capacity") / "valley.h5";
  MemoryRecorder memory;
  {
    Simulation simulation(s, RunConfig{.seed = 3});
    Hdf5Writer writer(path, s, Provenance{"test", loaded.resolved_yaml});
    simulation.add_observer(memory);
    simulation.add_observer(writer);
    simulation.run();
  }
  const RunFile file = read_run_file(path);
  const std::size_t n = s.nodes.size();
  REQUIRE(file.capacity.size() == file.times() * n);
  for (std::size_t t = 0; t < file.times(); ++t) {
    for (std::size_t i = 0; i < n; ++i) {
      const double expected = memory.capacity_[t][i];
      REQUIRE(file.capacity[t * n + i] == expected);  // infinite: no limit (the border crossing)
    }
  }
  std::size_t camp = 0;
  while (file.node_id[camp] != "northcamp") ++camp;
  CHECK(file.node_pcode[camp] == "VL0203");
  CHECK(file.node_admin1[camp] == "Northern");
  CHECK(file.node_admin2[camp] == "Gate District");
  CHECK(file.node_pcode[0].empty());
  CHECK(file.capacity[camp] == 40'000);
}
