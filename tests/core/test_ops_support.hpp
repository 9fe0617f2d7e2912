#pragma once
// Helpers shared by the tests of core/ops_*.cpp: value checks that do not rely on the ops under
// test, and random inputs from a fixed seed.

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"

namespace minnow::testing {

inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Same shape, and every element within tol (relative to 1 + |expected|); NaN matches NaN and
/// infinities must match exactly. Prints both tensors on failure.
inline void check_tensor(const Tensor& actual, const Tensor& expected, float tol = 1e-6f) {
  INFO("actual:   ", actual.to_string());
  INFO("expected: ", expected.to_string());
  REQUIRE(actual.shape() == expected.shape());
  bool same = true;
  for (int64_t i = 0; i < actual.size(); ++i) {
    const float a = actual.data()[i];
    const float e = expected.data()[i];
    const bool both_nan = std::isnan(a) && std::isnan(e);
    same = same && (both_nan || a == e || std::abs(a - e) <= tol * (1.0f + std::abs(e)));
  }
  CHECK(same);
}

/// The same with the expected values given as a flat list in row-major order.
inline void check_tensor(const Tensor& actual, const Shape& shape, const std::vector<float>& values,
                         float tol = 1e-6f) {
  check_tensor(actual, Tensor(values, shape), tol);
}

/// The parameter list of a function given to grad / value_and_grad.
using Params = std::vector<Tensor>;

/// A column vector [n, 1]. (Tensor({{1}, {2}}) is ambiguous: {1} also initializes a float.)
inline Tensor column(const std::vector<float>& values) {
  return Tensor(values, Shape{static_cast<int64_t>(values.size()), 1});
}

/// Standard normal samples from a generator with a fixed seed.
inline Tensor normal_input(const Shape& shape, uint64_t seed) {
  random::Generator gen(seed);
  return random::normal(shape, 0.0f, 1.0f, &gen);
}

}  // namespace minnow::testing
