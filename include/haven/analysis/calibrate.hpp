#pragma once
// Calibration: fit a handful of global values to a scenario's observations by minimising the weighted mean
// absolute relative error of the ensemble mean (the number `haven validate --max-error` judges), with a derivative-free
// optimiser from NLopt (BOBYQA by default). Every evaluation runs the same members with the same seeds (common random
// numbers), so the objective is a deterministic function of the values and the optimiser compares like with like.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "haven/analysis/validation.hpp"
#include "haven/engine/observer.hpp"
#include "haven/scenario/load.hpp"

namespace haven {

struct CalibrationParameter {
  std::string name;  // as given: a model parameter name or a key path
  std::string path;  // the key path it sets (parameters.<name> for a model parameter)
  double lower = 0.0;
  double upper = 1.0;
  std::optional<double> start;  // default: the scenario's value (a model parameter's), clamped into the bounds
};

// "NAME=LO:HI" -> a parameter; nullopt and `error` set when malformed.
std::optional<CalibrationParameter> parse_calibration_parameter(const std::string& text, std::string& error);

struct CalibrationStep {
  int evaluation = 0;
  std::vector<double> values;
  double error = 0.0;       // weighted mean absolute relative error of the ensemble mean
  double best_error = 0.0;  // so far
  bool best = false;        // this evaluation's values are the best so far (the first of equals is kept)
};

struct CalibrationOptions {
  int runs = 20;
  int threads = 1;
  std::optional<std::uint64_t> seed;  // default: the scenario's
  Mode mode = Mode::stochastic;
  std::string algorithm = "bobyqa";  // bobyqa, sbplx, neldermead, cobyla
  int max_evaluations = 60;
  double relative_tolerance = 1e-3;  // on the values, scaled to their ranges
  ValidationWindow window;
  std::function<void(const CalibrationStep&)> on_step;
};

struct CalibrationResult {
  std::vector<double> best;
  double error = 0.0;
  double start_error = 0.0;
  int evaluations = 0;
  std::string stop_reason;
  std::size_t points = 0;             // observation points compared
  std::vector<SkippedPoint> skipped;  // points in the window that could not be (observed 0, ...)
};

inline constexpr const char* calibration_algorithms[] = {"bobyqa", "sbplx", "neldermead", "cobyla"};

// `base` is the scenario load (variant, overlays, --set); the parameters are applied on top. The first evaluation is
// at the start values. Throws InputError when a value in the bounds is not valid for the scenario, when it has no
// observations, or when a --set in `base` fixes a value being fitted (every evaluation would run that value).

CalibrationResult calibrate(const std::filesystem::path& scenario, const LoadOptions& base,
                            const std::vector<CalibrationParameter>& parameters, const CalibrationOptions& options);

// The search alone, on any error of the values (in the order of `parameters`): NLopt over the ranges scaled to
// [0, 1], the first evaluation at `start` (each clamped into its range), at most options.max_evaluations, stopping
// when the values stop moving. `error_at` may throw; the search then stops and the exception is rethrown.
// calibrate() and the suite calibration (suite_calibration.hpp) both use it.
CalibrationResult minimise_error(const std::vector<CalibrationParameter>& parameters, const std::vector<double>& start,
                                 const CalibrationOptions& options,
                                 const std::function<double(const std::vector<double>&)>& error_at);

// The values as overrides of a scenario load, each located at its --param.
std::vector<Override> calibration_overrides(const std::vector<CalibrationParameter>& parameters,
                                            const std::vector<double>& values);

// The --set of `sets` that fixes what `parameter` fits (the same key, or a mapping or list holding it), if any.
std::optional<std::string> set_fixing(const CalibrationParameter& parameter, const std::vector<std::string>& sets);

// Throws InputError naming every --set in `base` that fixes a fitted value (calibrate calls it first).
void check_fitted_values_free(const std::vector<CalibrationParameter>& parameters, const LoadOptions& base);

// Where a range is checked before a search: its ends, and one value between them (a key that takes only whole
// numbers, a population, accepts both ends and refuses what the search tries between them).
std::array<double, 3> probe_values(const CalibrationParameter& parameter);
// What to add to an error of probe_values()[probe]: for the value between the ends, that the ends are valid and a
// key of whole numbers is swept rather than calibrated; nothing for an end.
std::string probe_hint(std::size_t probe);

// The overlay `haven run --set-file` takes: the fitted values, with a header saying how they were found.
std::string calibration_overlay(const std::vector<CalibrationParameter>& parameters, const CalibrationResult& result,
                                const std::string& header);

}  // namespace haven
