#pragma once
// Gradient clipping by global norm, as mlx.optimizers.clip_grad_norm.

#include <utility>

#include "minnow/core/tensor_map.hpp"

namespace minnow::optim {

/// Scales every gradient by min(max_norm / (total + 1e-6), 1), where total = √(Σ‖g‖²) is the
/// norm of all the gradients together. Returns the scaled gradients (new tensors, with the
/// same names in the same order and the same key table, so the optimizer's fast path still
/// applies; the inputs themselves when no scaling is needed) and `total`.
/// ValueError for a negative max_norm.
std::pair<TensorMap, float> clip_grad_norm(const TensorMap& grads, float max_norm);

}  // namespace minnow::optim
