#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/nn/losses.hpp"
#include "nn/nn_testing.hpp"
#include "support/gradcheck.hpp"

using namespace minnow;
using minnow::testing::check_close;
namespace losses = minnow::nn::losses;

namespace {

using Args = std::vector<Tensor>;
// A loss called with a given reduction on its differentiable arguments (targets that are class
// indices or labels are fixed inside the closure).
using LossFn = std::function<Tensor(const Args&, const std::string& reduction)>;

struct LossRow {
  const char* name;
  LossFn loss;
  Args args;
  Tensor expected;  // the unreduced loss, by hand
  const char* default_reduction;
  // The loss called with all its defaults (rows that only vary an argument have none).
  std::function<Tensor(const Args&)> call_default = {};
};

const Tensor kLogits({{2.0f, 1.0f, 0.5f}, {0.1f, 3.0f, -1.0f}});
const Tensor kClasses({0.0f, 1.0f});

std::vector<LossRow> loss_rows() {
  return {
      {"cross_entropy (class indices)",
       [](const Args& a, const std::string& r) {
         return losses::cross_entropy(a[0], kClasses, {}, -1, 0.0f, r);
       },
       {kLogits},
       Tensor({0.46436878f, 0.07077422f}),
       "none",
       [](const Args& a) { return losses::cross_entropy(a[0], kClasses); }},
      {"cross_entropy (probabilities)",
       [](const Args& a, const std::string& r) {
         return losses::cross_entropy(a[0], a[1], {}, -1, 0.0f, r);
       },
       {kLogits, Tensor({{0.7f, 0.2f, 0.1f}, {0.0f, 0.5f, 0.5f}})},
       Tensor({0.81436878f, 2.07077422f}),
       "none",
       [](const Args& a) { return losses::cross_entropy(a[0], a[1]); }},
      {"cross_entropy (label smoothing 0.1)",
       [](const Args& a, const std::string& r) {
         return losses::cross_entropy(a[0], kClasses, {}, -1, 0.1f, r);
       },
       {kLogits},
       Tensor({0.54770212f, 0.30077422f}),
       "none"},
      {"cross_entropy (weights)",
       [](const Args& a, const std::string& r) {
         return losses::cross_entropy(a[0], kClasses, Tensor({1.0f, 2.0f}), -1, 0.0f, r);
       },
       {kLogits},
       Tensor({0.46436878f, 2.0f * 0.07077422f}),
       "none"},
      {"cross_entropy (axis 0)",
       [](const Args& a, const std::string& r) {
         return losses::cross_entropy(a[0], kClasses, {}, 0, 0.0f, r);
       },
       {transpose(kLogits)},
       Tensor({0.46436878f, 0.07077422f}),
       "none"},
      {"binary_cross_entropy (logits)",
       [](const Args& a, const std::string& r) {
         return losses::binary_cross_entropy(a[0], Tensor({1.0f, 0.0f, 1.0f}), {}, true, r);
       },
       {Tensor({0.5f, -1.0f, 2.0f})},
       Tensor({0.47407698f, 0.31326169f, 0.12692801f}),
       "mean",
       [](const Args& a) {
         return losses::binary_cross_entropy(a[0], Tensor({1.0f, 0.0f, 1.0f}));
       }},
      {"binary_cross_entropy (probabilities)",
       [](const Args& a, const std::string& r) {
         return losses::binary_cross_entropy(a[0], Tensor({1.0f, 0.0f, 1.0f}), {}, false, r);
       },
       {Tensor({0.9f, 0.2f, 0.6f})},
       Tensor({0.10536052f, 0.22314355f, 0.51082562f}),
       "mean"},
      {"l1_loss",
       [](const Args& a, const std::string& r) { return losses::l1_loss(a[0], a[1], r); },
       {Tensor({1.0f, 2.0f, 3.0f}), Tensor({2.0f, 2.5f, 5.0f})},
       Tensor({1.0f, 0.5f, 2.0f}),
       "mean",
       [](const Args& a) { return losses::l1_loss(a[0], a[1]); }},
      {"mse_loss",
       [](const Args& a, const std::string& r) { return losses::mse_loss(a[0], a[1], r); },
       {Tensor({1.0f, 2.0f, 3.0f}), Tensor({2.0f, 2.5f, 5.0f})},
       Tensor({1.0f, 0.25f, 4.0f}),
       "mean",
       [](const Args& a) { return losses::mse_loss(a[0], a[1]); }},
      {"nll_loss",
       [](const Args& a, const std::string& r) {
         return losses::nll_loss(a[0], Tensor({2.0f, 1.0f}), -1, r);
       },
       {Tensor({{-0.5f, -1.0f, -2.0f}, {-3.0f, -0.1f, -1.0f}})},
       Tensor({2.0f, 0.1f}),
       "none",
       [](const Args& a) {
         return losses::nll_loss(a[0], Tensor({2.0f, 1.0f}));
       }},
      {"gaussian_nll_loss",
       [](const Args& a, const std::string& r) {
         return losses::gaussian_nll_loss(a[0], a[1], a[2], false, 1e-6f, r);
       },
       {Tensor({1.0f, 2.0f}), Tensor({1.5f, 1.0f}), Tensor({0.5f, 2.0f})},
       Tensor({-0.09657359f, 0.59657359f}),
       "mean",
       [](const Args& a) { return losses::gaussian_nll_loss(a[0], a[1], a[2]); }},
      {"gaussian_nll_loss (full)",
       [](const Args& a, const std::string& r) {
         return losses::gaussian_nll_loss(a[0], a[1], a[2], true, 1e-6f, r);
       },
       {Tensor({1.0f, 2.0f}), Tensor({1.5f, 1.0f}), Tensor({0.5f, 2.0f})},
       Tensor({-0.09657359f + 0.91893853f, 0.59657359f + 0.91893853f}),
       "mean"},
      {"kl_div_loss",
       [](const Args& a, const std::string& r) { return losses::kl_div_loss(a[0], a[1], -1, r); },
       {Tensor({{std::log(0.25f), std::log(0.75f)}}), Tensor({{std::log(0.5f), std::log(0.5f)}})},
       Tensor({0.14384104f}),
       "none",
       [](const Args& a) { return losses::kl_div_loss(a[0], a[1]); }},
      {"smooth_l1_loss",
       [](const Args& a, const std::string& r) {
         return losses::smooth_l1_loss(a[0], a[1], 1.0f, r);
       },
       {Tensor({0.0f, 0.0f, 0.0f}), Tensor({0.5f, 1.0f, 2.0f})},
       Tensor({0.125f, 0.5f, 1.5f}),
       "mean",
       [](const Args& a) { return losses::smooth_l1_loss(a[0], a[1]); }},
      {"triplet_loss (p = 2)",
       [](const Args& a, const std::string& r) {
         return losses::triplet_loss(a[0], a[1], a[2], -1, 2, 1.0f, 1e-6f, r);
       },
       {Tensor({{0.0f, 0.0f}}), Tensor({{3.0f, 4.0f}}), Tensor({{1.0f, 0.0f}})},
       Tensor({5.0f}),
       "none",
       [](const Args& a) { return losses::triplet_loss(a[0], a[1], a[2]); }},
      {"triplet_loss (p = 1)",
       [](const Args& a, const std::string& r) {
         return losses::triplet_loss(a[0], a[1], a[2], -1, 1, 1.0f, 1e-6f, r);
       },
       {Tensor({{0.0f, 0.0f}}), Tensor({{3.0f, 4.0f}}), Tensor({{1.0f, 0.0f}})},
       Tensor({7.0f}),
       "none"},
      {"hinge_loss",
       [](const Args& a, const std::string& r) {
         return losses::hinge_loss(a[0], Tensor({1.0f, 1.0f, -1.0f}), r);
       },
       {Tensor({0.5f, -2.0f, 2.0f})},
       Tensor({0.5f, 3.0f, 3.0f}),
       "none",
       [](const Args& a) {
         return losses::hinge_loss(a[0], Tensor({1.0f, 1.0f, -1.0f}));
       }},
      {"huber_loss",
       [](const Args& a, const std::string& r) { return losses::huber_loss(a[0], a[1], 1.0f, r); },
       {Tensor({0.0f, 0.0f, 0.0f}), Tensor({0.5f, 1.0f, 3.0f})},
       Tensor({0.125f, 0.5f, 2.5f}),
       "none",
       [](const Args& a) { return losses::huber_loss(a[0], a[1]); }},
      {"log_cosh_loss",
       [](const Args& a, const std::string& r) { return losses::log_cosh_loss(a[0], a[1], r); },
       {Tensor({0.0f, 1.0f, -2.0f}), Tensor({0.0f, 0.0f, 0.0f})},
       Tensor({0.0f, 0.43378083f, 1.32500275f}),
       "none",
       [](const Args& a) { return losses::log_cosh_loss(a[0], a[1]); }},
      {"cosine_similarity_loss",
       [](const Args& a, const std::string& r) {
         return losses::cosine_similarity_loss(a[0], a[1], 1, 1e-8f, r);
       },
       {Tensor({{1.0f, 0.0f}, {1.0f, 1.0f}}), Tensor({{0.0f, 1.0f}, {2.0f, 2.0f}})},
       Tensor({0.0f, 1.0f}),
       "none",
       [](const Args& a) { return losses::cosine_similarity_loss(a[0], a[1]); }},
      {"margin_ranking_loss (margin 0.5)",
       [](const Args& a, const std::string& r) {
         return losses::margin_ranking_loss(a[0], a[1], Tensor({1.0f, -1.0f, 1.0f}), 0.5f, r);
       },
       {Tensor({1.0f, 2.0f, 3.0f}), Tensor({2.0f, 2.0f, 1.0f})},
       Tensor({1.5f, 0.5f, 0.0f}),
       "none"},
      {"margin_ranking_loss",
       [](const Args& a, const std::string& r) {
         return losses::margin_ranking_loss(a[0], a[1], Tensor({1.0f, -1.0f, 1.0f}), 0.0f, r);
       },
       {Tensor({1.0f, 2.5f, 3.0f}), Tensor({2.0f, 2.0f, 1.0f})},
       Tensor({1.0f, 0.5f, 0.0f}),
       "none",
       [](const Args& a) {
         return losses::margin_ranking_loss(a[0], a[1], Tensor({1.0f, -1.0f, 1.0f}));
       }},
  };
}

}  // namespace

TEST_CASE("every loss: hand-derived values, and mean / sum over all elements") {
  for (const auto& row : loss_rows()) {
    INFO(row.name);
    check_close(row.loss(row.args, "none"), row.expected, 1e-5f, 1e-5f);
    check_close(row.loss(row.args, "sum"), sum(row.expected), 1e-5f, 1e-5f);
    check_close(row.loss(row.args, "mean"), mean(row.expected), 1e-5f, 1e-5f);
  }
}

TEST_CASE("every loss: MLX's default reduction") {
  int checked = 0;
  for (const auto& row : loss_rows()) {
    if (!row.call_default) continue;
    INFO(row.name);
    const Tensor expected =
        std::string(row.default_reduction) == "mean" ? mean(row.expected) : row.expected;
    check_close(row.call_default(row.args), expected, 1e-5f, 1e-5f);
    ++checked;
  }
  CHECK(checked == 15);  // every loss function, cross_entropy with both kinds of targets
}

TEST_CASE("every loss: gradients match finite differences") {
  for (const auto& row : loss_rows()) {
    INFO(row.name);
    minnow::testing::GradCheckOptions options;
    options.eps = 1e-3f;
    CHECK(minnow::testing::check_op_gradients([&](const Args& a) { return row.loss(a, "none"); },
                                              row.args, options) == "");
  }
  // Away from the special points of the table's inputs.
  const Args cosine{Tensor({{1.0f, 0.5f}, {1.0f, 2.0f}}), Tensor({{0.3f, 1.0f}, {2.0f, -1.0f}})};
  CHECK(minnow::testing::check_op_gradients(
            [](const Args& a) { return losses::cosine_similarity_loss(a[0], a[1]); }, cosine) ==
        "");
}

TEST_CASE("every loss rejects an unknown reduction") {
  for (const auto& row : loss_rows()) {
    INFO(row.name);
    CHECK_THROWS_WITH_AS(
        row.loss(row.args, "avg"),
        doctest::Contains("invalid reduction 'avg': must be 'none', 'mean' or 'sum'"), ValueError);
  }
  CHECK_THROWS_WITH_AS(losses::mse_loss(Tensor({1.0f}), Tensor({1.0f}), "Mean"),
                       "[mse_loss] invalid reduction 'Mean': must be 'none', 'mean' or 'sum'",
                       ValueError);
}

TEST_CASE("losses are finite for logits of +-1e4") {
  const Tensor logits({{1e4f, -1e4f}, {-1e4f, 1e4f}});
  const Tensor loss = losses::cross_entropy(logits, Tensor({0.0f, 0.0f}));
  check_close(loss, Tensor({0.0f, 2e4f}));
  const Tensor probs = losses::cross_entropy(logits, Tensor({{0.5f, 0.5f}, {1.0f, 0.0f}}));
  CHECK(all_finite(probs));
  check_close(losses::cross_entropy(Tensor({{1e4f, 1e4f}}), Tensor({0.0f})), Tensor({0.6931472f}));
  const Tensor bce = losses::binary_cross_entropy(
      Tensor({1e4f, -1e4f, 1e4f, -1e4f}), Tensor({1.0f, 0.0f, 0.0f, 1.0f}), {}, true, "none");
  check_close(bce, Tensor({0.0f, 0.0f, 1e4f, 1e4f}));
  const auto grads = grad(
      [](const std::vector<Tensor>& p) {
        return losses::cross_entropy(p[0], Tensor({0.0f, 0.0f}), {}, -1, 0.1f, "mean") +
               losses::binary_cross_entropy(p[0], Tensor({{1.0f, 0.0f}, {0.0f, 1.0f}}));
      },
      {logits});
  CHECK(all_finite(grads[0]));
  check_close(losses::log_cosh_loss(Tensor({1e4f}), Tensor({-1e4f})), Tensor({2e4f - 0.6931472f}));
  // Probabilities of exactly 0 and 1: logs clipped at -100.
  check_close(
      losses::binary_cross_entropy(Tensor({0.0f, 1.0f}), Tensor({1.0f, 0.0f}), {}, false, "none"),
      Tensor({100.0f, 100.0f}));
}

TEST_CASE("cross_entropy: the gradient is softmax - one_hot") {
  const auto grads = grad(
      [](const std::vector<Tensor>& p) {
        return losses::cross_entropy(p[0], Tensor({2.0f}), {}, -1, 0.0f, "sum");
      },
      {Tensor({{1.0f, 2.0f, 3.0f}})});
  check_close(grads[0], Tensor({{0.09003057f, 0.24472847f, 0.66524096f - 1.0f}}));
}

TEST_CASE("loss argument errors") {
  CHECK_THROWS_WITH_AS(losses::cross_entropy(kLogits, kClasses, {}, -1, 1.0f),
                       "[cross_entropy] label_smoothing must be in [0, 1), got 1.0", ValueError);
  CHECK_THROWS_WITH_AS(losses::cross_entropy(kLogits, Tensor({0.0f, 1.0f, 2.0f})),
                       doctest::Contains("[cross_entropy] targets shape [3] does not match"),
                       ShapeError);
  CHECK_THROWS_AS(losses::cross_entropy(kLogits, zeros({2, 2})), ShapeError);
  CHECK_THROWS_WITH_AS(losses::cross_entropy(kLogits, kClasses, Tensor({1.0f})),
                       doctest::Contains("[cross_entropy] weights shape [1] does not match"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(losses::mse_loss(zeros({2}), zeros({3})),
                       "[mse_loss] predictions shape [2] does not match targets shape [3]",
                       ShapeError);
  CHECK_THROWS_AS(losses::l1_loss(zeros({2}), zeros({2, 1})), ShapeError);
  CHECK_THROWS_AS(losses::binary_cross_entropy(zeros({2}), zeros({3})), ShapeError);
  CHECK_THROWS_AS(losses::gaussian_nll_loss(zeros({2}), zeros({2}), zeros({3})), ShapeError);
  CHECK_THROWS_AS(losses::margin_ranking_loss(zeros({2}), zeros({2}), zeros({3})), ShapeError);
  CHECK_THROWS_AS(losses::nll_loss(zeros({2, 3}), zeros({3})), ShapeError);
  CHECK_THROWS_WITH_AS(losses::triplet_loss(zeros({1, 2}), zeros({1, 2}), zeros({1, 2}), -1, 0),
                       "[triplet_loss] p must be positive, got 0", ValueError);
}
