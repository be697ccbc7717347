// Distances on the Earth, as the engine and the loader measure them.
#include <doctest/doctest.h>

#include "haven/util/geo.hpp"

using haven::great_circle_km;

TEST_CASE("great-circle distance matches a known value") {
  // One degree of latitude is about 111.19 km on a 6371 km sphere.
  CHECK(great_circle_km(35.0, 36.0, 36.0, 36.0) == doctest::Approx(111.195).epsilon(1e-4));
  CHECK(great_circle_km(10.0, 20.0, 10.0, 20.0) == 0.0);
  // Symmetric, and half the circumference between antipodes.
  CHECK(great_circle_km(0.0, 0.0, 0.0, 180.0) == doctest::Approx(6371.0 * 3.14159265358979323846).epsilon(1e-9));
  CHECK(great_circle_km(35.0, 36.0, 34.0, 38.0) == great_circle_km(34.0, 38.0, 35.0, 36.0));
}
