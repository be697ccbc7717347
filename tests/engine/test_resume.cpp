// A run resumed from another run's saved day (Simulation::resume_from) is the whole run, bit for bit: every kind
// of event edited, added or removed from the saved day on, in both modes, on the shipped scenarios; and a run that
// cannot resume says so and changes nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "haven/engine/recorder.hpp"
#include "haven/engine/simulation.hpp"
#include "haven/scenario/generate.hpp"
#include "haven/scenario/load.hpp"

using namespace haven;

namespace {

Scenario shipped(const std::string& path) {
  return load_scenario_or_throw(std::string(HAVEN_SOURCE_DIR) + "/" + path);
}

struct Outcome {
  MemoryRecorder recorder;
  RunSummary summary;
};

RunConfig config_of(Mode mode) {
  RunConfig config;
  config.seed = 7;
  config.mode = mode;
  return config;
}

Outcome whole_run(const Scenario& s, Mode mode) {
  Outcome out;
  Simulation simulation(s, config_of(mode));
  simulation.add_observer(out.recorder);
  out.summary = simulation.run();
  return out;
}

// A run of `s` that saves its state at the start of `day`, with what its recorder held then.
struct Saved {
  std::shared_ptr<const SimulationCheckpoint> checkpoint;
  MemoryRecorder recorded;
};

Saved run_saving(const Scenario& s, Mode mode, int day, const Saved* from = nullptr) {
  Saved saved;
  MemoryRecorder recorder = from ? from->recorded : MemoryRecorder{};
  RunConfig config = config_of(mode);
  config.checkpoint_days = {day};
  config.on_checkpoint = [&](std::shared_ptr<const SimulationCheckpoint> checkpoint) {
    saved.checkpoint = std::move(checkpoint);
    saved.recorded = recorder;
  };
  Simulation simulation(s, config);
  if (from) REQUIRE(simulation.resume_from(*from->checkpoint));
  simulation.add_observer(recorder);
  simulation.run();
  REQUIRE(saved.checkpoint);
  CHECK(checkpoint_day(*saved.checkpoint) == day);
  CHECK(saved.recorded.days() == static_cast<std::size_t>(day));
  return saved;
}

Outcome resumed_run(const Scenario& s, Mode mode, const Saved& saved) {
  Outcome out;
  out.recorder = saved.recorded;
  Simulation simulation(s, config_of(mode));
  REQUIRE(simulation.resume_from(*saved.checkpoint));
  simulation.add_observer(out.recorder);
  out.summary = simulation.run();
  return out;
}

template <typename Series>
void check_series(const char* name, const std::vector<Series>& a, const std::vector<Series>& b) {
  INFO(name);
  REQUIRE(a.size() == b.size());
  for (std::size_t t = 0; t < a.size(); ++t) {
    INFO("day " << t);
    CHECK(a[t] == b[t]);
  }
}

void check_same(const Outcome& a, const Outcome& b) {
  const auto& x = a.recorder;
  const auto& y = b.recorder;
  check_series("residents", x.residents_, y.residents_);
  check_series("displaced", x.displaced_, y.displaced_);
  check_series("departures", x.departures_, y.departures_);
  check_series("arrivals", x.arrivals_, y.arrivals_);
  check_series("returns", x.returns_, y.returns_);
  check_series("waiting", x.waiting_, y.waiting_);
  check_series("unsheltered", x.unsheltered_, y.unsheltered_);
  check_series("corridor_inflow", x.corridor_inflow_, y.corridor_inflow_);
  check_series("in_transit", x.in_transit_, y.in_transit_);
  check_series("threat", x.threat_, y.threat_);
  check_series("capacity", x.capacity_, y.capacity_);
  CHECK(x.cumulative_displaced_ == y.cumulative_displaced_);
  REQUIRE(x.events_.size() == y.events_.size());
  for (std::size_t k = 0; k < x.events_.size(); ++k) {
    INFO("event record " << k);
    CHECK(x.events_[k].time_days == y.events_[k].time_days);
    CHECK(x.events_[k].kind == y.events_[k].kind);
    CHECK(x.events_[k].event_id == y.events_[k].event_id);
    CHECK(x.events_[k].node == y.events_[k].node);
    CHECK(x.events_[k].corridor == y.events_[k].corridor);
    CHECK(x.events_[k].value == y.events_[k].value);
  }
  CHECK(x.final_.origin_destination.size() == y.final_.origin_destination.size());
  for (std::size_t k = 0; k < std::min(x.final_.origin_destination.size(), y.final_.origin_destination.size()); ++k) {
    CHECK(x.final_.origin_destination[k].origin == y.final_.origin_destination[k].origin);
    CHECK(x.final_.origin_destination[k].destination == y.final_.origin_destination[k].destination);
    CHECK(x.final_.origin_destination[k].count == y.final_.origin_destination[k].count);
  }
  const auto& s = a.summary;
  const auto& r = b.summary;
  CHECK(s.days == r.days);
  CHECK(s.initial_population == r.initial_population);
  const auto same_totals = [](const std::vector<NodeTotal>& p, const std::vector<NodeTotal>& q) {
    return std::equal(p.begin(), p.end(), q.begin(), q.end(),
                      [](const NodeTotal& u, const NodeTotal& v) { return u.node == v.node && u.people == v.people; });
  };
  CHECK(same_totals(s.top_origins, r.top_origins));
  CHECK(same_totals(s.top_destinations, r.top_destinations));
  CHECK(same_totals(s.given_not_left, r.given_not_left));
  CHECK(std::equal(s.evacuations.begin(), s.evacuations.end(), r.evacuations.begin(), r.evacuations.end(),
                   [](const EvacuationTotal& u, const EvacuationTotal& v) {
                     return u.event == v.event && u.moved == v.moved && u.not_moved == v.not_moved &&
                            u.days_active == v.days_active && u.days_blocked == v.days_blocked;
                   }));
  CHECK(s.cumulative_displaced == r.cumulative_displaced);
  CHECK(s.peak_daily_departures == r.peak_daily_departures);
  CHECK(s.peak_day == r.peak_day);
  CHECK(s.unsheltered_peak == r.unsheltered_peak);
  CHECK(s.unsheltered_peak_day == r.unsheltered_peak_day);
  CHECK(s.returned == r.returned);
  CHECK(s.displaced_present_end == r.displaced_present_end);
  CHECK(s.in_transit_end == r.in_transit_end);
  CHECK(s.waiting_end == r.waiting_end);
  CHECK(s.cohorts_created == r.cohorts_created);
  CHECK(s.events_processed == r.events_processed);
  CHECK(s.searches_run == r.searches_run);
  CHECK(s.flows_committed == r.flows_committed);
  CHECK(s.journeys_played_out == r.journeys_played_out);
  CHECK(s.cohorts_queued == r.cohorts_queued);
  CHECK(s.cohorts_merged == r.cohorts_merged);
  CHECK(s.cohorts_alive_peak == r.cohorts_alive_peak);
}

Event& event(Scenario& s, const std::string& id) {
  for (auto& e : s.events) {
    if (e.id == id) return e;
  }
  FAIL("no event " << id);
  throw std::logic_error("unreachable");
}

void remove_event(Scenario& s, const std::string& id) {
  std::erase_if(s.events, [&](const Event& e) { return e.id == id; });
}

struct Edit {
  std::string what;
  std::function<void(Scenario&)> apply;
};

// Whether two runs' people differ on some day (an edit that changes nothing there could not show a resumed run
// going wrong).
bool people_differ(const Outcome& a, const Outcome& b) {
  return a.recorder.displaced_ != b.recorder.displaced_ || a.recorder.residents_ != b.recorder.residents_ ||
         a.recorder.arrivals_ != b.recorder.arrivals_ || a.recorder.in_transit_ != b.recorder.in_transit_;
}

// Each edit resumed from the base run's state on the first day the edited scenario differs: the whole edited run.
void check_edits(const Scenario& base, const std::vector<Edit>& edits) {
  for (const Mode mode : {Mode::stochastic, Mode::expected}) {
    const Outcome base_whole = whole_run(base, mode);
    for (const auto& edit : edits) {
      Scenario edited = base;
      edit.apply(edited);
      const int day = first_day_apart(base, edited);
      INFO(base.name << ": " << edit.what << " (" << std::string(to_string(mode)) << ", from day " << day << ")");
      REQUIRE(day > 0);
      REQUIRE(day < base.days);
      const Saved saved = run_saving(base, mode, day);
      const Outcome whole = whole_run(edited, mode);
      CHECK(people_differ(whole, base_whole));
      check_same(whole, resumed_run(edited, mode, saved));
      // From an earlier saved day too (haven serve goes on from the latest one it has, which may be earlier).
      if (day > 1) check_same(whole, resumed_run(edited, mode, run_saving(base, mode, day / 2)));
      // The base run itself, resumed from its own checkpoint: the saved state is the run's.
      check_same(base_whole, resumed_run(base, mode, saved));
    }
  }
}

}  // namespace

TEST_CASE("the first day two scenarios' runs may differ") {
  const Scenario base = shipped("scenarios/examples/valley.yaml");
  CHECK(first_day_apart(base, base) == base.days);
  // An event that differs in its end alone: in force alike until the earlier end, whichever way it moved.
  Scenario later = base;
  const int truce_end = *event(later, "truce").end_day;
  event(later, "truce").end_day = truce_end + 11;
  CHECK(first_day_apart(base, later) == truce_end);
  CHECK(first_day_apart(later, base) == truce_end);
  Scenario shorter = base;
  event(shorter, "truce").end_day = truce_end - 4;
  CHECK(first_day_apart(base, shorter) == truce_end - 4);
  // An end given to an event that had none (a closure lifted on day 30), and one past the run, which ends nothing.
  Scenario lifted = base;
  event(lifted, "border_stays_closed").end_day = 30;
  CHECK(first_day_apart(base, lifted) == 30);
  Scenario past_the_end = base;
  event(past_the_end, "border_stays_closed").end_day = base.days + 5;
  CHECK(first_day_apart(base, past_the_end) == base.days);
  // Its end and anything else: from its start.
  Scenario stronger_and_longer = later;
  std::get<Ceasefire>(event(stronger_and_longer, "truce").action).area.radius_km += 1.0;
  CHECK(first_day_apart(base, stronger_and_longer) == event(later, "truce").start_day);
  // Removing an event moves every later one in the list: the earliest of them decides.
  Scenario fewer = base;
  remove_event(fewer, "camp_extension");
  CHECK(first_day_apart(base, fewer) ==
        std::min(event(later, "camp_extension").start_day, event(later, "elderly_evacuation").start_day));
  Scenario added = base;
  added.events.push_back(Event{"gate", 25, std::nullopt, BorderOpening{*base.find_node("border")}, ""});
  CHECK(first_day_apart(base, added) == 25);
  // Anything but the events: from day 0.
  Scenario parameter = base;
  parameter.parameters.reach_ratio *= 1.1;
  CHECK(first_day_apart(base, parameter) == 0);
  Scenario node = base;
  node.nodes[0].lat_deg += 0.01;
  CHECK(first_day_apart(base, node) == 0);
}

TEST_CASE("a run resumed from a saved day is the whole run: the valley and every kind of event") {
  const Scenario base = shipped("scenarios/examples/valley.yaml");
  const NodeIndex border = *base.find_node("border");
  check_edits(
      base,
      {
          {"stronger strikes",
           [](Scenario& s) {
             std::get<Bombardment>(event(s, "strikes_river").action).intensity_strikes_per_day *= 1.5;
           }},
          {"strikes ending earlier", [](Scenario& s) { event(s, "strikes_river").end_day = 25; }},
          {"a camp extension removed (the evacuation after it moves up the list)",
           [](Scenario& s) { remove_event(s, "camp_extension"); }},
          {"a border opening added",
           [border](Scenario& s) {
             s.events.push_back(Event{"gate", 25, std::nullopt, BorderOpening{border}, ""});
           }},
          {"the capture lasting longer",
           [](Scenario& s) { event(s, "south_falls").end_day = *event(s, "south_falls").end_day + 5; }},
          {"the capture ending earlier (the roads reopened then)",
           [](Scenario& s) { event(s, "south_falls").end_day = *event(s, "south_falls").end_day - 4; }},
          {"the road cut until day 25", [](Scenario& s) { event(s, "road_cut").end_day = 25; }},
          {"the evacuation stopped after 2 days",
           [](Scenario& s) { event(s, "elderly_evacuation").end_day = event(s, "elderly_evacuation").start_day + 2; }},
          {"the camp extension withdrawn on day 40", [](Scenario& s) { event(s, "camp_extension").end_day = 40; }},
          {"a faster evacuation",
           [](Scenario& s) { std::get<Evacuation>(event(s, "elderly_evacuation").action).rate_people_per_day *= 2; }},
          {"the road cut later", [](Scenario& s) { event(s, "road_cut").start_day = 12; }},
          {"the north camp closed",
           [&base](Scenario& s) {
             s.events.push_back(Event{"camp_shut", 25, 40, CampClosure{*base.find_node("northcamp")}, ""});
           }},
          {"the cut road opened again",
           [&base](Scenario& s) {
             s.events.push_back(
                 Event{"road_open", 25, std::nullopt, CorridorOpening{*base.find_corridor("frontline_road")}, ""});
           }},
          {"the border opened and closed again",
           [border](Scenario& s) {
             s.events.push_back(Event{"gate", 20, std::nullopt, BorderOpening{border}, ""});
             s.events.push_back(Event{"gate_shut", 30, std::nullopt, BorderClosure{border}, ""});
           }},
          {"strikes added in the middle of the list",
           [](Scenario& s) {
             Event strikes = event(s, "strikes_river");
             strikes.id = "more_strikes";
             strikes.start_day = 30;
             strikes.end_day = 40;
             s.events.insert(s.events.begin() + 5, strikes);  // after the border closure of day 0
           }},
      });
  // Events of the other kinds that end, while people are on the move (the valley's truce comes after the fighting,
  // and its border node is closed of itself, so that ending its closure changes nothing): each ending earlier and
  // later.
  Scenario with_ends = base;
  Event early_truce = event(with_ends, "truce");
  early_truce.id = "early_truce";
  early_truce.start_day = 18;
  early_truce.end_day = 30;
  with_ends.events.push_back(early_truce);
  with_ends.events.push_back(Event{"gate", 20, 40, BorderOpening{border}, ""});
  with_ends.events.push_back(Event{"camp_shut", 22, 40, CampClosure{*base.find_node("northcamp")}, ""});
  with_ends.events.push_back(Event{"road_open", 15, 30, CorridorOpening{*base.find_corridor("frontline_road")}, ""});
  const auto end_moved = [](const std::string& id, int by) {
    return Edit{id + " ending " + std::to_string(std::abs(by)) + (by < 0 ? " days earlier" : " days later"),
                [id, by](Scenario& s) { *event(s, id).end_day += by; }};
  };
  check_edits(with_ends, {end_moved("early_truce", -4), end_moved("early_truce", 6), end_moved("gate", -12),
                          end_moved("gate", 8), end_moved("camp_shut", -10), end_moved("camp_shut", 5),
                          end_moved("road_open", -6), end_moved("road_open", 8)});
  // Everyone reaching midcity sent on to the north camp until the redirection ends.
  Scenario redirected = base;
  const CorridorIndex onward = *base.find_corridor("midcity-northcamp");
  redirected.corridors[static_cast<std::size_t>(onward)].forced_redirection = true;
  redirected.events.push_back(Event{"redirect_ends", 30, std::nullopt, RedirectionEnd{onward}, ""});
  check_edits(redirected,
              {
                  {"the redirection ending later", [](Scenario& s) { event(s, "redirect_ends").start_day = 40; }},
              });
}

TEST_CASE("a run resumed from a saved day is the whole run: Idlib 2019-20 and Burundi") {
  const Scenario idlib = shipped("scenarios/idlib_2019_2020.yaml");
  check_edits(
      idlib,
      {
          {"Ariha's strikes stronger",
           [](Scenario& s) { std::get<Bombardment>(event(s, "b_idl_ariha").action).intensity_strikes_per_day *= 1.2; }},
          {"Ariha's strikes a week earlier", [](Scenario& s) { event(s, "b_idl_ariha").start_day -= 7; }},
          {"Ariha's strikes ending a week earlier", [](Scenario& s) { *event(s, "b_idl_ariha").end_day -= 7; }},
          {"the Moscow ceasefire ending after two weeks",
           [](Scenario& s) { event(s, "ceasefire_moscow").end_day = event(s, "ceasefire_moscow").start_day + 14; }},
          {"Saraqeb's capture ending a week earlier", [](Scenario& s) { *event(s, "cap_saraqeb").end_day -= 7; }},
          {"the border opened on day 30 (its closure ending then)",
           [](Scenario& s) { event(s, "border_closed").end_day = 30; }},
          {"Ma'arat's capture removed", [](Scenario& s) { remove_event(s, "cap_maarat"); }},
      });
  Scenario burundi = shipped("scenarios/flee/burundi2015.yaml");
  REQUIRE(burundi.rules == RuleSetKind::haven);
  std::size_t conflicts = 0;
  for (const auto& e : burundi.events) conflicts += std::holds_alternative<ArmedConflict>(e.action) ? 1u : 0u;
  REQUIRE(conflicts > 1);
  const auto last_conflict = [](Scenario& s) -> Event& {
    for (auto it = s.events.rbegin(); it != s.events.rend(); ++it) {
      if (std::holds_alternative<ArmedConflict>(it->action)) return *it;
    }
    throw std::logic_error("no armed conflict");
  };
  const std::vector<Edit> burundi_edits = {
      {"the last armed conflict fiercer",
       [&](Scenario& s) { std::get<ArmedConflict>(last_conflict(s).action).intensity *= 2; }},
  };
  check_edits(burundi, burundi_edits);
  // Departures given by the observed series: who is owed a departure is part of the saved state.
  burundi.departures.mode = DepartureMode::given;
  check_edits(burundi, burundi_edits);
}

// As haven serve runs an edit: on two threads, from the base run's saved day (docs/serve.md, "Runs at once").
TEST_CASE("a run resumed on two threads is the whole run on one thread: Idlib 2019-20") {
  const Scenario idlib = shipped("scenarios/idlib_2019_2020.yaml");
  Scenario edited = idlib;
  std::get<Bombardment>(event(edited, "b_idl_ariha").action).intensity_strikes_per_day = 12.0;
  const int day = event(edited, "b_idl_ariha").start_day;
  const Saved saved = run_saving(idlib, Mode::stochastic, day);
  Outcome two;
  two.recorder = saved.recorded;
  RunConfig config = config_of(Mode::stochastic);
  config.threads = 2;
  config.split_small_networks = true;
  Simulation simulation(edited, config);
  REQUIRE(simulation.resume_from(*saved.checkpoint));
  simulation.add_observer(two.recorder);
  two.summary = simulation.run();
  const Outcome whole = whole_run(edited, Mode::stochastic);
  CHECK(whole.recorder.cumulative_displaced_.back() !=
        resumed_run(idlib, Mode::stochastic, saved).recorder.cumulative_displaced_.back());  // the edit tells
  check_same(whole, two);
}

TEST_CASE("a run resumed from a saved day is the whole run: a network of 600 places") {
  // Beyond 512 places: no played-out tables (each pooled journey rounds with its mix's carry, which the saved
  // cohorts' mixes must keep) and the origin-destination totals in a hash map.
  GeneratorSettings settings;
  settings.nodes = 600;
  settings.corridors = default_corridors(settings.nodes);
  settings.people = 3e5;
  settings.bombardments = 12;
  settings.days = 40;
  auto loaded = load_scenario_text(generate_scenario_yaml(settings), settings.name);
  REQUIRE(loaded.scenario);
  const Scenario base = *loaded.scenario;
  const auto last_bombardment = [](Scenario& s) -> Event& {
    for (auto it = s.events.rbegin(); it != s.events.rend(); ++it) {
      if (std::holds_alternative<Bombardment>(it->action)) return *it;
    }
    throw std::logic_error("no bombardment");
  };
  check_edits(
      base,
      {
          {"the last strikes stronger",
           [&](Scenario& s) { std::get<Bombardment>(last_bombardment(s).action).intensity_strikes_per_day *= 2; }},
      });
}

TEST_CASE("a resumed run saves a later day of its own and the next edit resumes from it") {
  const Scenario base = shipped("scenarios/examples/valley.yaml");
  Scenario first = base;
  event(first, "road_cut").start_day = 12;
  Scenario second = first;
  event(second, "truce").end_day = 60;
  const int first_day = first_day_apart(base, first);
  const int second_day = first_day_apart(first, second);
  REQUIRE(first_day < second_day);
  for (const Mode mode : {Mode::stochastic, Mode::expected}) {
    const Saved from_base = run_saving(base, mode, first_day);
    const Saved from_first = run_saving(first, mode, second_day, &from_base);
    check_same(whole_run(second, mode), resumed_run(second, mode, from_first));
  }
}

TEST_CASE("a run saves several days in day order and runs go on from each of them") {
  const Scenario base = shipped("scenarios/examples/valley.yaml");
  Scenario edited = base;
  event(edited, "truce").end_day = 60;
  const int apart = first_day_apart(base, edited);
  REQUIRE(apart > 12);
  for (const Mode mode : {Mode::stochastic, Mode::expected}) {
    std::vector<Saved> saved;
    MemoryRecorder recorder;
    RunConfig config = config_of(mode);
    // Out of order, with days no run has a start of (0, the run's days): those are left out.
    config.checkpoint_days = {apart, 0, 5, base.days, 12};
    config.on_checkpoint = [&](std::shared_ptr<const SimulationCheckpoint> checkpoint) {
      saved.push_back({std::move(checkpoint), recorder});
    };
    Simulation simulation(base, config);
    simulation.add_observer(recorder);
    simulation.run();
    REQUIRE(saved.size() == 3);
    const Outcome whole = whole_run(edited, mode);
    for (std::size_t k = 0; k < saved.size(); ++k) {
      const int day = std::array{5, 12, apart}[k];
      INFO("saved day " << day);
      CHECK(checkpoint_day(*saved[k].checkpoint) == day);
      CHECK(saved[k].recorded.days() == static_cast<std::size_t>(day));
      check_same(whole, resumed_run(edited, mode, saved[k]));
    }
  }
}

TEST_CASE("a run that cannot resume from a checkpoint says so and runs from day 0") {
  const Scenario base = shipped("scenarios/examples/valley.yaml");
  Scenario copy = base;
  const int day = event(copy, "truce").start_day;
  const Saved saved = run_saving(base, Mode::stochastic, day);
  const auto refused = [&](const Scenario& s, RunConfig config) {
    Simulation simulation(s, config);
    CHECK_FALSE(simulation.resume_from(*saved.checkpoint));
    // Nothing was taken: the run is the whole one.
    Outcome out;
    simulation.add_observer(out.recorder);
    out.summary = simulation.run();
    Outcome whole;
    Simulation fresh(s, config);
    fresh.add_observer(whole.recorder);
    whole.summary = fresh.run();
    check_same(whole, out);
  };
  Scenario earlier = base;
  event(earlier, "road_cut").start_day = 11;  // differs before the saved day
  refused(earlier, config_of(Mode::stochastic));
  Scenario ends_before = base;
  event(ends_before, "strikes_river").end_day = day - 3;  // an end moved to before the saved day
  refused(ends_before, config_of(Mode::stochastic));
  Scenario parameter = base;
  parameter.parameters.reach_ratio *= 1.1;
  refused(parameter, config_of(Mode::stochastic));
  RunConfig other_seed = config_of(Mode::stochastic);
  other_seed.seed = 8;
  refused(base, other_seed);
  refused(base, config_of(Mode::expected));
  RunConfig fewer_days = config_of(Mode::stochastic);
  fewer_days.days = base.days - 1;
  refused(base, fewer_days);
  // Where no node has a side, a capture added changes what the roads' searches carry (the route factors to places
  // another side holds): refused. The same scenario with its own checkpoint resumes.
  Scenario with_capture = base;
  for (auto& node : with_capture.nodes) node.control.clear();
  Scenario without_capture = with_capture;
  event(without_capture, "south_falls").action = BorderOpening{*base.find_node("border")};
  const int capture_day = event(with_capture, "south_falls").start_day;
  REQUIRE(first_day_apart(with_capture, without_capture) == capture_day);
  Simulation run_with(with_capture, config_of(Mode::stochastic));
  CHECK_FALSE(run_with.resume_from(*run_saving(without_capture, Mode::stochastic, capture_day).checkpoint));
  Simulation run_again(with_capture, config_of(Mode::stochastic));
  CHECK(run_again.resume_from(*run_saving(with_capture, Mode::stochastic, capture_day).checkpoint));
}

TEST_CASE("two runs resume from one saved day on two threads at once") {
  // A saved day is only read by the runs that go on from it: ThreadSanitizer runs this (ctest --preset tsan).
  const Scenario base = shipped("scenarios/examples/valley.yaml");
  Scenario stronger = base;
  std::get<Bombardment>(event(stronger, "strikes_river").action).intensity_strikes_per_day *= 1.5;
  const int day = first_day_apart(base, stronger);
  const Saved saved = run_saving(base, Mode::stochastic, day);
  Outcome first, second;
  std::thread one([&] { first = resumed_run(base, Mode::stochastic, saved); });
  std::thread two([&] { second = resumed_run(stronger, Mode::stochastic, saved); });
  one.join();
  two.join();
  check_same(whole_run(base, Mode::stochastic), first);
  check_same(whole_run(stronger, Mode::stochastic), second);
}
