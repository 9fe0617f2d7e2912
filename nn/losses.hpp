#pragma once
// The loss functions of mlx.nn.losses, with MLX's argument order, defaults and formulas, and
// MLX's per-function default reduction (they differ: mse_loss averages, cross_entropy does not).
//
// `reduction` is "none" (the element-wise losses), "mean" (the mean over every element of the
// unreduced loss) or "sum"; anything else is a ValueError. Class-index targets are float32
// tensors holding integers. Every loss is finite for logits as large as +-1e4.

#include <string>

#include "minnow/core/tensor.hpp"

namespace minnow::nn::losses {

/// logsumexp(logits) - score along `axis`, computed on max-shifted logits. Targets are class
/// indices when targets.ndim() != logits.ndim() (shape: logits' without `axis`; score = the
/// target's logit) and probabilities otherwise (same shape; score = sum(logits * targets)).
/// With label_smoothing ls in [0, 1): logsumexp - (1 - ls) score - ls mean(logits over axis).
/// `weights`, when given, has the unreduced loss's shape. Default reduction: "none".
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& weights = {},
                     int axis = -1, float label_smoothing = 0.0f,
                     const std::string& reduction = "none");

/// With logits: logaddexp(0, x) - x t. With probabilities: -(t log p + (1 - t) log(1 - p)), each
/// log clipped below at -100. Default reduction: "mean".
Tensor binary_cross_entropy(const Tensor& inputs, const Tensor& targets, const Tensor& weights = {},
                            bool with_logits = true, const std::string& reduction = "mean");

/// |predictions - targets|. Default reduction: "mean".
Tensor l1_loss(const Tensor& predictions, const Tensor& targets,
               const std::string& reduction = "mean");

/// (predictions - targets)^2. Default reduction: "mean".
Tensor mse_loss(const Tensor& predictions, const Tensor& targets,
                const std::string& reduction = "mean");

/// -inputs[target] along `axis`: inputs are log-probabilities, targets class indices.
/// Default reduction: "none".
Tensor nll_loss(const Tensor& inputs, const Tensor& targets, int axis = -1,
                const std::string& reduction = "none");

/// 0.5 (log v + (targets - inputs)^2 / v) with v = max(vars, eps), plus 0.5 log(2 pi) when
/// full. Default reduction: "mean".
Tensor gaussian_nll_loss(const Tensor& inputs, const Tensor& targets, const Tensor& vars,
                         bool full = false, float eps = 1e-6f,
                         const std::string& reduction = "mean");

/// sum(exp(targets) (targets - inputs)) along `axis`; both are log-probabilities.
/// Default reduction: "none".
Tensor kl_div_loss(const Tensor& inputs, const Tensor& targets, int axis = -1,
                   const std::string& reduction = "none");

/// With d = |predictions - targets|: 0.5 d^2 / beta where d < beta, else d - 0.5 beta.
/// Default reduction: "mean".
Tensor smooth_l1_loss(const Tensor& predictions, const Tensor& targets, float beta = 1.0f,
                      const std::string& reduction = "mean");

/// max(||a - p||_p - ||a - n||_p + margin, 0) along `axis`, with ||v||_p = (sum |v|^p + eps)^(1/p).
/// Default reduction: "none".
Tensor triplet_loss(const Tensor& anchors, const Tensor& positives, const Tensor& negatives,
                    int axis = -1, int p = 2, float margin = 1.0f, float eps = 1e-6f,
                    const std::string& reduction = "none");

/// max(1 - inputs targets, 0), targets in {-1, 1}. Default reduction: "none".
Tensor hinge_loss(const Tensor& inputs, const Tensor& targets,
                  const std::string& reduction = "none");

/// With e = inputs - targets and q = min(|e|, delta): 0.5 q^2 + delta (|e| - q).
/// Default reduction: "none".
Tensor huber_loss(const Tensor& inputs, const Tensor& targets, float delta = 1.0f,
                  const std::string& reduction = "none");

/// log(cosh(inputs - targets)), computed as logaddexp(e, -e) - log 2. Default reduction: "none".
Tensor log_cosh_loss(const Tensor& inputs, const Tensor& targets,
                     const std::string& reduction = "none");

/// sum(x1 x2) / max(||x1|| ||x2||, eps) along `axis`: the cosine similarity itself (as MLX),
/// not 1 - similarity. Default axis 1, default reduction "none".
Tensor cosine_similarity_loss(const Tensor& x1, const Tensor& x2, int axis = 1, float eps = 1e-8f,
                              const std::string& reduction = "none");

/// max(0, -targets (inputs1 - inputs2) + margin), targets in {-1, 1}. Default reduction: "none".
Tensor margin_ranking_loss(const Tensor& inputs1, const Tensor& inputs2, const Tensor& targets,
                           float margin = 0.0f, const std::string& reduction = "none");

}  // namespace minnow::nn::losses
