#include "haven/scenario/parameters.hpp"

#include <fmt/format.h>

#include <cmath>

namespace haven {

double* ModelParameters::find(std::string_view name) noexcept {
#define HAVEN_FIND_FIELD(field, units, default_value, minimum, maximum, kind, meaning, origin) \
  if (name == #field) return &field;
  HAVEN_MODEL_PARAMETERS(HAVEN_FIND_FIELD)
#undef HAVEN_FIND_FIELD
  return nullptr;
}

const double* ModelParameters::find(std::string_view name) const noexcept {
  return const_cast<ModelParameters*>(this)->find(name);  // NOLINT: same lookup, read-only view
}

const ParameterSpec* find_parameter_spec(std::string_view name) noexcept {
  for (const auto& spec : parameter_specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool parameter_value_allowed(const ParameterSpec& spec, double value) noexcept {
  if (!(value >= spec.minimum && value <= spec.maximum)) return false;
  switch (spec.kind) {
    case ParameterKind::real:
      return true;
    case ParameterKind::whole:
      return value == std::floor(value);
    case ParameterKind::on_off:
      return value == 0.0 || value == 1.0;
  }
  return false;
}

std::string allowed_values(const ParameterSpec& spec) {
  switch (spec.kind) {
    case ParameterKind::whole:
      return fmt::format("a whole number in [{:g}, {:g}]", spec.minimum, spec.maximum);
    case ParameterKind::on_off:
      return "0 or 1";
    case ParameterKind::real:
      break;
  }
  return fmt::format("[{:g}, {:g}]", spec.minimum, spec.maximum);
}

std::string_view to_string(ParameterKind kind) noexcept {
  switch (kind) {
    case ParameterKind::whole:
      return "whole";
    case ParameterKind::on_off:
      return "on_off";
    case ParameterKind::real:
      break;
  }
  return "real";
}

std::array<std::string_view, parameter_specs.size()> parameter_names() noexcept {
  std::array<std::string_view, parameter_specs.size()> names{};
  for (std::size_t i = 0; i < parameter_specs.size(); ++i) names[i] = parameter_specs[i].name;
  return names;
}

std::string parameters_markdown() {
  std::string out =
      "# Model parameters\n\n"
      "<!-- Generated from include/haven/scenario/parameters.hpp by `haven params --markdown`; do not edit. -->\n\n"
      "Every parameter can be set in a scenario's `parameters:` section, in a variant, or on the command line\n"
      "with `--set parameters.NAME=VALUE`. Values outside the allowed range are rejected with a located error, and so\n"
      "are fractions of a parameter that takes whole numbers or 0 or 1 (a switch).\n"
      "The equations that use them are in [model.md](model.md).\n\n"
      "| name | units | default | allowed range | meaning | where the default comes from |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& spec : parameter_specs) {
    out += fmt::format("| `{}` | {} | {:g} | {} | {} | {} |\n", spec.name, spec.units, spec.default_value,
                       allowed_values(spec), spec.meaning, spec.origin);
  }
  return out;
}

std::string parameters_table() {
  std::size_t width = 0;
  std::size_t range_width = 0;
  for (const auto& spec : parameter_specs) {
    width = std::max(width, spec.name.size());
    range_width = std::max(range_width, allowed_values(spec).size());
  }
  std::string out = fmt::format("{:<{}}  {:<11}  {:>9}  {:<{}}  {}\n", "name", width, "units", "default", "range",
                                range_width, "meaning");
  for (const auto& spec : parameter_specs) {
    out += fmt::format("{:<{}}  {:<11}  {:>9g}  {:<{}}  {}\n", spec.name, width, spec.units, spec.default_value,
                       allowed_values(spec), range_width, spec.meaning);
  }
  return out;
}

}  // namespace haven
