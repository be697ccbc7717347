#include "haven/analysis/series.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace haven {

RunFileSeries::RunFileSeries(const RunFile& file, const Scenario& scenario) : file_(file) {
  for (std::size_t column = 0; column < file.node_index.size(); ++column) column_[file.node_index[column]] = column;
  node_count_ = scenario.nodes.size();
  for (const auto& node : scenario.nodes) node_ids_.push_back(node.id);
}

std::string RunFileSeries::missing_reason(const Observation& observation, int day) const {
  const std::string& variable = observation.variable;
  const auto& series = variable == "cumulative_displaced" ? file_.cumulative_displaced
                       : variable == "arrivals"           ? file_.arrivals
                                                          : file_.displaced_present;
  if (series.empty()) return fmt::format("the file does not record {}", variable);
  if (variable != "cumulative_displaced") {
    for (const NodeIndex index :
         observation.node != no_node ? std::vector<NodeIndex>{observation.node} : observation.nodes) {
      if (column_.contains(index)) continue;
      const auto node = static_cast<std::size_t>(index);
      return fmt::format("the file does not record node {}", node < node_ids_.size() ? node_ids_[node] : "?");
    }
    if (observation.node == no_node && observation.nodes.empty() && file_.node_index.size() != node_count_) {
      return "the file records only some nodes, so it has no network-wide total";
    }
  }
  if (file_.time_days.empty() || day > file_.time_days.back()) {
    return fmt::format("the file ends before day {}", day);
  }
  const int interval = file_.time_days.size() > 1 ? file_.time_days[1] - file_.time_days[0] : 1;
  if (variable == "arrivals") {
    return fmt::format("cumulative arrivals need every day up to day {}; the file records every {} days", day,
                       interval);
  }
  return fmt::format("day {} was not recorded (the file records every {} days)", day, interval);
}

std::optional<double> RunFileSeries::value(const Observation& observation, int day) const {
  const auto it = std::find(file_.time_days.begin(), file_.time_days.end(), day);
  const std::size_t n = file_.nodes();
  auto node_total = [&](const std::vector<std::int64_t>& series, std::size_t t) -> std::optional<double> {
    if (series.empty()) return std::nullopt;
    if (!observation.nodes.empty() && observation.node == no_node) {
      double total = 0.0;  // an observation over a set of nodes: their sum
      for (const NodeIndex index : observation.nodes) {
        auto column = column_.find(index);
        if (column == column_.end()) return std::nullopt;
        total += static_cast<double>(series[t * n + column->second]);
      }
      return total;
    }
    if (observation.node == no_node) {
      // A file recording a subset of nodes cannot give a network-wide total.
      if (file_.node_index.size() != node_count_) return std::nullopt;
      double total = 0.0;
      for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(series[t * n + i]);
      return total;
    }
    auto column = column_.find(observation.node);
    if (column == column_.end()) return std::nullopt;
    return static_cast<double>(series[t * n + column->second]);
  };
  if (observation.variable == "arrivals") {
    // Cumulative arrivals need every day up to `day`.
    const auto last = static_cast<std::size_t>(std::max(day, 0));
    if (file_.time_days.size() <= last || file_.time_days[last] != day) return std::nullopt;
    double total = 0.0;
    for (std::size_t t = 0; t <= last; ++t) {
      auto v = node_total(file_.arrivals, t);
      if (!v) return std::nullopt;
      total += *v;
    }
    return total;
  }
  if (it == file_.time_days.end()) return std::nullopt;
  const auto t = static_cast<std::size_t>(it - file_.time_days.begin());
  if (observation.variable == "cumulative_displaced") {
    if (file_.cumulative_displaced.empty()) return std::nullopt;
    return static_cast<double>(file_.cumulative_displaced[t]);
  }
  if (observation.variable == "displaced_present") return node_total(file_.displaced_present, t);
  return std::nullopt;
}

ObservationProbe::ObservationProbe(const Scenario& scenario)
    : scenario_(scenario),
      by_observation_(scenario.observations.size()),
      cumulative_arrivals_(scenario.observations.size(), 0.0) {}

void ObservationProbe::on_event(const EventRecord& event) {
  if (event.kind == "given_not_left") given_not_left_ += event.value;
}

void ObservationProbe::on_day(const DayRecord& r) {
  const double scale = static_cast<double>(r.units_per_person);
  for (std::size_t k = 0; k < scenario_.observations.size(); ++k) {
    const auto& observation = scenario_.observations[k];
    const auto node = static_cast<Eigen::Index>(observation.node);
    double value = 0.0;
    const bool over_nodes = observation.node == no_node && !observation.nodes.empty();
    if (observation.variable == "cumulative_displaced") {
      value = static_cast<double>(r.cumulative_displaced);
    } else if (observation.variable == "displaced_present") {
      if (over_nodes) {
        Count sum = 0;
        for (const NodeIndex i : observation.nodes)
          sum += r.displaced_by_group->row(static_cast<Eigen::Index>(i)).sum();
        value = static_cast<double>(sum);
      } else {
        value = static_cast<double>(observation.node == no_node ? r.displaced_by_group->sum()
                                                                : r.displaced_by_group->row(node).sum());
      }
    } else if (observation.variable == "arrivals") {
      Count arrived = 0;
      if (over_nodes) {
        for (const NodeIndex i : observation.nodes) arrived += (*r.arrivals)(static_cast<Eigen::Index>(i));
      } else {
        arrived = observation.node == no_node ? r.arrivals->sum() : (*r.arrivals)(node);
      }
      cumulative_arrivals_[k] += static_cast<double>(arrived);
      value = cumulative_arrivals_[k];
    }
    by_observation_[k].push_back(value / scale);
  }
}

std::optional<double> ObservationProbe::value(const Observation& observation, int day) const {
  for (std::size_t k = 0; k < scenario_.observations.size(); ++k) {
    if (&scenario_.observations[k] != &observation && scenario_.observations[k].id != observation.id) continue;
    const auto& series = by_observation_[k];
    if (day < 0 || static_cast<std::size_t>(day) >= series.size()) return std::nullopt;
    return series[static_cast<std::size_t>(day)];
  }
  return std::nullopt;
}

std::string ObservationProbe::missing_reason(const Observation& /*observation*/, int day) const {
  const std::size_t days = by_observation_.empty() ? 0 : by_observation_.front().size();
  return fmt::format("the run ends before day {} (it ran {} day{})", day, days, days == 1 ? "" : "s");
}

std::vector<std::unique_ptr<ObservationProbe>> run_ensemble(const Scenario& scenario, const RunConfig& base, int runs,
                                                            int threads) {
  std::vector<std::unique_ptr<ObservationProbe>> probes(static_cast<std::size_t>(std::max(runs, 0)));
  std::vector<std::string> failures(probes.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max(threads, 1))
  for (int m = 0; m < runs; ++m) {
    try {
      RunConfig config = base;
      config.run_index = base.run_index + static_cast<std::uint64_t>(m);
      config.threads = 1;
      config.progress = nullptr;
      auto probe = std::make_unique<ObservationProbe>(scenario);
      Simulation simulation(scenario, config);
      simulation.add_observer(*probe);
      simulation.run();
      probes[static_cast<std::size_t>(m)] = std::move(probe);
    } catch (const std::exception& e) {
      failures[static_cast<std::size_t>(m)] = e.what();
    }
  }
  for (std::size_t m = 0; m < failures.size(); ++m) {
    if (!failures[m].empty()) throw std::runtime_error("ensemble member " + std::to_string(m) + ": " + failures[m]);
  }
  return probes;
}

}  // namespace haven
