#include "haven/io/export.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <list>
#include <optional>
#include <set>
#include <stdexcept>

#include "haven/io/output.hpp"
#include "haven/io/partial_files.hpp"
#include "haven/util/csv.hpp"
#include "haven/util/date.hpp"
#include "haven/util/text.hpp"

namespace haven {

namespace fs = std::filesystem;

namespace {

// A (time, column) series of the run file: empty when the file did not record it.
struct Series {
  const std::vector<std::int64_t>* values;
  std::size_t columns;
  [[nodiscard]] bool recorded() const { return !values->empty(); }
  [[nodiscard]] std::int64_t at(std::size_t t, std::size_t column) const { return (*values)[t * columns + column]; }
};

std::string cell(const std::vector<std::int64_t>& values, std::size_t index) {
  return values.empty() ? std::string() : fmt::format("{}", values[index]);
}

std::string number(double value) {
  if (!std::isfinite(value)) return {};
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<std::int64_t>(value));
  return fmt::format("{}", value);
}

// Coordinates: at most 7 decimals (about 1 cm), trailing zeros dropped.
std::string coordinate(double degrees) {
  std::string text = fmt::format("{:.7f}", degrees);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number_or_null(double value) {
  return std::isfinite(value) ? number(value) : "null";
}

struct Dates {
  Date start;
  explicit Dates(const RunFile& run) : start(parse_iso_date(run.start_date).value_or(Date{})) {}
  [[nodiscard]] std::string operator()(int day) const { return format_iso_date(add_days(start, day)); }
};

const Node* scenario_node(const Scenario& scenario, std::int32_t index) {
  if (index < 0 || static_cast<std::size_t>(index) >= scenario.nodes.size()) return nullptr;
  return &scenario.nodes[static_cast<std::size_t>(index)];
}

// Final value, peak value and the first day of the peak of column `column` of a series.
struct Extremes {
  std::int64_t final_value = 0;
  std::int64_t peak = 0;
  int peak_day = 0;
  std::int64_t total = 0;
};

Extremes extremes(const RunFile& run, const Series& series, std::size_t column) {
  Extremes e;
  for (std::size_t t = 0; t < run.times(); ++t) {
    const auto v = series.at(t, column);
    if (__builtin_add_overflow(e.total, v, &e.total)) throw std::runtime_error("a sum of its counts overflows 64 bits");
    if (t == 0 || v > e.peak) {
      e.peak = v;
      e.peak_day = run.time_days[t];
    }
    e.final_value = v;
  }
  return e;
}

}  // namespace

// The recorded nodes' names and codes are in the file itself: the scenario is not needed here.
ExportTable node_day_table(const RunFile& run, const Scenario& /*scenario*/) {
  ExportTable table;
  table.header = {"date",    "day",        "node_id",   "node_name",         "pcode",
                  "admin1",  "admin2",     "residents", "displaced_present", "arrivals",
                  "returns", "departures", "waiting",   "unsheltered",       "capacity"};
  table.hxl = {"#date",
               "#date+day_number",
               "#loc+id",
               "#loc+name",
               "#loc+code",
               "#adm1+name",
               "#adm2+name",
               "#population+residents+ind",
               "#affected+displaced+ind",
               "#affected+displaced+arrivals+ind",
               "#affected+returnees+ind",
               "#affected+displaced+departures+ind",
               "#affected+displaced+waiting+ind",
               "#affected+displaced+unsheltered+ind",
               "#capacity+shelter+ind"};
  const Dates date(run);
  const std::size_t n = run.nodes();
  for (std::size_t t = 0; t < run.times(); ++t) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = t * n + i;
      table.rows.push_back({date(run.time_days[t]), fmt::format("{}", run.time_days[t]), run.node_id[i],
                            run.node_name[i], run.node_pcode[i], run.node_admin1[i], run.node_admin2[i],
                            cell(run.residents, k), cell(run.displaced_present, k), cell(run.arrivals, k),
                            cell(run.returns, k), cell(run.departures, k), cell(run.waiting, k),
                            cell(run.unsheltered, k)});
      if (!run.capacity.empty()) table.rows.back().push_back(number(run.capacity[k]));
    }
  }
  // An empty capacity means no shelter limit: a file that did not record capacity has no such column (as its
  // GeoJSON has no such property), so that a planner never reads "not recorded" as "unlimited".
  if (run.capacity.empty()) {
    table.header.pop_back();
    table.hxl.pop_back();
  }
  return table;
}

ExportTable corridor_day_table(const RunFile& run, const Scenario& scenario) {
  ExportTable table;
  table.header = {"date",  "day",     "corridor_id", "from_id", "from_name", "from_pcode",
                  "to_id", "to_name", "to_pcode",    "inflow",  "in_transit"};
  table.hxl = {"#date",
               "#date+day_number",
               "#loc+corridor+id",
               "#loc+origin+id",
               "#loc+origin+name",
               "#loc+origin+code",
               "#loc+dest+id",
               "#loc+dest+name",
               "#loc+dest+code",
               "#affected+displaced+inflow+ind",
               "#affected+displaced+transit+ind"};
  const Dates date(run);
  const std::size_t c_count = run.corridor_name.size();
  for (std::size_t t = 0; t < run.times(); ++t) {
    for (std::size_t c = 0; c < c_count; ++c) {
      const Node* from = scenario_node(scenario, run.corridor_from[c]);
      const Node* to = scenario_node(scenario, run.corridor_to[c]);
      const std::size_t k = t * c_count + c;
      table.rows.push_back({date(run.time_days[t]), fmt::format("{}", run.time_days[t]), run.corridor_name[c],
                            from ? from->id : "", from ? from->name : "", from ? from->pcode : "", to ? to->id : "",
                            to ? to->name : "", to ? to->pcode : "", cell(run.corridor_inflow, k),
                            cell(run.in_transit, k)});
    }
  }
  return table;
}

ExportTable origin_destination_table(const RunFile& run, const Scenario& scenario) {
  ExportTable table;
  table.header = {"origin_id",          "origin_name",        "origin_pcode",     "origin_admin1",
                  "origin_admin2",      "destination_id",     "destination_name", "destination_pcode",
                  "destination_admin1", "destination_admin2", "arrivals"};
  table.hxl = {"#loc+origin+id",
               "#loc+origin+name",
               "#loc+origin+code",
               "#adm1+origin+name",
               "#adm2+origin+name",
               "#loc+dest+id",
               "#loc+dest+name",
               "#loc+dest+code",
               "#adm1+dest+name",
               "#adm2+dest+name",
               "#affected+displaced+arrivals+ind"};
  for (std::size_t k = 0; k < run.od_count.size(); ++k) {
    const Node* o = scenario_node(scenario, run.od_origin[k]);
    const Node* d = scenario_node(scenario, run.od_destination[k]);
    table.rows.push_back({o ? o->id : "", o ? o->name : "", o ? o->pcode : "", o ? o->admin1 : "", o ? o->admin2 : "",
                          d ? d->id : "", d ? d->name : "", d ? d->pcode : "", d ? d->admin1 : "", d ? d->admin2 : "",
                          fmt::format("{}", run.od_count[k])});
  }
  return table;
}

namespace {

std::vector<std::string> summary_row(const RunFile& run, const std::string& file, std::int64_t member);

}  // namespace

ExportTable summary_table(const std::vector<ExportedRun>& runs) {
  ExportTable table;
  table.header = {"file",
                  "scenario",
                  "variant",
                  "description",
                  "mode",
                  "seed",
                  "member",
                  "design_point",
                  "replicate",
                  "start_date",
                  "end_date",
                  "displaced",
                  "displaced_present_end",
                  "arrivals",
                  "returns",
                  "unsheltered_peak",
                  "unsheltered_peak_date",
                  "in_transit_end",
                  "waiting_end"};
  table.hxl = {"#meta+file",
               "#meta+scenario",
               "#meta+variant",
               "#description",
               "#meta+mode",
               "#meta+seed",
               "#meta+member",
               "#meta+design_point",
               "#meta+replicate",
               "#date+start",
               "#date+end",
               "#affected+displaced+cumulative+ind",
               "#affected+displaced+ind",
               "#affected+displaced+arrivals+ind",
               "#affected+returnees+ind",
               "#affected+displaced+unsheltered+ind",
               "#date+unsheltered_peak",
               "#affected+displaced+transit+ind",
               "#affected+displaced+waiting+ind"};
  // A column per swept key of the ensembles among the runs, in the order they first come (empty for the others).
  std::vector<std::string> swept;
  for (const auto& exported : runs) {
    for (const auto& [key, value] : exported.swept)
      if (std::find(swept.begin(), swept.end(), key) == swept.end()) swept.push_back(key);
  }
  for (const auto& key : swept) {
    table.header.push_back(key);
    table.hxl.push_back("#meta+swept");
  }
  for (const auto& exported : runs) {
    try {
      auto row = summary_row(*exported.run, exported.file, exported.member);
      const auto number = [](std::int64_t value) { return value < 0 ? std::string() : fmt::format("{}", value); };
      const auto at = std::find(table.header.begin(), table.header.end(), "design_point") - table.header.begin();
      row.insert(row.begin() + at, {number(exported.design_point), number(exported.replicate)});
      for (const auto& key : swept) {
        const auto it = std::find_if(exported.swept.begin(), exported.swept.end(),
                                     [&key](const auto& kv) { return kv.first == key; });
        row.push_back(it == exported.swept.end() ? std::string() : it->second);
      }
      table.rows.push_back(std::move(row));
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}: {}", exported.file, e.what()));
    }
  }
  return table;
}

namespace {

std::vector<std::string> summary_row(const RunFile& run, const std::string& file, std::int64_t member) {
  const Dates date(run);
  const std::size_t t_count = run.times(), n = run.nodes();
  // Sums over places are the network's only when every place is recorded (a file of some places leaves them empty,
  // as haven info and compare print '-'); flows summed over the run only when every day is.
  const bool every_place = run.scenario_nodes == 0 || run.nodes() == run.scenario_nodes;
  const bool every_day = run.every_day_recorded();
  const auto add = [](std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) throw std::runtime_error("a sum of its counts overflows 64 bits");
    return sum;
  };
  auto sum_at = [&](const std::vector<std::int64_t>& v, std::size_t t, std::size_t width) {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < width; ++i) s = add(s, v[t * width + i]);
    return s;
  };
  auto sum_all = [&](const std::vector<std::int64_t>& v) -> std::string {
    if (v.empty() || !every_place || !every_day) return {};
    std::int64_t s = 0;
    for (auto x : v) s = add(s, x);
    return fmt::format("{}", s);
  };
  std::string unsheltered_peak, unsheltered_peak_date;
  if (!run.unsheltered.empty() && t_count > 0 && every_place) {
    std::int64_t peak = -1;
    for (std::size_t t = 0; t < t_count; ++t) {
      const auto v = sum_at(run.unsheltered, t, n);
      if (v > peak) {
        peak = v;
        unsheltered_peak_date = date(run.time_days[t]);
      }
    }
    unsheltered_peak = fmt::format("{}", peak);
    if (peak == 0) unsheltered_peak_date.clear();  // nobody unsheltered: no peak day
  }
  const bool any = t_count > 0;
  return {file, run.scenario_name, run.variant,
          one_line(run.variant_description.empty() ? run.description : run.variant_description), run.mode,
          // Seeds a spreadsheet cannot hold exactly (above 2^53) as manifest.csv writes them, so they stay text.
          run.seed > (std::uint64_t{1} << 53) ? seed_hex(run.seed) : fmt::format("{}", run.seed),
          member < 0 ? std::string() : fmt::format("{}", member), any ? date(run.time_days.front()) : "",
          any ? date(run.time_days.back()) : "",
          any && !run.cumulative_displaced.empty() ? fmt::format("{}", run.cumulative_displaced.back()) : "",
          any && every_place && !run.displaced_present.empty()
              ? fmt::format("{}", sum_at(run.displaced_present, t_count - 1, n))
              : "",
          sum_all(run.arrivals), sum_all(run.returns), unsheltered_peak, unsheltered_peak_date,
          // A network without roads has nobody on one (its in_transit has no columns, recorded or not).
          any && run.corridor_name.empty() ? "0"
          : any && !run.in_transit.empty()
              ? fmt::format("{}", sum_at(run.in_transit, t_count - 1, run.corridor_name.size()))
              : "",
          // Queueing at a full road: in no place's population, so not in displaced_present_end either.
          any && every_place && !run.waiting.empty() ? fmt::format("{}", sum_at(run.waiting, t_count - 1, n)) : ""};
}

}  // namespace

std::string to_csv(const ExportTable& table, bool hxl) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t k = 0; k < cells.size(); ++k) out += (k ? "," : "") + csv_field(cells[k]);
    out += "\r\n";
  };
  line(table.header);
  if (hxl) line(table.hxl);
  for (const auto& row : table.rows) line(row);
  return out;
}

namespace {

// Properties of one feature from the (time, column) series: final, peak, peak date (and the series).
void series_properties(std::string& out, const RunFile& run, const char* name, const Series& series, std::size_t column,
                       bool with_series, bool flow) {
  if (!series.recorded() || run.times() == 0) return;
  const Dates date(run);
  const Extremes e = extremes(run, series, column);
  // A thinned file's total would be of its recorded days only: null, as summary.csv leaves it empty.
  if (flow)
    out += fmt::format(",\"{}_total\":{}", name, run.every_day_recorded() ? fmt::format("{}", e.total) : "null");
  // A series that is never above 0 has no peak day.
  out += fmt::format(",\"{}_final\":{},\"{}_peak\":{},\"{}_peak_date\":{}", name, e.final_value, name, e.peak, name,
                     e.peak > 0 ? json_string(date(e.peak_day)) : std::string("null"));
  if (with_series) {
    out += fmt::format(",\"{}\":[", name);
    for (std::size_t t = 0; t < run.times(); ++t) out += fmt::format("{}{}", t ? "," : "", series.at(t, column));
    out += "]";
  }
}

std::string dates_property(const RunFile& run) {
  const Dates date(run);
  std::string out = ",\"dates\":[";
  for (std::size_t t = 0; t < run.times(); ++t) out += (t ? "," : "") + json_string(date(run.time_days[t]));
  return out + "]";
}

}  // namespace

std::string nodes_geojson(const RunFile& run, const Scenario& scenario, bool series) {
  std::string out = "{\"type\":\"FeatureCollection\",\"features\":[";
  const std::size_t n = run.nodes(), t_count = run.times();
  for (std::size_t i = 0; i < n; ++i) {
    const Node* node = scenario_node(scenario, run.node_index[i]);
    out += i ? ",\n" : "\n";
    out += fmt::format(
        "{{\"type\":\"Feature\",\"id\":{},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{},{}]}},"
        "\"properties\":{{\"id\":{},\"name\":{},\"kind\":{},\"pcode\":{},\"admin1\":{},\"admin2\":{}",
        json_string(run.node_id[i]), coordinate(run.node_lon[i]), coordinate(run.node_lat[i]),
        json_string(run.node_id[i]), json_string(run.node_name[i]),
        json_string(node ? std::string(to_string(node->kind)) : ""), json_string(run.node_pcode[i]),
        json_string(run.node_admin1[i]), json_string(run.node_admin2[i]));
    if (!run.capacity.empty() && t_count > 0) {
      out += fmt::format(",\"capacity_final\":{}", json_number_or_null(run.capacity[(t_count - 1) * n + i]));
    }
    series_properties(out, run, "displaced_present", {&run.displaced_present, n}, i, series, false);
    series_properties(out, run, "unsheltered", {&run.unsheltered, n}, i, series, false);
    series_properties(out, run, "residents", {&run.residents, n}, i, series, false);
    series_properties(out, run, "arrivals", {&run.arrivals, n}, i, series, true);
    series_properties(out, run, "returns", {&run.returns, n}, i, series, true);
    series_properties(out, run, "departures", {&run.departures, n}, i, series, true);
    if (series) {
      out += dates_property(run);
      if (!run.capacity.empty()) {
        out += ",\"capacity\":[";
        for (std::size_t t = 0; t < t_count; ++t) out += (t ? "," : "") + json_number_or_null(run.capacity[t * n + i]);
        out += "]";
      }
    }
    out += "}}";
  }
  return out + "\n]}\n";
}

std::string corridors_geojson(const RunFile& run, const Scenario& scenario, bool series) {
  std::string out = "{\"type\":\"FeatureCollection\",\"features\":[";
  const std::size_t c_count = run.corridor_name.size();
  bool first = true;
  for (std::size_t c = 0; c < c_count; ++c) {
    const Node* from = scenario_node(scenario, run.corridor_from[c]);
    const Node* to = scenario_node(scenario, run.corridor_to[c]);
    if (!from || !to) continue;
    out += first ? "\n" : ",\n";
    first = false;
    out += fmt::format(
        "{{\"type\":\"Feature\",\"id\":{},\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[[{},{}],[{},{}]]}},"
        "\"properties\":{{\"id\":{},\"from_id\":{},\"from_name\":{},\"from_pcode\":{},\"to_id\":{},\"to_name\":{},"
        "\"to_pcode\":{}",
        json_string(run.corridor_name[c]), coordinate(from->lon_deg), coordinate(from->lat_deg),
        coordinate(to->lon_deg), coordinate(to->lat_deg), json_string(run.corridor_name[c]), json_string(from->id),
        json_string(from->name), json_string(from->pcode), json_string(to->id), json_string(to->name),
        json_string(to->pcode));
    if (c < scenario.corridors.size()) {
      out += fmt::format(",\"length_km\":{}", number(scenario.corridors[c].length_km));
    }
    series_properties(out, run, "inflow", {&run.corridor_inflow, c_count}, c, series, true);
    series_properties(out, run, "in_transit", {&run.in_transit, c_count}, c, series, false);
    if (series) out += dates_property(run);
    out += "}}";
  }
  return out + "\n]}\n";
}

std::vector<fs::path> export_runs(const std::vector<ExportedRun>& runs, const fs::path& directory,
                                  const ExportOptions& options) {
  if (std::error_code status; fs::exists(directory, status) && !fs::is_directory(directory, status)) {
    throw OutputRefused(
        fmt::format("{} is a file, not a folder: -o names the folder the tables and layers go "
                    "into; nothing was written",
                    directory.string()));
  }
  std::vector<std::pair<fs::path, std::string>> files;  // name under `directory`, content
  const auto csv = [&options](const ExportTable& table) {
    return (options.byte_order_mark ? std::string("\xEF\xBB\xBF") : std::string()) + to_csv(table, options.hxl);
  };
  if (options.csv) files.emplace_back("summary.csv", csv(summary_table(runs)));
  const bool one = runs.size() == 1;
  for (const auto& exported : runs) {
    if (!exported.tables) continue;
    const RunFile& run = *exported.run;
    const Scenario& scenario = *exported.scenario;
    const fs::path folder = one ? fs::path() : fs::path(exported.folder);
    try {
      if (options.csv) {
        files.emplace_back(folder / "nodes_daily.csv", csv(node_day_table(run, scenario)));
        files.emplace_back(folder / "corridors_daily.csv", csv(corridor_day_table(run, scenario)));
        files.emplace_back(folder / "origin_destination.csv", csv(origin_destination_table(run, scenario)));
      }
      if (options.geojson) {
        files.emplace_back(folder / "nodes.geojson", nodes_geojson(run, scenario, options.geojson_series));
        files.emplace_back(folder / "corridors.geojson", corridors_geojson(run, scenario, options.geojson_series));
      }
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}: {}", exported.file, e.what()));
    }
  }
  // A run's folder named as one of the files (a run file called summary.csv.h5): one would have to be a folder and
  // a file at once. Refused before any folder is made.
  std::set<fs::path> names;
  for (const auto& file : files) names.insert(file.first);
  for (const auto& [name, content] : files) {
    for (fs::path folder = name.parent_path(); !folder.empty(); folder = folder.parent_path()) {
      if (names.count(folder) > 0) {
        throw OutputRefused(
            fmt::format("{} would be both a file and the folder of {}: rename the run file whose "
                        "folder it is, or export it on its own; nothing was written",
                        (directory / folder).string(), (directory / name).string()));
      }
    }
  }
  // Every existing file is named at once, before anything is written.
  if (!options.overwrite) {
    std::string existing;
    for (const auto& [name, content] : files) {
      if (fs::exists(directory / name)) existing += (existing.empty() ? "" : ", ") + (directory / name).string();
    }
    if (!existing.empty()) {
      throw OutputRefused(fmt::format("{} exist{}; pass --overwrite to replace, or -o to write elsewhere", existing,
                                      existing.find(", ") == std::string::npos ? "s" : ""));
    }
  }
  // Whole or not at all: a target that is not a file is refused before anything is written; then every file is
  // written beside its target, and only when all are written are they renamed over their targets.
  for (const auto& [name, content] : files) {
    const fs::path target = directory / name;
    std::error_code status;
    if (fs::exists(fs::symlink_status(target, status)) && !fs::is_regular_file(target, status)) {
      throw OutputRefused(
          fmt::format("{} is not a regular file (a directory, a link to none, ...); --overwrite "
                      "replaces only files: nothing was written",
                      target.string()));
    }
  }
  std::error_code error;
  std::vector<std::pair<fs::path, fs::path>> staged;  // (written beside, target)
  std::list<PartialFile> registered;                  // removed on Ctrl-C until renamed
  const auto discard = [&staged](std::size_t from) {
    std::error_code ignored;
    for (std::size_t k = from; k < staged.size(); ++k) fs::remove(staged[k].first, ignored);
  };
  for (const auto& [name, content] : files) {
    const fs::path target = directory / name;
    fs::create_directories(target.parent_path(), error);
    if (error) {
      discard(0);
      throw std::runtime_error(fmt::format("cannot create {}: {}", target.parent_path().string(), error.message()));
    }
    const fs::path temporary = target.parent_path() / ("." + name.filename().string() + ".partial");
    staged.emplace_back(temporary, target);
    registered.emplace_back(temporary);
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      const std::string why = std::strerror(errno);  // before the clean-up, which may set errno again
      discard(0);
      throw std::runtime_error(fmt::format("cannot write {} ({}): nothing was replaced", target.string(), why));
    }
  }
  std::vector<fs::path> written;
  for (std::size_t k = 0; k < staged.size(); ++k) {
    fs::rename(staged[k].first, staged[k].second, error);
    if (error) {
      discard(k);
      throw std::runtime_error(fmt::format("cannot write {}: {}", staged[k].second.string(), error.message()));
    }
    written.push_back(staged[k].second);
  }
  return written;
}

}  // namespace haven
