#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "haven/serve/runs.hpp"
#include "haven/serve/session.hpp"
#include "serve/run_gate.hpp"
#include "valley_source.hpp"

using haven::serve::RunCancelled;
using haven::serve::RunGate;

namespace {

// Waits (bounded) until `gate` has `count` waiting.
bool until_waiting(const RunGate& gate, std::size_t count) {
  for (int k = 0; k < 5000 && gate.waiting() != count; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return gate.waiting() == count;
}

// `waiters` threads ask `gate` in turn (each once the one before waits) while `held` slots are taken, then the slots
// are given back. Returns the order in which they were let in, as each recorded it while inside (exact for a gate of
// one slot) and how many were inside at once at most.
struct Admissions {
  std::vector<std::size_t> order;
  std::vector<double> waited_ms;
  int most_inside = 0;
};

// Each holds its place until `together` are inside (or 500 ms have passed).
Admissions admit(RunGate& gate, std::vector<RunGate::Slot> held, std::size_t waiters, int together = 1) {
  std::mutex lock;
  Admissions admissions;
  admissions.waited_ms.assign(waiters, 0.0);
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < waiters; ++k) {
    threads.emplace_back([&, k] {
      const auto slot = gate.enter();
      const int now = ++inside;
      for (int seen = most_inside.load(); now > seen && !most_inside.compare_exchange_weak(seen, now);) {
      }
      {
        std::lock_guard guard(lock);
        admissions.order.push_back(k);
        admissions.waited_ms[k] = slot.waited_ms();
      }
      for (int ms = 0; ms < 500 && inside.load() < together; ++ms)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      --inside;
    });
    // The next asks only once this one waits: their tickets are in the order of k. (Checked, not required: the
    // threads must be joined however it fails.)
    const bool waits = until_waiting(gate, k + 1);
    CHECK_MESSAGE(waits, "thread ", k, " did not wait for the held places");
    if (!waits) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (auto& slot : held) slot.leave();
  for (auto& t : threads) t.join();
  admissions.most_inside = most_inside.load();
  return admissions;
}

}  // namespace

TEST_CASE("serve run gate: runs go in first come first served") {
  RunGate gate(1);
  std::vector<RunGate::Slot> held;
  held.push_back(gate.enter());
  CHECK(held.back().waited_ms() == 0.0);  // let in at once: no wait to report
  constexpr std::size_t waiters = 6;
  const auto admissions = admit(gate, std::move(held), waiters);
  std::vector<std::size_t> expected;
  for (std::size_t k = 0; k < waiters; ++k) expected.push_back(k);
  CHECK(admissions.order == expected);
  for (std::size_t k = 0; k < waiters; ++k) CHECK(admissions.waited_ms[k] >= 20.0);  // all waited for the held one
  CHECK(gate.running() == 0);
  CHECK(gate.waiting() == 0);
}

TEST_CASE("serve run gate: at most its slots run at once") {
  RunGate gate(2);
  CHECK(gate.slots() == 2);
  std::vector<RunGate::Slot> held;
  held.push_back(gate.enter());
  held.push_back(gate.enter());
  CHECK(gate.running() == 2);
  CHECK(held.back().waited_ms() == 0.0);
  // Each waits inside for a second one: two go in together, never a third.
  const auto admissions = admit(gate, std::move(held), 6, 2);
  CHECK(admissions.order.size() == 6);
  CHECK(admissions.most_inside == 2);
  CHECK(gate.running() == 0);
  CHECK(gate.waiting() == 0);
}

TEST_CASE("serve run gate: a slot goes back once even when moved and closing cancels those waiting") {
  RunGate gate(1);
  {
    auto slot = gate.enter();
    CHECK(slot.waited_ms() == 0.0);
    RunGate::Slot moved = std::move(slot);
    CHECK(gate.running() == 1);
    RunGate::Slot assigned;
    assigned = std::move(moved);
    CHECK(gate.running() == 1);
  }
  CHECK(gate.running() == 0);

  auto held = gate.enter();
  std::atomic<bool> cancelled{false};
  std::thread waiter([&] {
    try {
      const auto slot = gate.enter();
    } catch (const RunCancelled&) {
      cancelled = true;
    }
  });
  CHECK(until_waiting(gate, 1));
  gate.close();
  waiter.join();
  CHECK(cancelled.load());
  CHECK_THROWS_AS((void)gate.enter(), RunCancelled);
  held.leave();
  CHECK(gate.running() == 0);
}

TEST_CASE("serve run gate: a gate asked for no slots still lets one run at a time") {
  RunGate gate(0);
  CHECK(gate.slots() == 1);
  const auto slot = gate.enter();
  CHECK(gate.running() == 1);
}

TEST_CASE("serve run gate: a run whose asker has gone is not started when its turn comes and one running stops") {
  using namespace haven;
  using namespace haven::serve;
  Session session(testing::valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const Scenario& scenario = session.scenario();
  std::atomic<bool> abandoned{false};
  RunRequest request{scenario.seed, 0};
  request.abandoned = &abandoned;

  RunGate gate(1);
  const RunResult let_in = gate.run(scenario, request);  // nobody gave up: it runs, at once
  CHECK(let_in.recorder != nullptr);
  CHECK(let_in.queued_ms == 0.0);

  auto held = gate.enter();
  std::atomic<bool> ran{false};
  std::string why;
  std::thread asker([&] {
    try {
      (void)gate.run(scenario, request);
      ran = true;
    } catch (const RunCancelled& e) {
      why = e.what();
    }
  });
  CHECK(until_waiting(gate, 1));
  abandoned = true;  // the page went while the run waited its turn
  held.leave();
  asker.join();
  CHECK_FALSE(ran.load());
  CHECK(why == "no one waited for it any more when its turn came");  // not started at all
  CHECK(gate.running() == 0);

  // Running already: it stops at its next day.
  CHECK_THROWS_WITH_AS(run_in_memory(scenario, request), "no one waits for it any more", RunCancelled);
}

TEST_CASE("serve run gate: a run asking for two cores gets those free when its turn comes and gives back all") {
  RunGate gate(2);
  {
    const auto both = gate.enter(2);
    CHECK(both.cores() == 2);
    CHECK(gate.running() == 2);
  }
  CHECK(gate.running() == 0);
  auto one = gate.enter();
  CHECK(one.cores() == 1);
  {
    const auto rest = gate.enter(2);  // one is taken: it goes in at once with the other
    CHECK(rest.cores() == 1);
    CHECK(rest.waited_ms() == 0.0);
    CHECK(gate.running() == 2);
  }
  one.leave();
  CHECK(gate.enter(5).cores() == 2);  // no more than the gate has
  CHECK(gate.running() == 0);

  // A run holding both: two asking for one each wait until it leaves, then go in together (both slots came back).
  std::vector<RunGate::Slot> held;
  held.push_back(gate.enter(2));
  const auto admissions = admit(gate, std::move(held), 2, 2);
  CHECK(admissions.most_inside == 2);
  for (const double ms : admissions.waited_ms) CHECK(ms >= 20.0);
  CHECK(gate.running() == 0);
}

TEST_CASE("serve run gate: a run asking for two cores takes one when another waits behind it") {
  RunGate gate(2);
  auto held = gate.enter(2);
  std::size_t first_cores = 0;
  std::size_t second_cores = 0;
  std::thread first([&] {
    const auto slot = gate.enter(2);
    first_cores = slot.cores();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // inside while the second goes in
  });
  REQUIRE(until_waiting(gate, 1));
  std::thread second([&] { second_cores = gate.enter(2).cores(); });
  const bool both_wait = until_waiting(gate, 2);
  held.leave();
  first.join();
  second.join();
  REQUIRE(both_wait);
  CHECK(first_cores == 1);   // the second waited behind it: one core each, side by side
  CHECK(second_cores == 1);  // the other slot was taken by the first
  CHECK(gate.running() == 0);
}

TEST_CASE("serve run gate: a run given two cores decides on two threads and its series are those of one thread") {
  using namespace haven;
  using namespace haven::serve;
  Session session(testing::valley_source(), "", Limits{});
  REQUIRE(session.ok());
  const Scenario& scenario = session.scenario();
  RunRequest request{scenario.seed, 0};
  request.cores = 2;
  RunGate gate(2);
  // A run asking for one core (a band's member) goes on its caller's thread; one asking for two, on the gate's.
  RunRequest member = request;
  member.cores = 1;
  CHECK(gate.run(scenario, member).cores == 1);
  CHECK(gate.threads() == 0);
  const RunResult two = gate.run(scenario, request);
  CHECK(two.cores == 2);
  CHECK(gate.threads() == 1);
  auto taken = gate.enter();
  const RunResult one = gate.run(scenario, request);  // one core free
  CHECK(one.cores == 1);
  taken.leave();
  REQUIRE(two.recorder->days() == one.recorder->days());
  CHECK(two.recorder->cumulative_displaced_.back() > 0);
  for (std::size_t t = 0; t < one.recorder->days(); ++t) {
    CAPTURE(t);
    CHECK(two.recorder->displaced_[t] == one.recorder->displaced_[t]);
    CHECK(two.recorder->in_transit_[t] == one.recorder->in_transit_[t]);
    CHECK(two.recorder->cumulative_displaced_[t] == one.recorder->cumulative_displaced_[t]);
  }
}

// The tsan preset runs this one (its name says threads).
TEST_CASE(
    "serve run gate: runs go on the gate's threads - the one idle last first - and a job's failure reaches its "
    "caller") {
  RunGate gate(2);
  // Counted by the thread that ran it: a thread made for each job would count 1 each time (a finished thread's id
  // may be given to the next, so ids would not tell).
  thread_local int jobs_on_this_thread = 0;
  int first = 0;
  int again = 0;
  std::thread::id first_thread;
  gate.execute([&] {
    first = ++jobs_on_this_thread;
    first_thread = std::this_thread::get_id();
  });
  gate.execute([&] { again = ++jobs_on_this_thread; });
  CHECK(first_thread != std::this_thread::get_id());
  CHECK(first == 1);
  CHECK(again == 2);  // the thread idle last, warm from the run before
  CHECK_THROWS_WITH_AS(gate.execute([] { throw RunCancelled("stopped"); }), "stopped", RunCancelled);
  int after_failure = 0;
  gate.execute([&] { after_failure = ++jobs_on_this_thread; });
  CHECK(after_failure == 3);  // a failed job leaves its thread serving

  // Two at once go on two threads, no more than the slots, whichever callers ask.
  std::mutex lock;
  std::vector<std::thread::id> used;  // the gate's threads live on: no id is given to another meanwhile
  std::atomic<int> inside{0};
  std::vector<std::thread> callers;
  for (int k = 0; k < 6; ++k) {
    callers.emplace_back([&] {
      const auto slot = gate.enter();
      gate.execute([&] {
        ++inside;
        for (int ms = 0; ms < 200 && inside.load() < 2; ++ms) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::lock_guard guard(lock);
        used.push_back(std::this_thread::get_id());
      });
      --inside;
    });
  }
  for (auto& caller : callers) caller.join();
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  CHECK(used.size() == 2);
  CHECK(std::find(used.begin(), used.end(), first_thread) != used.end());
}
