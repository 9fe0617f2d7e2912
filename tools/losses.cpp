#include "minnow/tools/losses.hpp"

#include <algorithm>
#include <utility>

#include "minnow/core/ops.hpp"
#include "minnow/nn/losses.hpp"

namespace minnow::tools {
namespace {

namespace losses = nn::losses;

/// Each loss hyper-parameter option, the losses that take it, and whether it was given.
struct LossOption {
  const char* flag;
  std::vector<std::string> losses;
  bool given;
};

std::vector<LossOption> loss_options(const HyperParameters& h) {
  return {
      {"--label-smoothing", {"cross_entropy"}, h.label_smoothing.has_value()},
      {"--beta", {"smooth_l1"}, h.beta.has_value()},
      {"--delta", {"huber"}, h.delta.has_value()},
      {"--margin", {"triplet", "margin_ranking"}, h.margin.has_value()},
      {"--p", {"triplet"}, h.p.has_value()},
      {"--with-logits", {"binary_cross_entropy"}, h.with_logits.has_value()},
      {"--full", {"gaussian_nll"}, h.full.has_value()},
  };
}

bool is_one_of(const std::string& name, const std::vector<std::string>& names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// 1.0 where a prediction is on the positive side (a logit >= 0, a probability >= 0.5).
Tensor positive(const Tensor& x, float boundary) {
  return greater_equal(x, Tensor(boundary));
}

int64_t count_true(const Tensor& flags) {
  return static_cast<int64_t>(sum(flags).item());
}

}  // namespace

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = {
      "mse",
      "l1",
      "smooth_l1",
      "huber",
      "log_cosh",
      "cross_entropy",
      "binary_cross_entropy",
      "nll",
      "kl_div",
      "hinge",
      "gaussian_nll",
      "cosine_similarity",
      "margin_ranking",
      "triplet",
  };
  return names;
}

Objective::Objective(std::string name, const HyperParameters& hyper, bool labels)
    : name_(std::move(name)), hyper_(hyper), labels_(labels) {
  if (!is_one_of(name_, loss_names())) throw UsageError("--loss: unknown loss '" + name_ + "'");
  for (const auto& option : loss_options(hyper)) {
    if (option.given && !is_one_of(name_, option.losses)) {
      std::string takers;
      for (const auto& taker : option.losses) takers += (takers.empty() ? "" : ", ") + taker;
      throw UsageError(std::string(option.flag) + " does not apply to the " + name_ +
                       " loss (it is a hyper-parameter of " + takers + ")");
    }
  }
  if (labels_ && name_ != "cross_entropy" && name_ != "nll") {
    throw UsageError("--labels gives class indices, which only cross_entropy and nll take; the " +
                     name_ + " loss compares outputs with --targets columns");
  }
  if (name_ == "nll" && !labels_) {
    throw UsageError("the nll loss takes class labels: add --labels");
  }
  if (hyper_.label_smoothing && !(*hyper_.label_smoothing >= 0 && *hyper_.label_smoothing < 1)) {
    throw UsageError("--label-smoothing must be in [0, 1)");
  }
  if (hyper_.p && *hyper_.p < 1) throw UsageError("--p must be at least 1");
  if (name_ == "margin_ranking") parts_ = 2;
  if (name_ == "triplet") parts_ = 3;
}

std::vector<Tensor> Objective::outputs(nn::Module& model, const Tensor& inputs) const {
  if (parts_ == 1) return {model(inputs)};
  const int64_t width = inputs.dim(1) / parts_;
  std::vector<Tensor> result;
  for (int64_t part = 0; part < parts_; ++part) {
    result.push_back(model(slice(inputs, part * width, (part + 1) * width, 1)));
  }
  return result;
}

Tensor Objective::loss(const std::vector<Tensor>& out, const Tensor& t) const {
  const std::string mean = "mean";
  const Tensor& o = out.front();
  if (name_ == "mse") return losses::mse_loss(o, t, mean);
  if (name_ == "l1") return losses::l1_loss(o, t, mean);
  if (name_ == "smooth_l1") return losses::smooth_l1_loss(o, t, hyper_.beta.value_or(1.0f), mean);
  if (name_ == "huber") return losses::huber_loss(o, t, hyper_.delta.value_or(1.0f), mean);
  if (name_ == "log_cosh") return losses::log_cosh_loss(o, t, mean);
  if (name_ == "cross_entropy") {
    return losses::cross_entropy(o, t, Tensor(), -1, hyper_.label_smoothing.value_or(0.0f), mean);
  }
  if (name_ == "binary_cross_entropy") {
    return losses::binary_cross_entropy(o, t, Tensor(), hyper_.with_logits.value_or(true), mean);
  }
  if (name_ == "nll") return losses::nll_loss(o, t, -1, mean);
  if (name_ == "kl_div") return losses::kl_div_loss(o, t, -1, mean);
  if (name_ == "hinge") return losses::hinge_loss(o, t, mean);
  if (name_ == "gaussian_nll") {
    const int64_t n = o.dim(1) / 2;
    return losses::gaussian_nll_loss(slice(o, 0, n, 1), t, slice(o, n, 2 * n, 1),
                                     hyper_.full.value_or(false), 1e-6f, mean);
  }
  if (name_ == "cosine_similarity") return losses::cosine_similarity_loss(o, t, 1, 1e-8f, mean);
  if (name_ == "margin_ranking") {
    return losses::margin_ranking_loss(out[0], out[1], t, hyper_.margin.value_or(0.0f), mean);
  }
  // triplet
  return losses::triplet_loss(out[0], out[1], out[2], -1, hyper_.p.value_or(2),
                              hyper_.margin.value_or(1.0f), 1e-6f, mean);
}

bool Objective::has_accuracy() const {
  return is_one_of(name_, {"cross_entropy", "nll", "binary_cross_entropy", "hinge"});
}

std::pair<int64_t, int64_t> Objective::count_correct(const std::vector<Tensor>& out,
                                                     const Tensor& t) const {
  const Tensor& o = out.front();
  if (name_ == "cross_entropy" || name_ == "nll") {
    const Tensor predicted = argmax(o, 1);
    const Tensor expected = labels_ ? t : argmax(t, 1);
    return {count_true(equal(predicted, expected)), o.dim(0)};
  }
  // Element-wise binary decisions.
  const bool logits = name_ == "hinge" || hyper_.with_logits.value_or(true);
  const Tensor predicted = positive(o, logits ? 0.0f : 0.5f);
  const Tensor expected = name_ == "hinge" ? greater(t, Tensor(0.0f)) : positive(t, 0.5f);
  return {count_true(equal(predicted, expected)), o.size()};
}

std::string Objective::mismatch(int64_t output_width, int64_t targets, int64_t classes_seen) const {
  const std::string gives = "the model gives " + std::to_string(output_width) + " output" +
                            (output_width == 1 ? "" : "s") + " per row";
  if (labels_) {
    if (output_width >= classes_seen) return "";
    return gives + ", but the labels go up to " + std::to_string(classes_seen - 1) + "; " + name_ +
           " needs one output per class";
  }
  const int64_t wanted = name_ == "gaussian_nll" ? 2 * targets : targets;
  if (name_ == "triplet" || output_width == wanted) return "";
  if (name_ == "gaussian_nll") {
    return gives +
           ", but gaussian_nll needs 2 per target column (means, then variances) and "
           "there " +
           (targets == 1 ? "is 1" : "are " + std::to_string(targets)) + " (--targets)";
  }
  return gives + ", but there " +
         (targets == 1 ? std::string("is 1 target column")
                       : "are " + std::to_string(targets) + " target columns") +
         " (--targets); " + name_ + " compares them one to one";
}

}  // namespace minnow::tools
