#include "minnow/nn/normalization.hpp"

#include <vector>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/nn/format.hpp"

namespace minnow::nn {

namespace {

void check_dims(int64_t dims, const char* name, const char* layer) {
  if (dims <= 0) {
    throw ValueError("[" + std::string(layer) + "] " + name + " must be positive, got " +
                     std::to_string(dims));
  }
}

void check_eps(float eps, const char* layer) {
  if (!(eps > 0.0f)) {
    throw ValueError("[" + std::string(layer) + "] eps must be positive, got " + python_float(eps));
  }
}

void check_features(const Tensor& x, int64_t dims, const char* layer) {
  if (x.ndim() == 0 || x.dim(-1) != dims) {
    throw ShapeError("[" + std::string(layer) + "] expected the last axis of size " +
                     std::to_string(dims) + ", got an input of shape " + x.shape().to_string());
  }
}

const Tensor& no_tensor() {
  static const Tensor empty;
  return empty;
}

}  // namespace

// ---- LayerNorm ----------------------------------------------------------------------------------

LayerNorm::LayerNorm(int64_t dims, float eps, bool affine, bool bias)
    : dims_(dims), eps_(eps), bias_requested_(bias) {
  check_dims(dims, "dims", "LayerNorm");
  check_eps(eps, "LayerNorm");
  if (affine) {
    weight_ = register_parameter("weight", ones({dims}));
    if (bias) bias_ = register_parameter("bias", zeros({dims}));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  check_features(x, dims_, "LayerNorm");
  const Tensor centered = x - mean(x, -1, /*keepdims=*/true);
  Tensor y = centered * rsqrt(mean(square(centered), -1, /*keepdims=*/true) + eps_);
  if (weight_) y = y * param_at(*weight_);
  if (bias_) y = y + param_at(*bias_);
  return y;
}

json LayerNorm::config() const {
  return {{"type", "LayerNorm"},
          {"dims", dims_},
          {"eps", config_float(eps_)},
          {"affine", weight_.has_value()},
          {"bias", bias_requested_}};
}

std::string LayerNorm::extra_repr() const {
  return std::to_string(dims_) + ", eps=" + python_float(eps_) +
         ", affine=" + python_bool(weight_.has_value());
}

// ---- RMSNorm ------------------------------------------------------------------------------------

RMSNorm::RMSNorm(int64_t dims, float eps) : dims_(dims), eps_(eps) {
  check_dims(dims, "dims", "RMSNorm");
  check_eps(eps, "RMSNorm");
  weight_ = register_parameter("weight", ones({dims}));
}

Tensor RMSNorm::forward(const Tensor& x) {
  check_features(x, dims_, "RMSNorm");
  return x * rsqrt(mean(square(x), -1, /*keepdims=*/true) + eps_) * param_at(weight_);
}

json RMSNorm::config() const {
  return {{"type", "RMSNorm"}, {"dims", dims_}, {"eps", config_float(eps_)}};
}

std::string RMSNorm::extra_repr() const {
  return std::to_string(dims_) + ", eps=" + python_float(eps_);
}

// ---- BatchNorm ----------------------------------------------------------------------------------

BatchNorm::BatchNorm(int64_t num_features, float eps, float momentum, bool affine,
                     bool track_running_stats)
    : num_features_(num_features), eps_(eps), momentum_(momentum) {
  check_dims(num_features, "num_features", "BatchNorm");
  check_eps(eps, "BatchNorm");
  if (affine) {
    weight_ = register_parameter("weight", ones({num_features}));
    bias_ = register_parameter("bias", zeros({num_features}));
  }
  if (track_running_stats) {
    running_mean_ = register_parameter("running_mean", zeros({num_features}));
    running_var_ = register_parameter("running_var", ones({num_features}));
    after_unfreeze();
  }
}

void BatchNorm::after_unfreeze() {
  if (running_mean_) set_frozen(*running_mean_, true);
  if (running_var_) set_frozen(*running_var_, true);
}

const Tensor& BatchNorm::running_mean() const {
  return running_mean_ ? param_at(*running_mean_) : no_tensor();
}

const Tensor& BatchNorm::running_var() const {
  return running_var_ ? param_at(*running_var_) : no_tensor();
}

Tensor BatchNorm::forward(const Tensor& x) {
  if (x.ndim() < 2 || x.ndim() > 4) {
    throw ShapeError("[BatchNorm] expected an input of 2, 3 or 4 dimensions, got shape " +
                     x.shape().to_string());
  }
  check_features(x, num_features_, "BatchNorm");
  std::vector<int> axes;
  for (int axis = 0; axis < x.ndim() - 1; ++axis) axes.push_back(axis);
  const int64_t count = x.size() / num_features_;  // values per feature
  const bool tracking = running_mean_.has_value();

  Tensor batch_mean, batch_var;
  if (training() || !tracking) {
    if (training() && count < 2) {
      throw ValueError("[BatchNorm] training needs more than one value per feature, got shape " +
                       x.shape().to_string());
    }
    batch_mean = mean(x, axes);
    batch_var = var(x, axes);
  }
  const Tensor& mu = training() || !tracking ? batch_mean : param_at(*running_mean_);
  const Tensor& sigma2 = training() || !tracking ? batch_var : param_at(*running_var_);
  Tensor y = (x - mu) * rsqrt(sigma2 + eps_);
  if (weight_) y = y * param_at(*weight_) + param_at(*bias_);

  if (training() && tracking) {
    // The running statistics are state, not part of the computation being differentiated.
    const float unbiased = static_cast<float>(count) / static_cast<float>(count - 1);
    Tensor& running_mean = param_at(*running_mean_);
    Tensor& running_var = param_at(*running_var_);
    running_mean = running_mean * (1.0f - momentum_) + stop_gradient(batch_mean) * momentum_;
    running_var =
        running_var * (1.0f - momentum_) + stop_gradient(batch_var) * (momentum_ * unbiased);
  }
  return y;
}

json BatchNorm::config() const {
  return {{"type", "BatchNorm"},           {"num_features", num_features_},
          {"eps", config_float(eps_)},     {"momentum", config_float(momentum_)},
          {"affine", weight_.has_value()}, {"track_running_stats", running_mean_.has_value()}};
}

std::string BatchNorm::extra_repr() const {
  return std::to_string(num_features_) + ", eps=" + python_float(eps_) +
         ", momentum=" + python_float(momentum_) + ", affine=" + python_bool(weight_.has_value()) +
         ", track_running_stats=" + python_bool(running_mean_.has_value());
}

}  // namespace minnow::nn
