#include "haven/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace haven {

bool read_up_to(std::istream& in, std::uintmax_t max_bytes, std::string& text) {
  text.clear();
  std::array<char, 1 << 16> block{};
  while (in) {
    in.read(block.data(), block.size());
    text.append(block.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) return false;
  }
  return true;
}

std::string read_whole_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::string text;
  if (!read_up_to(in, max_bytes, text)) {
    throw std::runtime_error(fmt::format("larger than {} MiB, the most Haven reads of such a file", max_bytes >> 20));
  }
  if (in.bad()) throw std::runtime_error("cannot read " + path.string());
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows suffice for the transposition term.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

namespace {
template <typename Strings>
std::optional<std::string> closest(std::string_view word, const Strings& candidates) {
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  if (word.size() > 256) return best;  // no key or id is that long; the distance would cost |word| x |candidate|
  // The same word in other letter case (`ID`, `CSV`, `Camp` for `camp`) is the likeliest aim, however short.
  const auto same_but_case = [word](std::string_view candidate) {
    return candidate.size() == word.size() &&
           std::equal(word.begin(), word.end(), candidate.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  for (const auto& candidate : candidates) {
    if (same_but_case(candidate)) return std::string(candidate);
  }
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  if (best) return best;
  // A shortening (`nocamp` for `northcamp`, `sarmada` for `sarmada_camps`) is letters left out, often more than a
  // third of the word: the one candidate that holds the word's letters in order, from its first letter on, when the
  // word is at least four letters and half the candidate's. Two candidates holding them, however long the second:
  // the aim is unclear, nothing said ('maarrat' for 'maarrat_misrin' or 'maarrat_misrin_camps').
  if (word.size() < 4) return best;
  const auto shortens = [word](std::string_view candidate) {
    if (candidate.size() <= word.size() || candidate.front() != word.front()) return false;
    std::size_t at = 0;
    for (const char letter : candidate) {
      if (at < word.size() && letter == word[at]) ++at;
    }
    return at == word.size();
  };
  std::string_view shortened;
  for (const auto& candidate : candidates) {
    if (!shortens(candidate)) continue;
    if (!shortened.empty()) return std::nullopt;
    shortened = candidate;
  }
  if (shortened.empty() || shortened.size() > 2 * word.size()) return std::nullopt;
  return std::string(shortened);
}
}  // namespace

std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates) {
  return closest(word, candidates);
}
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates) {
  return closest(word, candidates);
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  auto match = closest_match(word, candidates);
  return match ? "; did you mean '" + *match + "'?" : std::string();
}
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  auto match = closest_match(word, candidates);
  return match ? "; did you mean '" + *match + "'?" : std::string();
}

std::string first_names(std::span<const std::string> names, std::size_t shown) {
  std::string text;
  for (std::size_t k = 0; k < std::min(shown, names.size()); ++k) text += (k ? ", " : "") + names[k];
  if (names.size() > shown) text += fmt::format(" and {} more", names.size() - shown);
  return text;
}

std::string grouped(double value) {
  // Beyond 10^18 (only a damaged or hostile file holds such counts) a whole number would not fit 64 bits.
  if (!std::isfinite(value) || std::fabs(value) >= 1e18) return fmt::format("{:.3g}", value);
  const auto whole = std::llround(value);
  std::string digits = std::to_string(whole < 0 ? -whole : whole);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return whole < 0 ? "-" + out : out;
}

std::string clip(std::string_view text) {
  constexpr std::size_t keep = 57;
  if (text.size() <= 60) return std::string(text);
  std::size_t cut = keep;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return std::string(text.substr(0, cut)) + "\u2026";
}

std::string quoted_list(std::span<const std::string_view> items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += "'";
    out += items[i];
    out += "'";
  }
  return out;
}

std::optional<std::uint64_t> parse_seed(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  std::string digits;
  for (std::size_t k = 0; k < text.size(); ++k) {
    // '_' only between digits, as YAML 1.1 groups them.
    if (text[k] == '_' && k > 0 && k + 1 < text.size() && text[k - 1] != '_') continue;
    digits += text[k];
  }
  if (digits.empty() || digits.front() == '+' || digits.front() == '-') return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::string seed_hex(std::uint64_t seed) {
  return fmt::format("0x{:016x}", seed);
}

std::string shell_word(std::string_view word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                                          std::string_view::npos;
  if (plain) return std::string(word);
  std::string quoted = "'";
  for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

namespace {

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

}  // namespace

// The first byte that does not belong to a valid UTF-8 sequence, or npos. Overlong forms and surrogates are refused
// too: they are how text in another encoding usually shows up.
std::size_t first_invalid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > size || bytes[i + 1] < low || bytes[i + 1] > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (!is_continuation(bytes[i + k])) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

// Line and column (1-based, in characters) of byte `offset`.
std::pair<std::size_t, std::size_t> position_of(std::string_view text, std::size_t offset) {
  const auto newline = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  const std::size_t begin = newline == std::string_view::npos ? 0 : newline + 1;
  std::size_t column = 1;
  for (std::size_t i = begin; i < offset; ++i) column += is_continuation(static_cast<unsigned char>(text[i])) ? 0u : 1u;
  return {
      static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n')) + 1,
      column};
}

namespace {

// The next code point of valid UTF-8 `text` from `at` (advanced past it); a stray byte reads as itself.
char32_t next_code_point(std::string_view text, std::size_t& at) {
  const auto byte = static_cast<unsigned char>(text[at++]);
  const int more = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : 0;
  char32_t point = more == 3 ? byte & 0x07u : more == 2 ? byte & 0x0Fu : more == 1 ? byte & 0x1Fu : byte;
  for (int k = 0; k < more && at < text.size(); ++k)
    point = (point << 6) | (static_cast<unsigned char>(text[at++]) & 0x3Fu);
  return point;
}

std::size_t columns_of(char32_t c) {
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
      (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F) || c == 0x200B || c == 0x200D) {
    return 0;  // combining marks and zero-width joiners
  }
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
                    (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
                    (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
                    (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t columns = 0;
  for (std::size_t at = 0; at < text.size();) columns += columns_of(next_code_point(text, at));
  return columns;
}

std::string fit_width(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return {};
  std::size_t columns = 0, at = 0, kept = 0;
  while (at < text.size()) {
    std::size_t after = at;
    const std::size_t more = columns_of(next_code_point(text, after));
    if (columns + more > width - 1) break;  // room for the ellipsis
    columns += more;
    at = kept = after;
  }
  return std::string(text.substr(0, kept)) + "\u2026";
}

std::string one_line(std::string_view text) {
  std::string line;
  line.reserve(text.size());
  for (std::size_t k = 0; k < text.size(); ++k) {
    const auto byte = static_cast<unsigned char>(text[k]);
    // Line ends, tabs and the other control characters: each would move a terminal's cursor or a cell's line. So
    // would Unicode's line breaks (NEL, LS, PS), which YAML reads as line ends too.
    const std::size_t line_break = text.substr(k, 2) == "\xC2\x85"                                              ? 2
                                   : text.substr(k, 3) == "\xE2\x80\xA8" || text.substr(k, 3) == "\xE2\x80\xA9" ? 3
                                                                                                                : 0;
    if (line_break > 0) {
      line += ' ';
      k += line_break - 1;
    } else {
      line += (byte < 0x20 || byte == 0x7f) ? ' ' : text[k];
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string_view indefinite_article(std::string_view word) {
  return !word.empty() && std::string_view("aeiouAEIOU").find(word.front()) != std::string_view::npos ? "an" : "a";
}

std::vector<std::string> distinct_file_names(const std::vector<std::filesystem::path>& files) {
  std::vector<std::string> names;
  for (const auto& file : files) {
    const auto same = std::count_if(files.begin(), files.end(),
                                    [&](const auto& other) { return other.filename() == file.filename(); });
    names.push_back(same > 1 ? file.string() : file.filename().string());
  }
  return names;
}

}  // namespace haven
