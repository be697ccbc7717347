#include "haven/analysis/suite_calibration.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "haven/scenario/parameters.hpp"
#include "haven/util/csv.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

namespace haven {

namespace {

// A case with a target counts only its target: a what-if's observations are those of what happened, which its base
// case already scores.
std::optional<double> row_error(const SuiteCase& c, const SuiteRow& row, std::string& measure, std::string& why) {
  if (row.status != "ok") {
    why = row.status;
    return std::nullopt;
  }
  if (c.target) {
    if (!row.target_predicted) {
      why = "not scored: the target's date is outside the simulated days";
      return std::nullopt;
    }
    measure = "target";
    const double mean = row.target_predicted->mean;
    if (c.target->min && mean < *c.target->min) return (*c.target->min - mean) / std::max(*c.target->min, 1.0);
    if (c.target->max && mean > *c.target->max) return (mean - *c.target->max) / std::max(*c.target->max, 1.0);
    return 0.0;
  }
  if (row.ard) {
    measure = "ARD";
    return row.ard->mean;
  }
  if (row.mean_error) {
    measure = "mean error";
    return *row.mean_error;
  }
  why = "not scored: no observation point in the simulated days";
  return std::nullopt;
}

const SuiteCase& case_named(const SuiteFile& suite, const std::string& name) {
  for (const auto& c : suite.cases) {
    if (c.name == name) return c;
  }
  throw std::logic_error("suite calibration: no case " + name);
}

std::vector<SuiteRow> run_cases(const SuiteFile& suite, const std::vector<CalibrationParameter>& parameters,
                                const std::vector<double>& values, const SuiteCalibrationOptions& options) {
  SuiteSettings settings;
  settings.runs = options.search.mode == Mode::expected ? 1 : options.search.runs;
  settings.days = options.days;
  settings.seed = options.search.seed;
  settings.mode = options.search.mode;
  settings.threads = options.search.threads;
  settings.overrides = calibration_overrides(parameters, values);
  return run_suite(suite, settings);
}

std::string number_or_dash(const std::optional<double>& value) {
  return value ? fmt::format("{:.4f}", *value) : std::string("-");
}

const CaseError* row_of(const SuiteScore& score, const CaseError& like) {
  for (const auto& row : score.rows) {
    if (row.name == like.name && row.departures == like.departures) return &row;
  }
  return nullptr;
}

// The fold that held `name` out.
const SuiteFit* fold_of(const SuiteCalibration& calibration, const std::string& name) {
  for (const auto& fold : calibration.folds) {
    if (std::find(fold.held_out.begin(), fold.held_out.end(), name) != fold.held_out.end()) return &fold;
  }
  return nullptr;
}

const SuiteScore& reference_score(const SuiteCalibration& calibration) {
  if (calibration.in_sample) return calibration.in_sample->best;
  if (calibration.folds.empty()) throw std::logic_error("suite calibration: nothing fitted");
  return calibration.folds.front().best;
}

std::string fit_label(const SuiteFit& fit) {
  return fit.held_out.empty() ? std::string("all cases") : fmt::format("without {}", fmt::join(fit.held_out, ", "));
}

std::string shortened(const std::string& text, std::size_t limit) {
  return text.size() <= limit ? text : text.substr(0, limit - 3) + "...";
}

}  // namespace

SuiteScore score_suite(const SuiteFile& suite, const std::vector<SuiteRow>& rows) {
  SuiteScore score;
  std::map<std::string, int> scored_modes;
  for (const auto& row : rows) {
    CaseError e{row.name, row.departures, "", std::nullopt, 0.0, "ok"};
    e.error = row_error(case_named(suite, row.name), row, e.measure, e.status);
    if (e.error) ++scored_modes[row.name];
    score.rows.push_back(std::move(e));
  }
  double total_weight = 0.0;
  for (auto& e : score.rows) {
    if (!e.error) continue;
    e.weight = case_named(suite, e.name).weight / scored_modes[e.name];
    total_weight += e.weight;
  }
  if (!(total_weight > 0.0)) {
    throw std::runtime_error(
        "no case can be scored (no target date, camp series or observation point within the simulated days, or "
        "every weight 0): there is nothing to fit");
  }
  for (auto& e : score.rows) {
    if (!e.error) continue;
    e.weight /= total_weight;
    score.error += e.weight * *e.error;
  }
  return score;
}

SuiteFile select_cases(const SuiteFile& suite, const std::vector<std::string>& names, const std::string& option) {
  Diagnostics unknown;
  std::vector<std::string> all;
  for (const auto& c : suite.cases) all.push_back(c.name);
  for (const auto& name : names) {
    if (std::find(all.begin(), all.end(), name) == all.end()) {
      const std::string hint = did_you_mean(name, std::span<const std::string>(all));
      unknown.error({fmt::format("command line ({} {})", option, name), 0, 0},
                    hint.empty()
                        ? fmt::format("no case '{}' in the suite {}; its cases: {}", name, suite.path.generic_string(),
                                      fmt::join(all, ", "))
                        : fmt::format("no case '{}' in the suite {}{}", name, suite.path.generic_string(), hint));
    }
  }
  if (unknown.has_errors()) throw InputError(unknown);
  SuiteFile selected = suite;
  std::erase_if(selected.cases,
                [&](const SuiteCase& c) { return std::find(names.begin(), names.end(), c.name) == names.end(); });
  return selected;
}

std::vector<std::string> held_out_with(const SuiteFile& suite, const std::string& name) {
  const SuiteFile only = select_cases(suite, {name}, "--leave-out");
  const SuiteCase& named = case_named(only, name);
  std::vector<std::string> group;
  for (const auto& c : suite.cases) {
    if (c.scenario == named.scenario) group.push_back(c.name);
  }
  return group;
}

std::vector<double> suite_start_values(const std::vector<CalibrationParameter>& parameters) {
  std::vector<double> start;
  for (const auto& p : parameters) {
    double value = 0.5 * (p.lower + p.upper);
    if (p.start) {
      value = *p.start;
    } else if (p.path.rfind("parameters.", 0) == 0) {
      if (const auto* spec = find_parameter_spec(p.path.substr(11))) value = spec->default_value;
    }
    start.push_back(value);
  }
  return start;
}

SuiteFit calibrate_suite(const SuiteFile& suite, const std::vector<CalibrationParameter>& parameters,
                         const std::vector<std::string>& held_out, const SuiteCalibrationOptions& options) {
  if (parameters.empty()) throw std::invalid_argument("calibrate: no parameters to fit");
  (void)select_cases(suite, held_out, "--leave-out");  // every held-out name is a case
  std::vector<std::string> fitted_names, held_names;
  for (const auto& c : suite.cases) {
    const bool out = std::find(held_out.begin(), held_out.end(), c.name) != held_out.end();
    (out ? held_names : fitted_names).push_back(c.name);
  }
  if (fitted_names.empty()) {
    Diagnostics nothing;
    nothing.error({suite.path.string(), 0, 0},
                  fmt::format("leaving out {} leaves no case to fit", fmt::join(held_names, ", ")));
    throw InputError(nothing);
  }
  // Every range must make every case's scenario valid (probe_values()): a located error now, not mid-search.
  Diagnostics invalid;
  for (const auto& c : suite.cases) {
    for (std::size_t j = 0; j < parameters.size(); ++j) {
      const auto probes = probe_values(parameters[j]);
      for (std::size_t k = 0; k < probes.size(); ++k) {
        LoadOptions probe;
        probe.variant = c.variant;
        probe.variant_origin = c.origin;
        std::vector<double> values = suite_start_values(parameters);
        values[j] = probes[k];
        probe.overrides = {calibration_overrides(parameters, values)[j]};
        const auto checked = load_scenario_file(c.scenario, probe);
        if (!checked.diagnostics.has_errors()) continue;
        for (const auto& d : checked.diagnostics.all()) {
          if (d.severity == Severity::error) {
            invalid.error(d.location, fmt::format("case '{}': {}{}", c.name, d.message, probe_hint(k)));
          }
        }
        break;  // the first value refused says it for this case: the value between the ends only if both passed
      }
    }
  }
  if (invalid.has_errors()) throw InputError(invalid);
  // A case with no observation point (nor its target) in the days simulated would be run at every evaluation and
  // then reported "not scored": said now, before the search, with what to change.
  Diagnostics unscored;
  for (const auto& c : suite.cases) {
    LoadOptions as_given;
    as_given.variant = c.variant;
    as_given.variant_origin = c.origin;
    const auto loaded = load_scenario_file(c.scenario, as_given);
    if (!loaded.scenario) continue;  // its errors are the probes' above
    const Scenario& scenario = *loaded.scenario;
    int days = scenario.days;
    if (c.days) days = std::min(days, *c.days);
    if (options.days) days = std::min(days, *options.days);
    bool scored = false;
    if (c.target) {
      const auto day = days_between(scenario.start_date, c.target->date);
      scored = day >= 0 && day < days;
    } else {
      for (const auto& series : scenario.observations) {
        for (const auto& point : series.points) scored = scored || (point.day >= 0 && point.day < days);
      }
    }
    if (scored) continue;
    unscored.error(c.origin,
                   fmt::format("case '{}': nothing to score in the {} day{} simulated ({} to {}): {}; simulate more "
                               "days (--days, the case's days) or leave the case out (--cases)",
                               c.name, days, days == 1 ? "" : "s", format_iso_date(scenario.start_date),
                               format_iso_date(add_days(scenario.start_date, days - 1)),
                               c.target ? fmt::format("its target is on {}", format_iso_date(c.target->date))
                                        : std::string("no observation point falls in them")));
  }
  if (unscored.has_errors()) throw InputError(unscored);
  if (options.on_fit) options.on_fit(held_out);

  const SuiteFile fitted = select_cases(suite, fitted_names);
  SuiteFit fit;
  fit.held_out = held_names;
  std::vector<SuiteRow> start_rows, best_rows;
  double best_error = 0.0;
  int evaluations = 0;
  const auto error_at = [&](const std::vector<double>& values) {
    std::vector<SuiteRow> rows = run_cases(fitted, parameters, values, options);
    for (const auto& name : fitted_names) ++fit.case_runs[name];
    const double error = score_suite(fitted, rows).error;
    ++evaluations;
    if (evaluations == 1) start_rows = rows;
    if (evaluations == 1 || error < best_error) best_error = error, best_rows = std::move(rows);
    return error;
  };
  fit.result = minimise_error(parameters, suite_start_values(parameters), options.search, error_at);

  // The held-out cases, run at the start and fitted values only once the search is over.
  if (!held_names.empty()) {
    const SuiteFile held = select_cases(suite, held_names);
    for (auto [values, rows] :
         {std::pair{suite_start_values(parameters), &start_rows}, std::pair{fit.result.best, &best_rows}}) {
      auto more = run_cases(held, parameters, values, options);
      rows->insert(rows->end(), more.begin(), more.end());
    }
  }
  // In the suite's order, weighted as in the objective over every case.
  const auto in_suite_order = [&](std::vector<SuiteRow> rows) {
    std::vector<SuiteRow> ordered;
    for (const auto& c : suite.cases) {
      for (auto& row : rows) {
        if (row.name == c.name) ordered.push_back(row);
      }
    }
    return ordered;
  };
  fit.start = score_suite(suite, in_suite_order(start_rows));
  fit.best = score_suite(suite, in_suite_order(best_rows));
  return fit;
}

SuiteCalibration leave_one_case_out(const SuiteFile& suite, const std::vector<CalibrationParameter>& parameters,
                                    const SuiteCalibrationOptions& options, bool in_sample) {
  std::vector<std::vector<std::string>> groups;
  std::set<std::string> grouped;
  for (const auto& c : suite.cases) {
    if (grouped.count(c.name)) continue;
    groups.push_back(held_out_with(suite, c.name));
    grouped.insert(groups.back().begin(), groups.back().end());
  }
  if (groups.size() < 2) {
    Diagnostics one;
    one.error({suite.path.string(), 0, 0},
              "leave-one-case-out needs cases of at least two scenario files (cases of one scenario share its "
              "observations and are left out together)");
    throw InputError(one);
  }
  SuiteCalibration calibration;
  if (in_sample) {
    calibration.in_sample = calibrate_suite(suite, parameters, {}, options);
  }
  for (const auto& group : groups) {
    calibration.folds.push_back(calibrate_suite(suite, parameters, group, options));
  }
  return calibration;
}

std::string suite_calibration_table(const std::vector<CalibrationParameter>& parameters,
                                    const SuiteCalibration& calibration) {
  const SuiteScore& reference = reference_score(calibration);
  const SuiteFit& any_fit = calibration.in_sample ? *calibration.in_sample : calibration.folds.front();
  const bool folds = !calibration.folds.empty();
  const std::string fitted_column = calibration.in_sample ? "in-sample" : "fitted";
  constexpr const char* layout = "  {:<28} {:<10} {:<10} {:>6} {:>9} {:>9} {:>9}  {}\n";
  std::string out = fmt::format(fmt::runtime(layout), "case", "departures", "measure", "weight", "start", fitted_column,
                                folds ? "left out" : "", folds ? "fold" : "");
  double start_total = 0.0, fitted_total = 0.0, left_out_total = 0.0;
  bool left_out_complete = folds;
  for (const auto& row : reference.rows) {
    const CaseError* start = row_of(any_fit.start, row);
    // In-sample: the fit on every case; with one fold only, that fold's fit on the cases it saw.
    const SuiteFit* own_fold = fold_of(calibration, row.name);
    const CaseError* fitted = nullptr;
    if (calibration.in_sample) {
      fitted = &row;
    } else if (own_fold == nullptr) {
      fitted = row_of(calibration.folds.front().best, row);
    }
    const CaseError* left_out = own_fold != nullptr ? row_of(own_fold->best, row) : nullptr;
    if (!row.error) {
      out += fmt::format("  {:<28} {:<10} {}\n", row.name, row.departures, row.status);
      continue;
    }
    start_total += row.weight * start->error.value_or(0.0);
    if (fitted != nullptr) fitted_total += row.weight * fitted->error.value_or(0.0);
    if (left_out != nullptr && left_out->error) {
      left_out_total += row.weight * *left_out->error;
    } else {
      left_out_complete = false;
    }
    out += fmt::format(fmt::runtime(layout), row.name, row.departures, row.measure, fmt::format("{:.3f}", row.weight),
                       number_or_dash(start->error), fitted ? number_or_dash(fitted->error) : std::string("-"),
                       left_out ? number_or_dash(left_out->error) : std::string(folds ? "-" : ""),
                       own_fold ? fit_label(*own_fold) : std::string());
  }
  out += fmt::format(fmt::runtime(layout), "weighted mean", "", "", "1", fmt::format("{:.4f}", start_total),
                     calibration.in_sample ? fmt::format("{:.4f}", fitted_total) : std::string("-"),
                     left_out_complete ? fmt::format("{:.4f}", left_out_total) : std::string(folds ? "-" : ""), "");
  out += "fitted values (objective: the weighted mean over the cases fitted)\n";
  std::string head = fmt::format("  {:<40} {:>6} {:>9}", "fit", "evals", "objective");
  for (const auto& p : parameters) head += fmt::format(" {:>14}", p.name.substr(0, 14));
  out += head + "\n";
  std::string start_line = fmt::format("  {:<40} {:>6} {:>9}", "start (Haven's defaults)", "", "");
  for (double v : suite_start_values(parameters)) start_line += fmt::format(" {:>14.6g}", v);
  out += start_line + "\n";
  const auto fit_line = [&](const SuiteFit& fit) {
    std::string line =
        fmt::format("  {:<40} {:>6} {:>9.4f}", shortened(fit_label(fit), 40), fit.result.evaluations, fit.result.error);
    for (double v : fit.result.best) line += fmt::format(" {:>14.6g}", v);
    return line + fmt::format("  ({})\n", fit.result.stop_reason);
  };
  if (calibration.in_sample) out += fit_line(*calibration.in_sample);
  for (const auto& fold : calibration.folds) out += fit_line(fold);
  out +=
      "measure: target = how far the predicted cumulative displaced on the target's date lies outside its range "
      "(relative to the bound); ARD = Flee's, mean over runs; mean error = weighted mean absolute relative error over "
      "the observation points. weight: the case's share of the objective (cases equal unless the suite file says "
      "`weight`; departure modes share their case's). left out: the case's error under the fit that never ran it "
      "(nor the other cases of its scenario)\n";
  // Columns that are empty (no fold) leave no trailing blanks.
  std::string trimmed;
  for (char ch : out) {
    if (ch == '\n') {
      while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
    }
    trimmed += ch;
  }
  return trimmed;
}

std::string suite_calibration_csv(const std::vector<CalibrationParameter>& parameters,
                                  const SuiteCalibration& calibration) {
  const SuiteScore& reference = reference_score(calibration);
  const SuiteFit& any_fit = calibration.in_sample ? *calibration.in_sample : calibration.folds.front();
  std::string out = "case,departures,measure,weight,status,start_error,in_sample_error,fold,fold_evaluations,";
  out += "leave_one_out_error";
  for (const auto& p : parameters) out += "," + csv_field("in_sample_" + p.name);
  for (const auto& p : parameters) out += "," + csv_field("fold_" + p.name);
  out += "\n";
  const auto number = [](const std::optional<double>& v) { return v ? fmt::format("{}", *v) : std::string(); };
  for (const auto& row : reference.rows) {
    const CaseError* start = row_of(any_fit.start, row);
    const SuiteFit* own_fold = fold_of(calibration, row.name);
    const CaseError* left_out = own_fold != nullptr ? row_of(own_fold->best, row) : nullptr;
    std::vector<std::string> fields = {csv_field(row.name),
                                       row.departures,
                                       row.measure,
                                       row.error ? fmt::format("{}", row.weight) : std::string(),
                                       csv_field(row.status),
                                       start ? number(start->error) : std::string(),
                                       calibration.in_sample ? number(row.error) : std::string(),
                                       own_fold ? csv_field(fit_label(*own_fold)) : std::string(),
                                       own_fold ? std::to_string(own_fold->result.evaluations) : std::string(),
                                       left_out ? number(left_out->error) : std::string()};
    for (std::size_t j = 0; j < parameters.size(); ++j) {
      fields.push_back(calibration.in_sample ? fmt::format("{}", calibration.in_sample->result.best[j]) : "");
    }
    for (std::size_t j = 0; j < parameters.size(); ++j) {
      fields.push_back(own_fold ? fmt::format("{}", own_fold->result.best[j]) : "");
    }
    out += fmt::format("{}\n", fmt::join(fields, ","));
  }
  return out;
}

}  // namespace haven
