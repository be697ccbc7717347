#pragma once
// Internal: what the parts of the engine (population ledger, threat field, event effects, deciding, transport,
// day recorder) share: index helpers, the day's phases on the event queue, the run's random draws and the event
// log. docs/architecture.md shows how a day flows through the parts.

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "haven/engine/observer.hpp"
#include "haven/engine/random.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven::engine {

inline Eigen::Index idx(std::size_t i) {
  return static_cast<Eigen::Index>(i);
}
inline Eigen::Index idx(NodeIndex i) {
  return static_cast<Eigen::Index>(i);
}
inline std::size_t at(NodeIndex i) {
  return static_cast<std::size_t>(i);
}

// The start of the day `time` falls in: std::floor(time), by truncation where that is floor (the engine's times are
// days since the start, never negative): one instruction where std::floor is a dozen on baseline x86-64.
inline double day_start(double time) {
  return time >= 0.0 && time < 0x1p62 ? static_cast<double>(static_cast<std::int64_t>(time)) : std::floor(time);
}

constexpr Count expected_units_per_person = 1'000'000;

// Event priorities at equal times: yesterday is recorded first, then scenario events end (captures last: the roads a
// capture's end reopens are those closed once the day's other ends are done, whatever the events' order in the
// file), then they start, then corridor queues release, then people decide, then travellers arrive.
enum Priority : int {
  priority_record = 0,
  priority_scenario_end = 1,
  priority_capture_end = 2,
  priority_scenario_start = 3,
  priority_release = 4,
  priority_decide = 5,
  priority_arrive = 6
};

struct EngineEvent {
  enum class Type : std::uint8_t { record_day, scenario_start, scenario_end, release_queues, decide, arrive };
  Type type = Type::decide;
  std::uint32_t index = 0;  // scenario event, or cohort
};

// Where the people of a pooled cohort come from: (home origin, weight) pairs. On arrival the cohort's people are
// shared out over the origins other than its destination, in proportion to the weights (docs/model.md).
struct OriginMix : std::vector<std::pair<NodeIndex, double>> {
  using std::vector<std::pair<NodeIndex, double>>::vector;

  // How share_out_pooled() shares a pooled mix out, kept with the mix from journey to journey: each home's weight
  // over the weights' total (max(weight, 0) / total; empty until the first journey, and when no weight is positive
  // and finite), and what each home is owed, in units (may be negative): its share of the people handed out so far,
  // less the people it got. Owing carried over is what lets a small home's fractions add up to people instead of
  // going to the largest home at every journey of a person or two. Changed only by the engine's thread (a mix is
  // shared out in transport and settling), and never for a mix in people.
  struct Carried {
    bool prepared = false;
    std::vector<double> quotients;
    std::vector<double> owed_units;
  };
  mutable Carried carried;
};

// A mix shared by the journeys of one node's movers, or a merged cohort's own, with its owners counted without
// atomic operations. A mix is copied and dropped by one thread at a time: deciding makes node i's mixes and copies
// them into node i's flows only (a node is decided by one thread), and the commit and transport, which hand them on
// to cohorts and drop them, run on the engine's thread alone. A std::shared_ptr counts atomically once the process
// has a second thread (haven serve, its bands, ensembles, -j runs): half a million copies and releases an Idlib run.
// g++ 12 follows two owners of one mix dropped in a row as if each could free it, and warns that the second uses
// a freed mix (-Wuse-after-free); the count lets only the last one free it.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif
class SharedMix {
 public:
  SharedMix() noexcept = default;
  explicit SharedMix(OriginMix mix) : block_(new Block{std::move(mix), 1}) {}
  SharedMix(const SharedMix& other) noexcept : block_(other.block_) {
    if (block_) ++block_->owners;
  }
  SharedMix(SharedMix&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  SharedMix& operator=(SharedMix other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~SharedMix() { reset(); }

  void reset() noexcept {
    Block* block = std::exchange(block_, nullptr);
    if (block && --block->owners == 0) delete block;
  }
  [[nodiscard]] const OriginMix* get() const noexcept { return block_ ? &block_->mix : nullptr; }
  [[nodiscard]] const OriginMix& operator*() const noexcept { return block_->mix; }
  [[nodiscard]] const OriginMix* operator->() const noexcept { return &block_->mix; }
  explicit operator bool() const noexcept { return block_ != nullptr; }
  // Whether this is the mix's only owner, which alone may change it in place (owned()).
  [[nodiscard]] bool sole() const noexcept { return block_ && block_->owners == 1; }
  [[nodiscard]] OriginMix& owned() noexcept {
    assert(sole());
    return block_->mix;
  }
  [[nodiscard]] std::uint32_t owners() const noexcept { return block_ ? block_->owners : 0; }

 private:
  struct Block {
    OriginMix mix;
    std::uint32_t owners;
  };
  Block* block_ = nullptr;
};
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif

// Copies of mixes for another run (a run's saved day, or a run resumed from one: Simulation::resume_from), shared
// among the copies as the originals were among their owners. A mix's carry changes as it is shared out, and its
// count is not atomic: two runs never share one.
class MixCopies {
 public:
  [[nodiscard]] SharedMix operator()(const SharedMix& mix) {
    if (!mix) return {};
    auto [it, first] = copies_.try_emplace(mix.get());
    if (first) it->second = SharedMix(OriginMix(*mix));
    return it->second;
  }

 private:
  std::unordered_map<const OriginMix*, SharedMix> copies_;
};

// Whether a road from `from` to `to` joins the two countries a country closure names (either way round): what
// Flee's two-way border closure closes, under either rule set.
inline bool joins_countries(const Scenario& s, NodeIndex from, NodeIndex to, const CountryClosure& closure) {
  const auto& a = s.nodes[at(from)].country;
  const auto& b = s.nodes[at(to)].country;
  return (a == closure.country_a && b == closure.country_b) || (a == closure.country_b && b == closure.country_a);
}

// The run's draws: stochastic (binomial, multinomial) or expected (rounded means, largest remainders), from
// streams keyed by (seed, run, purpose, entity, day), so that a draw depends on no thread or order.
struct Draws {
  std::uint64_t seed = 1;
  std::uint64_t run_index = 0;
  Mode mode = Mode::stochastic;

  [[nodiscard]] Count binomial(RandomStream& stream, Count n, double probability) const {
    return mode == Mode::stochastic ? sample_binomial(stream, n, probability) : expected_binomial(n, probability);
  }
  void multinomial(RandomStream& stream, Count n, std::span<const double> weights, std::span<Count> out) const {
    if (mode == Mode::stochastic) {
      sample_multinomial(stream, n, weights, out);
    } else {
      expected_multinomial(n, weights, out);
    }
  }
  // Where people go among a node's candidates: the multinomial, drawn person by person when they are few; in
  // expected mode in whole people (`units_per_person`), so that a split makes at most one part below a person,
  // not one micro-person part for every destination (docs/model.md).
  void destinations(RandomStream& stream, Count n, Count units_per_person, std::span<const double> weights,
                    std::span<Count> out) const {
    if (mode == Mode::stochastic) {
      sample_multinomial_by_person(stream, n, weights, out);
    } else {
      expected_multinomial_in_quanta(n, units_per_person, weights, out);
    }
  }
  [[nodiscard]] RandomStream stream(RandomPurpose purpose, std::uint64_t entity, int day) const {
    return RandomStream(StreamKey{seed, run_index, purpose, entity, static_cast<std::uint32_t>(day)});
  }
};

// Engine events worth telling the observers about (scenario events taking effect, stranded travellers, ...),
// stamped with the time the engine is at.
class EventLog {
 public:
  explicit EventLog(const std::vector<Observer*>& observers) : observers_(observers) {}
  void set_time(double now_days) noexcept { now_days_ = now_days; }
  [[nodiscard]] double time() const noexcept { return now_days_; }
  void operator()(std::string kind, const std::string& event_id, NodeIndex node, CorridorIndex corridor,
                  double value) const {
    EventRecord record{now_days_, std::move(kind), event_id, node, corridor, value};
    for (auto* o : observers_) o->on_event(record);
  }

 private:
  const std::vector<Observer*>& observers_;
  double now_days_ = 0.0;
};

}  // namespace haven::engine
