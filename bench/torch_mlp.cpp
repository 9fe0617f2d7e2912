// minnow_torch_mlp: the MLPs of minnow_bench in LibTorch, for a side-by-side table. Built only
// when CMake finds LibTorch; benchmarks are named torch/<config>/<mode>.
//
//   minnow_torch_mlp [--threads N] [benchmark flags...]
//
// LibTorch's Adam always applies bias correction (MLX's default does not); the cost per step
// is the same.

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mlp_config.hpp"

namespace {

using minnow::bench::MlpConfig;
using minnow::bench::Mode;

torch::nn::Sequential make_mlp(const MlpConfig& config) {
  return torch::nn::Sequential(torch::nn::Linear(config.in, config.hidden), torch::nn::ReLU(),
                               torch::nn::Linear(config.hidden, config.hidden), torch::nn::ReLU(),
                               torch::nn::Linear(config.hidden, config.out));
}

template <class Optimizer>
void time_training(benchmark::State& state, torch::nn::Sequential& model, Optimizer& optimizer,
                   const torch::Tensor& x, const torch::Tensor& y) {
  for (auto _ : state) {
    optimizer.zero_grad();
    torch::Tensor loss = torch::mse_loss(model->forward(x), y);
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.data_ptr());
  }
}

void time_torch(benchmark::State& state, const MlpConfig& config, Mode mode) {
  torch::manual_seed(42);
  torch::nn::Sequential model = make_mlp(config);
  const torch::Tensor x = torch::randn({config.batch, config.in});
  const torch::Tensor y = torch::randn({config.batch, config.out});
  switch (mode) {
    case Mode::infer: {
      model->eval();
      const torch::NoGradGuard no_grad;
      for (auto _ : state) {
        torch::Tensor output = model->forward(x);
        benchmark::DoNotOptimize(output.data_ptr());
      }
      break;
    }
    case Mode::train_sgd: {
      torch::optim::SGD optimizer(model->parameters(),
                                  torch::optim::SGDOptions(minnow::bench::kSgdLearningRate));
      time_training(state, model, optimizer, x, y);
      break;
    }
    case Mode::train_adam: {
      torch::optim::Adam optimizer(model->parameters(),
                                   torch::optim::AdamOptions(minnow::bench::kAdamLearningRate));
      time_training(state, model, optimizer, x, y);
      break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  std::vector<char*> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg.starts_with("--threads=")) {
      threads = std::atoi(argv[i] + std::string_view("--threads=").size());
    } else {
      args.push_back(argv[i]);
    }
  }
  if (threads < 1) {
    std::cerr << "minnow_torch_mlp: --threads needs a positive integer\n";
    return 2;
  }
  torch::set_num_threads(threads);
  torch::set_num_interop_threads(1);

  int benchmark_argc = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&benchmark_argc, args.data());
  if (benchmark::ReportUnrecognizedArguments(benchmark_argc, args.data())) return 2;
  for (const MlpConfig& config : minnow::bench::kMlpConfigs) {
    for (const Mode mode : minnow::bench::kModes) {
      const std::string name =
          "torch/" + std::string(config.name) + "/" + std::string(minnow::bench::mode_name(mode));
      benchmark::RegisterBenchmark(name.c_str(), time_torch, config, mode)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
