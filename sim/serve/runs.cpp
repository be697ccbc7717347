#include "haven/serve/runs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "recent_runs.hpp"

namespace haven::serve {

namespace {

std::string numbers(const std::vector<double>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ',';
    // The shortest text that reads back as the same number: 6 digits turned 3,813,502 people into 3,813,500.
    text += std::isfinite(values[i]) ? fmt::format("{}", values[i]) : "null";
  }
  return text + "]";
}

// Linear interpolation between order statistics (R's type 7), as numpy's default.
double quantile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  if (values.empty()) return NAN;
  const double at = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const auto above = std::min(below + 1, values.size() - 1);
  return values[below] + (at - static_cast<double>(below)) * (values[above] - values[below]);
}

}  // namespace

RunResult run_in_memory(const Scenario& scenario, const RunRequest& request) {
  RunResult result;
  result.recorder = std::make_shared<MemoryRecorder>();
  RunConfig config;
  config.seed = request.seed;
  config.run_index = request.run_index;
  config.mode = request.mode;
  config.threads = static_cast<int>(std::clamp<std::size_t>(request.cores, 1, 64));
  config.split_small_networks = true;  // the gate gave it these cores: no other run holds them
  const auto started = std::chrono::steady_clock::now();
  const auto seconds_since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  // The engine calls this after every day: the one place a run can be stopped between two whole days.
  config.progress = [&](int done, int total) {
    if (request.stop != nullptr && request.stop->load()) throw RunCancelled("the server is stopping");
    if (request.abandoned != nullptr && request.abandoned->load()) throw RunCancelled("no one waits for it any more");
    if (seconds_since() > request.max_seconds) {
      throw RunCancelled(fmt::format("the run was cancelled after {:.2f} s (day {} of {}): runs are limited to {} s",
                                     seconds_since(), done, total, request.max_seconds));
    }
  };
  std::vector<std::size_t> saved_bytes;  // each saved day's estimate, as result.saved
  std::size_t saved_total = 0;
  if (!request.save_days.empty()) {
    config.checkpoint_days = request.save_days;
    config.on_checkpoint = [&](std::shared_ptr<const SimulationCheckpoint> checkpoint) {
      const std::size_t bytes = checkpoint_bytes(*checkpoint) + recorded_bytes(*result.recorder);
      if (bytes > request.max_saved_bytes) return;
      result.saved.push_back({std::move(checkpoint), std::make_shared<const MemoryRecorder>(*result.recorder)});
      saved_bytes.push_back(bytes);
      saved_total += bytes;
      while (saved_total > request.max_saved_bytes) {
        saved_total -= saved_bytes.front();
        result.saved.erase(result.saved.begin());
        saved_bytes.erase(saved_bytes.begin());
      }
    };
  }
  Simulation simulation(scenario, config);
  if (request.resume_from != nullptr && simulation.resume_from(*request.resume_from->checkpoint)) {
    *result.recorder = *request.resume_from->recorded;
    result.started_day = checkpoint_day(*request.resume_from->checkpoint);
  }
  simulation.add_observer(*result.recorder);
  result.summary = simulation.run();
  result.seconds = seconds_since();
  result.cores = static_cast<std::size_t>(config.threads);
  return result;
}

std::vector<std::vector<Override>> uncertainty_overrides(const ParameterUncertainty& uncertainty, std::size_t members,
                                                         const std::set<std::string>& held) {
  SweepSpec design = uncertainty.spec;
  design.samples = static_cast<std::int64_t>(members);
  design.replicates = 1;
  const auto points = expand_sweep(design);
  std::vector<std::vector<Override>> overrides(members);
  for (std::size_t k = 0; k < members && k < points.size(); ++k) {
    for (std::size_t j = 0; j < design.parameters.size(); ++j) {
      const auto& parameter = design.parameters[j];
      if (held.count(parameter.path) > 0) continue;
      // Located in the sweep file, named as the page knows it (never by its path on the server's disk).
      SourceLocation origin = parameter.origin;
      origin.file = uncertainty.sweep_name;
      overrides[k].push_back({parameter.path, points[k].values[j], origin});
    }
  }
  return overrides;
}

HeadlineSeries headline_series(const Scenario& scenario, const MemoryRecorder& recorder) {
  HeadlineSeries series;
  const double per_person = static_cast<double>(recorder.units_per_person());
  double initially_displaced = 0.0;
  for (const auto& node : scenario.nodes) {
    for (const auto d : node.displaced_by_group) initially_displaced += static_cast<double>(d);
  }
  for (std::size_t t = 0; t < recorder.days(); ++t) {
    const double away =
        static_cast<double>(recorder.displaced_[t].sum() + recorder.in_transit_[t].sum() + recorder.waiting_[t].sum()) /
        per_person;
    series.newly_away.push_back(std::max(0.0, away - initially_displaced));
    series.unsheltered.push_back(static_cast<double>(recorder.unsheltered_[t].sum()) / per_person);
    series.left_home.push_back(static_cast<double>(recorder.cumulative_displaced_[t]) / per_person);
  }
  return series;
}

std::string headline_json(const HeadlineSeries& series) {
  return fmt::format(R"({{"newly_away":{},"unsheltered":{},"left_home":{}}})", numbers(series.newly_away),
                     numbers(series.unsheltered), numbers(series.left_home));
}

std::string bands_json(const std::vector<HeadlineSeries>& members) {
  const auto band = [&](std::vector<double> HeadlineSeries::*field) {
    std::size_t days = members.empty() ? 0 : (members.front().*field).size();
    std::vector<double> p5(days), p50(days), p95(days), values;
    for (std::size_t t = 0; t < days; ++t) {
      values.clear();
      for (const auto& member : members) {
        if (t < (member.*field).size()) values.push_back((member.*field)[t]);
      }
      p5[t] = quantile(values, 0.05);
      p50[t] = quantile(values, 0.5);
      p95[t] = quantile(values, 0.95);
    }
    return fmt::format(R"({{"p5":{},"p50":{},"p95":{}}})", numbers(p5), numbers(p50), numbers(p95));
  };
  return fmt::format(R"({{"members":{},"newly_away":{},"unsheltered":{},"left_home":{}}})", members.size(),
                     band(&HeadlineSeries::newly_away), band(&HeadlineSeries::unsheltered),
                     band(&HeadlineSeries::left_home));
}

}  // namespace haven::serve
