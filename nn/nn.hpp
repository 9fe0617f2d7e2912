#pragma once
// minnow::nn in one include: modules, layers, activations, normalization, losses, initializers,
// value_and_grad and the registry.

#include <array>
#include <string_view>

#include "minnow/nn/activations.hpp"
#include "minnow/nn/format.hpp"
#include "minnow/nn/init.hpp"
#include "minnow/nn/layers.hpp"
#include "minnow/nn/losses.hpp"
#include "minnow/nn/module.hpp"
#include "minnow/nn/normalization.hpp"
#include "minnow/nn/registry.hpp"
#include "minnow/nn/value_and_grad.hpp"

namespace minnow::nn {

/// Every module type minnow registers itself, in the order of the registry's table. The table
/// (nn/registry.cpp) and the tests check their lists against this one at compile time, so a
/// type added here and forgotten there fails the build.
inline constexpr auto builtin_module_types = std::to_array<std::string_view>(
    {// layers
     "Identity", "Linear", "Bilinear", "Sequential", "Dropout",
     // normalization
     "LayerNorm", "RMSNorm", "BatchNorm",
     // activations
     "ReLU", "ReLU2", "ReLU6", "LeakyReLU", "PReLU", "ELU", "CELU", "SELU", "Sigmoid", "LogSigmoid",
     "SiLU", "Tanh", "Softplus", "Softsign", "Softshrink", "HardShrink", "HardTanh", "Hardswish",
     "Mish", "GELU", "GLU", "Softmax", "Softmin", "LogSoftmax", "Step"});

}  // namespace minnow::nn
