#pragma once
// The baseline every MLP figure is a ratio to: the benchmarked MLP written by hand with Eigen,
// as a careful engineer would write it for one fixed architecture. Every buffer is allocated
// once, the backward pass is explicit, bias and ReLU are fused into one pass after each matrix
// product, the parameters live in one flat vector so that the optimizers update them in a single
// sweep, and matrix products go through the same kernels as the library's (OpenBLAS when minnow
// is built with it, Eigen's for products too small to pay for OpenBLAS's dispatch, and for all
// of them without OpenBLAS).

#include <array>
#include <span>

#include <Eigen/Core>

#include "minnow/core/eigen.hpp"
#include "mlp_config.hpp"

namespace minnow::bench {

/// While alive, OpenBLAS runs its products on `threads` threads of its own, as a hand-written
/// program would have it; afterwards it is single-threaded again, as minnow keeps it (minnow
/// splits its products across its own threads). Does nothing without OpenBLAS.
class BlasThreadsScope {
 public:
  explicit BlasThreadsScope(int threads);
  ~BlasThreadsScope();
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;
};

class ReferenceMlp {
 public:
  static constexpr int kLayers = 3;

  /// Buffers for `config`, with zero parameters: load them with set_layer().
  explicit ReferenceMlp(const MlpConfig& config);

  /// Copies layer `layer`'s weight ([out, in], row-major, as nn::Linear stores it) and bias.
  void set_layer(int layer, std::span<const float> weight, std::span<const float> bias);

  /// The network's output for the batch `x` ([batch, in], row-major): a view of an internal
  /// buffer of [batch, out], valid until the next call.
  std::span<const float> forward(const float* x);
  /// The mean squared error of forward(x) against `target` ([batch, out]).
  float loss(const float* x, const float* target);
  /// One training step with plain SGD (p -= lr * g). Returns the loss before the update.
  float sgd_step(const float* x, const float* target, float learning_rate);
  /// One training step with MLX's Adam (no bias correction). Returns the loss before the update.
  float adam_step(const float* x, const float* target, float learning_rate);

  /// The number of parameters.
  Eigen::Index num_parameters() const { return parameters_.size(); }

 private:
  struct Layer {
    Eigen::Index in = 0;
    Eigen::Index out = 0;
    Eigen::Index weight_offset = 0;  // into the flat parameter (and gradient) vectors
    Eigen::Index bias_offset = 0;
    RowMajorMatrix activation;  // [batch, out]: the layer's output after bias (and ReLU)
    RowMajorMatrix delta;       // [batch, out]: d loss / d pre-activation
  };

  // Forward pass, then the loss and its gradient with respect to the output (in the last
  // layer's delta).
  float forward_with_loss_gradient(const float* x, const float* target);
  // Gradients of every parameter into gradients_, from the deltas left by the pass above.
  void backward(const float* x);

  Eigen::Index batch_;
  std::array<Layer, kLayers> layers_;
  Eigen::VectorXf parameters_;
  Eigen::VectorXf gradients_;
  Eigen::VectorXf adam_m_;
  Eigen::VectorXf adam_v_;
};

}  // namespace minnow::bench
