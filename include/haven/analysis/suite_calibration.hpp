#pragma once
// Calibration across the cases of a validation suite (docs/validation.md, "Calibration across cases"): one set of
// values fitted to several scenarios at once, each case scored by its own measure, and leave-one-case-out, which
// fits on all cases but one and scores that one. The search is calibrate()'s (NLopt, common random numbers).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "haven/analysis/calibrate.hpp"
#include "haven/analysis/suite.hpp"

namespace haven {

// One case in one departure mode, as the objective counts it.
struct CaseError {
  std::string name;
  std::string departures;
  std::string measure;  // "target", "ARD" or "mean error"; empty when the row is not scored
  std::optional<double> error;
  double weight = 0.0;  // its share of the objective: the scored rows' weights sum to 1
  std::string status;   // "ok", or why the row is not scored
};

struct SuiteScore {
  double error = 0.0;  // the weighted mean of the rows' errors
  std::vector<CaseError> rows;
};

// What a row counts: a case with a target, how far the predicted mean (cumulative displaced on the target's date)
// lies outside the range, relative to the bound it crosses (0 inside); else, where it has camp series, Flee's ARD
// (the mean over runs); else the weighted mean absolute relative error over its observation points. Each case
// weighs its `weight` (1 unless the suite file says otherwise), shared equally by its scored departure modes.
// Throws std::runtime_error when no row can be scored.
SuiteScore score_suite(const SuiteFile& suite, const std::vector<SuiteRow>& rows);

// The suite holding only the cases named (in the suite's order). Throws InputError naming each unknown one, located
// at the command-line `option` that named it.
SuiteFile select_cases(const SuiteFile& suite, const std::vector<std::string>& names,
                       const std::string& option = "--cases");

// The cases that leaving `name` out leaves out: every case of the same scenario file, as they share its
// observations (idlib_2018's what-ifs are scored against the same OCHA points and facts). Throws InputError when
// `name` is not a case.
std::vector<std::string> held_out_with(const SuiteFile& suite, const std::string& name);

struct SuiteCalibrationOptions {
  CalibrationOptions search;  // runs, threads, seed, mode, algorithm, max_evaluations, tolerance, on_step
  std::optional<int> days;    // every case cut to its first N days
  // Called before each fit's search, once its ranges are checked, with what it leaves out (empty: the fit on every
  // case).
  std::function<void(const std::vector<std::string>& held_out)> on_fit;
};

struct SuiteFit {
  std::vector<std::string> held_out;  // the cases the fit never ran
  CalibrationResult result;           // the search, its error the objective over the fitted cases
  SuiteScore start;                   // every case of the suite at the start values (weights of the whole suite)
  SuiteScore best;                    // every case at the fitted values: in-sample for the fitted, out for the others
  std::map<std::string, int> case_runs;  // evaluations of the search that ran each case (held-out ones: none)
};

// The start of the search: Haven's default of each model parameter (the registry's), else the range's middle.
std::vector<double> suite_start_values(const std::vector<CalibrationParameter>& parameters);

// Fits `parameters` to the cases of `suite` other than `held_out`, then scores every case at the start and fitted
// values. Throws InputError when a range end is not valid for a case's scenario, when a held-out name is not a case,
// or when nothing is left to fit.
SuiteFit calibrate_suite(const SuiteFile& suite, const std::vector<CalibrationParameter>& parameters,
                         const std::vector<std::string>& held_out, const SuiteCalibrationOptions& options);

struct SuiteCalibration {
  std::optional<SuiteFit> in_sample;  // fitted on every case
  std::vector<SuiteFit> folds;        // each leaves one case (with its scenario's other cases) out
};

// Every case's fold (each scenario file once), plus the fit on all cases when `in_sample`.
SuiteCalibration leave_one_case_out(const SuiteFile& suite, const std::vector<CalibrationParameter>& parameters,
                                    const SuiteCalibrationOptions& options, bool in_sample = true);

// The table `haven calibrate --suite` prints (per case: measure, weight, error at the start, in-sample, left out;
// then the fitted values of each fit) and the same as CSV, one row per case and departure mode.
std::string suite_calibration_table(const std::vector<CalibrationParameter>& parameters,
                                    const SuiteCalibration& calibration);
std::string suite_calibration_csv(const std::vector<CalibrationParameter>& parameters,
                                  const SuiteCalibration& calibration);

}  // namespace haven
