// Flee's ARD (extract-validation-results.py) on hand-computed numbers.

#include <doctest/doctest.h>

#include <stdexcept>

#include "haven/analysis/flee_metric.hpp"

using haven::flee_ard;

namespace {
// Four days, two camps. Day 0 has no one anywhere; day 3's observed total (0.5) is below 1.
const std::vector<std::vector<double>> simulated = {{0, 0}, {30, 10}, {5, 5}, {2, 0}};
const std::vector<std::vector<double>> observed = {{0, 0}, {20, 20}, {30, 10}, {0.5, 0}};
}  // namespace

TEST_CASE("Flee's ARD and rescaled ARD on known numbers dividing by at least 1") {
  // Daily |sim - obs| / max(total, 1): 0/1, 20/40, 30/40, 1.5/1 -> mean 2.75 / 4.
  // Rescaled to the observed total: day 2 becomes {20, 20} -> 20/40; day 3 {0.5, 0} -> 0; day 0 stays 0.
  const auto ard = flee_ard(simulated, observed);
  CHECK(ard.ard == doctest::Approx(0.6875).epsilon(1e-12));
  CHECK(ard.rescaled_ard == doctest::Approx(0.25).epsilon(1e-12));
}

TEST_CASE("Flee's ARD uses the camp totals it is given as Flee's out.csv column") {
  // Flee writes 0 as the UNHCR camp total on days its raw total is 0: every day then divides by 1 and the
  // rescaled camps are all 0.
  const auto ard = flee_ard(simulated, observed, std::vector<double>{0, 0, 0, 0});
  CHECK(ard.ard == doctest::Approx((0 + 20 + 30 + 1.5) / 4).epsilon(1e-12));
  CHECK(ard.rescaled_ard == doctest::Approx((0 + 40 + 40 + 0.5) / 4).epsilon(1e-12));
}

TEST_CASE("Flee's ARD refuses series of different shapes") {
  CHECK_THROWS_AS(flee_ard({{1, 2}}, {{1, 2}, {3, 4}}), std::invalid_argument);
  CHECK_THROWS_AS(flee_ard({{1, 2}}, {{1}}), std::invalid_argument);
  CHECK_THROWS_AS(flee_ard({}, {}), std::invalid_argument);
}
