#pragma once
// Normalization layers of mlx.nn: LayerNorm, RMSNorm and BatchNorm. Features are on the last
// axis (channels-last, as in MLX); eps must be positive (ValueError otherwise).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "minnow/nn/module.hpp"

namespace minnow::nn {

/// (x - mean) / sqrt(var + eps) * weight + bias over the last axis (biased variance), with
/// weight ones [dims] (when affine) and bias zeros [dims] (when affine and bias).
class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dims, float eps = 1e-5f, bool affine = true, bool bias = true);

  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "LayerNorm"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  int64_t dims_;
  float eps_;
  bool bias_requested_;
  std::optional<size_t> weight_;
  std::optional<size_t> bias_;
};

/// x / sqrt(mean(x^2) + eps) * weight over the last axis, with weight ones [dims].
class RMSNorm : public Module {
 public:
  explicit RMSNorm(int64_t dims, float eps = 1e-5f);

  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "RMSNorm"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  int64_t dims_;
  float eps_;
  size_t weight_;
};

/// Batch normalization over every axis but the last (inputs [N, C], [N, L, C] or [N, H, W, C]).
/// Training: normalizes with the batch mean and biased variance and, when tracking, updates
/// running_mean = (1 - momentum) running_mean + momentum mean and running_var likewise with the
/// unbiased variance. Evaluation with tracking: normalizes with the running statistics.
/// running_mean (zeros) and running_var (ones) are frozen parameters: saved and loaded with the
/// model, never given gradients; unfreeze() leaves them frozen.
class BatchNorm : public Module {
 public:
  explicit BatchNorm(int64_t num_features, float eps = 1e-5f, float momentum = 0.1f,
                     bool affine = true, bool track_running_stats = true);

  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm"; }
  json config() const override;
  std::string extra_repr() const override;

  /// The running statistics; empty handles when track_running_stats is false.
  const Tensor& running_mean() const;
  const Tensor& running_var() const;

 protected:
  void after_unfreeze() override;

 private:
  int64_t num_features_;
  float eps_;
  float momentum_;
  std::optional<size_t> weight_, bias_;
  std::optional<size_t> running_mean_, running_var_;
};

}  // namespace minnow::nn
