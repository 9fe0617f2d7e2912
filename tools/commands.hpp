#pragma once
// The minnow tool's subcommands. main.cpp parses the command line into these option structs
// (with CLI11) and calls the matching run_* function; each returns the process's exit status.
// Bad input is reported by throwing (minnow::Error, or InputError below), a command line that
// makes no sense by throwing UsageError; main.cpp turns both into one `minnow: error:` line.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace minnow::tools {

/// The command line itself is wrong (exit status 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The input is wrong or the work failed (exit status 1). Library errors (minnow::Error) are
/// reported the same way; this is for problems the tool itself detects.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Exit statuses, as docs/cli.md fixes them.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitBadUsage = 2;

struct SummaryOptions {
  std::string model;
};

struct PredictOptions {
  std::string model;
  std::string input;
  std::string output;   // empty: standard output
  std::string weights;  // empty: the parameters come from the model file
  int64_t batch_size = 256;
};

/// Hyper-parameters given on the command line; unset ones keep the optimizer's or the loss's
/// MLX default. Which ones apply depends on the optimizer and the loss (see train.cpp).
struct HyperParameters {
  std::optional<float> learning_rate;
  // optimizers
  std::optional<float> momentum, weight_decay, dampening, alpha, rho;
  std::vector<float> eps, betas;
  std::optional<bool> nesterov, bias_correction;
  std::optional<float> clip_threshold, decay_rate, beta_1;
  std::optional<bool> scale_parameter, relative_step, warmup_init;
  std::optional<int> ns_steps;
  // losses
  std::optional<float> label_smoothing, beta, delta, margin;
  std::optional<int> p;
  std::optional<bool> with_logits, full;
};

struct TrainOptions {
  std::string model;
  std::string data;
  std::string output;
  std::string validation;  // empty: none
  int64_t targets = 1;
  bool targets_given = false;  // --targets was on the command line
  bool labels = false;
  std::string loss = "mse";
  std::string optimizer = "sgd";
  HyperParameters hyper;
  std::optional<float> clip_grad_norm;
  int64_t epochs = 10;
  int64_t batch_size = 32;
  bool shuffle = true;
  uint64_t seed = 0;
  bool quiet = false;
};

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string config;  // architecture for safetensors -> json
};

int run_summary(const SummaryOptions& options);
int run_predict(const PredictOptions& options);
int run_train(const TrainOptions& options);
int run_convert(const ConvertOptions& options);

}  // namespace minnow::tools
