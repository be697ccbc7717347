#pragma once
// Internal: transport along corridors. Cohorts of people travelling together, leg by leg, along their route;
// corridors with a daily capacity and the queues at their entrances; re-routing round what closed since people
// set off. Arrivals are events on the engine's queue; people who reach the end of their journey are handed to the
// population ledger.

#include <cstdint>
#include <memory>
#include <vector>

#include "engine_common.hpp"
#include "haven/engine/event_queue.hpp"
#include "haven/engine/network.hpp"
#include "population.hpp"

namespace haven::engine {

// People of one group travelling together to `destination`. Their home is `origin` or, for displaced people
// moving on together from one node, the shares in `mix`.
struct Cohort {
  Count count = 0;
  GroupIndex group = 0;
  NodeIndex origin = no_node;  // home; no_node for people displaced before day 0 (or when `mix` is set)
  NodeIndex destination = no_node;
  RoutePtr route;
  std::uint32_t leg = 0;  // index of the corridor being travelled or waited for
  std::shared_ptr<const OriginMix> mix;
};

class Transport {
 public:
  Transport(const Scenario& scenario, Count units_per_person, const RoadNetwork& network, PopulationLedger& ledger,
            EventQueue<EngineEvent>& queue, const EventLog& log);

  // While deciding (between begin_decisions() and end_decisions()), journeys that end today without a capped or
  // closed corridor wait for end_decisions() to be played out: settling them at once would move the stays that
  // later nodes' flows refer to.
  void begin_decisions() noexcept { deciding_ = true; }
  void end_decisions();

  // People set off now (the log's time) along `cohort.route`.
  void launch(Cohort cohort);
  // A new day's capacity for the capped corridors; their queues enter, first come, first served.
  void release_queues();
  // Cohort `slot` reaches the end of its leg now, and enters the next one or settles.
  void arrive(std::uint32_t slot);

  // People heading for each node (in transit or waiting): part of its occupancy.
  [[nodiscard]] const std::vector<Count>& incoming() const noexcept { return incoming_; }
  [[nodiscard]] const CountVector& in_transit() const noexcept { return in_transit_; }
  // People who entered each corridor today; zeroed after each record.
  [[nodiscard]] const CountVector& corridor_inflow() const noexcept { return corridor_inflow_; }
  void zero_daily() { corridor_inflow_.setZero(corridor_inflow_.size()); }
  [[nodiscard]] const std::vector<Count>& waiting_by_node() const noexcept { return waiting_by_node_; }
  [[nodiscard]] const Cohort& cohort(std::uint32_t slot) const { return cohorts_[slot]; }

  // Work done (deterministic): cohorts stored (launched or split at a full corridor), journeys played out without
  // queued arrivals, cohorts that waited at a full corridor.
  [[nodiscard]] std::uint64_t cohorts_created() const noexcept { return cohorts_created_; }
  [[nodiscard]] std::uint64_t journeys_played_out() const noexcept { return journeys_played_out_; }
  [[nodiscard]] std::uint64_t cohorts_queued() const noexcept { return cohorts_queued_; }

 private:
  std::uint32_t store(Cohort cohort);
  void release(std::uint32_t slot);
  void advance(std::uint32_t slot);
  void enqueue(std::uint32_t slot);
  [[nodiscard]] bool completes_today(const Cohort& cohort, double time) const;
  void play_out(std::uint32_t slot);
  [[nodiscard]] bool enters_freely(const Leg& leg) const;
  void settle(std::uint32_t slot, NodeIndex node);
  [[nodiscard]] double people(Count units) const { return static_cast<double>(units) / static_cast<double>(units_); }

  const Scenario& s_;
  Count units_;
  const RoadNetwork& network_;
  PopulationLedger& ledger_;
  EventQueue<EngineEvent>& queue_;
  const EventLog& log_;
  std::vector<Cohort> cohorts_;
  std::vector<std::uint32_t> free_cohorts_;
  bool deciding_ = false;
  std::vector<std::uint32_t> played_out_later_;  // cohorts launched today whose whole journey ends today
  std::vector<Count> incoming_;
  std::vector<Count> budget_;                       // who may still enter each capped corridor today
  std::vector<std::vector<std::uint32_t>> queues_;  // cohorts waiting at each corridor's entrance, in order
  std::vector<std::size_t> capped_;                 // corridors with a daily capacity, in index order
  std::vector<Count> waiting_by_node_;
  CountVector corridor_inflow_, in_transit_;
  std::uint64_t cohorts_created_ = 0;
  std::uint64_t journeys_played_out_ = 0;
  std::uint64_t cohorts_queued_ = 0;
};

}  // namespace haven::engine
