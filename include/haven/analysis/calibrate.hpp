#pragma once
// Calibration: fit a handful of global values to a scenario's observations by minimising the mean absolute
// relative error of the ensemble mean, with a derivative-free optimiser from NLopt (BOBYQA by default). Every
// evaluation runs the same members with the same seeds (common random numbers), so the objective is a
// deterministic function of the values and the optimiser compares like with like.

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
  std::optional<double> start;  // default: the scenario's value when inside the bounds, else the middle
};

// "NAME=LO:HI" -> a parameter; nullopt and `error` set when malformed.
std::optional<CalibrationParameter> parse_calibration_parameter(const std::string& text, std::string& error);

struct CalibrationStep {
  int evaluation = 0;
  std::vector<double> values;
  double error = 0.0;       // mean absolute relative error of the ensemble mean
  double best_error = 0.0;  // so far
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
  std::size_t points = 0;  // observation points compared
};

inline constexpr const char* calibration_algorithms[] = {"bobyqa", "sbplx", "neldermead", "cobyla"};

// `base` is the scenario load (variant, overlays, --set); the parameters are applied on top. Throws InputError
// when a value in the bounds is not valid for the scenario, or it has no observations.
CalibrationResult calibrate(const std::filesystem::path& scenario, const LoadOptions& base,
                            const std::vector<CalibrationParameter>& parameters, const CalibrationOptions& options);

// The overlay `haven run --set-file` takes: the fitted values, with a header saying how they were found.
std::string calibration_overlay(const std::vector<CalibrationParameter>& parameters, const CalibrationResult& result,
                                const std::string& header);

}  // namespace haven
