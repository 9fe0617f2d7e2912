#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/nn/nn.hpp"
#include "nn/nn_testing.hpp"
#include "support/gradcheck.hpp"

using namespace minnow;
using minnow::testing::check_close;
using minnow::testing::column;

namespace {

// One row per activation (and per interesting argument): the module's config, an input, and
// the output derived by hand from the formula in docs/activations.md.
struct ActivationRow {
  nn::json config;
  Tensor input;
  Tensor expected;
};

const Tensor kX({-3.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 3.0f});

std::vector<ActivationRow> activation_rows() {
  using nn::json;
  return {
      {{{"type", "ReLU"}}, kX, Tensor({0, 0, 0, 0, 0.5f, 1, 3})},
      {{{"type", "ReLU2"}}, kX, Tensor({0, 0, 0, 0, 0.25f, 1, 9})},
      {{{"type", "ReLU6"}}, Tensor({-1.0f, 3.0f, 6.0f, 7.0f}), Tensor({0, 3, 6, 6})},
      {{{"type", "LeakyReLU"}}, kX, Tensor({-0.03f, -0.01f, -0.005f, 0, 0.5f, 1, 3})},
      {{{"type", "LeakyReLU"}, {"negative_slope", 0.2}},
       kX,
       Tensor({-0.6f, -0.2f, -0.1f, 0, 0.5f, 1, 3})},
      {{{"type", "PReLU"}}, kX, Tensor({-0.75f, -0.25f, -0.125f, 0, 0.5f, 1, 3})},
      {{{"type", "PReLU"}, {"num_parameters", 2}, {"init", 0.5}},
       Tensor({{-2.0f, 4.0f}, {6.0f, -8.0f}}),
       Tensor({{-1.0f, 4.0f}, {6.0f, -4.0f}})},
      {{{"type", "ELU"}}, kX, Tensor({-0.9502129f, -0.6321206f, -0.3934693f, 0, 0.5f, 1, 3})},
      {{{"type", "ELU"}, {"alpha", 0.5}},
       kX,
       Tensor({-0.4751065f, -0.3160603f, -0.1967347f, 0, 0.5f, 1, 3})},
      {{{"type", "CELU"}}, kX, Tensor({-0.9502129f, -0.6321206f, -0.3934693f, 0, 0.5f, 1, 3})},
      {{{"type", "CELU"}, {"alpha", 0.5}},
       kX,
       Tensor({-0.4987606f, -0.4323324f, -0.3160603f, 0, 0.5f, 1, 3})},
      {{{"type", "SELU"}},
       kX,
       Tensor({-1.670564f, -1.111328f, -0.6917562f, 0, 0.52535f, 1.0507f, 3.1521f})},
      {{{"type", "Sigmoid"}},
       kX,
       Tensor({0.04742587f, 0.2689414f, 0.3775407f, 0.5f, 0.6224593f, 0.7310586f, 0.9525741f})},
      {{{"type", "LogSigmoid"}},
       kX,
       Tensor({-3.048587f, -1.313262f, -0.974077f, -0.6931472f, -0.474077f, -0.3132617f,
               -0.04858735f})},
      {{{"type", "SiLU"}},
       kX,
       Tensor({-0.1422776f, -0.2689414f, -0.1887703f, 0, 0.3112297f, 0.7310586f, 2.857722f})},
      {{{"type", "Tanh"}},
       kX,
       Tensor({-0.9950548f, -0.7615942f, -0.4621172f, 0, 0.4621172f, 0.7615942f, 0.9950548f})},
      {{{"type", "Softplus"}},
       kX,
       Tensor({0.04858735f, 0.3132617f, 0.474077f, 0.6931472f, 0.974077f, 1.313262f, 3.048587f})},
      {{{"type", "Softsign"}},
       kX,
       Tensor({-0.75f, -0.5f, -0.3333333f, 0, 0.3333333f, 0.5f, 0.75f})},
      // |x| == lambd gives 0 for both shrinks.
      {{{"type", "Softshrink"}}, kX, Tensor({-2.5f, -0.5f, 0, 0, 0, 0.5f, 2.5f})},
      {{{"type", "Softshrink"}, {"lambd", 1.0}}, kX, Tensor({-2.0f, 0, 0, 0, 0, 0, 2.0f})},
      {{{"type", "HardShrink"}}, kX, Tensor({-3, -1, 0, 0, 0, 1, 3})},
      {{{"type", "HardShrink"}, {"lambd", 1.0}}, kX, Tensor({-3, 0, 0, 0, 0, 0, 3})},
      {{{"type", "HardTanh"}}, kX, Tensor({-1, -1, -0.5f, 0, 0.5f, 1, 1})},
      {{{"type", "Hardswish"}},
       kX,
       Tensor({0, -0.3333333f, -0.2083333f, 0, 0.2916667f, 0.6666667f, 3})},
      {{{"type", "Mish"}},
       kX,
       Tensor({-0.1456475f, -0.3034015f, -0.2207438f, 0, 0.3752452f, 0.8650984f, 2.986535f})},
      {{{"type", "GELU"}},
       kX,
       Tensor({-0.004049694f, -0.1586553f, -0.1542688f, 0, 0.3457312f, 0.8413447f, 2.99595f})},
      {{{"type", "GELU"}, {"approx", "precise"}},
       kX,
       Tensor({-0.003637392f, -0.158808f, -0.154286f, 0, 0.345714f, 0.841192f, 2.996363f})},
      {{{"type", "GELU"}, {"approx", "tanh"}},
       kX,
       Tensor({-0.003637392f, -0.158808f, -0.154286f, 0, 0.345714f, 0.841192f, 2.996363f})},
      {{{"type", "GELU"}, {"approx", "fast"}},
       kX,
       Tensor({-0.01807131f, -0.1542042f, -0.1496116f, 0, 0.3503884f, 0.8457958f, 2.981929f})},
      // a = [1, 2] is the value, b = [3, 4] the gate.
      {{{"type", "GLU"}}, Tensor({{1.0f, 2.0f, 3.0f, 4.0f}}), Tensor({{0.9525741f, 1.9640276f}})},
      {{{"type", "GLU"}, {"axis", 0}},
       column({1.0f, 2.0f, 3.0f, 4.0f}),
       column({0.9525741f, 1.9640276f})},
      {{{"type", "Softmax"}},
       Tensor({{1.0f, 2.0f, 3.0f}}),
       Tensor({{0.09003057f, 0.24472847f, 0.66524096f}})},
      {{{"type", "Softmin"}},
       Tensor({{1.0f, 2.0f, 3.0f}}),
       Tensor({{0.66524096f, 0.24472847f, 0.09003057f}})},
      {{{"type", "LogSoftmax"}},
       Tensor({{1.0f, 2.0f, 3.0f}}),
       Tensor({{-2.40760596f, -1.40760596f, -0.40760596f}})},
      // Step's boundary, as MLX's test_step: x == threshold gives 1.
      {{{"type", "Step"}}, Tensor({-1.0f, 0.0f, 1.0f}), Tensor({0, 1, 1})},
      {{{"type", "Step"}, {"threshold", 1.0}}, Tensor({-1.0f, 0.0f, 1.0f}), Tensor({0, 0, 1})},
      {{{"type", "Step"}, {"threshold", -0.5}, {"gradient", "straight_through"}},
       kX,
       Tensor({0, 0, 1, 1, 1, 1, 1})},
  };
}

}  // namespace

TEST_CASE("every activation computes its formula (table)") {
  const auto rows = activation_rows();
  for (const auto& row : rows) {
    CAPTURE(row.config.dump());
    const nn::ModulePtr module = nn::from_config(row.config);
    check_close((*module)(row.input), row.expected, 1e-5f, 1e-5f);
  }
}

TEST_CASE("the table has a row for every activation type") {
  const auto rows = activation_rows();
  const auto first_activation =
      std::find(nn::builtin_module_types.begin(), nn::builtin_module_types.end(), "ReLU");
  for (auto it = first_activation; it != nn::builtin_module_types.end(); ++it) {
    CAPTURE(std::string(*it));
    const bool covered = std::any_of(rows.begin(), rows.end(), [&](const ActivationRow& row) {
      return row.config["type"] == std::string(*it);
    });
    CHECK(covered);
  }
}

TEST_CASE("activation functions equal their modules and take MLX's arguments") {
  const Tensor x = kX;
  check_close(nn::relu(x), nn::ReLU()(x));
  check_close(nn::leaky_relu(x, 0.2f), nn::LeakyReLU(0.2f)(x));
  check_close(nn::elu(x, 0.5f), nn::ELU(0.5f)(x));
  check_close(nn::celu(x, 0.5f), nn::CELU(0.5f)(x));
  check_close(nn::softshrink(x, 1.0f), nn::Softshrink(1.0f)(x));
  check_close(nn::hard_shrink(x, 1.0f), nn::HardShrink(1.0f)(x));
  check_close(nn::gelu_approx(x), nn::GELU("precise")(x));
  check_close(nn::gelu_fast_approx(x), nn::GELU("fast")(x));
  check_close(nn::sigmoid(x), nn::Sigmoid()(x));
  check_close(nn::tanh(x), nn::Tanh()(x));
  check_close(nn::prelu(x, Tensor(0.25f)), nn::PReLU()(x));
  // hard_tanh's bounds exist on the function only, as in MLX.
  check_close(nn::hard_tanh(x, -0.5f, 2.0f), Tensor({-0.5f, -0.5f, -0.5f, 0, 0.5f, 1, 2}));
  check_close(nn::softmax(column({1.0f, 2.0f}), 0), column({0.26894142f, 0.73105858f}));
  check_close(nn::softmin(column({1.0f, 2.0f}), 0), column({0.73105858f, 0.26894142f}));
  check_close(nn::log_softmax(column({1.0f, 2.0f}), 0), column({-1.31326169f, -0.31326169f}));
  check_close(nn::glu(column({1.0f, 2.0f}), 0), column({0.88079708f}));
}

TEST_CASE("step: boundary, threshold, float32 output") {
  check_close(nn::step(Tensor({-1.0f, 0.0f, 1.0f})), Tensor({0, 1, 1}));
  check_close(nn::step(Tensor({-1.0f, 0.0f, 1.0f}), 1.0f), Tensor({0, 0, 1}));
  // Outputs are exactly 0.0f or 1.0f, so they can feed a Linear layer directly.
  const Tensor out = nn::step(Tensor({-0.1f, 0.1f}));
  CHECK(out.to_vector() == std::vector<float>{0.0f, 1.0f});
}

TEST_CASE("step: the threshold is a hyper-parameter, not a parameter") {
  nn::Step step(0.7f);
  CHECK(step.parameters().empty());
  CHECK(step.threshold() == 0.7f);
  CHECK(step.config()["threshold"].get<double>() == 0.7);  // written as 0.7, not 0.699999988
}

TEST_CASE("step: zero gradient by default") {
  const Tensor x({-1.0f, 0.0f, 0.5f});
  const auto grads =
      grad([](const std::vector<Tensor>& p) { return sum(nn::step(p[0]) * 3.0f); }, {x});
  CHECK(grads[0].to_vector() == std::vector<float>{0.0f, 0.0f, 0.0f});
}

TEST_CASE("step: the straight-through gradient passes the incoming gradient unchanged") {
  // d/dx sum(w * step(x)) with the straight-through estimator is w itself, whatever x is.
  const Tensor x({-2.0f, -0.5f, 0.0f, 0.5f, 2.0f});
  const Tensor w({1.5f, -2.0f, 0.25f, 3.0f, -1.0f});
  nn::Step step(0.0f, nn::StepGradient::straight_through);
  const auto grads = grad([&](const std::vector<Tensor>& p) { return sum(step(p[0]) * w); }, {x});
  CHECK(grads[0].to_vector() == w.to_vector());
  // Through a chain: d/dx sum(step(2x)) = 2 everywhere.
  const auto chained = grad(
      [](const std::vector<Tensor>& p) {
        return sum(nn::step(p[0] * 2.0f, 0.0f, nn::StepGradient::straight_through));
      },
      {x});
  CHECK(chained[0].to_vector() == std::vector<float>(5, 2.0f));
}

TEST_CASE(
    "step: straight-through SGD on Linear -> Step with squared error is the perceptron rule") {
  // One sample, x = [1, 2], target 1, prediction step(w.x + b) = 0. The loss 0.5 (y - t)^2 has
  // straight-through gradient (y - t) x for w and (y - t) for b: Rosenblatt's update, with the
  // learning rate as the perceptron's step size.
  nn::Sequential model{nn::Linear(2, 1), nn::Step(0.0f, nn::StepGradient::straight_through)};
  model.update({{"layers.0.weight", Tensor({{-1.0f, 0.5f}})}, {"layers.0.bias", Tensor({-0.5f})}});
  const Tensor x({{1.0f, 2.0f}});
  const Tensor target = column({1.0f});
  auto loss_and_grad = nn::value_and_grad(
      model, [&](const Tensor& in, const Tensor& t) { return sum(square(model(in) - t)) * 0.5f; });
  const auto [loss, grads] = loss_and_grad(x, target);
  CHECK(loss.item() == 0.5f);
  CHECK(grads.at("layers.0.weight").to_vector() == std::vector<float>{-1.0f, -2.0f});
  CHECK(grads.at("layers.0.bias").to_vector() == std::vector<float>{-1.0f});
}

TEST_CASE("gradients at the kinks are MLX's") {
  const auto derivative = [](Tensor (*f)(const Tensor&), float at) {
    return grad([&](const std::vector<Tensor>& p) { return sum(f(p[0])); }, {Tensor({at})})[0]
        .item();
  };
  CHECK(derivative(nn::relu, 0.0f) == 0.0f);
  CHECK(derivative(nn::relu6, 0.0f) == 0.0f);
  CHECK(derivative(nn::relu6, 6.0f) == 0.0f);
  CHECK(derivative(nn::hardswish, 3.0f) == 1.0f);  // x * min(6, x + 3) / 6, the min held at 6
  CHECK(derivative([](const Tensor& x) { return nn::leaky_relu(x); }, 0.0f) == 1.0f);
  CHECK(derivative([](const Tensor& x) { return nn::hard_tanh(x); }, 1.0f) == 0.0f);
  CHECK(derivative([](const Tensor& x) { return nn::elu(x); }, 0.0f) == 1.0f);
}

TEST_CASE("GELU accepts none, precise, tanh and fast only") {
  CHECK_NOTHROW(nn::GELU("none"));
  CHECK_NOTHROW(nn::GELU("tanh"));
  CHECK_THROWS_WITH_AS(nn::GELU("exact"), doctest::Contains("[GELU] approx must be one of"),
                       ValueError);
  CHECK_THROWS_WITH_AS(nn::GELU("exact"), doctest::Contains("got 'exact'"), ValueError);
}

TEST_CASE("SELU uses MLX's five-digit constants") {
  check_close(nn::selu(Tensor({1.0f, -100.0f})), Tensor({1.0507f, -1.0507f * 1.67326f}), 1e-6f,
              1e-6f);
}

TEST_CASE("activations stay finite for extreme inputs, values and gradients") {
  const Tensor x({-1e4f, -100.0f, 100.0f, 1e4f});
  const std::vector<nn::json> configs = {
      {{"type", "ELU"}},        {{"type", "CELU"}},       {{"type", "SELU"}},
      {{"type", "Softplus"}},   {{"type", "LogSigmoid"}}, {{"type", "Mish"}},
      {{"type", "SiLU"}},       {{"type", "GELU"}},       {{"type", "Sigmoid"}},
      {{"type", "LogSoftmax"}}, {{"type", "Softmax"}},    {{"type", "Softmin"}}};
  for (const auto& config : configs) {
    CAPTURE(config.dump());
    const nn::ModulePtr module = nn::from_config(config);
    CHECK(all_finite((*module)(x)));
    const auto grads =
        grad([&](const std::vector<Tensor>& p) { return sum((*module)(p[0])); }, {x});
    CHECK(all_finite(grads[0]));
  }
  check_close(nn::log_softmax(Tensor({1e4f, 1e4f})), Tensor({-0.69314718f, -0.69314718f}));
}

TEST_CASE("CELU rejects alpha = 0, PReLU needs a positive num_parameters") {
  CHECK_THROWS_WITH_AS(nn::CELU(0.0f), doctest::Contains("[CELU] alpha must not be 0"), ValueError);
  CHECK_THROWS_WITH_AS(nn::PReLU(0), doctest::Contains("[PReLU] num_parameters must be positive"),
                       ValueError);
}

TEST_CASE("GLU needs an even axis") {
  CHECK_THROWS_WITH_AS(nn::glu(Tensor({1.0f, 2.0f, 3.0f})), doctest::Contains("[glu]"), ShapeError);
}

TEST_CASE("PReLU's weight is a trainable parameter broadcast on the last axis") {
  nn::PReLU prelu(3, 0.1f);
  const auto params = prelu.trainable_parameters();
  REQUIRE(params.size() == 1);
  CHECK(params.name_at(0) == "weight");
  CHECK(params.value_at(0).shape() == Shape{3});
  check_close(prelu(Tensor({{-1.0f, -2.0f, 3.0f}})), Tensor({{-0.1f, -0.2f, 3.0f}}));
}
