#include "minnow/core/random.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "minnow/core/eigen.hpp"
#include "minnow/core/tensor_impl.hpp"

namespace minnow::random {

namespace {

constexpr uint64_t kMultiplier = 6364136223846793005ULL;
constexpr uint64_t kStream = 0xda3e39cb94b95bdbULL;  // PCG's default stream

Generator& generator_or_default(Generator* gen) {
  return gen ? *gen : default_generator();
}

// The scope that skips draws from `g`, if any: only the default generator's draws are skipped.
detail::SkipDrawsScope* skipping(const Generator& g) {
  detail::SkipDrawsScope* scope = detail::SkipDrawsScope::active();
  return scope != nullptr && &g == &default_generator() ? scope : nullptr;
}

template <class Draw>
Tensor sample(const Shape& shape, Draw&& draw) {
  Tensor t = minnow::detail::make_tensor(shape);
  float* out = t.data();
  for (int64_t i = 0, n = t.size(); i < n; ++i) out[i] = draw();
  return t;
}

}  // namespace

Generator::Generator(uint64_t seed) {
  this->seed(seed);
}

void Generator::seed(uint64_t seed) {
  // pcg32_srandom_r: fixed stream, state advanced around the seed.
  state_ = 0;
  increment_ = (kStream << 1u) | 1u;
  next_u32();
  state_ += seed;
  next_u32();
  has_spare_normal_ = false;
}

uint32_t Generator::next_u32() {
  const uint64_t old = state_;
  state_ = old * kMultiplier + increment_;
  const auto xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rot = static_cast<uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

float Generator::next_float() {
  return static_cast<float>(next_u32() >> 8) * 0x1.0p-24f;
}

float Generator::next_normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // Box-Muller in double precision; u1 in (0, 1] so that the log is finite.
  const double u1 = 1.0 - static_cast<double>(next_u32() >> 8) * 0x1.0p-24;
  const double u2 = static_cast<double>(next_u32() >> 8) * 0x1.0p-24;
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = static_cast<float>(radius * std::sin(angle));
  has_spare_normal_ = true;
  return static_cast<float>(radius * std::cos(angle));
}

uint64_t Generator::next_below(uint64_t n) {
  if (n == 0) throw ValueError("[random] next_below needs n > 0");
  // Rejection sampling on 64 bits: no modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  while (true) {
    const uint64_t r = (static_cast<uint64_t>(next_u32()) << 32) | next_u32();
    if (r < limit) return r % n;
  }
}

void Generator::discard(uint64_t count) {
  // The LCG's step applied `count` times is again x -> a x + c: square-and-multiply on the pair
  // (Brown, "Random Number Generation with Arbitrary Strides", 1994), as pcg32_advance_r.
  uint64_t total_multiplier = 1;
  uint64_t total_increment = 0;
  uint64_t multiplier = kMultiplier;
  uint64_t increment = increment_;
  for (; count > 0; count >>= 1u) {
    if ((count & 1u) != 0) {
      total_multiplier *= multiplier;
      total_increment = total_increment * multiplier + increment;
    }
    increment = (multiplier + 1) * increment;
    multiplier *= multiplier;
  }
  state_ = total_multiplier * state_ + total_increment;
}

void Generator::discard_normals(uint64_t count) {
  if (count > 0 && has_spare_normal_) {
    has_spare_normal_ = false;
    --count;
  }
  // Each pair of normals takes two draws; an odd one out leaves the other of its pair spare, so
  // it is drawn for real.
  discard(count / 2 * 2);
  if (count % 2 == 1) next_normal();
}

Generator& default_generator() {
  static Generator instance(0);
  return instance;
}

void seed(uint64_t seed) {
  default_generator().seed(seed);
}

Tensor normal(const Shape& shape, float loc, float scale, Generator* gen) {
  if (!(scale >= 0.0f)) throw ValueError("[normal] scale must be non-negative");
  Generator& g = generator_or_default(gen);
  if (detail::SkipDrawsScope* skip = skipping(g)) {
    Tensor t = skip->skip(shape);
    g.discard_normals(static_cast<uint64_t>(t.size()));
    return t;
  }
  return sample(shape, [&] { return loc + scale * g.next_normal(); });
}

Tensor uniform(const Shape& shape, float low, float high, Generator* gen) {
  if (!(low <= high)) throw ValueError("[uniform] low must not exceed high");
  Generator& g = generator_or_default(gen);
  if (detail::SkipDrawsScope* skip = skipping(g)) {
    Tensor t = skip->skip(shape);
    g.discard(static_cast<uint64_t>(t.size()));  // one next_float, one next_u32, per value
    return t;
  }
  return sample(shape, [&] { return low + (high - low) * g.next_float(); });
}

Tensor bernoulli(const Shape& shape, float p, Generator* gen) {
  if (!(p >= 0.0f && p <= 1.0f)) {
    throw ValueError("[bernoulli] p must be in [0, 1], got " + std::to_string(p));
  }
  Generator& g = generator_or_default(gen);
  if (detail::SkipDrawsScope* skip = skipping(g)) {
    Tensor t = skip->skip(shape);
    g.discard(static_cast<uint64_t>(t.size()));
    return t;
  }
  return sample(shape, [&] { return g.next_float() < p ? 1.0f : 0.0f; });
}

Tensor permutation(int64_t n, Generator* gen) {
  if (n < 0) throw ValueError("[permutation] n must be non-negative");
  Generator& g = generator_or_default(gen);
  Tensor t = arange(static_cast<float>(n));
  float* v = t.data();
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(v[i], v[g.next_below(static_cast<uint64_t>(i) + 1)]);
  }
  return t;
}

// ---- skipped draws ------------------------------------------------------------------------------

namespace detail {

namespace {

thread_local SkipDrawsScope* innermost_scope = nullptr;

}  // namespace

SkipDrawsScope::SkipDrawsScope() : enclosing_(innermost_scope), start_(default_generator()) {
  innermost_scope = this;
}

SkipDrawsScope::~SkipDrawsScope() {
  innermost_scope = enclosing_;
}

RealDrawsScope::RealDrawsScope() : suspended_(innermost_scope) {
  innermost_scope = nullptr;
}

RealDrawsScope::~RealDrawsScope() {
  innermost_scope = suspended_;
}

SkipDrawsScope* SkipDrawsScope::active() {
  return innermost_scope;
}

bool SkipDrawsScope::draws_outlived() const {
  return std::any_of(skipped_.begin(), skipped_.end(),
                     [](const auto& tensor) { return !tensor.expired(); });
}

void SkipDrawsScope::rewind_generator() const {
  default_generator() = start_;
}

Tensor SkipDrawsScope::skip(const Shape& shape) {
  Tensor t = minnow::detail::make_tensor(shape);
  skipped_.emplace_back(t.impl());
  return t;
}

}  // namespace detail

}  // namespace minnow::random
