#pragma once
// Counter-based random streams (Random123 Philox4x64-10). A stream is a pure function of
// (seed, run index, purpose, entity, day): the same draws come out whatever thread or rank asks, in whatever
// order, so runs are bit-identical at any thread count. No generator state is shared between streams.

#include <Random123/philox.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace haven {

// What a stream is used for; part of the key so that different decisions never share draws.
enum class RandomPurpose : std::uint32_t {
  departure = 1,
  onward = 2,
  destination = 3,
  return_home = 4,
  given_departure = 5,  // where the given departures of a day come from (departures: given)
  flee_spawn = 20,      // the Flee rule set (sim/engine/flee_step.cpp)
  flee_move = 21,
  flee_route = 22,
  sweep_seed = 10,    // a sweep member's run seed
  sweep_design = 11,  // Latin hypercube and random design points
  test = 1000,
};

struct StreamKey {
  std::uint64_t seed = 0;
  std::uint64_t run_index = 0;
  RandomPurpose purpose = RandomPurpose::test;
  std::uint64_t entity = 0;  // node, stay, corridor ... whatever the draw is about
  std::uint32_t day = 0;
};

// A UniformRandomBitGenerator over one stream: 2^64 blocks of four 64-bit words.
class RandomStream {
 public:
  using result_type = std::uint64_t;
  explicit RandomStream(const StreamKey& key) noexcept;

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }
  // Inline: the Flee rule set draws a uniform per person for its small parties (13% of a run when out of line).
  result_type operator()() noexcept {
    if (next_ == 4) {
      block_ = Philox()(counter_, key_);
      ++counter_.v[3];
      next_ = 0;
    }
    return block_.v[next_++];
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

 private:
  using Philox = r123::Philox4x64;
  Philox::key_type key_{};
  Philox::ctr_type counter_{};
  Philox::ctr_type block_{};
  unsigned next_ = 4;
};

// Binomial(n, p) by Boost.Random's BTRD (Hormann 1993) for large n*p, inversion for small; exact for the
// edge cases p <= 0, p >= 1, n <= 0.
std::int64_t sample_binomial(RandomStream& stream, std::int64_t n, double p);

// Splits n over categories with probabilities proportional to `weights` (sum > 0) by conditional binomials;
// writes counts to `out` (same size as weights); the counts always sum to n.
void sample_multinomial(RandomStream& stream, std::int64_t n, std::span<const double> weights,
                        std::span<std::int64_t> out);

// The same distribution as sample_multinomial, other draws: one categorical draw per person (a uniform against the
// cumulative weights) while n <= 4 x categories, where that is cheaper than a conditional binomial (and its pow())
// for every category; conditional binomials above. For the engine's destination splits (deciding).
void sample_multinomial_by_person(RandomStream& stream, std::int64_t n, std::span<const double> weights,
                                  std::span<std::int64_t> out);

// A uniform integer in [0, bound) (bound >= 1), without modulo bias (Lemire's multiply and reject).
std::uint64_t uniform_below(RandomStream& stream, std::uint64_t bound) noexcept;

// `drawn` people taken at random, without replacement, from groups of `counts` people (0 <= drawn <= their sum):
// writes how many come from each group to `out` (same size). The multivariate hypergeometric distribution, which
// is exactly that of independent Binomial(counts[k], p) per group given their total: so one binomial over the total
// and this split draw what per-group binomials draw. Costs min(drawn, total - drawn) uniforms (Floyd's sample of
// distinct positions) and one pass over the groups. Throws std::invalid_argument when drawn is out of range.
void sample_hypergeometric_split(RandomStream& stream, std::int64_t drawn, std::span<const std::int64_t> counts,
                                 std::span<std::int64_t> out);

// The expected-mode counterparts: deterministic, exact in sum. round(n * p) and a largest-remainder split.
std::int64_t expected_binomial(std::int64_t n, double p) noexcept;
void expected_multinomial(std::int64_t n, std::span<const double> weights, std::span<std::int64_t> out);

// expected_multinomial, and then the parts below a `quantum` (expected mode: one person) pooled and shared out
// again over their own categories in whole quanta by largest remainder, what is left below a quantum going to the
// one furthest below its exact share (the largest share when under a quantum; the first of equals). Parts of a
// quantum or more are exactly expected_multinomial's; at most 2 n / quantum + 1 categories get anyone, not one
// micro-part each however small the weights. Exact in sum; `quantum` <= 1 is expected_multinomial itself.
void expected_multinomial_in_quanta(std::int64_t n, std::int64_t quantum, std::span<const double> weights,
                                    std::span<std::int64_t> out);

inline constexpr std::size_t expected_split_max_categories = 32;

// The largest-remainder split of n units over m <= expected_split_max_categories categories whose normalised
// weights (each weight / their total, non-negative, summing to 1 up to rounding) are read as quotient(k):
// expected_multinomial_few()'s second half, for callers that normalised once for many splits. The same units to
// the same categories as expected_multinomial_few() over the weights whenever the quotients are computed as it
// computes them (max(w, 0) / total, the total summed in index order). Returns false, `out` to be rewritten, where
// the floors' rounding leaves an unusual count.
template <typename Quotient>
bool expected_multinomial_of_quotients(std::int64_t n, std::size_t m, Quotient&& quotient,
                                       std::span<std::int64_t> out) {
  // The floors, then one unit each to the `left` largest remainders, ranked strictly (larger first, then lower
  // index). The exact shares lie in [0, 2^63), where truncation is floor (one instruction; std::floor is a dozen on
  // baseline x86-64).
  std::array<double, expected_split_max_categories> remainder;  // the first m written before read
  std::int64_t assigned = 0;
  for (std::size_t k = 0; k < m; ++k) {
    const double exact = static_cast<double>(n) * quotient(k);
    const double whole = static_cast<double>(static_cast<std::int64_t>(exact));
    out[k] = static_cast<std::int64_t>(whole);
    assigned += out[k];
    remainder[k] = exact - whole;
  }
  const std::int64_t left = n - assigned;
  if (left < 0 || static_cast<std::size_t>(left) > m) return false;
  const auto keep = static_cast<std::size_t>(left);
  if (keep == 0) return true;
  if (keep == m) {
    for (std::size_t k = 0; k < m; ++k) ++out[k];
    return true;
  }
  // The units go to the first `keep` categories ranked by remainder (larger first, then lower index). Picked by
  // scans for the first of the largest remainders left, or, when most categories get a unit, for the last of the
  // smallest (the m - keep that get none, in reverse rank): min(keep, m - keep) scans of m without a branch on the
  // remainders, which are as good as random. Counting every category's rank (m^2 + m^2 / 2 compares) was a quarter
  // of an Idlib run's instructions: its pooled movers' splits have ~8 homes and ~3 units left.
  if (keep * 2 <= m) {
    for (std::size_t pick = 0; pick < keep; ++pick) {
      std::size_t best = 0;
      double best_remainder = remainder[0];
      for (std::size_t k = 1; k < m; ++k) {
        const bool larger = remainder[k] > best_remainder;
        best = larger ? k : best;
        best_remainder = larger ? remainder[k] : best_remainder;
      }
      ++out[best];
      remainder[best] = -1.0;  // below every remainder left, which lie in [0, 1)
    }
  } else {
    for (std::size_t k = 0; k < m; ++k) ++out[k];
    for (std::size_t pick = 0; pick < m - keep; ++pick) {
      std::size_t worst = 0;
      double worst_remainder = remainder[0];
      for (std::size_t k = 1; k < m; ++k) {
        const bool smaller = remainder[k] <= worst_remainder;
        worst = smaller ? k : worst;
        worst_remainder = smaller ? remainder[k] : worst_remainder;
      }
      --out[worst];
      remainder[worst] = 2.0;  // above every remainder left
    }
  }
  return true;
}

// expected_multinomial() over a few categories (up to expected_split_max_categories) whose weights are read as
// weight(k), k < m, without copying them: the same units to the same categories (expected_multinomial() itself
// goes this way). Returns false, `out` to be rewritten, where this does not apply: more categories, n < 0, a
// weight that is not finite, no positive weight, or the floors' rounding leaving an unusual count.
template <typename Weight>
bool expected_multinomial_few(std::int64_t n, std::size_t m, Weight&& weight, std::span<std::int64_t> out) {
  if (m == 0 || m > expected_split_max_categories || n < 0) return false;
  double total = 0.0;
  bool finite = true;
  for (std::size_t k = 0; k < m; ++k) {
    const double w = weight(k);
    finite &= std::isfinite(w);
    total += std::max(w, 0.0);
  }
  if (!finite || !(total > 0.0) || !std::isfinite(total)) return false;
  return expected_multinomial_of_quotients(
      n, m, [&weight, total](std::size_t k) { return std::max(weight(k), 0.0) / total; }, out);
}

}  // namespace haven
