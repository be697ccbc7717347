// The Flee rule set's run: a scenario's Flee world (build_flee_world) and the day loop that gives the observers the
// same DayRecord series as Haven's rules (run_flee).

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <variant>

#include "flee_step.hpp"
#include "haven/engine/simulation.hpp"

namespace haven::engine {

namespace {

// The observed value on `day`: linear between points, constant before the first and after the last.
double interpolate(const Observation& observation, int day) {
  const auto& points = observation.points;
  if (points.empty()) return 0.0;
  if (day <= points.front().day) return points.front().value;
  for (std::size_t k = 1; k < points.size(); ++k) {
    if (day < points[k].day) {
      const auto& a = points[k - 1];
      const auto& b = points[k];
      return a.value + (b.value - a.value) * static_cast<double>(day - a.day) / static_cast<double>(b.day - a.day);
    }
  }
  return points.back().value;
}

// What the event log says of a scenario event under Flee's rules, as under Haven's rules (scenario_events.cpp): the
// place or corridor it is about, and its value as things stand once it has started or ended on `day`: open 1 /
// closed 0 as the Flee world has its links and camps that day, an armed conflict's intensity, the corridors a
// country closure closes. The kinds Flee's rules do not act on change nothing: a capacity change gives the capacity
// that stays in force, a redirection end whether the redirection does.
struct LogFields {
  NodeIndex node = no_node;
  CorridorIndex corridor = -1;
  double value = 0.0;
};
LogFields log_fields(const Scenario& s, const FleeWorld& world, const Event& event, int day) {
  const auto d = static_cast<std::size_t>(std::clamp(day, 0, std::max(0, s.days - 1)));
  const auto links_open = [&](auto&& selects) {
    for (std::size_t l = 0; l < world.links.size(); ++l) {
      if (selects(world.links[l]) && world.link_closed[d][l]) return 0.0;
    }
    return 1.0;
  };
  return std::visit(
      [&](const auto& action) -> LogFields {
        using T = std::decay_t<decltype(action)>;
        if constexpr (std::is_same_v<T, Bombardment>) {
          return {action.target.node, -1, action.intensity_strikes_per_day};
        } else if constexpr (std::is_same_v<T, ArmedConflict>) {
          return {action.node, -1, action.intensity};
        } else if constexpr (std::is_same_v<T, CorridorClosure> || std::is_same_v<T, CorridorOpening>) {
          return {no_node, action.corridor,
                  links_open([&](const FleeLink& link) { return link.corridor == action.corridor; })};
        } else if constexpr (std::is_same_v<T, BorderClosure> || std::is_same_v<T, BorderOpening>) {
          return {action.node, -1,
                  links_open([&](const FleeLink& link) { return link.from == action.node || link.to == action.node; })};
        } else if constexpr (std::is_same_v<T, CampClosure>) {
          return {action.node, -1, world.camp_closed[d][at(action.node)] ? 0.0 : 1.0};
        } else if constexpr (std::is_same_v<T, CountryClosure>) {
          const auto corridors = std::count_if(s.corridors.begin(), s.corridors.end(), [&](const Corridor& c) {
            return joins_countries(s, c.from, c.to, action);
          });
          return {no_node, -1, static_cast<double>(corridors)};
        } else if constexpr (std::is_same_v<T, RedirectionEnd>) {
          return {no_node, action.corridor,
                  s.corridors[static_cast<std::size_t>(action.corridor)].forced_redirection ? 1.0 : 0.0};
        } else if constexpr (std::is_same_v<T, Ceasefire>) {
          return {action.area.node, -1, 0.0};
        } else if constexpr (std::is_same_v<T, CapacityChange>) {
          return {action.node, -1, starting_capacity_people(s, at(action.node))};
        } else if constexpr (std::is_same_v<T, Evacuation>) {
          return {action.from, -1, action.rate_people_per_day};
        } else {
          return {action.node, -1, 0.0};  // a capture
        }
      },
      event.action);
}

}  // namespace

FleeWorld build_flee_world(const Scenario& s, Count units_per_person) {
  if (s.departures.mode != DepartureMode::given) {
    throw std::invalid_argument(
        "rules: flee needs departures given by an observed series (departures: {mode: given, observation: ID}); "
        "Flee is told how many flee");
  }
  const Observation* total = nullptr;
  for (const auto& observation : s.observations) {
    if (observation.id == s.departures.observation) total = &observation;
  }
  if (total == nullptr) {
    throw std::invalid_argument("departures.observation names no observation: '" + s.departures.observation + "'");
  }
  FleeWorld world;
  for (const auto& node : s.nodes) {
    FleeLocation location;
    location.type = node.kind == NodeKind::camp      ? FleeLocationType::camp
                    : node.kind == NodeKind::transit ? FleeLocationType::forwarding_hub
                                                     : FleeLocationType::town;
    for (auto count : node.residents_by_group) location.population += static_cast<double>(count);
    // Only camps have a capacity in Flee (towns read -1: no limit).
    if (location.type == FleeLocationType::camp && node.capacity_people && std::isfinite(*node.capacity_people)) {
      location.capacity = *node.capacity_people;
    }
    location.foreign = !s.home_country.empty() && node.country != s.home_country;
    for (auto count : node.displaced_by_group) location.initial_agents += count * units_per_person;
    world.locations.push_back(location);
  }
  for (std::size_t c = 0; c < s.corridors.size(); ++c) {
    const auto& corridor = s.corridors[c];
    const auto index = static_cast<CorridorIndex>(c);
    world.links.push_back(FleeLink{corridor.from, corridor.to, corridor.length_km, index});
    if (corridor.bidirectional) world.links.push_back(FleeLink{corridor.to, corridor.from, corridor.length_km, index});
  }
  world.finish_links(s.days);
  const auto days = static_cast<std::size_t>(s.days);
  for (std::size_t l = 0; l < world.links.size(); ++l) {
    if (s.corridors[static_cast<std::size_t>(world.links[l].corridor)].closed) {
      for (std::size_t d = 0; d < days; ++d) world.link_closed[d][l] = 1;
    }
  }
  auto set_links = [&](std::size_t d, auto&& selects, char closed) {
    for (std::size_t l = 0; l < world.links.size(); ++l) {
      if (selects(world.links[l])) world.link_closed[d][l] = closed;
    }
  };
  for (const auto& event : s.events) {
    const auto first = static_cast<std::size_t>(std::clamp(event.start_day, 0, s.days));
    const auto last = static_cast<std::size_t>(std::clamp(event.end_day.value_or(s.days), 0, s.days));
    for (std::size_t d = first; d < last; ++d) {
      std::visit(
          [&](const auto& action) {
            using T = std::decay_t<decltype(action)>;
            if constexpr (!flee_rules_act_on_v<T>) {
              // Bombardments, captures, ceasefires, capacity changes, evacuations and redirection ends have no
              // effect under Flee's rules (docs/model.md).
            } else if constexpr (std::is_same_v<T, ArmedConflict>) {
              world.conflict_intensity[d][at(action.node)] = action.intensity;
            } else if constexpr (std::is_same_v<T, CorridorClosure> || std::is_same_v<T, CorridorOpening>) {
              set_links(
                  d, [&](const FleeLink& link) { return link.corridor == action.corridor; },
                  std::is_same_v<T, CorridorClosure> ? 1 : 0);
            } else if constexpr (std::is_same_v<T, BorderClosure> || std::is_same_v<T, BorderOpening>) {
              set_links(
                  d, [&](const FleeLink& link) { return link.from == action.node || link.to == action.node; },
                  std::is_same_v<T, BorderClosure> ? 1 : 0);
            } else if constexpr (std::is_same_v<T, CampClosure>) {
              world.camp_closed[d][at(action.node)] = 1;
            } else if constexpr (std::is_same_v<T, CountryClosure>) {
              set_links(
                  d, [&](const FleeLink& link) { return joins_countries(s, link.from, link.to, action); }, 1);
            } else {
              static_assert(sizeof(T) == 0, "a kind flee_rules_act_on_v names has no effect here");
            }
          },
          event.action);
    }
  }
  for (std::size_t d = 0; d < days; ++d) world.observed_total[d] = interpolate(*total, static_cast<int>(d));
  return world;
}

RunSummary run_flee(const Scenario& s, const RunConfig& config, const std::vector<Observer*>& observers) {
  const Count units = config.mode == Mode::expected ? expected_units_per_person : 1;
  const int days = std::min(config.days.value_or(s.days), s.days);
  const FleeWorld world = build_flee_world(s, units);
  FleeStep step(world, FleeSettings::from(s.parameters), Draws{config.seed, config.run_index, config.mode}, units);
  const auto people = [&](Count u) { return static_cast<double>(u) / static_cast<double>(units); };

  RunSummary summary;
  summary.days = days;
  RunInfo info{&s, config.seed, config.run_index, config.mode, days, units};
  for (auto* o : observers) o->on_start(info);
  const auto n = s.nodes.size();
  const auto g = std::max<std::size_t>(1, s.groups.size());
  CountMatrix residents = CountMatrix::Zero(idx(n), idx(g));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& by_group = s.nodes[i].residents_by_group;
    for (std::size_t k = 0; k < std::min(g, by_group.size()); ++k) residents(idx(i), idx(k)) = by_group[k] * units;
  }
  summary.initial_population = people(residents.sum() + step.agents().sum());
  CountMatrix displaced = CountMatrix::Zero(idx(n), idx(g));
  CountVector zeros = CountVector::Zero(idx(n));
  CountVector unsheltered = CountVector::Zero(idx(n));
  CountVector inflow = CountVector::Zero(static_cast<Eigen::Index>(s.corridors.size()));
  CountVector in_transit = inflow;
  Eigen::VectorXd conflict = Eigen::VectorXd::Zero(idx(n));
  std::vector<double> capacity(n);
  std::vector<Count> spawned_by_node(n, 0), arrivals_by_node(n, 0);
  std::vector<Observer*> log_observers = observers;
  EventLog log(log_observers);

  for (int day = 0; day < days; ++day) {
    log.set_time(day);
    for (const auto& event : s.events) {
      const auto kind = std::string(event_kind_name(event.action));
      if (event.end_day && *event.end_day == day) {
        const auto f = log_fields(s, world, event, day);
        log(kind + "_end", event.id, f.node, f.corridor, f.value);
      }
      if (event.start_day == day) {
        const auto f = log_fields(s, world, event, day);
        log(kind + "_start", event.id, f.node, f.corridor, f.value);
      }
    }
    step.step(day);
    displaced.setZero();
    displaced.col(0) = step.agents();
    inflow.setZero();
    in_transit.setZero();
    const auto on_links = step.on_links();
    for (std::size_t l = 0; l < world.links.size(); ++l) {
      inflow[world.links[l].corridor] += step.link_inflow()[static_cast<Eigen::Index>(l)];
      in_transit[world.links[l].corridor] += on_links[static_cast<Eigen::Index>(l)];
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto& state = step.state(static_cast<NodeIndex>(i));
      conflict[idx(i)] = state.conflict_intensity;
      const double cap = step.capacity_now(static_cast<NodeIndex>(i)) * s.parameters.flee_capacity_scaling;
      capacity[i] = cap >= 1.0 ? cap : std::numeric_limits<double>::infinity();
      const double over = people(step.agents()[idx(i)]) - capacity[i];
      unsheltered[idx(i)] = std::isfinite(capacity[i]) && over > 0.0
                                ? static_cast<Count>(std::floor(over * static_cast<double>(units)))
                                : 0;
      spawned_by_node[i] += step.spawned_today()[idx(i)];
      arrivals_by_node[i] += step.arrivals()[idx(i)];
    }
    DayRecord record;
    record.day = day;
    record.units_per_person = units;
    record.residents_by_group = &residents;
    record.displaced_by_group = &displaced;
    record.departures = &step.departures();
    record.arrivals = &step.arrivals();
    record.returns = &zeros;
    record.waiting = &zeros;
    record.unsheltered = &unsheltered;
    record.corridor_inflow = &inflow;
    record.in_transit = &in_transit;
    record.threat = &conflict;
    record.capacity = &capacity;
    record.cumulative_displaced = step.spawned_total();
    for (auto* o : observers) o->on_day(record);
    const double spawned_today = people(step.spawned_today().sum());
    if (spawned_today > summary.peak_daily_departures) {
      summary.peak_daily_departures = spawned_today;
      summary.peak_day = day;
    }
    if (people(unsheltered.sum()) > summary.unsheltered_peak) {
      summary.unsheltered_peak = people(unsheltered.sum());
      summary.unsheltered_peak_day = day;
    }
    if (config.progress) config.progress(day + 1, days);
  }
  FinalRecord final_record;
  final_record.units_per_person = units;  // Flee's people carry no home: no origin-destination totals
  for (auto* o : observers) o->on_finish(final_record);
  summary.cumulative_displaced = people(step.spawned_total());
  summary.displaced_present_end = people(step.agents().sum());
  summary.in_transit_end = people(step.on_links().sum());
  auto top = [&](const std::vector<Count>& by_node) {
    std::vector<NodeTotal> totals;
    for (std::size_t i = 0; i < by_node.size(); ++i) {
      if (by_node[i] > 0) totals.push_back({static_cast<NodeIndex>(i), people(by_node[i])});
    }
    std::stable_sort(totals.begin(), totals.end(), [](const auto& a, const auto& b) { return a.people > b.people; });
    if (totals.size() > 5) totals.resize(5);
    return totals;
  };
  summary.top_origins = top(spawned_by_node);
  summary.top_destinations = top(arrivals_by_node);
  return summary;
}

}  // namespace haven::engine

namespace haven {

std::vector<std::string_view> flee_event_kinds() {
  std::vector<std::string_view> kinds;
  [&kinds]<std::size_t... I>(std::index_sequence<I...>) {
    ((flee_rules_act_on_v<std::variant_alternative_t<I, EventAction>> ? kinds.push_back(event_kind_names[I]) : void()),
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<EventAction>>());
  return kinds;
}

bool flee_rules_act_on(std::string_view kind) {
  const auto kinds = flee_event_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

}  // namespace haven
