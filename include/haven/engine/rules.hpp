#pragma once
// The behavioural rules of the model, as pure functions of state and parameters (docs/model.md gives the
// equations). The engine calls them through this interface, so a second rule set — for example one that
// reproduces another simulator's published rules — can be added without touching the core.

#include <memory>

#include "haven/scenario/parameters.hpp"
#include "haven/scenario/scenario.hpp"

namespace haven {

// What anyone weighing a destination sees of it today, wherever they stand.
struct DestinationState {
  NodeKind kind = NodeKind::town;
  double threat_strikes_per_day = 0.0;
  double occupancy_people = 0.0;
  double capacity_people = 0.0;  // infinity = unlimited
};

class RuleSet {
 public:
  virtual ~RuleSet() = default;

  // Weight of a strike at `distance_km` from its aim point: 1 within `radius_km`, decaying beyond it.
  [[nodiscard]] virtual double strike_kernel(double distance_km, double radius_km, const ModelParameters& p) const = 0;
  // Today's threat from yesterday's and today's exposure (strikes/day): it builds up under lasting strikes and fades
  // when they stop.
  [[nodiscard]] virtual double updated_threat(double previous_threat, double exposure_strikes_per_day,
                                              const ModelParameters& p) const = 0;
  // Probability that a resident who is willing to leave at today's threat leaves home today.
  [[nodiscard]] virtual double leave_probability(double threat, double group_departure_factor,
                                                 const ModelParameters& p) const = 0;
  // Share of a node's people (at home or away) whose threshold for leaving is at or below `threat`: people differ
  // in when, and whether, they leave, so flight stops at this share however long the threat lasts.
  [[nodiscard]] virtual double willing_fraction(double threat, const ModelParameters& p) const = 0;
  // Probability that a displaced person hosted at a node of `host_kind` moves on today.
  [[nodiscard]] virtual double onward_probability(double threat, double group_departure_factor, NodeKind host_kind,
                                                  const ModelParameters& p) const = 0;
  // A destination's weight is appeal x route factor (>= 0; 0 = never chosen), split so that the appeal is
  // computed once per node and day and the route factor once per route.
  [[nodiscard]] virtual double destination_appeal(const DestinationState& destination,
                                                  const ModelParameters& p) const = 0;
  [[nodiscard]] virtual double route_factor(double road_distance_km, bool held_by_other_side,
                                            const ModelParameters& p) const = 0;
  // Whether a destination is a refuge (safe, with room): people's reach grows until it holds one.
  [[nodiscard]] virtual bool is_refuge(const DestinationState& destination, const ModelParameters& p) const = 0;
  // Probability that a displaced person starts home today, given how many days their origin has been safe.
  [[nodiscard]] virtual double return_probability(int safe_days_at_origin, const ModelParameters& p) const = 0;
  // Whether a threat level counts as safe for returns.
  [[nodiscard]] virtual bool is_safe(double threat, const ModelParameters& p) const = 0;
};

// Haven's own rules (docs/model.md).
class DefaultRules final : public RuleSet {
 public:
  [[nodiscard]] double strike_kernel(double distance_km, double radius_km, const ModelParameters& p) const override;
  [[nodiscard]] double updated_threat(double previous_threat, double exposure_strikes_per_day,
                                      const ModelParameters& p) const override;
  [[nodiscard]] double leave_probability(double threat, double group_departure_factor,
                                         const ModelParameters& p) const override;
  [[nodiscard]] double willing_fraction(double threat, const ModelParameters& p) const override;
  [[nodiscard]] double onward_probability(double threat, double group_departure_factor, NodeKind host_kind,
                                          const ModelParameters& p) const override;
  [[nodiscard]] double destination_appeal(const DestinationState& destination, const ModelParameters& p) const override;
  [[nodiscard]] double route_factor(double road_distance_km, bool held_by_other_side,
                                    const ModelParameters& p) const override;
  [[nodiscard]] bool is_refuge(const DestinationState& destination, const ModelParameters& p) const override;
  [[nodiscard]] double return_probability(int safe_days_at_origin, const ModelParameters& p) const override;
  [[nodiscard]] bool is_safe(double threat, const ModelParameters& p) const override;

  // The threat-driven hazard (per day) shared by residents and displaced people.
  [[nodiscard]] static double threat_hazard_per_day(double threat, const ModelParameters& p);
  // Safety x crowding of a destination (its appeal without the kind's weight), in [0, 1].
  [[nodiscard]] static double safety_and_room(const DestinationState& destination, const ModelParameters& p);
  // Weight of a node kind.
  [[nodiscard]] static double kind_attractiveness(NodeKind kind, const ModelParameters& p);
};

// A destination is a refuge when its safety x crowding is at least this: threat below safety_scale x ln 2 and
// occupancy not past capacity (crowding 1/2 at capacity).
inline constexpr double refuge_min_safety_and_room = 0.5;

}  // namespace haven
