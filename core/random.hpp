#pragma once
// Random numbers from an explicit, seedable generator. The same seed gives the same numbers on
// every platform: the generator (PCG32) and the transformations are minnow's own, not the
// standard library's implementation-defined distributions.

#include <cstdint>

#include "minnow/core/tensor.hpp"

namespace minnow::random {

/// PCG32 (O'Neill, XSH-RR): small, fast, and fully specified.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0);
  void seed(uint64_t seed);
  /// The next 32 random bits.
  uint32_t next_u32();
  /// Uniform in [0, 1), 24 bits of precision.
  float next_float();
  /// Standard normal (Box-Muller).
  float next_normal();
  /// Uniform integer in [0, n).
  uint64_t next_below(uint64_t n);

 private:
  uint64_t state_ = 0;
  uint64_t increment_ = 0;
  bool has_spare_normal_ = false;
  float spare_normal_ = 0.0f;
};

/// Re-seeds the default generator (used whenever no generator is passed).
void seed(uint64_t seed);
/// The default generator. Not synchronized: seed and draw from one thread at a time.
Generator& default_generator();

/// Samples of N(loc, scale^2).
Tensor normal(const Shape& shape, float loc = 0.0f, float scale = 1.0f, Generator* gen = nullptr);
/// Samples of U[low, high).
Tensor uniform(const Shape& shape, float low = 0.0f, float high = 1.0f, Generator* gen = nullptr);
/// 1.0 with probability p, else 0.0.
Tensor bernoulli(const Shape& shape, float p = 0.5f, Generator* gen = nullptr);
/// A random permutation of 0 .. n-1 (as float32 indices), for shuffling.
Tensor permutation(int64_t n, Generator* gen = nullptr);

}  // namespace minnow::random
