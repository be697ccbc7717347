#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "haven/analysis/compare.hpp"

using namespace haven;

namespace {

RunFile run_of(const std::string& variant, int days, std::int64_t per_day) {
  RunFile run;
  run.scenario_name = "a_province_with_a_rather_long_scenario_name";
  run.variant = variant;
  run.description =
      "a variant description that goes on and on, longer than any terminal line a planner would "
      "read without scrolling sideways";
  run.start_date = "2024-03-01";
  run.node_name = {"Camp"};
  for (int day = 0; day < days; ++day) {
    run.time_days.push_back(day);
    run.cumulative_displaced.push_back(per_day * (day + 1) * 1000);
    run.displaced_present.push_back(per_day * (day + 1) * 1000);
    run.unsheltered.push_back(per_day * day * 100);
  }
  return run;
}

std::size_t widest_line(const std::string& text) {
  std::istringstream lines(text);
  std::size_t widest = 0;
  for (std::string line; std::getline(lines, line);) {
    std::size_t width = 0;
    for (char c : line) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    widest = std::max(widest, width);
  }
  return widest;
}

}  // namespace

TEST_CASE("compare's default points never fall past the end of a run") {
  const std::vector<RunFile> ninety = {run_of("", 90, 1)};
  const auto points = default_compare_points(ninety);
  REQUIRE(points.size() == 3);  // days 30 and 60, and the end (day 89): no day 90
  CHECK(points[0].day == 30);
  CHECK(points[1].day == 60);
  CHECK(points[2].kind == ComparePoint::Kind::end);
  CHECK(default_compare_points({run_of("", 20, 1)}).size() == 1);
}

TEST_CASE("compare's table fits 100 columns with long names and many points") {
  const std::vector<RunFile> files = {run_of("", 120, 1), run_of("an_extraordinarily_long_variant_name", 120, 250),
                                      run_of("short", 120, 9)};
  std::vector<ComparePoint> points;
  std::string error;
  for (const char* text : {"10", "2024-04-01", "45", "60", "90", "peak", "end"}) {
    points.push_back(*parse_compare_point(text, "2024-03-01", error));
  }
  CHECK(points[1].day == 31);
  std::vector<WhatIfOutcome> outcomes;
  for (const auto& file : files) outcomes.push_back(summarise_run(file, points));
  const std::string table = comparison_table(outcomes, points);
  CHECK(widest_line(table) <= 100);
  CHECK(table.find("\u2026") != std::string::npos);  // a shortened name
  // Shortened, the runs still read apart: the variant stays, the long scenario name gives way.
  INFO(table);
  CHECK(table.find("a_province_with_a_r\u2026 [short]") != std::string::npos);
  CHECK(table.find("a_provi\u2026 [an_extraordinaril\u2026") != std::string::npos);
  // Runs of one variant told apart by their files, and an ensemble by its member count: those stay whole.
  std::vector<WhatIfOutcome> seeds;
  for (const char* file : {"ens-full_offensive-1.h5", "ens-full_offensive-2.h5"}) {
    seeds.push_back(summarise_run(run_of("full_offensive", 120, 1), points));
    seeds.back().label = fmt::format("idlib_2019_2020 [full_offensive] ({})", file);
  }
  seeds.push_back(summarise_run(run_of("full_offensive", 120, 1), points));
  seeds.back().label = "idlib_2019_2020 [full_offensive] (mean of 200 members)";
  const std::string apart = comparison_table(seeds, points);
  INFO(apart);
  CHECK(apart.find("\nidlib_2019_20\u2026ffensive-1.h5)") != std::string::npos);
  CHECK(apart.find("\nidlib_2019_20\u2026ffensive-2.h5)") != std::string::npos);
  CHECK(apart.find("\nidlib_2019_20\u2026f 200 members)") != std::string::npos);
  // Where the file fits beside a few letters of each, the variant gives way before it.
  seeds[0].label = "idlib_2019_2020 [full_offensive] (s1.h5)";
  CHECK(comparison_table(seeds, points).find("\nidlib_2\u2026 [full_offe\u2026 (s1.h5)") != std::string::npos);
  // The CSV keeps the full names.
  const std::string csv = comparison_csv(outcomes, points);
  CHECK(csv.find("an_extraordinarily_long_variant_name") != std::string::npos);
  CHECK(csv.find("displaced_on_2024-04-01") != std::string::npos);
}

TEST_CASE("compare --at rejects what is not a day or date or end or peak") {
  std::string error;
  CHECK_FALSE(parse_compare_point("yesterday", "2024-03-01", error));
  CHECK(error.find("'yesterday'") != std::string::npos);
  CHECK_FALSE(parse_compare_point("2024-02-30", "2024-03-01", error));
  CHECK(parse_compare_point("peak", "2024-03-01", error)->kind == ComparePoint::Kind::peak);
}

TEST_CASE("compare gives a peak of daily departures only for a run recorded every day") {
  RunFile daily = run_of("", 10, 1);
  daily.cumulative_displaced = {5, 12, 40, 41, 60, 61, 62, 63, 64, 65};
  const auto outcome = summarise_run(daily, {});
  CHECK(outcome.peak_daily_departures == 28.0);  // day 2: 40 - 12
  CHECK(outcome.peak_day == 2);
  // The same run recorded every 3 days (and on its last): a rise there is several days' departures.
  RunFile thinned = daily;
  thinned.time_days = {0, 3, 6, 9};
  thinned.cumulative_displaced = {5, 41, 62, 65};
  thinned.displaced_present = {1, 2, 3, 4};
  thinned.unsheltered = {0, 0, 0, 0};
  const auto thin = summarise_run(thinned, {ComparePoint{ComparePoint::Kind::peak, 0}});
  CHECK(std::isnan(thin.peak_daily_departures));
  CHECK(thin.peak_day == -1);
  REQUIRE(thin.at_point.size() == 1);
  CHECK_FALSE(thin.at_point[0].has_value());
  const auto table = comparison_table({outcome, thin}, {}, 100);
  CHECK(table.find("peak newly displaced/day needs a run recorded every day") != std::string::npos);
  const auto csv = comparison_csv({thin}, {});
  CHECK(csv.find(",,,0,") != std::string::npos);  // peak_daily_departures and peak_day empty
  CHECK(std::isnan(summarise_members({daily, thinned}, "both", {}).peak_daily_departures));
}

TEST_CASE("compare gives no figure a file does not record and says why under the table") {
  RunFile full = run_of("", 10, 1);
  full.node_name = {"Camp", "Town"};
  full.displaced_present.clear();
  full.unsheltered.clear();
  for (int day = 0; day < 10; ++day) {
    for (std::int64_t v : {std::int64_t{day} * 10, std::int64_t{5}}) {
      full.displaced_present.push_back(v);
      full.unsheltered.push_back(v / 5);
    }
  }
  const auto all = summarise_run(full, {}, 2);
  CHECK(all.not_recorded.empty());
  CHECK(all.unsheltered_peak == 19.0);
  CHECK(all.displaced_present_end == 95.0);
  // Only departures and arrivals recorded (--record variables=departures,arrivals): no zeros for what is missing.
  RunFile few = full;
  few.cumulative_displaced.clear();
  few.displaced_present.clear();
  few.unsheltered.clear();
  const auto missing = summarise_run(few, {}, 2);
  CHECK(std::isnan(missing.peak_daily_departures));
  CHECK(std::isnan(missing.unsheltered_peak));
  CHECK(std::isnan(missing.displaced_present_end));
  CHECK(missing.not_recorded == std::vector<std::string>{"cumulative_displaced", "unsheltered", "displaced_present"});
  // One place of the scenario's two recorded: its sums are not the network's.
  RunFile one_place = full;
  one_place.node_name = {"Camp"};
  one_place.displaced_present.clear();
  one_place.unsheltered.clear();
  for (int day = 0; day < 10; ++day) {
    one_place.displaced_present.push_back(day * 10);
    one_place.unsheltered.push_back(day * 2);
  }
  const auto subset = summarise_run(one_place, {}, 2);
  CHECK(std::isnan(subset.unsheltered_peak));
  CHECK(std::isnan(subset.displaced_present_end));
  CHECK(subset.peak_daily_departures == all.peak_daily_departures);  // the network's series, recorded whole
  CHECK(subset.not_recorded == std::vector<std::string>{"1 of 2 places"});
  CHECK(summarise_run(one_place, {}, 0).not_recorded.empty());  // the scenario's places not known: taken as all
  const auto table = comparison_table({all, missing, subset}, {}, 100);
  CHECK(widest_line(table) <= 100);
  std::string joined = table;  // a note goes on over several lines, each continued after a space
  for (auto at = joined.find("\n "); at != std::string::npos; at = joined.find("\n ")) joined.replace(at, 2, " ");
  CHECK(joined.find("its file does not record cumulative_displaced, unsheltered, displaced_present") !=
        std::string::npos);
  CHECK(joined.find("its file does not record 1 of 2 places") != std::string::npos);
  CHECK(joined.find("needs a run recorded every day") == std::string::npos);  // not the reason here
  const auto csv = comparison_csv({missing}, {});
  CHECK(csv.find(",,,,,9,") != std::string::npos);  // peak, its day, unsheltered peak, present at the end: empty
  CHECK(std::isnan(summarise_members({full, one_place}, "both", {}, 2).unsheltered_peak));
}

TEST_CASE("compare shows who queues at a full road at the end and ranks no destinations over some places") {
  // People waiting at a capped road are in no place's population: without their own column a capped road's
  // what-if reads as fewer people displaced.
  RunFile open = run_of("", 10, 1);
  open.node_name = {"Camp", "Town"};
  open.displaced_present.clear();
  open.waiting.assign(20, 0);
  for (int day = 0; day < 10; ++day) {
    open.displaced_present.push_back(day * 100);
    open.displaced_present.push_back(50);
  }
  open.unsheltered.assign(20, 0);
  RunFile capped = open;
  capped.variant = "capped";
  capped.waiting[18] = 300;  // the last day, at the camp
  capped.waiting[19] = 45;
  const auto base = summarise_run(open, {}, 2);
  const auto queue = summarise_run(capped, {}, 2);
  CHECK(base.waiting_end == 0.0);
  CHECK(queue.waiting_end == 345.0);
  const auto with_queue = comparison_table({base, queue}, {}, 100);
  CHECK(with_queue.find("waiting at a full road at the end") != std::string::npos);
  CHECK(with_queue.find("345 (+345)") != std::string::npos);
  CHECK(comparison_table({base, base}, {}, 100).find("waiting at a full road") == std::string::npos);
  const auto csv = comparison_csv({base, queue}, {});
  CHECK(csv.find(",waiting_end\r\n") != std::string::npos);
  CHECK(csv.find(",345\r\n") != std::string::npos);
  // Waiting not recorded, or only some places: no figure, not a zero.
  RunFile no_waiting = open;
  no_waiting.waiting.clear();
  CHECK(std::isnan(summarise_run(no_waiting, {}, 2).waiting_end));
  CHECK(std::isnan(summarise_run(capped, {}, 3).waiting_end));
  // Over some of the places, the recorded ones' ranking is not the network's: no top destinations.
  const auto some = summarise_run(capped, {}, 3);
  CHECK(some.top_destinations.empty());
  CHECK(comparison_table({some}, {}, 100).find("Camp 900") == std::string::npos);
  CHECK(!summarise_run(capped, {}, 2).top_destinations.empty());
  CHECK(summarise_members({capped, capped}, "both", {}, 3).top_destinations.empty());  // an ensemble's too
  CHECK_FALSE(summarise_members({capped, capped}, "both", {}, 2).top_destinations.empty());
}

TEST_CASE("compare reads a date in each run on that date - whatever day it is there") {
  RunFile early = run_of("", 60, 1);
  RunFile late = run_of("late", 60, 1);
  late.start_date = "2024-03-05";
  std::string error;
  const auto on = parse_compare_point("2024-03-20", early.start_date, error);
  REQUIRE(on);
  CHECK(on->kind == ComparePoint::Kind::date);
  CHECK(on->day_in_run(early.start_date) == 19);
  CHECK(on->day_in_run(late.start_date) == 15);
  CHECK(on->day_in_run("2024-03-21") == std::nullopt);  // before that run's start
  const auto before = parse_compare_point("2024-03-03", early.start_date, error);
  REQUIRE(before);
  const std::vector<ComparePoint> points = {*on, *before};
  const auto a = summarise_run(early, points);
  const auto b = summarise_run(late, points);
  CHECK(a.at_point[0] == 20'000.0);  // day 19
  CHECK(b.at_point[0] == 16'000.0);  // day 15
  CHECK(b.point_day[0] == 15);
  CHECK(a.at_point[1] == 3'000.0);
  CHECK_FALSE(b.at_point[1].has_value());  // before the late run starts: '-'
  const std::string table = comparison_table({a, b}, points);
  INFO(table);
  CHECK(table.find("by 2024-03-20") != std::string::npos);
  CHECK(table.find("2024-03-20: day 15") != std::string::npos);
  CHECK(comparison_csv({a, b}, points).find("displaced_on_2024-03-20,displaced_on_2024-03-20_day") !=
        std::string::npos);
}
