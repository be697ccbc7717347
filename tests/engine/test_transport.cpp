// Transport alone: cohorts along their legs, a capped corridor's queue, journeys played out within the day, and
// people stranded when the way closes.
#include <doctest/doctest.h>

#include "builder.hpp"
#include "engine/transport.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

namespace {

struct Rig {
  explicit Rig(const Scenario& s)
      : network(s, s.parameters, &rules), ledger(s, 1), log(observers), transport(s, 1, network, ledger, queue, log) {}
  // Runs the queued arrivals (and releases at whole days) up to `until_days`.
  void run_until(double until_days) {
    while (queue.next_time() && *queue.next_time() < until_days) {
      auto entry = queue.pop();
      log.set_time(entry->time);
      transport.arrive(entry->payload.index);
    }
  }
  DefaultRules rules;
  RoadNetwork network;
  PopulationLedger ledger;
  std::vector<Observer*> observers;
  EventQueue<EngineEvent> queue;
  EventLog log;
  Transport transport;
};

}  // namespace

TEST_CASE("transport: a capped corridor lets its capacity in a day and queues the rest - first come first served") {
  ScenarioBuilder b;
  const auto a = b.node("a", 0.0, 0.0, 100);
  const auto c = b.node("c", 0.0, 1.0, 0);
  b.corridor(a, c, 111.0, CorridorKind::road, 30.0);
  Rig rig(b.scenario());
  rig.log.set_time(0.0);
  rig.transport.release_queues();
  rig.ledger.leave_home(at(a), 0, 100);
  rig.transport.launch(Cohort{100, 0, a, c, rig.network.route(a, c), 0, nullptr});
  CHECK(rig.transport.corridor_inflow()[0] == 30);
  CHECK(rig.transport.in_transit()[0] == 30);
  CHECK(rig.transport.waiting_by_node()[at(a)] == 70);
  CHECK(rig.transport.incoming()[at(c)] == 100);
  CHECK(rig.transport.cohorts_created() == 2);  // split at the entrance
  CHECK(rig.transport.cohorts_queued() == 1);

  rig.log.set_time(1.0);
  rig.transport.release_queues();
  CHECK(rig.transport.waiting_by_node()[at(a)] == 40);
  CHECK(rig.transport.in_transit()[0] == 60);
  rig.run_until(100.0);
  CHECK(rig.ledger.displaced_at(at(c)) == 60);
  CHECK(rig.transport.in_transit()[0] == 0);
  CHECK(rig.transport.incoming()[at(c)] == 40);
}

TEST_CASE("transport: a journey that ends today on free corridors is played out after the decisions - no event") {
  ScenarioBuilder b;
  const auto a = b.node("a", 0.0, 0.0, 100);
  const auto m = b.node("m", 0.0, 0.01, 0);
  const auto c = b.node("c", 0.0, 0.02, 0);
  b.corridor(a, m, 1.0);
  b.corridor(m, c, 1.0);
  Rig rig(b.scenario());
  rig.log.set_time(0.0);
  rig.transport.begin_decisions();
  rig.ledger.leave_home(at(a), 0, 10);
  rig.transport.launch(Cohort{10, 0, a, c, rig.network.route(a, c), 0, nullptr});
  CHECK(rig.ledger.displaced_at(at(c)) == 0);  // not while deciding
  rig.transport.end_decisions();
  CHECK(rig.ledger.displaced_at(at(c)) == 10);
  CHECK(rig.queue.empty());
  CHECK(rig.transport.journeys_played_out() == 1);
  CHECK(rig.transport.corridor_inflow()[0] == 10);
  CHECK(rig.transport.corridor_inflow()[1] == 10);
}

TEST_CASE("transport: travellers whose way closes with no detour are stranded where they are") {
  ScenarioBuilder b;
  const auto a = b.node("a", 0.0, 0.0, 100);
  const auto m = b.node("m", 0.0, 1.0, 0);
  const auto c = b.node("c", 0.0, 2.0, 0);
  b.corridor(a, m, 111.0);
  const auto last = b.corridor(m, c, 111.0);
  Rig rig(b.scenario());
  rig.log.set_time(0.0);
  rig.transport.launch(Cohort{10, 0, a, c, rig.network.route(a, c), 0, nullptr});
  rig.network.set_corridor_open(last, false);
  rig.run_until(100.0);
  CHECK(rig.ledger.displaced_at(at(m)) == 10);
  CHECK(rig.ledger.arrivals()[idx(m)] == 10);
  CHECK(rig.transport.incoming()[at(c)] == 0);
}
