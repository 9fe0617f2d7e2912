#pragma once
// minnow: a small, fast neural-network library in the spirit of MLX's mlx.nn.
// One include gives the whole library:
//
//   #include <minnow/minnow.hpp>
//   using namespace minnow;
//   nn::Sequential model{nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 1)};
//   optim::SGD optimizer(0.1f);
//   auto loss_and_grad = nn::value_and_grad(model, [](nn::Module& m, const Tensor& x,
//                                                     const Tensor& y) {
//     return nn::losses::mse_loss(m(x), y);
//   });
//   auto [loss, grads] = loss_and_grad(model, x, y);
//   optimizer.update(model, grads);
//   io::save(model, "model.json");

#include "minnow/core/autograd.hpp"
#include "minnow/core/error.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/core/shape.hpp"
#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_map.hpp"
#include "minnow/core/threads.hpp"
#include "minnow/io/io.hpp"
#include "minnow/nn/nn.hpp"
#include "minnow/optim/optim.hpp"
