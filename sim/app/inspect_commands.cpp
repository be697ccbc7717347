#include "inspect_commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "cli.hpp"
#include "common.hpp"
#include "haven/analysis/compare.hpp"
#include "haven/io/output.hpp"
#include "haven/sweep/ensemble.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

namespace haven::app {

namespace {

// Whether a run followed Flee's rules (its resolved scenario's `rules: flee`): they add the people who flee to the
// population instead of taking them from a place's, so "left home" would misname them.
bool ran_flee_rules(const std::string& scenario_yaml) {
  try {
    const YAML::Node rules = YAML::Load(scenario_yaml)["rules"];
    return rules && rules.IsScalar() && rules.Scalar() == "flee";
  } catch (const YAML::Exception&) {
    return false;  // a file without its scenario (or a damaged one) is read as Haven's
  }
}

}  // namespace

int command_compare(const CompareArgs& args, std::ostream& out, std::ostream& err) {
  for (const auto& path : args.files) {
    if (refuse_if_not_a_run_file(path, "compare", err)) return exit_bad_input;
  }
  // Each argument is a run file or an ensemble (whose row is the mean of its members).
  struct Entry {
    std::vector<RunFile> runs;
    std::string label;  // empty: a single run, labelled by summarise_run
  };
  std::vector<Entry> entries;
  std::vector<RunFile> all_runs;  // for the points' period: every run, ensemble members too
  for (const auto& path : args.files) {
    if (is_ensemble_file(path)) {
      EnsembleFile ensemble = read_usable_ensemble(path, err);
      entries.push_back({ensemble.runs, ensemble_label(ensemble)});
    } else {
      entries.push_back({{read_run_file(path)}, ""});
    }
    all_runs.insert(all_runs.end(), entries.back().runs.begin(), entries.back().runs.end());
  }
  std::vector<ComparePoint> points;
  bool bad = false;
  int last = -1;
  for (const auto& file : all_runs) {
    if (!file.time_days.empty()) last = std::max(last, file.time_days.back());
  }
  for (const auto& text : args.at) {
    std::string error;
    auto point = parse_compare_point(text, all_runs.front().start_date, error);
    if (!point) {
      err << "haven compare: error: " << error << "\n";
      bad = true;
      continue;
    }
    // A date outside every run (each read on its own start date) would only show dashes: say so instead.
    if (point->kind == ComparePoint::Kind::date) {
      const bool in_some_run = std::any_of(all_runs.begin(), all_runs.end(), [&](const RunFile& run) {
        const auto day = point->day_in_run(run.start_date);
        return day && !run.time_days.empty() && *day <= run.time_days.back();
      });
      if (!in_some_run) {
        const auto& first = all_runs.front();
        const auto start = parse_iso_date(first.start_date);
        const int last_day = first.time_days.empty() ? 0 : first.time_days.back();
        err << fmt::format(
            "haven compare: error: --at {}: the date is outside every run ({} covers {} to {}); give a date within "
            "one, or 'end' for each run's last day\n",
            text, all_runs.size() > 1 ? "the first" : "the run", first.start_date,
            start ? format_iso_date(add_days(*start, last_day)) : fmt::format("day {}", last_day));
        bad = true;
        continue;
      }
    }
    // A day past every run's end would only show dashes: say so instead.
    if (point->kind == ComparePoint::Kind::day && point->day > last) {
      err << fmt::format(
          "haven compare: error: --at {} is day {}, past the end of every run (last day {}); use "
          "'end' for the last day\n",
          text, point->day, last);
      bad = true;
      continue;
    }
    points.push_back(*point);
  }
  if (bad) return exit_bad_input;
  if (points.empty()) points = default_compare_points(all_runs);
  std::vector<WhatIfOutcome> outcomes;
  for (const auto& entry : entries) {
    const std::size_t places = entry.runs.front().scenario_nodes;
    outcomes.push_back(entry.label.empty() ? summarise_run(entry.runs.front(), points, places)
                                           : summarise_members(entry.runs, entry.label, points, places));
    outcomes.back().flee_rules = ran_flee_rules(entry.runs.front().scenario_yaml);
  }
  // Runs of one scenario and variant (another seed, a --set) would be rows of one name: their files tell them apart.
  std::vector<std::string> labels;
  for (const auto& o : outcomes) labels.push_back(o.label);
  const auto names = distinct_file_names({args.files.begin(), args.files.end()});
  for (std::size_t r = 0; r < outcomes.size(); ++r) {
    if (std::count(labels.begin(), labels.end(), labels[r]) > 1) outcomes[r].label += " (" + names[r] + ")";
  }
  out << (args.csv ? comparison_csv(outcomes, points) : comparison_table(outcomes, points));
  // Single runs in other modes, or stochastic ones with other seeds, differ by more than their scenarios: said, with
  // how to compare like with like (under the table; on stderr beside a CSV, which stays a table).
  // Runs of one scenario and variant differing only in seed are a look at chance itself: nothing to say then.
  std::set<std::string> modes, scenarios;
  std::set<std::uint64_t> stochastic_seeds;
  for (const auto& entry : entries) {
    if (!entry.label.empty()) continue;  // an ensemble's row is a mean over seeds already
    const RunFile& run = entry.runs.front();
    modes.insert(run.mode);
    scenarios.insert(run.scenario_name + " [" + run.variant + "]");
    if (run.mode == "stochastic") stochastic_seeds.insert(run.seed);
  }
  const auto listed = [](const auto& values) {
    constexpr std::size_t shown = 4;
    std::vector<std::string> texts;
    for (const auto& v : values) {
      if (texts.size() == shown) break;
      texts.push_back(fmt::format("{}", v));
    }
    return fmt::format("{}{}", fmt::join(texts, ", "),
                       values.size() > shown ? fmt::format(" and {} more", values.size() - shown) : "");
  };
  std::vector<std::string> differ;
  if (modes.size() > 1) differ.push_back(fmt::format("modes ({})", listed(modes)));
  if (stochastic_seeds.size() > 1 && scenarios.size() > 1) {
    differ.push_back(fmt::format("seeds ({})", listed(stochastic_seeds)));
  }
  if (!differ.empty()) {
    (args.csv ? err : out) << fmt::format(
        "note: these runs differ in {}, so the differences above are not the scenarios' alone; run each with the same "
        "--mode and --seed (a what-if then shares its random numbers with the base), or compare ensembles\n",
        fmt::join(differ, " and "));
  }
  // Runs over other periods: their totals by the end and what is present at the end differ by their lengths too
  // (haven report refuses them for that reason; a table of figures by chosen days may still be wanted).
  std::vector<std::string> periods;  // in the order of the runs
  for (std::size_t r = 0; r < entries.size(); ++r) {
    const std::string& start = entries[r].runs.front().start_date;
    const auto start_date = parse_iso_date(start);
    const auto period =
        start_date ? fmt::format("{} to {}", start, format_iso_date(add_days(*start_date, outcomes[r].last_day)))
                   : fmt::format("{} to day {}", start, outcomes[r].last_day);
    if (std::find(periods.begin(), periods.end(), period) == periods.end()) periods.push_back(period);
  }
  if (periods.size() > 1) {
    (args.csv ? err : out) << fmt::format(
        "note: these runs cover different periods ({}), so the figures by the end, the peaks and what is present at "
        "the end differ by their periods, not only by their scenarios; compare them by days or dates within every "
        "run (--at)\n",
        listed(periods));
  }
  return exit_ok;
}

namespace {

// The sum of one day's counts over the nodes, in checked arithmetic: a damaged or hostile file may hold counts
// whose total does not fit 64 bits, which is an error naming the file and variable, never a wrapped sum.
std::int64_t day_total(const std::string& path, const char* variable, const std::vector<std::int64_t>& values,
                       std::size_t day_row, std::size_t nodes) {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < nodes; ++i) {
    if (__builtin_add_overflow(total, values[day_row * nodes + i], &total)) {
      throw std::runtime_error(
          fmt::format("{}: the counts of '{}' on record {} are too large to add up (their total "
                      "does not fit 64 bits); the file is damaged",
                      path, variable, day_row));
    }
  }
  return total;
}

std::string period_text(const std::string& start_date, const std::vector<std::int32_t>& days) {
  const auto start = *parse_iso_date(start_date);
  return fmt::format("{} to {} ({} recorded day{})", format_iso_date(add_days(start, days.front())),
                     format_iso_date(add_days(start, days.back())), days.size(), days.size() == 1 ? "" : "s");
}

// "9", or "2 of 9" for a file that records some of its scenario's places (scenario_nodes 0: not known, all).
std::string places_recorded(std::size_t recorded, std::size_t scenario_nodes) {
  return scenario_nodes > recorded ? fmt::format("{} of {}", recorded, scenario_nodes) : fmt::format("{}", recorded);
}

int command_info_ensemble(const std::string& path, std::ostream& out, std::ostream& err) {
  const EnsembleFile e = read_ensemble_file(path, false);
  err << missing_sources_warning(path, e);
  std::int64_t missing = 0, failed = 0, broken = 0;
  for (auto s : e.status) missing += s == 1, failed += s == 2, broken += s == 3;
  out << fmt::format("{}\n", path);
  out << fmt::format("  {:<22}{}: {} members, {} usable", "ensemble", e.sweep_name.empty() ? "(sweep)" : e.sweep_name,
                     e.members, e.usable());
  std::vector<std::string> problems;
  if (missing) problems.push_back(fmt::format("{} missing", missing));
  if (failed) problems.push_back(fmt::format("{} failed", failed));
  if (broken) problems.push_back(fmt::format("{} broken", broken));
  if (!e.members_without_source.empty()) {
    problems.push_back(fmt::format("{} without their run file", e.members_without_source.size()));
  }
  out << (problems.empty() ? std::string("\n") : fmt::format(" ({})\n", fmt::join(problems, ", ")));
  out << fmt::format("  {:<22}{}{}\n", "scenario", e.scenario_name, e.variant.empty() ? "" : " [" + e.variant + "]");
  if (!e.time_days.empty() && parse_iso_date(e.start_date)) {
    out << fmt::format("  {:<22}{}\n", "period", period_text(e.start_date, e.time_days));
  }
  out << fmt::format("  {:<22}{} mode\n", "runs", e.mode);
  out << fmt::format("  {:<22}{}\n", "members stored",
                     e.members_stored == "materialized"
                         ? std::string("materialized (copied in: the file stands alone)")
                         : std::string("virtual (read from the run files in runs/, relative to this file)"));
  if (!e.parameters.empty()) out << fmt::format("  {:<22}{}\n", "swept", fmt::join(e.parameters, ", "));
  out << fmt::format("  {:<22}member {}'s{}\n", "scenario_yaml", e.scenario_yaml_member,
                     e.scenario_yaml_values.empty() ? "" : " (" + e.scenario_yaml_values + ")");
  out << fmt::format("  {:<22}{}\n", "made by", e.source);
  out << fmt::format("  {:<22}{}\n", "history", e.history);
  out << fmt::format("  {:<22}{} nodes, {} corridors, {} groups\n", "size", places_recorded(e.nodes, e.scenario_nodes),
                     e.corridors, e.groups);
  // Over some of the places (outputs.nodes) the totals are of those alone: no network figure to give.
  const bool some_places = e.scenario_nodes > e.nodes;
  const std::string subset_note = fmt::format("- (the members record {} of {} places)", e.nodes, e.scenario_nodes);
  // `over_places`: a sum over the places, which a subset of them cannot give for the network.
  auto band = [&](const char* label, const std::vector<double>& mean, const std::vector<double>& p05,
                  const std::vector<double>& p95, bool over_places) {
    if (mean.empty()) return;
    if (some_places && over_places) {
      out << fmt::format("  {:<22}{}\n", label, subset_note);
      return;
    }
    const std::size_t t = mean.size() - 1;
    out << fmt::format("  {:<22}mean {}", label, grouped(mean[t]));
    if (p05.size() == mean.size()) out << fmt::format(", 5-95% {} to {}", grouped(p05[t]), grouped(p95[t]));
    out << "\n";
  };
  band(ran_flee_rules(e.scenario_yaml) ? "displaced (added)" : "displaced (left home)", e.cumulative_displaced_mean,
       e.cumulative_displaced_p05, e.cumulative_displaced_p95, false);
  band("displaced at the end", e.displaced_present_total_mean, e.displaced_present_total_p05,
       e.displaced_present_total_p95, true);
  if (some_places) {
    out << fmt::format("  {:<22}{}\n", "unsheltered peak", subset_note);
  } else if (!e.unsheltered_total_mean.empty() && e.unsheltered_total_mean.size() == e.time_days.size()) {
    // The peak of the members' mean day by day (compare gives the mean of each member's own peak, a larger figure).
    const auto peak = std::max_element(e.unsheltered_total_mean.begin(), e.unsheltered_total_mean.end());
    if (*peak > 0) {
      out << fmt::format("  {:<22}of the mean series {} (day {})\n", "unsheltered peak", grouped(*peak),
                         e.time_days[static_cast<std::size_t>(peak - e.unsheltered_total_mean.begin())]);
    } else {
      out << fmt::format("  {:<22}0 (nobody unsheltered)\n", "unsheltered peak");
    }
  }
  if (!e.members_without_source.empty()) {
    // The figures above were stored when the ensemble was gathered; what reads the members needs their files.
    out << fmt::format(
        "  {:<22}the figures above were gathered when the members' run files were there; {} of them {} not beside "
        "this file now, and compare, export and report read them (copy runs/ with it, or gather --materialize)\n",
        "note", e.members_without_source.size(), e.members_without_source.size() == 1 ? "is" : "are");
  }
  return exit_ok;
}

}  // namespace

namespace {

// Each evacuation that found no open route on some days (the log's evacuation_blocked): on those days the people it
// would have moved stayed at home, which the run's figures alone do not show.
void print_blocked_evacuations(const RunFile& run, std::ostream& out) {
  struct Blocked {
    int days = 0;
    double first_day = 0.0;
    double people = 0.0;
  };
  std::vector<std::pair<std::string, Blocked>> blocked;  // in the order first blocked
  for (const auto& logged : run.event_log) {
    if (logged.kind != "evacuation_blocked") continue;
    auto it = std::find_if(blocked.begin(), blocked.end(), [&](const auto& b) { return b.first == logged.event_id; });
    if (it == blocked.end()) it = blocked.insert(blocked.end(), {logged.event_id, Blocked{0, logged.time_days, 0.0}});
    ++it->second.days;
    it->second.people += logged.value;
  }
  const auto start = parse_iso_date(run.start_date);
  for (const auto& [id, b] : blocked) {
    const auto first = static_cast<int>(b.first_day);
    out << fmt::format("  {:<22}'{}' on {} day{} from {} (no open route): {} more would have moved on those days\n",
                       "evacuation blocked", id, b.days, b.days == 1 ? "" : "s",
                       start ? format_iso_date(add_days(*start, first)) : fmt::format("day {}", first),
                       grouped(b.people));
  }
}

// Given departures that never could set off (the log's given_not_left, at the run's end): the observed series'
// rise they stand for never happened, which an ARD alone does not say.
void print_given_not_left(const RunFile& run, std::ostream& out) {
  double people = 0.0;
  std::vector<std::string> where;
  for (const auto& logged : run.event_log) {
    if (logged.kind != "given_not_left") continue;
    people += logged.value;
    const auto it = std::find(run.node_index.begin(), run.node_index.end(), logged.node);
    where.push_back(it != run.node_index.end() ? run.node_name[static_cast<std::size_t>(it - run.node_index.begin())]
                                               : fmt::format("node {}", logged.node));
  }
  if (where.empty()) return;
  out << fmt::format("  {:<22}{} due to leave {} found every road closed to the end\n", "given, never left",
                     grouped(people), first_names(where, 3));
}

}  // namespace

int command_info(const std::string& path, std::ostream& out, std::ostream& err) {
  if (refuse_if_not_a_run_file(path, "info", err)) return exit_bad_input;
  if (is_ensemble_file(path)) return command_info_ensemble(path, out, err);
  const RunFile run = read_run_file(path);
  const std::size_t t = run.times(), n = run.nodes();
  out << fmt::format("{}\n", path);
  out << fmt::format("  {:<22}{}{}\n", "scenario", run.scenario_name,
                     run.variant.empty() ? "" : " [" + run.variant + "]");
  if (run.title != run.scenario_name) out << fmt::format("  {:<22}{}\n", "title", run.title);
  if (t > 0) {
    const auto start = *parse_iso_date(run.start_date);
    out << fmt::format("  {:<22}{} to {} ({} recorded day{})\n", "period",
                       format_iso_date(add_days(start, run.time_days.front())),
                       format_iso_date(add_days(start, run.time_days.back())), t, t == 1 ? "" : "s");
  }
  out << fmt::format("  {:<22}{} mode, seed {}, run index {}\n", "run", run.mode, run.seed, run.run_index);
  out << fmt::format("  {:<22}{}\n", "made by", run.source);
  out << fmt::format("  {:<22}{}\n", "history", run.history);
  out << fmt::format("  {:<22}{}\n", "scenario sha256", run.scenario_sha256);
  out << fmt::format("  {:<22}{} nodes, {} corridors, {} groups\n", "size", places_recorded(n, run.scenario_nodes),
                     run.corridor_name.size(), run.group_name.size());
  if (t > 0 && !run.cumulative_displaced.empty()) {
    const bool flee = ran_flee_rules(run.scenario_yaml);
    out << fmt::format("  {:<22}{}\n", flee ? "displaced (added)" : "displaced (left home)",
                       grouped(static_cast<double>(run.cumulative_displaced.back())));
    if (flee) {
      out << fmt::format("  {:<22}Flee's: people who flee are added to the population, not taken from a place's\n",
                         "rules");
    }
  }
  // The people on the roads and queueing at full ones are in no place's population: without them the totals below
  // do not add up (and a capped road's queue would go unseen). Roads are recorded whole in every file.
  const auto print_in_transit = [&] {
    if (t > 0 && (!run.in_transit.empty() || run.corridor_name.empty())) {
      const std::int64_t moving = run.corridor_name.empty()
                                      ? 0
                                      : day_total(path, "in_transit", run.in_transit, t - 1, run.corridor_name.size());
      out << fmt::format("  {:<22}{}\n", "in transit at the end", grouped(static_cast<double>(moving)));
    }
  };
  if (run.scenario_nodes > n) {
    // Over some of the places (outputs.nodes) the totals are of those alone: no network figure to give.
    for (const char* label : {"displaced at the end", "unsheltered peak"}) {
      out << fmt::format("  {:<22}- (the file records {} of {} places)\n", label, n, run.scenario_nodes);
    }
    print_in_transit();
    return exit_ok;
  }
  if (t > 0 && !run.displaced_present.empty()) {
    const std::int64_t present = day_total(path, "displaced_present", run.displaced_present, t - 1, n);
    out << fmt::format("  {:<22}{}\n", "displaced at the end", grouped(static_cast<double>(present)));
  }
  print_in_transit();
  if (t > 0 && !run.waiting.empty()) {
    const std::int64_t queueing = day_total(path, "waiting", run.waiting, t - 1, n);
    out << fmt::format("  {:<22}{}\n", "waiting at the end", grouped(static_cast<double>(queueing)));
  }
  if (t > 0 && !run.unsheltered.empty()) {
    std::int64_t peak = 0;
    std::size_t peak_index = 0;
    for (std::size_t k = 0; k < t; ++k) {
      const std::int64_t total = day_total(path, "unsheltered", run.unsheltered, k, n);
      if (total > peak) peak = total, peak_index = k;
    }
    // A file recorded every few days (outputs.interval_days) has its largest on the days it holds, as compare says.
    const bool daily = run.every_day_recorded();
    if (peak > 0) {
      out << fmt::format("  {:<22}{} (day {}{})\n", "unsheltered peak", grouped(static_cast<double>(peak)),
                         run.time_days[peak_index],
                         daily ? "" : fmt::format("; the largest on the {} days recorded", t));
    } else {
      out << fmt::format("  {:<22}0 (nobody unsheltered)\n", "unsheltered peak");
    }
  }
  print_blocked_evacuations(run, out);
  print_given_not_left(run, out);
  return exit_ok;
}

}  // namespace haven::app
