// Resumable training without io knowing optimizers: the model goes to a model file, the
// optimizer's state (a name -> tensor map) to safetensors; both reload into fresh objects and
// training continues bit for bit as if it had never stopped.

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>

#include "io/io_testing.hpp"
#include "minnow/core/random.hpp"
#include "minnow/io/io.hpp"
#include "minnow/nn/nn.hpp"
#include "minnow/optim/optim.hpp"
#include "nn/nn_testing.hpp"

using namespace minnow;
using minnow::testing::check_same_bits;
using minnow::testing::ScratchFolder;

namespace {

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>()>;

nn::ModulePtr make_model() {
  random::seed(21);
  return nn::Sequential{nn::Linear(3, 5), nn::Tanh(), nn::Linear(5, 2)};
}

void train(nn::Module& model, optim::Optimizer& optimizer, int steps) {
  const Tensor x = minnow::testing::sample_input({8, 3});
  const Tensor y = minnow::testing::sample_input({8, 2}) * 0.5f;
  auto loss_and_grad =
      nn::value_and_grad(model, [](nn::Module& m, const Tensor& in, const Tensor& target) {
        return nn::losses::mse_loss(m(in), target);
      });
  for (int i = 0; i < steps; ++i) {
    auto [loss, grads] = loss_and_grad(model, x, y);
    optimizer.update(model, grads);
  }
}

void check_resumes_exactly(const MakeOptimizer& make_optimizer, io::Encoding encoding) {
  const ScratchFolder folder;
  // Straight through: 10 steps.
  const nn::ModulePtr straight = make_model();
  const std::unique_ptr<optim::Optimizer> straight_optimizer = make_optimizer();
  train(*straight, *straight_optimizer, 10);

  // Interrupted after 4 steps: everything saved, then the objects are gone.
  {
    const nn::ModulePtr model = make_model();
    const std::unique_ptr<optim::Optimizer> optimizer = make_optimizer();
    train(*model, *optimizer, 4);
    io::save(*model, folder / "model.json", {.encoding = encoding});
    io::save_tensors(optimizer->state(), folder / "optimizer.safetensors");
  }

  // Resumed in fresh objects for the remaining 6 steps.
  const io::LoadedModel loaded = io::load(folder / "model.json");
  const std::unique_ptr<optim::Optimizer> optimizer = make_optimizer();
  optimizer->load_state(io::load_tensors(folder / "optimizer.safetensors"));
  CHECK(optimizer->step() == 4);
  train(*loaded.model, *optimizer, 6);

  check_same_bits(loaded.model->parameters(), straight->parameters());
  check_same_bits(optimizer->state(), straight_optimizer->state());
}

}  // namespace

TEST_CASE("training resumes bit for bit: SGD with momentum") {
  const MakeOptimizer sgd = [] { return std::make_unique<optim::SGD>(0.05f, 0.9f, 1e-3f); };
  check_resumes_exactly(sgd, io::Encoding::data);
  check_resumes_exactly(sgd, io::Encoding::base64);
}

TEST_CASE("training resumes bit for bit: Adam") {
  const MakeOptimizer adam = [] { return std::make_unique<optim::Adam>(0.01f); };
  check_resumes_exactly(adam, io::Encoding::data);
  check_resumes_exactly(adam, io::Encoding::base64);
}
