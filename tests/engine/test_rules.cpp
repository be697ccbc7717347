// Each rule alone, against values computed by hand from docs/model.md.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "haven/engine/rules.hpp"

using namespace haven;

TEST_CASE("strike kernel is full inside the radius and exponential beyond it") {
  DefaultRules rules;
  ModelParameters p;
  p.threat_kernel_km = 10.0;
  CHECK(rules.strike_kernel(0.0, 5.0, p) == 1.0);
  CHECK(rules.strike_kernel(5.0, 5.0, p) == 1.0);
  CHECK(rules.strike_kernel(15.0, 5.0, p) == doctest::Approx(std::exp(-1.0)));
  CHECK(rules.strike_kernel(25.0, 0.0, p) == doctest::Approx(std::exp(-2.5)));
}

TEST_CASE("with no onset threat is felt at once and fades with the memory time constant") {
  DefaultRules rules;
  ModelParameters p;
  p.threat_onset_days = 0.0;
  p.threat_memory_days = 5.0;
  CHECK(rules.updated_threat(0.0, 6.0, p) == 6.0);
  CHECK(rules.updated_threat(10.0, 0.0, p) == doctest::Approx(10.0 * std::exp(-0.2)));
  CHECK(rules.updated_threat(10.0, 9.5, p) == 9.5);  // today's strikes dominate the faded memory (8.19)
}

TEST_CASE("threat builds up toward a higher exposure with the onset time constant") {
  DefaultRules rules;
  ModelParameters p;
  p.threat_onset_days = 4.0;
  p.threat_memory_days = 5.0;
  const double step = 1.0 - std::exp(-0.25);
  CHECK(rules.updated_threat(0.0, 40.0, p) == doctest::Approx(40.0 * step));
  CHECK(rules.updated_threat(10.0, 40.0, p) == doctest::Approx(10.0 + 30.0 * step));
  // Lasting exposure: the gap closes geometrically, so after n days it is (1 - step)^n of the first.
  double threat = 0.0;
  for (int day = 0; day < 12; ++day) threat = rules.updated_threat(threat, 40.0, p);
  CHECK(threat == doctest::Approx(40.0 * (1.0 - std::pow(std::exp(-0.25), 12))));
  // Falling exposure is governed by the memory, not the onset.
  CHECK(rules.updated_threat(30.0, 0.0, p) == doctest::Approx(30.0 * std::exp(-0.2)));
  CHECK(rules.updated_threat(30.0, 29.0, p) == 29.0);
}

TEST_CASE("a burst of strikes is felt less than the same strikes kept up") {
  DefaultRules rules;
  ModelParameters p;
  p.threat_onset_days = 8.0;
  p.threat_memory_days = 0.25;
  p.threat_half_saturation = 60.0;
  p.max_departure_rate_per_day = 0.18;
  ModelParameters at_once = p;
  at_once.threat_onset_days = 0.0;
  double burst = 0.0, lasting = 0.0, burst_at_once = 0.0;
  double burst_hazard_days = 0.0, lasting_hazard_days = 0.0, at_once_hazard_days = 0.0;
  for (int day = 0; day < 20; ++day) {
    const double exposure = day < 3 ? 40.0 : 0.0;
    burst = rules.updated_threat(burst, exposure, p);
    burst_at_once = rules.updated_threat(burst_at_once, exposure, at_once);
    lasting = rules.updated_threat(lasting, 40.0, p);
    burst_hazard_days += DefaultRules::threat_hazard_per_day(burst, p);
    at_once_hazard_days += DefaultRules::threat_hazard_per_day(burst_at_once, at_once);
    lasting_hazard_days += DefaultRules::threat_hazard_per_day(lasting, p);
  }
  CHECK(lasting == doctest::Approx(40.0 * (1.0 - std::exp(-20.0 / 8.0))).epsilon(1e-12));
  // Over 20 days, three days of strikes move under half of what they move when felt at once, and far less than
  // twenty days of the same strikes.
  CHECK(burst_hazard_days < 0.5 * at_once_hazard_days);
  CHECK(burst_hazard_days < 0.1 * lasting_hazard_days);
}

TEST_CASE("leave probability is a saturating hazard scaled by the group factor") {
  DefaultRules rules;
  ModelParameters p;
  p.max_departure_rate_per_day = 0.3;
  p.threat_half_saturation = 4.0;
  CHECK(rules.leave_probability(0.0, 1.0, p) == 0.0);
  // threat 4 = half saturation: hazard 0.15/day.
  CHECK(rules.leave_probability(4.0, 1.0, p) == doctest::Approx(1.0 - std::exp(-0.15)));
  CHECK(rules.leave_probability(4.0, 2.0, p) == doctest::Approx(1.0 - std::exp(-0.30)));
  CHECK(rules.leave_probability(1e9, 1.0, p) == doctest::Approx(1.0 - std::exp(-0.3)));
}

TEST_CASE("onward probability is lower than residents' and lowest in camps and zero abroad") {
  DefaultRules rules;
  ModelParameters p;
  p.max_departure_rate_per_day = 0.3;
  p.threat_half_saturation = 4.0;
  p.onward_threat_factor = 0.5;
  p.onward_base_rate_per_day = 0.01;
  p.camp_stay_factor = 0.2;
  const double town = rules.onward_probability(4.0, 1.0, NodeKind::town, p);
  CHECK(town == doctest::Approx(1.0 - std::exp(-(0.5 * 0.15 + 0.01))));
  CHECK(rules.onward_probability(4.0, 1.0, NodeKind::camp, p) ==
        doctest::Approx(1.0 - std::exp(-0.2 * (0.5 * 0.15 + 0.01))));
  CHECK(rules.onward_probability(0.0, 1.0, NodeKind::town, p) == doctest::Approx(1.0 - std::exp(-0.01)));
  CHECK(rules.onward_probability(4.0, 1.0, NodeKind::external, p) == 0.0);
  CHECK(town < rules.leave_probability(4.0, 1.0, p));
}

TEST_CASE(
    "destination appeal multiplies kind and safety and crowding while the route factor covers distance and side") {
  DefaultRules rules;
  ModelParameters p;
  p.attractiveness_camp = 2.0;
  p.safety_scale = 1.0;
  p.crowding_softness = 0.1;
  p.distance_scale_km = 25.0;
  p.distance_power = 1.5;
  p.cross_line_attractiveness = 0.05;
  DestinationState camp;
  camp.kind = NodeKind::camp;
  camp.threat_strikes_per_day = 0.5;
  camp.occupancy_people = 500.0;
  camp.capacity_people = 1000.0;
  const double crowding = 1.0 / (1.0 + std::exp((0.5 - 1.0) / 0.1));
  CHECK(rules.destination_appeal(camp, p) == doctest::Approx(2.0 * std::exp(-0.5) * crowding));
  camp.occupancy_people = 1000.0;  // at capacity: crowding is exactly 1/2
  CHECK(rules.destination_appeal(camp, p) == doctest::Approx(2.0 * std::exp(-0.5) * 0.5));
  camp.capacity_people = std::numeric_limits<double>::infinity();  // unlimited: no crowding
  CHECK(rules.destination_appeal(camp, p) == doctest::Approx(2.0 * std::exp(-0.5)));
  // (1 + 25/25)^-1.5 = 2^-1.5
  CHECK(rules.route_factor(25.0, false, p) == doctest::Approx(0.353553390593));
  CHECK(rules.route_factor(25.0, true, p) == doctest::Approx(0.05 * 0.353553390593));
}

TEST_CASE("the route factor is a power law: twice as far costs the same factor at any scale") {
  DefaultRules rules;
  ModelParameters p;
  p.distance_scale_km = 10.0;
  p.distance_power = 1.0;
  CHECK(rules.route_factor(0.0, false, p) == 1.0);
  CHECK(rules.route_factor(90.0, false, p) == doctest::Approx(0.1));  // 1 / (1 + 9)
  CHECK(rules.route_factor(990.0, false, p) == doctest::Approx(0.01));
  // Far from the softening, doubling the distance halves the weight on a province's roads and on a country's.
  const double province = rules.route_factor(80.0, false, p) / rules.route_factor(40.0, false, p);
  const double country = rules.route_factor(8000.0, false, p) / rules.route_factor(4000.0, false, p);
  CHECK(province == doctest::Approx(5.0 / 9.0));  // (1 + 4) / (1 + 8)
  CHECK(country == doctest::Approx(401.0 / 801.0));
  p.distance_power = 2.0;
  CHECK(rules.route_factor(90.0, false, p) == doctest::Approx(0.01));
}

TEST_CASE("the willing fraction is a log-logistic distribution of thresholds") {
  DefaultRules rules;
  ModelParameters p;
  p.leave_threshold_median = 20.0;
  p.leave_threshold_shape = 2.0;
  CHECK(rules.willing_fraction(0.0, p) == 0.0);
  CHECK(rules.willing_fraction(-1.0, p) == 0.0);
  CHECK(rules.willing_fraction(20.0, p) == doctest::Approx(0.5));
  CHECK(rules.willing_fraction(10.0, p) == doctest::Approx(0.2));  // 1 / (1 + 2^2)
  CHECK(rules.willing_fraction(60.0, p) == doctest::Approx(0.9));  // 1 / (1 + (1/3)^2)
  p.leave_threshold_shape = 50.0;  // nearly alike: a step at the median, without overflow
  CHECK(rules.willing_fraction(10.0, p) < 1e-12);
  CHECK(rules.willing_fraction(40.0, p) == doctest::Approx(1.0));
  CHECK(rules.willing_fraction(1e-300, p) == 0.0);
}

TEST_CASE("a refuge is a destination that is safe and has room") {
  DefaultRules rules;
  ModelParameters p;
  p.safety_scale = 1.0;
  p.crowding_softness = 0.1;
  DestinationState town;
  town.kind = NodeKind::town;
  town.capacity_people = std::numeric_limits<double>::infinity();
  CHECK(rules.is_refuge(town, p));
  town.threat_strikes_per_day = 0.69;  // exp(-0.69) = 0.5016
  CHECK(rules.is_refuge(town, p));
  town.threat_strikes_per_day = 0.70;  // exp(-0.70) = 0.4966
  CHECK_FALSE(rules.is_refuge(town, p));
  town.threat_strikes_per_day = 0.0;
  town.capacity_people = 1000.0;
  town.occupancy_people = 1000.0;  // crowding exactly 1/2 at capacity
  CHECK(rules.is_refuge(town, p));
  town.occupancy_people = 1010.0;
  CHECK_FALSE(rules.is_refuge(town, p));
  town.occupancy_people = 0.0;
  p.attractiveness_town = 0.0;  // a kind nobody chooses is no refuge
  CHECK_FALSE(rules.is_refuge(town, p));
}

TEST_CASE("returns start only after the origin has been safe for return_delay_days") {
  DefaultRules rules;
  ModelParameters p;
  p.return_delay_days = 10.0;
  p.return_rate_per_day = 0.05;
  p.return_threat_threshold = 0.2;
  CHECK(rules.return_probability(9, p) == 0.0);
  CHECK(rules.return_probability(10, p) == doctest::Approx(1.0 - std::exp(-0.05)));
  CHECK(rules.is_safe(0.19, p));
  CHECK_FALSE(rules.is_safe(0.2, p));
}

TEST_CASE("kind attractiveness reads the matching parameter") {
  ModelParameters p;
  p.attractiveness_transit = 0.123;
  p.attractiveness_external = 4.5;
  CHECK(DefaultRules::kind_attractiveness(NodeKind::transit, p) == 0.123);
  CHECK(DefaultRules::kind_attractiveness(NodeKind::external, p) == 4.5);
  CHECK(DefaultRules::kind_attractiveness(NodeKind::town, p) == p.attractiveness_town);
}
