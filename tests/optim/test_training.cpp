// Optimizers driving real modules: update(model, grads) after nn::value_and_grad, convergence of
// every optimizer on a linear regression, bit-exact resumption through state()/load_state(),
// subsets of gradients (frozen parameters), MultiOptimizer, and the error paths.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/threads_setting.hpp"
#include "minnow/core/allocator.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/nn.hpp"
#include "minnow/optim/optim.hpp"
#include "optim/optim_testing.hpp"

using namespace minnow;
using minnow::testing::check_values;

namespace {

// y = x·[2, -3, 0.5]ᵀ + 1 on 64 fixed points.
struct Regression {
  Tensor x, y;
};

const Regression& regression() {
  static const Regression data = [] {
    random::seed(7);
    const Tensor x = random::normal({64, 3});
    const Tensor w({{2.0f, -3.0f, 0.5f}});
    return Regression{x, matmul(x, transpose(w)) + Tensor(1.0f)};
  }();
  return data;
}

Tensor mse(nn::Module& model, const Tensor& x, const Tensor& y) {
  return nn::losses::mse_loss(model(x), y);
}

// Trains `model` for `steps` full-batch steps with `optimizer`.
void train(nn::Module& model, optim::Optimizer& optimizer, int steps) {
  const Regression& data = regression();
  auto loss_and_grad = nn::value_and_grad(model, mse);
  for (int i = 0; i < steps; ++i) {
    auto [loss, grads] = loss_and_grad(model, data.x, data.y);
    optimizer.update(model, grads);
  }
}

// The largest distance of the fitted Linear(3, 1) from the true coefficients.
float fit_error(const nn::Linear& model) {
  const std::vector<float> w = model.weight().to_vector();
  const std::vector<float> truth{2.0f, -3.0f, 0.5f};
  float error = std::abs(model.bias().item() - 1.0f);
  for (size_t i = 0; i < 3; ++i) error = std::max(error, std::abs(w[i] - truth[i]));
  return error;
}

// A model with some depth, for the resumption tests.
nn::Sequential small_mlp(uint64_t seed) {
  random::seed(seed);
  return nn::Sequential{nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 1)};
}

TensorMap copy_of(const TensorMap& map) {
  TensorMap out;
  for (const auto& [name, value] : map) out.insert_or_assign(name, value.copy());
  return out;
}

bool bit_identical(const TensorMap& a, const TensorMap& b) {
  if (a.keys() != b.keys()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a.value_at(i).to_vector() != b.value_at(i).to_vector()) return false;
  }
  return true;
}

struct OptimizerCase {
  const char* name;
  std::function<std::shared_ptr<optim::Optimizer>()> make;
  int steps;        // for the regression
  float tolerance;  // on the fitted coefficients
};

// Every optimizer, with hyper-parameters that fit the regression within `steps`.
std::vector<OptimizerCase> optimizer_cases() {
  using std::make_shared;
  return {
      {"SGD", [] { return make_shared<optim::SGD>(0.1f); }, 150, 1e-4f},
      {"SGD momentum nesterov",
       [] { return make_shared<optim::SGD>(0.05f, 0.9f, 0.0f, 0.0f, true); }, 150, 1e-4f},
      // Weight decay pulls the fit towards zero a little.
      {"SGD dampening, decay", [] { return make_shared<optim::SGD>(0.1f, 0.5f, 1e-4f, 0.5f); }, 150,
       1e-3f},
      {"RMSprop", [] { return make_shared<optim::RMSprop>(optim::cosine_decay(0.05f, 400)); }, 400,
       1e-4f},
      {"Adagrad", [] { return make_shared<optim::Adagrad>(1.0f); }, 300, 1e-4f},
      // AdaDelta's step grows as the gradient shrinks: a decaying rate keeps it from blowing up.
      {"AdaDelta", [] { return make_shared<optim::AdaDelta>(optim::cosine_decay(20.0f, 300)); },
       300, 1e-4f},
      {"Adam", [] { return make_shared<optim::Adam>(optim::cosine_decay(0.1f, 400)); }, 400, 1e-4f},
      {"Adam bias correction",
       [] {
         return make_shared<optim::Adam>(optim::cosine_decay(0.1f, 400), optim::Betas{0.9f, 0.999f},
                                         1e-8f, true);
       },
       400, 1e-4f},
      // The default weight decay (0.01) pulls the fit towards zero.
      {"AdamW", [] { return make_shared<optim::AdamW>(optim::cosine_decay(0.1f, 400)); }, 400,
       1e-2f},
      {"Adamax", [] { return make_shared<optim::Adamax>(optim::cosine_decay(0.2f, 400)); }, 400,
       1e-4f},
      {"Lion", [] { return make_shared<optim::Lion>(optim::cosine_decay(0.05f, 400)); }, 400,
       1e-3f},
      // The relative step moves each parameter by about 1% of its RMS per step.
      {"Adafactor", [] { return make_shared<optim::Adafactor>(); }, 600, 2e-2f},
      {"Adafactor lr, beta_1",
       [] {
         return make_shared<optim::Adafactor>(optim::cosine_decay(0.05f, 400),
                                              std::array<float, 2>{1e-30f, 1e-3f}, 1.0f, -0.8f,
                                              0.9f, 0.0f, false, false);
       },
       400, 1e-4f},
      {"Muon", [] { return make_shared<optim::Muon>(optim::cosine_decay(0.1f, 400), 0.9f, 0.0f); },
       400, 1e-4f},
  };
}

}  // namespace

// ---- update(model, grads) -----------------------------------------------------------------------

TEST_CASE("update writes the model's parameters in place") {
  random::seed(3);
  nn::Linear model(3, 1);
  const Tensor weight = model.weight();
  const std::vector<float> before = weight.to_vector();
  optim::SGD sgd(0.1f);
  train(model, sgd, 1);
  CHECK(model.weight().shares_data(weight));  // same storage...
  CHECK(weight.to_vector() != before);        // ...new values
  CHECK(sgd.step() == 1);
}

TEST_CASE("update by name: gradients built by hand, for a subset of the parameters") {
  random::seed(3);
  nn::Linear model(2, 1);
  const std::vector<float> weight = model.weight().to_vector();
  const float bias = model.bias().item();
  optim::SGD sgd(0.5f);
  sgd.update(model, TensorMap{{"bias", Tensor({2.0f})}});
  CHECK(model.weight().to_vector() == weight);  // no gradient: untouched
  CHECK(model.bias().item() == doctest::Approx(bias - 1.0f));
  CHECK(sgd.state().contains("bias.v"));
  CHECK_FALSE(sgd.state().contains("weight.v"));
  CHECK_THROWS_WITH_AS(sgd.update(model, TensorMap{{"kernel", Tensor({1.0f})}}),
                       "[SGD] no parameter named \"kernel\" for its gradient", KeyError);
}

TEST_CASE("frozen parameters get no gradient and are left alone") {
  random::seed(5);
  nn::Sequential model{nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 1)};
  model.freeze({"weight"}, true);  // every weight frozen, biases train
  const TensorMap before = copy_of(model.parameters());
  optim::Adam adam(0.01f);
  train(model, adam, 3);
  const TensorMap after = model.parameters();
  CHECK(after.at("layers.0.weight").to_vector() == before.at("layers.0.weight").to_vector());
  CHECK(after.at("layers.2.weight").to_vector() == before.at("layers.2.weight").to_vector());
  CHECK(after.at("layers.0.bias").to_vector() != before.at("layers.0.bias").to_vector());
  CHECK(after.at("layers.2.bias").to_vector() != before.at("layers.2.bias").to_vector());
  const TensorMap state = adam.state();
  CHECK(state.keys() == std::vector<std::string>{"step", "learning_rate", "layers.0.bias.m",
                                                 "layers.0.bias.v", "layers.2.bias.m",
                                                 "layers.2.bias.v"});
}

TEST_CASE("apply_gradients on maps: a subset of the parameters, in the order of the gradients") {
  TensorMap params{{"a", Tensor({1.0f})}, {"b", Tensor({2.0f})}, {"c", Tensor({3.0f})}};
  optim::SGD sgd(0.1f);
  const TensorMap updated =
      sgd.apply_gradients(TensorMap{{"c", Tensor({1.0f})}, {"a", Tensor({2.0f})}}, params);
  CHECK(updated.keys() == std::vector<std::string>{"c", "a"});
  check_values(params.at("a"), {0.8f});
  check_values(params.at("b"), {2.0f});
  check_values(params.at("c"), {2.9f});
}

TEST_CASE("a gradient that is its parameter's own storage is read before it is written") {
  const Tensor w({1.0f, 2.0f});
  TensorMap params{{"w", w}};
  optim::SGD sgd(0.1f, 0.0f, /*weight_decay=*/1.0f);
  sgd.apply_gradients(TensorMap{{"w", w}}, params);
  check_values(w, {0.8f, 1.6f});  // g + wd p = 2p; p - 0.1·2p
}

// ---- errors -------------------------------------------------------------------------------------

TEST_CASE("a gradient with no parameter, or of the wrong shape, changes nothing") {
  TensorMap params{{"a", Tensor({1.0f, 2.0f})}, {"b", Tensor({3.0f})}};
  optim::Adam adam(0.1f);
  CHECK_THROWS_WITH_AS(
      adam.apply_gradients(TensorMap{{"a", Tensor({1.0f, 1.0f})}, {"z", Tensor({1.0f})}}, params),
      "[Adam] no parameter named \"z\" for its gradient", KeyError);
  CHECK_THROWS_WITH_AS(
      adam.apply_gradients(TensorMap{{"a", Tensor({1.0f, 1.0f})}, {"b", Tensor({1.0f, 1.0f})}},
                           params),
      "[Adam] gradient \"b\" has shape [2] but its parameter has shape [1]", ShapeError);
  CHECK(adam.step() == 0);
  check_values(params.at("a"), {1.0f, 2.0f});
  check_values(params.at("b"), {3.0f});
}

TEST_CASE("a parameter replaced by one of another shape no longer fits its state") {
  TensorMap params{{"w", Tensor({1.0f, 2.0f})}};
  optim::SGD sgd(0.1f, 0.9f);
  sgd.apply_gradients(TensorMap{{"w", Tensor({1.0f, 1.0f})}}, params);
  params.insert_or_assign("w", Tensor({1.0f, 2.0f, 3.0f}));
  CHECK_THROWS_WITH_AS(sgd.apply_gradients(TensorMap{{"w", Tensor({1.0f, 1.0f, 1.0f})}}, params),
                       "[SGD] parameter \"w\" has shape [3] but its state was made for shape [2]",
                       ShapeError);
}

TEST_CASE("load_state refuses maps that are not an optimizer state") {
  optim::SGD sgd(0.1f, 0.9f);
  CHECK_THROWS_WITH_AS(sgd.load_state(TensorMap{{"w.v", Tensor({1.0f})}}),
                       "[SGD] the state has no \"step\" entry", KeyError);
  CHECK_THROWS_WITH_AS(sgd.load_state(TensorMap{{"step", Tensor(-1.0f)}}),
                       doctest::Contains("[SGD] state \"step\" must be a non-negative integer"),
                       ValueError);
  CHECK_THROWS_AS(sgd.load_state(TensorMap{{"step", Tensor(1.5f)}}), ValueError);
  CHECK_THROWS_WITH_AS(sgd.load_state(TensorMap{{"step", Tensor({1.0f, 2.0f})}}),
                       "[SGD] state \"step\" must hold one value, got shape [2]", ShapeError);
  CHECK_THROWS_WITH_AS(
      sgd.load_state(TensorMap{{"step", Tensor(1.0f)}, {"momentum", Tensor(1.0f)}}),
      doctest::Contains("[SGD] state entry \"momentum\" is neither"), KeyError);
  CHECK(sgd.step() == 0);  // nothing changed

  // Entries are matched against the parameters at the next step.
  TensorMap params{{"w", Tensor({1.0f, 2.0f})}};
  const TensorMap grads{{"w", Tensor({1.0f, 1.0f})}};
  sgd.load_state(TensorMap{{"step", Tensor(3.0f)}, {"w.m", zeros({2})}});
  CHECK(sgd.step() == 3);
  CHECK_THROWS_WITH_AS(sgd.apply_gradients(grads, params),
                       "[SGD] the state of \"w\" has entries {m}, expected {v}", KeyError);
  sgd.load_state(TensorMap{{"step", Tensor(3.0f)}, {"w.v", zeros({3})}});
  CHECK_THROWS_WITH_AS(sgd.apply_gradients(grads, params),
                       doctest::Contains("[SGD] state \"w.v\" has shape [3], expected [2]"),
                       ShapeError);
  check_values(params.at("w"), {1.0f, 2.0f});
}

// ---- state -------------------------------------------------------------------------------------

TEST_CASE("state() is MLX's flattened state, as a snapshot") {
  random::seed(11);
  nn::Sequential model{nn::Linear(3, 2), nn::Tanh(), nn::Linear(2, 1)};
  optim::Adam adam(0.01f);
  train(model, adam, 2);
  const TensorMap state = adam.state();
  CHECK(state.keys() ==
        std::vector<std::string>{"step", "learning_rate", "layers.0.weight.m", "layers.0.weight.v",
                                 "layers.0.bias.m", "layers.0.bias.v", "layers.2.weight.m",
                                 "layers.2.weight.v", "layers.2.bias.m", "layers.2.bias.v"});
  CHECK(state.at("step").shape() == Shape{});
  CHECK(state.at("step").item() == 2.0f);
  CHECK(state.at("learning_rate").item() == doctest::Approx(0.01f));
  CHECK(state.at("layers.0.weight.m").shape() == Shape{2, 3});
  const std::vector<float> m = state.at("layers.0.weight.m").to_vector();
  train(model, adam, 1);
  CHECK(state.at("layers.0.weight.m").to_vector() == m);  // the snapshot did not move
  CHECK(adam.state().at("layers.0.weight.m").to_vector() != m);
}

TEST_CASE("load_state restores a constant learning rate; a schedule keeps ruling") {
  optim::SGD constant(0.1f);
  constant.load_state(TensorMap{{"step", Tensor(4.0f)}, {"learning_rate", Tensor(0.25f)}});
  CHECK(constant.learning_rate() == 0.25f);
  TensorMap params{{"w", Tensor({1.0f})}};
  constant.apply_gradients(TensorMap{{"w", Tensor({1.0f})}}, params);
  check_values(params.at("w"), {0.75f});

  optim::SGD scheduled(optim::linear_schedule(0.0f, 1.0f, 10));
  scheduled.load_state(TensorMap{{"step", Tensor(4.0f)}, {"learning_rate", Tensor(0.3f)}});
  scheduled.apply_gradients(TensorMap{{"w", Tensor({1.0f})}}, params);
  CHECK(scheduled.learning_rate() == doctest::Approx(0.4f));  // schedule(4)
  check_values(params.at("w"), {0.35f});
}

// ---- convergence --------------------------------------------------------------------------------

TEST_CASE("every optimizer fits a linear regression") {
  for (const OptimizerCase& c : optimizer_cases()) {
    const std::string name = c.name;
    CAPTURE(name);
    random::seed(1);
    nn::Linear model(3, 1);
    auto optimizer = c.make();
    train(model, *optimizer, c.steps);
    CHECK(fit_error(model) < c.tolerance);
  }
}

// ---- resumption ---------------------------------------------------------------------------------

TEST_CASE("training N steps, saving, loading into fresh objects and training M more is exact") {
  for (const OptimizerCase& c : optimizer_cases()) {
    const std::string name = c.name;
    CAPTURE(name);
    // Straight through: 7 + 5 steps.
    nn::Sequential straight = small_mlp(21);
    auto straight_optimizer = c.make();
    train(straight, *straight_optimizer, 12);

    // Interrupted after 7: parameters and state copied out, the objects thrown away.
    TensorMap saved_parameters, saved_state;
    {
      nn::Sequential first = small_mlp(21);
      auto first_optimizer = c.make();
      train(first, *first_optimizer, 7);
      saved_parameters = copy_of(first.parameters());
      saved_state = first_optimizer->state();
    }
    nn::Sequential resumed = small_mlp(99);  // other initial values, overwritten below
    resumed.update(saved_parameters);
    auto resumed_optimizer = c.make();
    resumed_optimizer->load_state(saved_state);
    CHECK(resumed_optimizer->step() == 7);
    train(resumed, *resumed_optimizer, 5);

    CHECK(bit_identical(resumed.parameters(), straight.parameters()));
    CHECK(bit_identical(resumed_optimizer->state(), straight_optimizer->state()));
  }
}

// ---- threads ------------------------------------------------------------------------------------

TEST_CASE("a large parameter's update split across threads gives the same bits as one thread") {
  // 301 x 300 elements: above the size whose element-wise update is split, and not a multiple of
  // the slices' alignment, so the last slice is short.
  random::Generator generator(5);
  const Shape shape{301, 300};
  const TensorMap initial{{"w", random::normal(shape, 0, 1, &generator)},
                          {"b", random::normal(Shape{7}, 0, 1, &generator)}};
  std::vector<TensorMap> gradients;
  for (int step = 0; step < 3; ++step) {
    gradients.push_back({{"w", random::normal(shape, 0, 1, &generator)},
                         {"b", random::normal(Shape{7}, 0, 1, &generator)}});
  }
  const auto train_with = [&](const OptimizerCase& c, int threads) {
    const testing::ThreadsSetting setting(threads);
    TensorMap parameters = copy_of(initial);
    auto optimizer = c.make();
    for (const TensorMap& g : gradients) optimizer->apply_gradients(g, parameters);
    return std::pair{parameters, optimizer->state()};
  };
  for (const OptimizerCase& c : optimizer_cases()) {
    const std::string name = c.name;
    CAPTURE(name);
    const auto [serial_parameters, serial_state] = train_with(c, 1);
    for (const int threads : {2, 3}) {
      CAPTURE(threads);
      const auto [parameters, state] = train_with(c, threads);
      CHECK(bit_identical(parameters, serial_parameters));
      CHECK(bit_identical(state, serial_state));
    }
    CHECK_FALSE(bit_identical(serial_parameters, initial));  // the steps did move them
  }
}

// ---- allocation --------------------------------------------------------------------------------

TEST_CASE("once its state exists, a step allocates no tensors and updates in place") {
  if (!detail::pool_enabled()) return;  // sanitizer builds hand every block to the system
  std::vector<OptimizerCase> cases = optimizer_cases();
  cases.push_back(
      {"MultiOptimizer",
       [] {
         return std::make_shared<optim::MultiOptimizer>(
             std::vector<std::shared_ptr<optim::Optimizer>>{std::make_shared<optim::Muon>(0.01f),
                                                            std::make_shared<optim::Adam>(0.01f)},
             std::vector<optim::ParameterFilter>{
                 [](const std::string&, const Tensor& g) { return g.ndim() >= 2; }});
       },
       0, 0.0f});
  random::seed(2);
  TensorMap params{
      {"w", random::normal({8, 6})}, {"b", random::normal({6})}, {"k", random::normal({2, 3, 4})}};
  const TensorMap grads{
      {"w", random::normal({8, 6})}, {"b", random::normal({6})}, {"k", random::normal({2, 3, 4})}};
  std::vector<const float*> storage;
  for (const Tensor& p : params.values()) storage.push_back(p.data());
  for (const OptimizerCase& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    auto optimizer = c.make();
    optimizer->apply_gradients(grads, params);  // creates the state
    detail::pool_release_cached();
    for (int i = 0; i < 3; ++i) optimizer->apply_gradients(grads, params);
    // A tensor made and freed during the steps would have left its block in the pool.
    CHECK(detail::pool_cached_bytes() == 0);
    for (size_t i = 0; i < params.size(); ++i) CHECK(params.value_at(i).data() == storage[i]);
  }
}

// ---- MultiOptimizer -----------------------------------------------------------------------------

TEST_CASE("MultiOptimizer routes by filter, the last optimizer takes the rest") {
  auto slow = std::make_shared<optim::SGD>(0.1f);
  auto fast = std::make_shared<optim::SGD>(1.0f, 0.5f);
  optim::MultiOptimizer multi({slow, fast},
                              {[](const std::string& path, const Tensor&) { return path == "a"; }});
  TensorMap params{{"a", Tensor({1.0f})}, {"b", Tensor({1.0f})}};
  const TensorMap grads{{"a", Tensor({1.0f})}, {"b", Tensor({1.0f})}};
  const TensorMap updated = multi.apply_gradients(grads, params);
  CHECK(updated.same_keys(grads));
  check_values(params.at("a"), {0.9f});  // 1 - 0.1·1
  check_values(params.at("b"), {0.0f});  // 1 - 1·1
  multi.apply_gradients(grads, params);
  check_values(params.at("a"), {0.8f});
  check_values(params.at("b"), {-1.5f});  // v2 = 0.5·1 + 1
  CHECK(multi.step() == 2);
  CHECK(slow->step() == 2);
  CHECK(fast->step() == 2);

  const TensorMap state = multi.state();
  CHECK(state.keys() == std::vector<std::string>{"states.0.step", "states.0.learning_rate",
                                                 "states.0.a.v", "states.1.step",
                                                 "states.1.learning_rate", "states.1.b.v"});
  CHECK(multi.learning_rate() == doctest::Approx(0.1f));
  multi.set_learning_rate(0.01f);
  CHECK(fast->learning_rate() == doctest::Approx(0.01f));
}

TEST_CASE("MultiOptimizer: an optimizer with no gradients still steps (as MLX)") {
  auto first = std::make_shared<optim::Adam>(0.1f);
  auto rest = std::make_shared<optim::SGD>(0.1f);
  optim::MultiOptimizer multi({first, rest},
                              {[](const std::string&, const Tensor& g) { return g.ndim() >= 2; }});
  TensorMap params{{"bias", Tensor({1.0f})}};
  multi.apply_gradients(TensorMap{{"bias", Tensor({1.0f})}}, params);
  CHECK(first->step() == 1);
  CHECK(rest->step() == 1);
  check_values(params.at("bias"), {0.9f});
}

TEST_CASE("MultiOptimizer trains a model and resumes exactly") {
  const auto make = [] {
    return std::make_shared<optim::MultiOptimizer>(
        std::vector<std::shared_ptr<optim::Optimizer>>{std::make_shared<optim::Muon>(0.02f),
                                                       std::make_shared<optim::AdamW>(0.01f)},
        std::vector<optim::ParameterFilter>{
            [](const std::string&, const Tensor& g) { return g.ndim() >= 2; }});
  };
  nn::Sequential straight = small_mlp(4);
  auto straight_optimizer = make();
  train(straight, *straight_optimizer, 9);

  nn::Sequential first = small_mlp(4);
  auto first_optimizer = make();
  train(first, *first_optimizer, 4);
  const TensorMap state = first_optimizer->state();
  CHECK(state.contains("states.0.layers.0.weight.v"));
  CHECK(state.contains("states.1.layers.0.bias.m"));
  CHECK_FALSE(state.contains("states.0.layers.0.bias.v"));

  nn::Sequential resumed = small_mlp(5);
  resumed.update(copy_of(first.parameters()));
  auto resumed_optimizer = make();
  resumed_optimizer->load_state(state);
  train(resumed, *resumed_optimizer, 5);
  CHECK(bit_identical(resumed.parameters(), straight.parameters()));
}

TEST_CASE("MultiOptimizer checks its arguments and its state") {
  auto a = std::make_shared<optim::SGD>(0.1f);
  auto b = std::make_shared<optim::SGD>(0.1f);
  CHECK_THROWS_WITH_AS(optim::MultiOptimizer({a, b}),
                       "[MultiOptimizer] given 0 filters but 1 needed", ValueError);
  CHECK_THROWS_WITH_AS(optim::MultiOptimizer({}), "[MultiOptimizer] needs at least one optimizer",
                       ValueError);
  CHECK_THROWS_WITH_AS(
      optim::MultiOptimizer(
          {a, nullptr},
          {optim::ParameterFilter([](const std::string&, const Tensor&) { return true; })}),
      "[MultiOptimizer] optimizers[1] is empty", ValueError);
  CHECK_THROWS_WITH_AS(
      optim::MultiOptimizer({a, a}, {[](const std::string&, const Tensor&) { return true; }}),
      doctest::Contains("[MultiOptimizer] optimizers[1] is already in the list"), ValueError);
  CHECK_THROWS_WITH_AS(optim::MultiOptimizer({a, b}, {optim::ParameterFilter()}),
                       "[MultiOptimizer] filters[0] is empty", ValueError);

  optim::MultiOptimizer multi({a, b},
                              {[](const std::string& p, const Tensor&) { return p == "x"; }});
  CHECK_THROWS_WITH_AS(multi.load_state(TensorMap{{"states.2.step", Tensor(1.0f)}}),
                       doctest::Contains("[MultiOptimizer] state entry \"states.2.step\""),
                       KeyError);
  // The second part has no step: the first optimizer keeps its state.
  CHECK_THROWS_AS(multi.load_state(TensorMap{{"states.0.step", Tensor(5.0f)}}), KeyError);
  CHECK(a->step() == 0);
  TensorMap params{{"x", Tensor({1.0f})}};
  CHECK_THROWS_AS(multi.apply_gradients(TensorMap{{"y", Tensor({1.0f})}}, params), KeyError);
  CHECK(a->step() == 0);
}
