#include "minnow/nn/losses.hpp"

#include <cmath>
#include <numbers>

#include "minnow/core/autograd.hpp"
#include "minnow/core/eigen.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/nn/format.hpp"

namespace minnow::nn::losses {

// As in activations.cpp, maximum/minimum put MLX's second operand first, so that ties send the
// gradient where MLX sends it.

namespace {

enum class Reduction { none, mean, sum };

// Read before any work, so that a bad reduction fails fast whatever the inputs.
Reduction parse_reduction(const std::string& reduction, const char* op) {
  if (reduction == "none") return Reduction::none;
  if (reduction == "mean") return Reduction::mean;
  if (reduction == "sum") return Reduction::sum;
  throw ValueError("[" + std::string(op) + "] invalid reduction '" + reduction +
                   "': must be 'none', 'mean' or 'sum'");
}

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::mean:
      return mean(loss);
    case Reduction::sum:
      return sum(loss);
    case Reduction::none:
      break;
  }
  return loss;
}

void check_same_shape(const Tensor& a, const char* a_name, const Tensor& b, const char* b_name,
                      const char* op) {
  if (a.shape() != b.shape()) {
    throw ShapeError("[" + std::string(op) + "] " + a_name + " shape " + a.shape().to_string() +
                     " does not match " + b_name + " shape " + b.shape().to_string());
  }
}

Tensor apply_weights(const Tensor& loss, const Tensor& weights, const char* op) {
  if (!weights.defined()) return loss;
  if (weights.shape() != loss.shape()) {
    throw ShapeError("[" + std::string(op) + "] weights shape " + weights.shape().to_string() +
                     " does not match the unreduced loss shape " + loss.shape().to_string());
  }
  return loss * weights;
}

// The entry of `x` named by the class indices `targets` along `axis` (targets has x's shape
// without `axis`).
Tensor pick(const Tensor& x, const Tensor& targets, int axis) {
  return squeeze(take_along_axis(x, expand_dims(targets, axis), axis), axis);
}

void check_class_targets(const Tensor& inputs, const Tensor& targets, int axis, const char* op) {
  Shape expected = inputs.shape();
  expected.erase(axis);
  if (targets.shape() != expected) {
    throw ShapeError("[" + std::string(op) + "] targets shape " + targets.shape().to_string() +
                     " does not match inputs shape " + inputs.shape().to_string() +
                     " without axis " + std::to_string(axis));
  }
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& weights, int axis,
                     float label_smoothing, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "cross_entropy");
  if (!(label_smoothing >= 0.0f && label_smoothing < 1.0f)) {
    throw ValueError("[cross_entropy] label_smoothing must be in [0, 1), got " +
                     python_float(label_smoothing));
  }
  axis = normalize_axis(axis, logits.ndim(), "cross_entropy");
  const bool probabilities = targets.ndim() == logits.ndim();
  if (probabilities) {
    check_same_shape(targets, "targets", logits, "logits", "cross_entropy");
  } else {
    check_class_targets(logits, targets, axis, "cross_entropy");
  }
  // Shifting by the (constant) maximum changes nothing mathematically and keeps every exp <= 1.
  const Tensor shifted = logits - stop_gradient(max(logits, axis, /*keepdims=*/true));
  const Tensor score = probabilities ? sum(shifted * targets, axis) : pick(shifted, targets, axis);
  Tensor loss = logsumexp(shifted, axis);
  if (label_smoothing > 0.0f) {
    loss = loss - score * (1.0f - label_smoothing) - mean(shifted, axis) * label_smoothing;
  } else {
    loss = loss - score;
  }
  return reduce(apply_weights(loss, weights, "cross_entropy"), r);
}

Tensor binary_cross_entropy(const Tensor& inputs, const Tensor& targets, const Tensor& weights,
                            bool with_logits, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "binary_cross_entropy");
  check_same_shape(inputs, "inputs", targets, "targets", "binary_cross_entropy");
  Tensor loss;
  if (with_logits) {
    loss = logaddexp(0.0f, inputs) - inputs * targets;
  } else {
    // log(0) = -inf is clipped to -100, as PyTorch and MLX do.
    const Tensor log_p = maximum(-100.0f, log(inputs));
    const Tensor log_not_p = maximum(-100.0f, log(1.0f - inputs));
    loss = -(targets * log_p + (1.0f - targets) * log_not_p);
  }
  return reduce(apply_weights(loss, weights, "binary_cross_entropy"), r);
}

Tensor l1_loss(const Tensor& predictions, const Tensor& targets, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "l1_loss");
  check_same_shape(predictions, "predictions", targets, "targets", "l1_loss");
  return reduce(abs(predictions - targets), r);
}

namespace {

// The reduced squared error as one op: one pass forward, one backward, one tape node, instead of
// subtract, square and a reduction (three tensors and nodes each way). It is the training loss
// of most regressions, so small models feel the difference. `scale` is 1/n (mean) or 1 (sum).
Tensor reduced_squared_error(const Tensor& predictions, const Tensor& targets, float scale) {
  const Tensor out((as_array(predictions) - as_array(targets)).square().sum() * scale);
  return autograd::record(out, {predictions, targets},
                          [](const autograd::Node& node, const Tensor& g) {
                            // d/dp = 2 * scale * (p - t) * g, and the negative for t.
                            const float factor = 2.0f * node.scalars[0] * g.item();
                            Tensor dp = Tensor::empty(node.input(0).shape());
                            as_array(dp) =
                                (as_array(node.input(0)) - as_array(node.input(1))) * factor;
                            if (node.needs_grad(1)) node.accumulate(1, negative(dp));
                            node.accumulate(0, std::move(dp));
                          },
                          {scale});
}

}  // namespace

Tensor mse_loss(const Tensor& predictions, const Tensor& targets, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "mse_loss");
  check_same_shape(predictions, "predictions", targets, "targets", "mse_loss");
  if (r == Reduction::none || predictions.size() == 0) {
    return reduce(square(predictions - targets), r);  // (the mean of nothing stays NaN)
  }
  const float scale = r == Reduction::mean
                          ? 1.0f / static_cast<float>(std::max<int64_t>(predictions.size(), 1))
                          : 1.0f;
  return reduced_squared_error(predictions, targets, scale);
}

Tensor nll_loss(const Tensor& inputs, const Tensor& targets, int axis,
                const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "nll_loss");
  axis = normalize_axis(axis, inputs.ndim(), "nll_loss");
  check_class_targets(inputs, targets, axis, "nll_loss");
  return reduce(-pick(inputs, targets, axis), r);
}

Tensor gaussian_nll_loss(const Tensor& inputs, const Tensor& targets, const Tensor& vars, bool full,
                         float eps, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "gaussian_nll_loss");
  check_same_shape(inputs, "inputs", targets, "targets", "gaussian_nll_loss");
  check_same_shape(inputs, "inputs", vars, "vars", "gaussian_nll_loss");
  const Tensor v = maximum(eps, vars);
  Tensor loss = (log(v) + square(targets - inputs) / v) * 0.5f;
  if (full) loss = loss + static_cast<float>(0.5 * std::log(2.0 * std::numbers::pi));
  return reduce(loss, r);
}

Tensor kl_div_loss(const Tensor& inputs, const Tensor& targets, int axis,
                   const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "kl_div_loss");
  return reduce(sum(exp(targets) * (targets - inputs), axis), r);
}

Tensor smooth_l1_loss(const Tensor& predictions, const Tensor& targets, float beta,
                      const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "smooth_l1_loss");
  check_same_shape(predictions, "predictions", targets, "targets", "smooth_l1_loss");
  const Tensor d = abs(predictions - targets);
  if (beta == 0.0f) return reduce(d, r);  // the limit; spares the unused branch a 1/0
  return reduce(where(less(d, beta), square(d) * (0.5f / beta), d - 0.5f * beta), r);
}

Tensor triplet_loss(const Tensor& anchors, const Tensor& positives, const Tensor& negatives,
                    int axis, int p, float margin, float eps, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "triplet_loss");
  if (p <= 0) throw ValueError("[triplet_loss] p must be positive, got " + std::to_string(p));
  const auto distance = [&](const Tensor& other) {
    const Tensor d = anchors - other;
    if (p == 2) return sqrt(sum(square(d), axis) + eps);
    const auto order = static_cast<float>(p);
    return power(sum(power(abs(d), order), axis) + eps, 1.0f / order);
  };
  return reduce(maximum(0.0f, distance(positives) - distance(negatives) + margin), r);
}

Tensor hinge_loss(const Tensor& inputs, const Tensor& targets, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "hinge_loss");
  return reduce(maximum(0.0f, 1.0f - inputs * targets), r);
}

Tensor huber_loss(const Tensor& inputs, const Tensor& targets, float delta,
                  const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "huber_loss");
  const Tensor error = abs(inputs - targets);
  const Tensor quadratic = minimum(delta, error);
  return reduce(square(quadratic) * 0.5f + (error - quadratic) * delta, r);
}

Tensor log_cosh_loss(const Tensor& inputs, const Tensor& targets, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "log_cosh_loss");
  const Tensor error = inputs - targets;
  return reduce(logaddexp(error, -error) - static_cast<float>(std::numbers::ln2), r);
}

Tensor cosine_similarity_loss(const Tensor& x1, const Tensor& x2, int axis, float eps,
                              const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "cosine_similarity_loss");
  const Tensor norms = sqrt(sum(square(x1), axis)) * sqrt(sum(square(x2), axis));
  return reduce(sum(x1 * x2, axis) / maximum(eps, norms), r);
}

Tensor margin_ranking_loss(const Tensor& inputs1, const Tensor& inputs2, const Tensor& targets,
                           float margin, const std::string& reduction) {
  const Reduction r = parse_reduction(reduction, "margin_ranking_loss");
  check_same_shape(inputs1, "inputs1", inputs2, "inputs2", "margin_ranking_loss");
  check_same_shape(inputs1, "inputs1", targets, "targets", "margin_ranking_loss");
  return reduce(maximum(0.0f, margin - targets * (inputs1 - inputs2)), r);
}

}  // namespace minnow::nn::losses
