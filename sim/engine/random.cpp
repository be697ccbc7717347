#include "haven/engine/random.hpp"

#include <algorithm>
#include <array>
#include <boost/random/binomial_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_set>
#include <vector>

namespace haven {

RandomStream::RandomStream(const StreamKey& key) noexcept {
  key_ = Philox::key_type{{key.seed, key.run_index}};
  counter_ = Philox::ctr_type{{(static_cast<std::uint64_t>(key.purpose) << 32) | key.day, key.entity, 0, 0}};
}

namespace {
// Weights must be finite; anything else is a caller's bug that must neither hang nor corrupt counts.
void require_finite(std::span<const double> weights) {
  for (double w : weights) {
    if (!std::isfinite(w)) throw std::invalid_argument("multinomial split with a non-finite weight");
  }
}
}  // namespace

std::int64_t sample_binomial(RandomStream& stream, std::int64_t n, double p) {
  if (n <= 0 || p <= 0.0) return 0;
  if (p >= 1.0) return n;
  // BTRD is fastest for p <= 1/2; use the symmetry for the rest.
  if (p > 0.5) return n - sample_binomial(stream, n, 1.0 - p);
  // Small means go by Boost's inversion, written out here (same expressions, same single uniform) so that the
  // usual outcome under a small hazard, nobody, costs no pow(): u <= q^n is certain when u < 1 - n (1 - q), by
  // Bernoulli's inequality (1 - q is exact for q in [1/2, 1]), and the margin dwarfs every rounding error.
  const auto m = static_cast<std::int64_t>(static_cast<double>(n + 1) * p);
  if (m < 11) {
    double u = boost::random::uniform_01<double>()(stream);
    const double q = 1 - p;
    if (u < 1.0 - static_cast<double>(n) * (1.0 - q) - 1e-9) return 0;
    const double s = p / q;
    const double a = static_cast<double>(n + 1) * s;
    double r = std::pow(1 - p, static_cast<double>(n));
    std::int64_t x = 0;
    while (u > r) {
      u = u - r;
      ++x;
      const double r1 = ((a / static_cast<double>(x)) - s) * r;
      if (r1 < std::numeric_limits<double>::epsilon() && r1 < r) break;
      r = r1;
    }
    return x;
  }
  boost::random::binomial_distribution<std::int64_t, double> distribution(n, p);
  return distribution(stream);
}

namespace {

// One categorical draw per person: O(n) draws instead of K conditional binomials. Both give exactly the
// multinomial distribution. A person's category is the first whose cumulative weight exceeds u = uniform x total,
// stepping back over empty categories (u on the edge of one): found by a binary search for a few people, by a
// guide table for more (what the search finds, exactly).
void split_person_by_person(RandomStream& stream, std::int64_t n, std::span<const double> weights,
                            std::span<std::int64_t> out) {
  const std::size_t categories = weights.size();
  // cumulative[K] is a sentinel (+inf) that ends every scan; landing[k] is where a person whose search ends at k
  // goes: the last category at or before k with weight (0 if none), landing[K] that of K - 1 (u at the total).
  thread_local std::vector<double> cumulative;
  thread_local std::vector<std::uint32_t> landing;
  cumulative.resize(categories + 1);
  landing.resize(categories + 1);
  double total = 0.0;
  std::uint32_t last_with_weight = 0;
  for (std::size_t k = 0; k < categories; ++k) {
    const double w = weights[k];
    cumulative[k] = total += std::max(w, 0.0);
    if (w > 0.0) last_with_weight = static_cast<std::uint32_t>(k);
    landing[k] = last_with_weight;
  }
  cumulative[categories] = std::numeric_limits<double>::infinity();
  landing[categories] = last_with_weight;
  std::fill(out.begin(), out.end(), 0);
  if (total <= 0.0) {
    out[out.size() - 1] = n;
    return;
  }
  // The guide table pays from about a quarter as many people as categories on (measured: from K/4 people on it
  // beat the search on Idlib and the conflict network, from K/2 or K people on less so).
  if (n * 4 < static_cast<std::int64_t>(categories)) {
    const auto end = cumulative.begin() + static_cast<std::ptrdiff_t>(categories);
    for (std::int64_t i = 0; i < n; ++i) {
      const double u = stream.uniform() * total;
      ++out[landing[static_cast<std::size_t>(std::upper_bound(cumulative.begin(), end, u) - cumulative.begin())]];
    }
    return;
  }
  // A guide table (Chen and Asau) of K equal buckets of [0, total) and one for u = total: bucket b starts the scan
  // at the first category whose cumulative weight exceeds lo_b = (b - 1) total / K, a whole bucket below b's
  // start. A u put in bucket b (b = trunc(u x K / total)) is at least b total / K less some 1e-16 relative, so
  // lo_b <= u whatever the rounding, and every category before the start has cumulative <= lo_b <= u: the first
  // category with cumulative > u at or after the start is upper_bound's answer, exactly. Two buckets' categories
  // are scanned on average.
  thread_local std::vector<std::uint32_t> guide;
  guide.resize(categories + 1);
  const auto buckets = static_cast<double>(categories);
  const double bucket_width = total / buckets;
  std::size_t first_above = 0;
  guide[0] = 0;
  for (std::size_t b = 1; b <= categories; ++b) {
    const double lo = static_cast<double>(b - 1) * bucket_width;
    while (cumulative[first_above] <= lo) ++first_above;  // the sentinel stops it
    guide[b] = static_cast<std::uint32_t>(first_above);
  }
  const double buckets_per_weight = buckets / total;
  const auto last_bucket = static_cast<std::int64_t>(categories);
  for (std::int64_t i = 0; i < n; ++i) {
    const double u = stream.uniform() * total;
    // u x K / total is in [0, K] (u <= total): a signed conversion, one instruction, where an unsigned one is several.
    const auto bucket = std::min(static_cast<std::int64_t>(u * buckets_per_weight), last_bucket);
    std::size_t k = guide[static_cast<std::size_t>(bucket)];
    while (cumulative[k] <= u) ++k;
    ++out[landing[k]];
  }
}

void split_by_conditional_binomials(RandomStream& stream, std::int64_t n, std::span<const double> weights,
                                    std::span<std::int64_t> out) {
  double remaining_weight = 0.0;
  std::size_t last = 0;  // the last category with weight: it takes what is left, so zero weights get nobody
  for (std::size_t k = 0; k < weights.size(); ++k) {
    remaining_weight += std::max(weights[k], 0.0);
    if (weights[k] > 0.0) last = k;
  }
  std::fill(out.begin(), out.end(), 0);
  std::int64_t remaining = n;
  for (std::size_t k = 0; k < weights.size() && remaining > 0; ++k) {
    const double w = std::max(weights[k], 0.0);
    if (k == last) {
      out[k] = remaining;
      remaining = 0;
      break;
    }
    const double p = remaining_weight > 0.0 ? w / remaining_weight : 0.0;
    out[k] = sample_binomial(stream, remaining, std::min(p, 1.0));
    remaining -= out[k];
    remaining_weight -= w;
  }
}

}  // namespace

void sample_multinomial(RandomStream& stream, std::int64_t n, std::span<const double> weights,
                        std::span<std::int64_t> out) {
  require_finite(weights);
  if (n > 0 && static_cast<std::size_t>(n) * 4 < weights.size()) {
    split_person_by_person(stream, n, weights, out);
  } else {
    split_by_conditional_binomials(stream, n, weights, out);
  }
}

void sample_multinomial_by_person(RandomStream& stream, std::int64_t n, std::span<const double> weights,
                                  std::span<std::int64_t> out) {
  require_finite(weights);
  // A person's draw (a uniform and a binary search) costs a fraction of a conditional binomial's (often a pow()),
  // and the binomials run over nearly every category: people one by one win up to a few per category.
  if (n > 0 && static_cast<std::size_t>(n) <= 4 * weights.size()) {
    split_person_by_person(stream, n, weights, out);
  } else {
    split_by_conditional_binomials(stream, n, weights, out);
  }
}

std::uint64_t uniform_below(RandomStream& stream, std::uint64_t bound) noexcept {
  __extension__ using Wide = unsigned __int128;
  Wide product = static_cast<Wide>(stream()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<Wide>(stream()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

void sample_hypergeometric_split(RandomStream& stream, std::int64_t drawn, std::span<const std::int64_t> counts,
                                 std::span<std::int64_t> out) {
  if (out.size() != counts.size()) throw std::invalid_argument("hypergeometric split: counts and out differ in size");
  std::int64_t total = 0;
  for (const auto c : counts) {
    if (c < 0) throw std::invalid_argument("hypergeometric split with a negative count");
    total += c;
  }
  if (drawn < 0 || drawn > total) throw std::invalid_argument("hypergeometric split: drawn outside [0, total]");
  // The fewer of the drawn and the left are sampled: positions in [0, total) by Floyd's algorithm (each subset of
  // that size equally likely), kept sorted, then counted group by group along the cumulative counts.
  const bool complement = drawn > total - drawn;
  const std::int64_t sampled = complement ? total - drawn : drawn;
  thread_local std::vector<std::int64_t> positions;
  positions.clear();
  constexpr std::int64_t kept_sorted_up_to = 64;  // beyond, a hash set answers "taken?" and one sort follows
  if (sampled <= kept_sorted_up_to) {
    for (std::int64_t j = total - sampled; j < total; ++j) {
      const auto t = static_cast<std::int64_t>(uniform_below(stream, static_cast<std::uint64_t>(j) + 1));
      // Every position taken so far is below j: j itself goes last when t is already taken.
      const auto it = std::lower_bound(positions.begin(), positions.end(), t);
      if (it != positions.end() && *it == t) {
        positions.push_back(j);
      } else {
        positions.insert(it, t);
      }
    }
  } else {
    std::unordered_set<std::int64_t> taken;
    taken.reserve(static_cast<std::size_t>(sampled) * 2);
    for (std::int64_t j = total - sampled; j < total; ++j) {
      const auto t = static_cast<std::int64_t>(uniform_below(stream, static_cast<std::uint64_t>(j) + 1));
      const std::int64_t position = taken.insert(t).second ? t : j;
      if (position == j) taken.insert(j);
      positions.push_back(position);
    }
    std::sort(positions.begin(), positions.end());
  }
  std::size_t next = 0;
  std::int64_t upper = 0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    upper += counts[k];
    std::int64_t in_group = 0;
    while (next < positions.size() && positions[next] < upper) {
      ++in_group;
      ++next;
    }
    out[k] = complement ? counts[k] - in_group : in_group;
  }
}

std::int64_t expected_binomial(std::int64_t n, double p) noexcept {
  if (n <= 0 || p <= 0.0) return 0;
  if (p >= 1.0) return n;
  return std::min(n, static_cast<std::int64_t>(std::llround(static_cast<double>(n) * p)));
}

namespace {

constexpr std::int64_t few_units = 8;

// The largest-remainder split of a few units (2 to few_units; most splits of pooled movers over their homes), in
// one pass: the floors, and the n largest remainders kept as they come in a small ranked buffer. At most n units
// are left over, so the ones that get them are the first of that buffer: the set a full ranking gives (the ranking
// is strict: larger remainder, then lower index; equal remainders arrive in index order and stay behind). Returns
// false, with `out` to be rewritten, when the floors' rounding leaves an unusual count (the general path's case).
bool split_few_units(std::int64_t n, double total, std::span<const double> weights, std::span<std::int64_t> out) {
  std::array<std::pair<double, std::size_t>, few_units> top{};
  const auto keep = static_cast<std::size_t>(n);
  std::size_t held = 0;
  std::int64_t assigned = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const double exact = static_cast<double>(n) * (std::max(weights[k], 0.0) / total);
    const double whole = std::floor(exact);
    out[k] = static_cast<std::int64_t>(whole);
    assigned += out[k];
    const double remainder = exact - whole;
    if (held < keep || remainder > top[held - 1].first) {
      std::size_t at = held < keep ? held++ : keep - 1;
      for (; at > 0 && remainder > top[at - 1].first; --at) top[at] = top[at - 1];
      top[at] = {remainder, k};
    }
  }
  const std::int64_t left = n - assigned;
  if (left < 0 || static_cast<std::size_t>(left) > held) return false;
  for (std::size_t k = 0; k < static_cast<std::size_t>(left); ++k) ++out[top[k].second];
  return true;
}

}  // namespace

void expected_multinomial(std::int64_t n, std::span<const double> weights, std::span<std::int64_t> out) {
  // Most splits are over a handful of categories (a pooled cohort's homes, a node's groups).
  if (expected_multinomial_few(
          n, weights.size(), [&weights](std::size_t k) { return weights[k]; }, out))
    return;
  // One pass checks the weights and sums them (this runs for every pooled cohort that settles or merges).
  double total = 0.0;
  bool finite = true;
  for (double w : weights) {
    finite &= std::isfinite(w);
    total += std::max(w, 0.0);
  }
  if (!finite) throw std::invalid_argument("multinomial split with a non-finite weight");
  if (weights.empty()) return;
  if (total <= 0.0 || !std::isfinite(total)) {
    std::fill(out.begin(), out.end(), 0);
    out[0] = n;
    return;
  }
  if (n == 1) {
    // One unit (most pooled cohorts' splits): it goes to the largest share, the first of equals. That is what the
    // general case gives: every share is below 1 and ranked as its remainder, or one share rounds to 1 and, the
    // shares summing to 1, it is the only one and the largest.
    std::size_t best = 0;
    double best_share = -1.0;
    for (std::size_t k = 0; k < weights.size(); ++k) {
      const double share = std::max(weights[k], 0.0) / total;
      if (share > best_share) {
        best_share = share;
        best = k;
      }
    }
    std::fill(out.begin(), out.end(), 0);
    out[best] = 1;
    return;
  }
  if (n >= 2 && n <= few_units && split_few_units(n, total, weights, out)) return;
  std::int64_t assigned = 0;
  // Remainders ranked largest first; ties by index keep it deterministic. Scratch space per thread.
  thread_local std::vector<std::pair<double, std::size_t>> remainders;
  remainders.resize(weights.size());
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const double exact = static_cast<double>(n) * (std::max(weights[k], 0.0) / total);
    const double whole = std::floor(exact);
    out[k] = static_cast<std::int64_t>(whole);
    assigned += out[k];
    remainders[k] = {exact - whole, k};
  }
  const auto larger = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const std::int64_t left = n - assigned;
  if (left >= 0 && static_cast<std::size_t>(left) <= remainders.size()) {
    // The usual case: one unit each to the `left` largest remainders. The ranking is a strict order, so the set
    // is the one a full sort would give, however it is found: by scans when it is a few (most splits of a few
    // people), else by a partial selection.
    const auto extra = static_cast<std::size_t>(left);
    if (extra == remainders.size()) {
      for (const auto& r : remainders) ++out[r.second];
    } else if (extra <= 4) {
      for (std::size_t picked = 0; picked < extra; ++picked) {
        std::size_t best = picked;
        for (std::size_t k = picked + 1; k < remainders.size(); ++k) {
          if (larger(remainders[k], remainders[best])) best = k;
        }
        std::swap(remainders[picked], remainders[best]);
        ++out[remainders[picked].second];
      }
    } else {
      const auto top = remainders.begin() + static_cast<std::ptrdiff_t>(extra);
      std::nth_element(remainders.begin(), top, remainders.end(), larger);
      for (auto it = remainders.begin(); it != top; ++it) ++out[it->second];
    }
    return;
  }
  std::sort(remainders.begin(), remainders.end(), larger);
  for (std::size_t k = 0; assigned < n; k = (k + 1) % remainders.size(), ++assigned) ++out[remainders[k].second];
  // Floating-point floors can overshoot by a unit when weights are tiny relative to n; take it back.
  for (std::size_t k = remainders.size(); assigned > n && k-- > 0;) {
    if (out[remainders[k].second] > 0) {
      --out[remainders[k].second];
      --assigned;
      k = remainders.size();
    }
  }
}

void expected_multinomial_in_quanta(std::int64_t n, std::int64_t quantum, std::span<const double> weights,
                                    std::span<std::int64_t> out) {
  expected_multinomial(n, weights, out);
  if (quantum <= 1) return;
  // The parts below a quantum, pooled and shared out again over their own categories in whole quanta.
  thread_local std::vector<double> small_weights;
  small_weights.assign(weights.size(), 0.0);
  std::int64_t pooled = 0;
  bool any = false;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (out[k] > 0 && out[k] < quantum) {
      pooled += out[k];
      out[k] = 0;
      small_weights[k] = std::max(weights[k], 0.0);
      any = true;
    }
  }
  if (!any) return;
  thread_local std::vector<std::int64_t> parts;
  parts.assign(weights.size(), 0);
  expected_multinomial(pooled / quantum, small_weights, parts);
  double total = 0.0;
  for (double w : small_weights) total += w;
  // What is left below a quantum: to the category furthest below its exact share (the largest share when no
  // category got a whole quantum), the first of equals.
  std::size_t furthest = 0;
  double largest_deficit = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < small_weights.size(); ++k) {
    if (small_weights[k] <= 0.0) continue;
    const double share = small_weights[k] / total;
    const double deficit =
        pooled < quantum ? share : static_cast<double>(pooled) * share - static_cast<double>(parts[k] * quantum);
    if (deficit > largest_deficit) {
      largest_deficit = deficit;
      furthest = k;
    }
  }
  for (std::size_t k = 0; k < out.size(); ++k) out[k] += parts[k] * quantum;
  out[furthest] += pooled % quantum;
}

}  // namespace haven
