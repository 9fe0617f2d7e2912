#pragma once
// `minnow train --optimizer NAME`: every optimizer of minnow::optim by its MLX name (lower-case),
// built with the hyper-parameters given on the command line and MLX's defaults for the rest.

#include <memory>
#include <string>
#include <vector>

#include "minnow/optim/optimizer.hpp"
#include "minnow/tools/commands.hpp"

namespace minnow::tools {

/// The accepted --optimizer names.
const std::vector<std::string>& optimizer_names();

/// The learning rate `minnow train` uses when --lr is not given.
inline constexpr float kDefaultLearningRate = 0.01f;

/// Builds the named optimizer. UsageError for a hyper-parameter the optimizer does not take or
/// a value it refuses (the library's message, naming the optimizer and the value).
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name,
                                                 const HyperParameters& hyper);

}  // namespace minnow::tools
