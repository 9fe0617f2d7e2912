#pragma once
// The optimizers of mlx.optimizers, with MLX's names, argument order, defaults, state keys and
// update rules as MLX's code has them (which differ from PyTorch's in places: see docs/optim.md).
// In the rules below g is the gradient, p the parameter, t the step count after the increment,
// lr the learning rate of the step; all state starts at zero.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "minnow/optim/optimizer.hpp"

namespace minnow::optim {

/// The two coefficients of Adam-like optimizers (β1, β2). Each must be in [0, 1).
using Betas = std::array<float, 2>;

/// Stochastic gradient descent. g += weight_decay·p; without momentum p -= lr·g; with it
/// v = momentum·v + (1 − dampening)·g (from the first step on, unlike PyTorch), then
/// p -= lr·(g + momentum·v) with nesterov, else p -= lr·v. State: "v".
/// ValueError for nesterov without a positive momentum and zero dampening.
class SGD : public PerParameterOptimizer {
 public:
  SGD(LearningRate learning_rate, float momentum = 0.0f, float weight_decay = 0.0f,
      float dampening = 0.0f, bool nesterov = false);

 protected:
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  float momentum_, weight_decay_, dampening_;
  bool nesterov_;
};

/// RMSprop: v = alpha·v + (1 − alpha)·g²; p -= lr·g / (√v + eps). State: "v".
/// ValueError for a negative alpha or eps.
class RMSprop : public PerParameterOptimizer {
 public:
  RMSprop(LearningRate learning_rate, float alpha = 0.99f, float eps = 1e-8f);

 protected:
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  float alpha_, eps_;
};

/// Adagrad: v += g²; p -= lr·g / (√v + eps). State: "v". ValueError for a negative eps.
class Adagrad : public PerParameterOptimizer {
 public:
  explicit Adagrad(LearningRate learning_rate, float eps = 1e-8f);

 protected:
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  float eps_;
};

/// AdaDelta: v = rho·v + (1 − rho)·g²; d = √(u + eps) / √(v + eps)·g;
/// u = rho·u + (1 − rho)·d²; p -= lr·d. State: "v", "u". ValueError for a negative rho or eps.
class AdaDelta : public PerParameterOptimizer {
 public:
  AdaDelta(LearningRate learning_rate, float rho = 0.9f, float eps = 1e-6f);

 protected:
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  float rho_, eps_;
};

/// Adam: m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g². Without bias correction (MLX's
/// default) p -= lr·m / (√v + eps); with it p -= (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + eps).
/// State: "m", "v". ValueError for betas outside [0, 1) or a negative eps.
class Adam : public PerParameterOptimizer {
 public:
  Adam(LearningRate learning_rate, Betas betas = {0.9f, 0.999f}, float eps = 1e-8f,
       bool bias_correction = false);

 protected:
  Adam(std::string name, LearningRate learning_rate, Betas betas, float eps, bool bias_correction);
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;
  /// The Adam step on p·decay (AdamW's decoupled weight decay; decay == 1 for Adam).
  void adam_step(const Tensor& gradient, Tensor& parameter, ParamState& state, float decay);
  /// The coefficients (β1, β2), for the rules of derived optimizers.
  const Betas& betas() const { return betas_; }
  /// The denominator's eps, for the rules of derived optimizers.
  float eps() const { return eps_; }

 private:
  Betas betas_;
  float eps_;
  bool bias_correction_;
};

/// AdamW: p ← p·(1 − lr·weight_decay), then the Adam step. With bias_correction it equals
/// PyTorch's AdamW. State: "m", "v".
class AdamW : public Adam {
 public:
  AdamW(LearningRate learning_rate, Betas betas = {0.9f, 0.999f}, float eps = 1e-8f,
        float weight_decay = 0.01f, bool bias_correction = false);

 protected:
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  float weight_decay_;
};

/// Adamax, an Adam with its own rule (as in MLX): m = β1·m + (1 − β1)·g; v = max(β2·v, |g|);
/// p -= lr·m / (v + eps), with no bias correction. State: "m", "v". ValueError for betas
/// outside [0, 1) or a negative eps.
class Adamax : public Adam {
 public:
  Adamax(LearningRate learning_rate, Betas betas = {0.9f, 0.999f}, float eps = 1e-8f);

 protected:
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;
};

/// Lion: c = β1·m + (1 − β1)·g; m = β2·m + (1 − β2)·g; with weight_decay > 0
/// p ← (1 − lr·weight_decay)·p; p -= lr·sign(c). State: "m". ValueError for betas outside [0, 1).
class Lion : public PerParameterOptimizer {
 public:
  Lion(LearningRate learning_rate, Betas betas = {0.9f, 0.99f}, float weight_decay = 0.0f);

 protected:
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  Betas betas_;
  float weight_decay_;
};

/// Adafactor (Shazeer & Stern, 2018) as MLX has it. The step size is
/// ρ = min(warmup_init ? 1e-6·t : 1e-2, 1/√t) with relative_step, else the learning rate;
/// α = ρ·max(eps[1], RMS(p)) with scale_parameter, else ρ. β2 = 1 − t^decay_rate and
/// u = g² + eps[0]. Parameters of two or more dimensions keep factored second moments: row and
/// column averages of u over the last two axes ("exp_avg_sq_row" [..., rows],
/// "exp_avg_sq_col" [..., cols]), from which update = rsqrt(row / mean(row)) ⊗ rsqrt(col) · g;
/// others keep "exp_avg_sq": v = β2·v + (1 − β2)·u, update = g / √v. Then
/// update ← α·update / max(1, RMS(update) / clip_threshold); with beta_1, "exp_avg" =
/// β1·exp_avg + (1 − β1)·update becomes the update; p -= weight_decay·α·p; p -= update.
/// ValueError without a learning rate when relative_step is false, for a negative eps, a
/// clip_threshold that is not positive, or a beta_1 outside [0, 1).
class Adafactor : public PerParameterOptimizer {
 public:
  explicit Adafactor(std::optional<LearningRate> learning_rate = std::nullopt,
                     std::array<float, 2> eps = {1e-30f, 1e-3f}, float clip_threshold = 1.0f,
                     float decay_rate = -0.8f, std::optional<float> beta_1 = std::nullopt,
                     float weight_decay = 0.0f, bool scale_parameter = true,
                     bool relative_step = true, bool warmup_init = false);

 protected:
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  float step_size(float parameter_rms) const;

  std::array<float, 2> eps_;
  float clip_threshold_, decay_rate_;
  std::optional<float> beta_1_;
  float weight_decay_;
  bool scale_parameter_, relative_step_, warmup_init_;
  std::vector<float> factors_;  // row and column factors, reused from step to step
};

/// Muon (momentum orthogonalized by Newton–Schulz). g += weight_decay·p;
/// v = momentum·v + (1 − momentum)·g; update = (1 − momentum)·g + momentum·v with nesterov,
/// else v. A parameter of two or more dimensions has its update reshaped to
/// [shape[0], size / shape[0]] and orthogonalized by ns_steps Newton–Schulz iterations with
/// (a, b, c) = (3.4445, −4.7750, 2.0315) on X / (‖X‖_F + 1e-7) (transposed when it has more rows
/// than columns), and its learning rate scaled by √max(1, shape[-2] / shape[-1]).
/// p -= lr·update. State: "v". ValueError for a negative ns_steps.
class Muon : public PerParameterOptimizer {
 public:
  Muon(LearningRate learning_rate, float momentum = 0.95f, float weight_decay = 0.01f,
       bool nesterov = true, int ns_steps = 5);

 protected:
  ParamState init_single(const Tensor& parameter) const override;
  void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) override;

 private:
  // ns_steps iterations on the r x c matrix at x (r <= c), using `next`, `gram` (r x r) and
  // `poly` (r x r) as scratch; x points at the result afterwards.
  void newton_schulz(float*& x, float*& next, float* gram, float* poly, int64_t r, int64_t c) const;

  float momentum_, weight_decay_;
  bool nesterov_;
  int ns_steps_;
  std::vector<float> workspace_;  // Newton–Schulz matrices, reused from step to step
};

/// Decides whether a parameter goes to an optimizer of a MultiOptimizer, from its dotted name
/// and its gradient.
using ParameterFilter = std::function<bool(const std::string& path, const Tensor& gradient)>;

/// Routes each gradient to the first optimizer whose filter accepts it; the last optimizer,
/// which has no filter, takes the rest. Every optimizer steps on every update (possibly with
/// no gradients), so their step counts stay equal. The state is "states.<i>.<entry>", one
/// group per optimizer, as MLX's {"states": [...]}. learning_rate() is the first optimizer's;
/// set_learning_rate sets all of them.
/// ValueError unless filters.size() == optimizers.size() − 1, or for a missing or repeated
/// optimizer.
class MultiOptimizer : public Optimizer {
 public:
  MultiOptimizer(std::vector<std::shared_ptr<Optimizer>> optimizers,
                 std::vector<ParameterFilter> filters = {});

  TensorMap apply_gradients(const TensorMap& gradients, const TensorMap& parameters) override;
  TensorMap state() const override;
  void load_state(const TensorMap& state) override;
  int64_t step() const override { return optimizers_.front()->step(); }
  float learning_rate() const override { return optimizers_.front()->learning_rate(); }
  void set_learning_rate(LearningRate learning_rate) override;

  /// The optimizers, in routing order.
  const std::vector<std::shared_ptr<Optimizer>>& optimizers() const { return optimizers_; }

 private:
  void route(const TensorMap& gradients);

  std::vector<std::shared_ptr<Optimizer>> optimizers_;
  std::vector<ParameterFilter> filters_;
  // The split of the latest gradients: which optimizer each one went to, and for each
  // optimizer the key table and gradient positions of its part. Rebuilt when the gradients'
  // names or the filters' answers change.
  std::vector<size_t> routes_;
  std::vector<size_t> routed_;
  std::shared_ptr<const TensorMap::Keys> routed_keys_;
  std::vector<std::shared_ptr<const TensorMap::Keys>> part_keys_;
  std::vector<std::vector<size_t>> part_positions_;
};

}  // namespace minnow::optim
