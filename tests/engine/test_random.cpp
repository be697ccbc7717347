// Statistical tests state their false-failure probability: each uses a bound of at least 5 standard errors
// (two-sided normal tail 5.7e-7), so the whole file fails by chance less than once in 10^5 runs. The streams
// are deterministic, so a given build either always passes or always fails.

#include <doctest/doctest.h>

#include <algorithm>
#include <boost/random/binomial_distribution.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "haven/engine/random.hpp"

using namespace haven;

TEST_CASE("a stream is a pure function of its key") {
  StreamKey key{42, 3, RandomPurpose::departure, 17, 9};
  RandomStream a(key), b(key);
  for (int i = 0; i < 100; ++i) CHECK(a() == b());
  for (auto change : {0, 1, 2, 3, 4}) {
    StreamKey other = key;
    if (change == 0) other.seed = 43;
    if (change == 1) other.run_index = 4;
    if (change == 2) other.purpose = RandomPurpose::onward;
    if (change == 3) other.entity = 18;
    if (change == 4) other.day = 10;
    RandomStream c(key), d(other);
    int same = 0;
    for (int i = 0; i < 16; ++i) same += c() == d() ? 1 : 0;
    CHECK(same == 0);
  }
}

TEST_CASE("uniform() lies in the unit interval with mean one half") {
  RandomStream stream({1, 0, RandomPurpose::test, 0, 0});
  const int n = 200000;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double u = stream.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  CHECK(std::abs(sum / n - 0.5) < 5.0 * std::sqrt(1.0 / 12.0 / n));
}

TEST_CASE("binomial draws have the right mean and variance across regimes") {
  struct Case {
    std::int64_t n;
    double p;
  };
  // Inversion (small n p), BTRD (large n p) and the p > 1/2 symmetry.
  for (const Case c : {Case{20, 0.1}, Case{1000, 0.3}, Case{1000000, 0.001}, Case{50000, 0.9}, Case{7, 0.5}}) {
    CAPTURE(c.n);
    CAPTURE(c.p);
    RandomStream stream({5, 0, RandomPurpose::test, static_cast<std::uint64_t>(c.n), 0});
    const int draws = 20000;
    double sum = 0.0, sum_sq = 0.0;
    for (int i = 0; i < draws; ++i) {
      const auto x = sample_binomial(stream, c.n, c.p);
      REQUIRE(x >= 0);
      REQUIRE(x <= c.n);
      sum += static_cast<double>(x);
      sum_sq += static_cast<double>(x) * static_cast<double>(x);
    }
    const double mean = sum / draws;
    const double variance = sum_sq / draws - mean * mean;
    const double true_mean = static_cast<double>(c.n) * c.p;
    const double true_variance = true_mean * (1.0 - c.p);
    CHECK(std::abs(mean - true_mean) < 5.0 * std::sqrt(true_variance / draws));
    // The sample variance's standard error is about var * sqrt(2 / draws) for near-normal draws.
    CHECK(std::abs(variance - true_variance) < 5.0 * true_variance * std::sqrt(2.0 / draws) + 0.05);
  }
}

TEST_CASE("binomial edge cases are exact") {
  RandomStream stream({1, 0, RandomPurpose::test, 0, 0});
  CHECK(sample_binomial(stream, 0, 0.5) == 0);
  CHECK(sample_binomial(stream, 100, 0.0) == 0);
  CHECK(sample_binomial(stream, 100, 1.0) == 100);
  CHECK(sample_binomial(stream, 100, -0.1) == 0);
  CHECK(sample_binomial(stream, -5, 0.5) == 0);
}

TEST_CASE("multinomial splits always sum to n and follow the weights") {
  RandomStream stream({9, 0, RandomPurpose::test, 0, 0});
  const std::vector<double> weights = {1.0, 2.0, 0.0, 7.0};
  std::vector<std::int64_t> out(4), total(4, 0);
  const int draws = 5000;
  const std::int64_t n = 1000;
  for (int i = 0; i < draws; ++i) {
    sample_multinomial(stream, n, weights, out);
    REQUIRE(std::accumulate(out.begin(), out.end(), std::int64_t{0}) == n);
    REQUIRE(out[2] == 0);
    for (std::size_t k = 0; k < 4; ++k) total[k] += out[k];
  }
  for (std::size_t k = 0; k < 4; ++k) {
    const double p = weights[k] / 10.0;
    const double mean = static_cast<double>(total[k]) / draws;
    CHECK(std::abs(mean - n * p) <= 5.0 * std::sqrt(n * p * (1 - p) / draws) + 1e-12);
  }
}

TEST_CASE("expected-mode draws are exact in sum and round to the nearest unit") {
  CHECK(expected_binomial(1000, 0.1234) == 123);
  CHECK(expected_binomial(1000, 0.1236) == 124);
  CHECK(expected_binomial(5, 1.5) == 5);
  std::vector<std::int64_t> out(3);
  expected_multinomial(10, std::vector<double>{1, 1, 1}, out);
  CHECK(out == std::vector<std::int64_t>{4, 3, 3});  // the remainder goes to the first of equals
  expected_multinomial(1'000'000'000'000, std::vector<double>{1e-300, 1, 3}, out);
  CHECK(out[0] + out[1] + out[2] == 1'000'000'000'000);
  CHECK(out[2] == 750'000'000'000);
  expected_multinomial(7, std::vector<double>{0, 0}, std::span(out).first(2));
  CHECK(out[0] + out[1] == 7);
}

TEST_CASE("the expected-mode split in whole people gives at most one part below a person") {
  constexpr std::int64_t person = 1'000'000;
  std::vector<double> weights(1000, 1.0);
  weights[7] = 1.5;  // the largest share: the part below a person goes there
  std::vector<std::int64_t> out(weights.size());
  // 2.5 people over 1,000 homes: two whole people and half a person, not a micro-person part on every home.
  expected_multinomial_in_quanta(2 * person + person / 2, person, weights, out);
  std::int64_t sum = 0;
  int parts = 0;
  int below_a_person = 0;
  for (const auto part : out) {
    sum += part;
    parts += part > 0 ? 1 : 0;
    below_a_person += part % person != 0 ? 1 : 0;
  }
  CHECK(sum == 2 * person + person / 2);
  CHECK(parts <= 3);
  CHECK(below_a_person == 1);
  CHECK(out[7] >= person);
  // Less than a person: all of it to the largest share.
  expected_multinomial_in_quanta(300, person, weights, out);
  CHECK(out[7] == 300);
  // Large counts keep the proportions to within a person; a quantum of 1 is the unit split itself.
  expected_multinomial_in_quanta(1000 * person + 17, person, std::vector<double>{1, 3}, std::span(out).first(2));
  CHECK(out[0] + out[1] == 1000 * person + 17);
  CHECK(std::abs(static_cast<double>(out[1]) - 750.0 * person) <= person);
  std::vector<std::int64_t> unit(3);
  expected_multinomial_in_quanta(10, 1, std::vector<double>{1, 1, 1}, unit);
  CHECK(unit == std::vector<std::int64_t>{4, 3, 3});
}

namespace {
// The largest-remainder split as first written (a full ranking of the remainders): what expected_multinomial's
// faster selections must reproduce unit for unit.
std::vector<std::int64_t> reference_split(std::int64_t n, const std::vector<double>& weights) {
  double total = 0.0;
  for (double w : weights) total += std::max(w, 0.0);
  std::vector<std::int64_t> out(weights.size(), 0);
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t assigned = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const double exact = static_cast<double>(n) * (std::max(weights[k], 0.0) / total);
    out[k] = static_cast<std::int64_t>(std::floor(exact));
    assigned += out[k];
    remainders.emplace_back(exact - std::floor(exact), k);
  }
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (std::size_t k = 0; assigned < n; ++k, ++assigned) ++out[remainders[k].second];
  return out;
}
}  // namespace

TEST_CASE("expected-mode splits of one or a few units give what a full ranking of the remainders gives") {
  // One unit, a few, and many, over small and large sets of weights with ties, zeros and negatives: the fast
  // paths (one unit: the largest share; up to 32 categories: floors by truncation and each category's rank counted
  // without a branch; more categories: up to 8 units in one pass with a ranked buffer, else scans or a partial
  // selection)
  // must agree with the ranking.
  std::uint64_t x = 0x2545F4914F6CDD1Dull;
  auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  for (int trial = 0; trial < 4000; ++trial) {
    const std::size_t size = 1 + next() % (trial % 2 == 0 ? 6 : 40);
    std::vector<double> weights(size);
    for (auto& w : weights) {
      const auto kind = next() % 8;
      w = kind == 0 ? 0.0 : kind == 1 ? -1.0 : kind == 2 ? 0.25 : static_cast<double>(next() % 1000) / 7.0;
    }
    if (std::none_of(weights.begin(), weights.end(), [](double w) { return w > 0.0; })) weights[0] = 1.0;
    const std::int64_t n = trial % 3 == 0   ? 1
                           : trial % 3 == 1 ? 1 + static_cast<std::int64_t>(next() % 10)
                                            : static_cast<std::int64_t>(next() % 100'000);
    std::vector<std::int64_t> out(size);
    expected_multinomial(n, weights, out);
    REQUIRE(out == reference_split(n, weights));
    // Read in place with one category left out (a pooled cohort's split over the homes but its destination): the
    // split of the weights with that one zeroed, wherever the few-category path applies.
    const std::size_t left_out = next() % size;
    std::vector<double> without = weights;
    without[left_out] = 0.0;
    if (std::any_of(without.begin(), without.end(), [](double w) { return w > 0.0; })) {
      std::vector<std::int64_t> in_place(size, -1);
      const auto weight = [&](std::size_t k) { return k == left_out ? 0.0 : weights[k]; };
      if (expected_multinomial_few(n, size, weight, in_place)) REQUIRE(in_place == reference_split(n, without));
      CHECK(expected_multinomial_few(n, size, weight, in_place) == (size <= expected_split_max_categories));
    }
  }
  // Equal remainders across the line between the categories that get a unit and those that do not: the lower
  // indices get them, whether a few categories get one (found largest first) or most do (the rest found smallest
  // first).
  std::vector<std::int64_t> four(4, -1);
  expected_multinomial(2, std::vector<double>{1.0, 1.0, 1.0, 1.0}, four);
  CHECK(four == std::vector<std::int64_t>{1, 1, 0, 0});
  expected_multinomial(3, std::vector<double>{1.0, 1.0, 1.0, 1.0}, four);
  CHECK(four == std::vector<std::int64_t>{1, 1, 1, 0});
  std::vector<std::int64_t> five(5, -1);
  expected_multinomial(7, std::vector<double>{2.0, 1.0, 2.0, 1.0, 2.0}, five);
  CHECK(five == reference_split(7, {2.0, 1.0, 2.0, 1.0, 2.0}));
  // No units: nobody anywhere, whatever the weights.
  std::vector<std::int64_t> none(3, 7);
  expected_multinomial(0, std::vector<double>{0.3, 0.5, 0.2}, none);
  CHECK(none == std::vector<std::int64_t>{0, 0, 0});
}

TEST_CASE("sample_binomial draws exactly what Boost's binomial_distribution draws from the same stream") {
  const std::int64_t sizes[] = {1, 2, 7, 30, 100, 1000, 123456, 10'000'000, 2'000'000'000};
  const double probabilities[] = {1e-12, 1e-9, 1e-6, 1e-4, 0.001, 0.01, 0.05, 0.2, 0.5, 0.7, 0.999};
  std::uint64_t entity = 0;
  for (const auto n : sizes) {
    for (const double p : probabilities) {
      RandomStream ours(StreamKey{9, 0, RandomPurpose::test, ++entity, 0});
      RandomStream theirs(StreamKey{9, 0, RandomPurpose::test, entity, 0});
      for (int k = 0; k < 200; ++k) {
        const std::int64_t expected =
            p > 0.5 ? n - boost::random::binomial_distribution<std::int64_t, double>(n, 1.0 - p)(theirs)
                    : boost::random::binomial_distribution<std::int64_t, double>(n, p)(theirs);
        REQUIRE(sample_binomial(ours, n, p) == expected);
      }
      CHECK(ours() == theirs());  // and the streams stay in step
    }
  }
}

TEST_CASE("sample_binomial's BTRD draws what Boost's draws over many sizes and probabilities") {
  // Every value must be Boost's, from the same uniforms: random (n, p) pairs from a few dozen people to billions,
  // means from 11 to half of n, p to 1/2 and beyond (the symmetric side, which sample_binomial takes itself).
  std::uint64_t state = 777;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  for (int pair = 0; pair < 3000; ++pair) {
    const auto n = static_cast<std::int64_t>(std::exp(std::log(22.0) + next() * (std::log(4e9) - std::log(22.0))));
    const double lowest = 11.5 / static_cast<double>(n + 1);
    const double p = pair % 7 == 0 ? 1.0 - (lowest + next() * (0.5 - lowest))
                                   : std::exp(std::log(lowest) + next() * (std::log(0.5) - std::log(lowest)));
    CAPTURE(n);
    CAPTURE(p);
    RandomStream ours(StreamKey{10, 0, RandomPurpose::test, static_cast<std::uint64_t>(pair), 0});
    RandomStream theirs(StreamKey{10, 0, RandomPurpose::test, static_cast<std::uint64_t>(pair), 0});
    for (int k = 0; k < 30; ++k) {
      const std::int64_t expected =
          p > 0.5 ? n - boost::random::binomial_distribution<std::int64_t, double>(n, 1.0 - p)(theirs)
                  : boost::random::binomial_distribution<std::int64_t, double>(n, p)(theirs);
      REQUIRE(sample_binomial(ours, n, p) == expected);
    }
    REQUIRE(ours() == theirs());
  }
}

TEST_CASE("uniform_below stays below its bound and is uniform") {
  RandomStream stream({21, 0, RandomPurpose::test, 0, 0});
  CHECK(uniform_below(stream, 1) == 0);
  const std::uint64_t bound = 7;
  std::vector<int> seen(bound, 0);
  const int draws = 70000;
  for (int i = 0; i < draws; ++i) {
    const auto x = uniform_below(stream, bound);
    REQUIRE(x < bound);
    ++seen[x];
  }
  const double p = 1.0 / static_cast<double>(bound);
  for (const int s : seen) CHECK(std::abs(s - draws * p) <= 5.0 * std::sqrt(draws * p * (1 - p)));
}

// One binomial over the total and a hypergeometric split give each group exactly Binomial(count, p): the onward
// draws of deciding.cpp rest on it.
TEST_CASE("the hypergeometric split conserves and follows the counts and is deterministic per stream") {
  const std::vector<std::int64_t> counts = {5, 0, 120, 1, 37, 2000, 3};
  const std::int64_t total = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
  std::vector<std::int64_t> out(counts.size());
  // Small draws (sorted positions), large draws (the hash set) and the complement (more than half drawn).
  for (const std::int64_t drawn :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{9}, std::int64_t{300}, total - 40, total}) {
    CAPTURE(drawn);
    RandomStream stream({31, 0, RandomPurpose::test, static_cast<std::uint64_t>(drawn), 0});
    std::vector<double> sum(counts.size(), 0.0);
    const int draws = drawn == 300 ? 2000 : 6000;
    for (int i = 0; i < draws; ++i) {
      sample_hypergeometric_split(stream, drawn, counts, out);
      REQUIRE(std::accumulate(out.begin(), out.end(), std::int64_t{0}) == drawn);
      for (std::size_t k = 0; k < counts.size(); ++k) {
        REQUIRE(out[k] >= 0);
        REQUIRE(out[k] <= counts[k]);
        sum[k] += static_cast<double>(out[k]);
      }
    }
    // Mean drawn * c / N; variance drawn (c/N)(1 - c/N)(N - drawn)/(N - 1).
    const auto n_total = static_cast<double>(total);
    for (std::size_t k = 0; k < counts.size(); ++k) {
      const double share = static_cast<double>(counts[k]) / n_total;
      const double mean = static_cast<double>(drawn) * share;
      const double variance =
          static_cast<double>(drawn) * share * (1 - share) * (n_total - static_cast<double>(drawn)) / (n_total - 1);
      CHECK(std::abs(sum[k] / draws - mean) <= 5.0 * std::sqrt(variance / draws) + 1e-12);
    }
  }
  // The same stream gives the same split.
  std::vector<std::int64_t> again(counts.size());
  RandomStream a({32, 0, RandomPurpose::test, 0, 0}), b({32, 0, RandomPurpose::test, 0, 0});
  for (int i = 0; i < 50; ++i) {
    sample_hypergeometric_split(a, 17 + i, counts, out);
    sample_hypergeometric_split(b, 17 + i, counts, again);
    REQUIRE(out == again);
  }
  CHECK_THROWS_AS(sample_hypergeometric_split(a, total + 1, counts, out), std::invalid_argument);
  CHECK_THROWS_AS(sample_hypergeometric_split(a, -1, counts, out), std::invalid_argument);
}

TEST_CASE("one binomial over the total split by the hypergeometric draws a binomial per group") {
  // Two groups of 30 and 70, p = 0.05: the first group's movers must be Binomial(30, 0.05) (mean 1.5, variance
  // 1.425), and P(0) = 0.95^30; a split that ignored the counts (e.g. half each) would fail both.
  const std::vector<std::int64_t> counts = {30, 70};
  std::vector<std::int64_t> out(2);
  RandomStream stream({33, 0, RandomPurpose::test, 0, 0});
  const int draws = 40000;
  double sum = 0.0, sum_sq = 0.0;
  int zeros = 0;
  for (int i = 0; i < draws; ++i) {
    const auto moving = sample_binomial(stream, 100, 0.05);
    sample_hypergeometric_split(stream, moving, counts, out);
    const auto x = static_cast<double>(out[0]);
    sum += x;
    sum_sq += x * x;
    zeros += out[0] == 0 ? 1 : 0;
  }
  const double mean = sum / draws;
  const double variance = sum_sq / draws - mean * mean;
  CHECK(std::abs(mean - 1.5) <= 5.0 * std::sqrt(1.425 / draws));
  CHECK(std::abs(variance - 1.425) <= 0.1);
  const double p0 = std::pow(0.95, 30);
  CHECK(std::abs(zeros / static_cast<double>(draws) - p0) <= 5.0 * std::sqrt(p0 * (1 - p0) / draws));
}

TEST_CASE("the person-by-person multinomial draws the multinomial's distribution") {
  // n = 60 over 20 categories: drawn person by person (n <= 4 K), where sample_multinomial uses binomials.
  std::vector<double> weights(20);
  for (std::size_t k = 0; k < weights.size(); ++k) weights[k] = k == 3 ? 0.0 : 1.0 + static_cast<double>(k % 5);
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::int64_t> out(weights.size());
  RandomStream stream({34, 0, RandomPurpose::test, 0, 0});
  const std::int64_t n = 60;
  const int draws = 5000;
  std::vector<double> sum(weights.size(), 0.0), sum_sq(weights.size(), 0.0);
  for (int i = 0; i < draws; ++i) {
    sample_multinomial_by_person(stream, n, weights, out);
    REQUIRE(std::accumulate(out.begin(), out.end(), std::int64_t{0}) == n);
    REQUIRE(out[3] == 0);
    for (std::size_t k = 0; k < weights.size(); ++k) {
      sum[k] += static_cast<double>(out[k]);
      sum_sq[k] += static_cast<double>(out[k] * out[k]);
    }
  }
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const double p = weights[k] / total;
    const double mean = sum[k] / draws;
    CHECK(std::abs(mean - n * p) <= 5.0 * std::sqrt(n * p * (1 - p) / draws) + 1e-12);
    if (p > 0) CHECK(std::abs(sum_sq[k] / draws - mean * mean - n * p * (1 - p)) <= 0.15 * n * p * (1 - p) + 0.05);
  }
  // Many people: conditional binomials, still exact in sum.
  sample_multinomial_by_person(stream, 100000, weights, out);
  CHECK(std::accumulate(out.begin(), out.end(), std::int64_t{0}) == 100000);
}

namespace {
// sample_multinomial_by_person's person-by-person draws as first written: a uniform times the total weight per
// person, the first category whose cumulative weight exceeds it (a binary search), stepping back over empty ones.
void split_by_binary_search(RandomStream& stream, std::int64_t n, const std::vector<double>& weights,
                            std::vector<std::int64_t>& out) {
  std::vector<double> cumulative(weights.size());
  double total = 0.0;
  for (std::size_t k = 0; k < weights.size(); ++k) cumulative[k] = total += std::max(weights[k], 0.0);
  std::fill(out.begin(), out.end(), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const double u = stream.uniform() * total;
    auto k = static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
    k = std::min(k, weights.size() - 1);
    while (weights[k] <= 0.0 && k > 0) --k;
    ++out[k];
  }
}
}  // namespace

TEST_CASE("the person-by-person split finds person for person the categories a binary search finds") {
  // Its guide table must give exactly the binary search's categories: the engine's results rest on it. Weights
  // even, skewed (one category holding nearly all, many tiny ones packed into one bucket), with empty categories
  // first, last and in runs, and rounding-prone totals; people from a few (binary search) to 4 per category (the
  // largest split drawn person by person).
  std::vector<std::vector<double>> weight_sets;
  weight_sets.push_back(std::vector<double>(4, 1.0));
  weight_sets.push_back({0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0});
  weight_sets.push_back({1e-300, 1.0, 1e-300, 1e-300, 0.0, 3.0, 1e-300});
  std::uint64_t state = 12345;
  auto next = [&state] {  // a small LCG: varied weights without another stream
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  for (const std::size_t categories : {std::size_t{5}, std::size_t{13}, std::size_t{48}, std::size_t{200}}) {
    std::vector<double> uneven(categories), packed(categories), holes(categories), tenths(categories);
    for (std::size_t k = 0; k < categories; ++k) {
      uneven[k] = std::pow(next(), 6.0);  // many near zero
      packed[k] = k == categories / 2 ? 1e6 : next() * 1e-3;
      holes[k] = k % 3 == 0 || k + 1 == categories ? 0.0 : next();
      tenths[k] = 0.1;
    }
    weight_sets.insert(weight_sets.end(), {uneven, packed, holes, tenths});
  }
  std::uint64_t entity = 0;
  for (const auto& weights : weight_sets) {
    const auto most = static_cast<std::int64_t>(4 * weights.size());
    for (const std::int64_t n : {std::int64_t{1}, std::int64_t{15}, std::int64_t{16}, most / 2 + 3, most}) {
      if (n > most) continue;
      CAPTURE(weights.size());
      CAPTURE(n);
      std::vector<std::int64_t> ours(weights.size()), reference(weights.size());
      RandomStream a({35, 0, RandomPurpose::test, ++entity, 0}), b({35, 0, RandomPurpose::test, entity, 0});
      for (int draw = 0; draw < 200; ++draw) {
        sample_multinomial_by_person(a, n, weights, ours);
        split_by_binary_search(b, n, weights, reference);
        REQUIRE(ours == reference);
      }
      CHECK(a() == b());  // and the streams stay in step
    }
  }
}
