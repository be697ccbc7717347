// Transport alone: cohorts along their legs, a capped corridor's queue, journeys played out within the day, and
// people stranded when the way closes.
#include <doctest/doctest.h>

#include <cmath>
#include <tuple>

#include "builder.hpp"
#include "engine/transport.hpp"
#include "haven/engine/simulation.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

namespace {

struct Rig {
  explicit Rig(const Scenario& s, std::size_t dense_cells_max_nodes = Transport::default_dense_cells_max_nodes)
      : network(s, s.parameters, &rules),
        ledger(s, 1),
        log(observers),
        transport(s, 1, network, ledger, queue, log, dense_cells_max_nodes) {}
  // Runs the queued arrivals up to `until_days`; returns how many ran.
  int run_until(double until_days) {
    int events = 0;
    while (queue.next_time() && *queue.next_time() < until_days) {
      auto entry = queue.pop();
      log.set_time(entry->time);
      transport.arrive(entry->payload.index);
      ++events;
    }
    return events;
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
  rig.transport.launch(Cohort{100, 0, a, c, rig.network.route(a, c), 0, SharedMix{}});
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
  rig.transport.launch(Cohort{10, 0, a, c, rig.network.route(a, c), 0, SharedMix{}});
  CHECK(rig.ledger.displaced_at(at(c)) == 0);  // not while deciding
  rig.transport.end_decisions();
  CHECK(rig.ledger.displaced_at(at(c)) == 10);
  CHECK(rig.queue.empty());
  CHECK(rig.transport.journeys_played_out() == 1);
  CHECK(rig.transport.corridor_inflow()[0] == 10);
  CHECK(rig.transport.corridor_inflow()[1] == 10);
}

namespace {

// a - m - c, 111 km a corridor; `last` is m - c.
struct ThroughM {
  ScenarioBuilder b;
  NodeIndex a = b.node("a", 0.0, 0.0, 100);
  NodeIndex m = b.node("m", 0.0, 1.0, 0);
  NodeIndex c = b.node("c", 0.0, 2.0, 0);
  CorridorIndex first = b.corridor(a, m, 111.0);
  CorridorIndex last = b.corridor(m, c, 111.0);
};

}  // namespace

TEST_CASE("transport: travellers whose way closes with no detour are stranded where they are") {
  ThroughM line;
  const auto [a, m, c, last] = std::tuple{line.a, line.m, line.c, line.last};
  Rig rig(line.b.scenario());
  rig.log.set_time(0.0);
  rig.transport.launch(Cohort{10, 0, a, c, rig.network.route(a, c), 0, SharedMix{}});
  rig.network.set_corridor_open(last, false);
  rig.run_until(100.0);
  CHECK(rig.ledger.displaced_at(at(m)) == 10);
  CHECK(rig.ledger.arrivals()[idx(m)] == 10);
  CHECK(rig.transport.incoming()[at(c)] == 0);
}

// The simulation's commit launches journeys while other nodes still decide, and a detour's search writes the
// network's caches that deciding reads: transport asks first (Transport::set_before_detour), and only then.
TEST_CASE("transport: a detour is searched only after before_detour has been called - and only when one is needed") {
  ThroughM line;
  const auto [a, m, c, last] = std::tuple{line.a, line.m, line.c, line.last};
  line.b.corridor(m, c, 222.0);  // the detour
  Rig rig(line.b.scenario());
  int asked = 0;
  std::uint64_t searches_when_asked = 0;
  rig.transport.set_before_detour([&] {
    ++asked;
    searches_when_asked = rig.network.searches();
  });
  rig.log.set_time(0.0);
  rig.transport.launch(Cohort{10, 0, a, c, rig.network.route(a, c), 0, SharedMix{}});
  rig.transport.launch(Cohort{5, 0, a, m, rig.network.route(a, m), 0, SharedMix{}});
  rig.network.set_corridor_open(last, false);
  const std::uint64_t searches_before = rig.network.searches();
  rig.run_until(100.0);
  CHECK(asked == 1);                              // the cohort for c, at m; not the one whose way stayed open
  CHECK(searches_when_asked == searches_before);  // asked before the detour's search
  CHECK(rig.network.searches() > searches_before);
  CHECK(rig.ledger.displaced_at(at(c)) == 10);  // by the detour
}

TEST_CASE("transport: people on one corridor at one time for one destination and group travel and wait as one") {
  // Two homes at the same distance from a hub; from the hub a capped corridor to the destination. Both cohorts
  // reach the hub at the same time: they queue as one and keep their homes exactly.
  ScenarioBuilder b;
  const auto a1 = b.node("a1", 0.0, 0.0, 100);
  const auto a2 = b.node("a2", 0.0, 2.0, 50);
  const auto h = b.node("h", 0.0, 1.0, 0);
  const auto d = b.node("d", 1.0, 1.0, 0);
  b.corridor(a1, h, 50.0);
  b.corridor(a2, h, 50.0);
  b.corridor(h, d, 50.0, CorridorKind::road, 30.0);
  Rig rig(b.scenario());
  rig.log.set_time(0.0);
  rig.transport.release_queues();
  rig.ledger.leave_home(at(a1), 0, 100);
  rig.ledger.leave_home(at(a2), 0, 50);
  rig.transport.launch(Cohort{100, 0, a1, d, rig.network.route(a1, d), 0, SharedMix{}});
  rig.transport.launch(Cohort{50, 0, a2, d, rig.network.route(a2, d), 0, SharedMix{}});
  CHECK(rig.transport.cohorts_alive() == 2);
  rig.run_until(1.0);
  // 30 entered the capped corridor; the other 120 wait as one cohort.
  CHECK(rig.transport.waiting_by_node()[at(h)] == 120);
  CHECK(rig.transport.cohorts_merged() == 1);
  CHECK(rig.transport.cohorts_alive() == 2);  // 30 on the capped corridor, 120 waiting
  for (int day = 1; day < 10; ++day) {
    rig.log.set_time(day);
    rig.transport.release_queues();
    rig.run_until(day + 1.0);
  }
  CHECK(rig.transport.waiting_by_node()[at(h)] == 0);
  CHECK(rig.transport.in_transit().sum() == 0);
  CHECK(rig.transport.cohorts_alive() == 0);
  // Every home kept exactly, whatever the batches people entered in.
  Count from_a1 = 0, from_a2 = 0;
  for (const Stay& stay : rig.ledger.stays(at(d))) {
    if (stay.origin == a1) from_a1 += stay.count;
    if (stay.origin == a2) from_a2 += stay.count;
  }
  CHECK(from_a1 == 100);
  CHECK(from_a2 == 50);
}

TEST_CASE("transport: journeys ending today after the decisions settle as one per destination and group") {
  ScenarioBuilder b;
  const auto a = b.node("a", 0.0, 0.0, 100);
  const auto m = b.node("m", 0.0, 0.01, 30);
  const auto c = b.node("c", 0.0, 0.02, 0);
  b.corridor(a, m, 1.0);
  b.corridor(m, c, 1.0);
  Rig rig(b.scenario());
  rig.log.set_time(0.0);
  rig.transport.begin_decisions();
  rig.ledger.leave_home(at(a), 0, 10);
  rig.ledger.leave_home(at(m), 0, 5);
  rig.transport.launch(Cohort{10, 0, a, c, rig.network.route(a, c), 0, SharedMix{}});
  rig.transport.launch(Cohort{5, 0, m, c, rig.network.route(m, c), 0, SharedMix{}});
  CHECK(rig.transport.cohorts_alive() == 1);
  rig.transport.end_decisions();
  CHECK(rig.transport.journeys_played_out() == 2);
  CHECK(rig.transport.corridor_inflow()[0] == 10);
  CHECK(rig.transport.corridor_inflow()[1] == 15);
  CHECK(rig.ledger.stays(at(c)).size() == 2);
  CHECK(rig.ledger.displaced_at(at(c)) == 15);
  CHECK(rig.transport.cohorts_created() == 1);
}

// Homes a and h, each a road to m, and m a road to c (1 km each): journeys from m to c end the day they start.
struct TwoHomesToC {
  Scenario scenario;
  NodeIndex a, h, m, c;
};
TwoHomesToC two_homes_to_c(std::vector<Group> groups = {}) {
  ScenarioBuilder b;
  if (!groups.empty()) b.groups(std::move(groups));
  const auto a = b.node("a", 0.0, 0.0, 1000);
  const auto h = b.node("h", 0.0, 0.005, 1000);
  const auto m = b.node("m", 0.0, 0.01, 1000);
  const auto c = b.node("c", 0.0, 0.02, 1000);
  b.corridor(a, m, 1.0);
  b.corridor(h, m, 1.0);
  b.corridor(m, c, 1.0);
  return {b.scenario(), a, h, m, c};
}

TEST_CASE("transport: journeys ending today settle the same people by home whether counted in a table or a list") {
  // Small networks count the people by home of a destination's played-out journeys in a table; larger ones keep a
  // list of (home, people). Every kind of cohort goes into one destination and group: plain, pooled movers (their
  // destination's own share excluded, people displaced before day 0 among them), one pooled person, and people by
  // home; a second group gets a single journey (settled as it came, with no table).
  const TwoHomesToC net = two_homes_to_c({Group{"adults", 0.5, 1.0}, Group{"children", 0.5, 1.0}});
  const Scenario& s = net.scenario;
  const NodeIndex a = net.a, h = net.h, m = net.m, c = net.c;
  const SharedMix by_home(OriginMix{{h, 2.0}, {a, 1.0}});
  const auto settle_all = [&](Rig& rig) {
    // A pooled mix of each rig's own: sharing one out carries what each home is owed to its next journey.
    const SharedMix pooled(OriginMix{{a, 3.0}, {h, 2.0}, {c, 1.0}, {no_node, 1.5}});
    rig.log.set_time(0.0);
    rig.transport.begin_decisions();
    rig.transport.launch(Cohort{10, 0, a, c, rig.network.route(a, c), 0, SharedMix{}});
    rig.transport.launch(Cohort{7, 0, no_node, c, rig.network.route(m, c), 0, pooled});
    rig.transport.launch(Cohort{1, 0, no_node, c, rig.network.route(m, c), 0, pooled});
    Cohort people{3, 0, no_node, c, rig.network.route(h, c), 0, by_home};
    people.mix_in_people = true;
    rig.transport.launch(people);
    rig.transport.launch(Cohort{4, 1, h, c, rig.network.route(h, c), 0, SharedMix{}});
    rig.transport.end_decisions();
  };
  Rig table(s);
  Rig list(s, 0);
  settle_all(table);
  settle_all(list);
  const auto stays = [&](const Rig& rig) {
    std::vector<std::tuple<NodeIndex, GroupIndex, Count>> out;
    for (const Stay& stay : rig.ledger.stays(at(c))) out.emplace_back(stay.origin, stay.group, stay.count);
    return out;
  };
  const auto od = [](const Rig& rig) {
    std::vector<std::tuple<NodeIndex, NodeIndex, Count>> out;
    for (const auto& t : rig.ledger.origin_destination()) out.emplace_back(t.origin, t.destination, t.count);
    return out;
  };
  CHECK(stays(table) == stays(list));
  CHECK(od(table) == od(list));
  CHECK(table.ledger.displaced_at(at(c)) == 25);
  CHECK(list.ledger.displaced_at(at(c)) == 25);
  // The pooled movers never count as coming from their destination: c hosts no one from c.
  for (const auto& [origin, group, count] : stays(table)) CHECK(origin != c);
  CHECK(table.transport.cohorts_created() == list.transport.cohorts_created());
  CHECK(table.transport.cohorts_merged() == list.transport.cohorts_merged());
  CHECK(table.transport.cohorts_merged() == 3);
}

TEST_CASE("transport: lone one-person pooled journeys share out over their homes in proportion - not to the largest") {
  // Each day a fresh mix (a node's movers: 90% from a, 10% from h) sends one person to c, alone. Rounded journey by
  // journey with its own mix, each went whole to a; the cell of c carries what each home is owed from day to day.
  const TwoHomesToC net = two_homes_to_c();
  const Scenario& s = net.scenario;
  const NodeIndex a = net.a, h = net.h, m = net.m, c = net.c;
  Rig rig(s);
  int people = 0;
  for (int day = 0; day < 100; ++day) {
    rig.log.set_time(day);
    rig.transport.begin_decisions();
    // Some days a second journey comes too, and the two merge in the cell: what the homes were owed from the
    // lone days is kept through it.
    for (int journey = 0; journey < (day % 7 == 3 ? 2 : 1); ++journey, ++people) {
      rig.transport.launch(
          Cohort{1, 0, no_node, c, rig.network.route(m, c), 0, SharedMix(OriginMix{{a, 9.0}, {h, 1.0}})});
    }
    rig.transport.end_decisions();
    // A lone journey's people settle with the cell's others at the day's end: until then the ledger does not host
    // them (merged days' journeys settle after the decisions).
    const bool merged = day % 7 == 3;
    CHECK(rig.ledger.displaced_at(at(c)) == (merged ? people : people - 1));
    rig.transport.settle_day();
    CHECK(rig.ledger.displaced_at(at(c)) == people);
    Count from_h = 0;
    for (const Stay& stay : rig.ledger.stays(at(c))) from_h += stay.origin == h ? stay.count : 0;
    CHECK(std::abs(static_cast<double>(from_h) - 0.1 * people) <= 1.0);
  }
  CHECK(rig.ledger.displaced_at(at(c)) == people);
  for (const Stay& stay : rig.ledger.stays(at(c))) CHECK(stay.count > 0);  // no stay of nobody
  for (const auto& pair : rig.ledger.origin_destination()) CHECK(pair.count > 0);
}

TEST_CASE("transport: the cohorts alive are bounded by corridors x destinations x groups x days - not by people") {
  // Twenty towns under fire around a hub, all 50 km from it; from the hub one corridor capped at 100 a day leads
  // to a safe town. Leavers know the hub and the safe town only (range 90 km).
  auto funnel = [](std::int64_t people_per_town) {
    ScenarioBuilder b(20);
    const auto hub = b.node("hub", 0.0, 0.0, 0, NodeKind::transit);
    const auto safe = b.node("safe", 0.0, -0.3, 0, NodeKind::town, 1e12);
    b.corridor(hub, safe, 30.0, CorridorKind::road, 100.0);
    for (int k = 0; k < 20; ++k) {
      const double angle = 2.0 * 3.141592653589793 * k / 20.0;
      const auto town = b.node(fmt::format("t{}", k), 0.45 * std::sin(angle), 0.45 * std::cos(angle), people_per_town);
      b.corridor(town, hub, 50.0);
      b.bombard(town, 10.0, 0);
    }
    b.parameters().awareness_range_km = 90.0;
    b.parameters().max_awareness_range_km = 90.0;  // the reach does not grow beyond the safe town
    b.parameters().onward_base_rate_per_day = 0.0;
    b.parameters().onward_threat_factor = 0.0;
    b.parameters().return_rate_per_day = 0.0;
    return b.scenario();
  };
  const Scenario few = funnel(20'000);
  const Scenario many = funnel(200'000);
  const RunSummary one = Simulation(few, RunConfig{.seed = 3, .mode = Mode::stochastic, .threads = 1}).run();
  const RunSummary ten = Simulation(many, RunConfig{.seed = 3, .mode = Mode::stochastic, .threads = 1}).run();
  CAPTURE(one.cohorts_alive_peak);
  CAPTURE(ten.cohorts_alive_peak);
  REQUIRE(one.waiting_end > 0.0);  // the queue at the hub never empties: every day adds to it
  // At most one cohort per corridor, destination and group travelling (each town sends one a day towards the safe
  // town, under a day's travel), one per destination and group waiting per day of queueing, one per destination
  // and group played out after the decisions.
  const std::uint64_t corridors = few.corridors.size(), destinations = 2, groups = 1, days = 20;
  const std::uint64_t bound = corridors * destinations * groups + 1 * destinations * groups * days + destinations;
  // One cohort per town and day waiting at the hub would be ~20 x 20.
  CHECK(one.cohorts_alive_peak <= bound);
  CHECK(ten.cohorts_alive_peak <= bound);
  CHECK(ten.cohorts_merged > 10 * days);
}

namespace {

// A chain n0 - n1 - ... - n8 of roads 37.5 km long: 0.375 days each at 100 km/day (exact in binary, so the times
// below are exact). Leg k is entered at 0.375 k and left at 0.375 (k + 1).
struct Chain {
  Chain() {
    for (std::size_t k = 0; k <= 8; ++k) {
      nodes.push_back(b.node(fmt::format("n{}", k), 0.3 * static_cast<double>(k), 0.0, k == 0 ? 1000 : 0));
    }
    for (std::size_t k = 0; k < 8; ++k) legs.push_back(b.corridor(nodes[k], nodes[k + 1], 37.5));
  }
  ScenarioBuilder b;
  std::vector<NodeIndex> nodes;
  std::vector<CorridorIndex> legs;
};

// The corridors entered today and the people on each at midnight, then the day's inflow zeroed, as the record does.
std::pair<std::vector<Count>, std::vector<Count>> midnight(Transport& transport) {
  const auto& inflow = transport.corridor_inflow();
  const auto& on = transport.in_transit();
  std::pair<std::vector<Count>, std::vector<Count>> day{{inflow.begin(), inflow.end()}, {on.begin(), on.end()}};
  transport.zero_daily();
  return day;
}

}  // namespace

TEST_CASE("transport: a journey of many short legs is one arrival event per day crossed - records as leg by leg") {
  Chain chain;
  Rig rig(chain.b.scenario());
  const auto from = chain.nodes.front(), to = chain.nodes.back();
  rig.log.set_time(0.0);
  rig.ledger.leave_home(at(from), 0, 100);
  // Two cohorts setting off together travel as one: the second joins the first, which has gone on to leg 2.
  rig.transport.launch(Cohort{60, 0, from, to, rig.network.route(from, to), 0, SharedMix{}});
  rig.transport.launch(Cohort{40, 0, from, to, rig.network.route(from, to), 0, SharedMix{}});
  CHECK(rig.transport.cohorts_merged() == 1);
  // Leg by leg: day 0 enters legs 0-2 (leg 2 ends at 1.125), day 1 legs 3-5 (leg 5 ends at 2.25), day 2 legs 6
  // and 7, which ends at exactly 3.0: still on the road at that midnight (the record runs first).
  using V = std::vector<Count>;
  CHECK(rig.run_until(1.0) == 0);
  CHECK(midnight(rig.transport) == std::pair{V{100, 100, 100, 0, 0, 0, 0, 0}, V{0, 0, 100, 0, 0, 0, 0, 0}});
  CHECK(rig.run_until(2.0) == 1);
  CHECK(midnight(rig.transport) == std::pair{V{0, 0, 0, 100, 100, 100, 0, 0}, V{0, 0, 0, 0, 0, 100, 0, 0}});
  CHECK(rig.run_until(3.0) == 1);
  CHECK(midnight(rig.transport) == std::pair{V{0, 0, 0, 0, 0, 0, 100, 100}, V{0, 0, 0, 0, 0, 0, 0, 100}});
  CHECK(rig.ledger.displaced_at(at(to)) == 0);
  CHECK(rig.run_until(4.0) == 1);  // eight legs, three events: one per midnight crossed
  CHECK(rig.ledger.displaced_at(at(to)) == 100);
  CHECK(rig.transport.incoming()[at(to)] == 0);
  CHECK(rig.transport.in_transit().sum() == 0);
}

TEST_CASE("transport: a closure at a whole day ahead of a cohort travelling several legs a day re-routes it then") {
  Chain chain;
  // A detour round leg 3 (n3 - n4), twice as long.
  const auto x = chain.b.node("x", 0.95, 0.2);
  const auto round_in = chain.b.corridor(chain.nodes[3], x, 37.5);
  const auto round_out = chain.b.corridor(x, chain.nodes[4], 37.5);
  Rig rig(chain.b.scenario());
  const auto from = chain.nodes.front(), to = chain.nodes.back();
  rig.log.set_time(0.0);
  rig.ledger.leave_home(at(from), 0, 100);
  rig.transport.launch(Cohort{100, 0, from, to, rig.network.route(from, to), 0, SharedMix{}});
  CHECK(rig.run_until(1.0) == 0);
  CHECK(rig.transport.in_transit()[idx(chain.legs[2])] == 100);  // reaches n3 at 1.125
  rig.transport.zero_daily();
  // Leg 3 closes at day 1, after the cohort entered leg 2 and before it reaches leg 3: it goes round.
  rig.log.set_time(1.0);
  rig.network.set_corridor_open(chain.legs[3], false);
  CHECK(rig.run_until(2.0) == 1);
  const auto& inflow = rig.transport.corridor_inflow();
  CHECK(inflow[idx(chain.legs[3])] == 0);
  CHECK(inflow[idx(round_in)] == 100);   // 1.125 - 1.5
  CHECK(inflow[idx(round_out)] == 100);  // 1.5 - 1.875
  CHECK(inflow[idx(chain.legs[4])] == 100);
  CHECK(rig.transport.in_transit()[idx(chain.legs[4])] == 100);  // 1.875 - 2.25
  CHECK(rig.transport.in_transit().sum() == 100);
  rig.run_until(10.0);
  CHECK(rig.ledger.displaced_at(at(to)) == 100);
}

TEST_CASE("transport: a cohort travelling several legs a day meets a capped corridor ahead when it gets there") {
  Chain chain;
  const auto from = chain.nodes.front(), to = chain.nodes.back();
  const auto gate = chain.nodes[2];
  // Leg 2 (from n2) lets 30 people in a day.
  Scenario capped = chain.b.scenario();
  capped.corridors[static_cast<std::size_t>(chain.legs[2])].capacity_people_per_day = 30.0;
  Rig gated(capped);
  gated.log.set_time(0.0);
  gated.transport.release_queues();
  gated.ledger.leave_home(at(from), 0, 100);
  gated.transport.launch(Cohort{100, 0, from, to, gated.network.route(from, to), 0, SharedMix{}});
  // Twenty set off from n2 at 0.5, before the hundred get there at 0.75: they enter first.
  gated.log.set_time(0.5);
  gated.ledger.leave_home(at(gate), 0, 20);
  gated.transport.launch(Cohort{20, 0, gate, to, gated.network.route(gate, to), 0, SharedMix{}});
  CHECK(gated.run_until(1.0) == 1);  // the hundred at n2, at 0.75 (the twenty go on to leg 3 at 0.875)
  const auto& inflow = gated.transport.corridor_inflow();
  const auto& on = gated.transport.in_transit();
  CHECK(inflow[idx(chain.legs[0])] == 100);
  CHECK(inflow[idx(chain.legs[1])] == 100);
  CHECK(inflow[idx(chain.legs[2])] == 30);
  CHECK(inflow[idx(chain.legs[3])] == 20);
  CHECK(on[idx(chain.legs[2])] == 10);  // 0.75 - 1.125
  CHECK(on[idx(chain.legs[3])] == 20);  // 0.875 - 1.25
  CHECK(gated.transport.waiting_by_node()[at(gate)] == 90);
  CHECK(gated.transport.cohorts_queued() == 1);
  // The next day's capacity lets 30 of them in at day 1: on leg 4 by 1.75 (the ten are still on leg 2).
  gated.log.set_time(1.0);
  gated.transport.release_queues();
  CHECK(gated.transport.waiting_by_node()[at(gate)] == 60);
  CHECK(on[idx(chain.legs[2])] == 10);
  CHECK(on[idx(chain.legs[4])] == 30);
}
