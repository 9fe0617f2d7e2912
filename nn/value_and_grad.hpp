#pragma once
// nn::value_and_grad(model, loss_fn), as in MLX: a callable that runs loss_fn and returns the
// loss and its gradients with respect to the model's trainable parameters, by dotted name.
//
//   auto loss_and_grad = nn::value_and_grad(model, [](nn::Module& m, const Tensor& x,
//                                                     const Tensor& y) {
//     return nn::losses::mse_loss(m(x), y);
//   });
//   auto [loss, grads] = loss_and_grad(model, x, y);
//   optimizer.update(model, grads);

#include <utility>

#include "minnow/core/autograd.hpp"
#include "minnow/nn/module.hpp"

namespace minnow::nn {

template <class LossFn>
auto value_and_grad(Module& model, LossFn loss_fn) {
  return [&model, loss_fn](auto&&... args) -> std::pair<Tensor, TensorMap> {
    const TensorMap params = model.trainable_parameters();
    auto call = [&] { return loss_fn(std::forward<decltype(args)>(args)...); };
    // Capturing one reference keeps the std::function inside in its small buffer (no heap).
    return minnow::value_and_grad([&call](const TensorMap&) { return call(); }, params);
  };
}

}  // namespace minnow::nn
