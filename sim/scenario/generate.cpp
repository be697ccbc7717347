#include "haven/scenario/generate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <random>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

namespace haven {

namespace {

struct Point {
  double x_km;
  double y_km;
};

// Nearest neighbours through a uniform grid: cost grows with nodes, not nodes squared.
std::vector<std::vector<std::int64_t>> nearest_neighbours(const std::vector<Point>& points, double cell_km, int k) {
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> grid;
  auto key = [](std::int64_t a, std::int64_t b) { return a * 1'000'003 + b; };
  auto cell = [&](double v) { return static_cast<std::int64_t>(std::floor(v / cell_km)); };
  for (std::size_t i = 0; i < points.size(); ++i) {
    grid[key(cell(points[i].x_km), cell(points[i].y_km))].push_back(static_cast<std::int64_t>(i));
  }
  std::vector<std::vector<std::int64_t>> result(points.size());
  std::vector<std::pair<double, std::int64_t>> found;
  for (std::size_t i = 0; i < points.size(); ++i) {
    found.clear();
    for (int ring = 1; found.size() < static_cast<std::size_t>(k) + 1 && ring < 64; ring *= 2) {
      found.clear();
      const auto cx = cell(points[i].x_km), cy = cell(points[i].y_km);
      for (auto a = cx - ring; a <= cx + ring; ++a) {
        for (auto b = cy - ring; b <= cy + ring; ++b) {
          auto it = grid.find(key(a, b));
          if (it == grid.end()) continue;
          for (auto j : it->second) {
            if (static_cast<std::size_t>(j) == i) continue;
            const double dx = points[i].x_km - points[static_cast<std::size_t>(j)].x_km;
            const double dy = points[i].y_km - points[static_cast<std::size_t>(j)].y_km;
            found.emplace_back(dx * dx + dy * dy, j);
          }
        }
      }
    }
    const auto take = std::min<std::size_t>(found.size(), static_cast<std::size_t>(k));
    std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(take), found.end());
    for (std::size_t n = 0; n < take; ++n) result[i].push_back(found[n].second);
  }
  return result;
}

}  // namespace

// Bounds: the largest benchmark is 100,000 nodes and 400,000 corridors; ten times that still fits in memory.
constexpr std::int64_t max_nodes = 1'000'000;
constexpr std::int64_t max_corridors_per_node = 10;
constexpr std::int64_t max_events = 1'000'000;
constexpr double max_people = 1e12;  // the loader's population limit
constexpr int max_days = 100 * 366;  // the loader's limit

namespace {

// The most roads `nodes` nodes hold: between the nodes this side of the border, each pair once, at most
// max_corridors_per_node each.
std::int64_t most_corridors(std::int64_t nodes) {
  const std::int64_t inside = std::clamp<std::int64_t>(nodes, 4, max_nodes) - 1;
  return std::min(max_corridors_per_node * (inside + 1), inside * (inside - 1) / 2);
}

}  // namespace

std::int64_t default_corridors(std::int64_t nodes) {
  return std::clamp<std::int64_t>(3 * std::clamp<std::int64_t>(nodes, 4, max_nodes), 2, most_corridors(nodes));
}

std::vector<std::string> generator_problems(const GeneratorSettings& g) {
  std::vector<std::string> problems;
  if (g.nodes < 4 || g.nodes > max_nodes) {
    problems.push_back(
        fmt::format("--nodes {}: expected 4 to {} (at least a camp, a town, the border crossing and "
                    "the country beyond it)",
                    g.nodes, max_nodes));
  }
  // Roads join nodes of this side of the border, each pair once; the crossing comes on top.
  const std::int64_t inside = std::clamp<std::int64_t>(g.nodes, 4, max_nodes) - 1;
  const std::int64_t most = most_corridors(g.nodes);
  if (g.corridors < 2 || g.corridors > most) {
    problems.push_back(
        fmt::format("--corridors {}: expected 2 to {} for {} nodes (roads join the {} nodes this side of the "
                    "border, each pair once, at most {} per node; the border crossing is one more)",
                    g.corridors, most, inside + 1, inside, max_corridors_per_node));
  }
  if (!std::isfinite(g.people) || g.people < 0 || g.people > max_people) {
    problems.push_back(fmt::format("--people {}: expected 0 to {:g}", g.people, max_people));
  }
  if (g.bombardments < 0 || g.bombardments > max_events) {
    problems.push_back(fmt::format("--events {}: expected 0 to {}", g.bombardments, max_events));
  }
  if (g.days < 1 || g.days > max_days) {
    problems.push_back(fmt::format("--days {}: expected 1 to {}", g.days, max_days));
  }
  bool identifier = !g.name.empty() && g.name.size() <= 64 && std::isalpha(static_cast<unsigned char>(g.name[0]));
  for (char c : g.name) identifier = identifier && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!identifier) {
    problems.push_back(fmt::format("--name '{}': use a letter then letters, digits or '_' (at most 64)",
                                   g.name.size() > 80 ? g.name.substr(0, 77) + "..." : g.name));
  }
  return problems;
}

namespace {

// One list item as (key, value text) pairs, in the order the YAML form writes them.
using Item = std::vector<std::pair<std::string_view, std::string>>;

struct Generated {
  std::string head;  // the comment, scenario and groups sections
  std::vector<Item> nodes;
  std::vector<Item> corridors;
  std::vector<Item> events;
};

// `command_suffix`: what the header's command line adds after the settings (the tables' `--tables csv -o ...`).
Generated generate(const GeneratorSettings& g, std::string_view command_suffix = {}) {
  Generated out;
  std::mt19937_64 rng(g.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(g.nodes, 3));
  // Mean spacing about 10 km, like towns and villages in a populated province.
  const double side_km = std::sqrt(static_cast<double>(n)) * 10.0;
  std::vector<Point> points(n);
  for (auto& p : points) p = {unit(rng) * side_km, unit(rng) * side_km};
  constexpr double lat0 = 30.0, lon0 = 30.0, km_per_deg = 111.19;
  auto lat = [&](const Point& p) { return lat0 + p.y_km / km_per_deg; };
  auto lon = [&](const Point& p) { return lon0 + p.x_km / (km_per_deg * std::cos(lat(p) * 3.14159265358979 / 180.0)); };

  // Populations: lognormal, scaled to the total over the towns and cities (every node draws a weight, so that the
  // draws after these stay as they were), whole people, the people the floors leave over at the most populous.
  std::lognormal_distribution<double> size(0.0, 1.2);
  std::vector<double> weight(n);
  for (auto& w : weight) w = size(rng);
  const std::size_t camps = std::max<std::size_t>(1, n / 100);
  const std::size_t border = n - 2, abroad = n - 1;
  double weight_sum = 0.0;
  for (std::size_t i = camps; i < border; ++i) weight_sum += weight[i];
  std::vector<double> population(n, 0.0);
  double placed = 0.0;
  std::size_t largest = camps;
  for (std::size_t i = camps; i < border; ++i) {
    population[i] = std::floor(g.people * weight[i] / weight_sum);
    placed += population[i];
    if (population[i] > population[largest]) largest = i;
  }
  if (border > camps) population[largest] += std::max(0.0, std::round(g.people) - placed);
  out.head = fmt::format(
      "# Generated by `haven generate --nodes {} --corridors {} --people {} --events {} --days {} --seed {}{}{}`.\n"
      "# The border crossing is a corridor more than --corridors; the towns' and cities' people sum to --people\n"
      "# (rounded to whole people).\n"
      "scenario:\n  name: {}\n  description: synthetic random geometric road network\n  start_date: 2020-01-01\n"
      "  days: {}\n  seed: {}\n",
      g.nodes, g.corridors, g.people, g.bombardments, g.days, g.seed,
      g.name == GeneratorSettings{}.name ? std::string() : " --name " + g.name, command_suffix, g.name, g.days, g.seed);
  out.head +=
      "groups:\n  - {id: children, share: 0.33, departure_factor: 1.2, speed_factor: 0.8}\n"
      "  - {id: adults, share: 0.57}\n  - {id: elderly, share: 0.10, departure_factor: 0.8, speed_factor: 0.7}\n";
  out.nodes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = points[i];
    Item node = {{"id", fmt::format("n{}", i)},
                 {"kind", ""},
                 {"lat", fmt::format("{:.5f}", lat(p))},
                 {"lon", fmt::format("{:.5f}", lon(p))}};
    if (i == border) {
      node[1].second = "border_crossing";
      // Said, as a planner's file should: a crossing shelters without limit (the rules' default for one).
      node.emplace_back("capacity", "unlimited");
      node.emplace_back("closed", "true");
    } else if (i == abroad) {
      node[1].second = "external";
    } else if (i < camps) {
      node[1].second = "camp";
      node.emplace_back("capacity",
                        fmt::format("{:.0f}", std::max(1000.0, g.people * 0.2 / static_cast<double>(camps))));
    } else {
      node[1].second = population[i] > 50'000 ? "city" : "town";
      node.emplace_back("population", fmt::format("{:.0f}", population[i]));
    }
    out.nodes.push_back(std::move(node));
  }
  // Corridors: each node to its nearest neighbours, deduplicated, until the requested number.
  const int k = static_cast<int>(std::ceil(2.0 * static_cast<double>(g.corridors) / static_cast<double>(n))) + 1;
  const auto neighbours = nearest_neighbours(points, 10.0, std::max(k, 2));
  std::set<std::pair<std::int64_t, std::int64_t>> edges;
  for (std::size_t round = 0; round < static_cast<std::size_t>(std::max(k, 2)); ++round) {
    for (std::size_t i = 0; i < n && static_cast<std::int64_t>(edges.size()) < g.corridors; ++i) {
      if (round >= neighbours[i].size()) continue;
      const auto j = neighbours[i][round];
      const auto a = std::min<std::int64_t>(static_cast<std::int64_t>(i), j);
      const auto b = std::max<std::int64_t>(static_cast<std::int64_t>(i), j);
      if (a == static_cast<std::int64_t>(abroad) || b == static_cast<std::int64_t>(abroad)) continue;
      edges.emplace(a, b);
    }
  }
  out.corridors.reserve(edges.size() + 1);
  for (const auto& [a, b] : edges) {
    const auto& p = points[static_cast<std::size_t>(a)];
    const auto& q = points[static_cast<std::size_t>(b)];
    const double length = std::max(0.5, 1.25 * std::hypot(p.x_km - q.x_km, p.y_km - q.y_km));
    const char* kind = unit(rng) < 0.15 ? "highway" : (unit(rng) < 0.8 ? "road" : "track");
    out.corridors.push_back({{"from", fmt::format("n{}", a)},
                             {"to", fmt::format("n{}", b)},
                             {"length_km", fmt::format("{:.2f}", length)},
                             {"kind", kind}});
  }
  out.corridors.push_back({{"from", fmt::format("n{}", border)},
                           {"to", fmt::format("n{}", abroad)},
                           {"length_km", "5"},
                           {"kind", "crossing"}});
  std::uniform_int_distribution<std::size_t> any_node(camps, n - 3);
  std::uniform_int_distribution<int> start_day(0, std::max(0, g.days - 1));
  std::uniform_int_distribution<int> duration(3, 20);
  std::uniform_real_distribution<double> intensity(1.0, 20.0);
  for (std::int64_t e = 0; e < g.bombardments; ++e) {
    // The draws are the arguments of one call, as they always were, so that the scenario stays as it was.
    auto event = [](std::size_t node, int day, int days, double strikes) {
      return Item{{"kind", "bombardment"},
                  {"node", fmt::format("n{}", node)},
                  {"day", fmt::format("{}", day)},
                  {"duration_days", fmt::format("{}", days)},
                  {"intensity", fmt::format("{:.1f}", strikes)}};
    };
    out.events.push_back(event(any_node(rng), start_day(rng), duration(rng), intensity(rng)));
  }
  return out;
}

void append_yaml_list(std::string& out, std::string_view section, const std::vector<Item>& items) {
  if (items.empty()) {
    out += fmt::format("{}: []\n", section);
    return;
  }
  out += fmt::format("{}:\n", section);
  for (const auto& item : items) {
    out += "  - {";
    for (std::size_t k = 0; k < item.size(); ++k)
      out += fmt::format("{}{}: {}", k == 0 ? "" : ", ", item[k].first, item[k].second);
    out += "}\n";
  }
}

// The items as a CSV table with the given columns (values here never need quotes: ids, kinds and numbers).
std::string csv_table(std::span<const std::string_view> columns, const std::vector<Item>& items) {
  std::string out;
  for (std::size_t c = 0; c < columns.size(); ++c) out += fmt::format("{}{}", c == 0 ? "" : ",", columns[c]);
  out += "\n";
  for (const auto& item : items) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out += ',';
      for (const auto& [key, value] : item) {
        if (key == columns[c]) out += value;
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string generate_scenario_yaml(const GeneratorSettings& g) {
  const Generated generated = generate(g);
  std::string out = generated.head;
  out.reserve(generated.nodes.size() * 120 + generated.corridors.size() * 70);
  append_yaml_list(out, "nodes", generated.nodes);
  append_yaml_list(out, "corridors", generated.corridors);
  append_yaml_list(out, "events", generated.events);
  return out;
}

GeneratedTables generate_scenario_tables(const GeneratorSettings& g, const std::string& table_prefix) {
  // The command that writes these tables says so: the same settings without it write one YAML file.
  const std::string stem = table_prefix.ends_with('-') ? table_prefix.substr(0, table_prefix.size() - 1) : "NAME";
  const Generated generated = generate(g, fmt::format(" --tables csv -o {}.yaml", stem));
  GeneratedTables out;
  out.yaml = generated.head;
  out.yaml +=
      fmt::format("nodes: {{csv: {}nodes.csv}}\ncorridors: {{csv: {}corridors.csv}}\nevents: {{csv: {}events.csv}}\n",
                  table_prefix, table_prefix, table_prefix);
  static constexpr std::array<std::string_view, 7> node_columns = {"id",         "kind",     "lat",   "lon",
                                                                   "population", "capacity", "closed"};
  static constexpr std::array<std::string_view, 4> corridor_columns = {"from", "to", "length_km", "kind"};
  static constexpr std::array<std::string_view, 5> event_columns = {"kind", "node", "day", "duration_days",
                                                                    "intensity"};
  out.nodes_csv = csv_table(node_columns, generated.nodes);
  out.corridors_csv = csv_table(corridor_columns, generated.corridors);
  out.events_csv = csv_table(event_columns, generated.events);
  return out;
}

}  // namespace haven
