#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "haven/serve/runs.hpp"
#include "haven/serve/session.hpp"
#include "serve/recent_runs.hpp"
#include "serve/session_store.hpp"
#include "valley_source.hpp"

using namespace haven;
using namespace haven::serve;
using haven::serve::testing::valley_source;

namespace {

Edit set(const std::string& path, const std::string& value) {
  Edit edit;
  edit.kind = "set";
  edit.path = path;
  edit.value = value;
  edit.description = path + " = " + value;
  return edit;
}

Edit toggle(const std::string& id, bool enabled) {
  Edit edit;
  edit.kind = "toggle_event";
  edit.id = id;
  edit.enabled = enabled;
  edit.description = "event " + id;
  return edit;
}

RunResult valley_run(std::uint64_t run_index) {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  return run_in_memory(session.scenario(), RunRequest{session.scenario().seed, run_index});
}

}  // namespace

TEST_CASE("serve recent runs: the key of a scenario follows what the edits change and not how they were made") {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const auto base = session.scenario_key();
  REQUIRE(session.apply(set("parameters.threat_kernel_km", "2.5")).applied);
  const auto edited = session.scenario_key();
  CHECK(edited != base);
  REQUIRE(session.apply(set("parameters.threat_kernel_km", "4")).applied);
  CHECK(session.scenario_key() != edited);
  REQUIRE(session.undo());
  CHECK(session.scenario_key() == edited);
  // The strength of an event switched off waits until it is on again: the scenario is the same.
  REQUIRE(session.apply(toggle("strikes_south", false)).applied);
  const auto off = session.scenario_key();
  REQUIRE(session.apply(set("events.strikes_south.intensity", "90")).applied);
  CHECK(session.scenario_key() == off);
  REQUIRE(session.apply(toggle("strikes_south", true)).applied);
  CHECK(session.scenario_key() != off);
  CHECK(session.scenario_key() != edited);
  // The same edits from another variant are another scenario.
  Session open(valley_source(), "border_open", Limits{});
  REQUIRE(open.ok());
  REQUIRE(open.apply(set("parameters.threat_kernel_km", "2.5")).applied);
  CHECK(open.scenario_key() != edited);
}

TEST_CASE("serve recent runs: kept by key with the least recent going beyond the count or the bytes") {
  const RunResult a = valley_run(0);
  const RunResult b = valley_run(1);
  const std::size_t one = recorded_bytes(*a.recorder);
  CHECK(one > static_cast<std::size_t>(a.recorder->days()) * sizeof(Count));

  RecentRuns recent(2, 10 * one);
  CHECK_FALSE(recent.find("a"));
  recent.keep("a", a);
  recent.keep("b", b);
  REQUIRE(recent.find("a"));
  CHECK(recent.find("a")->recorder == a.recorder);  // the run itself, not a copy of another
  // "a" was just used: the third run pushes out "b".
  recent.keep("c", b);
  CHECK(recent.size() == 2);
  CHECK(recent.find("a"));
  CHECK_FALSE(recent.find("b"));
  CHECK(recent.find("c"));
  // Kept again under the same key: replaced, not doubled.
  recent.keep("c", a);
  CHECK(recent.size() == 2);
  CHECK(recent.find("c")->recorder == a.recorder);

  // By bytes: room for one run only; a run larger than all the room is not kept at all.
  RecentRuns tight(8, one + one / 2 + 64);
  tight.keep("a", a);
  tight.keep("b", b);
  CHECK(tight.size() == 1);
  CHECK(tight.find("b"));
  CHECK(tight.bytes() <= one + one / 2 + 64);
  RecentRuns small(8, one / 2);
  small.keep("a", a);
  CHECK(small.size() == 0);
  CHECK_FALSE(small.find("a"));
}

TEST_CASE("serve recent runs: equal keys reached by different edits give equal runs made afresh") {
  // What makes keeping runs exact: two sessions whose edits differ but whose keys are equal, each run anew, give
  // the same series.
  const auto same_runs = [](const Session& one, const Session& other) {
    const RunResult a = run_in_memory(one.scenario(), RunRequest{one.scenario().seed, 0});
    const RunResult b = run_in_memory(other.scenario(), RunRequest{other.scenario().seed, 0});
    REQUIRE(a.recorder->days() == b.recorder->days());
    CHECK(a.recorder->cumulative_displaced_ == b.recorder->cumulative_displaced_);
    for (std::size_t day = 0; day < a.recorder->days(); ++day) {
      CHECK(a.recorder->displaced_[day] == b.recorder->displaced_[day]);
      CHECK(a.recorder->residents_[day] == b.recorder->residents_[day]);
      CHECK(a.recorder->in_transit_[day] == b.recorder->in_transit_[day]);
    }
  };
  Session direct(valley_source(), "", Limits{});
  Session changed_mind(valley_source(), "", Limits{});
  REQUIRE(direct.apply(set("parameters.threat_kernel_km", "2.5")).applied);
  REQUIRE(changed_mind.apply(set("parameters.threat_kernel_km", "4")).applied);
  REQUIRE(changed_mind.apply(set("parameters.threat_kernel_km", "2.5")).applied);
  REQUIRE(direct.scenario_key() == changed_mind.scenario_key());
  same_runs(direct, changed_mind);

  Session off(valley_source(), "", Limits{});
  Session off_and_stronger(valley_source(), "", Limits{});
  for (Session* s : {&off, &off_and_stronger}) REQUIRE(s->apply(toggle("strikes_south", false)).applied);
  REQUIRE(off_and_stronger.apply(set("events.strikes_south.intensity", "90")).applied);
  REQUIRE(off.scenario_key() == off_and_stronger.scenario_key());
  same_runs(off, off_and_stronger);
}

TEST_CASE("serve recent runs: a value set to what it holds keeps the key and set back is the base scenario") {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  CHECK(session.same_as_base());
  const auto base = session.scenario_key();
  // What the file holds already: listed as an edit, the scenario (and its key) as before.
  const auto held = fmt::format("{}", session.scenario().parameters.threat_kernel_km);
  REQUIRE(session.apply(set("parameters.threat_kernel_km", held)).applied);
  CHECK(session.edits().size() == 1);
  CHECK(session.scenario_key() == base);
  CHECK(session.same_as_base());
  REQUIRE(session.apply(set("parameters.threat_kernel_km", "2.5")).applied);
  const auto edited = session.scenario_key();
  CHECK(edited != base);
  CHECK_FALSE(session.same_as_base());
  REQUIRE(session.apply(set("parameters.threat_kernel_km", "2.50")).applied);
  CHECK(session.scenario_key() == edited);
  // Set back: another list of overrides (another key), but the base scenario, whose run is the base's.
  REQUIRE(session.apply(set("parameters.threat_kernel_km", held)).applied);
  CHECK(session.same_as_base());
  CHECK(session.scenario() == session.base());
  // Undo keeps to the scenario each step had.
  REQUIRE(session.undo());
  CHECK_FALSE(session.same_as_base());
  CHECK(session.scenario_key() == edited);
}

namespace {

// A run of the valley saving its state at the start of `day` (with `truce` ending on `truce_end`, when given).
ResumePoint valley_saved(int day, std::optional<int> truce_end = std::nullopt) {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  Scenario scenario = session.scenario();
  if (truce_end) {
    for (auto& event : scenario.events) {
      if (event.id == "truce") event.end_day = truce_end;
    }
  }
  RunRequest request{scenario.seed};
  request.save_days = {day};
  RunResult run = run_in_memory(scenario, request);
  REQUIRE(run.saved.size() == 1);
  REQUIRE(run.saved[0].checkpoint);
  REQUIRE(run.saved[0].recorded->days() == static_cast<std::size_t>(day));
  return run.saved[0];
}

}  // namespace

TEST_CASE("saved days: the latest one a scenario agrees with and only a session's own within the bounds") {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const Scenario& valley = session.scenario();
  SavedDays saved(3, 2, 64u << 20);
  CHECK(saved.find(1, valley) == nullptr);
  saved.keep(1, valley_saved(10));
  saved.keep(1, valley_saved(20));
  auto found = saved.find(1, valley);
  REQUIRE(found);
  CHECK(checkpoint_day(*found->checkpoint) == 20);
  CHECK(saved.find(2, valley) == nullptr);  // another session's days are not this one's
  // A scenario that differs from day 15 (the river strikes' start) goes on from day 10, not 20.
  Scenario river = valley;
  for (auto& event : river.events) {
    if (event.id == "strikes_river") std::get<Bombardment>(event.action).intensity_strikes_per_day *= 2;
  }
  REQUIRE(first_day_apart(valley, river) == 15);
  found = saved.find(1, river);
  REQUIRE(found);
  CHECK(checkpoint_day(*found->checkpoint) == 10);
  // A parameter changes every day: nothing to go on from.
  Scenario parameter = valley;
  parameter.parameters.reach_ratio *= 1.1;
  CHECK(saved.find(1, parameter) == nullptr);
  // The session's third day pushes out its least recent (day 20: day 10 was just found); the fourth day in all,
  // another session's, pushes out the least recent of the server's.
  saved.keep(1, valley_saved(30));
  CHECK(saved.size() == 2);
  found = saved.find(1, valley);
  REQUIRE(found);
  CHECK(checkpoint_day(*found->checkpoint) == 30);
  saved.keep(2, valley_saved(5));
  saved.keep(3, valley_saved(6));
  CHECK(saved.size() == 3);
  CHECK(saved.find(1, river) == nullptr);  // day 10 went first
  REQUIRE(saved.find(2, valley));
  // A day saved by a run of a scenario that differs before it is not found for this one: the truce ending on day
  // 38 instead of 49. Ending on day 50 instead, it differs from day 49 only, and day 40 is found.
  SavedDays other(4, 2, 64u << 20);
  other.keep(1, valley_saved(40, 38));
  CHECK(other.find(1, valley) == nullptr);
  SavedDays agreeing(4, 2, 64u << 20);
  agreeing.keep(1, valley_saved(40, 50));
  found = agreeing.find(1, valley);
  REQUIRE(found);
  CHECK(checkpoint_day(*found->checkpoint) == 40);
}

TEST_CASE("saved days: bounded by their bytes too and one larger than the budget is not kept") {
  const ResumePoint point = valley_saved(20);
  const std::size_t one = checkpoint_bytes(*point.checkpoint) + recorded_bytes(*point.recorded);
  CHECK(one > 10'000);  // the run's state and 20 recorded days
  SavedDays small(16, 16, one - 1);
  small.keep(1, point);
  CHECK(small.size() == 0);
  CHECK(small.bytes() == 0);
  SavedDays two(16, 16, one * 5 / 2);
  for (std::uint64_t serial = 1; serial <= 4; ++serial) two.keep(serial, point);
  CHECK(two.size() == 2);
  CHECK(two.bytes() == 2 * one);
  CHECK(two.find(1, checkpoint_scenario(*point.checkpoint)) == nullptr);  // the least recent went
  CHECK(two.find(4, checkpoint_scenario(*point.checkpoint)) != nullptr);
}

TEST_CASE("a base run's saved days: its events' starts and ends spread over their list and bounded") {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  Scenario scenario = session.scenario();
  scenario.days = 90;  // only the days and the events' are read
  REQUIRE(scenario.events.size() >= 5);
  // Days 0 and 90 (the run's start and end) and a day met twice give nothing more.
  const std::vector<std::pair<int, std::optional<int>>> periods = {
      {0, 10}, {20, std::nullopt}, {10, 30}, {40, 90}, {50, 60}};
  scenario.events.resize(periods.size());
  for (std::size_t k = 0; k < periods.size(); ++k) {
    scenario.events[k].start_day = periods[k].first;
    scenario.events[k].end_day = periods[k].second;
  }
  CHECK(base_save_days(scenario, 8) == std::vector<int>{10, 20, 30, 40, 50, 60});
  CHECK(base_save_days(scenario, 6) == std::vector<int>{10, 20, 30, 40, 50, 60});
  CHECK(base_save_days(scenario, 3) == std::vector<int>{20, 40, 60});
  CHECK(base_save_days(scenario, 2) == std::vector<int>{30, 60});
  CHECK(base_save_days(scenario, 1) == std::vector<int>{60});
  CHECK(base_save_days(scenario, 0).empty());
}

TEST_CASE("a base run's saved days: the latest one an edited scenario agrees with and within their bytes") {
  Session session(valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const Scenario& valley = session.scenario();
  RunRequest request{valley.seed};
  request.save_days = {20, 10};
  const RunResult run = run_in_memory(valley, request);
  REQUIRE(run.saved.size() == 2);
  CHECK(checkpoint_day(*run.saved[0].checkpoint) == 10);
  CHECK(checkpoint_day(*run.saved[1].checkpoint) == 20);
  const std::size_t first_bytes = checkpoint_bytes(*run.saved[0].checkpoint) + recorded_bytes(*run.saved[0].recorded);
  const std::size_t second_bytes = checkpoint_bytes(*run.saved[1].checkpoint) + recorded_bytes(*run.saved[1].recorded);
  // Bounded by their bytes while the run goes: the earliest go first, and a day larger than all the room is not kept.
  request.max_saved_bytes = first_bytes + second_bytes;
  CHECK(run_in_memory(valley, request).saved.size() == 2);
  request.max_saved_bytes = first_bytes + second_bytes - 1;
  const RunResult latest = run_in_memory(valley, request);
  REQUIRE(latest.saved.size() == 1);
  CHECK(checkpoint_day(*latest.saved[0].checkpoint) == 20);
  request.max_saved_bytes = second_bytes - 1;
  const RunResult first_only = run_in_memory(valley, request);
  REQUIRE(first_only.saved.size() == 1);
  CHECK(checkpoint_day(*first_only.saved[0].checkpoint) == 10);
  request.max_saved_bytes = first_bytes - 1;
  CHECK(run_in_memory(valley, request).saved.empty());

  std::vector<std::shared_ptr<const ResumePoint>> both;
  for (const auto& point : run.saved) both.push_back(std::make_shared<const ResumePoint>(point));
  // The base scenario itself: the latest day; one that differs from day 15 on: day 10; from day 0: none.
  auto found = latest_usable(both, valley, valley);
  REQUIRE(found);
  CHECK(checkpoint_day(*found->checkpoint) == 20);
  Scenario river = valley;
  for (auto& event : river.events) {
    if (event.id == "strikes_river") std::get<Bombardment>(event.action).intensity_strikes_per_day *= 2;
  }
  REQUIRE(first_day_apart(valley, river) == 15);
  found = latest_usable(both, valley, river);
  REQUIRE(found);
  CHECK(checkpoint_day(*found->checkpoint) == 10);
  Scenario parameter = valley;
  parameter.parameters.reach_ratio *= 1.1;
  CHECK(latest_usable(both, valley, parameter) == nullptr);
  CHECK(latest_usable({}, valley, valley) == nullptr);
}

TEST_CASE("a session removed or pushed out leaves no kept runs nor saved days behind") {
  const RunResult a = valley_run(0);
  RecentRuns recent(8, 64u << 20);
  recent.keep("1\n0\nx", a);
  recent.keep("11\n0\nx", a);  // session 11's, whose serial starts with 1's digits
  recent.keep("2\n0\nx", a);
  SavedDays saved(8, 8, 64u << 20);
  const ResumePoint point = valley_saved(20);
  saved.keep(1, point);
  saved.keep(1, point);
  saved.keep(2, point);
  const std::size_t one_day = saved.bytes() / 3;

  std::vector<std::uint64_t> forgotten;
  SessionStore store(2, [&](std::uint64_t serial) {
    forgotten.push_back(serial);
    recent.forget(serial);
    saved.forget(serial);
  });
  const auto entry = [] {
    Session session(valley_source(), "", Limits{});
    REQUIRE(session.ok());
    return std::make_shared<SessionEntry>(std::move(session), 0);
  };
  const auto first = entry();
  const auto second = entry();
  const std::string first_id = store.add(first);
  store.add(second);
  CHECK(forgotten.empty());
  // Removed: told once, and only its own are dropped.
  CHECK(store.remove(first_id));
  CHECK_FALSE(store.remove(first_id));
  REQUIRE(forgotten == std::vector<std::uint64_t>{first->serial});
  // Pushed out by a third session beyond the two the store keeps.
  store.add(entry());
  store.add(entry());
  REQUIRE(forgotten.size() == 2);
  CHECK(forgotten[1] == second->serial);

  // What forget drops, by serial (with serials 1 and 2 standing for sessions here).
  recent.forget(1);
  CHECK_FALSE(recent.find("1\n0\nx"));
  CHECK(recent.find("11\n0\nx"));
  CHECK(recent.find("2\n0\nx"));
  CHECK(recent.size() == 2);
  CHECK(recent.bytes() ==
        2 * recorded_bytes(*a.recorder) + std::string("11\n0\nx").size() + std::string("2\n0\nx").size());
  saved.forget(1);
  CHECK(saved.size() == 1);
  CHECK(saved.bytes() == one_day);
  CHECK(saved.find(1, checkpoint_scenario(*point.checkpoint)) == nullptr);
  CHECK(saved.find(2, checkpoint_scenario(*point.checkpoint)) != nullptr);
}

TEST_CASE("a session an edit touched is pushed out after every untouched one") {
  // Page loads make sessions: a room of reloads must not push out the one a planner has edited.
  std::vector<std::uint64_t> forgotten;
  SessionStore store(2, [&](std::uint64_t serial) { forgotten.push_back(serial); });
  const auto entry = [] {
    Session session(valley_source(), "", Limits{});
    REQUIRE(session.ok());
    return std::make_shared<SessionEntry>(std::move(session), 0);
  };
  store.add(entry());
  store.add(entry());
  const auto worked_on = entry();
  worked_on->touched = true;
  const std::string worked_on_id = store.add(worked_on);
  const auto untouched = entry();
  const std::string untouched_id = store.add(untouched);
  REQUIRE(forgotten.size() == 2);
  CHECK(store.find(untouched_id) == untouched);  // used since: the more recently used of the two
  store.add(entry());
  REQUIRE(forgotten.size() == 3);
  CHECK(forgotten[2] == untouched->serial);
  CHECK(store.find(worked_on_id) == worked_on);
  // But work left for over an hour goes before a page opened a moment ago: else each new page would push out the
  // one opened before it while the store is full of sessions edited once and left.
  worked_on->last_used -= touched_abandoned_after + std::chrono::minutes(1);
  const auto fresh = entry();
  const std::string fresh_id = store.add(fresh);
  REQUIRE(forgotten.size() == 4);
  CHECK(forgotten[3] == worked_on->serial);
  CHECK(store.find(fresh_id) == fresh);
}
