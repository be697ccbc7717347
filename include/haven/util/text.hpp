#pragma once
// Small text helpers used to make error messages helpful.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haven {

// The whole file as bytes; throws std::runtime_error naming the file when it cannot be read, or, without naming it
// (the caller's message does), when it holds more than `max_bytes`: read in blocks up to the cap, since a device
// or a pipe (/dev/zero) has no size to check beforehand.
std::string read_whole_file(const std::filesystem::path& path,
                            std::uintmax_t max_bytes = std::numeric_limits<std::uintmax_t>::max());
// Reads `in` to its end into `text`, in blocks; false as soon as it holds more than `max_bytes` (a device or a pipe
// has no size to check beforehand).
bool read_up_to(std::istream& in, std::uintmax_t max_bytes, std::string& text);

// Optimal-string-alignment edit distance (Levenshtein plus adjacent transpositions), case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo
// (distance at most max(1, length/3)); ties go to the first candidate. Failing that, the one candidate `word`
// shortens (its letters in order, from the candidate's first, a word of 4 letters or more and at least half the
// candidate's length: `nocamp` for `northcamp`).
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates);

// "; did you mean 'x'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

// The offset of the first byte of `text` that does not belong to a valid UTF-8 sequence (overlong forms and
// surrogates refused too: they are how text in another encoding shows up), or npos.
std::size_t first_invalid_utf8(std::string_view text);
// Line and column (1-based, the column in characters) of byte `offset` of `text`.
std::pair<std::size_t, std::size_t> position_of(std::string_view text, std::size_t offset);

// A count of people rounded to whole people with thousands separators: 1234567.4 -> "1,234,567".
std::string grouped(double value);

// The first `shown` of `names` joined by ", ", then " and N more" for the rest: "a, b, c and 4 more".
std::string first_names(std::span<const std::string> names, std::size_t shown);

// `text` as echoed in a message: at most about 60 characters, cut at a character boundary and ended with "…".
std::string clip(std::string_view text);

// The columns a terminal gives `text` (UTF-8): 2 for East Asian wide and fullwidth characters and emoji, 0 for
// combining marks, 1 for any other character. For lining up tables whose cells hold names in any script.
std::size_t display_width(std::string_view text);
// `text` in at most `width` columns: as it is, or cut at a character and ended with "…" (one column).
std::string fit_width(std::string_view text, std::size_t width);

// A text on one line, for a table's cell or a comment: line breaks (a folded YAML description ends in one; LF, CR,
// NEL, LS, PS) and other control characters read as spaces, and spaces at the end dropped.
std::string one_line(std::string_view text);

// "an" before a word that starts with a vowel letter ("an evacuation"), else "a" ("a closure"): for the kinds and
// names Haven puts in its sentences, which are English words in lower case.
std::string_view indefinite_article(std::string_view word);

// Names that tell files apart: each file's name, or the path as given where another file has the same name (two
// sweeps' ensemble.h5).
std::vector<std::string> distinct_file_names(const std::vector<std::filesystem::path>& files);

// "'a', 'b' or 'c'" for listing allowed values in a message.
std::string quoted_list(std::span<const std::string_view> items);

// `word` as a POSIX shell reads it back as one word: as it is when it holds nothing the shell treats specially,
// else in single quotes (a quote inside written '\''). For the commands Haven prints for a user to paste.
std::string shell_word(std::string_view word);

// Random seeds are full 64-bit values: a double (YAML's usual reading, Excel's) keeps only 2^53 of them, so seeds are
// read as integers, in decimal or as 0x-prefixed hex ("0x" keeps a spreadsheet from rounding them). Digits may be
// grouped with '_'. Nullopt when `text` is not such a number or exceeds 2^64 - 1.
std::optional<std::uint64_t> parse_seed(std::string_view text);

// A seed as manifest.csv and `sweep --list` write it: "0x" and 16 lowercase hex digits, which spreadsheets keep as
// text (a 20-digit decimal would be rounded to 15 digits).
std::string seed_hex(std::uint64_t seed);

// What a seed may be, for messages.
inline constexpr std::string_view seed_forms =
    "a whole number from 0 to 18446744073709551615, in decimal or as 0x-prefixed hex";

}  // namespace haven
