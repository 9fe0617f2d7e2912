#pragma once
// Small helpers shared by the nn tests.

#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <string>

#include "minnow/core/ops.hpp"
#include "minnow/core/tensor.hpp"

namespace minnow::testing {

/// Checks shape and values (|a - e| <= atol + rtol |e|), showing both tensors on failure.
inline void check_close(const Tensor& actual, const Tensor& expected, float atol = 1e-5f,
                        float rtol = 1e-5f) {
  INFO("actual:   " << actual.to_string());
  INFO("expected: " << expected.to_string());
  REQUIRE(actual.shape() == expected.shape());
  CHECK(allclose(actual, expected, rtol, atol));
}

/// A column vector [n, 1]: Tensor({{1}, {2}}) would be ambiguous with a 1-D list.
inline Tensor column(std::initializer_list<float> values) {
  return reshape(Tensor(values), {static_cast<int64_t>(values.size()), 1});
}

/// Deterministic inputs of any shape, away from the kinks of every activation (0, +-0.5, +-1,
/// +-3, 6), so that finite differences are meaningful.
inline Tensor sample_input(const Shape& shape) {
  static const float pattern[] = {-2.3f, -0.8f, -0.2f, 0.3f,  0.7f, 1.4f,
                                  2.6f,  -1.6f, 0.15f, -0.4f, 1.1f, 3.2f};
  Tensor t = zeros(shape);
  float* data = t.data();
  for (int64_t i = 0; i < t.size(); ++i)
    data[i] = pattern[i % 12] + 0.01f * static_cast<float>(i / 12);
  return t;
}

}  // namespace minnow::testing
