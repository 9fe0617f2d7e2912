#pragma once
// The basic layers of mlx.nn: Identity, Linear, Bilinear, Sequential and Dropout. Each mirrors
// MLX's class of the same name: constructor arguments, defaults, parameter names and layouts,
// initialization and printed form.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "minnow/nn/module.hpp"

namespace minnow::nn {

/// Returns its input unchanged.
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
  json config() const override;
};

/// y = x W^T + b, with weight [output_dims, input_dims] and bias [output_dims], both drawn from
/// U(-k, k), k = 1/sqrt(input_dims), with the default generator (weight first).
class Linear : public Module {
 public:
  Linear(int64_t input_dims, int64_t output_dims, bool bias = true);

  /// x is [..., input_dims]; the result is [..., output_dims].
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Linear"; }
  json config() const override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return param_at(weight_); }
  /// The bias, or an empty handle when the layer has none.
  const Tensor& bias() const;
  bool has_bias() const { return bias_.has_value(); }
  int64_t input_dims() const { return input_dims_; }
  int64_t output_dims() const { return output_dims_; }

 private:
  int64_t input_dims_;
  int64_t output_dims_;
  size_t weight_;
  std::optional<size_t> bias_;
};

/// y_i = x2^T W_i x1 + b_i, with weight [output_dims, input2_dims, input1_dims] and bias
/// [output_dims], both drawn from U(-k, k), k = 1/sqrt(input1_dims).
class Bilinear : public Module {
 public:
  Bilinear(int64_t input1_dims, int64_t input2_dims, int64_t output_dims, bool bias = true);

  /// x1 is [..., input1_dims] and x2 is [..., input2_dims] with the same leading axes; the
  /// result is [..., output_dims].
  Tensor forward(const Tensor& x1, const Tensor& x2);
  Tensor operator()(const Tensor& x1, const Tensor& x2) { return forward(x1, x2); }
  using Module::operator();
  /// A minnow extension, so that Bilinear can sit in a Sequential: x is [..., input1_dims +
  /// input2_dims], the concatenation of x1 and x2 along the last axis.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Bilinear"; }
  json config() const override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return param_at(weight_); }
  /// The bias, or an empty handle when the layer has none.
  const Tensor& bias() const;
  bool has_bias() const { return bias_.has_value(); }

 private:
  int64_t input1_dims_;
  int64_t input2_dims_;
  int64_t output_dims_;
  size_t weight_;
  std::optional<size_t> bias_;
};

/// Calls its layers in order. Children are named layers.0, layers.1, ..., so parameters are
/// layers.0.weight, ... as in MLX:
///   nn::Sequential model{nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 1)};
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<ModulePtr> layers);
  explicit Sequential(std::vector<ModulePtr> layers);

  /// Adds a layer at the end (named layers.<size()>).
  Sequential& append(ModulePtr layer);
  /// The number of layers.
  size_t size() const { return size_; }
  /// Layer i; IndexError when out of range.
  Module& operator[](size_t i) const;

  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  /// {"type": "Sequential", "layers": [<config of each layer>]}.
  json config() const override;

 private:
  size_t size_ = 0;
};

/// Zeroes each element with probability p during training and scales the rest by 1/(1 - p);
/// the identity in evaluation mode. p must be in [0, 1) (ValueError otherwise).
class Dropout : public Module {
 public:
  explicit Dropout(float p = 0.5f);

  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  json config() const override;
  std::string extra_repr() const override;

  float p() const { return p_; }

 private:
  float p_;
};

}  // namespace minnow::nn
