#pragma once
// Internal: the population ledger. Who is where: residents at home and displaced people hosted at each node, by
// group, the hosted ones also by home origin (stays); and the tallies of who moved (departures, arrivals, returns
// today; people who left home, returned and the origin-destination totals since day 0). Every change of a stock
// goes through here, so that people are conserved in one place.

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine_common.hpp"

namespace haven::engine {

// Displaced people hosted at a node, by home origin and group.
struct Stay {
  NodeIndex origin = no_node;
  GroupIndex group = 0;
  Count count = 0;
  // Where the origin is among the host's candidates (-1: not one), valid while the host's candidate list is of
  // generation `home_generation` (0: not looked up yet). Looking it up every day was a third of deciding.
  std::uint32_t home_generation = 0;
  std::int32_t home_candidate = -1;
};

// A pooled mix's quotients, each home's max(weight, 0) over the weights' total, made on first use
// (OriginMix::carried); empty when no weight is positive and finite.
const std::vector<double>& pooled_quotients(const OriginMix& mix);

// Adds `count` units of a pooled mix, unrounded, to `units[slot_of(k)]` for each home k of the mix other than
// `destination`, in proportion to the weights. Returns false, having added nothing, when no positive, finite weight
// is left. Each loop runs without a branch (half a million journeys an Idlib run): a home left out, or of no
// weight, adds +0.0, which changes no sum of shares >= 0.
template <typename SlotOf>
bool add_pooled_shares(const OriginMix& mix, NodeIndex destination, Count count, std::span<double> units,
                       SlotOf&& slot_of) {
  const std::vector<double>& quotients = pooled_quotients(mix);
  if (quotients.empty()) return false;
  // The destination's own share, when it is one of the homes, is shared out over the others.
  double others = 0.0;
  for (std::size_t k = 0; k < mix.size(); ++k) others += mix[k].first != destination ? quotients[k] : 0.0;
  if (!(others > 0.0)) return false;
  const double units_per_share = static_cast<double>(count) / others;
  for (std::size_t k = 0; k < mix.size(); ++k) {
    units[slot_of(k)] += mix[k].first != destination ? quotients[k] * units_per_share : 0.0;
  }
  return true;
}

// Whole units summing to `total`, one part per slot, from each slot's unrounded target (the targets summing to
// `total` but for rounding): whole quanta of each target (a quantum is a person: 1 unit, or 10^6 in expected
// mode), then what is left a quantum each (the last piece smaller) to the slots owed most, first of equals. Each
// slot's `owed_units` gains its target and loses what it got, and is carried to the next call: over many calls
// each slot gets its targets' sum to within a few quanta, however small each target (docs/model.md, "Pooled
// split"). Slots without a positive target get nothing.
void apportion_owed(std::span<const double> target_units, Count total, Count quantum, std::span<double> owed_units,
                    std::span<Count> parts);

// A pooled journey's people shared out over its homes other than `destination`: apportion_owed() over its
// proportional shares (add_pooled_shares()), with what each home is owed kept in the mix (its journeys share
// it). With no positive, finite weight left, the general split decides (expected_multinomial_in_quanta()).
void share_out_pooled(const OriginMix& mix, NodeIndex destination, Count count, Count units_per_person,
                      std::span<Count> parts);

// Hands the people of a journey's end by home to add(home, people), exactly: whole units summing to `count`. Their
// home is `origin`, or the homes in `mix`: people by home when `mix_in_people` (merged cohorts), else pooled movers'
// shares, shared out over the homes other than `destination` (never their own home) with what each home is owed
// carried from journey to journey of the mix (share_out_pooled(), docs/model.md). Settling and merging share people
// out alike through here.
template <typename Add>
void for_each_home_part(NodeIndex origin, const OriginMix* mix, bool mix_in_people, NodeIndex destination, Count count,
                        Count units_per_person, Add&& add) {
  if (!mix) {
    add(origin, count);
    return;
  }
  if (mix_in_people) {
    for (const auto& [home, people] : *mix) add(home, static_cast<Count>(people));
    return;
  }
  // On the stack for the usual handful of homes (half a million calls an Idlib run).
  constexpr std::size_t few_homes = 64;
  std::array<Count, few_homes> few;
  thread_local std::vector<Count> many;
  if (mix->size() > few_homes) many.resize(mix->size());
  const std::span<Count> parts =
      mix->size() <= few_homes ? std::span<Count>(few.data(), mix->size()) : std::span<Count>(many);
  share_out_pooled(*mix, destination, count, units_per_person, parts);
  for (std::size_t k = 0; k < mix->size(); ++k) {
    if (parts[k] > 0) add((*mix)[k].first, parts[k]);
  }
}

class PopulationLedger {
 public:
  // The scenario's people at day 0, in units (1 per person, or 10^6 in expected mode).
  PopulationLedger(const Scenario& scenario, Count units_per_person);

  [[nodiscard]] const CountMatrix& residents() const noexcept { return residents_; }
  [[nodiscard]] const CountMatrix& displaced() const noexcept { return displaced_; }
  [[nodiscard]] Count residents_at(std::size_t node) const { return residents_.row(idx(node)).sum(); }
  [[nodiscard]] Count displaced_at(std::size_t node) const { return displaced_.row(idx(node)).sum(); }
  // Stays are sorted by (origin, group). Deciding may update a stay's cached candidate index, nothing else.
  [[nodiscard]] std::vector<Stay>& stays(std::size_t node) { return stays_[node]; }
  [[nodiscard]] const std::vector<Stay>& stays(std::size_t node) const { return stays_[node]; }
  [[nodiscard]] Count initial_total() const noexcept { return initial_total_; }

  // `count` residents of `group` leave their home `node` today.
  void leave_home(std::size_t node, std::size_t group, Count count);
  // `count` people of stay `stay` at `node` set off today (moving on or going home); the emptied stays stay in
  // place, so that the day's other stay indices hold, until remove_empty_stays().
  void take_from_stay(std::size_t node, std::uint32_t stay, Count count);
  // People already taken from their stays set off from `node` (counted as departures).
  void count_departure(std::size_t node, Count count) { departures_[idx(node)] += count; }
  void remove_empty_stays(std::size_t node);

  // `count` people of `group` end a journey at `node`. Their home is `origin`, or the homes in `mix` shared out in
  // proportion, exactly: over every home when `mix_in_people` (merged cohorts), else over the homes other than
  // `destination` (pooled movers, docs/model.md).
  void settle(NodeIndex node, GroupIndex group, NodeIndex origin, const OriginMix* mix, bool mix_in_people,
              NodeIndex destination, Count count);
  // `count` people of `group` whose home is `origin` end a journey at `node` (settle() without a mix).
  void settle_home(NodeIndex node, GroupIndex group, NodeIndex origin, Count count) {
    settle_part(node, group, origin, count);
  }

  // Today's tallies, zeroed after each record.
  [[nodiscard]] const CountVector& departures() const noexcept { return departures_; }
  [[nodiscard]] const CountVector& arrivals() const noexcept { return arrivals_; }
  [[nodiscard]] const CountVector& returns() const noexcept { return returns_; }
  [[nodiscard]] Count left_home_today() const noexcept { return left_home_today_; }
  void zero_daily();

  // Since day 0.
  [[nodiscard]] Count cumulative_displaced() const noexcept { return cumulative_displaced_; }
  [[nodiscard]] Count returned() const noexcept { return returned_; }
  [[nodiscard]] const std::vector<Count>& left_home_by_node() const noexcept { return left_home_by_node_; }
  // People of `node` away from home now (left since day 0 and not back; on the road, waiting or hosted).
  [[nodiscard]] Count away_from_home(std::size_t node) const {
    return left_home_by_node_[node] - returned_by_node_[node];
  }
  [[nodiscard]] const std::vector<Count>& displaced_arrivals_by_node() const noexcept {
    return displaced_arrivals_by_node_;
  }
  // Cumulative arrivals by home origin and destination, sorted by origin then destination.
  [[nodiscard]] std::vector<OriginDestination> origin_destination() const;
  // About how many bytes the ledger holds (an estimate: a run's saved day is bounded by it).
  [[nodiscard]] std::size_t bytes() const;

 private:
  // `count` people of `group` whose home is `origin` end up at `node`: at home again, or hosted there.
  void settle_part(NodeIndex node, GroupIndex group, NodeIndex origin, Count count);
  static std::uint64_t od_key(NodeIndex origin, NodeIndex destination) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(origin)) << 32) |
           static_cast<std::uint32_t>(destination);
  }

  Count units_per_person_;  // pooled cohorts are shared out over homes in whole people
  CountMatrix residents_;
  CountMatrix displaced_;
  std::vector<std::vector<Stay>> stays_;
  Count initial_total_ = 0;
  CountVector departures_, arrivals_, returns_;
  Count left_home_today_ = 0;
  Count cumulative_displaced_ = 0;
  Count returned_ = 0;
  std::vector<Count> left_home_by_node_;
  std::vector<Count> returned_by_node_;
  std::vector<Count> displaced_arrivals_by_node_;
  // Origin-destination totals (every settlement adds to one): on networks of up to od_dense_max_nodes nodes a
  // dense origin x destination table, with a flag for the pairs ever added to; on larger ones a hash map keyed
  // by od_key(). Either is sorted by origin then destination at the end.
  static constexpr std::size_t od_dense_max_nodes = 512;
  std::size_t od_nodes_ = 0;  // the dense table's side (0: the hash map is used)
  std::vector<Count> od_dense_;
  std::vector<std::uint8_t> od_present_;
  std::unordered_map<std::uint64_t, Count> od_;
};

}  // namespace haven::engine
