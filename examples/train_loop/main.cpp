// An MLX-style training loop: a small MLP learns y = sin(x0) + x1²/2 − x2 from 512 random
// points, in shuffled mini-batches, with AdamW, a warmup-then-cosine learning-rate schedule and
// gradient clipping. This is the loop of docs/optim.md.
//
//   ./train_loop            prints the loss and the learning rate every 10 epochs

#include <cstdio>
#include <cstdlib>

#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/nn.hpp"
#include "minnow/optim/optim.hpp"

using namespace minnow;

namespace {

constexpr int kSamples = 512;
constexpr int kBatchSize = 32;
constexpr int kEpochs = 60;
constexpr int kStepsPerEpoch = kSamples / kBatchSize;

Tensor loss_fn(nn::Module& model, const Tensor& x, const Tensor& y) {
  return nn::losses::mse_loss(model(x), y);
}

}  // namespace

int main() {
  random::seed(0);

  // The data: y = sin(x0) + x1²/2 − x2, for x uniform in [-2, 2]³.
  const Tensor x = random::uniform({kSamples, 3}, -2.0f, 2.0f);
  const Tensor y =
      sin(slice(x, 0, 1, 1)) + Tensor(0.5f) * square(slice(x, 1, 2, 1)) - slice(x, 2, 3, 1);

  nn::Sequential model{nn::Linear(3, 32), nn::ReLU(), nn::Linear(32, 32), nn::ReLU(),
                       nn::Linear(32, 1)};

  // Warm up linearly for 2 epochs, then decay along a cosine to 1% of the peak.
  const int warmup = 2 * kStepsPerEpoch;
  const int total = kEpochs * kStepsPerEpoch;
  const auto schedule = optim::join_schedules({optim::linear_schedule(0.0f, 1e-2f, warmup),
                                               optim::cosine_decay(1e-2f, total - warmup, 1e-4f)},
                                              {warmup});
  optim::AdamW optimizer(schedule);

  auto loss_and_grad = nn::value_and_grad(model, loss_fn);
  const float initial_loss = loss_fn(model, x, y).item();
  std::printf("epoch   0  loss %.5f\n", initial_loss);

  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    const Tensor order = random::permutation(kSamples);
    for (int b = 0; b < kStepsPerEpoch; ++b) {
      const Tensor batch = slice(order, b * kBatchSize, (b + 1) * kBatchSize);
      auto [loss, grads] = loss_and_grad(model, take(x, batch, 0), take(y, batch, 0));
      auto [clipped, norm] = optim::clip_grad_norm(grads, 1.0f);
      optimizer.update(model, clipped);
    }
    if (epoch % 10 == 0) {
      std::printf("epoch %3d  loss %.5f  lr %.6f\n", epoch, loss_fn(model, x, y).item(),
                  optimizer.learning_rate());
    }
  }

  const float final_loss = loss_fn(model, x, y).item();
  std::printf("loss %.5f -> %.5f after %lld steps\n", initial_loss, final_loss,
              static_cast<long long>(optimizer.step()));
  return final_loss < 0.1f * initial_loss ? EXIT_SUCCESS : EXIT_FAILURE;
}
