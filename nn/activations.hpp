#pragma once
// Every activation of mlx.nn, as a function and as a Module, with MLX's formulas and defaults.
// Modules of the functions without arguments take no constructor arguments; Softmax, Softmin
// and LogSoftmax modules always work on the last axis, as in MLX.
//
// Step is minnow's namesake: 1.0 where x >= threshold, else 0.0 (float32), with zero gradient
// by default, or the straight-through estimator on request. See docs/activations.md.

#include <cstddef>
#include <cstdint>
#include <string>

#include "minnow/core/ops.hpp"
#include "minnow/nn/module.hpp"

namespace minnow::nn {

// ---- functions --------------------------------------------------------------------------------

/// max(x, 0).
Tensor relu(const Tensor& x);
/// max(x, 0)^2.
Tensor relu2(const Tensor& x);
/// min(max(x, 0), 6).
Tensor relu6(const Tensor& x);
/// max(negative_slope * x, x).
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
/// max(0, x) + alpha * min(0, x); alpha broadcasts against x (on the last axis).
Tensor prelu(const Tensor& x, const Tensor& alpha);
/// x where x > 0, else alpha * (exp(x) - 1).
Tensor elu(const Tensor& x, float alpha = 1.0f);
/// max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1).
Tensor celu(const Tensor& x, float alpha = 1.0f);
/// 1.0507 * elu(x, 1.67326): MLX's (five-digit) constants.
Tensor selu(const Tensor& x);
/// 1 / (1 + exp(-x)) (the core op).
using minnow::sigmoid;
/// log(sigmoid(x)) = -softplus(-x).
Tensor log_sigmoid(const Tensor& x);
/// x * sigmoid(x), also called Swish.
Tensor silu(const Tensor& x);
/// The hyperbolic tangent (the core op).
using minnow::tanh;
/// log(1 + exp(x)) = logaddexp(x, 0).
Tensor softplus(const Tensor& x);
/// x / (1 + |x|).
Tensor softsign(const Tensor& x);
/// x - sign(x) * lambd where |x| > lambd, else 0.
Tensor softshrink(const Tensor& x, float lambd = 0.5f);
/// x where |x| > lambd, else 0 (so |x| == lambd gives 0).
Tensor hard_shrink(const Tensor& x, float lambd = 0.5f);
/// min(max(x, min_val), max_val).
Tensor hard_tanh(const Tensor& x, float min_val = -1.0f, float max_val = 1.0f);
/// x * min(max(x + 3, 0), 6) / 6.
Tensor hardswish(const Tensor& x);
/// x * tanh(softplus(x)).
Tensor mish(const Tensor& x);
/// x * (1 + erf(x / sqrt(2))) / 2: the exact GELU.
Tensor gelu(const Tensor& x);
/// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).
Tensor gelu_approx(const Tensor& x);
/// x * sigmoid(1.702 x).
Tensor gelu_fast_approx(const Tensor& x);
/// Splits `axis` into halves a and b and returns a * sigmoid(b).
Tensor glu(const Tensor& x, int axis = -1);
/// exp(x) / sum(exp(x)) along `axis` (the core op).
using minnow::softmax;
/// softmax(-x, axis).
Tensor softmin(const Tensor& x, int axis = -1);
/// x - logsumexp(x) along `axis`, max-shifted (the core op).
using minnow::log_softmax;

/// What Step passes back as its gradient.
enum class StepGradient {
  zero,              ///< no gradient (MLX's behaviour: the function is piecewise constant)
  straight_through,  ///< the incoming gradient, unchanged (the straight-through estimator)
};
/// "zero" or "straight_through".
std::string to_string(StepGradient gradient);

/// 1.0 where x >= threshold, else 0.0 (so x == threshold gives 1).
Tensor step(const Tensor& x, float threshold = 0.0f, StepGradient gradient = StepGradient::zero);

// ---- modules ----------------------------------------------------------------------------------

/// Base of the activation modules that take no constructor arguments: their config is
/// {"type": <name>} and they print as "<name>()".
class SimpleActivation : public Module {
 public:
  json config() const override { return {{"type", type_name()}}; }
};

/// relu(x).
class ReLU : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  std::string type_name() const override { return "ReLU"; }
};

/// relu2(x).
class ReLU2 : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return relu2(x); }
  std::string type_name() const override { return "ReLU2"; }
};

/// relu6(x).
class ReLU6 : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return relu6(x); }
  std::string type_name() const override { return "ReLU6"; }
};

/// leaky_relu(x, negative_slope).
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(float negative_slope = 0.01f) : negative_slope_(negative_slope) {}
  Tensor forward(const Tensor& x) override { return leaky_relu(x, negative_slope_); }
  std::string type_name() const override { return "LeakyReLU"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  float negative_slope_;
};

/// prelu(x, weight) with a learned weight of shape [num_parameters], all `init` at first.
class PReLU : public Module {
 public:
  explicit PReLU(int64_t num_parameters = 1, float init = 0.25f);
  Tensor forward(const Tensor& x) override { return prelu(x, weight()); }
  std::string type_name() const override { return "PReLU"; }
  json config() const override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return param_at(weight_); }

 private:
  int64_t num_parameters_;
  float init_;
  size_t weight_;
};

/// elu(x, alpha).
class ELU : public Module {
 public:
  explicit ELU(float alpha = 1.0f) : alpha_(alpha) {}
  Tensor forward(const Tensor& x) override { return elu(x, alpha_); }
  std::string type_name() const override { return "ELU"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  float alpha_;
};

/// celu(x, alpha); alpha must not be 0 (ValueError).
class CELU : public Module {
 public:
  explicit CELU(float alpha = 1.0f);
  Tensor forward(const Tensor& x) override { return celu(x, alpha_); }
  std::string type_name() const override { return "CELU"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  float alpha_;
};

/// selu(x).
class SELU : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return selu(x); }
  std::string type_name() const override { return "SELU"; }
};

/// sigmoid(x).
class Sigmoid : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
  std::string type_name() const override { return "Sigmoid"; }
};

/// log_sigmoid(x).
class LogSigmoid : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return log_sigmoid(x); }
  std::string type_name() const override { return "LogSigmoid"; }
};

/// silu(x).
class SiLU : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return silu(x); }
  std::string type_name() const override { return "SiLU"; }
};

/// tanh(x).
class Tanh : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return tanh(x); }
  std::string type_name() const override { return "Tanh"; }
};

/// softplus(x).
class Softplus : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return softplus(x); }
  std::string type_name() const override { return "Softplus"; }
};

/// softsign(x).
class Softsign : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return softsign(x); }
  std::string type_name() const override { return "Softsign"; }
};

/// softshrink(x, lambd).
class Softshrink : public Module {
 public:
  explicit Softshrink(float lambd = 0.5f) : lambd_(lambd) {}
  Tensor forward(const Tensor& x) override { return softshrink(x, lambd_); }
  std::string type_name() const override { return "Softshrink"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  float lambd_;
};

/// hard_shrink(x, lambd).
class HardShrink : public Module {
 public:
  explicit HardShrink(float lambd = 0.5f) : lambd_(lambd) {}
  Tensor forward(const Tensor& x) override { return hard_shrink(x, lambd_); }
  std::string type_name() const override { return "HardShrink"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  float lambd_;
};

/// hard_tanh(x) with its defaults (as in MLX, the module takes no arguments).
class HardTanh : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return hard_tanh(x); }
  std::string type_name() const override { return "HardTanh"; }
};

/// hardswish(x).
class Hardswish : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return hardswish(x); }
  std::string type_name() const override { return "Hardswish"; }
};

/// mish(x).
class Mish : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return mish(x); }
  std::string type_name() const override { return "Mish"; }
};

/// GELU with approx "none" (gelu), "precise" or its alias "tanh" (gelu_approx), or "fast"
/// (gelu_fast_approx); anything else is a ValueError.
class GELU : public Module {
 public:
  explicit GELU(std::string approx = "none");
  Tensor forward(const Tensor& x) override { return function_(x); }
  std::string type_name() const override { return "GELU"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  std::string approx_;
  Tensor (*function_)(const Tensor&) = nullptr;
};

/// glu(x, axis).
class GLU : public Module {
 public:
  explicit GLU(int axis = -1) : axis_(axis) {}
  Tensor forward(const Tensor& x) override { return glu(x, axis_); }
  std::string type_name() const override { return "GLU"; }
  json config() const override;
  std::string extra_repr() const override;

 private:
  int axis_;
};

/// softmax(x) over the last axis.
class Softmax : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return softmax(x, -1); }
  std::string type_name() const override { return "Softmax"; }
};

/// softmin(x) over the last axis.
class Softmin : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return softmin(x, -1); }
  std::string type_name() const override { return "Softmin"; }
};

/// log_softmax(x) over the last axis.
class LogSoftmax : public SimpleActivation {
 public:
  Tensor forward(const Tensor& x) override { return log_softmax(x, -1); }
  std::string type_name() const override { return "LogSoftmax"; }
};

/// step(x, threshold, gradient). The threshold is a hyper-parameter (in the config), never a
/// trainable parameter.
class Step : public Module {
 public:
  explicit Step(float threshold = 0.0f, StepGradient gradient = StepGradient::zero)
      : threshold_(threshold), gradient_(gradient) {}
  Tensor forward(const Tensor& x) override { return step(x, threshold_, gradient_); }
  std::string type_name() const override { return "Step"; }
  /// {"type": "Step", "threshold": 0.0, "gradient": "zero"}.
  json config() const override;
  /// "threshold=0.0", plus ", gradient='straight_through'" when not the default.
  std::string extra_repr() const override;

  float threshold() const { return threshold_; }
  StepGradient gradient() const { return gradient_; }

 private:
  float threshold_;
  StepGradient gradient_;
};

}  // namespace minnow::nn
