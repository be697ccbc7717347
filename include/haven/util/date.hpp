#pragma once
// Calendar dates for scenarios. Simulation time is in days since the scenario's start date.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace haven {

using Date = std::chrono::year_month_day;

// Parses a strict ISO 8601 calendar date (YYYY-MM-DD); nullopt for anything else, including 2019-02-30.
std::optional<Date> parse_iso_date(std::string_view text);
std::string format_iso_date(const Date& date);
// As a planner reads it, and as the report's page writes it: "1 Dec 2019".
std::string format_long_date(const Date& date);

// Whole days from `from` to `to` (negative when `to` is earlier).
long days_between(const Date& from, const Date& to);
Date add_days(const Date& date, long days);

// Now, as ISO 8601 UTC to the second (2026-11-21T08:00:00Z), for provenance.
std::string utc_now_iso();

}  // namespace haven
