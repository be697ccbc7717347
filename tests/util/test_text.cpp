#include <doctest/doctest.h>

#include <array>

#include "haven/util/text.hpp"

using namespace haven;

TEST_CASE("edit_distance counts insertions and deletions and substitutions and transpositions") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("population", "popluation") == 1);  // one transposition
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("lat", "lon") == 2);
}

TEST_CASE("closest_match suggests only plausible typos") {
  constexpr std::array<std::string_view, 4> keys = {"population", "capacity", "kind", "lat"};
  CHECK(closest_match("popluation", keys) == std::optional<std::string>("population"));
  CHECK(closest_match("capacty", keys) == std::optional<std::string>("capacity"));
  CHECK_FALSE(closest_match("elevation", keys).has_value());
  CHECK(did_you_mean("knd", keys) == "; did you mean 'kind'?");
  CHECK(did_you_mean("zzzzzz", keys).empty());
}

TEST_CASE("quoted_list joins with commas and 'or'") {
  constexpr std::array<std::string_view, 3> items = {"a", "b", "c"};
  CHECK(quoted_list(items) == "'a', 'b' or 'c'");
  CHECK(quoted_list(std::span(items).first(1)) == "'a'");
}
