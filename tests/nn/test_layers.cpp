#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/nn.hpp"
#include "nn/nn_testing.hpp"
#include "support/gradcheck.hpp"

using namespace minnow;
using minnow::testing::check_close;
using minnow::testing::column;

namespace {

std::vector<std::string> names(const TensorMap& map) {
  return map.keys();
}

}  // namespace

// ---- Linear -------------------------------------------------------------------------------------

TEST_CASE("Linear: MLX's layout and its U(-1/sqrt(in), 1/sqrt(in)) initialization, bias included") {
  random::seed(7);
  nn::Linear layer(4, 3);
  // The same draws, in the same order (weight, then bias), from the same seed.
  random::seed(7);
  const Tensor weight = random::uniform({3, 4}, -0.5f, 0.5f);
  const Tensor bias = random::uniform({3}, -0.5f, 0.5f);
  CHECK(names(layer.parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(array_equal(layer.weight(), weight));
  CHECK(array_equal(layer.bias(), bias));
  CHECK(layer.num_parameters() == 15);

  random::seed(1);
  nn::Linear wide(100, 50);
  const float k = 0.1f;
  CHECK(max(abs(wide.weight())).item() <= k);
  CHECK(max(abs(wide.weight())).item() > 0.9f * k);
  CHECK(std::abs(mean(wide.weight()).item()) < 0.01f);
}

TEST_CASE("Linear: y = x W^T + b, over any leading axes") {
  nn::Linear layer(2, 3);
  layer.update({{"weight", Tensor({{1.0f, 2.0f}, {3.0f, 4.0f}, {5.0f, 6.0f}})},
                {"bias", Tensor({0.5f, -0.5f, 1.0f})}});
  check_close(layer(Tensor({{1.0f, 1.0f}, {2.0f, -1.0f}})),
              Tensor({{3.5f, 6.5f, 12.0f}, {0.5f, 1.5f, 5.0f}}));
  const Tensor batched = layer(zeros({4, 5, 2}));
  CHECK(batched.shape() == Shape{4, 5, 3});
  check_close(slice(reshape(batched, {20, 3}), 0, 1, 0), Tensor({{0.5f, -0.5f, 1.0f}}));
}

TEST_CASE("Linear without bias") {
  nn::Linear layer(2, 1, false);
  CHECK(!layer.has_bias());
  CHECK(!layer.bias().defined());
  CHECK(names(layer.parameters()) == std::vector<std::string>{"weight"});
  CHECK(layer.to_string() == "Linear(input_dims=2, output_dims=1, bias=False)");
  layer.update({{"weight", Tensor({{2.0f, -1.0f}})}});
  check_close(layer(Tensor({{3.0f, 1.0f}})), column({5.0f}));
}

TEST_CASE("Linear: bad sizes") {
  CHECK_THROWS_WITH_AS(nn::Linear(0, 2), "[Linear] input_dims must be positive, got 0", ValueError);
  CHECK_THROWS_WITH_AS(nn::Linear(2, -1), "[Linear] output_dims must be positive, got -1",
                       ValueError);
}

// ---- Bilinear -----------------------------------------------------------------------------------

TEST_CASE("Bilinear: y_i = x2^T W_i x1 + b_i with weight [out, in2, in1]") {
  nn::Bilinear layer(2, 2, 2);
  CHECK(layer.weight().shape() == Shape{2, 2, 2});
  CHECK(layer.bias().shape() == Shape{2});
  // W_0 = I, W_1 swaps; x1 = [1, 2], x2 = [3, 4]: y_0 = 3 + 8, y_1 = 3*2 + 4*1.
  layer.update({{"weight", Tensor({{{1.0f, 0.0f}, {0.0f, 1.0f}}, {{0.0f, 1.0f}, {1.0f, 0.0f}}})},
                {"bias", Tensor({0.5f, -1.0f})}});
  const Tensor x1({{1.0f, 2.0f}});
  const Tensor x2({{3.0f, 4.0f}});
  check_close(layer(x1, x2), Tensor({{11.5f, 9.0f}}));
  // The single-input form reads the concatenation [x1, x2].
  check_close(layer(Tensor({{1.0f, 2.0f, 3.0f, 4.0f}})), Tensor({{11.5f, 9.0f}}));
  CHECK(layer(zeros({3, 4, 2}), zeros({3, 4, 2})).shape() == Shape{3, 4, 2});
}

TEST_CASE("Bilinear: unequal input sizes, gradients, errors") {
  random::seed(2);
  nn::Bilinear layer(3, 2, 4, false);
  CHECK(layer.weight().shape() == Shape{4, 2, 3});
  CHECK(names(layer.parameters()) == std::vector<std::string>{"weight"});
  const Tensor x1 = minnow::testing::sample_input({2, 3});
  const Tensor x2 = minnow::testing::sample_input({2, 2});
  CHECK(minnow::testing::check_op_gradients(
            [&](const std::vector<Tensor>& xs) {
              layer.update({{"weight", xs[2]}});
              return layer(xs[0], xs[1]);
            },
            {x1, x2, layer.weight()}) == "");
  CHECK_THROWS_AS(layer(zeros({2, 3}), zeros({3, 2})), ShapeError);
  CHECK_THROWS_AS(layer(zeros({2, 4})), ShapeError);
}

// ---- Sequential ---------------------------------------------------------------------------------

TEST_CASE("Sequential: children layers.i, parameters layers.i.name, MLX's printed form") {
  nn::Sequential model{nn::Linear(2, 10), nn::ReLU(), nn::Linear(10, 1)};
  CHECK(model.size() == 3);
  CHECK(names(model.parameters()) == std::vector<std::string>{"layers.0.weight", "layers.0.bias",
                                                              "layers.2.weight", "layers.2.bias"});
  CHECK(model.num_parameters() == 2 * 10 + 10 + 10 + 1);
  CHECK(model.to_string() ==
        "Sequential(\n"
        "  (layers.0): Linear(input_dims=2, output_dims=10, bias=True)\n"
        "  (layers.1): ReLU()\n"
        "  (layers.2): Linear(input_dims=10, output_dims=1, bias=True)\n"
        ")");
  CHECK(model[1].type_name() == "ReLU");
  CHECK_THROWS_WITH_AS(model[3], "[Sequential] layer 3 out of range for 3 layers", IndexError);
}

TEST_CASE("Sequential: calls its layers in order") {
  nn::Sequential model{nn::Linear(2, 2), nn::ReLU(), nn::Linear(2, 1, false)};
  model.update({{"layers.0.weight", Tensor({{1.0f, 0.0f}, {0.0f, -1.0f}})},
                {"layers.0.bias", Tensor({0.0f, 0.0f})},
                {"layers.2.weight", Tensor({{2.0f, 3.0f}})}});
  // relu([3, -4]) = [3, 0] -> 6; relu([-1, 2]) = [0, 2] -> 6.
  check_close(model(Tensor({{3.0f, 4.0f}, {-1.0f, -2.0f}})), column({6.0f, 6.0f}));
}

TEST_CASE("Sequential: nesting, vectors, append") {
  nn::Sequential inner{nn::ReLU(), nn::Linear(3, 1, false)};
  std::vector<nn::ModulePtr> layers{nn::Linear(2, 3),
                                    std::make_shared<nn::Sequential>(std::move(inner))};
  nn::Sequential model(layers);
  CHECK(names(model.parameters()) ==
        std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.1.layers.1.weight"});
  CHECK(model.to_string() ==
        "Sequential(\n"
        "  (layers.0): Linear(input_dims=2, output_dims=3, bias=True)\n"
        "  (layers.1): Sequential(\n"
        "    (layers.0): ReLU()\n"
        "    (layers.1): Linear(input_dims=3, output_dims=1, bias=False)\n"
        "  )\n"
        ")");
  model.append(nn::Sigmoid());
  CHECK(model.size() == 3);
  CHECK(model.children().back().first == "layers.2");
  CHECK(model.config()["layers"][2] == nn::json{{"type", "Sigmoid"}});
  const Tensor y = model(zeros({5, 2}));
  CHECK(y.shape() == Shape{5, 1});

  nn::Sequential empty;
  CHECK(empty.to_string() == "Sequential()");
  check_close(empty(Tensor({1.0f})), Tensor({1.0f}));
  CHECK(empty.config().dump() == R"({"layers":[],"type":"Sequential"})");
}

// ---- Dropout ------------------------------------------------------------------------------------

TEST_CASE("Dropout: p must be in [0, 1)") {
  CHECK_THROWS_WITH_AS(nn::Dropout(1.0f), "[Dropout] p must be in [0, 1), got 1.0", ValueError);
  CHECK_THROWS_WITH_AS(nn::Dropout(-0.1f), "[Dropout] p must be in [0, 1), got -0.1", ValueError);
  CHECK_THROWS_AS(nn::Dropout(std::nanf("")), ValueError);
  CHECK_NOTHROW(nn::Dropout(0.0f));
  CHECK(nn::Dropout(0.2f).to_string() == "Dropout(p=0.2)");
}

TEST_CASE("Dropout: statistics in training mode") {
  random::seed(42);
  nn::Dropout dropout(0.3f);
  CHECK(dropout.training());  // modules start in training mode, as in MLX
  const Tensor x = ones({100000});
  const Tensor y = dropout(x);
  const auto values = y.to_vector();
  int64_t zeroed = 0, scaled = 0;
  for (float v : values) {
    zeroed += v == 0.0f;
    scaled += v == 1.0f / 0.7f;  // the kept values are scaled by exactly 1/(1 - p)
  }
  CHECK(zeroed + scaled == 100000);
  CHECK(static_cast<double>(zeroed) / 100000.0 == doctest::Approx(0.3).epsilon(0.02));
  CHECK(mean(y).item() == doctest::Approx(1.0f).epsilon(0.01));  // the mean is preserved
}

TEST_CASE("Dropout: identity in eval mode and for p = 0; gradient follows the mask") {
  const Tensor x = minnow::testing::sample_input({4, 5});
  nn::Dropout dropout(0.5f);
  dropout.eval();
  CHECK(array_equal(dropout(x), x));
  nn::Dropout none(0.0f);
  CHECK(array_equal(none(x), x));

  dropout.train();
  random::seed(9);
  const Tensor y = dropout(x);
  random::seed(9);
  const auto grads = grad([&](const std::vector<Tensor>& p) { return sum(dropout(p[0])); }, {x});
  const auto yv = y.to_vector();
  const auto xv = x.to_vector();
  const auto gv = grads[0].to_vector();
  for (size_t i = 0; i < yv.size(); ++i) {
    CHECK(gv[i] == (yv[i] == 0.0f ? 0.0f : 2.0f));
    if (yv[i] != 0.0f) CHECK(yv[i] == doctest::Approx(2.0f * xv[i]));
  }
}

// ---- LayerNorm, RMSNorm -------------------------------------------------------------------------

TEST_CASE("LayerNorm: normalizes the last axis, then weight and bias") {
  nn::LayerNorm norm(3);
  CHECK(names(norm.parameters()) == std::vector<std::string>{"weight", "bias"});
  const float a = 1.2247357f;  // 1 / sqrt(2/3 + 1e-5)
  check_close(norm(Tensor({{1.0f, 2.0f, 3.0f}, {6.0f, 4.0f, 2.0f}})),
              Tensor({{-a, 0.0f, a}, {a, 0.0f, -a}}));
  norm.update({{"weight", Tensor({1.0f, 2.0f, 3.0f})}, {"bias", Tensor({0.5f, 0.5f, 0.5f})}});
  check_close(norm(Tensor({{1.0f, 2.0f, 3.0f}})), Tensor({{0.5f - a, 0.5f, 0.5f + 3.0f * a}}));

  CHECK(nn::LayerNorm(3, 1e-5f, false).parameters().empty());
  CHECK(names(nn::LayerNorm(3, 1e-5f, true, false).parameters()) ==
        std::vector<std::string>{"weight"});
  CHECK(nn::LayerNorm(3, 1e-5f, false).to_string() == "LayerNorm(3, eps=1e-05, affine=False)");
}

TEST_CASE("RMSNorm: x / sqrt(mean(x^2) + eps) * weight") {
  nn::RMSNorm norm(2, 1e-5f);
  CHECK(names(norm.parameters()) == std::vector<std::string>{"weight"});
  check_close(norm(Tensor({{3.0f, 4.0f}})), Tensor({{0.8485278f, 1.1313704f}}));
}

TEST_CASE("normalization: eps must be positive, features must match") {
  CHECK_THROWS_WITH_AS(nn::LayerNorm(3, 0.0f), "[LayerNorm] eps must be positive, got 0.0",
                       ValueError);
  CHECK_THROWS_WITH_AS(nn::RMSNorm(3, -1e-5f), "[RMSNorm] eps must be positive, got -1e-05",
                       ValueError);
  CHECK_THROWS_WITH_AS(nn::BatchNorm(3, 0.0f), "[BatchNorm] eps must be positive, got 0.0",
                       ValueError);
  CHECK_THROWS_AS(nn::LayerNorm(0), ValueError);
  CHECK_THROWS_WITH_AS(nn::LayerNorm(3)(zeros({2, 4})),
                       doctest::Contains("[LayerNorm] expected the last axis of size 3"),
                       ShapeError);
}

// ---- BatchNorm ----------------------------------------------------------------------------------

TEST_CASE("BatchNorm: train (batch statistics, running update) then eval (running statistics)") {
  nn::BatchNorm norm(2);
  const Tensor x({{1.0f, 2.0f}, {3.0f, 6.0f}, {5.0f, 10.0f}});
  // Batch mean [3, 6]; biased variance [8/3, 32/3] normalizes, unbiased [4, 16] is tracked.
  check_close(norm(x),
              Tensor({{-1.2247426f, -1.2247443f}, {0.0f, 0.0f}, {1.2247426f, 1.2247443f}}));
  check_close(norm.running_mean(), Tensor({0.3f, 0.6f}));
  check_close(norm.running_var(), Tensor({1.3f, 2.5f}));

  norm.eval();
  check_close(norm(Tensor({{1.0f, 2.0f}})), Tensor({{0.6139383f, 0.8854360f}}));
  check_close(norm.running_mean(), Tensor({0.3f, 0.6f}));  // eval leaves them alone
}

TEST_CASE("BatchNorm: 3-D inputs reduce over every axis but the last") {
  nn::BatchNorm norm(1, 1e-5f, 0.5f);
  norm(reshape(Tensor({1.0f, 2.0f, 3.0f, 4.0f}), {2, 2, 1}));
  check_close(norm.running_mean(), Tensor({1.25f}));
  check_close(norm.running_var(), Tensor({0.5f + 0.5f * 5.0f / 3.0f}));
}

TEST_CASE("BatchNorm: running statistics are frozen parameters") {
  nn::BatchNorm norm(3);
  CHECK(names(norm.parameters()) ==
        std::vector<std::string>{"weight", "bias", "running_mean", "running_var"});
  CHECK(names(norm.trainable_parameters()) == std::vector<std::string>{"weight", "bias"});
  norm.unfreeze();
  CHECK(names(norm.trainable_parameters()) == std::vector<std::string>{"weight", "bias"});
  norm.freeze();
  CHECK(norm.trainable_parameters().empty());
  norm.unfreeze();
  CHECK(names(norm.trainable_parameters()) == std::vector<std::string>{"weight", "bias"});

  auto loss_and_grad =
      nn::value_and_grad(norm, [&](const Tensor& x) { return sum(square(norm(x))); });
  const auto [loss, grads] = loss_and_grad(minnow::testing::sample_input({4, 3}));
  CHECK(grads.keys() == std::vector<std::string>{"weight", "bias"});
}

TEST_CASE(
    "BatchNorm: without tracking, batch statistics in both modes; without affine, no "
    "weight") {
  nn::BatchNorm norm(2, 1e-5f, 0.1f, false, false);
  CHECK(norm.parameters().empty());
  CHECK(!norm.running_mean().defined());
  norm.eval();
  check_close(norm(Tensor({{1.0f, 2.0f}, {3.0f, 6.0f}, {5.0f, 10.0f}})),
              Tensor({{-1.2247426f, -1.2247443f}, {0.0f, 0.0f}, {1.2247426f, 1.2247443f}}));
  CHECK(norm.to_string() ==
        "BatchNorm(2, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
}

TEST_CASE("BatchNorm: input errors") {
  nn::BatchNorm norm(2);
  CHECK_THROWS_WITH_AS(norm(zeros({2})),
                       "[BatchNorm] expected an input of 2, 3 or 4 dimensions, got shape [2]",
                       ShapeError);
  CHECK_THROWS_AS(norm(zeros({1, 1, 1, 1, 2})), ShapeError);
  CHECK_THROWS_AS(norm(zeros({3, 4})), ShapeError);
  CHECK_THROWS_WITH_AS(norm(zeros({1, 2})), doctest::Contains("more than one value per feature"),
                       ValueError);
  norm.eval();
  CHECK(norm(zeros({1, 2})).shape() == Shape{1, 2});  // fine with running statistics
}
