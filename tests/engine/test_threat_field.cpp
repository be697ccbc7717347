// The threat field alone: bombardment footprints, ceasefires, front lines and safe days.
#include <doctest/doctest.h>

#include "builder.hpp"
#include "engine/threat_field.hpp"

using namespace haven;
using namespace haven::engine;
using haven::test::ScenarioBuilder;

TEST_CASE("threat field: a bombardment raises threat within its reach only - and safe days count the quiet ones") {
  ScenarioBuilder b;
  const auto target = b.node("target", 0.0, 0.0, 10);
  const auto far = b.node("far", 0.0, 5.0, 10);  // 556 km away: beyond any strike's reach
  b.bombard(target, 4.0, 0, 2);
  DefaultRules rules;
  ThreatField field(b.scenario(), rules);
  CHECK(field.footprint(0).size() == 1);
  CHECK(field.footprint(0)[0].first == target);

  field.update(1);  // nothing in force yet
  CHECK(field.threat_at(at(target)) == 0.0);
  CHECK(field.safe_days(at(target)) == 1);

  field.set_bombardment(0, true);
  field.update(1);
  const double struck = field.threat_at(at(target));
  CHECK(struck > 0.0);
  CHECK(field.safe_days(at(target)) == 0);
  CHECK(field.threat_at(at(far)) == 0.0);
  CHECK(field.safe_days(at(far)) == 2);
}

TEST_CASE("threat field: a full ceasefire over the target suppresses a bombardment - a front line threatens") {
  ScenarioBuilder b;
  const auto target = b.node("target", 0.0, 0.0, 10);
  const auto line = b.node("line", 0.0, 5.0, 10);
  b.bombard(target, 4.0, 0);
  Ceasefire everywhere;
  b.event(everywhere, 0);
  b.parameters().ceasefire_compliance = 1.0;
  DefaultRules rules;
  ThreatField field(b.scenario(), rules);
  field.set_bombardment(0, true);
  field.set_ceasefire(1, true);
  field.update(1);
  CHECK(field.threat_at(at(target)) == 0.0);

  field.set_ceasefire(1, false);
  field.add_front_line(line);
  field.update(1);
  CHECK(field.threat_at(at(target)) > 0.0);
  CHECK(field.threat_at(at(line)) > 0.0);
  field.remove_front_line(line);
  CHECK(field.threat().size() == 2);
}
