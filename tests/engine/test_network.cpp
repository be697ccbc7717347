#include <doctest/doctest.h>

#include <algorithm>

#include "builder.hpp"
#include "haven/engine/network.hpp"
#include "haven/engine/rules.hpp"
#include "haven/scenario/generate.hpp"
#include "haven/scenario/load.hpp"

using namespace haven;
using haven::test::ScenarioBuilder;

namespace {
// a - b - c in a line (road, 100 km/day), plus a slow direct track a - c.
struct Line {
  ScenarioBuilder b;
  NodeIndex a, m, c, far;
  CorridorIndex ab, bc, ac, cfar;
  Line() {
    a = b.node("a", 0, 0);
    m = b.node("b", 0, 0.5);
    c = b.node("c", 0, 1);
    far = b.node("far", 0, 3);
    ab = b.corridor(a, m, 50, CorridorKind::road);
    bc = b.corridor(m, c, 50, CorridorKind::road);
    ac = b.corridor(a, c, 60, CorridorKind::track);
    cfar = b.corridor(c, far, 200, CorridorKind::road);
  }
};

// A generated network of `nodes` nodes and `corridors` corridors, without bombardments.
Scenario generated_network(std::int64_t nodes, std::int64_t corridors) {
  haven::GeneratorSettings settings;
  settings.nodes = nodes;
  settings.corridors = corridors;
  settings.bombardments = 0;
  auto loaded = haven::load_scenario_text(haven::generate_scenario_yaml(settings), "generated");
  REQUIRE(loaded.scenario);
  return std::move(*loaded.scenario);
}
}  // namespace

TEST_CASE("routes are fastest open paths and follow closures") {
  Line line;
  const auto& p = line.b.scenario().parameters;
  RoadNetwork network(line.b.scenario(), p);
  auto route = network.route(line.a, line.c);
  REQUIRE(route);
  // Road: 100 km at 100 km/day = 1 day; track: 60 km at 30 km/day = 2 days.
  REQUIRE(route->legs.size() == 2);
  CHECK(route->legs[0].corridor == line.ab);
  CHECK(route->travel_days == doctest::Approx(1.0));
  CHECK(route->length_km == 100.0);
  network.set_corridor_open(line.bc, false);
  route = network.route(line.a, line.c);
  REQUIRE(route);
  REQUIRE(route->legs.size() == 1);
  CHECK(route->legs[0].corridor == line.ac);
  CHECK(route->travel_days == doctest::Approx(2.0));
  network.set_corridor_open(line.ac, false);
  CHECK(network.route(line.a, line.c) == nullptr);
}

TEST_CASE("candidates lie within the awareness range in node order") {
  Line line;
  RoadNetwork network(line.b.scenario(), line.b.scenario().parameters);
  const auto& near = network.candidates(line.a, 120.0);
  REQUIRE(near.size() == 2);
  CHECK(near[0].node == line.m);
  CHECK(near[0].road_distance_km == 50.0);
  CHECK(near[1].node == line.c);
  CHECK(near[1].road_distance_km == 100.0);  // measured along the fastest route
  const auto& wide = network.candidates(line.a, 1000.0);
  CHECK(wide.size() == 3);
}

TEST_CASE("a candidate list orders its candidates nearest first and spells out the searched routes") {
  const Scenario s = generated_network(300, 900);
  RoadNetwork network(s, s.parameters);
  std::size_t lists_with_ties = 0;
  for (NodeIndex from = 0; from < static_cast<NodeIndex>(s.nodes.size()); from += 11) {
    const CandidateList& list = network.candidate_list(from, 4.0 * s.parameters.awareness_range_km);
    REQUIRE(list.nearest_first.size() == list.candidates.size());
    std::vector<std::size_t> order;  // the candidates' indices, nearest first
    for (const NodeIndex node : list.nearest_first) {
      const auto it = std::find_if(list.candidates.begin(), list.candidates.end(),
                                   [node](const Candidate& c) { return c.node == node; });
      REQUIRE(it != list.candidates.end());
      order.push_back(static_cast<std::size_t>(it - list.candidates.begin()));
    }
    std::vector<char> seen(list.candidates.size(), 0);
    for (std::size_t r = 0; r < order.size(); ++r) {
      const auto k = order[r];
      CHECK(seen[k] == 0);  // a permutation
      seen[k] = 1;
      if (r == 0) continue;
      const auto before = order[r - 1];
      const double d0 = list.candidates[before].road_distance_km;
      const double d1 = list.candidates[k].road_distance_km;
      CHECK((d0 < d1 || (d0 == d1 && list.candidates[before].node < list.candidates[k].node)));
      if (d0 == d1) ++lists_with_ties;
    }
    // Each candidate's route (its parents, spelt out) is as long as the search measured.
    for (std::size_t k = 0; k < list.candidates.size(); k += 5) {
      const RoutePtr route = network.candidate_route(from, k);
      REQUIRE(route);
      double length_km = 0.0;  // summed as the search did, origin first
      NodeIndex at = from;
      for (const Leg& leg : route->legs) {
        CHECK(leg.from == at);
        at = leg.to;
        length_km += s.corridors[static_cast<std::size_t>(leg.corridor)].length_km;
      }
      CHECK(at == list.candidates[k].node);
      CHECK(length_km == list.candidates[k].road_distance_km);
    }
  }
  MESSAGE("equal distances ranked by index: " << lists_with_ties);
}

TEST_CASE("a closed border crossing is neither a destination nor a way through") {
  ScenarioBuilder b;
  const auto town = b.node("town", 0, 0);
  const auto gate = b.node("gate", 0, 0.1, 0, NodeKind::border_crossing);
  const auto abroad = b.node("abroad", 0, 0.2, 0, NodeKind::external);
  b.corridor(town, gate, 10);
  b.corridor(gate, abroad, 10, CorridorKind::crossing);
  b.node_at(gate).closed = true;
  RoadNetwork network(b.scenario(), b.scenario().parameters);
  CHECK(network.candidates(town, 100.0).empty());
  network.set_node_open(gate, true);
  CHECK(network.candidates(town, 100.0).size() == 2);
  network.set_node_open(gate, false);
  CHECK(network.candidates(town, 100.0).empty());
}

TEST_CASE("a closure recomputes only the searches it can affect") {
  Line line;
  RoadNetwork network(line.b.scenario(), line.b.scenario().parameters);
  network.candidates(line.a, 120.0);    // reaches a, b, c
  network.candidates(line.far, 120.0);  // reaches only far
  const auto before = network.searches();
  network.candidates(line.a, 120.0);
  network.candidates(line.far, 120.0);
  CHECK(network.searches() == before);  // both cached
  network.set_corridor_open(line.ab, false);
  network.candidates(line.far, 120.0);
  CHECK(network.searches() == before);  // untouched by a closure it never reached
  network.candidates(line.a, 120.0);
  CHECK(network.searches() == before + 1);
}

TEST_CASE("a candidate's route is remembered until its origin's list is searched again") {
  Line line;
  RoadNetwork network(line.b.scenario(), line.b.scenario().parameters);
  const auto& candidates = network.candidates(line.a, 120.0);  // b, then c
  REQUIRE(candidates.size() == 2);
  RoutePtr to_c = network.candidate_route(line.a, 1);  // before any is remembered: spelt out
  REQUIRE(to_c);
  REQUIRE(to_c->legs.size() == 2);
  CHECK(to_c->legs[0].corridor == line.ab);
  CHECK(to_c->legs[1].corridor == line.bc);
  CHECK(to_c->legs[1].to == line.c);
  CHECK(to_c->travel_days == doctest::Approx(1.0));
  CHECK(to_c->length_km == 100.0);
  CHECK(network.candidate_route(line.a, 1) == to_c);  // remembered: the same route, not spelt out again
  RoutePtr to_b = network.candidate_route(line.a, 0);
  REQUIRE(to_b);
  CHECK(to_b->legs.size() == 1);
  CHECK(network.candidate_route(line.a, 1) == to_c);
  // Closing b - c searches a's list again (a new generation): the remembered route is not given any more.
  network.set_corridor_open(line.bc, false);
  const auto& again = network.candidates(line.a, 120.0);
  REQUIRE(again.size() == 2);
  RoutePtr around = network.candidate_route(line.a, 1);
  REQUIRE(around);
  CHECK(around != to_c);
  REQUIRE(around->legs.size() == 1);
  CHECK(around->legs[0].corridor == line.ac);
  CHECK(network.candidate_route(line.a, 1) == around);
}

TEST_CASE("one-way corridors are followed only forwards") {
  ScenarioBuilder b;
  const auto x = b.node("x", 0, 0);
  const auto y = b.node("y", 0, 1);
  b.corridor(x, y, 10);
  Scenario s = b.scenario();
  s.corridors[0].bidirectional = false;
  RoadNetwork network(s, s.parameters);
  CHECK(network.route(x, y) != nullptr);
  CHECK(network.route(y, x) == nullptr);
}

TEST_CASE("routes from cached candidate searches and from one search to many homes are the unbounded ones") {
  const Scenario s = generated_network(400, 1200);
  RoadNetwork warm(s, s.parameters);  // route() may answer from its candidate lists
  RoadNetwork cold(s, s.parameters);  // route() always searches
  const auto n = static_cast<NodeIndex>(s.nodes.size());
  auto same_routes = [&] {
    for (NodeIndex from = 0; from < n; from += 7) {
      warm.candidate_list(from, s.parameters.awareness_range_km);
      std::vector<NodeIndex> some;  // found together by one search
      for (NodeIndex to = from % 3; to < n; to += 3) some.push_back(to);
      std::vector<RoutePtr> found(some.size());
      warm.find_routes(from, some, found);
      for (std::size_t t = 0; t < some.size(); ++t) {
        const auto b = cold.route(from, some[t]);
        REQUIRE((found[t] == nullptr) == (b == nullptr));
        if (found[t]) CHECK(found[t]->legs.size() == b->legs.size());
        if (found[t]) CHECK(found[t]->travel_days == b->travel_days);
      }
      warm.remember_routes(from, some, found);
      for (NodeIndex to = 0; to < n; ++to) {
        const auto a = warm.route(from, to);
        const auto b = cold.route(from, to);
        REQUIRE((a == nullptr) == (b == nullptr));
        if (!a) continue;
        REQUIRE(a->legs.size() == b->legs.size());
        for (std::size_t l = 0; l < a->legs.size(); ++l) {
          CHECK(a->legs[l].corridor == b->legs[l].corridor);
          CHECK(a->legs[l].from == b->legs[l].from);
          CHECK(a->legs[l].to == b->legs[l].to);
        }
        CHECK(a->travel_days == b->travel_days);
        CHECK(a->length_km == b->length_km);
      }
    }
  };
  same_routes();
  for (CorridorIndex c = 0; c < 40; ++c) {  // closures invalidate what they touch, in both
    warm.set_corridor_open(c * 13, false);
    cold.set_corridor_open(c * 13, false);
  }
  same_routes();
}

TEST_CASE("candidates carry the other side's route factors only where a side can hold a node") {
  const DefaultRules rules;
  const auto list_of = [&](const Scenario& s) {
    RoadNetwork network(s, s.parameters, &rules);
    CandidateList list = network.candidate_list(0, 1000.0);
    REQUIRE(list.candidates.size() == 3);
    return list;
  };
  // Nobody holds a node: nothing reads them, and a large network's candidates save 8 bytes each.
  Line uncontested;
  CHECK(list_of(uncontested.b.scenario()).other_side_factors.empty());
  // A node held by a side, or a capture to come: one factor per candidate, the rule set's for its distance.
  Line held;
  held.b.node_at(held.c).control = "government";
  Line captured;
  captured.b.event(Capture{captured.far, "government"}, 10);
  for (Line* line : {&held, &captured}) {
    const Scenario& s = line->b.scenario();
    const CandidateList list = list_of(s);
    REQUIRE(list.other_side_factors.size() == list.candidates.size());
    for (std::size_t k = 0; k < list.candidates.size(); ++k) {
      const double km = list.candidates[k].road_distance_km;
      CHECK(list.other_side_factors[k] == rules.route_factor(km, true, s.parameters));
      CHECK(list.candidates[k].same_side_factor == rules.route_factor(km, false, s.parameters));
    }
    CHECK(list.other_side_factors != std::vector<double>(list.candidates.size(), 1.0));
  }
}
