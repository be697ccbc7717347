#pragma once
// Distances on the Earth's surface, for the engine (corridor lengths, strike footprints) and the loader's checks.

namespace haven {

// Great-circle distance (haversine, mean Earth radius 6371 km).
double great_circle_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

}  // namespace haven
