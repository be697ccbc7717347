#include "population.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace haven::engine {

const std::vector<double>& pooled_quotients(const OriginMix& mix) {
  OriginMix::Carried& carried = mix.carried;
  if (!carried.prepared) {
    // Once per mix: a node's movers of a group share one mix over their ~50 journeys.
    carried.prepared = true;
    double total = 0.0;
    bool finite = true;
    for (const auto& [home, weight] : mix) {
      finite = finite && std::isfinite(weight);
      total += std::max(weight, 0.0);
    }
    if (finite && total > 0.0 && std::isfinite(total)) {
      carried.quotients.resize(mix.size());
      for (std::size_t k = 0; k < mix.size(); ++k) carried.quotients[k] = std::max(mix[k].second, 0.0) / total;
      carried.owed_units.assign(mix.size(), 0.0);
    }
  }
  return carried.quotients;
}

void apportion_owed(std::span<const double> target_units, Count total, Count quantum, std::span<double> owed_units,
                    std::span<Count> parts) {
  const std::size_t slots = target_units.size();
  const double quanta_per_unit = 1.0 / static_cast<double>(quantum);
  Count left = total;
  std::size_t most = slots;  // the slot owed most after the whole quanta, first of equals
  double most_owed = 0.0;
  for (std::size_t k = 0; k < slots; ++k) {
    parts[k] = 0;
    const double target = target_units[k];
    if (!(target > 0.0)) continue;
    // Whole quanta of the target; their sum cannot pass `total` but for rounding, hence the min.
    const auto whole = std::min(static_cast<Count>(target * quanta_per_unit) * quantum, left);
    parts[k] = whole;
    left -= whole;
    const double owed_now = owed_units[k] + target - static_cast<double>(whole);
    owed_units[k] = owed_now;
    if (most == slots || owed_now > most_owed) {
      most = k;
      most_owed = owed_now;
    }
  }
  if (left == 0 || most == slots) return;
  // Less than a quantum per slot is left (each floor gave up less than one): a quantum each (the last piece
  // smaller) to the slots owed most, first of equals.
  const auto pieces = static_cast<std::size_t>((left + quantum - 1) / quantum);
  if (pieces == 1) {
    parts[most] += left;
    owed_units[most] -= static_cast<double>(left);
    return;
  }
  // The `pieces` slots owed most, ranked in one pass (a few pieces over a few slots: cheaper than sorting them
  // all); on the stack for a handful.
  constexpr std::size_t few = 64;
  std::array<std::size_t, few> top_few;
  thread_local std::vector<std::size_t> top_many;
  std::size_t* top = top_few.data();
  if (pieces > few) {
    top_many.resize(pieces);
    top = top_many.data();
  }
  const auto owed_more = [&owed_units](std::size_t a, std::size_t b) {
    return owed_units[a] > owed_units[b] || (owed_units[a] == owed_units[b] && a < b);
  };
  std::size_t ranked = 0;
  for (std::size_t k = 0; k < slots; ++k) {
    if (!(target_units[k] > 0.0)) continue;
    if (ranked == pieces) {
      if (!owed_more(k, top[ranked - 1])) continue;
      --ranked;
    }
    std::size_t at = ranked++;
    for (; at > 0 && owed_more(k, top[at - 1]); --at) top[at] = top[at - 1];
    top[at] = k;
  }
  // Rounding aside, there are fewer pieces than slots; were there more, the slots go round again.
  for (std::size_t r = 0; left > 0; r = (r + 1) % ranked) {
    const Count piece = std::min(quantum, left);
    parts[top[r]] += piece;
    owed_units[top[r]] -= static_cast<double>(piece);
    left -= piece;
  }
}

void share_out_pooled(const OriginMix& mix, NodeIndex destination, Count count, Count units_per_person,
                      std::span<Count> parts) {
  const std::size_t homes = mix.size();
  std::fill(parts.begin(), parts.end(), Count{0});
  if (homes == 0 || count <= 0) return;
  constexpr std::size_t few = 64;
  std::array<double, few> target_few;
  thread_local std::vector<double> target_many;
  if (homes > few) target_many.resize(homes);
  const std::span<double> target =
      homes <= few ? std::span<double>(target_few.data(), homes) : std::span<double>(target_many);
  std::fill(target.begin(), target.end(), 0.0);
  if (!add_pooled_shares(mix, destination, count, target, [](std::size_t k) { return k; })) {
    // No positive, finite weight (left): the general split, with nothing owed.
    thread_local std::vector<double> shares;
    shares.resize(homes);
    for (std::size_t k = 0; k < homes; ++k) {
      const double w = mix[k].second;
      shares[k] = mix[k].first == destination || !std::isfinite(w) ? 0.0 : std::max(w, 0.0);
    }
    expected_multinomial_in_quanta(count, units_per_person, shares, parts);
    return;
  }
  apportion_owed(target, count, std::max<Count>(units_per_person, 1), mix.carried.owed_units, parts);
}

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
  if (count == 0) return;  // nobody: no stay of 0 and no origin-destination pair of 0
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

std::size_t PopulationLedger::bytes() const {
  std::size_t bytes = sizeof(*this) + 2 * static_cast<std::size_t>(residents_.size()) * sizeof(Count);
  for (const auto& stays : stays_) bytes += sizeof(stays) + stays.capacity() * sizeof(Stay);
  bytes += 6 * left_home_by_node_.size() * sizeof(Count);
  bytes += od_dense_.capacity() * sizeof(Count) + od_present_.capacity() + od_.size() * 4 * sizeof(std::uint64_t);
  return bytes;
}

}  // namespace haven::engine
