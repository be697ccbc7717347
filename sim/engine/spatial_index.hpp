#pragma once
// Internal: a uniform latitude/longitude grid over the nodes, to find those near a strike without scanning all.

#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "haven/engine/network.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

class SpatialIndex {
 public:
  explicit SpatialIndex(const std::vector<Node>& nodes, double cell_deg = 0.1) : nodes_(nodes), cell_deg_(cell_deg) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      cells_[key(cell(nodes[i].lat_deg), cell(nodes[i].lon_deg))].push_back(static_cast<NodeIndex>(i));
    }
  }

  // Nodes within `radius_km` (great circle) of the point, in index order.
  [[nodiscard]] std::vector<NodeIndex> within(double lat_deg, double lon_deg, double radius_km) const {
    constexpr double km_per_deg = 111.19;
    const double dlat = radius_km / km_per_deg;
    const double cos_lat =
        std::max(std::cos(std::min(89.0, std::abs(lat_deg) + dlat) * 3.14159265358979323846 / 180.0), 1e-6);
    const double dlon = std::min(180.0, radius_km / (km_per_deg * cos_lat));
    std::vector<NodeIndex> found;
    for (auto a = cell(lat_deg - dlat); a <= cell(lat_deg + dlat); ++a) {
      for (auto b = cell(lon_deg - dlon); b <= cell(lon_deg + dlon); ++b) {
        auto it = cells_.find(key(a, b));
        if (it == cells_.end()) continue;
        for (NodeIndex i : it->second) {
          const auto& n = nodes_[static_cast<std::size_t>(i)];
          if (great_circle_km(lat_deg, lon_deg, n.lat_deg, n.lon_deg) <= radius_km) found.push_back(i);
        }
      }
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());  // longitudes wrap at +-180
    return found;
  }

 private:
  [[nodiscard]] std::int64_t cell(double deg) const { return static_cast<std::int64_t>(std::floor(deg / cell_deg_)); }
  static std::int64_t key(std::int64_t a, std::int64_t b) { return a * 100003 + b; }

  const std::vector<Node>& nodes_;
  double cell_deg_;
  std::unordered_map<std::int64_t, std::vector<NodeIndex>> cells_;
};

}  // namespace haven
