#include <doctest/doctest.h>

#include "haven/util/date.hpp"

using namespace haven;

TEST_CASE("parse_iso_date accepts only real calendar dates") {
  auto date = parse_iso_date("2019-12-01");
  REQUIRE(date);
  CHECK(format_iso_date(*date) == "2019-12-01");
  CHECK(parse_iso_date("2020-02-29"));  // leap year
  CHECK_FALSE(parse_iso_date("2019-02-29"));
  CHECK_FALSE(parse_iso_date("2019-13-01"));
  CHECK_FALSE(parse_iso_date("2019-1-01"));
  CHECK_FALSE(parse_iso_date("01/12/2019"));
  CHECK_FALSE(parse_iso_date(""));
}

TEST_CASE("days_between and add_days are inverse and cross month and year ends") {
  const auto start = *parse_iso_date("2019-12-01");
  const auto end = *parse_iso_date("2020-03-31");
  CHECK(days_between(start, end) == 121);
  CHECK(format_iso_date(add_days(start, 121)) == "2020-03-31");
  CHECK(days_between(end, start) == -121);
}

TEST_CASE("dates as a planner reads them are written as the report's page writes them") {
  CHECK(format_long_date(*parse_iso_date("2019-12-01")) == "1 Dec 2019");
  CHECK(format_long_date(*parse_iso_date("2020-03-05")) == "5 Mar 2020");
  // The page's en-GB formatter (ICU) writes September "Sept".
  CHECK(format_long_date(*parse_iso_date("2020-09-15")) == "15 Sept 2020");
}
