#include "haven/scenario/parameters.hpp"

#include <fmt/format.h>

namespace haven {

double* ModelParameters::find(std::string_view name) noexcept {
#define HAVEN_FIND_FIELD(field, units, default_value, minimum, maximum, meaning, origin) \
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
      "with `--set parameters.NAME=VALUE`. Values outside the allowed range are rejected with a located error.\n"
      "The equations that use them are in [model.md](model.md).\n\n"
      "| name | units | default | allowed range | meaning | where the default comes from |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& spec : parameter_specs) {
    out += fmt::format("| `{}` | {} | {:g} | [{:g}, {:g}] | {} | {} |\n", spec.name, spec.units, spec.default_value,
                       spec.minimum, spec.maximum, spec.meaning, spec.origin);
  }
  return out;
}

std::string parameters_table() {
  std::size_t width = 0;
  for (const auto& spec : parameter_specs) width = std::max(width, spec.name.size());
  std::string out =
      fmt::format("{:<{}}  {:<11}  {:>9}  {:<17}  {}\n", "name", width, "units", "default", "range", "meaning");
  for (const auto& spec : parameter_specs) {
    out += fmt::format("{:<{}}  {:<11}  {:>9g}  {:<17}  {}\n", spec.name, width, spec.units, spec.default_value,
                       fmt::format("[{:g}, {:g}]", spec.minimum, spec.maximum), spec.meaning);
  }
  return out;
}

}  // namespace haven
