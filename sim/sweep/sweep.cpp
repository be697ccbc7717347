#include "haven/sweep/sweep.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <set>
#include <tuple>

#include "haven/engine/random.hpp"
#include "haven/scenario/parameters.hpp"
#include "haven/util/text.hpp"
#include "scenario/yaml_reader.hpp"

namespace haven {

using detail::join_path;
using detail::MapReader;
using detail::YamlReader;

namespace {

constexpr std::array<std::string_view, 2> top_keys = {"sweep", "design"};
constexpr std::array<std::string_view, 11> sweep_keys = {"name", "scenario",   "variant",    "mode",
                                                         "seed", "replicates", "days",       "common_random_numbers",
                                                         "set",  "output",     "description"};
constexpr std::array<std::string_view, 4> design_keys = {"method", "parameters", "points", "samples"};
constexpr std::array<std::string_view, 4> range_keys = {"min", "max", "scale", "integer"};
constexpr std::array<std::string_view, 4> method_names = {"list", "grid", "lhs", "random"};
constexpr std::array<std::string_view, 2> mode_names = {"stochastic", "expected"};
constexpr std::array<std::string_view, 2> scale_names = {"linear", "log"};

// Far more than any cluster runs, small enough that a typo (1e9) is caught before it fills a disk.
constexpr std::int64_t max_members = 10'000'000;
// Each member holds a value of every swept key as text (~130 bytes with its design's number): members x keys is what
// fills memory, 2 GB at most here (10 M members sweeping 10 keys took 15 GB and minutes, to list them).
constexpr std::int64_t max_member_values = 20'000'000;

// The YAML text of a value as written (plain scalars as is; lists and maps in flow style). The text is read as
// YAML again when the value is applied: a quoted scalar ("null", "[a, b]", "x: y", a line break) stays quoted,
// double-quoted and escaped, or it would read back as another value, or as none.
std::string value_text(const YAML::Node& node) {
  if (node.IsScalar() && node.Tag() != "!") return node.Scalar();
  if (node.IsScalar()) {
    YAML::Emitter emitter;
    emitter << YAML::DoubleQuoted << node.Scalar();
    std::string text = emitter.c_str();
    // yaml-cpp escapes the C0 controls in double quotes, but writes DEL as it is.
    for (auto at = text.find('\x7f'); at != std::string::npos; at = text.find('\x7f', at)) text.replace(at, 1, "\\x7F");
    return text;
  }
  YAML::Emitter emitter;
  emitter << YAML::Flow << node;
  return emitter.c_str();
}

class SweepDecoder {
 public:
  SweepDecoder(YamlReader& reader, SweepSpec& spec) : r_(reader), spec_(spec) {}

  void decode(const YAML::Node& root) {
    // A scenario or another kind of file given here: one line saying what it is and what reads it.
    if (detail::refused_as_other_kind(r_, root, detail::FileKind::sweep)) return;
    MapReader top(r_, root, "", top_keys);
    if (!top.valid()) return;
    if (auto node = top.require("sweep"); node.IsDefined()) decode_sweep(node);
    if (auto node = top.get("design"); node.IsDefined()) decode_design(node);
  }

 private:
  void decode_sweep(const YAML::Node& node) {
    MapReader m(r_, node, "sweep", sweep_keys);
    if (!m.valid()) return;
    if (auto v = m.require("name"); v.IsDefined()) spec_.name = r_.identifier(v, m.path("name")).value_or("");
    if (auto v = m.require("scenario"); v.IsDefined()) {
      if (auto text = r_.string(v, m.path("scenario"))) {
        const std::filesystem::path given(*text);
        spec_.scenario = given.is_absolute() ? given : (spec_.paths_relative_to / given).lexically_normal();
        scenario_origin_ = r_.where(v, m.path("scenario"));
      }
    }
    if (auto v = m.get("variant"); v.IsDefined()) {
      // An empty name would run the base: a variable left unset in a generated file, said rather than run.
      const auto named = r_.identifier(v, m.path("variant"));
      spec_.variant = named.value_or("");
      spec_.variant_origin = r_.where(v, m.path("variant"));
      variant_clean_ = named.has_value();
    }
    if (auto v = m.get("mode"); v.IsDefined()) {
      if (auto mode = r_.choice(v, m.path("mode"), mode_names)) {
        spec_.mode = *mode == "expected" ? Mode::expected : Mode::stochastic;
      }
    }
    if (auto v = m.require("seed"); v.IsDefined()) {
      if (auto seed = r_.seed(v, m.path("seed"))) {
        spec_.seed = *seed;
      }
    }
    if (auto v = m.get("replicates"); v.IsDefined()) {
      spec_.replicates = r_.whole_number(v, m.path("replicates"), 1, max_members).value_or(1);
    }
    if (auto v = m.get("days"); v.IsDefined()) {
      if (auto days = r_.whole_number(v, m.path("days"), 1, 100 * 366)) spec_.days = static_cast<int>(*days);
      spec_.days_origin = r_.where(v, m.path("days"));
    }
    if (auto v = m.get("common_random_numbers"); v.IsDefined()) {
      spec_.common_random_numbers = r_.boolean(v, m.path("common_random_numbers")).value_or(false);
    }
    if (auto v = m.get("output"); v.IsDefined()) {
      if (auto text = r_.string(v, m.path("output"))) spec_.output = *text;
    }
    if (auto v = m.get("description"); v.IsDefined()) (void)r_.string(v, m.path("description"));
    const std::size_t errors_before_set = r_.diagnostics().error_count();
    if (auto v = m.get("set"); v.IsDefined()) {
      if (!v.IsMap()) {
        r_.error(v, m.path("set"), "expected a mapping of key paths to values, e.g. 'parameters.return_delay_days: 7'");
      } else {
        for (auto it = v.begin(); it != v.end(); ++it) {
          const std::string key = it->first.Scalar();
          const std::string path = join_path(m.path("set"), key);
          if (!fixed_keys_.insert(key).second) {
            r_.error(it->first, path, fmt::format("duplicate key '{}'", key));
            continue;
          }
          if (auto scenario_path = key_path(it->first, path)) {
            spec_.fixed.push_back({*scenario_path, value_text(it->second), r_.where(it->second, path)});
          }
        }
      }
    }
    fixed_clean_ = r_.diagnostics().error_count() == errors_before_set;
  }

  // A registered model parameter by its name alone, or any scenario key path (with a '.').
  std::optional<std::string> key_path(const YAML::Node& key, const std::string& path) {
    const std::string name = key.Scalar();
    if (name.find('.') != std::string::npos || name.find('[') != std::string::npos) return name;
    if (find_parameter_spec(name) != nullptr) return "parameters." + name;
    const auto names = parameter_names();
    const std::string hint = did_you_mean(name, std::span(names));
    r_.error(key, path,
             fmt::format("'{}' is not a model parameter{} To vary another value, give its key path, e.g. "
                         "'nodes.<id>.capacity' (haven params lists the parameters)",
                         name, hint.empty() ? "." : hint));
    return std::nullopt;
  }

  void decode_design(const YAML::Node& node) {
    design_origin_ = r_.where(node, "design");
    MapReader m(r_, node, "design", design_keys);
    if (!m.valid()) return;
    if (auto v = m.require("method"); v.IsDefined()) {
      if (auto method = r_.choice(v, m.path("method"), method_names)) {
        if (*method == "list") spec_.method = DesignMethod::list;
        if (*method == "grid") spec_.method = DesignMethod::grid;
        if (*method == "lhs") spec_.method = DesignMethod::lhs;
        if (*method == "random") spec_.method = DesignMethod::random;
      }
    }
    const bool sampled = spec_.method == DesignMethod::lhs || spec_.method == DesignMethod::random;
    if (sampled) {
      if (auto v = m.require("samples"); v.IsDefined()) {
        spec_.samples = r_.whole_number(v, m.path("samples"), 1, max_members).value_or(0);
      }
    } else if (auto v = m.get("samples"); v.IsDefined() && spec_.method != DesignMethod::none) {
      r_.error(v, m.path("samples"),
               fmt::format("'samples' is for lhs and random designs, not {}", to_string(spec_.method)));
    }
    if (spec_.method == DesignMethod::list) {
      if (auto v = m.get("parameters"); v.IsDefined()) {
        r_.error(v, m.path("parameters"),
                 "a list design names its parameters in each of its 'points'; 'parameters' is for grid, lhs and "
                 "random designs");
      }
      if (auto v = m.require("points"); v.IsDefined()) decode_points(v, m.path("points"));
      return;
    }
    if (auto v = m.get("points"); v.IsDefined() && spec_.method != DesignMethod::none) {
      r_.error(v, m.path("points"), "'points' is for list designs");
    }
    auto v = m.require("parameters");
    if (!v.IsDefined()) return;
    if (!v.IsMap() || v.size() == 0) {
      r_.error(v, m.path("parameters"), "expected a mapping of parameters to their values or ranges");
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string name = it->first.Scalar();
      const std::string path = join_path(m.path("parameters"), name);
      if (const auto [first, fresh] = parameter_names_.emplace(name, r_.where(it->first, path).line); !fresh) {
        r_.error(it->first, path, fmt::format("duplicate key '{}' (first given at line {})", name, first->second));
        continue;
      }
      const std::size_t errors_before = r_.diagnostics().error_count();
      SweepParameter parameter;
      parameter.name = name;
      parameter.origin = r_.where(it->first, path);
      auto scenario_path = key_path(it->first, path);
      if (!scenario_path) continue;
      parameter.path = *scenario_path;
      const YAML::Node value = it->second;  // a copy: `it->second` belongs to a temporary
      if (spec_.method == DesignMethod::grid) {
        if (!r_.expect_sequence(value, path)) continue;
        if (value.size() == 0) {
          r_.error(value, path, "a grid axis needs at least one value");
          continue;
        }
        for (const auto& item : value) parameter.values.push_back(value_text(item));
      } else if (sampled) {
        decode_range(value, path, parameter);
      }
      clean_parameters_.push_back(r_.diagnostics().error_count() == errors_before);
      spec_.parameters.push_back(std::move(parameter));
    }
  }

  void decode_range(const YAML::Node& node, const std::string& path, SweepParameter& parameter) {
    if (node.IsSequence()) {
      r_.error(node, path, "lhs and random designs sample a range: write {min: ..., max: ...}, not a list");
      return;
    }
    MapReader m(r_, node, path, range_keys);
    if (!m.valid()) return;
    auto lo_node = m.require("min");
    auto hi_node = m.require("max");
    if (auto v = m.get("scale"); v.IsDefined()) {
      if (auto scale = r_.choice(v, m.path("scale"), scale_names)) {
        parameter.scale = *scale == "log" ? RangeScale::log : RangeScale::linear;
      }
    }
    // A parameter that takes only whole numbers or 0 or 1 is sampled in whole numbers unless told otherwise, which
    // it cannot be: a fraction would be refused by every member.
    const std::string_view prefix = "parameters.";
    const ParameterSpec* spec = parameter.path.starts_with(prefix)
                                    ? find_parameter_spec(std::string_view(parameter.path).substr(prefix.size()))
                                    : nullptr;
    const bool whole_only = spec != nullptr && spec->kind != ParameterKind::real;
    parameter.integer = whole_only;
    if (auto v = m.get("integer"); v.IsDefined()) {
      parameter.integer = r_.boolean(v, m.path("integer")).value_or(whole_only);
      if (whole_only && !parameter.integer) {
        r_.error(v, m.path("integer"),
                 fmt::format("{} takes {}: it is sampled in whole numbers (remove 'integer: false')", spec->name,
                             allowed_values(*spec)));
      }
    }
    if (!lo_node.IsDefined() || !hi_node.IsDefined()) return;
    auto lo = r_.number(lo_node, m.path("min"));
    auto hi = r_.number(hi_node, m.path("max"));
    if (!lo || !hi) return;
    if (!(*lo < *hi)) {
      r_.error(hi_node, m.path("max"), fmt::format("max must be greater than min ({})", *lo));
      return;
    }
    if (parameter.scale == RangeScale::log && *lo <= 0) {
      r_.error(lo_node, m.path("min"), "a log-scale range needs min > 0");
      return;
    }
    if (whole_only) {
      // Ends between whole numbers would be draws the user did not mean (a switch from 0.2 to 0.4 always off).
      for (const auto& [end, end_node, key] : {std::tuple{*lo, lo_node, "min"}, std::tuple{*hi, hi_node, "max"}}) {
        if (end != std::floor(end)) {
          r_.error(end_node, m.path(key),
                   fmt::format("{} takes {}: give whole ends, got {:g}", spec->name, allowed_values(*spec), end));
          return;
        }
      }
      parameter.whole_steps = parameter.scale == RangeScale::linear;
    }
    if (parameter.integer && std::ceil(*lo) > std::floor(*hi)) {
      // Rounded, every draw would fall outside the range.
      r_.error(hi_node, m.path("max"),
               fmt::format("no whole number lies between {:g} and {:g}, and the range is drawn in whole numbers "
                           "(integer: true): widen it, or drop 'integer'",
                           *lo, *hi));
      return;
    }
    parameter.minimum = *lo;
    parameter.maximum = *hi;
    parameter.values = {yaml_number(*lo, parameter.integer), yaml_number(*hi, parameter.integer)};
  }

  void decode_points(const YAML::Node& node, const std::string& path) {
    if (!r_.expect_sequence(node, path)) return;
    if (node.size() == 0) {
      r_.error(node, path, "a list design needs at least one point");
      return;
    }
    // The first point names the parameters; every other point must set the same ones.
    for (std::size_t k = 0; k < node.size(); ++k) {
      const YAML::Node point = node[k];
      const std::string point_path = fmt::format("{}[{}]", path, k);
      if (!point.IsMap() || point.size() == 0) {
        r_.error(point, point_path, "expected a mapping of parameters to values, e.g. {threat_kernel_km: 1.5}");
        continue;
      }
      std::vector<std::string> row(spec_.parameters.size());
      std::vector<bool> seen(spec_.parameters.size(), false);
      std::set<std::string> keys;
      for (auto it = point.begin(); it != point.end(); ++it) {
        const std::string name = it->first.Scalar();
        const std::string key_path_here = join_path(point_path, name);
        if (!keys.insert(name).second) {
          r_.error(it->first, key_path_here, fmt::format("duplicate key '{}'", name));
          continue;
        }
        auto found = std::find_if(spec_.parameters.begin(), spec_.parameters.end(),
                                  [&](const SweepParameter& p) { return p.name == name; });
        if (found == spec_.parameters.end()) {
          if (k > 0) {
            std::vector<std::string> known;
            for (const auto& p : spec_.parameters) known.push_back(p.name);
            r_.error(it->first, key_path_here,
                     fmt::format("'{}' is not set by the first point; every point sets the same parameters ({}){}",
                                 name, fmt::join(known, ", "), did_you_mean(name, std::span(known))));
            continue;
          }
          auto scenario_path = key_path(it->first, key_path_here);
          if (!scenario_path) continue;
          SweepParameter parameter;
          parameter.name = name;
          parameter.path = *scenario_path;
          parameter.origin = r_.where(it->first, key_path_here);
          spec_.parameters.push_back(std::move(parameter));
          row.emplace_back();
          seen.push_back(false);
          found = spec_.parameters.end() - 1;
        }
        const auto column = static_cast<std::size_t>(found - spec_.parameters.begin());
        row[column] = value_text(it->second);
        seen[column] = true;
      }
      for (std::size_t c = 0; c < seen.size(); ++c) {
        if (!seen[c]) {
          r_.error(point, point_path,
                   fmt::format("this point does not set '{}' (the first point does)", spec_.parameters[c].name));
        }
      }
      spec_.points.push_back(std::move(row));
      spec_.point_origins.push_back(r_.where(point, point_path));
    }
  }

 public:
  SourceLocation scenario_origin_;
  SourceLocation design_origin_;  // the `design:` mapping, which a too-large design is reported at
  // Read without an error of their own: checked against the scenario even when other keys have errors.
  std::vector<bool> clean_parameters_;  // by spec.parameters' index
  bool fixed_clean_ = true;             // sweep.set
  bool variant_clean_ = true;           // sweep.variant

 private:
  YamlReader& r_;
  SweepSpec& spec_;
  std::set<std::string> fixed_keys_;
  std::map<std::string, std::size_t> parameter_names_;  // the first line of each
};

// Where each parameter's values are checked against the scenario: loading it with the value set, so the value
// passes exactly the checks a scenario file does, and problems are reported in the sweep file.
void check_against_scenario(const SweepSpec& spec, const SourceLocation& scenario_origin, Diagnostics& diagnostics) {
  LoadOptions base;
  base.variant = spec.variant;
  base.variant_origin = spec.variant_origin;
  base.overrides = spec.fixed;
  auto loaded = load_scenario_file(spec.scenario, base);
  if (!loaded.scenario) {
    const bool missing = !std::filesystem::exists(spec.scenario);
    if (missing) {
      diagnostics.error(scenario_origin,
                        fmt::format("sweep.scenario: no scenario file at {} (paths are relative to the sweep file)",
                                    spec.scenario.string()));
      return;
    }
    for (const auto& d : loaded.diagnostics.all()) {
      if (d.severity == Severity::error) diagnostics.error(d.location, d.message);
    }
    return;
  }
  // As `haven run --days`: a run is never silently shorter than asked.
  if (spec.days && *spec.days > loaded.scenario->days) {
    diagnostics.error(spec.days_origin,
                      fmt::format("sweep.days: {} days, but the scenario's period is {} days; give at most {} (or "
                                  "lengthen the scenario's period with scenario.days or scenario.end_date)",
                                  *spec.days, loaded.scenario->days, loaded.scenario->days));
  }
  std::set<std::string> reported;
  // The scenario loads without the design's values (above), so a problem here is a value's doing: one the loader
  // found at another key (a day now after the event's end) is said at the value that caused it, with where that
  // key is, and the value named.
  auto probe = [&](const std::vector<Override>& edits, const SourceLocation& at_values, bool always_there) {
    LoadOptions options = base;
    options.overrides.insert(options.overrides.end(), edits.begin(), edits.end());
    auto result = load_scenario_file(spec.scenario, options);
    for (const auto& d : result.diagnostics.all()) {
      if (d.severity != Severity::error) continue;
      SourceLocation location = d.location;
      std::string message = d.message;
      const bool at_a_value = std::any_of(edits.begin(), edits.end(), [&](const Override& o) {
        return o.origin.file == d.location.file && o.origin.line == d.location.line;
      });
      if (!at_a_value && !edits.empty()) {
        std::vector<std::string> values;
        for (const auto& o : edits) values.push_back(fmt::format("{} = {}", o.path, o.value));
        message = fmt::format("{} (at {}:{}:{}, with {})", d.message, d.location.file, d.location.line,
                              d.location.column, fmt::join(values, ", "));
        location = at_values;
      } else if (always_there) {
        location = at_values;
      }
      const auto key = fmt::format("{}:{}:{}:{}", location.file, location.line, location.column, message);
      if (reported.insert(key).second) diagnostics.error(location, message);
    }
  };
  if (spec.method == DesignMethod::list) {
    for (std::size_t k = 0; k < spec.points.size(); ++k) {
      std::vector<Override> edits;
      for (std::size_t c = 0; c < spec.parameters.size(); ++c) {
        edits.push_back({spec.parameters[c].path, spec.points[k][c], spec.parameters[c].origin});
      }
      // A list's point is said at its own line (each parameter's origin is its key in the first point).
      probe(edits, k < spec.point_origins.size() ? spec.point_origins[k] : edits.front().origin, true);
    }
    return;
  }
  for (const auto& parameter : spec.parameters) {
    std::set<std::string> distinct(parameter.values.begin(), parameter.values.end());
    const auto errors_before = diagnostics.error_count();
    for (const auto& value : distinct) probe({{parameter.path, value, parameter.origin}}, parameter.origin, false);
    // An end refused already says what is wrong; a value between would say it again, with a hint that may not fit.
    if (diagnostics.error_count() > errors_before) continue;
    // A range is drawn anywhere between its ends: a key that takes only whole numbers (a population, a capacity)
    // accepts the ends and refuses what lies between, which every member would find out alone. One value between,
    // as the design writes it, is tried too.
    const bool ranged = spec.method == DesignMethod::lhs || spec.method == DesignMethod::random;
    if (!ranged || parameter.integer || parameter.whole_steps || !(parameter.maximum - parameter.minimum > 0.0))
      continue;
    const double between = parameter.minimum + (parameter.maximum - parameter.minimum) * 0.3819660112501051;
    LoadOptions options = base;
    options.overrides.push_back({parameter.path, yaml_number(between, false), parameter.origin});
    const auto result = load_scenario_file(spec.scenario, options);
    for (const auto& d : result.diagnostics.all()) {
      if (d.severity != Severity::error) continue;
      diagnostics.error(parameter.origin,
                        fmt::format("{}: the design draws values between {} and {}, and one of them ({}) is refused: "
                                    "{}; for a key that takes whole numbers add 'integer: true' to the range",
                                    parameter.name, yaml_number(parameter.minimum, false),
                                    yaml_number(parameter.maximum, false), yaml_number(between, false), d.message));
      break;
    }
  }
}

}  // namespace

const char* to_string(DesignMethod method) noexcept {
  switch (method) {
    case DesignMethod::none:
      return "none";
    case DesignMethod::list:
      return "list";
    case DesignMethod::grid:
      return "grid";
    case DesignMethod::lhs:
      return "lhs";
    case DesignMethod::random:
      return "random";
  }
  return "?";
}

std::string yaml_number(double value, bool integer) {
  if (integer) return fmt::format("{}", std::llround(value));
  return fmt::format("{}", value);
}

namespace {

// After errors in the file: the keys read without one are still checked against the scenario, so that every
// problem is said at once (a value out of range with an unknown key elsewhere). Not for a list design (its points
// are rows of every key) nor with sweep.set, sweep.variant or the scenario unread: their errors would be the first
// ones again, or keys of the variant said unknown.
void check_clean_keys_against_scenario(const SweepSpec& spec, const SweepDecoder& decoder, Diagnostics& diagnostics) {
  if (spec.scenario.empty() || spec.method == DesignMethod::list || !decoder.fixed_clean_ || !decoder.variant_clean_) {
    return;
  }
  SweepSpec clean = spec;
  clean.parameters.clear();
  for (std::size_t k = 0; k < spec.parameters.size(); ++k) {
    const auto& parameter = spec.parameters[k];
    // Said of this key: at its line and about it (a flow mapping puts every key on one line, and another key's
    // message may name this one in a "did you mean").
    const std::string about = "design.parameters." + parameter.name;
    const bool said = std::any_of(diagnostics.all().begin(), diagnostics.all().end(), [&](const Diagnostic& d) {
      const bool of_this_key =
          d.message.starts_with(about) && d.message.size() > about.size() &&
          (d.message[about.size()] == ':' || d.message[about.size()] == '[' || d.message[about.size()] == '.');
      return d.location.file == parameter.origin.file && d.location.line == parameter.origin.line && of_this_key;
    });
    if (k < decoder.clean_parameters_.size() && decoder.clean_parameters_[k] && !said) {
      clean.parameters.push_back(parameter);
    }
  }
  Diagnostics more;
  check_against_scenario(clean, decoder.scenario_origin_, more);
  for (const auto& d : more.all()) {
    const bool again = std::any_of(diagnostics.all().begin(), diagnostics.all().end(), [&](const Diagnostic& e) {
      return e.location.file == d.location.file && e.location.line == d.location.line && e.message == d.message;
    });
    if (d.severity == Severity::error && !again) diagnostics.error(d.location, d.message);
  }
}

}  // namespace

SweepLoadResult load_sweep_file(const std::filesystem::path& path, const std::filesystem::path& paths_relative_to) {
  SweepLoadResult result;
  const std::string display_name = path.string();
  const std::string text = detail::read_text_file(path, result.diagnostics, "a sweep file");
  if (result.diagnostics.has_errors()) return result;
  auto root = detail::parse_yaml(text, display_name, result.diagnostics, "a sweep");
  if (!root) return result;
  YamlReader reader(display_name, result.diagnostics);
  if (!root->IsDefined() || root->IsNull()) {
    result.diagnostics.error({display_name, 0, 0}, "the file is empty; a sweep needs at least a 'sweep' section");
    return result;
  }
  SweepSpec spec;
  spec.file = path;
  spec.paths_relative_to = paths_relative_to.empty() ? path.parent_path() : paths_relative_to;
  SweepDecoder decoder(reader, spec);
  try {
    decoder.decode(*root);
  } catch (const YAML::Exception& e) {
    result.diagnostics.error({display_name, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1,
                              e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1},
                             fmt::format("cannot read the YAML: {}", e.msg));
  }
  // A key both set and varied: the design's value is applied after the set one, in every member, so the set value
  // would never run.
  for (const auto& fixed : spec.fixed) {
    for (const auto& parameter : spec.parameters) {
      if (parameter.path != fixed.path) continue;
      result.diagnostics.error(
          fixed.origin, fmt::format("sweep.set: {} is varied by the design too (at {}:{}:{}), whose values every "
                                    "member takes: this one would never run; drop one of them",
                                    fixed.path, parameter.origin.file, parameter.origin.line, parameter.origin.column));
    }
  }
  // One key varied twice (`threat_kernel_km` and `parameters.threat_kernel_km`): every member would take the second's
  // value, and the first axis, recorded as varied, would vary nothing.
  for (std::size_t k = 0; k < spec.parameters.size(); ++k) {
    for (std::size_t j = 0; j < k; ++j) {
      const auto& later = spec.parameters[k];
      const auto& earlier = spec.parameters[j];
      if (later.path != earlier.path) continue;
      result.diagnostics.error(
          later.origin,
          fmt::format("design: {}{} is varied already as '{}' (at {}:{}:{}); each member would take only one of them: "
                      "drop one",
                      later.path, later.name == later.path ? std::string() : fmt::format(" ('{}')", later.name),
                      earlier.name, earlier.origin.file, earlier.origin.line, earlier.origin.column));
      break;
    }
  }
  // The sweep's seed gives every member its run's seed: the scenario's own is never read.
  const auto seed_hint =
      "each member's run has a seed of its own, from the sweep's `seed` (and "
      "`common_random_numbers`); the scenario's seed is not read: set sweep.seed instead";
  // Each member's file is the sweep's to name (runs/member_NNNN.h5 in its directory): a scenario's output path
  // would be passed over, unsaid.
  const auto path_hint =
      "a sweep writes each member to its directory (runs/member_NNNN.h5, -o DIR); the scenario's output path is "
      "not used: drop it";
  for (const auto& fixed : spec.fixed) {
    if (fixed.path == "scenario.seed") {
      result.diagnostics.error(fixed.origin, fmt::format("sweep.set: scenario.seed: {}", seed_hint));
    }
    if (fixed.path == "outputs.path") {
      result.diagnostics.error(fixed.origin, fmt::format("sweep.set: outputs.path: {}", path_hint));
    }
  }
  for (const auto& parameter : spec.parameters) {
    if (parameter.path == "scenario.seed") {
      result.diagnostics.error(parameter.origin, fmt::format("design: scenario.seed: {}", seed_hint));
    }
    // ... and one set of series: gather stacks each member's days, places and variables alike.
    if (parameter.path.starts_with("outputs.")) {
      result.diagnostics.error(
          parameter.origin,
          parameter.path == "outputs.path"
              ? fmt::format("design: outputs.path: {}", path_hint)
              : fmt::format("design: {}: the members of a sweep record the same series (gather stacks them day by "
                            "day and place by place); set it for every member in sweep.set",
                            parameter.path));
    }
    // An ensemble's members share one calendar: gather stacks them day by day under the first member's dates, so
    // members of other periods would be compared on the wrong days.
    if (parameter.path == "scenario.start_date" || parameter.path == "scenario.end_date" ||
        parameter.path == "scenario.days") {
      result.diagnostics.error(
          parameter.origin,
          fmt::format("design: {}: the members of a sweep share one period (gather stacks them day by day); set it "
                      "for every member in sweep.set, or run a sweep for each period",
                      parameter.path));
    }
  }
  if (result.diagnostics.has_errors()) {
    check_clean_keys_against_scenario(spec, decoder, result.diagnostics);
    return result;
  }
  // Checked arithmetic: a grid of many axes can exceed 64 bits.
  const std::int64_t points = design_points(spec);
  std::int64_t total = 0;
  if (points > max_members || __builtin_mul_overflow(points, spec.replicates, &total) || total > max_members) {
    const bool grid = spec.method == DesignMethod::grid;
    std::vector<std::string> axes;
    for (const auto& p : spec.parameters) axes.push_back(fmt::format("{}", p.values.size()));
    const std::string size =
        points == std::numeric_limits<std::int64_t>::max()
            ? "more than 9223372036854775807"
            : fmt::format("{}", static_cast<double>(points) * static_cast<double>(spec.replicates));
    result.diagnostics.error(
        decoder.design_origin_,
        fmt::format(
            "design: the {} design expands to {} runs{}; the limit is {} (split it into several sweeps)",
            to_string(spec.method), size,
            grid ? fmt::format(" ({} grid values x {} replicates)", fmt::join(axes, " x "), spec.replicates) : "",
            max_members));
    return result;
  }
  if (const auto keys = static_cast<std::int64_t>(spec.parameters.size());
      keys > 1 && total * keys > max_member_values) {
    result.diagnostics.error(
        decoder.design_origin_,
        fmt::format("design: the {} design's {} runs sweep {} keys each, {} values to hold; the limit is {} (run "
                    "fewer members, sweep fewer keys at once, or split it into several sweeps)",
                    to_string(spec.method), total, keys, total * keys, max_member_values));
    return result;
  }
  check_against_scenario(spec, decoder.scenario_origin_, result.diagnostics);
  if (!result.diagnostics.has_errors()) result.spec = std::move(spec);
  return result;
}

std::int64_t design_points(const SweepSpec& spec) {
  switch (spec.method) {
    case DesignMethod::none:
      return 1;
    case DesignMethod::list:
      return static_cast<std::int64_t>(spec.points.size());
    case DesignMethod::grid: {
      // Saturates at INT64_MAX: load_sweep_file rejects anything near it.
      std::int64_t product = 1;
      for (const auto& p : spec.parameters) {
        if (__builtin_mul_overflow(product, static_cast<std::int64_t>(p.values.size()), &product))
          return std::numeric_limits<std::int64_t>::max();
      }
      return product;
    }
    case DesignMethod::lhs:
    case DesignMethod::random:
      return spec.samples;
  }
  return 1;
}

std::uint64_t member_seed(std::uint64_t sweep_seed, std::uint64_t index) noexcept {
  RandomStream stream({sweep_seed, 0, RandomPurpose::sweep_seed, index, 0});
  return stream();
}

namespace {

// The unit-interval coordinates of every design point: [point][parameter].
std::vector<std::vector<double>> unit_design(const SweepSpec& spec) {
  const auto n = static_cast<std::size_t>(spec.samples);
  const std::size_t d = spec.parameters.size();
  std::vector<std::vector<double>> u(n, std::vector<double>(d));
  for (std::size_t j = 0; j < d; ++j) {
    // One stream per parameter: a shuffle of the n strata (LHS), then one uniform per sample.
    RandomStream stream({spec.seed, 0, RandomPurpose::sweep_design, j, 0});
    std::vector<std::size_t> stratum(n);
    std::iota(stratum.begin(), stratum.end(), std::size_t{0});
    if (spec.method == DesignMethod::lhs) {
      for (std::size_t i = n; i > 1; --i) {  // Fisher-Yates, with an unbiased bounded draw
        const std::uint64_t bound = i;
        const std::uint64_t limit =
            std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
        std::uint64_t draw = stream();
        while (draw >= limit) draw = stream();
        std::swap(stratum[i - 1], stratum[static_cast<std::size_t>(draw % bound)]);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double jitter = stream.uniform();
      u[i][j] = spec.method == DesignMethod::lhs ? (static_cast<double>(stratum[i]) + jitter) / static_cast<double>(n)
                                                 : jitter;
    }
  }
  return u;
}

double from_unit(const SweepParameter& p, double u) {
  if (p.whole_steps) return std::min(p.maximum, std::floor(p.minimum + u * (p.maximum - p.minimum + 1.0)));
  if (p.scale == RangeScale::log)
    return std::exp(std::log(p.minimum) + u * (std::log(p.maximum) - std::log(p.minimum)));
  return p.minimum + u * (p.maximum - p.minimum);
}

}  // namespace

std::vector<SweepMember> expand_sweep(const SweepSpec& spec) {
  const std::int64_t points = design_points(spec);
  std::vector<std::vector<std::string>> point_values(static_cast<std::size_t>(points));
  switch (spec.method) {
    case DesignMethod::none:
      break;
    case DesignMethod::list:
      for (std::size_t k = 0; k < spec.points.size(); ++k) point_values[k] = spec.points[k];
      break;
    case DesignMethod::grid:
      // The first parameter varies slowest, as in nested loops written in the file's order.
      for (std::int64_t k = 0; k < points; ++k) {
        std::int64_t rest = k;
        std::vector<std::string> row(spec.parameters.size());
        for (std::size_t j = spec.parameters.size(); j-- > 0;) {
          const auto size = static_cast<std::int64_t>(spec.parameters[j].values.size());
          row[j] = spec.parameters[j].values[static_cast<std::size_t>(rest % size)];
          rest /= size;
        }
        point_values[static_cast<std::size_t>(k)] = std::move(row);
      }
      break;
    case DesignMethod::lhs:
    case DesignMethod::random: {
      const auto u = unit_design(spec);
      for (std::size_t k = 0; k < u.size(); ++k) {
        for (std::size_t j = 0; j < spec.parameters.size(); ++j) {
          const auto& p = spec.parameters[j];
          point_values[k].push_back(yaml_number(from_unit(p, u[k][j]), p.integer));
        }
      }
      break;
    }
  }
  std::vector<SweepMember> members;
  members.reserve(static_cast<std::size_t>(points * spec.replicates));
  for (std::int64_t k = 0; k < points; ++k) {
    for (std::int64_t rep = 0; rep < spec.replicates; ++rep) {
      SweepMember m;
      m.index = k * spec.replicates + rep;
      m.design_point = k;
      m.replicate = rep;
      m.seed = member_seed(spec.seed, static_cast<std::uint64_t>(spec.common_random_numbers ? rep : m.index));
      m.values = point_values[static_cast<std::size_t>(k)];
      members.push_back(std::move(m));
    }
  }
  return members;
}

LoadOptions member_load_options(const SweepSpec& spec, const SweepMember& member) {
  LoadOptions options;
  options.variant = spec.variant;
  options.variant_origin = spec.variant_origin;
  options.overrides = spec.fixed;
  for (std::size_t j = 0; j < spec.parameters.size() && j < member.values.size(); ++j) {
    options.overrides.push_back({spec.parameters[j].path, member.values[j], spec.parameters[j].origin});
  }
  return options;
}

}  // namespace haven
