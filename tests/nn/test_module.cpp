// The Module behaviours, seen through the layers of nn: names, freezing, update, train/eval,
// traversal order, printing, and a user-written Module subclass (the one of docs/modules.md).

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/nn.hpp"
#include "nn/nn_testing.hpp"

using namespace minnow;
using minnow::testing::check_close;

namespace {

nn::Sequential nested_model() {
  return nn::Sequential{nn::Linear(2, 3), nn::Sequential{nn::ReLU(), nn::Linear(3, 1)}};
}

std::vector<std::string> paths(const std::vector<std::pair<std::string, nn::Module*>>& modules) {
  std::vector<std::string> out;
  for (const auto& [path, module] : modules) out.push_back(path);
  return out;
}

// The example of docs/modules.md: a module with two child layers and one parameter of its own.
class ScaledMLP : public nn::Module {
 public:
  ScaledMLP(int64_t in, int64_t hidden, int64_t out) : in_(in), hidden_(hidden), out_(out) {
    first_ = register_module("first", nn::Linear(in, hidden));
    second_ = register_module("second", nn::Linear(hidden, out));
    scale_ = register_parameter("scale", ones({out}));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor h = nn::relu(child_at(first_)(x));
    return child_at(second_)(h) * param_at(scale_);
  }
  std::string type_name() const override { return "ScaledMLP"; }
  nn::json config() const override {
    return {{"type", "ScaledMLP"}, {"in", in_}, {"hidden", hidden_}, {"out", out_}};
  }
  std::string extra_repr() const override { return "hidden=" + std::to_string(hidden_); }

 private:
  int64_t in_, hidden_, out_;
  size_t first_ = 0, second_ = 0, scale_ = 0;
};

}  // namespace

TEST_CASE("parameters: flattened dotted names in insertion order, frozen ones included") {
  nn::Sequential model = nested_model();
  CHECK(model.parameters().keys() == std::vector<std::string>{"layers.0.weight", "layers.0.bias",
                                                              "layers.1.layers.1.weight",
                                                              "layers.1.layers.1.bias"});
  CHECK(model.num_parameters() == 6 + 3 + 3 + 1);
  CHECK(paths(model.children()) == std::vector<std::string>{"layers.0", "layers.1"});
  CHECK(paths(model.leaf_modules()) ==
        std::vector<std::string>{"layers.0", "layers.1.layers.0", "layers.1.layers.1"});
}

TEST_CASE("named_modules: self first, then a stack walk (siblings reversed), as MLX") {
  nn::Sequential model = nested_model();
  CHECK(paths(model.named_modules()) == std::vector<std::string>{"", "layers.1",
                                                                 "layers.1.layers.1",
                                                                 "layers.1.layers.0", "layers.0"});
  CHECK(model.modules().size() == 5);
  int visited = 0;
  model.apply_to_modules([&](const std::string&, nn::Module&) { ++visited; });
  CHECK(visited == 5);
}

TEST_CASE("freeze and unfreeze: frozen parameters are listed but get no gradient") {
  nn::Sequential model = nested_model();
  model.freeze({"bias"});
  CHECK(model.trainable_parameters().keys() ==
        std::vector<std::string>{"layers.0.weight", "layers.1.layers.1.weight"});
  CHECK(model.parameters().size() == 4);

  auto loss_and_grad = nn::value_and_grad(model, [&](const Tensor& x) { return sum(model(x)); });
  const auto [loss, grads] = loss_and_grad(ones({2, 2}));
  CHECK(grads.keys() == std::vector<std::string>{"layers.0.weight", "layers.1.layers.1.weight"});

  model.unfreeze();
  CHECK(model.trainable_parameters().size() == 4);
  model.freeze();
  CHECK(model.trainable_parameters().empty());
  model.unfreeze({"weight"});
  CHECK(model.trainable_parameters().keys() ==
        std::vector<std::string>{"layers.0.weight", "layers.1.layers.1.weight"});
  // Without recursion only the module's own parameters count: Sequential has none.
  model.unfreeze();
  model.freeze({}, /*recurse=*/false);
  CHECK(model.trainable_parameters().size() == 4);
  CHECK_THROWS_WITH_AS(model.freeze({"kernel"}, true, /*strict=*/true),
                       doctest::Contains("has no parameter named \"kernel\""), KeyError);
  CHECK(model.trainable_parameters().size() == 4);  // a failed strict freeze changes nothing
}

TEST_CASE("update: strict errors for unknown names and wrong shapes, and nothing changes") {
  nn::Sequential model = nested_model();
  const TensorMap before = model.parameters();
  CHECK_THROWS_WITH_AS(model.update({{"layers.0.weight", zeros({3, 2})}, {"nope", zeros({1})}}),
                       doctest::Contains("has no parameter named \"nope\""), KeyError);
  CHECK_THROWS_WITH_AS(model.update({{"layers.0.weight", zeros({2, 2})}}),
                       doctest::Contains("parameters[\"layers.0.weight\"]: expected shape [3, 2], "
                                         "got [2, 2]"),
                       ShapeError);
  CHECK(array_equal(model.parameters().at("layers.0.weight"), before.at("layers.0.weight")));
  model.update({{"layers.0.bias", ones({3})}, {"nope", zeros({1})}}, /*strict=*/false);
  CHECK(array_equal(model.parameters().at("layers.0.bias"), ones({3})));
}

TEST_CASE("apply maps parameters, with an optional filter") {
  nn::Sequential model = nested_model();
  model.apply([](const std::string&, const Tensor& p) { return zeros_like(p); },
              [](const std::string& name, const Tensor&) {
                return name.find("bias") != std::string::npos;
              });
  CHECK(array_equal(model.parameters().at("layers.0.bias"), zeros({3})));
  CHECK(!array_equal(model.parameters().at("layers.0.weight"), zeros({3, 2})));
}

TEST_CASE("update_modules replaces a child by its dotted path") {
  nn::Sequential model = nested_model();
  model.update_modules({{"layers.1.layers.0", nn::ModulePtr(nn::Tanh())}});
  CHECK(model.to_string() ==
        "Sequential(\n"
        "  (layers.0): Linear(input_dims=2, output_dims=3, bias=True)\n"
        "  (layers.1): Sequential(\n"
        "    (layers.0): Tanh()\n"
        "    (layers.1): Linear(input_dims=3, output_dims=1, bias=True)\n"
        "  )\n"
        ")");
  CHECK(model.config()["layers"][1]["layers"][0] == nn::json{{"type", "Tanh"}});
  CHECK_THROWS_WITH_AS(model.update_modules({{"layers.7", nn::ModulePtr(nn::ReLU())}}),
                       doctest::Contains("no sub-module named \"layers.7\""), KeyError);
}

TEST_CASE("train and eval recurse; modules start in training mode") {
  nn::Sequential model{nn::Linear(2, 2), nn::Sequential{nn::Dropout(0.5f)}};
  for (nn::Module* m : model.modules()) CHECK(m->training());
  model.eval();
  for (nn::Module* m : model.modules()) CHECK(!m->training());
  const Tensor x = ones({3, 2});
  CHECK(array_equal(model[1](x), x));  // Dropout is the identity in eval mode
  model.train();
  for (nn::Module* m : model.modules()) CHECK(m->training());
}

TEST_CASE("a user-written Module subclass: parameters, printing, gradients") {
  random::seed(8);
  ScaledMLP model(2, 4, 1);
  CHECK(model.parameters().keys() == std::vector<std::string>{"first.weight", "first.bias",
                                                              "second.weight", "second.bias",
                                                              "scale"});
  CHECK(model.to_string() ==
        "ScaledMLP(hidden=4\n"
        "  (first): Linear(input_dims=2, output_dims=4, bias=True)\n"
        "  (second): Linear(input_dims=4, output_dims=1, bias=True)\n"
        ")");
  auto loss_and_grad = nn::value_and_grad(
      model, [&](const Tensor& x, const Tensor& y) { return nn::losses::mse_loss(model(x), y); });
  const auto [loss, grads] = loss_and_grad(ones({3, 2}), zeros({3, 1}));
  CHECK(grads.size() == 5);
  CHECK(grads.at("scale").shape() == Shape{1});
  std::ostringstream printed;
  printed << model;
  CHECK(printed.str() == model.to_string());
}

TEST_CASE("a user-written type registered for configs (the example of docs/modules.md)") {
  nn::register_module_type("TestScaledMLP", [](const nn::json& config, const std::string& path) {
    nn::ConfigReader reader(config, path);
    const int64_t in = reader.get_dims("in");
    const int64_t hidden = reader.get_dims("hidden");
    const int64_t out = reader.get_dims("out");
    reader.finish();
    return nn::ModulePtr(ScaledMLP(in, hidden, out));
  });
  const auto model = nn::from_config(nlohmann::json::parse(R"({"type": "Sequential", "layers": [
      {"type": "TestScaledMLP", "in": 2, "hidden": 8, "out": 1}, {"type": "Sigmoid"}]})"));
  CHECK(model->parameters().size() == 5);
  CHECK((*model)(ones({4, 2})).shape() == Shape{4, 1});
  CHECK_THROWS_WITH_AS(
      nn::from_config({{"type", "TestScaledMLP"}, {"in", 2}, {"hidden", "x"}, {"out", 1}}),
      "model.hidden: expected a non-negative integer, got \"x\"", FormatError);
}

TEST_CASE("initializers applied to a model's weights (the example of docs/init.md)") {
  random::seed(12);
  nn::Sequential model{nn::Linear(100, 50), nn::ReLU(), nn::Linear(50, 10)};
  model.apply(
      [init = nn::init::he_uniform()](const std::string&, const Tensor& w) { return init(w); },
      [](const std::string& name, const Tensor&) { return name.ends_with("weight"); });
  const float limit = std::sqrt(3.0f / 100.0f);
  CHECK(max(abs(model.parameters().at("layers.0.weight"))).item() <= limit);
  CHECK(max(abs(model.parameters().at("layers.0.weight"))).item() > 0.95f * limit);
  // Biases keep Linear's own U(-1/sqrt(100), 1/sqrt(100)).
  CHECK(max(abs(model.parameters().at("layers.0.bias"))).item() <= 0.1f);
}
