#pragma once
// Rosenblatt's perceptron (1958), built from minnow's own pieces:
//
//   model = Sequential{Linear(d, 1), Step(threshold, StepGradient::straight_through)}
//   loss  = mse_loss(model(x), y)          one sample per step
//   SGD(learning_rate = eta / 2)
//
// Why this IS the perceptron rule. For one sample x with label y in {0, 1}, the model predicts
// y_hat = step(w.x + b) in {0, 1}, and the loss is (y_hat - y)^2 averaged over its one element.
// Its gradient with respect to y_hat is 2 (y_hat - y) (mse_loss's "mean" divides by n = 1). The
// straight-through Step passes that gradient to z = w.x + b unchanged (the true derivative of a
// step is zero almost everywhere, which would never learn), and z's gradients are x for w and 1
// for b. So SGD with learning rate lr moves
//
//   w <- w - lr * 2 (y_hat - y) x  =  w + (2 lr) (y - y_hat) x,     b <- b + (2 lr) (y - y_hat)
//
// which is Rosenblatt's update w <- w + eta (y - y_hat) x with eta = 2 lr. We pass lr = eta / 2:
// halving and doubling are exact in binary floating point, so the framework's weights equal the
// hand-written rule's bit for bit (tests/examples/test_perceptron.cpp checks it after every
// epoch). A correctly classified sample has y_hat = y: zero gradient, no change, as the rule says.
//
// This header holds the trainer's logic, so that main.cpp stays short and the tests can use it.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/core/tensor.hpp"
#include "minnow/io/csv.hpp"
#include "minnow/io/text.hpp"
#include "minnow/nn/nn.hpp"
#include "minnow/optim/optim.hpp"

namespace perceptron {

/// Labelled samples: features [n, d] and labels [n, 1] holding 0 or 1.
struct Dataset {
  minnow::Tensor features;
  minnow::Tensor labels;
  std::string description;

  int64_t size() const { return features.dim(0); }
  int64_t num_features() const { return features.dim(1); }
};

/// The built-in data: two seeded Gaussian clouds of `per_class` points each, one per class, on
/// either side of a straight line with an empty margin around it, so they are linearly
/// separable and the perceptron converges (Novikoff's theorem bounds its mistakes by (R/margin)^2).
inline Dataset make_clouds(uint64_t seed, int64_t per_class = 100) {
  constexpr double kAngle = 35.0 * std::numbers::pi / 180.0;  // the true boundary's normal
  constexpr double kOffset = 0.6;                             // its distance from the origin
  constexpr double kSeparation = 1.1;  // cloud centres' distance from the boundary
  constexpr double kSpread = 0.9;      // each cloud's standard deviation
  constexpr double kMargin = 0.05;     // no point comes closer to the boundary than this
  const double ux = std::cos(kAngle), uy = std::sin(kAngle);

  minnow::random::Generator gen(seed);
  std::vector<float> features, labels;
  for (int64_t i = 0; i < 2 * per_class; ++i) {
    const int label = static_cast<int>(i % 2);  // alternate the classes
    const double side = label == 1 ? 1.0 : -1.0;
    const double cx = (kOffset + side * kSeparation) * ux, cy = (kOffset + side * kSeparation) * uy;
    double x = 0, y = 0;
    do {  // draw until the point is on its own side, outside the margin
      x = cx + kSpread * gen.next_normal();
      y = cy + kSpread * gen.next_normal();
    } while (side * (ux * x + uy * y - kOffset) < kMargin);
    features.push_back(static_cast<float>(x));
    features.push_back(static_cast<float>(y));
    labels.push_back(static_cast<float>(label));
  }
  const int64_t n = 2 * per_class;
  return {minnow::Tensor(features, {n, 2}), minnow::Tensor(labels, {n, 1}),
          "built-in data: two clouds of " + std::to_string(per_class) + " points, seed " +
              std::to_string(seed)};
}

/// The truth table of a two-input logic gate: "and", "or", "nand" or "xor" (ValueError otherwise).
inline Dataset make_gate(const std::string& gate) {
  const std::vector<float> inputs = {0, 0, 0, 1, 1, 0, 1, 1};
  std::vector<float> outputs;
  for (int row = 0; row < 4; ++row) {
    const bool a = inputs[2 * row] != 0, b = inputs[2 * row + 1] != 0;
    if (gate == "and")
      outputs.push_back(a && b);
    else if (gate == "or")
      outputs.push_back(a || b);
    else if (gate == "nand")
      outputs.push_back(!(a && b));
    else if (gate == "xor")
      outputs.push_back(a != b);
    else
      throw minnow::ValueError("unknown gate '" + gate + "' (use and, or, nand or xor)");
  }
  return {minnow::Tensor(inputs, {4, 2}), minnow::Tensor(outputs, {4, 1}),
          "the " + gate + " gate's truth table"};
}

/// A CSV file of feature columns followed by a 0/1 label column (io::read_csv's rules: an
/// optional header, blank lines skipped). FormatError naming the file for anything else.
inline Dataset read_dataset(const std::string& path) {
  const minnow::Tensor table = minnow::io::read_csv(path).values;
  const int64_t columns = table.dim(1);
  if (columns < 2) {
    throw minnow::FormatError(path +
                              ": expected feature columns and then a 0/1 label column, "
                              "but the rows have only " +
                              std::to_string(columns) + " column");
  }
  Dataset data{minnow::slice(table, 0, columns - 1, 1),
               minnow::slice(table, columns - 1, columns, 1), path};
  const std::span<const float> labels = data.labels.values();
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0.0f && labels[i] != 1.0f) {
      throw minnow::FormatError(path + ": data row " + std::to_string(i + 1) + ", column " +
                                std::to_string(columns) + ": the label must be 0 or 1, got " +
                                minnow::io::format_float(labels[i]));
    }
  }
  return data;
}

/// The perceptron for `inputs` features: Linear(inputs, 1) then a straight-through Step. The
/// weights start at zero, as Rosenblatt's did (so every point starts in class 1: step(0) = 1
/// at threshold 0).
inline minnow::nn::Sequential make_perceptron(int64_t inputs, float threshold) {
  minnow::nn::Sequential model{
      minnow::nn::Linear(inputs, 1),
      minnow::nn::Step(threshold, minnow::nn::StepGradient::straight_through)};
  model.apply([](const std::string&, const minnow::Tensor& p) { return minnow::zeros_like(p); });
  return model;
}

/// The learning rate to give SGD so that its update is Rosenblatt's with rate `eta` (see the
/// comment at the top of this file).
inline float sgd_learning_rate(float eta) {
  return eta / 2;
}

/// The order of the samples in one epoch: a permutation drawn from `gen` (seeded once per run,
/// so every epoch has its own order and every run the same sequence of orders).
inline std::vector<int64_t> epoch_order(int64_t n, minnow::random::Generator& gen) {
  const minnow::Tensor permutation = minnow::random::permutation(n, &gen);
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(n));
  for (const float index : permutation.values()) order.push_back(static_cast<int64_t>(index));
  return order;
}

/// One epoch through the framework: for each sample in `order`, nn::value_and_grad of the
/// squared error and one SGD step. Returns the number of mistakes (samples whose prediction
/// was wrong before their update).
inline int64_t train_epoch(minnow::nn::Module& model, minnow::optim::Optimizer& optimizer,
                           const Dataset& data, std::span<const int64_t> order) {
  auto loss_and_grad = minnow::nn::value_and_grad(
      model, [](minnow::nn::Module& m, const minnow::Tensor& x, const minnow::Tensor& y) {
        return minnow::nn::losses::mse_loss(m(x), y);
      });
  int64_t mistakes = 0;
  for (const int64_t i : order) {
    const minnow::Tensor x = minnow::slice(data.features, i, i + 1, 0);
    const minnow::Tensor y = minnow::slice(data.labels, i, i + 1, 0);
    auto [loss, grads] = loss_and_grad(model, x, y);
    if (loss.item() != 0.0f) ++mistakes;  // (y_hat - y)^2 is 1 for a mistake, 0 otherwise
    optimizer.update(model, grads);
  }
  return mistakes;
}

/// How many samples the model classifies correctly.
inline int64_t count_correct(minnow::nn::Module& model, const Dataset& data) {
  const minnow::Tensor predictions = model(data.features);
  return static_cast<int64_t>(minnow::sum(minnow::equal(predictions, data.labels)).item());
}

/// Rosenblatt's rule written out by hand, with no framework at all: the reference the
/// framework path is tested against.
struct HandWrittenPerceptron {
  std::vector<float> weights;
  float bias = 0.0f;
  float threshold = 0.0f;
  float eta = 1.0f;

  /// 1 when w.x + b >= threshold (the Step's convention: equality gives 1).
  float predict(std::span<const float> x) const {
    float z = 0.0f;
    for (size_t j = 0; j < weights.size(); ++j) z += x[j] * weights[j];
    z += bias;
    return z >= threshold ? 1.0f : 0.0f;
  }

  /// One epoch in `order`; returns the number of mistakes.
  int64_t train_epoch(const Dataset& data, std::span<const int64_t> order) {
    const auto d = static_cast<size_t>(data.num_features());
    int64_t mistakes = 0;
    for (const int64_t i : order) {
      const std::span<const float> x(data.features.data() + static_cast<size_t>(i) * d, d);
      const float error = data.labels.data()[i] - predict(x);  // y - y_hat
      if (error == 0.0f) continue;
      ++mistakes;
      for (size_t j = 0; j < d; ++j) weights[j] += eta * error * x[j];
      bias += eta * error;
    }
    return mistakes;
  }
};

}  // namespace perceptron
