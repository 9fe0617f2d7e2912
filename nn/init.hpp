#pragma once
// The initializers of mlx.nn.init. Each factory returns an initializer: a function that, given a
// tensor, returns a new tensor of the same shape (the values of its argument are ignored):
//
//   model.apply([](const std::string&, const Tensor& w) { return nn::init::he_uniform()(w); });
//
// Random initializers draw from `gen`, or from the default generator (random::seed) when it is
// null, so models built after the same seed are identical. A generator passed in must outlive
// the initializer.
//
// Fans follow MLX: fan_in = shape[-1], fan_out = shape[0], both multiplied by the receptive field
// prod(shape[1:-1]) for more than two dimensions; fewer than two dimensions is a ValueError.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "minnow/core/random.hpp"
#include "minnow/core/tensor.hpp"

namespace minnow::nn::init {

/// Returns a new tensor with the shape of its argument.
using Initializer = std::function<Tensor(const Tensor& a)>;

/// (fan_in, fan_out) of a weight of `shape`, as MLX computes them.
std::pair<int64_t, int64_t> fan_in_fan_out(const Shape& shape);

/// Every element equal to `value`.
Initializer constant(float value);
/// N(mean, std^2).
Initializer normal(float mean = 0.0f, float std = 1.0f, random::Generator* gen = nullptr);
/// U(low, high).
Initializer uniform(float low = 0.0f, float high = 1.0f, random::Generator* gen = nullptr);
/// The identity matrix; the argument must be a square matrix (ValueError otherwise).
Initializer identity();

/// The Glorot (Xavier) initializers, called as init(a, gain = 1).
class GlorotInitializer {
 public:
  GlorotInitializer(bool uniform, random::Generator* gen) : uniform_(uniform), gen_(gen) {}
  Tensor operator()(const Tensor& a, float gain = 1.0f) const;

 private:
  bool uniform_;
  random::Generator* gen_;
};
/// N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
GlorotInitializer glorot_normal(random::Generator* gen = nullptr);
/// U(-limit, limit) with limit = gain * sqrt(6 / (fan_in + fan_out)).
GlorotInitializer glorot_uniform(random::Generator* gen = nullptr);

/// The He (Kaiming) initializers, called as init(a, mode = "fan_in", gain = 1). mode is
/// "fan_in" or "fan_out" (ValueError otherwise). As in MLX there is no sqrt(2) factor: pass
/// gain = sqrt(2) for the classic ReLU initialization.
class HeInitializer {
 public:
  HeInitializer(bool uniform, random::Generator* gen) : uniform_(uniform), gen_(gen) {}
  Tensor operator()(const Tensor& a, const std::string& mode = "fan_in", float gain = 1.0f) const;

 private:
  bool uniform_;
  random::Generator* gen_;
};
/// N(0, std^2) with std = gain / sqrt(fan).
HeInitializer he_normal(random::Generator* gen = nullptr);
/// U(-limit, limit) with limit = gain * sqrt(3 / fan).
HeInitializer he_uniform(random::Generator* gen = nullptr);

/// For a matrix only: N(mean, std^2), then exactly ceil(sparsity * columns) zeros at random
/// positions in each row. sparsity must be in [0, 1].
Initializer sparse(float sparsity, float mean = 0.0f, float std = 1.0f,
                   random::Generator* gen = nullptr);
/// For a matrix only: an orthogonal matrix (orthonormal rows or columns, whichever are fewer),
/// times gain: the Q of the QR decomposition of an n x n normal matrix, n = max(rows, cols),
/// with signs fixed by diag(R), cut to [rows, cols].
Initializer orthogonal(float gain = 1.0f, random::Generator* gen = nullptr);

}  // namespace minnow::nn::init
