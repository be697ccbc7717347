#include "population.hpp"

#include <algorithm>

namespace haven::engine {

PopulationLedger::PopulationLedger(const Scenario& scenario, Count units_per_person)
    : units_per_person_(units_per_person) {
  const auto n = scenario.nodes.size();
  const auto g = scenario.groups.size();
  residents_ = CountMatrix::Zero(idx(n), idx(g));
  displaced_ = CountMatrix::Zero(idx(n), idx(g));
  stays_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < g; ++k) {
      residents_(idx(i), idx(k)) = scenario.nodes[i].residents_by_group[k] * units_per_person;
      const Count hosted = scenario.nodes[i].displaced_by_group[k] * units_per_person;
      if (hosted > 0) {
        stays_[i].push_back(Stay{no_node, static_cast<GroupIndex>(k), hosted, 0, -1});
        displaced_(idx(i), idx(k)) = hosted;
      }
    }
    initial_total_ += residents_.row(idx(i)).sum() + displaced_.row(idx(i)).sum();
  }
  if (n <= od_dense_max_nodes) {
    od_nodes_ = n;
    od_dense_.assign(n * n, 0);
    od_present_.assign(n * n, 0);
  }
  left_home_by_node_.assign(n, 0);
  returned_by_node_.assign(n, 0);
  displaced_arrivals_by_node_.assign(n, 0);
  zero_daily();
}

void PopulationLedger::zero_daily() {
  const auto n = residents_.rows();
  // Zeroed in place: the sizes never change, so a day need not allocate them again.
  departures_.setZero(n);
  arrivals_.setZero(n);
  returns_.setZero(n);
  left_home_today_ = 0;
}

void PopulationLedger::leave_home(std::size_t node, std::size_t group, Count count) {
  residents_(idx(node), idx(group)) -= count;
  departures_[idx(node)] += count;
  left_home_today_ += count;
  cumulative_displaced_ += count;
  left_home_by_node_[node] += count;
}

void PopulationLedger::take_from_stay(std::size_t node, std::uint32_t stay, Count count) {
  Stay& s = stays_[node][stay];
  s.count -= count;
  displaced_(idx(node), idx(static_cast<std::size_t>(s.group))) -= count;
}

void PopulationLedger::remove_empty_stays(std::size_t node) {
  std::erase_if(stays_[node], [](const Stay& stay) { return stay.count == 0; });
}

void PopulationLedger::settle(NodeIndex node, GroupIndex group, NodeIndex origin, const OriginMix* mix,
                              bool mix_in_people, NodeIndex destination, Count count) {
  for_each_home_part(origin, mix, mix_in_people, destination, count, units_per_person_,
                     [&](NodeIndex home, Count people) { settle_part(node, group, home, people); });
}

void PopulationLedger::settle_part(NodeIndex node, GroupIndex group, NodeIndex origin, Count count) {
  const auto i = at(node);
  const auto g = static_cast<std::size_t>(group);
  if (node == origin) {
    residents_(idx(i), idx(g)) += count;
    returns_[idx(i)] += count;
    returned_ += count;
    returned_by_node_[i] += count;
    return;
  }
  displaced_(idx(i), idx(g)) += count;
  arrivals_[idx(i)] += count;  // arrivals are people arriving as displaced; people back home are returns
  displaced_arrivals_by_node_[i] += count;
  // Stays are kept sorted by (origin, group): arrivals find theirs by binary search.
  auto& stays = stays_[i];
  auto it = std::lower_bound(
      stays.begin(), stays.end(), std::pair(origin, group),
      [](const Stay& s, const std::pair<NodeIndex, GroupIndex>& key) { return std::pair(s.origin, s.group) < key; });
  if (it == stays.end() || it->origin != origin || it->group != group) {
    stays.insert(it, Stay{origin, group, count, 0, -1});
  } else {
    it->count += count;
  }
  if (origin == no_node) return;
  if (od_nodes_ > 0) {
    const auto cell = at(origin) * od_nodes_ + i;
    od_dense_[cell] += count;
    od_present_[cell] = 1;
  } else {
    od_[od_key(origin, node)] += count;
  }
}

std::vector<OriginDestination> PopulationLedger::origin_destination() const {
  std::vector<OriginDestination> totals;
  if (od_nodes_ > 0) {
    // Already in origin then destination order.
    for (std::size_t cell = 0; cell < od_dense_.size(); ++cell) {
      if (!od_present_[cell]) continue;
      totals.push_back(
          {static_cast<NodeIndex>(cell / od_nodes_), static_cast<NodeIndex>(cell % od_nodes_), od_dense_[cell]});
    }
    return totals;
  }
  totals.reserve(od_.size());
  for (const auto& [key, count] : od_) {
    totals.push_back({static_cast<NodeIndex>(key >> 32), static_cast<NodeIndex>(key & 0xffffffffu), count});
  }
  std::sort(totals.begin(), totals.end(), [](const auto& a, const auto& b) {
    return a.origin < b.origin || (a.origin == b.origin && a.destination < b.destination);
  });
  return totals;
}

}  // namespace haven::engine
