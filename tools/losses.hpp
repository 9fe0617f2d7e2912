#pragma once
// `minnow train --loss NAME`: every loss of nn::losses by its MLX name, with its hyper-parameters,
// and how a CSV row feeds it. Most losses compare the model's outputs with the row's target
// columns; the others need a convention, documented in docs/cli.md:
//   cross_entropy, nll     with --labels: one integer class label per row
//   gaussian_nll           the model outputs 2N columns: N means, then N variances
//   margin_ranking         a row holds two inputs side by side; the model scores each
//   triplet                a row holds anchor, positive, negative side by side; no targets

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "minnow/core/tensor.hpp"
#include "minnow/nn/module.hpp"
#include "minnow/tools/commands.hpp"

namespace minnow::tools {

/// The accepted --loss names (MLX's function names without the `_loss` suffix).
const std::vector<std::string>& loss_names();

/// The training objective: one loss with its hyper-parameters, reduced by its mean.
class Objective {
 public:
  /// UsageError for a hyper-parameter the loss does not take, or --labels with a loss that
  /// does not take class labels.
  Objective(std::string name, const HyperParameters& hyper, bool labels);

  const std::string& name() const { return name_; }
  /// How many inputs a row holds side by side: 1, 2 (margin_ranking) or 3 (triplet).
  int64_t parts() const { return parts_; }
  /// Target columns when --targets is not given: 0 for triplet, else 1.
  int64_t default_targets() const { return name_ == "triplet" ? 0 : 1; }
  /// Whether the rows' targets are class labels (one column of integers).
  bool labels() const { return labels_; }

  /// The model's outputs for a batch of rows' input columns ([B, parts * model inputs]).
  std::vector<Tensor> outputs(nn::Module& model, const Tensor& inputs) const;
  /// The mean loss of those outputs against the batch's targets ([B, N], or [B] for labels).
  Tensor loss(const std::vector<Tensor>& outputs, const Tensor& targets) const;
  /// outputs() then loss(): what value_and_grad differentiates.
  Tensor operator()(nn::Module& model, const Tensor& inputs, const Tensor& targets) const {
    return loss(outputs(model, inputs), targets);
  }

  /// Whether predictions are right or wrong for this loss (classification losses).
  bool has_accuracy() const;
  /// The number of right predictions in a batch (only when has_accuracy()), and the number of
  /// predictions made (rows, or elements for element-wise binary losses).
  std::pair<int64_t, int64_t> count_correct(const std::vector<Tensor>& outputs,
                                            const Tensor& targets) const;

  /// The problem, if the model's output width cannot feed this loss with `targets` target
  /// columns (`classes_seen`: the largest label + 1, for labels). Empty when they fit.
  std::string mismatch(int64_t output_width, int64_t targets, int64_t classes_seen) const;

 private:
  std::string name_;
  HyperParameters hyper_;
  bool labels_;
  int64_t parts_ = 1;
};

}  // namespace minnow::tools
