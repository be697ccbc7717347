// The series haven serve sends the page: the base run's ghost and a band's quantiles, in numbers that read back as
// the values the server holds.

#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "haven/serve/runs.hpp"

using namespace haven::serve;

TEST_CASE("serve runs: the headline series are sent as the exact numbers the server holds even when large") {
  HeadlineSeries series;
  // Syria 2013's people who left home: a figure of seven digits changed in its last one when sent with six.
  series.left_home = {0.0, 3813502.0, 1234567890123.0};
  series.newly_away = {0.1, 2.5, 1e-7};
  series.unsheltered = {NAN, 7.0, INFINITY};
  const auto json = nlohmann::json::parse(headline_json(series));
  CHECK(json.at("left_home") == nlohmann::json::array({0, 3813502, 1234567890123}));
  for (std::size_t i = 0; i < 3; ++i) CHECK(json.at("newly_away")[i].get<double>() == series.newly_away[i]);
  // Not a number and infinities have no JSON: null, which the page draws as a gap.
  CHECK(json.at("unsheltered")[0].is_null());
  CHECK(json.at("unsheltered")[1] == 7);
  CHECK(json.at("unsheltered")[2].is_null());

  const auto bands = nlohmann::json::parse(bands_json({series, series}));
  CHECK(bands.at("members") == 2);
  CHECK(bands.at("left_home").at("p50")[1].get<double>() == 3813502.0);
}
