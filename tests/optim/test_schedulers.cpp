// Learning-rate schedules (values at several steps, join boundaries, argument checks, MLX's own
// documented examples) and gradient clipping by global norm.

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "minnow/core/ops.hpp"
#include "minnow/optim/optim.hpp"
#include "optim/optim_testing.hpp"

using namespace minnow;
using doctest::Approx;
using minnow::testing::check_values;

namespace {

// `steps` empty updates, as MLX's docs do with optimizer.update({}, {}).
void idle_steps(optim::Optimizer& optimizer, int steps) {
  for (int i = 0; i < steps; ++i) optimizer.apply_gradients(TensorMap{}, TensorMap{});
}

}  // namespace

TEST_CASE("exponential_decay: init · rate^step") {
  const auto s = optim::exponential_decay(0.1f, 0.9f);
  CHECK(s(0) == Approx(0.1));
  CHECK(s(1) == Approx(0.09));
  CHECK(s(5) == Approx(0.059049));
  CHECK(s(100) == Approx(0.1 * std::pow(0.9, 100)).epsilon(1e-5));
}

TEST_CASE("step_decay: init · rate^(step / step_size), integer division") {
  const auto s = optim::step_decay(0.1f, 0.9f, 10);
  CHECK(s(0) == Approx(0.1));
  CHECK(s(9) == Approx(0.1));
  CHECK(s(10) == Approx(0.09));
  CHECK(s(19) == Approx(0.09));
  CHECK(s(25) == Approx(0.081));
  CHECK_THROWS_WITH_AS(optim::step_decay(0.1f, 0.9f, 0),
                       "[step_decay] step_size must be at least 1, got 0", ValueError);
}

TEST_CASE("cosine_decay: half a cosine from init to end, then constant") {
  const auto s = optim::cosine_decay(0.1f, 1000);
  CHECK(s(0) == Approx(0.1));
  CHECK(s(250) == Approx(0.05 * (1 + std::cos(std::numbers::pi / 4))));
  CHECK(s(500) == Approx(0.05));
  CHECK(s(1000) == Approx(0.0));
  CHECK(s(5000) == Approx(0.0));
  const auto to_floor = optim::cosine_decay(0.1f, 1000, /*end=*/0.01f);
  CHECK(to_floor(0) == Approx(0.1));
  CHECK(to_floor(500) == Approx(0.055));
  CHECK(to_floor(1000) == Approx(0.01));
  CHECK(to_floor(2000) == Approx(0.01));
  CHECK_THROWS_WITH_AS(optim::cosine_decay(0.1f, 0),
                       "[cosine_decay] decay_steps must be at least 1, got 0", ValueError);
}

TEST_CASE("linear_schedule: from init to end over `steps` steps, then constant") {
  const auto s = optim::linear_schedule(0.0f, 1.0f, 4);
  const std::vector<double> expected{0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0};
  for (int64_t step = 0; step < 7; ++step) {
    CHECK(s(step) == Approx(expected[static_cast<size_t>(step)]));
  }
  const auto down = optim::linear_schedule(1.0f, 0.5f, 2);
  CHECK(down(1) == Approx(0.75));
  CHECK(down(3) == Approx(0.5));
  CHECK_THROWS_WITH_AS(optim::linear_schedule(0.0f, 1.0f, -3),
                       "[linear_schedule] steps must be at least 1, got -3", ValueError);
}

TEST_CASE("join_schedules hands over at each boundary, counting from it") {
  const auto warmup = optim::linear_schedule(0.0f, 1.0f, 10);
  const auto decay = optim::exponential_decay(1.0f, 0.5f);
  const auto s = optim::join_schedules({warmup, decay}, {10});
  CHECK(s(0) == Approx(0.0));
  CHECK(s(9) == Approx(0.9));
  CHECK(s(10) == Approx(1.0));   // decay(0)
  CHECK(s(12) == Approx(0.25));  // decay(2)

  const auto three =
      optim::join_schedules({optim::linear_schedule(0.0f, 1.0f, 5), optim::cosine_decay(1.0f, 3),
                             optim::exponential_decay(0.2f, 0.5f)},
                            {5, 8});
  CHECK(three(4) == Approx(0.8));
  CHECK(three(5) == Approx(1.0));                                         // cosine(0)
  CHECK(three(6) == Approx(0.5 * (1 + std::cos(std::numbers::pi / 3))));  // cosine(1)
  CHECK(three(7) == Approx(0.25));                                        // cosine(2)
  CHECK(three(8) == Approx(0.2));                                         // exponential(0)
  CHECK(three(10) == Approx(0.05));                                       // exponential(2)
}

TEST_CASE("join_schedules checks its arguments") {
  const auto one = optim::exponential_decay(1.0f, 0.5f);
  CHECK_THROWS_WITH_AS(optim::join_schedules({}, {}),
                       "[join_schedules] must be given at least 1 schedule to join", ValueError);
  CHECK_THROWS_WITH_AS(optim::join_schedules({one, one}, {}),
                       "[join_schedules] received 0 boundaries but expected 1", ValueError);
  CHECK_THROWS_WITH_AS(optim::join_schedules({one}, {3}),
                       "[join_schedules] received 1 boundaries but expected 0", ValueError);
  CHECK_THROWS_WITH_AS(optim::join_schedules({one, optim::Schedule()}, {3}),
                       "[join_schedules] schedules[1] is empty", ValueError);
  CHECK(optim::join_schedules({one}, {})(2) == Approx(0.25));
}

TEST_CASE("MLX's documented schedule examples give MLX's documented rates") {
  // optim.exponential_decay(1e-1, 0.9) with SGD: 0.06561 after 5 updates.
  optim::SGD exponential(optim::exponential_decay(1e-1f, 0.9f));
  CHECK(exponential.learning_rate() == Approx(0.1));
  idle_steps(exponential, 5);
  CHECK(exponential.learning_rate() == Approx(0.06561));
  CHECK(exponential.step() == 5);
  // optim.step_decay(1e-1, 0.9, 10): 0.081 after 21 updates.
  optim::SGD step(optim::step_decay(1e-1f, 0.9f, 10));
  idle_steps(step, 21);
  CHECK(step.learning_rate() == Approx(0.081));
  // optim.cosine_decay(1e-1, 1000): 0.0999961 after 5 updates.
  optim::SGD cosine(optim::cosine_decay(1e-1f, 1000));
  idle_steps(cosine, 5);
  CHECK(cosine.learning_rate() == Approx(0.0999961).epsilon(1e-6));
  // join_schedules([linear_schedule(0, 1e-1, 10), cosine_decay(1e-1, 200)], [10]) with Adam:
  // 0.0 before any update, 0.0999938 after 12.
  optim::Adam joined(optim::join_schedules(
      {optim::linear_schedule(0.0f, 1e-1f, 10), optim::cosine_decay(1e-1f, 200)}, {10}));
  CHECK(joined.learning_rate() == Approx(0.0));
  idle_steps(joined, 12);
  CHECK(joined.learning_rate() == Approx(0.0999938).epsilon(1e-6));
  // linear_schedule(0, 1e-1, 100): 0.1 after 101 updates.
  optim::Adam linear(optim::linear_schedule(0.0f, 1e-1f, 100));
  idle_steps(linear, 101);
  CHECK(linear.learning_rate() == Approx(0.1));
}

// ---- clip_grad_norm -----------------------------------------------------------------------------

TEST_CASE("clip_grad_norm leaves gradients under the bound alone") {
  const TensorMap grads{{"a", Tensor({3.0f, 4.0f})}, {"b", reshape(Tensor({12.0f}), {1, 1})}};
  const auto [clipped, total] = optim::clip_grad_norm(grads, 26.0f);
  CHECK(total == Approx(13.0));  // √(9 + 16 + 144)
  REQUIRE(clipped.same_keys(grads));
  CHECK(clipped.at("a").shares_data(grads.at("a")));
  CHECK(clipped.at("b").shares_data(grads.at("b")));
}

TEST_CASE("clip_grad_norm scales every gradient by max_norm / (total + 1e-6) above the bound") {
  const TensorMap grads{{"a", Tensor({3.0f, 4.0f})}, {"b", reshape(Tensor({12.0f}), {1, 1})}};
  const auto [clipped, total] = optim::clip_grad_norm(grads, 6.5f);
  CHECK(total == Approx(13.0));
  REQUIRE(clipped.same_keys(grads));  // the optimizer's fast path still applies
  const float scale = 6.5f / (13.0f + 1e-6f);
  check_values(clipped.at("a"), {3.0f * scale, 4.0f * scale});
  check_values(clipped.at("b"), {12.0f * scale});
  CHECK(clipped.at("b").shape() == Shape{1, 1});
  CHECK(grads.at("a").at({0}) == 3.0f);  // the inputs are not touched
  // MLX's docstring example: {"w1": [2, 3], "w2": [1]} with max_norm 2.
  const auto [doc, doc_total] =
      optim::clip_grad_norm(TensorMap{{"w1", Tensor({2.0f, 3.0f})}, {"w2", Tensor({1.0f})}}, 2.0f);
  CHECK(doc_total == Approx(std::sqrt(14.0)));
  check_values(doc.at("w1"), {2.0f * 2.0f / std::sqrt(14.0f), 3.0f * 2.0f / std::sqrt(14.0f)},
               1e-5f);
}

TEST_CASE("clip_grad_norm refuses a negative bound; an empty map has norm 0") {
  CHECK_THROWS_WITH_AS(optim::clip_grad_norm(TensorMap{{"a", Tensor({1.0f})}}, -1.0f),
                       "[clip_grad_norm] max_norm must be non-negative, got -1.0", ValueError);
  const auto [none, total] = optim::clip_grad_norm(TensorMap{}, 1.0f);
  CHECK(none.empty());
  CHECK(total == 0.0f);
}
