// The synthetic scenario generator: every setting it accepts gives a scenario the loader accepts, and settings
// outside its bounds are refused with a message per problem (not garbage node ids, NaN people or bad_alloc).

#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "haven/scenario/generate.hpp"
#include "haven/scenario/load.hpp"

using namespace haven;

TEST_CASE("every generator setting at the edges of its bounds gives a scenario that passes check") {
  int generated = 0;
  for (std::int64_t nodes : {4, 5, 7, 101, 250}) {
    for (std::int64_t corridors : {2, 3, 6, 40, 2500}) {
      for (double people : {0.0, 1.0, 1e12}) {
        for (std::int64_t events : {0, 7}) {
          for (int days : {1, 2}) {
            GeneratorSettings settings;
            settings.nodes = nodes;
            settings.corridors = corridors;
            settings.people = people;
            settings.bombardments = events;
            settings.days = days;
            settings.seed = ~0ULL;  // every 64-bit seed round-trips
            if (!generator_problems(settings).empty()) continue;
            ++generated;
            const auto loaded = load_scenario_text(generate_scenario_yaml(settings), "generated");
            INFO("nodes ", nodes, " corridors ", corridors, " people ", people, " events ", events, " days ", days);
            CHECK(loaded.scenario.has_value());
            if (loaded.scenario) {
              CHECK(loaded.scenario->nodes.size() == static_cast<std::size_t>(nodes));
              // --people is the people in all (the towns and cities hold them; nobody is displaced at the start).
              double total = 0.0;
              for (const auto& node : loaded.scenario->nodes) {
                for (const auto p : node.residents_by_group) total += static_cast<double>(p);
              }
              CHECK(total == doctest::Approx(people).epsilon(1e-9));
              // The roads asked for, and the border crossing.
              CHECK(loaded.scenario->corridors.size() <= static_cast<std::size_t>(corridors) + 1);
            }
          }
        }
      }
    }
  }
  CHECK(generated >= 150);
}

TEST_CASE("generator settings outside their bounds are each refused") {
  GeneratorSettings settings;
  CHECK(generator_problems(settings).empty());
  settings.nodes = 3;
  settings.corridors = 1'000'000'000;
  settings.people = std::nan("");
  settings.bombardments = -1;
  settings.days = 0;
  settings.name = "two words";
  const auto problems = generator_problems(settings);
  REQUIRE(problems.size() == 6);
  CHECK(problems[0].rfind("--nodes 3: expected 4 to", 0) == 0);
  CHECK(problems[1].rfind("--corridors 1000000000: expected 2 to", 0) == 0);
  CHECK(problems[2] == "--people nan: expected 0 to 1e+12");
  CHECK(problems[3].rfind("--events -1:", 0) == 0);
  CHECK(problems[4].rfind("--days 0:", 0) == 0);
  CHECK(problems[5].rfind("--name 'two words':", 0) == 0);
  settings = {};
  settings.people = INFINITY;
  CHECK(generator_problems(settings).size() == 1);
}

TEST_CASE("the default number of roads is 3 a node within what the nodes hold") {
  CHECK(default_corridors(1000) == 3000);  // the benchmarks' networks, as before
  for (const std::int64_t nodes : {4, 5, 10, 100, 1'000'000}) {
    CAPTURE(nodes);
    GeneratorSettings settings;
    settings.nodes = nodes;
    settings.corridors = default_corridors(nodes);
    CHECK(generator_problems(settings).empty());
    CHECK(settings.corridors <= 3 * nodes);
  }
}
