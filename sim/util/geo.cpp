#include "haven/util/geo.hpp"

#include <algorithm>
#include <cmath>

namespace haven {

double great_circle_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  constexpr double radians = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2_deg - lat1_deg) * radians;
  const double dlon = (lon2_deg - lon1_deg) * radians;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(lat1_deg * radians) *
                                                                 std::cos(lat2_deg * radians) * std::sin(dlon / 2) *
                                                                 std::sin(dlon / 2);
  return 2.0 * 6371.0 * std::asin(std::min(1.0, std::sqrt(a)));
}

}  // namespace haven
