#pragma once
// The MLP sizes and training modes the benchmarks measure, shared by the minnow benchmarks, the
// hand-written reference and the report.

#include <array>
#include <optional>
#include <string_view>

namespace minnow::bench {

/// One MLP size: Linear(in, hidden), ReLU, Linear(hidden, hidden), ReLU, Linear(hidden, out),
/// trained on batches of `batch` rows.
struct MlpConfig {
  std::string_view name;
  int in;
  int hidden;
  int out;
  int batch;
  /// The largest acceptable ratio of minnow's median time to the reference's (one thread).
  double target_ratio;
  /// The smallest acceptable speedup of minnow's training steps from 1 to 2 threads (0: none).
  double target_training_speedup;
};

inline constexpr std::array<MlpConfig, 4> kMlpConfigs{{
    {"tiny", 2, 8, 1, 4, 4.0, 0.0},
    {"small", 64, 128, 10, 32, 1.3, 0.0},
    {"medium", 784, 512, 10, 128, 1.1, 1.6},
    {"large", 1024, 2048, 1024, 512, 1.1, 1.6},
}};

/// What one benchmark step does.
enum class Mode { infer, train_sgd, train_adam };

inline constexpr std::array<Mode, 3> kModes{Mode::infer, Mode::train_sgd, Mode::train_adam};

inline constexpr std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::infer:
      return "infer";
    case Mode::train_sgd:
      return "train_sgd";
    case Mode::train_adam:
      return "train_adam";
  }
  return "";
}

/// The configuration called `name`, if there is one.
inline std::optional<MlpConfig> find_config(std::string_view name) {
  for (const MlpConfig& config : kMlpConfigs) {
    if (config.name == name) return config;
  }
  return std::nullopt;
}

/// Hyper-parameters of the measured training steps (MLX's defaults for Adam's others).
inline constexpr float kSgdLearningRate = 0.01f;
inline constexpr float kAdamLearningRate = 1e-3f;
inline constexpr float kAdamBeta1 = 0.9f;
inline constexpr float kAdamBeta2 = 0.999f;
inline constexpr float kAdamEps = 1e-8f;

}  // namespace minnow::bench
