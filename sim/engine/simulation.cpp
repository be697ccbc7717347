#include "haven/engine/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <typeinfo>
#include <vector>

#include "day_recorder.hpp"
#include "deciding.hpp"
#include "engine_common.hpp"
#include "flee_step.hpp"
#include "given_departures.hpp"
#include "haven/engine/event_queue.hpp"
#include "haven/engine/network.hpp"
#include "population.hpp"
#include "scenario_events.hpp"
#include "threat_field.hpp"
#include "transport.hpp"

namespace haven {

const char* to_string(Mode mode) noexcept {
  return mode == Mode::stochastic ? "stochastic" : "expected";
}

using namespace engine;

// The day loop: the event queue and the order of a day's phases, the commit of the day's decisions and
// evacuations. Each part holds its own state (docs/architecture.md, "The engine").
class Simulation::Impl {
 public:
  Impl(const Scenario& scenario, RunConfig config, std::shared_ptr<const RuleSet> rules)
      : s_(scenario),
        config_(std::move(config)),
        rules_(rules ? std::move(rules) : std::make_shared<DefaultRules>()),
        network_(scenario, scenario.parameters, rules_.get()),
        units_(config_.mode == Mode::expected ? expected_units_per_person : 1),
        days_(std::min(config_.days.value_or(scenario.days), scenario.days)),
        log_(observers_),
        ledger_(scenario, units_),
        threat_(scenario, *rules_),
        events_(scenario, network_, threat_, log_),
        transport_(scenario, units_, network_, ledger_, queue_, log_),
        decider_(scenario, *rules_, Draws{config_.seed, config_.run_index, config_.mode}, units_, config_.threads,
                 config_.split_small_networks),
        given_(scenario, units_, Draws{config_.seed, config_.run_index, config_.mode}),
        recorder_(ledger_, transport_, threat_, events_, observers_, units_) {
    transport_.set_before_detour([this] { decider_.wait_for_decisions(); });
  }

  void add_observer(Observer& observer) { observers_.push_back(&observer); }
  [[nodiscard]] Count units() const noexcept { return units_; }

  bool resume_from(const SimulationCheckpoint& saved);
  // About how many bytes the run's state holds: the ledger, transport and network, and each node's share of the
  // other parts (an estimate).
  [[nodiscard]] std::size_t bytes() const {
    return sizeof(*this) + ledger_.bytes() + transport_.bytes() + network_.bytes() + s_.nodes.size() * 256;
  }

  // Takes the state of `saved`, a run at the start of `day` of a scenario that agrees with this one before it: every
  // part's, the queued days, arrivals and queue releases, and this scenario's events from `day` on.
  void adopt(const Impl& saved, int day) {
    network_.adopt(saved.network_);
    ledger_ = saved.ledger_;
    threat_.adopt(saved.threat_);
    events_.adopt(saved.events_);
    transport_.adopt(saved.transport_);
    decider_.adopt(saved.decider_);
    given_.adopt(saved.given_);
    given_leaving_ = saved.given_leaving_;
    kept_ = saved.kept_;
    recorder_.adopt(saved.recorder_);
    summary_ = saved.summary_;
    searches_before_ = saved.searches_before_;
    queue_ = saved.queue_;
    queue_.keep_only([](const EngineEvent& ev) {
      return ev.type != EngineEvent::Type::scenario_start && ev.type != EngineEvent::Type::scenario_end;
    });
    queue_scenario_events(day);
    start_day_ = day;
    log_.set_time(static_cast<double>(day));
  }

  RunSummary run() {
    // Flee's rules have a day step of their own; they give the observers the same series (sim/engine/flee_step.hpp).
    if (s_.rules == RuleSetKind::flee) return run_flee(s_, config_, observers_);
    RunInfo info{&s_, config_.seed, config_.run_index, config_.mode, days_, units_};
    for (auto* o : observers_) o->on_start(info);
    if (start_day_ == 0) {  // else resumed: all this came with the saved state
      summary_.days = days_;
      summary_.initial_population = people(ledger_.initial_total());
      searches_before_ = network_.searches();
      queue_scenario_events(std::numeric_limits<int>::min());
      for (int day = 0; day < days_; ++day) {
        queue_.push(day, priority_release, {EngineEvent::Type::release_queues, 0});
        queue_.push(day, priority_decide, {EngineEvent::Type::decide, 0});
        queue_.push(day + 1, priority_record, {EngineEvent::Type::record_day, static_cast<std::uint32_t>(day)});
      }
    }
    // Travellers still on the road at the end stay in transit; nothing after the last record runs.
    while (auto entry = queue_.pop()) {
      ++summary_.events_processed;
      log_.set_time(entry->time);
      const auto& ev = entry->payload;
      switch (ev.type) {
        case EngineEvent::Type::scenario_start:
          events_.apply(ev.index, true);
          break;
        case EngineEvent::Type::scenario_end:
          events_.apply(ev.index, false);
          break;
        case EngineEvent::Type::release_queues:
          transport_.release_queues();
          break;
        case EngineEvent::Type::decide:
          decide_day(static_cast<int>(entry->time));
          break;
        case EngineEvent::Type::arrive:
          transport_.arrive(ev.index);
          break;
        case EngineEvent::Type::record_day:
          transport_.settle_day();
          recorder_.record(static_cast<int>(ev.index), summary_);
          ledger_.zero_daily();
          transport_.zero_daily();
          if (config_.progress) config_.progress(static_cast<int>(ev.index) + 1, days_);
          if (const int next = static_cast<int>(ev.index) + 1;
              config_.on_checkpoint && next < days_ &&
              std::find(config_.checkpoint_days.begin(), config_.checkpoint_days.end(), next) !=
                  config_.checkpoint_days.end()) {
            save_checkpoint(next);
          }
          break;
      }
      if (ev.type == EngineEvent::Type::record_day && static_cast<int>(ev.index) + 1 == days_) break;
    }
    if (given_.active()) {
      // Given leavers whose node never had a road open to them: they stayed home, and the series' rise they stand
      // for never happened. Said (the log and the summary), not left for an ARD to puzzle over.
      log_.set_time(static_cast<double>(days_));
      for (std::size_t i = 0; i < given_.owed().size(); ++i) {
        if (given_.owed()[i] == 0) continue;
        summary_.given_not_left.push_back({static_cast<NodeIndex>(i), people(given_.owed()[i])});
        log_("given_not_left", s_.departures.observation, static_cast<NodeIndex>(i), -1, people(given_.owed()[i]));
      }
    }
    recorder_.finish(summary_);
    summary_.cohorts_created = transport_.cohorts_created();
    summary_.journeys_played_out = transport_.journeys_played_out();
    summary_.cohorts_queued = transport_.cohorts_queued();
    summary_.cohorts_merged = transport_.cohorts_merged();
    summary_.cohorts_alive_peak = transport_.cohorts_alive_peak();
    summary_.searches_run = network_.searches() - searches_before_;
    return summary_;
  }

 private:
  // The scenario's events that start or end on `from_day` or later, onto the queue (in the scenario's order, so that
  // events at the same time and priority keep it).
  void queue_scenario_events(int from_day) {
    for (std::size_t e = 0; e < s_.events.size(); ++e) {
      const auto& event = s_.events[e];
      if (event.start_day >= days_) continue;
      if (event.start_day >= from_day) {
        queue_.push(event.start_day, priority_scenario_start,
                    {EngineEvent::Type::scenario_start, static_cast<std::uint32_t>(e)});
      }
      if (event.end_day && *event.end_day < days_ && *event.end_day >= from_day) {
        queue_.push(*event.end_day,
                    std::holds_alternative<Capture>(event.action) ? priority_capture_end : priority_scenario_end,
                    {EngineEvent::Type::scenario_end, static_cast<std::uint32_t>(e)});
      }
    }
  }

  void save_checkpoint(int day);

  [[nodiscard]] double people(Count units) const { return static_cast<double>(units) / static_cast<double>(units_); }

  // Threat, then every node's decisions (in parallel) and their commit in node order (beside the deciding), then
  // evacuations; the journeys that end today along free corridors are played out last.
  void decide_day(int day) {
    // People stranded as the queues were let through this morning are hosted before anyone decides.
    transport_.settle_day();
    transport_.begin_decisions();
    threat_.update(config_.threads);
    if (given_.active()) {
      given_.place(day, ledger_, events_, given_leaving_);
      decider_.set_given_leaving(&given_leaving_);
    }
    decider_.decide(day, DecisionInputs{ledger_, threat_, events_, network_, transport_.incoming()},
                    [this](std::size_t i) { commit(i); });
    // The ways home found today, remembered once every node has decided (deciding reads the remembered routes).
    for (const auto& [node, begin, end] : ways_home_) {
      network_.remember_routes(node, std::span(homes_).subspan(begin, end - begin),
                               std::span(home_routes_).subspan(begin, end - begin));
    }
    ways_home_.clear();
    homes_.clear();
    home_routes_.clear();
    evacuate();
    redirect();
    transport_.end_decisions();
  }

  // Node i's decisions, in node order: the outcome does not depend on which thread decided what. Stocks are taken
  // first, then travellers set off, so that nothing a departure triggers can shift the stay indices flows refer to.
  // Runs while later nodes still decide (Decider::decide): it writes node i's stays, residents and departures,
  // transport (whose `incoming` deciding reads only before anyone decides) and the network's table of candidate
  // routes, none of which deciding reads. What could write more, a detour (the network's route caches; people
  // stranded settling elsewhere), waits for the deciding to end first (Transport::set_before_detour). Every flow is
  // launched or dropped here, on this thread: a mix's owners are counted without atomics.
  void commit(std::size_t i) {
    auto& flows = decider_.flows_to_commit(i);
    if (given_.active() && given_leaving_[i] != 0) {
      // Given leavers of a node with no destination open to them stay home today and are due there tomorrow.
      Count left = 0;
      for (const Flow& flow : flows) {
        if (flow.kind == Flow::Kind::leave_home) left += flow.count;
      }
      if (left < given_leaving_[i]) given_.not_left(i, given_leaving_[i] - left);
    }
    if (flows.empty()) return;
    const auto node = static_cast<NodeIndex>(i);
    network_.candidate_list(node, decider_.reach_km(i));  // as decided today: candidate_route() reads it
    launches_.clear();
    const std::size_t homes_begin = homes_.size();
    for (const auto& departure : decider_.stay_departures(i)) {
      ledger_.take_from_stay(i, departure.stay, departure.count);
    }
    for (Flow& flow : flows) {
      RoutePtr route;
      if (flow.kind == Flow::Kind::go_home) {
        route = flow.route;
        homes_.push_back(flow.destination);
        home_routes_.push_back(flow.route);
        if (!route) continue;  // no open way home today; they stay
      } else {
        route = network_.candidate_route(node, static_cast<std::size_t>(flow.candidate));
      }
      switch (flow.kind) {
        case Flow::Kind::leave_home:
          ledger_.leave_home(i, static_cast<std::size_t>(flow.group), flow.count);
          break;
        case Flow::Kind::move_on:
          ledger_.count_departure(i, flow.count);  // taken from the stays above
          break;
        case Flow::Kind::go_home:
          ledger_.take_from_stay(i, flow.stay, flow.count);
          ledger_.count_departure(i, flow.count);
          break;
      }
      ++summary_.flows_committed;
      launches_.emplace_back(&flow, std::move(route));
    }
    if (homes_.size() > homes_begin) ways_home_.push_back({node, homes_begin, homes_.size()});
    ledger_.remove_empty_stays(i);
    for (auto& [flow, route] : launches_) {
      transport_.launch(
          Cohort{flow->count, flow->group, flow->origin, flow->destination, std::move(route), 0, std::move(flow->mix)});
    }
    launches_.clear();
    flows.clear();
  }

  // The summary's totals of evacuation `e`, kept in the scenario's order of events.
  EvacuationTotal& evacuation_total(std::size_t e) {
    auto& totals = summary_.evacuations;
    auto it = std::lower_bound(totals.begin(), totals.end(), e,
                               [](const EvacuationTotal& t, std::size_t event) { return t.event < event; });
    if (it == totals.end() || it->event != e) it = totals.insert(it, EvacuationTotal{e});
    return *it;
  }

  // Organised evacuations move up to `rate` residents a day, in proportion to the groups present.
  void evacuate() {
    for (auto e : events_.active_evacuations()) {
      const auto& evacuation = std::get<Evacuation>(s_.events[e].action);
      const auto from = at(evacuation.from);
      const Count available = ledger_.residents_at(from);
      const Count moving = std::min(
          available, static_cast<Count>(std::llround(evacuation.rate_people_per_day * static_cast<double>(units_))));
      if (moving <= 0) continue;
      EvacuationTotal& total = evacuation_total(e);
      ++total.days_active;
      RoutePtr route = network_.route(evacuation.from, evacuation.to);
      if (!route) {
        log_("evacuation_blocked", s_.events[e].id, evacuation.from, -1, people(moving));
        ++total.days_blocked;
        total.not_moved += people(moving);
        continue;
      }
      total.moved += people(moving);
      std::vector<double> shares(s_.groups.size());
      for (std::size_t g = 0; g < shares.size(); ++g) {
        shares[g] = static_cast<double>(ledger_.residents()(idx(from), idx(g)));
      }
      std::vector<Count> split(shares.size());
      expected_multinomial(moving, shares, split);
      for (std::size_t g = 0; g < split.size(); ++g) {
        if (split[g] == 0) continue;
        ledger_.leave_home(from, g, split[g]);
        transport_.launch(Cohort{split[g], static_cast<GroupIndex>(g), evacuation.from, evacuation.to, route, 0});
      }
    }
  }

  // Forced redirection: people who arrive at a corridor's `from` while its redirection is in force are sent on
  // along the road to its `to` (docs/model.md). Those hosted there when it came into force stay: each day, the
  // hosted people above that number (which falls as they leave) set off, taken from the stays in proportion.
  // People arriving today are sent on tomorrow.
  void redirect() {
    if (kept_.empty()) kept_.assign(s_.corridors.size(), -1);
    for (std::size_t c = 0; c < s_.corridors.size(); ++c) {
      const auto& corridor = s_.corridors[c];
      if (!corridor.forced_redirection) continue;
      const auto from = at(corridor.from);
      if (!events_.redirecting(static_cast<CorridorIndex>(c))) {
        kept_[c] = -1;
        continue;
      }
      const Count hosted = ledger_.displaced_at(from);
      kept_[c] = kept_[c] < 0 ? hosted : std::min(kept_[c], hosted);
      const Count sending = hosted - kept_[c];
      if (sending <= 0) continue;
      RoutePtr route = network_.route(corridor.from, corridor.to);
      if (!route) continue;  // the way on is closed today: they wait
      auto& stays = ledger_.stays(from);
      std::vector<double> shares(stays.size());
      for (std::size_t k = 0; k < stays.size(); ++k) shares[k] = static_cast<double>(stays[k].count);
      std::vector<Count> split(stays.size());
      expected_multinomial(sending, shares, split);  // exact in sum; no draw, so no stream to keep apart
      std::vector<Cohort> cohorts;
      for (std::uint32_t k = 0; k < stays.size(); ++k) {
        if (split[k] <= 0) continue;
        cohorts.push_back(Cohort{split[k], stays[k].group, stays[k].origin, corridor.to, route, 0});
        ledger_.take_from_stay(from, k, split[k]);
      }
      ledger_.count_departure(from, sending);
      ledger_.remove_empty_stays(from);
      for (auto& cohort : cohorts) transport_.launch(std::move(cohort));
    }
  }

  const Scenario& s_;
  RunConfig config_;
  std::shared_ptr<const RuleSet> rules_;
  RoadNetwork network_;
  Count units_;
  int days_;
  std::vector<Observer*> observers_;
  EventQueue<EngineEvent> queue_;
  EventLog log_;
  // The parts, each with one job (sim/engine/<part>.hpp).
  PopulationLedger ledger_;
  ThreatField threat_;
  ScenarioEvents events_;
  Transport transport_;
  Decider decider_;
  GivenDepartures given_;
  std::vector<Count> given_leaving_;
  std::vector<Count> kept_;  // per redirecting corridor: hosted at `from` when it came into force, -1: not in force
  // The commit's scratch (kept from node to node and day to day): a node's flows with their routes, and today's ways
  // home by node (homes_ and home_routes_ from `begin` to `end`), remembered once every node has decided.
  struct WaysHome {
    NodeIndex node;
    std::size_t begin;
    std::size_t end;
  };
  std::vector<std::pair<Flow*, RoutePtr>> launches_;
  std::vector<WaysHome> ways_home_;
  std::vector<NodeIndex> homes_;
  std::vector<RoutePtr> home_routes_;
  DayRecorder recorder_;
  RunSummary summary_;
  std::uint64_t searches_before_ = 0;
  int start_day_ = 0;  // the day the run starts from: 0, or a checkpoint's (resume_from)
};

}  // namespace haven

// A run's saved state: a run of its own copy of the scenario, stopped at the start of `day`, whose parts the run
// resuming from it takes (Impl::adopt), never runs itself.
struct haven::SimulationCheckpoint {
  SimulationCheckpoint(const Scenario& ran, const RunConfig& config, std::shared_ptr<const RuleSet> rules,
                       int saved_day)
      : scenario(ran), day(saved_day), state(std::make_unique<Simulation::Impl>(scenario, config, std::move(rules))) {}
  // `state` points into `scenario`: never copied or moved.
  SimulationCheckpoint(const SimulationCheckpoint&) = delete;
  SimulationCheckpoint& operator=(const SimulationCheckpoint&) = delete;

  Scenario scenario;  // the scenario the run ran; `state`'s parts point into it
  int day = 0;
  std::unique_ptr<Simulation::Impl> state;
};

namespace haven {

void Simulation::Impl::save_checkpoint(int day) {
  RunConfig config;  // what keys the run's draws and days; not the caller's callbacks
  config.seed = config_.seed;
  config.run_index = config_.run_index;
  config.mode = config_.mode;
  config.threads = config_.threads;
  config.split_small_networks = config_.split_small_networks;
  config.days = days_;
  auto saved = std::make_shared<SimulationCheckpoint>(s_, config, rules_, day);
  saved->state->adopt(*this, day);
  config_.on_checkpoint(std::move(saved));
}

bool Simulation::Impl::resume_from(const SimulationCheckpoint& saved) {
  const Impl& state = *saved.state;
  if (s_.rules != RuleSetKind::haven || start_day_ != 0) return false;
  // The saved parts hold what their run's rules gave (threat, the searches' route factors): the same rules, or
  // Haven's own in both (DefaultRules holds nothing of its own).
  const auto haven_own = [](const RuleSet& rules) { return typeid(rules) == typeid(DefaultRules); };
  if (rules_ != state.rules_ && !(haven_own(*rules_) && haven_own(*state.rules_))) return false;
  if (state.config_.seed != config_.seed || state.config_.run_index != config_.run_index ||
      state.config_.mode != config_.mode || state.days_ != days_ || state.units_ != units_) {
    return false;
  }
  if (saved.day <= 0 || saved.day >= days_ || first_day_apart(saved.scenario, s_) < saved.day) return false;
  if (state.network_.sides_possible() != network_.sides_possible()) return false;
  adopt(state, saved.day);
  return true;
}

int checkpoint_day(const SimulationCheckpoint& checkpoint) noexcept {
  return checkpoint.day;
}
std::size_t checkpoint_bytes(const SimulationCheckpoint& checkpoint) {
  const Scenario& s = checkpoint.scenario;
  std::size_t bytes = sizeof(checkpoint) + sizeof(s) + s.nodes.size() * (sizeof(Node) + 64) +
                      s.corridors.size() * (sizeof(Corridor) + 32) + s.events.size() * (sizeof(Event) + 64);
  for (const auto& observation : s.observations) bytes += sizeof(observation) + observation.points.size() * 64;
  return bytes + checkpoint.state->bytes();
}
const Scenario& checkpoint_scenario(const SimulationCheckpoint& checkpoint) noexcept {
  return checkpoint.scenario;
}

namespace {
bool same_but_end(const Event& a, const Event& b) {
  Event b_ending_as_a = b;
  b_ending_as_a.end_day = a.end_day;
  return a == b_ending_as_a;
}
}  // namespace

int first_day_apart(const Scenario& a, const Scenario& b) {
  // Everything but the events compared whole (whatever fields the scenario gains), on a copy given b's events.
  Scenario a_with_b_events = a;
  a_with_b_events.events = b.events;
  if (!(a_with_b_events == b)) return 0;
  int day = a.days;
  for (std::size_t e = 0; e < std::max(a.events.size(), b.events.size()); ++e) {
    const Event* in_a = e < a.events.size() ? &a.events[e] : nullptr;
    const Event* in_b = e < b.events.size() ? &b.events[e] : nullptr;
    if (in_a && in_b && *in_a == *in_b) continue;
    if (in_a && in_b && same_but_end(*in_a, *in_b)) {
      // The same event ending on other days (a border opened on another day, strikes stopped earlier): in force
      // alike until the earlier end. Its end is a queued event of its own, which nothing reads before it comes.
      day = std::min({day, in_a->end_day.value_or(a.days), in_b->end_day.value_or(b.days)});
      continue;
    }
    if (in_a) day = std::min(day, in_a->start_day);
    if (in_b) day = std::min(day, in_b->start_day);
  }
  return std::max(day, 0);
}

Simulation::Simulation(const Scenario& scenario, RunConfig config, std::shared_ptr<const RuleSet> rules)
    : impl_(std::make_unique<Impl>(scenario, std::move(config), std::move(rules))) {}
Simulation::~Simulation() = default;
void Simulation::add_observer(Observer& observer) {
  impl_->add_observer(observer);
}
bool Simulation::resume_from(const SimulationCheckpoint& checkpoint) {
  return impl_->resume_from(checkpoint);
}
RunSummary Simulation::run() {
  return impl_->run();
}
Count Simulation::units_per_person() const noexcept {
  return impl_->units();
}

}  // namespace haven
