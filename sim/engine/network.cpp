#include "haven/engine/network.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <queue>
#include <stdexcept>

namespace haven {

double corridor_speed_km_per_day(const Corridor& corridor, const ModelParameters& p) {
  if (corridor.speed_km_per_day) return *corridor.speed_km_per_day;
  switch (corridor.kind) {
    case CorridorKind::highway:
      return p.speed_highway_km_per_day;
    case CorridorKind::road:
      return p.speed_road_km_per_day;
    case CorridorKind::track:
      return p.speed_track_km_per_day;
    case CorridorKind::crossing:
      return p.speed_crossing_km_per_day;
  }
  return p.speed_road_km_per_day;
}

namespace {

// The nodes in breadth-first order over the corridors taken either way, each component from its lowest node
// index, neighbours in corridor order.
std::vector<NodeIndex> breadth_first_order(std::size_t n, const std::vector<std::pair<NodeIndex, NodeIndex>>& ends) {
  std::vector<std::size_t> neighbour_begin(n + 1, 0);
  for (const auto& [from, to] : ends) {
    ++neighbour_begin[static_cast<std::size_t>(from) + 1];
    ++neighbour_begin[static_cast<std::size_t>(to) + 1];
  }
  for (std::size_t v = 0; v < n; ++v) neighbour_begin[v + 1] += neighbour_begin[v];
  std::vector<NodeIndex> neighbours(neighbour_begin[n]);
  std::vector<std::size_t> filled(neighbour_begin.begin(), neighbour_begin.end() - 1);
  for (const auto& [from, to] : ends) {
    neighbours[filled[static_cast<std::size_t>(from)]++] = to;
    neighbours[filled[static_cast<std::size_t>(to)]++] = from;
  }
  std::vector<char> ranked(n, 0);
  std::vector<NodeIndex> order;
  order.reserve(n);
  for (std::size_t start = 0; start < n; ++start) {
    if (ranked[start] != 0) continue;
    ranked[start] = 1;
    order.push_back(static_cast<NodeIndex>(start));
    for (std::size_t next = order.size() - 1; next < order.size(); ++next) {
      const auto v = static_cast<std::size_t>(order[next]);
      for (std::size_t k = neighbour_begin[v]; k < neighbour_begin[v + 1]; ++k) {
        const auto w = static_cast<std::size_t>(neighbours[k]);
        if (ranked[w] != 0) continue;
        ranked[w] = 1;
        order.push_back(neighbours[k]);
      }
    }
  }
  return order;
}

// Which ends of the corridor are border crossings it leaves to the other side (an external node, or a node of another
// country than the crossing's, both named): bit 0 its `from` end, bit 1 its `to` end (a two-way road between two
// crossings of two countries has both).
std::uint8_t border_ends(const Scenario& scenario, const Corridor& corridor) {
  const auto across = [&](NodeIndex crossing, NodeIndex other) {
    const Node& c = scenario.nodes[static_cast<std::size_t>(crossing)];
    const Node& o = scenario.nodes[static_cast<std::size_t>(other)];
    return c.kind == NodeKind::border_crossing &&
           (o.kind == NodeKind::external || (!c.country.empty() && !o.country.empty() && c.country != o.country));
  };
  std::uint8_t ends = across(corridor.from, corridor.to) ? 1 : 0;
  if (corridor.bidirectional && across(corridor.to, corridor.from)) ends |= 2;
  return ends;
}

}  // namespace

RoadNetwork::RoadNetwork(const Scenario& scenario, const ModelParameters& parameters, const RuleSet* rules)
    : graph_(scenario.nodes.size()),
      corridor_open_(scenario.corridors.size(), 1),
      node_open_(scenario.nodes.size(), 1),
      corridor_travel_days_(scenario.corridors.size(), 0.0),
      cache_(scenario.nodes.size()),
      parameters_(parameters),
      rules_(rules) {
  for (std::size_t i = 0; i < scenario.nodes.size(); ++i) {
    node_open_[i] = scenario.nodes[i].closed ? 0 : 1;
    sides_ = sides_ || !scenario.nodes[i].control.empty();
  }
  for (const auto& event : scenario.events) sides_ = sides_ || std::holds_alternative<Capture>(event.action);
  for (std::size_t c = 0; c < scenario.corridors.size(); ++c) {
    const auto& corridor = scenario.corridors[c];
    const double days = corridor.length_km / corridor_speed_km_per_day(corridor, parameters);
    corridor_travel_days_[c] = days;
    corridor_open_[c] = corridor.closed ? 0 : 1;
    corridor_ends_.emplace_back(corridor.from, corridor.to);
    border_ends_.push_back(border_ends(scenario, corridor));
    const Arc arc{static_cast<CorridorIndex>(c), days, corridor.length_km};
    boost::add_edge(static_cast<std::size_t>(corridor.from), static_cast<std::size_t>(corridor.to), arc, graph_);
    if (corridor.bidirectional) {
      boost::add_edge(static_cast<std::size_t>(corridor.to), static_cast<std::size_t>(corridor.from), arc, graph_);
    }
  }
  // The searches' order of the nodes: breadth first over the roads (either way), so that nodes near each other on
  // the roads lie near each other in the searches' arrays. Scenarios list their nodes in any order (a generated
  // network's are scattered), and on a large network a search was mostly waiting for memory.
  const std::size_t n = scenario.nodes.size();
  by_rank_ = breadth_first_order(n, corridor_ends_);
  rank_.resize(n);
  for (std::size_t u = 0; u < n; ++u) rank_[static_cast<std::size_t>(by_rank_[u])] = static_cast<std::uint32_t>(u);
  open_by_rank_.resize(n);
  for (std::size_t u = 0; u < n; ++u) open_by_rank_[u] = node_open_[static_cast<std::size_t>(by_rank_[u])];
  // The arcs as compressed rows in that order: contiguous per node, each node's in its out_edges order.
  arc_begin_.assign(n + 1, 0);
  for (std::size_t u = 0; u < n; ++u) {
    arc_begin_[u + 1] = arc_begin_[u] + boost::out_degree(static_cast<std::size_t>(by_rank_[u]), graph_);
  }
  arcs_.reserve(arc_begin_[n]);
  corridor_arcs_.resize(scenario.corridors.size());
  for (std::size_t u = 0; u < n; ++u) {
    for (auto [edge, end] = boost::out_edges(static_cast<std::size_t>(by_rank_[u]), graph_); edge != end; ++edge) {
      const Arc& a = graph_[*edge];
      const auto target = boost::target(*edge, graph_);
      arcs_.push_back(CsrArc{static_cast<NodeIndex>(target), a.corridor, rank_[target],
                             corridor_open_[static_cast<std::size_t>(a.corridor)] != 0,
                             leaves_across(a.corridor, by_rank_[u]), a.travel_days, a.length_km});
      corridor_arcs_[static_cast<std::size_t>(a.corridor)].push_back(arcs_.size() - 1);
    }
  }
}

// Per-thread scratch space for bounded searches: stamped arrays avoid an O(nodes) reset per search, which
// is why this is our own Dijkstra over the Boost graph rather than boost::dijkstra_shortest_paths.
struct RoadNetwork::SearchResult {
  // Everything a search knows of a node in one place (one cache line per node reached, not five).
  struct Label {
    double time_days = 0.0;
    double length_km = 0.0;
    std::int32_t parent = -1;  // node we came from
    CorridorIndex via = -1;    // corridor we came by
    std::uint32_t stamp = 0;   // equal to the search's number when the rest is valid
    std::int32_t slot = -1;    // scratch for callers: a settled node's place in their list
  };
  std::vector<Label> label;  // by the network's search rank (RoadNetwork::rank_)
  // What the search knows of `node`, given the network's ranks.
  [[nodiscard]] Label& of(const std::vector<std::uint32_t>& rank, NodeIndex node) {
    return label[rank[static_cast<std::size_t>(node)]];
  }
  [[nodiscard]] const Label& of(const std::vector<std::uint32_t>& rank, NodeIndex node) const {
    return label[rank[static_cast<std::size_t>(node)]];
  }
  std::vector<NodeIndex> settled;  // in settling order
  // Time of the first settled node an arc of which the range cut off: the search up to there is the unbounded one.
  double first_cut_days = std::numeric_limits<double>::infinity();
  std::size_t targets_settled = 0;
  // Ordered by time, then length, then node index (never the rank: ties break by the scenario's order).
  struct Item {
    double time_days;
    double length_km;
    NodeIndex node;
    std::uint32_t rank;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const noexcept {
      if (a.time_days != b.time_days) return a.time_days > b.time_days;
      if (a.length_km != b.length_km) return a.length_km > b.length_km;
      return a.node > b.node;
    }
  };
  std::vector<Item> frontier;  // a min-heap
  std::uint32_t current = 0;

  void prepare(std::size_t nodes) {
    if (label.size() != nodes) {
      label.assign(nodes, Label{});
      current = 0;
    }
    if (++current == 0) {  // wrapped: clear for real, once in 2^32 searches
      for (auto& l : label) l.stamp = 0;
      current = 1;
    }
    settled.clear();
    frontier.clear();
    first_cut_days = std::numeric_limits<double>::infinity();
    targets_settled = 0;
  }
};

void RoadNetwork::search(NodeIndex origin, double range_km, std::span<const NodeIndex> targets, SearchResult& r) const {
  ++searches_;
  r.prepare(node_count());
  auto& frontier = r.frontier;
  const SearchResult::Later later;
  const std::uint32_t o = rank_[static_cast<std::size_t>(origin)];
  r.label[o] = {0.0, 0.0, -1, -1, r.current, -1};
  frontier.push_back({0.0, 0.0, origin, o});
  while (!frontier.empty()) {
    std::pop_heap(frontier.begin(), frontier.end(), later);
    const auto [time, length, node, n] = frontier.back();
    frontier.pop_back();
    const auto& here = r.label[n];
    // Entries are pushed only on strict improvement, so a worse one is stale and an equal one is the live one.
    if (time > here.time_days || (time == here.time_days && length > here.length_km)) continue;
    // On a large network a node's arcs may not be in cache: ask for the next node's now, while this one's are read.
    if (!frontier.empty()) __builtin_prefetch(&arcs_[arc_begin_[frontier.front().rank]]);
    r.settled.push_back(node);
    // Stop once every target is settled: up to then, this is exactly the search for any one of them alone.
    if (!targets.empty() && std::find(targets.begin(), targets.end(), node) != targets.end()) {
      ++r.targets_settled;
      if (r.targets_settled == targets.size()) return;
    }
    // Only the origin may be a closed node (closed crossings are never entered): from a closed crossing people may
    // go back into the country, not across the border.
    const bool closed_here = !open_by_rank_[n];
    // Arcs in the order they were added, as Boost's out_edges gives them: ties are broken the same way.
    for (auto a = arc_begin_[n], end = arc_begin_[n + 1]; a != end; ++a) {
      const CsrArc& arc = arcs_[a];
      if (!arc.open || (arc.across && closed_here)) continue;
      const std::uint32_t next = arc.target_rank;
      if (!open_by_rank_[next]) continue;
      const double next_length = length + arc.length_km;
      if (next_length > range_km) {
        r.first_cut_days = std::min(r.first_cut_days, time);
        continue;
      }
      const double next_time = time + arc.travel_days;
      auto& there = r.label[next];
      if (there.stamp != r.current || next_time < there.time_days ||
          (next_time == there.time_days && next_length < there.length_km)) {
        there.stamp = r.current;
        there.time_days = next_time;
        there.length_km = next_length;
        there.parent = node;
        there.via = arc.corridor;
        frontier.push_back({next_time, next_length, arc.target, next});
        std::push_heap(frontier.begin(), frontier.end(), later);
      }
    }
  }
}

RoutePtr RoadNetwork::settled_route(NodeIndex origin, NodeIndex destination, const SearchResult& result) const {
  const auto label = [&](NodeIndex node) -> const SearchResult::Label& { return result.of(rank_, node); };
  auto route = std::make_shared<Route>();
  for (NodeIndex at = destination; at != origin; at = label(at).parent) {
    const auto& l = label(at);
    route->legs.push_back(Leg{l.via, l.parent, at, corridor_travel_days_[static_cast<std::size_t>(l.via)]});
  }
  std::reverse(route->legs.begin(), route->legs.end());
  for (const auto& leg : route->legs) route->travel_days += leg.travel_days;
  route->length_km = label(destination).length_km;
  return route;
}

const CandidateList& RoadNetwork::candidate_list(NodeIndex origin, double range_km) {
  CacheEntry& entry = cache_[static_cast<std::size_t>(origin)];
  if (entry.valid && entry.range_km == range_km) return entry.list;
  thread_local SearchResult result;
  search(origin, range_km, {}, result);
  // Candidates in node order, so that the split over them does not depend on search tie-breaking.
  thread_local std::vector<NodeIndex> reached;
  reached.clear();
  for (NodeIndex node : result.settled) {
    if (node != origin) reached.push_back(node);
  }
  std::sort(reached.begin(), reached.end());
  auto& list = entry.list;
  list.candidates.clear();
  list.candidates.reserve(reached.size());
  list.via.assign(reached.size(), -1);
  list.other_side_factors.clear();
  if (sides_) list.other_side_factors.reserve(reached.size());
  const auto label = [&](NodeIndex node) -> SearchResult::Label& { return result.of(rank_, node); };
  for (std::size_t k = 0; k < reached.size(); ++k) {
    auto& reached_label = label(reached[k]);
    reached_label.slot = static_cast<std::int32_t>(k);
    const double length = reached_label.length_km;
    Candidate candidate{reached[k], -1, length, 1.0};
    if (rules_) candidate.same_side_factor = rules_->route_factor(length, false, parameters_);
    if (sides_) list.other_side_factors.push_back(rules_ ? rules_->route_factor(length, true, parameters_) : 1.0);
    list.candidates.push_back(candidate);
  }
  for (std::size_t k = 0; k < reached.size(); ++k) {
    const auto& reached_label = label(reached[k]);
    const auto parent = reached_label.parent;
    list.candidates[k].parent = parent == origin ? -1 : label(parent).slot;
    list.via[k] = reached_label.via;
  }
  thread_local std::vector<std::pair<double, NodeIndex>> by_distance;
  by_distance.clear();
  for (const Candidate& c : list.candidates) by_distance.emplace_back(c.road_distance_km, c.node);
  std::sort(by_distance.begin(), by_distance.end());
  list.nearest_first.resize(reached.size());
  for (std::size_t k = 0; k < reached.size(); ++k) list.nearest_first[k] = by_distance[k].second;
  list.exact_below_days = result.first_cut_days;
  list.candidates.shrink_to_fit();
  list.via.shrink_to_fit();
  list.other_side_factors.shrink_to_fit();
  list.nearest_first.shrink_to_fit();
  entry.range_km = range_km;
  entry.valid = true;
  // Generations count up across all lists and networks, so that a remembered generation never matches another
  // list's by chance.
  static std::atomic<std::uint32_t> generations{0};
  list.generation = ++generations;
  if (list.generation == 0) list.generation = ++generations;
  return entry.list;
}

RoutePtr RoadNetwork::spell_out(const CandidateList& list, NodeIndex origin, std::size_t k) const {
  auto route = std::make_shared<Route>();
  std::size_t legs = 0;
  for (auto at = static_cast<std::int32_t>(k); at >= 0; at = list.candidates[static_cast<std::size_t>(at)].parent) {
    ++legs;
  }
  route->legs.reserve(legs);
  for (auto at = static_cast<std::int32_t>(k); at >= 0; at = list.candidates[static_cast<std::size_t>(at)].parent) {
    const auto slot = static_cast<std::size_t>(at);
    const auto parent = list.candidates[slot].parent;
    const CorridorIndex c = list.via[slot];
    route->legs.push_back(Leg{c, parent < 0 ? origin : list.candidates[static_cast<std::size_t>(parent)].node,
                              list.candidates[slot].node, corridor_travel_days_[static_cast<std::size_t>(c)]});
  }
  std::reverse(route->legs.begin(), route->legs.end());
  for (const auto& leg : route->legs) route->travel_days += leg.travel_days;
  route->length_km = list.candidates[k].road_distance_km;
  return route;
}

RoutePtr RoadNetwork::remember_candidate_route(NodeIndex origin, std::size_t k, std::uint64_t key) const {
  const CacheEntry& entry = cache_[static_cast<std::size_t>(origin)];
  if (candidate_routes_.empty()) {
    // A direct-mapped table (a slot per key, the newest route wins): a lookup is a multiply and a compare, where a
    // hash map's was most of the cost of a flow's route. Sized to the network, at most 2^18 slots as before.
    constexpr std::size_t max_remembered_routes = 1u << 18;
    const std::size_t wanted = std::min(max_remembered_routes, std::max<std::size_t>(1024, node_count() * 64));
    candidate_routes_.resize(std::bit_ceil(wanted));
    candidate_route_shift_ = 64 - std::countr_zero(candidate_routes_.size());
  }
  auto& remembered = candidate_routes_[(key * 0x9E3779B97F4A7C15ull) >> candidate_route_shift_];
  RoutePtr route = spell_out(entry.list, origin, k);
  remembered = {key, entry.list.generation, route};
  return route;
}

// Unbounded searches are the costly ones (they run until they reach their targets), and returns ask for the same
// (host, home) pairs every day: the answers are remembered until the network changes.
void RoadNetwork::refresh_routes() const {
  constexpr std::size_t max_remembered_routes = 1u << 20;
  if (routes_version_ != version_ || routes_.size() >= max_remembered_routes) {
    routes_.clear();
    routes_version_ = version_;
  }
}

// A destination among `from`'s cached candidates that its search reached before the range cut anything off (in
// strictly less time, and settled times never decrease) was found by exactly the steps an unbounded search takes
// up to it: same label, same parent, same route. Returns usually go that short way home.
RoutePtr RoadNetwork::route_from_candidates(NodeIndex from, NodeIndex to) const {
  const CacheEntry& entry = cache_[static_cast<std::size_t>(from)];
  if (!entry.valid || from == to) return nullptr;
  const std::int32_t k = entry.list.index_of(to);
  if (k < 0) return nullptr;
  RoutePtr found = candidate_route(from, static_cast<std::size_t>(k));
  return found->travel_days < entry.list.exact_below_days ? found : nullptr;
}

namespace {
std::uint64_t route_key(NodeIndex from, NodeIndex to) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(from)) << 32) | static_cast<std::uint32_t>(to);
}
}  // namespace

void RoadNetwork::find_routes(NodeIndex from, std::span<const NodeIndex> targets, std::span<RoutePtr> out) const {
  thread_local std::vector<NodeIndex> missing;
  missing.clear();
  const bool remembered = routes_version_ == version_;  // else route() clears them before answering again
  const CacheEntry& entry = cache_[static_cast<std::size_t>(from)];
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const NodeIndex to = targets[t];
    out[t] = nullptr;
    if (remembered) {
      if (auto it = routes_.find(route_key(from, to)); it != routes_.end()) {
        out[t] = it->second;
        continue;
      }
    }
    if (entry.valid && from != to) {  // as route_from_candidates(), without touching shared memory
      if (const std::int32_t k = entry.list.index_of(to); k >= 0) {
        RoutePtr found = spell_out(entry.list, from, static_cast<std::size_t>(k));
        if (found->travel_days < entry.list.exact_below_days) {
          out[t] = std::move(found);
          continue;
        }
      }
    }
    if (std::find(missing.begin(), missing.end(), to) == missing.end()) missing.push_back(to);
  }
  if (missing.empty()) return;
  // One search to the farthest of them: up to each target it is exactly that target's own search.
  thread_local SearchResult result;
  search(from, std::numeric_limits<double>::infinity(), missing, result);
  for (std::size_t t = 0; t < targets.size(); ++t) {
    if (out[t] || std::find(missing.begin(), missing.end(), targets[t]) == missing.end()) continue;
    const NodeIndex to = targets[t];
    if (std::find(result.settled.begin(), result.settled.end(), to) != result.settled.end()) {
      out[t] = settled_route(from, to, result);
    }
  }
}

void RoadNetwork::remember_routes(NodeIndex from, std::span<const NodeIndex> targets,
                                  std::span<const RoutePtr> routes) const {
  refresh_routes();
  for (std::size_t t = 0; t < targets.size(); ++t) routes_.emplace(route_key(from, targets[t]), routes[t]);
}

RoutePtr RoadNetwork::route(NodeIndex from, NodeIndex to) const {
  refresh_routes();
  const auto key = route_key(from, to);
  if (auto it = routes_.find(key); it != routes_.end()) return it->second;
  RoutePtr found = route_from_candidates(from, to);
  if (!found) {
    thread_local SearchResult result;
    const NodeIndex target[1] = {to};
    search(from, std::numeric_limits<double>::infinity(), target, result);
    if (!result.settled.empty() && result.settled.back() == to) {
      found = settled_route(from, to, result);
    }
  }
  routes_.emplace(key, found);
  return found;
}

void RoadNetwork::invalidate_reaching(NodeIndex a, NodeIndex b) {
  for (std::size_t origin = 0; origin < cache_.size(); ++origin) {
    auto& entry = cache_[origin];
    if (!entry.valid) continue;
    const auto o = static_cast<NodeIndex>(origin);
    if (o == a || o == b || entry.list.index_of(a) >= 0 || entry.list.index_of(b) >= 0) {
      entry.valid = false;
    }
  }
}

void RoadNetwork::adopt(const RoadNetwork& saved) {
  if (saved.sides_ != sides_ || saved.node_open_.size() != node_open_.size() ||
      saved.corridor_open_.size() != corridor_open_.size()) {
    throw std::logic_error("RoadNetwork::adopt: the saved network was built from another scenario's roads");
  }
  corridor_open_ = saved.corridor_open_;
  node_open_ = saved.node_open_;
  open_by_rank_ = saved.open_by_rank_;
  arcs_ = saved.arcs_;  // each arc carries its corridor's open flag
  cache_ = saved.cache_;
  version_ = saved.version_;
  searches_.store(saved.searches_.load());
  routes_ = saved.routes_;
  routes_version_ = saved.routes_version_;
  candidate_routes_ = saved.candidate_routes_;
  candidate_route_shift_ = saved.candidate_route_shift_;
}

std::size_t RoadNetwork::bytes() const {
  std::size_t bytes = sizeof(*this) + arcs_.capacity() * sizeof(CsrArc) + corridor_arcs_.size() * 48 +
                      node_open_.size() * 48 + corridor_open_.size() * 64;
  for (const auto& entry : cache_) {
    const CandidateList& list = entry.list;
    bytes += sizeof(entry) + list.candidates.capacity() * sizeof(Candidate) +
             list.via.capacity() * sizeof(CorridorIndex) + list.other_side_factors.capacity() * sizeof(double) +
             list.nearest_first.capacity() * sizeof(NodeIndex);
  }
  const auto route_bytes = [](const RoutePtr& route) {
    return route ? sizeof(Route) + 64 + route->legs.capacity() * sizeof(Leg) : 0;
  };
  for (const auto& [key, route] : routes_) bytes += 48 + route_bytes(route);
  for (const auto& remembered : candidate_routes_) bytes += sizeof(remembered) + route_bytes(remembered.route);
  return bytes;
}

void RoadNetwork::set_corridor_open(CorridorIndex corridor, bool open) {
  auto& flag = corridor_open_[static_cast<std::size_t>(corridor)];
  if ((flag != 0) == open) return;
  flag = open ? 1 : 0;
  for (const auto a : corridor_arcs_[static_cast<std::size_t>(corridor)]) arcs_[a].open = open;
  ++version_;
  const auto [from, to] = corridor_ends_[static_cast<std::size_t>(corridor)];
  invalidate_reaching(from, to);
}

void RoadNetwork::set_node_open(NodeIndex node, bool open) {
  auto& flag = node_open_[static_cast<std::size_t>(node)];
  if ((flag != 0) == open) return;
  flag = open ? 1 : 0;
  open_by_rank_[rank_[static_cast<std::size_t>(node)]] = flag;
  ++version_;
  // A search reaches a node's neighbours before the node itself, so searches that reached any of them may change.
  invalidate_reaching(node, node);
  for (const auto& [from, to] : corridor_ends_) {
    if (from == node || to == node) invalidate_reaching(from, to);
  }
}

}  // namespace haven
