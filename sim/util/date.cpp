#include "haven/util/date.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <array>

namespace haven {

std::string utc_now_iso() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::optional<Date> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t from, std::size_t count) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  if (!year || !month || !day) return std::nullopt;
  const Date date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                  std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string format_iso_date(const Date& date) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()));
}

std::string format_long_date(const Date& date) {
  // "Sept", as the page's en-GB formatter (ICU's CLDR data) writes it.
  static constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar",  "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"};
  return fmt::format("{} {} {}", static_cast<unsigned>(date.day()), months[static_cast<unsigned>(date.month()) - 1],
                     static_cast<int>(date.year()));
}

long days_between(const Date& from, const Date& to) {
  return static_cast<long>((std::chrono::sys_days{to} - std::chrono::sys_days{from}).count());
}

Date add_days(const Date& date, long days) {
  return Date{std::chrono::sys_days{date} + std::chrono::days{days}};
}

}  // namespace haven
