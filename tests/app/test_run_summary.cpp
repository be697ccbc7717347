// The table `haven run` prints: its figures stay in one column whatever the places' names.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sstream>
#include <variant>

#include "haven/scenario/load.hpp"
#include "run_summary.hpp"

using namespace haven;

TEST_CASE("the run summary keeps its figures in one column for long names and cuts the longest") {
  auto loaded = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  REQUIRE(loaded.scenario);
  Scenario s = *loaded.scenario;
  s.nodes[0].name = "Atmeh camps (incl. the \"Olive Tree\"\ncamp)";  // a line end in it // 41 characters
  s.nodes[1].name = "Camps north of Azaz (Bab al-Salam, Sijjo, Shamarin, Ikdeh) \u00e9t\u00e9";  // 62
  s.nodes[3].name =
      "\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771"
      "\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771";  // 25 wide: 50 columns
  RunSummary summary;
  summary.top_origins = {{2, 12.0}};
  summary.top_destinations = {{0, 1'418'665.0}, {1, 946'101.0}, {3, 5.0}};
  const std::string table = app::run_summary_table(s, RunConfig{}, summary);
  std::istringstream lines(table.substr(table.find("top origins")));
  std::string line;
  std::size_t end = 0;
  int rows = 0;
  while (std::getline(lines, line)) {
    const std::size_t characters = display_width(line);  // where the figure ends, in a terminal's columns
    if (end == 0) end = characters;
    CHECK_MESSAGE(characters == end, line);
    ++rows;
  }
  CHECK(rows == 6);           // two headings, an origin and three destinations
  CHECK(end == 2 + 44 + 12);  // the widest names' column
  CHECK(table.find("  Atmeh camps (incl. the \"Olive Tree\" camp)   ") != std::string::npos);
  CHECK(table.find("Camps north of Azaz (Bab al-Salam, Sijjo, S\u2026") != std::string::npos);
  // The wide name cut to 21 characters (42 columns) and the ellipsis, then a space to fill the 44.
  CHECK(table.find("\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771\u6771"
                   "\u6771\u6771\u6771\u6771\u6771\u6771\u2026 ") != std::string::npos);
}

TEST_CASE("the run summary says an evacuation that found no open route on some days") {
  auto loaded = load_scenario_file(HAVEN_SOURCE_DIR "/scenarios/examples/valley.yaml");
  REQUIRE(loaded.scenario);
  const Scenario& s = *loaded.scenario;
  std::size_t evacuation = 0;
  while (!std::holds_alternative<Evacuation>(s.events[evacuation].action)) ++evacuation;
  RunSummary summary;
  summary.evacuations = {{evacuation, 0.0, 20'000.0, 10, 10}};
  const std::string table = app::run_summary_table(s, RunConfig{}, summary);
  CHECK(table.find(fmt::format(
            "  evacuation '{}' blocked on 10 of 10 days (no open route): 0 moved, 20,000 more on those days\n",
            s.events[evacuation].id)) != std::string::npos);
  // One that moved everyone on every day is not mentioned.
  summary.evacuations = {{evacuation, 20'000.0, 0.0, 10, 0}};
  CHECK(app::run_summary_table(s, RunConfig{}, summary).find("evacuation '") == std::string::npos);
}
