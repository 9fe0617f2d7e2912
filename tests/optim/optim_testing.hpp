#pragma once
// Small helpers shared by the optim tests.

#include <doctest/doctest.h>

#include <initializer_list>
#include <vector>

#include "minnow/core/ops.hpp"
#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_map.hpp"
#include "minnow/optim/optimizer.hpp"
#include "nn/nn_testing.hpp"

namespace minnow::testing {

/// Runs one apply_gradients per gradient on a single parameter "w" that starts at `initial`,
/// and returns the parameter (updated in place, as the optimizer does).
inline Tensor run_steps(optim::Optimizer& optimizer, const Tensor& initial,
                        const std::vector<Tensor>& gradients) {
  TensorMap params{{"w", initial.copy()}};
  for (const Tensor& g : gradients) {
    const TensorMap updated = optimizer.apply_gradients(TensorMap{{"w", g}}, params);
    REQUIRE(updated.size() == 1);
    CHECK(updated.at("w").shares_data(params.at("w")));  // written in place
  }
  return params.at("w");
}

/// The values of `t` against `expected` (same number of elements), within a float32 tolerance.
inline void check_values(const Tensor& t, std::initializer_list<float> expected, float atol = 2e-6f,
                         float rtol = 2e-6f) {
  check_close(reshape(t, {t.size()}), Tensor(expected), atol, rtol);
}

}  // namespace minnow::testing
