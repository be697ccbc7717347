#pragma once
// Small text helpers used to make error messages helpful.

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace haven {

// The whole file as bytes; throws std::runtime_error naming the file when it cannot be read.
std::string read_whole_file(const std::filesystem::path& path);

// Optimal-string-alignment edit distance (Levenshtein plus adjacent transpositions), case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo
// (distance at most max(1, length/3)); ties go to the first candidate.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates);

// "; did you mean 'x'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

// A count of people rounded to whole people with thousands separators: 1234567.4 -> "1,234,567".
std::string grouped(double value);

// "'a', 'b' or 'c'" for listing allowed values in a message.
std::string quoted_list(std::span<const std::string_view> items);

}  // namespace haven
