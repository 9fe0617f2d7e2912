// xor_mlp: a two-layer perceptron learns XOR, the function a single perceptron cannot learn (run
// `perceptron_trainer --gate xor` to watch it fail). A hidden layer of 8 tanh units bends the
// decision boundary; Adam finds the weights in a few hundred steps. Then the model is saved to
// xor_mlp.json and loaded back.

#include <iomanip>
#include <iostream>

#include "minnow/minnow.hpp"

using namespace minnow;

int main() {
  random::seed(0);  // the same initial weights on every run
  std::cout << std::fixed << std::setprecision(4);

  // The truth table: two inputs per row, the target is 1 when exactly one input is 1.
  const Tensor x({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  const Tensor y = reshape(Tensor({0, 1, 1, 0}), {4, 1});

  // A hidden layer, then one output: a logit (the model's score for class 1).
  nn::Sequential model{nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 1)};
  optim::Adam optimizer(0.02f);
  auto loss_and_grad = nn::value_and_grad(model, [](nn::Module& m, const Tensor& inputs,
                                                    const Tensor& targets) {
    return nn::losses::binary_cross_entropy(m(inputs), targets);  // takes logits, mean reduction
  });

  for (int step = 1; step <= 200; ++step) {
    auto [loss, grads] = loss_and_grad(model, x, y);
    optimizer.update(model, grads);
    if (step % 40 == 0) std::cout << "step " << step << "  loss " << loss.item() << "\n";
  }

  // Probabilities of class 1, and the predicted classes (probability >= 0.5).
  model.eval();
  const Tensor probabilities = sigmoid(model(x));
  const Tensor predicted = greater_equal(probabilities, Tensor(0.5f));
  std::cout << "\n a  b | xor | p(class 1) | prediction\n";
  for (int64_t i = 0; i < 4; ++i) {
    std::cout << " " << static_cast<int>(x.at({i, 0})) << "  " << static_cast<int>(x.at({i, 1}))
              << " |  " << static_cast<int>(y.at({i, 0})) << "  |   " << probabilities.at({i, 0})
              << "   |     " << static_cast<int>(predicted.at({i, 0})) << "\n";
  }
  const bool learned = array_equal(predicted, y);

  // Save, load back, and check that the loaded model computes exactly the same outputs.
  io::save(model, "xor_mlp.json");
  io::LoadedModel loaded = io::load("xor_mlp.json");
  loaded.model->eval();
  const bool same = array_equal((*loaded.model)(x), model(x));
  std::cout << "\nsaved xor_mlp.json; the reloaded model's outputs are "
            << (same ? "identical" : "DIFFERENT") << "\n"
            << (learned ? "learned XOR" : "did NOT learn XOR") << std::endl;
  return learned && same ? 0 : 1;
}
