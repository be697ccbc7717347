#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "haven/engine/event_queue.hpp"

using namespace haven;

TEST_CASE("events come out by time then priority then insertion order") {
  EventQueue<std::string> queue;
  queue.push(2.0, 0, "t2");
  queue.push(1.0, 5, "t1 p5 first");
  queue.push(1.0, 1, "t1 p1");
  queue.push(1.0, 5, "t1 p5 second");
  queue.push(0.5, 9, "t0.5");
  std::vector<std::string> order;
  while (auto e = queue.pop()) order.push_back(e->payload);
  CHECK(order == std::vector<std::string>{"t0.5", "t1 p1", "t1 p5 first", "t1 p5 second", "t2"});
}

TEST_CASE("cancelled events are skipped when they surface") {
  EventQueue<int> queue;
  const auto a = queue.push(1.0, 0, 1);
  const auto b = queue.push(2.0, 0, 2);
  queue.push(3.0, 0, 3);
  CHECK(queue.cancel(b));
  CHECK_FALSE(queue.cancel(b));      // already cancelled
  CHECK_FALSE(queue.cancel(12345));  // never issued
  CHECK(queue.stored() == 3);        // lazy: still stored until it surfaces
  CHECK(queue.pop()->payload == 1);
  CHECK(queue.pop()->payload == 3);
  CHECK_FALSE(queue.pop().has_value());
  CHECK(queue.empty());
  (void)a;
}

TEST_CASE("next_time skips a cancelled front event") {
  EventQueue<int> queue;
  const auto first = queue.push(1.0, 0, 1);
  queue.push(4.0, 0, 2);
  queue.cancel(first);
  CHECK(queue.next_time() == 4.0);
}

TEST_CASE("a large random workload comes out sorted") {
  EventQueue<int> queue;
  std::uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    queue.push(static_cast<double>(x % 1000) / 10.0, static_cast<int>(x % 3), i);
  }
  double last_time = -1.0;
  int last_priority = -1;
  EventId last_id = 0;
  std::size_t count = 0;
  while (auto e = queue.pop()) {
    const bool ordered =
        e->time > last_time ||
        (e->time == last_time && (e->priority > last_priority || (e->priority == last_priority && e->id > last_id)));
    REQUIRE((count == 0 || ordered));
    last_time = e->time, last_priority = e->priority, last_id = e->id;
    ++count;
  }
  CHECK(count == 20000);
}

TEST_CASE("events pushed while the queue runs come out in order with the day's sorted ones") {
  // The day's events come from a sorted bucket, those pushed meanwhile for the same day from a heap: pop() must
  // interleave them exactly by (time, priority, insertion order), as the engine's arrivals need.
  EventQueue<int> queue;
  std::vector<std::tuple<double, int, EventId>> expected;
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  for (int i = 0; i < 3000; ++i) {
    const double time = static_cast<double>(next() % 400) / 8.0;
    const int priority = static_cast<int>(next() % 3);
    expected.emplace_back(time, priority, queue.push(time, priority, i));
  }
  std::vector<std::tuple<double, int, EventId>> popped;
  while (auto e = queue.pop()) {
    popped.emplace_back(e->time, e->priority, e->id);
    if (popped.size() < 6000 && next() % 2 == 0) {
      // Later today (often tied with an event already in the day's run), or a later day.
      const bool same_time = next() % 3 == 0;
      const double time = same_time ? e->time : e->time + static_cast<double>(1 + next() % 20) / 8.0;
      // Never before the event just popped: the queue hands out events in order, it does not go back.
      const int priority = same_time ? e->priority + static_cast<int>(next() % 2) : static_cast<int>(next() % 3);
      expected.emplace_back(time, priority, queue.push(time, priority, 0));
    }
  }
  std::sort(expected.begin(), expected.end());
  CHECK(popped == expected);
}
