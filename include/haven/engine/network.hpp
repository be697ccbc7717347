#pragma once
// The road network: a Boost.Graph directed graph of nodes and corridors (a bidirectional corridor is two arcs),
// with which corridors and border crossings are open, and cached shortest open paths on travel time.

#include <algorithm>
#include <atomic>
#include <boost/graph/adjacency_list.hpp>
#include <limits>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "haven/engine/rules.hpp"
#include "haven/scenario/scenario.hpp"
#include "haven/util/geo.hpp"

namespace haven {

struct Leg {
  CorridorIndex corridor = -1;
  NodeIndex from = no_node;
  NodeIndex to = no_node;
  double travel_days = 0.0;  // at the corridor's speed, before group speed factors
};

struct Route {
  std::vector<Leg> legs;
  double travel_days = 0.0;
  double length_km = 0.0;
};
using RoutePtr = std::shared_ptr<const Route>;

// A destination someone at `origin` knows of (its route: RoadNetwork::candidate_route).
struct Candidate {
  NodeIndex node = no_node;
  // The search tree: reached from candidate `parent` (-1: the origin) by corridor CandidateList::via. Kept here,
  // where it fills what would be padding before the doubles.
  std::int32_t parent = -1;
  double road_distance_km = 0.0;  // along the fastest route
  // The rule set's route factor for this distance to a destination held by the origin's side (or by nobody); to
  // one held by another side: CandidateList::other_side_factors.
  double same_side_factor = 1.0;
};
static_assert(sizeof(Candidate) == 24, "a large network keeps tens of millions of candidates");

// A node's candidates in node order, and the fastest routes to them as the search tree: candidate k is reached
// from candidate candidates[k].parent (-1: the origin) by corridor via[k]. Every node of a large network keeps one
// of these, so routes are not stored leg by leg (32 bytes a candidate, 40 where sides hold nodes, not some 300);
// candidate_route() spells one out.
struct CandidateList {
  std::vector<Candidate> candidates;
  std::vector<CorridorIndex> via;
  // The rule set's route factor to candidate k when another side holds it. Only where a side can hold a node
  // (some node's control, or a capture): elsewhere it is empty and never read, and a 10^5-node network's
  // candidates are 24 bytes each instead of 32 (200 MB fewer for `large`).
  std::vector<double> other_side_factors;
  // The candidates' nodes nearest first (by road distance, then node index): the nearest refuge is looked for
  // every day, and in this order the look stops at the first one instead of reading the whole list (nodes, not
  // indices into it, so that the look reads this array in order and nothing else but the refuges' flags).
  std::vector<NodeIndex> nearest_first;
  // Travel time of the first node whose arcs the range cut short (infinity if none was): candidates reached
  // faster were found exactly as an unbounded search finds them, so route() may take their routes from here.
  double exact_below_days = std::numeric_limits<double>::infinity();
  std::uint32_t generation = 0;  // changes whenever the list is recomputed (never 0 once filled)

  // Where `node` is among the candidates (kept sorted by node), -1 if it is not one.
  [[nodiscard]] std::int32_t index_of(NodeIndex node) const {
    const auto it = std::lower_bound(candidates.begin(), candidates.end(), node,
                                     [](const Candidate& c, NodeIndex n) { return c.node < n; });
    return it != candidates.end() && it->node == node ? static_cast<std::int32_t>(it - candidates.begin()) : -1;
  }
};

class RoadNetwork {
 public:
  struct Arc {
    CorridorIndex corridor = -1;
    double travel_days = 0.0;
    double length_km = 0.0;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, Arc>;

  // With `rules`, candidates carry the rule set's route factors (computed once per cached route).
  RoadNetwork(const Scenario& scenario, const ModelParameters& parameters, const RuleSet* rules = nullptr);

  [[nodiscard]] std::size_t node_count() const noexcept { return node_open_.size(); }
  [[nodiscard]] bool corridor_open(CorridorIndex c) const { return corridor_open_[static_cast<std::size_t>(c)] != 0; }
  [[nodiscard]] bool node_open(NodeIndex n) const { return node_open_[static_cast<std::size_t>(n)] != 0; }
  [[nodiscard]] double corridor_travel_days(CorridorIndex c) const {
    return corridor_travel_days_[static_cast<std::size_t>(c)];
  }
  // Whether people may enter the leg now: its corridor is open, it leads to an open node, and it does not cross a
  // closed border crossing to the other side (out of the crossing to an external node or to another country's).
  [[nodiscard]] bool leg_passable(const Leg& leg) const {
    return corridor_open(leg.corridor) && node_open(leg.to) &&
           !(!node_open(leg.from) && leaves_across(leg.corridor, leg.from));
  }

  // Opening or closing drops only the cached searches that reached either end of what changed.
  void set_corridor_open(CorridorIndex corridor, bool open);
  void set_node_open(NodeIndex node, bool open);
  // Incremented on every change; routes computed under an older version may use closed corridors.
  [[nodiscard]] std::uint64_t version() const noexcept { return version_; }

  // Open destinations within `range_km` of road from `origin` (excluding it), fastest route to each. Cached
  // per origin. Safe to call concurrently for different origins (not concurrently with set_*_open).
  const std::vector<Candidate>& candidates(NodeIndex origin, double range_km) {
    return candidate_list(origin, range_km).candidates;
  }
  const CandidateList& candidate_list(NodeIndex origin, double range_km);
  // A hint that `origin`'s candidates will be read soon (no effect on results).
  void prefetch_candidates(NodeIndex origin) const noexcept {
    const auto& candidates = cache_[static_cast<std::size_t>(origin)].list.candidates;
    if (!candidates.empty()) __builtin_prefetch(candidates.data());
  }
  // The fastest route from `origin` to its candidate k, as found by the last candidate_list(origin, ...) call.
  // Routes in use are remembered (a bounded number): the same node sends people the same way day after day.
  // Not safe to call concurrently with itself; safe beside candidate_list() and find_routes() for other origins (the
  // commit of one node beside the deciding of others: it writes only this table and reads only `origin`'s list).
  // Inline: the commit asks for a route per flow (half a million on Idlib), nearly all remembered.
  [[nodiscard]] RoutePtr candidate_route(NodeIndex origin, std::size_t k) const {
    const auto key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(origin)) << 32) | k;
    if (!candidate_routes_.empty()) {
      const auto& remembered = candidate_routes_[(key * 0x9E3779B97F4A7C15ull) >> candidate_route_shift_];
      if (remembered.route && remembered.key == key &&
          remembered.generation == cache_[static_cast<std::size_t>(origin)].list.generation) {
        return remembered.route;
      }
    }
    return remember_candidate_route(origin, k, key);
  }
  // Fastest open route from `from` to `to`, without a range limit; nullptr when there is none. Remembered until
  // the network next changes (people go home along the same roads day after day). Not safe to call concurrently.
  [[nodiscard]] RoutePtr route(NodeIndex from, NodeIndex to) const;
  // The routes route() would give from `from` to each of `targets` (nullptr: none), found with one search (a node
  // sends people home to many places each day). Safe to call concurrently, for different origins too, as long as
  // nothing changes the network or calls route() or remember_routes() meanwhile. It spells routes out itself, never
  // through candidate_route(), whose table the simulation's commit writes while other nodes decide (Decider::decide):
  // keep it so.
  void find_routes(NodeIndex from, std::span<const NodeIndex> targets, std::span<RoutePtr> out) const;
  // Lets route() answer with these from memory (until the network changes).
  void remember_routes(NodeIndex from, std::span<const NodeIndex> targets, std::span<const RoutePtr> routes) const;

  // Whether candidates carry route factors for destinations another side holds (some node has a side, or a capture
  // may give it one).
  [[nodiscard]] bool sides_possible() const noexcept { return sides_; }
  // Takes `saved`'s open and closed corridors and nodes, its cached searches and routes, and its count of searches
  // (a run resumed from a saved day: Simulation::resume_from). `saved` was built from a scenario with the same nodes,
  // corridors and parameters, with sides_possible() as this one's.
  void adopt(const RoadNetwork& saved);
  // About how many bytes the network holds: its arcs, cached searches and routes (an estimate).
  [[nodiscard]] std::size_t bytes() const;

  // Searches run since construction (for tests of the cache and for benchmarks).
  [[nodiscard]] std::uint64_t searches() const noexcept { return searches_; }
  [[nodiscard]] const Graph& graph() const noexcept { return graph_; }

 private:
  struct CacheEntry {
    bool valid = false;
    double range_km = 0.0;
    CandidateList list;  // its nodes and the origin are every node the search settled: what invalidation checks
  };
  struct SearchResult;
  // The graph's arcs as compressed rows, which the searches walk: the nodes in search rank order (rank_), each
  // node's arcs in out_edges order.
  struct CsrArc {
    NodeIndex target = no_node;
    CorridorIndex corridor = -1;
    std::uint32_t target_rank = 0;
    bool open = true;     // the corridor's flag, kept here so that a search reads one cache line per arc
    bool across = false;  // out of a border crossing to the other side: not taken while the crossing is closed
    double travel_days = 0.0;
    double length_km = 0.0;
  };
  std::vector<std::size_t> arc_begin_;  // by rank
  std::vector<CsrArc> arcs_;
  // The searches' own order of the nodes (breadth first over the roads, for locality); results do not depend on
  // it, since ties are broken by node index. rank_[node] and its inverse by_rank_[rank].
  std::vector<std::uint32_t> rank_;
  std::vector<NodeIndex> by_rank_;
  std::vector<std::uint8_t> open_by_rank_;               // node_open_ by rank
  std::vector<std::vector<std::size_t>> corridor_arcs_;  // each corridor's arcs (one, or two if bidirectional)
  // Settles nodes from `origin` within `range_km` of road, stopping once every target (if any) is settled.
  void search(NodeIndex origin, double range_km, std::span<const NodeIndex> targets, SearchResult& result) const;
  void refresh_routes() const;
  [[nodiscard]] RoutePtr route_from_candidates(NodeIndex from, NodeIndex to) const;
  [[nodiscard]] RoutePtr spell_out(const CandidateList& list, NodeIndex origin, std::size_t k) const;
  // candidate_route() when the route is not remembered: spelt out, and remembered (the table sized on first use).
  [[nodiscard]] RoutePtr remember_candidate_route(NodeIndex origin, std::size_t k, std::uint64_t key) const;
  // The route to `destination` that the search in `result` settled.
  [[nodiscard]] RoutePtr settled_route(NodeIndex origin, NodeIndex destination, const SearchResult& result) const;
  void invalidate_reaching(NodeIndex a, NodeIndex b);

  Graph graph_;
  std::vector<std::uint8_t> corridor_open_;
  std::vector<std::uint8_t> node_open_;
  std::vector<double> corridor_travel_days_;
  std::vector<std::pair<NodeIndex, NodeIndex>> corridor_ends_;
  // Each corridor's ends that are border crossings it leaves to the other side (an external node, or a node of
  // another country than the crossing's): bit 0 its `from`, bit 1 its `to`. Leaving one along it crosses the border.
  std::vector<std::uint8_t> border_ends_;
  // Whether leaving `from` along `corridor` crosses a border at a crossing.
  [[nodiscard]] bool leaves_across(CorridorIndex corridor, NodeIndex from) const {
    const auto c = static_cast<std::size_t>(corridor);
    return (border_ends_[c] & (corridor_ends_[c].first == from ? 1 : 2)) != 0;
  }
  std::vector<CacheEntry> cache_;
  const ModelParameters& parameters_;
  const RuleSet* rules_;
  bool sides_ = false;  // some node has a side, or may get one: candidates carry other_side_factors
  std::uint64_t version_ = 0;
  mutable std::atomic<std::uint64_t> searches_{0};
  // route() results by (from, to), valid for network version routes_version_; bounded in size.
  mutable std::unordered_map<std::uint64_t, RoutePtr> routes_;
  mutable std::uint64_t routes_version_ = 0;
  // candidate_route() results by (origin, k), with the generation of the origin's list they were spelt out from:
  // a direct-mapped table, slot (key * golden ratio) >> shift; sized on first use.
  struct RememberedRoute {
    std::uint64_t key = 0;
    std::uint32_t generation = 0;
    RoutePtr route;
  };
  mutable std::vector<RememberedRoute> candidate_routes_;
  mutable int candidate_route_shift_ = 64;
};

// Corridor speed: explicit, or the kind's default parameter.
double corridor_speed_km_per_day(const Corridor& corridor, const ModelParameters& parameters);

}  // namespace haven
