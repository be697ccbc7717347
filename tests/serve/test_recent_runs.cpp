#include <doctest/doctest.h>
#include <fmt/format.h>

#include "haven/serve/runs.hpp"
#include "haven/serve/session.hpp"
#include "serve/recent_runs.hpp"
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
