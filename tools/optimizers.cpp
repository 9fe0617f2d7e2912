#include "minnow/tools/optimizers.hpp"

#include <algorithm>

#include "minnow/core/error.hpp"
#include "minnow/optim/optimizers.hpp"

namespace minnow::tools {
namespace {

/// A hyper-parameter option and whether it was given.
struct Given {
  const char* flag;
  bool given;
};

std::vector<Given> given_options(const HyperParameters& h) {
  return {
      {"--momentum", h.momentum.has_value()},
      {"--weight-decay", h.weight_decay.has_value()},
      {"--dampening", h.dampening.has_value()},
      {"--nesterov", h.nesterov.has_value()},
      {"--alpha", h.alpha.has_value()},
      {"--rho", h.rho.has_value()},
      {"--eps", !h.eps.empty()},
      {"--betas", !h.betas.empty()},
      {"--bias-correction", h.bias_correction.has_value()},
      {"--clip-threshold", h.clip_threshold.has_value()},
      {"--decay-rate", h.decay_rate.has_value()},
      {"--beta-1", h.beta_1.has_value()},
      {"--scale-parameter", h.scale_parameter.has_value()},
      {"--relative-step", h.relative_step.has_value()},
      {"--warmup-init", h.warmup_init.has_value()},
      {"--ns-steps", h.ns_steps.has_value()},
  };
}

/// The hyper-parameter options each optimizer takes (besides --lr), as MLX's constructors.
std::vector<std::string> options_of(const std::string& name) {
  if (name == "sgd") return {"--momentum", "--weight-decay", "--dampening", "--nesterov"};
  if (name == "rmsprop") return {"--alpha", "--eps"};
  if (name == "adagrad") return {"--eps"};
  if (name == "adadelta") return {"--rho", "--eps"};
  if (name == "adam") return {"--betas", "--eps", "--bias-correction"};
  if (name == "adamw") return {"--betas", "--eps", "--weight-decay", "--bias-correction"};
  if (name == "adamax") return {"--betas", "--eps"};
  if (name == "lion") return {"--betas", "--weight-decay"};
  if (name == "adafactor") {
    return {"--eps",          "--clip-threshold",  "--decay-rate",    "--beta-1",
            "--weight-decay", "--scale-parameter", "--relative-step", "--warmup-init"};
  }
  return {"--momentum", "--weight-decay", "--nesterov", "--ns-steps"};  // muon
}

void check_applicable(const std::string& name, const HyperParameters& hyper) {
  const auto takes = options_of(name);
  for (const auto& [flag, given] : given_options(hyper)) {
    if (given && std::find(takes.begin(), takes.end(), flag) == takes.end()) {
      std::string list;
      for (const auto& option : takes) list += (list.empty() ? "" : ", ") + option;
      throw UsageError(std::string(flag) + " does not apply to the " + name +
                       " optimizer (it takes --lr, " + list + ")");
    }
  }
  if (!hyper.betas.empty() && hyper.betas.size() != 2) {
    throw UsageError("--betas takes two numbers, A,B (got " + std::to_string(hyper.betas.size()) +
                     ")");
  }
  const size_t eps_count = name == "adafactor" ? 2 : 1;
  if (!hyper.eps.empty() && hyper.eps.size() != eps_count) {
    throw UsageError(name == "adafactor" ? "--eps takes two numbers for adafactor, A,B"
                                         : "--eps takes one number for " + name);
  }
}

std::unique_ptr<optim::Optimizer> build(const std::string& name, const HyperParameters& h) {
  const float lr = h.learning_rate.value_or(kDefaultLearningRate);
  const auto betas = [&](optim::Betas fallback) {
    return h.betas.empty() ? fallback : optim::Betas{h.betas[0], h.betas[1]};
  };
  const auto eps = [&](float fallback) { return h.eps.empty() ? fallback : h.eps[0]; };
  if (name == "sgd") {
    return std::make_unique<optim::SGD>(lr, h.momentum.value_or(0.0f),
                                        h.weight_decay.value_or(0.0f), h.dampening.value_or(0.0f),
                                        h.nesterov.value_or(false));
  }
  if (name == "rmsprop") {
    return std::make_unique<optim::RMSprop>(lr, h.alpha.value_or(0.99f), eps(1e-8f));
  }
  if (name == "adagrad") return std::make_unique<optim::Adagrad>(lr, eps(1e-8f));
  if (name == "adadelta") {
    return std::make_unique<optim::AdaDelta>(lr, h.rho.value_or(0.9f), eps(1e-6f));
  }
  if (name == "adam") {
    return std::make_unique<optim::Adam>(lr, betas({0.9f, 0.999f}), eps(1e-8f),
                                         h.bias_correction.value_or(false));
  }
  if (name == "adamw") {
    return std::make_unique<optim::AdamW>(lr, betas({0.9f, 0.999f}), eps(1e-8f),
                                          h.weight_decay.value_or(0.01f),
                                          h.bias_correction.value_or(false));
  }
  if (name == "adamax")
    return std::make_unique<optim::Adamax>(lr, betas({0.9f, 0.999f}), eps(1e-8f));
  if (name == "lion") {
    return std::make_unique<optim::Lion>(lr, betas({0.9f, 0.99f}), h.weight_decay.value_or(0.0f));
  }
  if (name == "adafactor") {
    // Adafactor's learning rate is optional, as in MLX: with relative_step it is not used.
    std::optional<optim::LearningRate> rate;
    if (h.learning_rate) rate = *h.learning_rate;
    const std::array<float, 2> adafactor_eps = h.eps.empty()
                                                   ? std::array<float, 2>{1e-30f, 1e-3f}
                                                   : std::array<float, 2>{h.eps[0], h.eps[1]};
    return std::make_unique<optim::Adafactor>(
        rate, adafactor_eps, h.clip_threshold.value_or(1.0f), h.decay_rate.value_or(-0.8f),
        h.beta_1, h.weight_decay.value_or(0.0f), h.scale_parameter.value_or(true),
        h.relative_step.value_or(true), h.warmup_init.value_or(false));
  }
  return std::make_unique<optim::Muon>(lr, h.momentum.value_or(0.95f),
                                       h.weight_decay.value_or(0.01f), h.nesterov.value_or(true),
                                       h.ns_steps.value_or(5));
}

}  // namespace

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names = {"sgd",       "rmsprop", "adagrad", "adadelta",
                                                 "adam",      "adamw",   "adamax",  "lion",
                                                 "adafactor", "muon"};
  return names;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name,
                                                 const HyperParameters& hyper) {
  if (std::find(optimizer_names().begin(), optimizer_names().end(), name) ==
      optimizer_names().end()) {
    throw UsageError("--optimizer: unknown optimizer '" + name + "'");
  }
  check_applicable(name, hyper);
  try {
    return build(name, hyper);
  } catch (const Error& e) {
    // A value the optimizer refuses (betas outside [0, 1), ...) is a command-line mistake.
    throw UsageError(std::string("--optimizer ") + name + ": " + e.what());
  }
}

}  // namespace minnow::tools
