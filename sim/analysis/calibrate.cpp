#include "haven/analysis/calibrate.hpp"

#include <fmt/format.h>
#include <nlopt.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "haven/analysis/series.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/util/text.hpp"

namespace haven {

namespace {

std::optional<double> parse_double(std::string_view text) {
  double value = 0.0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

nlopt_algorithm algorithm_named(const std::string& name) {
  if (name == "sbplx") return NLOPT_LN_SBPLX;
  if (name == "neldermead") return NLOPT_LN_NELDERMEAD;
  if (name == "cobyla") return NLOPT_LN_COBYLA;
  return NLOPT_LN_BOBYQA;
}

const char* describe(nlopt_result result) {
  switch (result) {
    case NLOPT_SUCCESS:
      return "converged";
    case NLOPT_STOPVAL_REACHED:
      return "reached the target error";
    case NLOPT_FTOL_REACHED:
      return "the error stopped improving";
    case NLOPT_XTOL_REACHED:
      return "the values stopped moving";
    case NLOPT_MAXEVAL_REACHED:
      return "reached --max-evals";
    case NLOPT_MAXTIME_REACHED:
      return "out of time";
    case NLOPT_ROUNDOFF_LIMITED:
      return "limited by round-off";
    case NLOPT_FORCED_STOP:
      return "stopped";
    default:
      return "failed";
  }
}

struct Problem {
  const std::vector<CalibrationParameter>& parameters;
  const CalibrationOptions& options;
  const std::function<double(const std::vector<double>&)>& error_at;
  CalibrationResult& result;
  std::exception_ptr failure;
  // Points already run, on [0, 1] per parameter: NLopt asks again for its start (rescaled, so not bit for bit).
  std::vector<std::pair<std::vector<double>, double>> evaluated;

  const double* already_run(const double* unit) const {
    for (const auto& [point, error] : evaluated) {
      bool same = true;
      for (std::size_t j = 0; j < point.size() && same; ++j) same = std::abs(point[j] - unit[j]) <= 1e-12;
      if (same) return &error;
    }
    return nullptr;
  }
  nlopt_opt opt = nullptr;

  std::vector<double> values(const double* unit) const {
    std::vector<double> v(parameters.size());
    for (std::size_t j = 0; j < parameters.size(); ++j) {
      const double u = std::clamp(unit[j], 0.0, 1.0);
      v[j] = parameters[j].lower + u * (parameters[j].upper - parameters[j].lower);
    }
    return v;
  }
};

double objective(unsigned n, const double* x, double* /*gradient*/, void* data) {
  auto& p = *static_cast<Problem*>(data);
  if (p.failure) return std::numeric_limits<double>::infinity();
  try {
    if (const double* seen = p.already_run(x)) return *seen;
    const auto v = p.values(x);
    auto& runs = p.result;
    if (runs.evaluations >= p.options.max_evaluations) {
      // The explicit first evaluation is one of --max-evals, beyond NLopt's own count.
      if (p.opt != nullptr) nlopt_force_stop(p.opt);
      return runs.error;
    }
    const double error = p.error_at(v);
    p.evaluated.emplace_back(std::vector<double>(x, x + n), error);
    auto& r = p.result;
    ++r.evaluations;
    if (r.evaluations == 1) r.start_error = error;
    const bool best = r.evaluations == 1 || error < r.error;
    if (best) {
      r.error = error;
      r.best = v;
    }
    if (p.options.on_step) p.options.on_step({r.evaluations, v, error, r.error, best});
    return error;
  } catch (...) {
    // NLopt is C: no exception may cross it. Stop, and rethrow after.
    p.failure = std::current_exception();
    if (p.opt != nullptr) nlopt_force_stop(p.opt);
    return std::numeric_limits<double>::infinity();
  }
}

}  // namespace

std::optional<CalibrationParameter> parse_calibration_parameter(const std::string& text, std::string& error) {
  const auto eq = text.find('=');
  const auto colon = text.find(':', eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || colon == std::string::npos) {
    error = fmt::format("--param {}: expected NAME=LOW:HIGH, e.g. threat_kernel_km=0.5:3", text);
    return std::nullopt;
  }
  CalibrationParameter p;
  p.name = text.substr(0, eq);
  const auto lower = parse_double(std::string_view(text).substr(eq + 1, colon - eq - 1));
  const auto upper = parse_double(std::string_view(text).substr(colon + 1));
  if (!lower || !upper) {
    error = fmt::format("--param {}: LOW and HIGH must be numbers", text);
    return std::nullopt;
  }
  if (!(*lower < *upper)) {
    error = fmt::format("--param {}: LOW must be below HIGH", text);
    return std::nullopt;
  }
  p.lower = *lower;
  p.upper = *upper;
  {
    // The optimiser moves a value continuously; a switch or a count of links would be read rounded, so its
    // objective would be flat between whole numbers and the fit would say nothing about it.
    const std::string_view bare = std::string_view(p.name).starts_with("parameters.")
                                      ? std::string_view(p.name).substr(std::string_view("parameters.").size())
                                      : std::string_view(p.name);
    if (const auto* spec = find_parameter_spec(bare); spec && spec->kind != ParameterKind::real) {
      error = fmt::format(
          "--param {}: {} takes {}, and calibration moves parameters continuously; compare its values with a grid "
          "sweep instead (docs/sweeps.md)",
          text, spec->name, spec->kind == ParameterKind::on_off ? "0 or 1" : "whole numbers");
      return std::nullopt;
    }
  }
  if (p.name.find('.') != std::string::npos || p.name.find('[') != std::string::npos) {
    p.path = p.name;
  } else if (const auto* spec = find_parameter_spec(p.name)) {
    p.path = "parameters." + p.name;
    if (p.lower < spec->minimum || p.upper > spec->maximum) {
      error = fmt::format("--param {}: {} must stay within {} to {}", text, p.name, spec->minimum, spec->maximum);
      return std::nullopt;
    }
  } else {
    const auto names = parameter_names();
    std::string hint = did_you_mean(p.name, std::span(names));
    if (hint.empty() && p.name.size() >= 4) {
      // A shortened name (max_departure_rate) is too far for an edit distance; a name containing it is a likely aim.
      const auto contains = std::find_if(names.begin(), names.end(), [&](const auto& name) {
        return std::string_view(name).find(p.name) != std::string_view::npos;
      });
      if (contains != names.end()) hint = fmt::format("; did you mean '{}'?", *contains);
    }
    error = fmt::format(
        "--param {}: '{}' is not a model parameter{} To fit another value, give its key path "
        "(nodes.<id>.capacity)",
        text, p.name, hint.empty() ? "." : hint);
    return std::nullopt;
  }
  return p;
}

std::optional<std::string> set_fixing(const CalibrationParameter& parameter, const std::vector<std::string>& sets) {
  for (const auto& set : sets) {
    const std::string path = set.substr(0, set.find('='));
    if (path == parameter.path) return set;
    if (parameter.path.size() > path.size() && parameter.path.rfind(path, 0) == 0 &&
        (parameter.path[path.size()] == '.' || parameter.path[path.size()] == '[')) {
      return set;
    }
  }
  return std::nullopt;
}

void check_fitted_values_free(const std::vector<CalibrationParameter>& parameters, const LoadOptions& base) {
  // --set is applied after the fitted values, so it would freeze one: every evaluation the same, the "best" never run.
  Diagnostics conflicts;
  for (const auto& p : parameters) {
    if (auto set = set_fixing(p, base.set_overrides)) {
      conflicts.error({fmt::format("command line (--set {})", *set), 0, 0},
                      fmt::format("--set {} fixes {}, which --param {} fits: every evaluation would run the set "
                                  "value. Drop the --set, or the --param",
                                  *set, p.path, p.name));
    }
  }
  if (conflicts.has_errors()) throw InputError(conflicts);
}

std::array<double, 3> probe_values(const CalibrationParameter& parameter) {
  return {parameter.lower, parameter.upper, parameter.lower + (parameter.upper - parameter.lower) * 0.3819660112501051};
}

std::string probe_hint(std::size_t probe) {
  if (probe < 2) return {};
  return "; the range's ends are valid but not this value between them, and the search tries any value in the "
         "range: a key that takes whole numbers only is swept, not calibrated (haven sweep, docs/sweeps.md)";
}

std::vector<Override> calibration_overrides(const std::vector<CalibrationParameter>& parameters,
                                            const std::vector<double>& values) {
  std::vector<Override> overrides;
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    overrides.push_back({parameters[j].path,
                         fmt::format("{}", values[j]),
                         {fmt::format("command line (--param {})", parameters[j].name), 0, 0}});
  }
  return overrides;
}

CalibrationResult minimise_error(const std::vector<CalibrationParameter>& parameters, const std::vector<double>& start,
                                 const CalibrationOptions& options,
                                 const std::function<double(const std::vector<double>&)>& error_at) {
  if (parameters.empty()) throw std::invalid_argument("calibrate: no parameters to fit");
  CalibrationResult result;
  Problem problem{parameters, options, error_at, result, nullptr};
  // The search runs on [0, 1] per parameter, so that one tolerance and one initial step suit all of them.
  const auto n = static_cast<unsigned>(parameters.size());
  std::vector<double> x(n), lower(n, 0.0), upper(n, 1.0), step(n, 0.25);
  for (std::size_t j = 0; j < n; ++j) {
    const auto& p = parameters[j];
    // The start, clamped into the range: the nearest value the search may try.
    x[j] = std::clamp((std::clamp(start[j], p.lower, p.upper) - p.lower) / (p.upper - p.lower), 0.0, 1.0);
    // BOBYQA moves a start closer to a bound than its first step onto bound + step (Powell's rule; one exactly at a
    // bound stays): keep the step inside the distance, down to a floor below which the explicit first evaluation
    // below still starts the search at the scenario's value.
    const double to_bound = std::min(x[j], 1.0 - x[j]);
    if (options.algorithm == "bobyqa" && to_bound > 0.0) step[j] = std::min(0.25, std::max(0.999 * to_bound, 0.01));
  }
  nlopt_opt opt = nlopt_create(algorithm_named(options.algorithm), n);
  if (opt == nullptr) throw std::runtime_error("NLopt could not create the optimiser");
  nlopt_set_lower_bounds(opt, lower.data());
  nlopt_set_upper_bounds(opt, upper.data());
  nlopt_set_initial_step(opt, step.data());
  nlopt_set_min_objective(opt, objective, &problem);
  problem.opt = opt;
  // --max-evals counts runs, and objective() stops the search at it. NLopt's own count also takes the points
  // answered from the cache (Subplex and Nelder-Mead ask for some again), which stopped them after 9 runs of 12; its
  // limit only bounds a search that would ask for cached points without end.
  nlopt_set_maxeval(opt, options.max_evaluations > std::numeric_limits<int>::max() / 32
                             ? std::numeric_limits<int>::max()
                             : 16 * options.max_evaluations + 64);
  nlopt_set_xtol_rel(opt, options.relative_tolerance);
  nlopt_set_ftol_abs(opt, 1e-6);
  // The first evaluation is the start itself, whatever the algorithm does with it (NLopt's own repeat is cached).
  objective(n, x.data(), nullptr, &problem);
  if (problem.failure) {
    nlopt_destroy(opt);
    std::rethrow_exception(problem.failure);
  }
  double best = 0.0;
  const nlopt_result status = nlopt_optimize(opt, x.data(), &best);
  nlopt_destroy(opt);
  if (problem.failure) std::rethrow_exception(problem.failure);
  if (status < 0 && result.evaluations == 0) {
    throw std::runtime_error(
        fmt::format("the optimiser failed before its first evaluation (NLopt code {})", static_cast<int>(status)));
  }
  result.stop_reason = status == NLOPT_FORCED_STOP && result.evaluations >= options.max_evaluations
                           ? describe(NLOPT_MAXEVAL_REACHED)
                       : status == NLOPT_MAXEVAL_REACHED ? std::string("the search asked only for points already run")
                                                         : describe(status);
  return result;
}

CalibrationResult calibrate(const std::filesystem::path& scenario, const LoadOptions& base,
                            const std::vector<CalibrationParameter>& parameters, const CalibrationOptions& options) {
  if (parameters.empty()) throw std::invalid_argument("calibrate: no parameters to fit");
  check_fitted_values_free(parameters, base);
  auto loaded = load_scenario_file(scenario, base);
  if (!loaded.scenario) throw InputError(loaded.diagnostics);
  if (loaded.scenario->observations.empty()) {
    Diagnostics diagnostics;
    diagnostics.error({scenario.string(), 0, 0}, "the scenario has no observations to calibrate against");
    throw InputError(diagnostics);
  }
  // Every range must make a valid scenario (a located error now beats a failure mid-search).
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    const auto values = probe_values(parameters[j]);
    for (std::size_t k = 0; k < values.size(); ++k) {
      LoadOptions probe = base;
      probe.overrides.push_back({parameters[j].path,
                                 fmt::format("{}", values[k]),
                                 {fmt::format("command line (--param {})", parameters[j].name), 0, 0}});
      auto checked = load_scenario_file(scenario, probe);
      if (checked.scenario) continue;
      Diagnostics explained;
      for (const auto& d : checked.diagnostics.all()) {
        if (d.severity == Severity::error) {
          explained.error(d.location, d.message + probe_hint(k));
        } else {
          explained.warning(d.location, d.message);
        }
      }
      throw InputError(explained);
    }
  }
  std::vector<double> start(parameters.size());
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    const auto& p = parameters[j];
    start[j] = 0.5 * (p.lower + p.upper);
    if (p.start) {
      start[j] = *p.start;
    } else if (p.path.rfind("parameters.", 0) == 0) {
      if (const double* current = loaded.scenario->parameters.find(p.path.substr(11))) start[j] = *current;
    }
  }
  std::size_t points = 0;
  std::vector<SkippedPoint> skipped;
  const auto error_at = [&](const std::vector<double>& v) {
    LoadOptions load = base;
    const auto fitted = calibration_overrides(parameters, v);
    load.overrides.insert(load.overrides.end(), fitted.begin(), fitted.end());
    auto run = load_scenario_file(scenario, load);
    if (!run.scenario) throw InputError(run.diagnostics);
    const Scenario& s = *run.scenario;
    RunConfig config;
    config.seed = options.seed.value_or(s.seed);
    config.mode = options.mode;
    const auto probes = run_ensemble(s, config, options.mode == Mode::expected ? 1 : options.runs, options.threads);
    std::vector<const SimulatedSeries*> members;
    for (const auto& probe : probes) members.push_back(probe.get());
    const ValidationReport report = validate(s, members, options.window);
    points = report.rows.size();
    skipped = report.skipped;
    if (report.rows.empty()) throw std::runtime_error("no observation point could be compared (check --from/--to)");
    // The weights say how much each point counts, as in `haven validate --max-error`.
    if (std::isnan(report.weighted_mean_abs_relative_error)) {
      throw std::runtime_error("every observation point compared has weight 0: there is nothing to fit");
    }
    return report.weighted_mean_abs_relative_error;
  };
  CalibrationResult result = minimise_error(parameters, start, options, error_at);
  result.points = points;
  result.skipped = skipped;
  return result;
}

std::string calibration_overlay(const std::vector<CalibrationParameter>& parameters, const CalibrationResult& result,
                                const std::string& header) {
  std::string text;
  std::size_t start = 0;
  while (start < header.size()) {
    const auto end = std::min(header.find('\n', start), header.size());
    text += fmt::format("# {}\n", header.substr(start, end - start));
    start = end + 1;
  }
  std::vector<std::size_t> model, other;
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    (parameters[j].path.rfind("parameters.", 0) == 0 && parameters[j].path.find('.', 11) == std::string::npos ? model
                                                                                                              : other)
        .push_back(j);
  }
  if (!model.empty()) {
    text += "parameters:\n";
    for (auto j : model) text += fmt::format("  {}: {}\n", parameters[j].path.substr(11), result.best[j]);
  }
  for (auto j : other) text += fmt::format("{}: {}\n", parameters[j].path, result.best[j]);
  return text;
}

}  // namespace haven
