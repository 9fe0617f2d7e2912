// minnow: the command-line tool. This file only parses the command line (CLI11) and turns every
// failure into one `minnow: error:` line and the exit status docs/cli.md fixes: 1 for bad
// input, 2 for a bad command line. Nothing escapes as a crash or a stack trace.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/tools/commands.hpp"
#include "minnow/tools/losses.hpp"
#include "minnow/tools/optimizers.hpp"

namespace minnow::tools {
namespace {

/// Prints the one-line error every failure ends in (newlines inside the message become spaces,
/// so that callers can rely on exactly one line).
void print_error(const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "minnow: error: " << line << '\n';
}

/// Binds an option to a std::optional: unset unless given.
template <class T>
CLI::Option* add_optional(CLI::App* app, const std::string& name, std::optional<T>& target,
                          const std::string& help) {
  return app->add_option_function<T>(
      name, [&target](const T& value) { target = value; }, help);
}

/// Binds `--name` / `--no-name` to a std::optional<bool>.
CLI::Option* add_switch(CLI::App* app, const std::string& name, std::optional<bool>& target,
                        const std::string& help) {
  return app->add_flag_function(
      "--" + name + ",!--no-" + name, [&target](std::int64_t count) { target = count > 0; }, help);
}

void add_summary(CLI::App& app, SummaryOptions& options) {
  auto* cmd = app.add_subcommand("summary", "Print a model's module tree and its parameters");
  cmd->add_option("MODEL", options.model, "model file (.json)")->required();
}

void add_predict(CLI::App& app, PredictOptions& options) {
  auto* cmd = app.add_subcommand("predict", "Run every row of a CSV file through a model");
  cmd->add_option("MODEL", options.model, "model file (.json)")->required();
  cmd->add_option("INPUT", options.input, "input rows (.csv), one sample per row")->required();
  cmd->add_option("-o,--output", options.output, "write the outputs here (default: stdout)");
  cmd->add_option("--weights", options.weights,
                  "take the parameters from this .safetensors file instead");
  cmd->add_option("--batch-size", options.batch_size, "rows per forward pass")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24))
      ->capture_default_str();
}

void add_optimizer_options(CLI::App* cmd, HyperParameters& h) {
  const std::string group = "Optimizer hyper-parameters (MLX names; unset: MLX's default)";
  add_optional(cmd, "--lr,--learning-rate", h.learning_rate, "learning rate (0.01)")->group(group);
  add_optional(cmd, "--momentum", h.momentum, "sgd, muon")->group(group);
  add_optional(cmd, "--weight-decay", h.weight_decay, "sgd, adamw, lion, adafactor, muon")
      ->group(group);
  add_optional(cmd, "--dampening", h.dampening, "sgd")->group(group);
  add_switch(cmd, "nesterov", h.nesterov, "sgd, muon")->group(group);
  add_optional(cmd, "--alpha", h.alpha, "rmsprop")->group(group);
  add_optional(cmd, "--rho", h.rho, "adadelta")->group(group);
  cmd->add_option("--eps", h.eps, "rmsprop, adagrad, adadelta, adam, adamw, adamax; adafactor: A,B")
      ->delimiter(',')
      ->group(group);
  cmd->add_option("--betas", h.betas, "A,B: adam, adamw, adamax, lion")
      ->delimiter(',')
      ->group(group);
  add_switch(cmd, "bias-correction", h.bias_correction, "adam, adamw")->group(group);
  add_optional(cmd, "--clip-threshold", h.clip_threshold, "adafactor")->group(group);
  add_optional(cmd, "--decay-rate", h.decay_rate, "adafactor")->group(group);
  add_optional(cmd, "--beta-1", h.beta_1, "adafactor")->group(group);
  add_switch(cmd, "scale-parameter", h.scale_parameter, "adafactor")->group(group);
  add_switch(cmd, "relative-step", h.relative_step, "adafactor")->group(group);
  add_switch(cmd, "warmup-init", h.warmup_init, "adafactor")->group(group);
  add_optional(cmd, "--ns-steps", h.ns_steps, "muon")->group(group);
}

void add_loss_options(CLI::App* cmd, HyperParameters& h) {
  const std::string group = "Loss hyper-parameters (MLX names; unset: MLX's default)";
  add_optional(cmd, "--label-smoothing", h.label_smoothing, "cross_entropy")->group(group);
  add_optional(cmd, "--beta", h.beta, "smooth_l1")->group(group);
  add_optional(cmd, "--delta", h.delta, "huber")->group(group);
  add_optional(cmd, "--margin", h.margin, "triplet, margin_ranking")->group(group);
  add_optional(cmd, "--p", h.p, "triplet (norm degree)")->group(group);
  add_switch(cmd, "with-logits", h.with_logits, "binary_cross_entropy")->group(group);
  add_switch(cmd, "full", h.full, "gaussian_nll")->group(group);
}

/// MLX's function names end in _loss; accept them too: "mse_loss" is "mse".
std::string without_loss_suffix(std::string name) {
  if (name.ends_with("_loss")) name.resize(name.size() - 5);
  return name;
}

CLI::Option* add_train(CLI::App& app, TrainOptions& options) {
  auto* cmd = app.add_subcommand("train", "Train a model on a CSV file and write the result");
  cmd->add_option("MODEL", options.model, "model file (.json), config-only or with parameters")
      ->required();
  cmd->add_option("DATA", options.data, "training rows (.csv): features, then targets")->required();
  cmd->add_option("-o,--output", options.output, "write the trained model file here")->required();
  auto* targets =
      cmd->add_option("--targets", options.targets, "the last N columns are the targets")
          ->check(CLI::Range(int64_t{0}, int64_t{1} << 20))
          ->capture_default_str();
  cmd->add_flag("--labels", options.labels, "the last column holds integer class labels instead")
      ->excludes(targets);
  cmd->add_option("--loss", options.loss, "loss by its MLX name")
      ->transform(CLI::IsMember(loss_names(), without_loss_suffix))
      ->capture_default_str();
  cmd->add_option("--optimizer", options.optimizer, "optimizer by its MLX name, lower-case")
      ->check(CLI::IsMember(optimizer_names()))
      ->capture_default_str();
  cmd->add_option("--epochs", options.epochs, "passes over the data")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30))
      ->capture_default_str();
  cmd->add_option("--batch-size", options.batch_size, "samples per step")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  cmd->add_flag_function(
      "--no-shuffle", [&options](std::int64_t) { options.shuffle = false; },
      "keep the file's order (shuffling is seeded otherwise)");
  cmd->add_option("--seed", options.seed, "seed for initialization, shuffling and dropout")
      ->capture_default_str();
  cmd->add_option("--validation", options.validation,
                  "report the loss (and accuracy) on these rows after each epoch");
  add_optional(cmd, "--clip-grad-norm", options.clip_grad_norm,
               "scale gradients down to this total norm");
  cmd->add_flag("--quiet", options.quiet, "no progress output");
  add_optimizer_options(cmd, options.hyper);
  add_loss_options(cmd, options.hyper);
  return targets;
}

void add_convert(CLI::App& app, ConvertOptions& options) {
  auto* cmd =
      app.add_subcommand("convert", "Convert by file ending: model .json <-> weights .safetensors");
  cmd->add_option("IN", options.input, "the file to read")->required();
  cmd->add_option("OUT", options.output, "the file to write")->required();
  cmd->add_option("--config", options.config,
                  "model file giving the architecture (for .safetensors -> .json)");
}

int run(int argc, char** argv) {
  CLI::App app{"minnow: train, inspect and run small neural networks.", "minnow"};
  app.require_subcommand(1);
  app.footer("Run `minnow SUBCOMMAND --help` for the options of a subcommand.");

  SummaryOptions summary;
  PredictOptions predict;
  TrainOptions train;
  ConvertOptions convert;
  add_summary(app, summary);
  add_predict(app, predict);
  const CLI::Option* targets = add_train(app, train);
  add_convert(app, convert);

  // CLI11 would report a misspelt subcommand as "a subcommand is required": name it instead.
  if (argc > 1 && argv[1][0] != '-' &&
      std::as_const(app)
          .get_subcommands(std::function<bool(const CLI::App*)>(
              [&](const CLI::App* cmd) { return cmd->get_name() == argv[1]; }))
          .empty()) {
    throw UsageError(std::string("unknown subcommand '") + argv[1] +
                     "' (expected summary, predict, train or convert; see `minnow --help`)");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: usage on standard output
    print_error(std::string(e.what()) + " (run `minnow --help` for usage)");
    return kExitBadUsage;
  }

  train.targets_given = targets->count() > 0;
  const auto chosen = app.get_subcommands().front()->get_name();
  if (chosen == "summary") return run_summary(summary);
  if (chosen == "predict") return run_predict(predict);
  if (chosen == "train") return run_train(train);
  return run_convert(convert);
}

}  // namespace
}  // namespace minnow::tools

int main(int argc, char** argv) {
  using namespace minnow::tools;
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    print_error(e.what());
    return kExitBadUsage;
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
    return kExitBadInput;
  } catch (const std::exception& e) {
    // minnow::Error, InputError, and anything else the work ran into: the input was bad or the
    // work failed.
    print_error(e.what());
    return kExitBadInput;
  } catch (...) {
    print_error("unexpected failure");
    return kExitBadInput;
  }
}
