#include "haven/analysis/suite.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <set>

#include "haven/analysis/flee_metric.hpp"
#include "haven/analysis/series.hpp"
#include "haven/analysis/validation.hpp"
#include "haven/scenario/load.hpp"
#include "haven/util/csv.hpp"
#include "haven/util/text.hpp"
#include "scenario/yaml_reader.hpp"

namespace haven {

namespace {

using detail::MapReader;
using detail::YamlReader;

constexpr std::array<std::string_view, 2> top_keys = {"suite", "cases"};
constexpr std::array<std::string_view, 3> suite_keys = {"name", "runs", "description"};
constexpr std::array<std::string_view, 9> case_keys = {
    "name", "scenario", "variant", "departures", "departures_observation", "days", "target", "weight", "note"};
constexpr std::array<std::string_view, 5> target_keys = {"variable", "date", "min", "max", "note"};
constexpr std::array<std::string_view, 2> departure_modes = {"predicted", "given"};
constexpr std::array<std::string_view, 1> target_variables = {"cumulative_displaced"};
constexpr std::int64_t max_runs = 100'000;
constexpr std::size_t max_cases = 1'000;

// The id the target's series is recorded under (an observation without points: compared with nothing).
constexpr const char* target_series_id = "validation_suite_target";

class SuiteDecoder {
 public:
  SuiteDecoder(YamlReader& reader, SuiteFile& suite) : r_(reader), suite_(suite) {}

  void decode(const YAML::Node& root) {
    // A scenario or another kind of file given here: one line saying what it is and what reads it.
    if (detail::refused_as_other_kind(r_, root, detail::FileKind::suite)) return;
    MapReader top(r_, root, "", top_keys);
    if (!top.valid()) return;
    if (auto node = top.require("suite"); node.IsDefined()) decode_suite(node);
    if (auto node = top.require("cases"); node.IsDefined() && r_.expect_sequence(node, "cases")) {
      if (node.size() > max_cases) {
        r_.error(node, "cases", fmt::format("{} cases; the limit is {}", node.size(), max_cases));
        return;
      }
      if (node.size() == 0) r_.error(node, "cases", "no cases: a suite needs at least one");
      for (std::size_t k = 0; k < node.size(); ++k) decode_case(node[k], fmt::format("cases[{}]", k));
    }
  }

 private:
  void decode_suite(const YAML::Node& node) {
    MapReader m(r_, node, "suite", suite_keys);
    if (!m.valid()) return;
    if (auto v = m.require("name"); v.IsDefined()) suite_.name = r_.identifier(v, m.path("name")).value_or("");
    if (auto v = m.get("runs"); v.IsDefined()) {
      suite_.runs = static_cast<int>(r_.whole_number(v, m.path("runs"), 1, max_runs).value_or(1));
    }
    if (auto v = m.get("description"); v.IsDefined()) (void)r_.string(v, m.path("description"));
  }

  void decode_case(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path, case_keys);
    if (!m.valid()) return;
    SuiteCase c;
    c.origin = r_.where(node, path);
    if (auto v = m.require("name"); v.IsDefined()) {
      c.name = r_.identifier(v, m.path("name")).value_or("");
      if (!c.name.empty() && !names_.insert(c.name).second) {
        r_.error(v, m.path("name"), fmt::format("duplicate case name '{}'", c.name));
      }
    }
    if (auto v = m.require("scenario"); v.IsDefined()) {
      if (auto text = r_.string(v, m.path("scenario"))) {
        const std::filesystem::path given(*text);
        c.scenario = given.is_absolute() ? given : (suite_.path.parent_path() / given).lexically_normal();
        std::error_code ignored;
        if (std::filesystem::is_directory(c.scenario, ignored)) {
          r_.error(v, m.path("scenario"),
                   fmt::format("{} is a folder, not a scenario file{}", c.scenario.string(),
                               std::filesystem::is_regular_file(c.scenario / "input_csv" / "locations.csv", ignored)
                                   ? fmt::format(" (a Flee conflict folder: give the scenario file 'haven import-flee "
                                                 "{} -o FILE.yaml' writes)",
                                                 c.scenario.string())
                                   : ""));
        } else if (!std::filesystem::is_regular_file(c.scenario, ignored)) {
          r_.error(
              v, m.path("scenario"),
              fmt::format("no scenario file {} (paths are relative to the suite file's folder)", c.scenario.string()));
        }
      }
    }
    if (auto v = m.get("variant"); v.IsDefined()) c.variant = r_.string(v, m.path("variant")).value_or("");
    if (auto v = m.get("departures"); v.IsDefined()) {
      c.departures.clear();
      const std::string p = m.path("departures");
      if (v.IsSequence()) {
        for (std::size_t k = 0; k < v.size(); ++k) {
          if (auto mode = r_.choice(v[k], fmt::format("{}[{}]", p, k), departure_modes)) {
            if (std::find(c.departures.begin(), c.departures.end(), *mode) != c.departures.end()) {
              r_.error(v[k], fmt::format("{}[{}]", p, k), fmt::format("'{}' is listed twice", *mode));
            } else {
              c.departures.push_back(*mode);
            }
          }
        }
        if (v.size() == 0) r_.error(v, p, "no departure mode: give predicted, given or both ([predicted, given])");
      } else if (auto mode = r_.choice(v, p, departure_modes)) {
        c.departures.push_back(*mode);
      }
    }
    if (auto v = m.get("departures_observation"); v.IsDefined()) {
      c.departures_observation = r_.identifier(v, m.path("departures_observation")).value_or("");
    }
    if (auto v = m.get("days"); v.IsDefined()) {
      if (auto days = r_.whole_number(v, m.path("days"), 1, 100 * 366)) c.days = static_cast<int>(*days);
    }
    if (auto v = m.get("target"); v.IsDefined()) c.target = decode_target(v, m.path("target"));
    if (auto v = m.get("weight"); v.IsDefined()) c.weight = r_.number_in(v, m.path("weight"), 0, 1e6).value_or(1.0);
    if (auto v = m.get("note"); v.IsDefined()) c.note = r_.string(v, m.path("note")).value_or("");
    suite_.cases.push_back(std::move(c));
  }

  std::optional<SuiteTarget> decode_target(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path, target_keys);
    if (!m.valid()) return std::nullopt;
    SuiteTarget target;
    if (auto v = m.get("variable"); v.IsDefined()) {
      target.variable = r_.choice(v, m.path("variable"), target_variables).value_or(target.variable);
    }
    if (auto v = m.require("date"); v.IsDefined()) {
      if (auto date = r_.date(v, m.path("date"))) target.date = *date;
    }
    if (auto v = m.get("min"); v.IsDefined()) target.min = r_.number_in(v, m.path("min"), 0, 1e15);
    if (auto v = m.get("max"); v.IsDefined()) target.max = r_.number_in(v, m.path("max"), 0, 1e15);
    if (!m.has("min") && !m.has("max")) r_.error(node, path, "a target needs 'min', 'max' or both");
    if (target.min && target.max && *target.min > *target.max) {
      r_.error(m.get("max"), m.path("max"), fmt::format("max {} is below min {}", *target.max, *target.min));
    }
    if (auto v = m.get("note"); v.IsDefined()) target.note = r_.string(v, m.path("note")).value_or("");
    return target;
  }

  YamlReader& r_;
  SuiteFile& suite_;
  std::set<std::string> names_;
};

Band band_of(const std::vector<double>& values) {
  double sum = 0.0;
  for (double v : values) sum += v;
  return {sum / static_cast<double>(values.size()), percentile(values, 0.05), percentile(values, 0.95)};
}

// The sets that give a case its departure mode, when the scenario as written (`as_written`) runs another one (or,
// for given, another observation). Predicted is the format's default: a scenario without `departures` runs it as it is.
std::vector<std::string> departure_sets(const SuiteCase& c, const std::string& mode, const Scenario& as_written) {
  if (mode == "predicted") {
    if (as_written.departures.mode == DepartureMode::predicted) return {};
    return {"departures.mode=predicted"};
  }
  std::vector<std::string> sets;
  if (as_written.departures.mode != DepartureMode::given) sets.push_back("departures.mode=given");
  if (!c.departures_observation.empty() && c.departures_observation != as_written.departures.observation)
    sets.push_back("departures.observation=" + c.departures_observation);
  return sets;
}

// The first error of a failed load, on one line, for an "n/a" row.
std::string first_error(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.all()) {
    if (d.severity == Severity::error) return format_diagnostic(d);
  }
  return "the scenario did not load";
}

// Scores one loaded case in one mode.
SuiteRow run_case(const SuiteCase& c, Scenario scenario, const std::string& mode, const SuiteSettings& settings) {
  SuiteRow row;
  row.name = c.name;
  row.scenario = c.scenario.generic_string();
  row.variant = c.variant;
  row.departures = mode;
  row.runs = settings.runs;
  row.target = c.target;
  int days = scenario.days;
  if (c.days) days = std::min(days, *c.days);
  if (settings.days) days = std::min(days, *settings.days);
  row.days = days;
  std::optional<int> target_day;
  if (c.target) {
    const auto day = static_cast<int>(days_between(scenario.start_date, c.target->date));
    if (day >= 0 && day < days) {
      target_day = day;
      Observation series;
      series.id = target_series_id;
      series.variable = c.target->variable;
      scenario.observations.push_back(series);
    }
  }
  RunConfig config;
  config.seed = settings.seed.value_or(scenario.seed);
  config.mode = settings.mode;
  config.days = days;
  const auto started = std::chrono::steady_clock::now();
  const auto probes = run_ensemble(scenario, config, settings.runs, settings.threads);
  row.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<const SimulatedSeries*> members;
  for (const auto& probe : probes) {
    members.push_back(probe.get());
    row.given_not_left += probe->given_not_left() / static_cast<double>(probes.size());
  }

  const ValidationReport report = validate(scenario, members, {std::nullopt, days - 1});
  row.points = report.rows.size();
  if (!report.rows.empty() && !std::isnan(report.weighted_mean_abs_relative_error)) {
    row.mean_error = report.weighted_mean_abs_relative_error;
  }
  const FleeArdResult flee = flee_ard_of(scenario, members, 0, days - 1);
  if (flee.summary) {
    const auto& s = *flee.summary;
    std::vector<double> ards, rescaled;
    for (const auto& member : s.members) ards.push_back(member.ard), rescaled.push_back(member.rescaled_ard);
    row.ard = band_of(ards);
    row.rescaled_ard = band_of(rescaled);
    row.end_total = "camp total";
    row.end_date = add_days(scenario.start_date, s.last_day);
    row.end_predicted = Band{s.camp_total_mean, s.camp_total_p05, s.camp_total_p95};
    row.end_observed = s.camp_total_observed;
  } else {
    // No camp series: the network-wide observation point latest in the simulated period.
    const Observation* latest = nullptr;
    const ObservationPoint* latest_point = nullptr;
    for (const auto& observation : scenario.observations) {
      if (observation.node != no_node) continue;
      for (const auto& point : observation.points) {
        if (point.day < days && (latest_point == nullptr || point.day > latest_point->day)) {
          latest = &observation, latest_point = &point;
        }
      }
    }
    if (latest != nullptr) {
      std::vector<double> values;
      for (const auto* member : members) {
        if (auto v = member->value(*latest, latest_point->day)) values.push_back(*v);
      }
      if (values.size() == members.size() && !values.empty()) {
        row.end_total = latest->id;
        row.end_date = add_days(scenario.start_date, latest_point->day);
        row.end_predicted = band_of(values);
        row.end_observed = latest_point->value;
      }
    }
  }
  if (target_day) {
    std::vector<double> values;
    for (const auto* member : members) {
      if (auto v = member->value(scenario.observations.back(), *target_day)) values.push_back(*v);
    }
    if (values.size() == members.size() && !values.empty()) {
      row.target_predicted = band_of(values);
      const double mean = row.target_predicted->mean;
      row.target_met = (!c.target->min || mean >= *c.target->min) && (!c.target->max || mean <= *c.target->max);
    }
  }
  return row;
}

std::string number_or_dash(const std::optional<double>& value, const char* format = "{:.3f}") {
  return value ? fmt::format(fmt::runtime(format), *value) : std::string("-");
}

std::string band_text(const std::optional<Band>& band, bool people) {
  if (!band) return "-";
  if (people) return fmt::format("{} ({}-{})", grouped(band->mean), grouped(band->p05), grouped(band->p95));
  return fmt::format("{:.3f} ({:.3f}-{:.3f})", band->mean, band->p05, band->p95);
}

std::string target_text(const SuiteTarget& target) {
  if (target.min && target.max) return fmt::format("{}-{}", grouped(*target.min), grouped(*target.max));
  if (target.min) return fmt::format(">= {}", grouped(*target.min));
  return fmt::format("<= {}", grouped(*target.max));
}

std::string csv_number(const std::optional<double>& value) {
  return value ? fmt::format("{}", *value) : std::string();
}

}  // namespace

SuiteFile load_suite_file(const std::filesystem::path& path) {
  SuiteFile suite;
  suite.path = path;
  Diagnostics diagnostics;
  const std::string display_name = path.string();
  const std::string text = detail::read_text_file(path, diagnostics, "a suite file");
  if (diagnostics.has_errors()) throw InputError(diagnostics);
  auto root = detail::parse_yaml(text, display_name, diagnostics, "a validation suite");
  if (!root) throw InputError(diagnostics);
  if (!root->IsDefined() || root->IsNull()) {
    diagnostics.error({display_name, 0, 0}, "the file is empty; a suite needs a 'suite' section and 'cases'");
    throw InputError(diagnostics);
  }
  YamlReader reader(display_name, diagnostics);
  SuiteDecoder decoder(reader, suite);
  try {
    decoder.decode(*root);
  } catch (const YAML::Exception& e) {
    diagnostics.error({display_name, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1,
                       e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1},
                      fmt::format("cannot read the YAML: {}", e.msg));
  }
  if (diagnostics.has_errors()) throw InputError(diagnostics);
  return suite;
}

std::vector<std::filesystem::path> suite_input_files(const SuiteFile& suite) {
  std::vector<std::filesystem::path> files{suite.path};
  std::set<std::filesystem::path> scenarios;
  for (const auto& c : suite.cases) {
    if (!scenarios.insert(c.scenario).second) continue;
    files.push_back(c.scenario);
    const auto tables = load_scenario_file(c.scenario).table_files;
    files.insert(files.end(), tables.begin(), tables.end());
  }
  return files;
}

std::vector<SuiteRow> run_suite(const SuiteFile& suite, const SuiteSettings& settings) {
  // Every case's scenario is loaded before the first run: a mistake is reported at once, nothing half done.
  struct Job {
    const SuiteCase* c;
    std::string mode;
    std::optional<Scenario> scenario;
    std::string not_available;
  };
  std::vector<Job> jobs;
  Diagnostics problems;
  for (const auto& c : suite.cases) {
    LoadOptions options;
    options.variant = c.variant;
    options.variant_origin = c.origin;
    options.set_files = settings.set_files;
    options.overrides = settings.overrides;
    auto as_written = load_scenario_file(c.scenario, options);
    if (as_written.diagnostics.has_errors()) {
      for (const auto& d : as_written.diagnostics.all()) {
        if (d.severity == Severity::error) problems.error(d.location, d.message);
      }
      problems.error(c.origin,
                     fmt::format("case '{}': its scenario {} does not load (above)", c.name, c.scenario.string()));
      continue;
    }
    for (const auto& mode : c.departures) {
      Job job{&c, mode, std::nullopt, {}};
      const auto sets = departure_sets(c, mode, *as_written.scenario);
      if (sets.empty()) {
        job.scenario = as_written.scenario;
      } else {
        LoadOptions in_mode = options;
        in_mode.set_overrides = sets;
        auto loaded = load_scenario_file(c.scenario, in_mode);
        // A scenario (or a build) that cannot run this mode gives a row saying so, never a faked figure.
        if (loaded.diagnostics.has_errors()) {
          job.not_available =
              fmt::format("n/a: departures {} cannot be set: {}", mode, first_error(loaded.diagnostics));
        } else {
          job.scenario = std::move(loaded.scenario);
        }
      }
      jobs.push_back(std::move(job));
    }
  }
  if (problems.has_errors()) throw InputError(problems);
  std::vector<SuiteRow> rows;
  for (auto& job : jobs) {
    if (!job.scenario) {
      SuiteRow row;
      row.name = job.c->name;
      row.scenario = job.c->scenario.generic_string();
      row.variant = job.c->variant;
      row.departures = job.mode;
      row.status = job.not_available;
      row.target = job.c->target;
      rows.push_back(std::move(row));
      continue;
    }
    rows.push_back(run_case(*job.c, std::move(*job.scenario), job.mode, settings));
  }
  return rows;
}

std::string suite_table(const SuiteFile& suite, const SuiteSettings& settings, const std::vector<SuiteRow>& rows) {
  std::string overlays;
  for (const auto& file : settings.set_files) overlays += ", with " + file.generic_string();
  std::string out = fmt::format(
      "validation suite {} ({}): {} run{} per case, {} mode, seed {}{}{}\n", suite.name, suite.path.generic_string(),
      settings.runs, settings.runs == 1 ? "" : "s", settings.mode == Mode::expected ? "expected" : "stochastic",
      settings.seed ? fmt::format("{}", *settings.seed) : std::string("of each scenario"),
      settings.days ? fmt::format(", at most {} days", *settings.days) : std::string(), overlays);
  constexpr const char* layout = "  {:<28} {:<10} {:>6} {:>6}  {:<21}  {:<21}  {:<26} {:<11} {:>33} {:>11} {:>7}\n";
  out += fmt::format(fmt::runtime(layout), "case", "departures", "error", "points", "ARD (5-95%)",
                     "rescaled ARD (5-95%)", "total at the end", "date", "predicted (5-95%)", "observed", "time s");
  std::string targets;
  for (const auto& row : rows) {
    const std::string& name = row.name;  // unique in the file; the CSV has the variant
    if (row.status != "ok") {
      out += fmt::format("  {:<28} {:<10} {}\n", name, row.departures, row.status);
      continue;
    }
    out += fmt::format(
        fmt::runtime(layout), name, row.departures, number_or_dash(row.mean_error), row.points,
        band_text(row.ard, false), band_text(row.rescaled_ard, false),
        row.end_predicted ? row.end_total : std::string("-"),
        row.end_date ? format_iso_date(*row.end_date) : std::string("-"), band_text(row.end_predicted, true),
        row.end_observed ? grouped(*row.end_observed) : std::string("-"), fmt::format("{:.2f}", row.wall_seconds));
    if (row.given_not_left >= 0.5) {
      out += fmt::format(
          "  {:<28} {:<10} given departures not made: {} people (mean over the runs) due to leave found every road "
          "from their place closed, so this row does not follow all the observed departures (haven run names the "
          "places)\n",
          "", "", grouped(row.given_not_left));
    }
    if (row.target) {
      targets += fmt::format(
          "  {:<28} {:<10} {} by {}: {} {}\n", name, row.departures, target_text(*row.target),
          format_iso_date(row.target->date),
          row.target_predicted ? band_text(row.target_predicted, true) : std::string("not simulated"),
          !row.target_met ? "(the date is outside the simulated days)" : (*row.target_met ? "met" : "MISSED"));
    }
  }
  if (!targets.empty()) out += "targets (" + std::string("cumulative displaced: predicted mean (5-95%)):\n") + targets;
  out +=
      "error: weighted mean absolute relative error over the observation points in the simulated days; ARD: Flee's, "
      "over the camp series (docs/flee.md); total at the end: the camp total, or the latest network-wide "
      "observation; time: wall seconds for the case's runs\n";
  return out;
}

std::string suite_csv(const std::vector<SuiteRow>& rows) {
  std::string out =
      "case,scenario,variant,departures,status,runs,days,points,mean_error,ard_mean,ard_p05,ard_p95,"
      "rescaled_ard_mean,rescaled_ard_p05,rescaled_ard_p95,end_total,end_date,end_predicted_mean,end_predicted_p05,"
      "end_predicted_p95,end_observed,target_variable,target_date,target_min,target_max,target_predicted_mean,"
      "target_predicted_p05,target_predicted_p95,target_met,wall_seconds,given_not_left\n";
  auto band = [](const std::optional<Band>& b) {
    if (!b) return std::string(",,");
    return fmt::format("{},{},{}", csv_number(b->mean), csv_number(b->p05), csv_number(b->p95));
  };
  for (const auto& row : rows) {
    const bool ran = row.status == "ok";
    const std::vector<std::string> fields = {csv_field(row.name),
                                             csv_field(row.scenario),
                                             csv_field(row.variant),
                                             row.departures,
                                             csv_field(row.status),
                                             ran ? std::to_string(row.runs) : "",
                                             ran ? std::to_string(row.days) : "",
                                             ran ? std::to_string(row.points) : "",
                                             csv_number(row.mean_error),
                                             band(row.ard),
                                             band(row.rescaled_ard),
                                             csv_field(row.end_total),
                                             row.end_date ? format_iso_date(*row.end_date) : "",
                                             band(row.end_predicted),
                                             csv_number(row.end_observed),
                                             row.target ? row.target->variable : "",
                                             row.target ? format_iso_date(row.target->date) : "",
                                             row.target ? csv_number(row.target->min) : "",
                                             row.target ? csv_number(row.target->max) : "",
                                             band(row.target_predicted),
                                             row.target_met ? (*row.target_met ? "yes" : "no") : "",
                                             ran ? fmt::format("{:.3f}", row.wall_seconds) : "",
                                             ran ? fmt::format("{}", row.given_not_left) : ""};
    out += fmt::format("{}\n", fmt::join(fields, ","));
  }
  return out;
}

}  // namespace haven
