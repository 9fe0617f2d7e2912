#pragma once
// The one finite-difference gradient checker every test uses: it compares value_and_grad's
// gradients with central differences, element by element.

#include <functional>
#include <string>
#include <vector>

#include "minnow/core/tensor.hpp"

namespace minnow::testing {

struct GradCheckOptions {
  float eps = 1e-2f;   // finite-difference step
  float atol = 2e-2f;  // |analytic - numeric| <= atol + rtol * |numeric|
  float rtol = 2e-2f;
};

/// Checks the gradients of a scalar-valued fn at `inputs`. Returns "" when every element agrees,
/// else a description of the first disagreement (input, index, analytic, numeric).
std::string check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                            const std::vector<Tensor>& inputs,
                            const GradCheckOptions& options = {});

/// The same for a tensor-valued fn: the checked scalar is sum(fn(inputs) * w) for a fixed random
/// w, so every output element's gradient takes part.
std::string check_op_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                               const std::vector<Tensor>& inputs,
                               const GradCheckOptions& options = {});

}  // namespace minnow::testing
