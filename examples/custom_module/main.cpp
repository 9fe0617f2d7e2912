// custom_module: your own layer, as a first-class minnow module. A residual block
//
//     y = x + Linear(hidden -> dims)(relu(Linear(dims -> hidden)(x)))
//
// is written as a Module subclass, registered under its own type name, used inside a
// Sequential, trained, saved to a model file and loaded back through the registry, exactly as
// the built-in layers are.

#include <cmath>
#include <iostream>
#include <string>

#include "minnow/minnow.hpp"

using namespace minnow;

/// A residual block: the input plus a small two-layer correction of it.
class ResidualBlock : public nn::Module {
 public:
  ResidualBlock(int64_t dims, int64_t hidden_dims) : dims_(dims), hidden_dims_(hidden_dims) {
    // Children are registered by name: their parameters are "inner.weight", "outer.bias", ...
    inner_ = register_module("inner", nn::Linear(dims, hidden_dims));
    outer_ = register_module("outer", nn::Linear(hidden_dims, dims));
  }

  Tensor forward(const Tensor& x) override {
    return x + child_at(outer_)(nn::relu(child_at(inner_)(x)));
  }

  /// The type name: the "type" of its config, and what the registry builds it from.
  std::string type_name() const override { return "ResidualBlock"; }
  /// The constructor arguments: building a ResidualBlock from this gives the same block.
  nn::json config() const override {
    return {{"type", type_name()}, {"dims", dims_}, {"hidden_dims", hidden_dims_}};
  }
  /// What appears between the parentheses when the module is printed.
  std::string extra_repr() const override {
    return "dims=" + std::to_string(dims_) + ", hidden_dims=" + std::to_string(hidden_dims_);
  }

 private:
  int64_t dims_, hidden_dims_;
  size_t inner_ = 0, outer_ = 0;
};

/// Teaches the registry to build a ResidualBlock from its config. ConfigReader gives errors that
/// name the JSON path ("model.layers[1].dims: expected a non-negative integer, got -3") and
/// finish() refuses keys nobody read (usually typos).
void register_residual_block() {
  nn::register_module_type("ResidualBlock", [](const nn::json& config, const std::string& path) {
    nn::ConfigReader reader(config, path);
    const int64_t dims = reader.get_dims("dims");
    const int64_t hidden_dims = reader.get_dims("hidden_dims", 16);  // 16 when absent
    reader.finish();
    return nn::ModulePtr(ResidualBlock(dims, hidden_dims));
  });
}

int main() {
  register_residual_block();
  random::seed(0);

  // The task: fit y = sin(2x) on [-2, 2].
  const Tensor x = reshape(linspace(-2.0f, 2.0f, 64), {64, 1});
  const Tensor y = sin(x * 2.0f);

  nn::Sequential model{nn::Linear(1, 16), ResidualBlock(16, 32), nn::Linear(16, 1)};
  std::cout << model << "\n\n";

  optim::Adam optimizer(0.01f);
  auto loss_and_grad =
      nn::value_and_grad(model, [](nn::Module& m, const Tensor& inputs, const Tensor& targets) {
        return nn::losses::mse_loss(m(inputs), targets);
      });
  float loss_value = 0;
  for (int step = 1; step <= 400; ++step) {
    auto [loss, grads] = loss_and_grad(model, x, y);
    optimizer.update(model, grads);
    loss_value = loss.item();
    if (step % 100 == 0) std::cout << "step " << step << "  mse " << loss_value << "\n";
  }

  // The file names the block by its type; loading builds it through the registry.
  io::save(model, "custom_module.json");
  io::LoadedModel loaded = io::load("custom_module.json");
  std::cout << "\nloaded back from custom_module.json:\n" << *loaded.model << "\n";

  const bool same = array_equal((*loaded.model)(x), model(x));
  std::cout << "the loaded model's outputs are " << (same ? "identical" : "DIFFERENT") << "\n";
  return same && loss_value < 0.01f ? 0 : 1;
}
