#pragma once
// Internal: transport along corridors. Cohorts of people travelling together, leg by leg, along their route;
// corridors with a daily capacity and the queues at their entrances; re-routing round what closed since people
// set off. Arrivals are events on the engine's queue; people who reach the end of their journey are handed to the
// population ledger. People heading the same way at the same time travel as one cohort (merged, their homes kept
// in proportion), so that the number of cohorts is bounded by the network and the days, not by the people
// (docs/architecture.md, "Transport").

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include "engine_common.hpp"
#include "haven/engine/event_queue.hpp"
#include "haven/engine/network.hpp"
#include "population.hpp"

namespace haven::engine {

// People of one group travelling together to `destination`. Their home is `origin` or, for displaced people
// moving on together from one node (and for merged cohorts), the shares in `mix`.
struct Cohort {
  Count count = 0;
  GroupIndex group = 0;
  NodeIndex origin = no_node;  // home; no_node for people displaced before day 0 (or when `mix` is set)
  NodeIndex destination = no_node;
  RoutePtr route;
  std::uint32_t leg = 0;  // index of the corridor being travelled or waited for
  SharedMix mix;
  // Set by transport when cohorts merge or split at a full corridor: the mix is the people by home, exactly (whole
  // units summing to `count`; returners included). Otherwise a mix is pooled movers' shares, shared out over the
  // homes other than `destination`.
  bool mix_in_people = false;
  // Transport's bookkeeping.
  bool placed = false;              // on a corridor, in a queue, or to be played out after the decisions
  CorridorIndex queued_at = -1;     // the corridor whose queue it joined on `queued_day` (-1: not waiting)
  std::int32_t queued_day = 0;      // FIFO: only people who joined a queue on the same day merge there
  std::uint32_t mix_compacted = 0;  // the mix's size when its repeated homes were last combined
};

class Transport {
 public:
  // On networks of up to `dense_cells_max_nodes` nodes, the people by home of the journeys that end today are
  // counted in a table per node and group; the pooled journeys' shares are rounded there together (those played
  // out after the decisions, then the others at the day's end), with what each home is owed carried from day to
  // day, where the list larger networks keep rounds each journey with its mix's carry (the same people in sum, each
  // home's within a person or two).
  static constexpr std::size_t default_dense_cells_max_nodes = 512;
  Transport(const Scenario& scenario, Count units_per_person, const RoadNetwork& network, PopulationLedger& ledger,
            EventQueue<EngineEvent>& queue, const EventLog& log,
            std::size_t dense_cells_max_nodes = default_dense_cells_max_nodes);

  // While deciding (between begin_decisions() and end_decisions()), journeys that end today without a capped or
  // closed corridor wait for end_decisions() to be played out: settling them at once would move the stays that
  // later nodes' flows refer to.
  void begin_decisions() noexcept { deciding_ = true; }
  void end_decisions();

  // People set off now (the log's time) along `cohort.route`.
  void launch(Cohort cohort);
  // Called before a detour is searched for (the network's route(), which reads and writes its caches): the
  // simulation waits there for the nodes still deciding (Decider::wait_for_decisions()), which use those caches.
  void set_before_detour(std::function<void()> wait) { before_detour_ = std::move(wait); }
  // A new day's capacity for the capped corridors; their queues enter, first come, first served.
  void release_queues();
  // Cohort `slot` reaches the end of its leg now, and enters the next one or settles.
  void arrive(std::uint32_t slot);
  // The pooled journeys that settled on their own since the last call, rounded to people by home once per node
  // and group, into the ledger (on networks of up to `dense_cells_max_nodes` nodes; settle_pooled_in_cell()).
  // Before anything reads the stays: the day's decisions and its record.
  void settle_day();

  // Takes `saved`'s people on the roads and in the queues, and its counts (a run resumed from a saved day:
  // Simulation::resume_from); `saved` served a scenario with the same nodes, corridors and groups. Mixes are copied.
  void adopt(const Transport& saved);
  // About how many bytes the cohorts, their mixes and the tables hold (an estimate; a mix shared by cohorts is
  // counted for each).
  [[nodiscard]] std::size_t bytes() const;

  // People heading for each node (in transit or waiting): part of its occupancy.
  [[nodiscard]] const std::vector<Count>& incoming() const noexcept { return incoming_; }
  [[nodiscard]] const CountVector& in_transit() const noexcept { return in_transit_; }
  // People who entered each corridor today; zeroed after each record.
  [[nodiscard]] const CountVector& corridor_inflow() const noexcept { return corridor_inflow_; }
  void zero_daily() { corridor_inflow_.setZero(corridor_inflow_.size()); }
  [[nodiscard]] const std::vector<Count>& waiting_by_node() const noexcept { return waiting_by_node_; }
  [[nodiscard]] const Cohort& cohort(std::uint32_t slot) const { return cohorts_[slot]; }

  // Work done (deterministic): cohorts created (launched or split at a full corridor, and not merged into another
  // at once), journeys that reached their destination without an arrival event there (played out at once, or at
  // the end of a day's travel), cohorts that waited at a full corridor, cohorts merged into one heading the same
  // way, and the most cohorts alive at once (the bound of docs/architecture.md).
  [[nodiscard]] std::uint64_t cohorts_created() const noexcept { return cohorts_created_; }
  [[nodiscard]] std::uint64_t journeys_played_out() const noexcept { return journeys_played_out_; }
  [[nodiscard]] std::uint64_t cohorts_queued() const noexcept { return cohorts_queued_; }
  [[nodiscard]] std::uint64_t cohorts_merged() const noexcept { return cohorts_merged_; }
  [[nodiscard]] std::uint64_t cohorts_alive() const noexcept { return cohorts_.size() - free_cohorts_.size(); }
  [[nodiscard]] std::uint64_t cohorts_alive_peak() const noexcept { return cohorts_alive_peak_; }

 private:
  // What people waiting as one cohort share: the corridor they wait for and its far end, destination, group, and
  // the day they joined its queue.
  struct Key {
    CorridorIndex corridor = -1;
    NodeIndex to = no_node;
    NodeIndex destination = no_node;
    GroupIndex group = 0;
    std::int32_t day = 0;
    double time = 0.0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  using CohortIndex = std::unordered_map<Key, std::uint32_t, KeyHash>;

  std::uint32_t store(Cohort cohort);
  void release(std::uint32_t slot);
  // Releases a cohort merged into another; one never placed anywhere was never a cohort of its own.
  void drop(std::uint32_t slot);
  // `from`'s people join `into` (the same key): one cohort, the homes of both kept exactly.
  void absorb(Cohort& into, const Cohort& from);
  void split_homes(Cohort& entering, Cohort& rest, Count entering_count);
  // The played-out cell (destination x group) of a journey that ends today.
  [[nodiscard]] std::size_t played_out_cell(const Cohort& cohort) const {
    return at(cohort.destination) * s_.groups.size() + static_cast<std::size_t>(cohort.group);
  }
  // Played-out cells on small networks (cell_homes_).
  [[nodiscard]] std::size_t home_slot(NodeIndex home) const { return home == no_node ? s_.nodes.size() : at(home); }
  struct CellHomes;
  // The cell's table, made on first use, to count people in.
  CellHomes& open_cell(std::size_t cell);
  // A pooled cohort's homes' unrounded shares added to `units_by_slot` (add_pooled_shares()); false, having added
  // nothing, when no positive weight is left.
  bool add_to_cell(const Cohort& cohort, std::vector<double>& units_by_slot) const;
  void absorb_into_cell(std::size_t cell, Cohort& into, const Cohort& from);
  void settle_cell(std::uint32_t slot, std::size_t cell);
  // The cell's people by home into the ledger at `node`, its pooled shares rounded first; the table is cleared.
  void settle_homes(CellHomes& homes, NodeIndex node, GroupIndex group);
  [[nodiscard]] Key queue_key(const Cohort& cohort) const;
  void advance(std::uint32_t slot);
  bool travel(std::uint32_t slot, double time);
  void join(std::uint32_t into, std::uint32_t entered_leg, std::uint32_t from);
  [[nodiscard]] double speed_factor(const Cohort& cohort) const {
    return s_.groups[static_cast<std::size_t>(cohort.group)].speed_factor;
  }
  void enqueue(std::uint32_t slot);
  [[nodiscard]] bool completes_today(const Cohort& cohort, double time) const;
  void play_out(std::uint32_t slot);
  void enter_remaining_legs(const Cohort& cohort);
  [[nodiscard]] bool enters_freely(const Leg& leg) const;
  void settle(std::uint32_t slot, NodeIndex node);
  bool settle_pooled_in_cell(const Cohort& cohort, NodeIndex node);
  [[nodiscard]] double people(Count units) const { return static_cast<double>(units) / static_cast<double>(units_); }

  const Scenario& s_;
  Count units_;
  const RoadNetwork& network_;
  PopulationLedger& ledger_;
  EventQueue<EngineEvent>& queue_;
  const EventLog& log_;
  std::vector<Cohort> cohorts_;
  std::vector<std::uint32_t> free_cohorts_;
  std::function<void()> before_detour_;
  bool deciding_ = false;
  bool releasing_ = false;
  std::vector<std::uint32_t>
      played_out_later_;  // today's arrivals of journeys launched today, by destination and group
  // The cohorts that entered each corridor at its latest entry time (as the first leg of their day's travel: one
  // event for several legs, see travel()), with what a merge compares side by side.
  struct OnCorridor {
    double arrival_time = 0.0;
    NodeIndex destination = no_node;
    NodeIndex to = no_node;
    GroupIndex group = 0;
    std::uint32_t slot = 0;
    std::uint32_t leg = 0;  // the leg of its route it entered then (it may be further on by now)
  };
  struct EnteredLast {
    double time = -1.0;
    std::vector<OnCorridor> cohorts;
  };
  std::vector<EnteredLast> entered_last_;
  CohortIndex waiting_;  // the cohort of each key waiting at a corridor
  static constexpr std::uint32_t no_cohort = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> played_out_today_;  // by destination x group: the cohort played out after decisions
  // On small networks, the people by home (no_node last) of each played-out cohort that others joined, and of the
  // pooled journeys that settle on their own today: a table per node x group, kept from day to day (at most
  // nodes^2 x groups counts), where a list of (home, people) would grow with every journey and be sorted again and
  // again. Pooled movers' journeys add their homes' unrounded shares (`pooled_units`), rounded to people once, when
  // the cell settles (after the decisions, or at the day's end), with what each home is owed carried from day to
  // day (`owed_units`; apportion_owed()).
  // A cell is settled by a scan of its slots (nodes + 1): cheaper on these networks than listing the homes each
  // journey touches, which was a tenth of a run.
  struct CellHomes {
    bool in_use = false;               // a played-out cohort's people are counted here
    bool settling = false;             // listed in settling_today_, to settle at settle_day()
    std::vector<Count> people;         // by home slot
    std::vector<double> pooled_units;  // by home slot: pooled journeys' shares today, unrounded
    std::vector<double> owed_units;    // by home slot, kept from day to day
    Count pooled = 0;                  // the pooled journeys' people today
  };
  std::vector<CellHomes> cell_homes_;        // empty on larger networks
  std::vector<std::size_t> settling_today_;  // cells with pooled journeys settled on their own today (settle_day())
  std::vector<Count> incoming_;
  std::vector<Count> budget_;                       // who may still enter each capped corridor today
  std::vector<std::vector<std::uint32_t>> queues_;  // cohorts waiting at each corridor's entrance, in order
  std::vector<std::size_t> capped_;                 // corridors with a daily capacity, in index order
  std::vector<Count> waiting_by_node_;
  CountVector corridor_inflow_, in_transit_;
  std::uint64_t cohorts_created_ = 0;
  std::uint64_t journeys_played_out_ = 0;
  std::uint64_t cohorts_queued_ = 0;
  std::uint64_t cohorts_merged_ = 0;
  std::uint64_t cohorts_alive_peak_ = 0;
};

}  // namespace haven::engine
