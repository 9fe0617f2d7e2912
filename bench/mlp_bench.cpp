#include "mlp_bench.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.hpp"
#include "minnow/core/random.hpp"
#include "minnow/core/threads.hpp"
#include "minnow/nn/nn.hpp"
#include "minnow/nn/value_and_grad.hpp"
#include "minnow/optim/optim.hpp"
#include "mlp_config.hpp"
#include "reference_mlp.hpp"

namespace minnow::bench {

namespace {

constexpr uint64_t kModelSeed = 42;
constexpr uint64_t kDataSeed = 7;
// The steps cycle over a few batches, so that training on them cannot fit them exactly and
// drive the gradients into denormal numbers over hundreds of thousands of steps.
constexpr int kBatches = 8;
// Steps whose allocations are counted, out of each timed loop.
constexpr int64_t kCountedSteps = 8;
// How closely minnow and the reference must agree on the loss (relative).
constexpr double kLossTolerance = 1e-4;

// The benchmarked network for `config`, the same on every call.
nn::Sequential make_mlp(const MlpConfig& config) {
  random::seed(kModelSeed);
  return nn::Sequential{nn::Linear(config.in, config.hidden), nn::ReLU(),
                        nn::Linear(config.hidden, config.hidden), nn::ReLU(),
                        nn::Linear(config.hidden, config.out)};
}

Tensor mse(nn::Module& model, const Tensor& x, const Tensor& y) {
  return nn::losses::mse_loss(model(x), y);
}

// A minnow MLP and the reference with the same weights, on the same batches, checked to agree.
class MlpFixture {
 public:
  MlpFixture(const MlpConfig& config, Mode mode)
      : config_(config), mode_(mode), model_(make_mlp(config)), reference_(config) {
    random::Generator data(kDataSeed);
    for (int i = 0; i < kBatches; ++i) {
      inputs_.push_back(random::normal({config.batch, config.in}, 0.0f, 1.0f, &data));
      targets_.push_back(random::normal({config.batch, config.out}, 0.0f, 1.0f, &data));
    }
    const TensorMap parameters = model_.parameters();
    for (int layer = 0; layer < ReferenceMlp::kLayers; ++layer) {
      const std::string prefix = "layers." + std::to_string(2 * layer) + ".";
      reference_.set_layer(layer, parameters.at(prefix + "weight").values(),
                           parameters.at(prefix + "bias").values());
    }
    if (mode == Mode::infer) model_.eval();
    error_ = check();
  }

  const MlpConfig& config() const { return config_; }
  Mode mode() const { return mode_; }
  nn::Sequential& model() { return model_; }
  ReferenceMlp& reference() { return reference_; }
  const Tensor& input(int64_t step) const { return inputs_[static_cast<size_t>(step % kBatches)]; }
  const Tensor& target(int64_t step) const {
    return targets_[static_cast<size_t>(step % kBatches)];
  }
  /// Why minnow and the reference disagree, or "" when they agree.
  const std::string& error() const { return error_; }

 private:
  // Compares the two losses on the first batch: from the shared initial weights, and for the
  // training modes once more after one step of each (which checks gradients and update rule).
  std::string check() {
    const Tensor& x = inputs_.front();
    const Tensor& y = targets_.front();
    std::string problem =
        compare("initial", mse(model_, x, y).item(), reference_.loss(x.data(), y.data()));
    if (!problem.empty() || mode_ == Mode::infer) return problem;
    auto loss_and_grad = nn::value_and_grad(model_, mse);
    auto [loss, grads] = loss_and_grad(model_, x, y);
    if (mode_ == Mode::train_sgd) {
      optim::SGD(kSgdLearningRate).update(model_, grads);
      reference_.sgd_step(x.data(), y.data(), kSgdLearningRate);
    } else {
      optim::Adam(kAdamLearningRate).update(model_, grads);
      reference_.adam_step(x.data(), y.data(), kAdamLearningRate);
    }
    return compare("after one step", mse(model_, x, y).item(), reference_.loss(x.data(), y.data()));
  }

  std::string compare(const char* when, double minnow_loss, double reference_loss) const {
    const double scale = std::max({std::abs(minnow_loss), std::abs(reference_loss), 1e-30});
    const double difference = std::abs(minnow_loss - reference_loss) / scale;
    if (difference <= kLossTolerance) return "";
    return std::string(config_.name) + "/" + std::string(mode_name(mode_)) + ": " + when +
           " loss differs: minnow " + std::to_string(minnow_loss) + ", reference " +
           std::to_string(reference_loss) + " (relative difference " + std::to_string(difference) +
           ")";
  }

  MlpConfig config_;
  Mode mode_;
  nn::Sequential model_;
  ReferenceMlp reference_;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> targets_;
  std::string error_;
};

// The fixture of the benchmark that runs now. ref/<c>/<m> and mlp/<c>/<m> run one after the
// other and share it, and Google Benchmark calls each function several times (to size the loop,
// then once per repetition): building a large model and checking it once saves most of a
// minute. Only one fixture is alive at a time.
MlpFixture& fixture_for(const MlpConfig& config, Mode mode) {
  static std::unique_ptr<MlpFixture> current;
  if (!current || current->config().name != config.name || current->mode() != mode) {
    current.reset();  // free the previous one first: large ones are big
    current = std::make_unique<MlpFixture>(config, mode);
  }
  return *current;
}

template <class Optimizer>
void time_minnow_training(benchmark::State& state, MlpFixture& fixture, Optimizer optimizer) {
  nn::Sequential& model = fixture.model();
  auto loss_and_grad = nn::value_and_grad(model, mse);
  AllocationWindow allocations(state.max_iterations, kCountedSteps);
  int64_t step = 0;
  for (auto _ : state) {
    allocations.step();
    auto [loss, grads] = loss_and_grad(model, fixture.input(step), fixture.target(step));
    optimizer.update(model, grads);
    benchmark::DoNotOptimize(loss.data());
    ++step;
  }
  state.counters["allocs_per_step"] = allocations.finish();
}

void time_minnow(benchmark::State& state, const MlpConfig& config, Mode mode) {
  MlpFixture& fixture = fixture_for(config, mode);
  if (!fixture.error().empty()) {
    state.SkipWithError(fixture.error().c_str());
    return;
  }
  switch (mode) {
    case Mode::infer: {
      nn::Sequential& model = fixture.model();
      AllocationWindow allocations(state.max_iterations, kCountedSteps);
      int64_t step = 0;
      for (auto _ : state) {
        allocations.step();
        Tensor output = model(fixture.input(step));
        benchmark::DoNotOptimize(output.data());
        ++step;
      }
      state.counters["allocs_per_step"] = allocations.finish();
      break;
    }
    case Mode::train_sgd:
      time_minnow_training(state, fixture, optim::SGD(kSgdLearningRate));
      break;
    case Mode::train_adam:
      time_minnow_training(state, fixture, optim::Adam(kAdamLearningRate));
      break;
  }
}

void time_reference(benchmark::State& state, const MlpConfig& config, Mode mode) {
  MlpFixture& fixture = fixture_for(config, mode);
  if (!fixture.error().empty()) {
    state.SkipWithError(fixture.error().c_str());
    return;
  }
  ReferenceMlp& reference = fixture.reference();
  const BlasThreadsScope blas_threads(num_threads());
  AllocationWindow allocations(state.max_iterations, kCountedSteps);
  int64_t step = 0;
  for (auto _ : state) {
    allocations.step();
    const float* x = fixture.input(step).data();
    const float* y = fixture.target(step).data();
    switch (mode) {
      case Mode::infer:
        benchmark::DoNotOptimize(reference.forward(x).data());
        break;
      case Mode::train_sgd:
        benchmark::DoNotOptimize(reference.sgd_step(x, y, kSgdLearningRate));
        break;
      case Mode::train_adam:
        benchmark::DoNotOptimize(reference.adam_step(x, y, kAdamLearningRate));
        break;
    }
    ++step;
  }
  state.counters["allocs_per_step"] = allocations.finish();
}

}  // namespace

void register_mlp_benchmarks() {
  for (const MlpConfig& config : kMlpConfigs) {
    for (const Mode mode : kModes) {
      const std::string suffix = std::string(config.name) + "/" + std::string(mode_name(mode));
      benchmark::RegisterBenchmark(("ref/" + suffix).c_str(), time_reference, config, mode)
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("mlp/" + suffix).c_str(), time_minnow, config, mode)
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace minnow::bench
