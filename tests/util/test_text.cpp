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

TEST_CASE("closest_match suggests the one name a shortening leaves letters out of") {
  constexpr std::array<std::string_view, 5> nodes = {"northcamp", "southcamp", "sarmada_camps", "atmeh", "idlib"};
  CHECK(closest_match("nocamp", nodes) == std::optional<std::string>("northcamp"));
  CHECK(closest_match("sarmada", nodes) == std::optional<std::string>("sarmada_camps"));
  CHECK_FALSE(closest_match("othcmp", std::span(nodes).first(1)).has_value());  // not from the first letter
  CHECK_FALSE(closest_match("ncmp", nodes).has_value());  // under half of northcamp's nine letters
  CHECK_FALSE(closest_match("idl", nodes).has_value());   // too short to say
  constexpr std::array<std::string_view, 2> twins = {"northcamp", "northcamps"};
  CHECK_FALSE(closest_match("nocamp", twins).has_value());  // two names it shortens: the aim is unclear
  constexpr std::array<std::string_view, 2> long_twin = {"maarrat_misrin", "maarrat_misrin_camps"};
  CHECK_FALSE(closest_match("maarrat", long_twin).has_value());  // the second, past twice the word, counts too
  CHECK(closest_match("maarrat", std::span(long_twin).first(1)) == std::optional<std::string>("maarrat_misrin"));
}

TEST_CASE("quoted_list joins with commas and 'or'") {
  constexpr std::array<std::string_view, 3> items = {"a", "b", "c"};
  CHECK(quoted_list(items) == "'a', 'b' or 'c'");
  CHECK(quoted_list(std::span(items).first(1)) == "'a'");
}

TEST_CASE("parse_seed reads every 64-bit seed in decimal or hex and nothing else") {
  CHECK(parse_seed("0") == std::optional<std::uint64_t>(0));
  CHECK(parse_seed("18446744073709551615") == std::optional<std::uint64_t>(UINT64_MAX));
  CHECK(parse_seed("9007199254740993") == std::optional<std::uint64_t>(9007199254740993ULL));  // 2^53 + 1
  CHECK(parse_seed("0xffffffffffffffff") == std::optional<std::uint64_t>(UINT64_MAX));
  CHECK(parse_seed("0X2a") == std::optional<std::uint64_t>(42));
  CHECK(parse_seed("1_000") == std::optional<std::uint64_t>(1000));
  CHECK(parse_seed(seed_hex(12345678901234567890ULL)) == std::optional<std::uint64_t>(12345678901234567890ULL));
  CHECK(seed_hex(42) == "0x000000000000002a");
  for (const char* bad :
       {"", "18446744073709551616", "-1", "+1", "1.5", "1e3", "0x", "0x1g", "_1", "1_", "1__0", " 1"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_seed(bad));
  }
}

TEST_CASE("one_line reads line breaks as spaces and drops the spaces at the end") {
  CHECK(haven::one_line("a folded text\nover lines\r\n") == "a folded text over lines");
  CHECK(haven::one_line("plain") == "plain");
  CHECK(haven::one_line("tab\there\x7f\x1b[31m") == "tab here  [31m");  // no control character reaches a terminal
  CHECK(haven::one_line("\n\n").empty());
  CHECK(haven::one_line("a\xC2\x85"
                        "b\xE2\x80\xA8"
                        "c\xE2\x80\xA9"
                        "d \xC3\xA9") == "a b c d \xC3\xA9");  // é kept
}

TEST_CASE("indefinite_article is 'an' before a vowel letter") {
  CHECK(indefinite_article("evacuation") == "an");
  CHECK(indefinite_article("border_opening") == "a");
  CHECK(indefinite_article("Idlib") == "an");
  CHECK(indefinite_article("") == "a");
}

TEST_CASE("display_width counts a terminal's columns and fit_width cuts to them") {
  CHECK(display_width("Idlib") == 5);
  CHECK(display_width("M\u00e9naka") == 6);            // a precomposed letter: one column
  CHECK(display_width("Cafe\u0301") == 4);             // a combining accent: none
  CHECK(display_width("\u6771\u4eac") == 4);           // two wide characters
  CHECK(display_width("\xF0\x9F\x8F\xA0 camp") == 7);  // an emoji (U+1F3E0): two
  CHECK(fit_width("Idlib", 5) == "Idlib");
  CHECK(fit_width("Idlib city", 5) == "Idli\u2026");
  CHECK(fit_width("\u6771\u4eac\u90fd", 5) == "\u6771\u4eac\u2026");  // 4 columns and the ellipsis
  CHECK(fit_width("\u6771\u4eac\u90fd", 4) == "\u6771\u2026");        // a wide character never half-shown
  CHECK(display_width(fit_width("Cafe\u0301 de la gare", 6)) <= 6);
}

TEST_CASE("distinct_file_names gives each file its name or the path as given where names repeat") {
  CHECK(haven::distinct_file_names({"out/a.h5", "out/b.h5"}) == std::vector<std::string>{"a.h5", "b.h5"});
  CHECK(haven::distinct_file_names({"sweep_a/ensemble.h5", "sweep_b/ensemble.h5", "run.h5"}) ==
        std::vector<std::string>{"sweep_a/ensemble.h5", "sweep_b/ensemble.h5", "run.h5"});
}

TEST_CASE("first_names lists the first few names and counts the rest") {
  const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
  CHECK(first_names(names, 3) == "a, b, c and 2 more");
  CHECK(first_names(names, 5) == "a, b, c, d, e");
  CHECK(first_names(std::vector<std::string>{"only"}, 3) == "only");
  CHECK(first_names(std::vector<std::string>{}, 3).empty());
}
