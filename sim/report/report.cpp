#include "haven/report/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include "haven/analysis/validation.hpp"
#include "haven/io/hdf5.hpp"
#include "haven/io/output.hpp"
#include "haven/scenario/load.hpp"
#include "haven/sweep/ensemble.hpp"
#include "haven/util/text.hpp"
#include "haven/version.hpp"

#ifndef HAVEN_REPORT_TEMPLATE_DIR
#define HAVEN_REPORT_TEMPLATE_DIR "tools/report"
#endif
#ifndef HAVEN_REPORT_JAVASCRIPT_DIR
#define HAVEN_REPORT_JAVASCRIPT_DIR "/usr/share/javascript"
#endif

namespace haven {

namespace {

// A minimal JSON writer: the page's data is numbers, strings and arrays of them.
class Json {
 public:
  Json& raw(std::string_view text) {
    after_key_ = false;
    out_ += text;
    return *this;
  }
  Json& str(std::string_view text) {
    after_key_ = false;
    out_ += '"';
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        // '<' and '>' escaped so that no string can close the <script> element the data sits in.
        case '<':
          out_ += "\\u003c";
          break;
        case '>':
          out_ += "\\u003e";
          break;
        default:
          if (c < 0x20) {
            out_ += fmt::format("\\u{:04x}", c);
          } else {
            out_ += static_cast<char>(c);
          }
      }
    }
    out_ += '"';
    return *this;
  }
  Json& num(double value) {
    after_key_ = false;
    if (!std::isfinite(value)) {
      out_ += "null";
    } else if (value == std::trunc(value) && std::fabs(value) < 1e15 && !(value == 0.0 && std::signbit(value))) {
      // Most of the page's numbers are whole people: written as integers, the same text fmt gives the double
      // ("75202", checked for 40 million values with fmt 9.1), at a fraction of the shortest-double search's cost.
      integer(static_cast<std::int64_t>(value));
    } else {
      fmt::format_to(std::back_inserter(out_), "{}", value);
    }
    return *this;
  }
  Json& num(std::int64_t value) {
    after_key_ = false;
    integer(value);
    return *this;
  }
  Json& key(std::string_view name) {
    comma();
    str(name);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  // A comma before every element of an array or member of an object but the first (a key's value needs none).
  Json& comma() {
    if (after_key_) {
      after_key_ = false;
      return *this;
    }
    if (!first_) out_ += ',';
    first_ = false;
    return *this;
  }
  Json& open(char bracket) {
    after_key_ = false;
    out_ += bracket;
    first_ = true;
    return *this;
  }
  Json& close(char bracket) {
    out_ += bracket;
    first_ = false;
    return *this;
  }
  template <typename T>
  Json& array(const std::vector<T>& values) {
    open('[');
    for (const auto& v : values) {
      comma();
      if constexpr (std::is_same_v<T, std::string>) {
        str(v);
      } else if constexpr (std::is_floating_point_v<T>) {
        num(static_cast<double>(v));
      } else {
        num(static_cast<std::int64_t>(v));
      }
    }
    return close(']');
  }
  // A row-major (rows x columns) table as an array of rows.
  template <typename T>
  Json& table(const std::vector<T>& values, std::size_t rows) {
    open('[');
    const std::size_t columns = rows == 0 ? 0 : values.size() / rows;
    for (std::size_t r = 0; r < rows; ++r) {
      comma();
      array(std::vector<T>(values.begin() + static_cast<std::ptrdiff_t>(r * columns),
                           values.begin() + static_cast<std::ptrdiff_t>((r + 1) * columns)));
    }
    return close(']');
  }
  [[nodiscard]] std::string take() { return std::move(out_); }
  // Room for what is about to be written (a run's series: ~300 kB for Idlib), grown once instead of by doubling.
  void reserve(std::size_t chars) { out_.reserve(out_.size() + chars); }

 private:
  // std::to_chars: the same digits as fmt's "{}", without its format string and output iterator per number (a run's
  // ~60,000 numbers took ~1 ms that way in haven serve's answer to each edit).
  void integer(std::int64_t value) {
    std::array<char, 24> digits{};
    const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out_.append(digits.data(), written.ptr);
  }
  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ReportAssetError(fmt::format(
        "cannot read {}, which the report inlines; run tools/setup.sh deps to install the report's libraries "
        "(or point HAVEN_REPORT_ASSETS / HAVEN_REPORT_JS at them)",
        path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_network(Json& json, const Scenario& scenario) {
  json.key("nodes").open('[');
  for (const auto& node : scenario.nodes) {
    std::int64_t residents = 0, displaced = 0;
    for (auto r : node.residents_by_group) residents += r;
    for (auto d : node.displaced_by_group) displaced += d;
    json.comma().open('{');
    json.key("id").str(node.id).key("name").str(node.name).key("kind").str(to_string(node.kind));
    json.key("lat").num(node.lat_deg).key("lon").num(node.lon_deg);
    json.key("residents").num(residents).key("displaced").num(displaced);
    json.key("capacity").num(node.capacity_people ? *node.capacity_people : NAN);
    json.key("country")
        .str(node.country)
        .key("control")
        .str(node.control)
        .key("admin")
        .str(node.admin_area)
        .key("closed")
        .raw(node.closed ? "true" : "false");
    json.close('}');
  }
  json.close(']');
  json.key("corridors").open('[');
  for (const auto& corridor : scenario.corridors) {
    json.comma().open('{');
    json.key("id")
        .str(corridor.id)
        .key("from")
        .num(std::int64_t{corridor.from})
        .key("to")
        .num(std::int64_t{corridor.to});
    json.key("kind").str(to_string(corridor.kind)).key("length_km").num(corridor.length_km);
    json.key("closed").raw(corridor.closed ? "true" : "false");
    json.close('}');
  }
  json.close(']');
}

void write_area(Json& json, const Area& area) {
  json.key("node").num(std::int64_t{area.node});
  if (area.lat_deg && area.lon_deg) json.key("lat").num(*area.lat_deg).key("lon").num(*area.lon_deg);
  json.key("radius_km").num(area.radius_km);
}

// The roads the engine reopened when the fighting for a captured node ended (the log's corridor_reopened): the
// page draws these for a run, rather than working them out again (docs/model.md, "capture").
void write_reopened(Json& json, const std::vector<EventRecord>& log) {
  std::vector<std::int64_t> days, roads, nodes;
  for (const auto& logged : log) {
    if (logged.kind != "corridor_reopened") continue;
    days.push_back(static_cast<std::int64_t>(logged.time_days));
    roads.push_back(logged.corridor);
    nodes.push_back(logged.node);
  }
  json.key("reopened").open('{');
  json.key("days").array(days).key("roads").array(roads).key("nodes").array(nodes);
  json.close('}');
}

// `log`: the run's event log, for the days each evacuation found no open route (`blocked_days`); nullptr for a
// scenario not run.
void write_events(Json& json, const Scenario& scenario, const std::vector<EventRecord>* log = nullptr) {
  json.key("events").open('[');
  for (const auto& event : scenario.events) {
    json.comma().open('{');
    json.key("id").str(event.id).key("kind").str(event_kind_name(event.action));
    json.key("start").num(std::int64_t{event.start_day});
    json.key("end").num(event.end_day ? static_cast<double>(*event.end_day) : NAN);
    json.key("note").str(event.note);
    std::visit(
        [&](const auto& action) {
          using A = std::decay_t<decltype(action)>;
          if constexpr (std::is_same_v<A, Bombardment>) {
            write_area(json, action.target);
            json.key("intensity").num(action.intensity_strikes_per_day);
          } else if constexpr (std::is_same_v<A, Ceasefire>) {
            write_area(json, action.area);
          } else if constexpr (std::is_same_v<A, Capture>) {
            json.key("node").num(std::int64_t{action.node}).key("by").str(action.by);
          } else if constexpr (std::is_same_v<A, CorridorClosure> || std::is_same_v<A, CorridorOpening>) {
            json.key("corridor").num(std::int64_t{action.corridor});
          } else if constexpr (std::is_same_v<A, BorderClosure> || std::is_same_v<A, BorderOpening>) {
            json.key("node").num(std::int64_t{action.node});
          } else if constexpr (std::is_same_v<A, CapacityChange>) {
            json.key("node").num(std::int64_t{action.node}).key("capacity").num(action.capacity_people);
          } else if constexpr (std::is_same_v<A, Evacuation>) {
            json.key("node").num(std::int64_t{action.from}).key("to").num(std::int64_t{action.to});
            json.key("rate").num(action.rate_people_per_day);
            if (log) {
              std::vector<std::int64_t> blocked_days;
              for (const auto& logged : *log) {
                if (logged.kind == "evacuation_blocked" && logged.event_id == event.id)
                  blocked_days.push_back(static_cast<std::int64_t>(logged.time_days));
              }
              json.key("blocked_days").array(blocked_days);
            }
          } else if constexpr (std::is_same_v<A, ArmedConflict>) {
            json.key("node").num(std::int64_t{action.node}).key("intensity").num(action.intensity);
          } else if constexpr (std::is_same_v<A, CampClosure>) {
            json.key("node").num(std::int64_t{action.node});
          } else if constexpr (std::is_same_v<A, CountryClosure>) {
            json.key("countries").open('[').comma().str(action.country_a).comma().str(action.country_b).close(']');
          } else if constexpr (std::is_same_v<A, RedirectionEnd>) {
            json.key("corridor").num(std::int64_t{action.corridor});
          }
        },
        event.action);
    json.close('}');
  }
  json.close(']');
}

void write_observations(Json& json, const Scenario& scenario) {
  json.key("observations").open('[');
  for (const auto& observation : scenario.observations) {
    json.comma().open('{');
    json.key("id").str(observation.id).key("variable").str(observation.variable);
    json.key("node").num(std::int64_t{observation.node}).key("source").str(observation.source.publisher);
    if (!observation.nodes.empty()) {
      json.key("nodes").open('[');
      for (const NodeIndex node : observation.nodes) json.comma().num(std::int64_t{node});
      json.close(']');
    }
    json.key("points").open('[');
    for (const auto& point : observation.points) {
      json.comma().open('[').comma().num(std::int64_t{point.day}).comma().num(point.value).close(']');
    }
    json.close(']').close('}');
  }
  json.close(']');
}

// The variant's own description (a root attribute; files from before it was written have none).
std::string variant_description(const std::filesystem::path& path) {
  auto file = h5::File::open_read_only(path);
  return h5::has_attribute(file.id(), "variant_description")
             ? h5::read_string_attribute(file.id(), "variant_description")
             : std::string{};
}

// The scenario a run file ran: its period the days it simulated (`haven run --days N` stops before the scenario's end,
// and the page must not show days, events or a map of days never run).
Scenario scenario_of_run(const RunFile& run, const std::filesystem::path& file) {
  // scenario_yaml is already resolved (variant and --set applied), so it is read as a plain scenario.
  auto result = load_scenario_text(run.scenario_yaml, file.string() + " (scenario_yaml)");
  if (!result.scenario) {
    throw std::runtime_error(
        fmt::format("{}: the scenario stored in the file cannot be read back ({})", file.string(),
                    result.diagnostics.all().empty() ? "unknown problem" : result.diagnostics.all().front().message));
  }
  if (run.days > 0 && run.days < result.scenario->days) result.scenario->days = run.days;
  // The page looks each recorded place up in the scenario (a file from before `scenario_nodes` was written is
  // checked here, against the scenario it carries).
  for (const auto node : run.node_index) {
    if (node < 0 || static_cast<std::size_t>(node) >= result.scenario->nodes.size()) {
      throw std::runtime_error(
          fmt::format("{}: dataset 'node_index': place index {} is not one of the scenario's {} "
                      "places",
                      file.string(), node, result.scenario->nodes.size()));
    }
  }
  return std::move(*result.scenario);
}

// The displaced people each recorded place hosts before day 0 in `scenario` (a variant or an edit may change them),
// for where people found refuge: what a place gained is over these.
template <typename Index>
void write_displaced_before(Json& json, const Scenario& scenario, const std::vector<Index>& node_index) {
  std::vector<std::int64_t> before;
  before.reserve(node_index.size());
  for (const auto node : node_index) {
    std::int64_t people = 0;
    if (node >= 0 && static_cast<std::size_t>(node) < scenario.nodes.size()) {
      for (const auto count : scenario.nodes[static_cast<std::size_t>(node)].displaced_by_group) people += count;
    }
    before.push_back(people);
  }
  json.key("displaced_before").array(before);
  // And over the whole network (a file may record some places only): the people already displaced that its
  // "newly displaced" leaves out.
  std::int64_t network = 0;
  for (const auto& node : scenario.nodes)
    for (const auto count : node.displaced_by_group) network += count;
  json.key("displaced_before_total").num(network);
}

// Shelter capacity over time, when the run file has it (files from before it was recorded do not).
std::vector<double> read_capacity(const std::filesystem::path& path) {
  auto file = h5::File::open_read_only(path);
  if (!file.has("capacity")) return {};
  return h5::read<double>(file.open_dataset("capacity").id());
}

// The network-wide series the headline figures and the main chart are made of, per recorded day. They are
// defined here once, for run files and ensemble members alike (docs/report.md, "Notes").
struct RunTotals {
  std::vector<std::int64_t> away;                  // displaced present + on the road + queueing at full roads
  std::vector<std::int64_t> unsheltered;           // beyond shelter capacity
  std::vector<std::int64_t> at_border;             // displaced present and queueing at border crossings
  std::vector<std::int64_t> returns;               // arrived back home that day
  std::vector<std::int64_t> cumulative_displaced;  // left home since day 0
};

RunTotals run_totals(const RunFile& run, const Scenario& scenario) {
  const std::size_t times = run.times(), columns = run.node_index.size(),
                    corridors = times == 0 ? 0 : run.in_transit.size() / times;
  auto row_sum = [](const std::vector<std::int64_t>& table, std::size_t t, std::size_t width) {
    std::int64_t total = 0;
    if (table.size() < (t + 1) * width) return total;  // a variable left out of the record
    for (std::size_t c = 0; c < width; ++c) total += table[t * width + c];
    return total;
  };
  std::vector<std::size_t> border_columns;
  for (std::size_t c = 0; c < columns; ++c) {
    const auto node = static_cast<std::size_t>(run.node_index[c]);
    if (node < scenario.nodes.size() && scenario.nodes[node].kind == NodeKind::border_crossing) {
      border_columns.push_back(c);
    }
  }
  RunTotals totals;
  for (std::size_t t = 0; t < times; ++t) {
    totals.away.push_back(row_sum(run.displaced_present, t, columns) + row_sum(run.in_transit, t, corridors) +
                          row_sum(run.waiting, t, columns));
    totals.unsheltered.push_back(row_sum(run.unsheltered, t, columns));
    std::int64_t border = 0;
    for (const auto c : border_columns) {
      if (run.displaced_present.size() == times * columns) border += run.displaced_present[t * columns + c];
      if (run.waiting.size() == times * columns) border += run.waiting[t * columns + c];
    }
    totals.at_border.push_back(border);
    totals.returns.push_back(row_sum(run.returns, t, columns));
    totals.cumulative_displaced.push_back(t < run.cumulative_displaced.size() ? run.cumulative_displaced[t] : 0);
  }
  return totals;
}

void write_totals(Json& json, const RunTotals& totals) {
  json.open('{');
  json.key("away").array(totals.away).key("unsheltered").array(totals.unsheltered);
  json.key("at_border").array(totals.at_border).key("returns").array(totals.returns);
  json.key("cumulative_displaced").array(totals.cumulative_displaced);
  json.close('}');
}

// Each element's median over the members (the map and the per-place charts of an ensemble draw these).
std::vector<double> member_median(const std::vector<RunFile>& runs, std::vector<std::int64_t> RunFile::*series) {
  const std::size_t size = (runs.front().*series).size();
  std::vector<double> median(size, 0.0);
  std::vector<double> values(runs.size());
  for (std::size_t k = 0; k < size; ++k) {
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const auto& member = runs[r].*series;
      values[r] = k < member.size() ? static_cast<double>(member[k]) : 0.0;
    }
    median[k] = percentile(values, 0.5);
  }
  return median;
}

// An ensemble as one entry of `runs`: per place and road each day's median over its usable members, and every
// member's totals, from which the page draws the median and the 5-95% band.
void write_ensemble(Json& json, const EnsembleFile& ensemble, const Scenario& scenario, const std::string& file_name) {
  const RunFile& reference = ensemble.runs.front();
  const auto times = reference.times();
  json.comma().open('{');
  json.key("file").str(file_name).key("variant").str(ensemble.variant);
  json.key("variant_description").str(ensemble.variant_description);
  json.key("description").str(scenario.description).key("mode").str(ensemble.mode);
  json.key("rules").str(scenario.rules == RuleSetKind::flee ? "flee" : "haven");
  json.key("seed").str("").key("run_index").num(std::int64_t{0});
  json.key("start_date").str(ensemble.start_date).key("source").str(ensemble.source);
  json.key("ensemble").open('{');
  json.key("members").num(ensemble.members).key("usable").num(ensemble.usable());
  json.key("sweep").str(ensemble.sweep_name).key("parameters").array(ensemble.parameters);
  // A sweep with common random numbers gives the replicates of every design point the same seeds: the notes say so.
  std::set<std::uint64_t> seeds;
  for (const auto& run : ensemble.runs) seeds.insert(run.seed);
  json.key("distinct_seeds").num(static_cast<std::int64_t>(seeds.size()));
  json.close('}');
  write_events(json, scenario);
  json.key("time").array(reference.time_days).key("node_index").array(reference.node_index);
  write_displaced_before(json, scenario, reference.node_index);
  const std::pair<const char*, std::vector<std::int64_t> RunFile::*> tables[] = {
      {"displaced_present", &RunFile::displaced_present},
      {"residents", &RunFile::residents},
      {"unsheltered", &RunFile::unsheltered},
      {"waiting", &RunFile::waiting},
      {"returns", &RunFile::returns},
      {"arrivals", &RunFile::arrivals},
      {"corridor_inflow", &RunFile::corridor_inflow},
      {"in_transit", &RunFile::in_transit}};
  for (const auto& [name, series] : tables) json.key(name).table(member_median(ensemble.runs, series), times);
  json.key("cumulative_displaced").array(member_median(ensemble.runs, &RunFile::cumulative_displaced));
  // Medians taken place by place do not add up to the median of the totals, so every member's own totals go too:
  // the page takes its figures and bands over them.
  json.key("member_totals").open('[');
  for (const auto& member : ensemble.runs) {
    json.comma();
    write_totals(json, run_totals(member, scenario));
  }
  json.close(']');
  json.close('}');
}

void write_common(Json& json, const Scenario& scenario, const std::string& source_name) {
  json.key("haven").str(fmt::format("Haven {} (commit {})", HAVEN_VERSION, HAVEN_GIT_COMMIT));
  json.key("source").str(source_name);
  json.key("scenario").str(scenario.name).key("title").str(scenario.title.empty() ? scenario.name : scenario.title);
  json.key("description").str(scenario.description);
  json.key("start_date").str(format_iso_date(scenario.start_date)).key("days").num(std::int64_t{scenario.days});
  write_network(json, scenario);
  write_observations(json, scenario);
}

}  // namespace

ReportAssets report_assets() {
  ReportAssets assets{HAVEN_REPORT_TEMPLATE_DIR, HAVEN_REPORT_JAVASCRIPT_DIR};
  if (const char* dir = std::getenv("HAVEN_REPORT_ASSETS"); dir != nullptr && *dir != '\0') assets.template_dir = dir;
  if (const char* dir = std::getenv("HAVEN_REPORT_JS"); dir != nullptr && *dir != '\0') assets.javascript_dir = dir;
  return assets;
}

namespace {

// One page draws its runs over one map: the places and roads of the first file, by index. A run of another network
// (another scenario, not a variant of it) would be drawn on the wrong places, or not at all.
void check_same_network(const Scenario& first, const std::filesystem::path& first_file, const Scenario& scenario,
                        const std::filesystem::path& file) {
  const auto same_nodes = std::equal(first.nodes.begin(), first.nodes.end(), scenario.nodes.begin(),
                                     scenario.nodes.end(), [](const Node& a, const Node& b) { return a.id == b.id; });
  const auto same_corridors =
      std::equal(first.corridors.begin(), first.corridors.end(), scenario.corridors.begin(), scenario.corridors.end(),
                 [](const Corridor& a, const Corridor& b) { return a.from == b.from && a.to == b.to; });
  if (same_nodes && same_corridors) {
    if (first.days == scenario.days && first.start_date == scenario.start_date) return;
    // The page's figures are totals to the end of each run: runs of different periods would read as what-ifs.
    throw ReportInputError(fmt::format(
        "{} ran {} days from {} and {} {} days from {}: one report compares runs over the same days; run them again "
        "with the same --days (or none), or read them with haven compare --at DATE",
        first_file.string(), first.days, format_iso_date(first.start_date), file.string(), scenario.days,
        format_iso_date(scenario.start_date)));
  }
  throw ReportInputError(fmt::format(
      "{} is a run of {} ({} places, {} roads) and {} of {} ({} places, {} roads): one report compares runs over one "
      "network (a scenario and its variants); make a report of each",
      first_file.string(), first.name, first.nodes.size(), first.corridors.size(), file.string(), scenario.name,
      scenario.nodes.size(), scenario.corridors.size()));
}

// The page's figures are network totals of every variable, day by day: a file that records only some variables,
// some places or every few days would give sums that read as the network's and are not (0 people left home, the
// returns of the recorded days only). Such a file is refused, with the way to record what the page needs.
void check_complete_record(const RunFile& run, const Scenario& scenario, const std::filesystem::path& file) {
  std::vector<std::string> lacking;
  const std::pair<const char*, const std::vector<std::int64_t>*> variables[] = {
      {"displaced_present", &run.displaced_present},
      {"residents", &run.residents},
      {"unsheltered", &run.unsheltered},
      {"waiting", &run.waiting},
      {"returns", &run.returns},
      {"arrivals", &run.arrivals},
      {"corridor_inflow", &run.corridor_inflow},
      {"in_transit", &run.in_transit},
      {"cumulative_displaced", &run.cumulative_displaced}};
  std::vector<std::string> missing;
  for (const auto& [name, series] : variables) {
    // A network without roads has no road series to record.
    const bool of_roads = series == &run.corridor_inflow || series == &run.in_transit;
    if (series->empty() && !(of_roads && scenario.corridors.empty())) missing.emplace_back(name);
  }
  if (!missing.empty()) lacking.push_back(fmt::format("not the variables {}", fmt::join(missing, ", ")));
  if (run.node_index.size() < scenario.nodes.size()) {
    lacking.push_back(fmt::format("{} of the scenario's {} places only", run.node_index.size(), scenario.nodes.size()));
  }
  const bool daily = !run.time_days.empty() && run.time_days.front() == 0 && run.every_day_recorded();
  if (!daily) {
    lacking.push_back(run.time_days.size() > 1
                          ? fmt::format("every {} days, not every day", run.time_days[1] - run.time_days[0])
                          : std::string("not every day"));
  }
  if (lacking.empty()) return;
  throw ReportInputError(
      fmt::format("{} records only part of the run ({}; the scenario's outputs, or --record): the report's figures "
                  "are totals over every place and day and would be wrong; run it again recording them all (haven "
                  "run ... --record 'variables=all;nodes=all;interval_days=1'), or read this file with haven compare "
                  "or export",
                  file.string(), fmt::join(lacking, "; ")));
}

}  // namespace

std::string report_data_from_runs(const std::vector<std::filesystem::path>& run_files) {
  Json json;
  json.open('{');
  bool first = true;
  std::optional<Scenario> first_scenario;
  std::filesystem::path first_file;
  const auto same_network = [&](const Scenario& scenario, const std::filesystem::path& file) {
    if (!first_scenario) {
      first_scenario = scenario;
      first_file = file;
      return;
    }
    check_same_network(*first_scenario, first_file, scenario, file);
  };
  const auto names = distinct_file_names(run_files);  // two sweeps' ensemble.h5 go by their paths
  for (std::size_t k = 0; k < run_files.size(); ++k) {
    const auto& file = run_files[k];
    if (is_ensemble_file(file)) {
      const EnsembleFile ensemble = read_ensemble_file(file, true);
      if (ensemble.runs.empty()) {
        throw std::runtime_error(fmt::format("{}: none of its {} members is usable (run the sweep, then gather)",
                                             file.string(), ensemble.members));
      }
      const Scenario scenario = scenario_of_run(ensemble.runs.front(), file);
      same_network(scenario, file);
      check_complete_record(ensemble.runs.front(), scenario, file);
      if (first) {
        write_common(json, scenario, file.filename().string());
        json.key("runs").open('[');
        first = false;
      }
      write_ensemble(json, ensemble, scenario, names[k]);
      continue;
    }
    const RunFile run = read_run_file(file);
    const Scenario scenario = scenario_of_run(run, file);
    same_network(scenario, file);
    check_complete_record(run, scenario, file);
    if (first) {
      write_common(json, scenario, file.filename().string());
      json.key("runs").open('[');
      first = false;
    }
    const auto times = run.times();
    json.comma().open('{');
    json.key("file").str(names[k]).key("variant").str(run.variant);
    json.key("variant_description").str(variant_description(file));
    json.key("description").str(scenario.description).key("mode").str(run.mode);
    json.key("rules").str(scenario.rules == RuleSetKind::flee ? "flee" : "haven");
    json.key("seed").str(fmt::format("{}", run.seed)).key("run_index").num(static_cast<std::int64_t>(run.run_index));
    json.key("start_date").str(run.start_date).key("source").str(run.source);
    write_events(json, scenario, &run.event_log);
    write_reopened(json, run.event_log);
    json.key("time").array(run.time_days).key("node_index").array(run.node_index);
    write_displaced_before(json, scenario, run.node_index);
    json.key("displaced_present").table(run.displaced_present, times);
    json.key("residents").table(run.residents, times);
    json.key("unsheltered").table(run.unsheltered, times);
    json.key("waiting").table(run.waiting, times);
    json.key("returns").table(run.returns, times);
    json.key("arrivals").table(run.arrivals, times);
    json.key("corridor_inflow").table(run.corridor_inflow, times);
    json.key("in_transit").table(run.in_transit, times);
    json.key("cumulative_displaced").array(run.cumulative_displaced);
    write_totals(json.key("totals"), run_totals(run, scenario));
    const auto capacity = read_capacity(file);
    if (!capacity.empty()) json.key("capacity").table(capacity, times);
    json.close('}');
  }
  json.close(']').close('}');
  return json.take();
}

std::string report_data_from_scenario(const Scenario& scenario, const std::string& source_name) {
  Json json;
  json.open('{');
  write_common(json, scenario, source_name);
  json.key("preview").open('{');
  json.key("variant").str(scenario.variant);
  json.key("variant_description").str(scenario.variant_description);
  write_events(json, scenario);
  json.close('}');
  json.key("runs").open('[').close(']');
  json.close('}');
  return json.take();
}

std::string report_data_from_memory(const Scenario& network, const std::string& source_name,
                                    const std::vector<MemoryRun>& runs) {
  Json json;
  json.open('{');
  write_common(json, network, source_name);
  json.key("runs").open('[');
  for (const auto& run : runs) {
    const Scenario& scenario = *run.scenario;
    const MemoryRecorder& recorder = *run.recorder;
    const auto times = recorder.days();
    const auto node_count = scenario.nodes.size();
    const double per_person = static_cast<double>(recorder.units_per_person());
    // The daily series below: 6 or 7 a place and 2 a road each day, of ~5 characters each with the comma; reserved
    // for 8 and 3 of 6 characters, a margin (~430 kB for Idlib's ~250 kB) that saves growing the string.
    json.reserve(times * (8 * node_count + 3 * scenario.corridors.size()) * 6);
    json.comma().open('{');
    json.key("file")
        .str(fmt::format("{} ({})", source_name, run.label))
        .key("label")
        .str(run.label)
        .key("variant")
        .str(scenario.variant);
    json.key("variant_description").str(scenario.variant_description);
    if (!run.note.empty()) json.key("edits").str(run.note);
    json.key("description").str(scenario.description).key("mode").str(run.mode);
    json.key("rules").str(scenario.rules == RuleSetKind::flee ? "flee" : "haven");
    json.key("seed").str(fmt::format("{}", run.seed)).key("run_index").num(std::int64_t{0});
    json.key("start_date").str(format_iso_date(scenario.start_date)).key("source").str(source_name);
    write_events(json, scenario, &recorder.events_);
    write_reopened(json, recorder.events_);
    std::vector<std::int64_t> time(times), node_index(node_count);
    for (std::size_t t = 0; t < times; ++t) time[t] = static_cast<std::int64_t>(t);
    for (std::size_t n = 0; n < node_count; ++n) node_index[n] = static_cast<std::int64_t>(n);
    json.key("time").array(time).key("node_index").array(node_index);
    write_displaced_before(json, scenario, node_index);
    // People per node and day (a row per day), summed over groups for the group matrices.
    auto people_rows = [&](const char* key, auto&& value_at, std::size_t columns) {
      json.key(key).open('[');
      for (std::size_t t = 0; t < times; ++t) {
        json.comma().open('[');
        for (std::size_t c = 0; c < columns; ++c) json.comma().num(value_at(t, c) / per_person);
        json.close(']');
      }
      json.close(']');
    };
    const auto corridor_count = scenario.corridors.size();
    auto vector_of = [](const std::vector<CountVector>& series) {
      return [&series](std::size_t t, std::size_t c) {
        return static_cast<double>(series[t][static_cast<Eigen::Index>(c)]);
      };
    };
    auto matrix_of = [](const std::vector<CountMatrix>& series) {
      return [&series](std::size_t t, std::size_t n) {
        return static_cast<double>(series[t].row(static_cast<Eigen::Index>(n)).sum());
      };
    };
    people_rows("displaced_present", matrix_of(recorder.displaced_), node_count);
    people_rows("residents", matrix_of(recorder.residents_), node_count);
    people_rows("unsheltered", vector_of(recorder.unsheltered_), node_count);
    people_rows("waiting", vector_of(recorder.waiting_), node_count);
    people_rows("returns", vector_of(recorder.returns_), node_count);
    people_rows("arrivals", vector_of(recorder.arrivals_), node_count);
    people_rows("corridor_inflow", vector_of(recorder.corridor_inflow_), corridor_count);
    people_rows("in_transit", vector_of(recorder.in_transit_), corridor_count);
    json.key("cumulative_displaced").open('[');
    for (const auto units : recorder.cumulative_displaced_) json.comma().num(static_cast<double>(units) / per_person);
    json.close(']');
    if (recorder.capacity_.size() == times) {
      json.key("capacity").open('[');
      for (const auto& row : recorder.capacity_) {
        json.comma().open('[');
        for (const double places : row) json.comma().num(places);
        json.close(']');
      }
      json.close(']');
    }
    json.close('}');
  }
  json.close(']').close('}');
  return json.take();
}

std::string render_report_html(const std::string& data_json, const std::string& title, const ReportAssets& assets) {
  const auto& js = assets.javascript_dir;
  const auto modules = assets.template_dir / "node_modules";
  std::string page = read_text_file(assets.template_dir / "template.html");
  // Leaflet's stylesheet names marker and control images by URL; the report draws neither, and no URL may
  // remain that a browser could try to fetch.
  std::string leaflet_css = read_text_file(js / "leaflet" / "leaflet.css");
  for (std::size_t at = leaflet_css.find("url("); at != std::string::npos; at = leaflet_css.find("url(", at)) {
    const auto end = leaflet_css.find(')', at);
    if (end == std::string::npos) break;
    leaflet_css.replace(at, end + 1 - at, "none");
  }
  // Inlined scripts must not contain the text that would end their <script> element early.
  auto script = [](std::string text) {
    for (std::size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 3)) {
      text.replace(at, 2, "<\\/");
    }
    return text;
  };
  const std::pair<std::string, std::string> parts[] = {
      {"{{TITLE}}",
       [&] {
         std::string escaped;
         for (char c : title) {
           if (c == '<')
             escaped += "&lt;";
           else if (c == '>')
             escaped += "&gt;";
           else if (c == '&')
             escaped += "&amp;";
           else
             escaped += c;
         }
         return escaped;
       }()},
      {"{{LEAFLET_CSS}}", leaflet_css},
      {"{{REPORT_CSS}}", read_text_file(assets.template_dir / "report.css")},
      {"{{LEAFLET_JS}}", script(read_text_file(js / "leaflet" / "leaflet.js"))},
      {"{{CHART_JS}}", script(read_text_file(js / "chart.js" / "chart.min.js"))},
      {"{{TOPOJSON_JS}}", script(read_text_file(modules / "topojson-client" / "dist" / "topojson-client.min.js"))},
      {"{{WORLD_JSON}}", script(read_text_file(modules / "world-atlas" / "countries-50m.json"))},
      {"{{DATA_JSON}}", data_json},
      {"{{REPORT_EVENTS_JS}}", script(read_text_file(assets.template_dir / "events.js"))},
      {"{{REPORT_SERIES_JS}}", script(read_text_file(assets.template_dir / "series.js"))},
      {"{{REPORT_MAP_JS}}", script(read_text_file(assets.template_dir / "map.js"))},
      {"{{REPORT_JS}}", script(read_text_file(assets.template_dir / "report.js"))},
  };
  // Each placeholder is replaced once, in order, so inlined text is never searched for later placeholders.
  std::string html;
  std::size_t from = 0;
  for (const auto& [placeholder, text] : parts) {
    const auto at = page.find(placeholder, from);
    if (at == std::string::npos) {
      throw ReportAssetError(
          fmt::format("{}: placeholder {} missing", (assets.template_dir / "template.html").string(), placeholder));
    }
    html.append(page, from, at - from);
    html += text;
    from = at + placeholder.size();
  }
  html.append(page, from);
  return html;
}

}  // namespace haven
