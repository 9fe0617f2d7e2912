#include "minnow/tools/model_check.hpp"

#include "minnow/core/error.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/tools/commands.hpp"

namespace minnow::tools {
namespace {

/// Depth-first through a config (children in order) for the first declared input width.
std::optional<int64_t> first_input_width(const nn::json& config) {
  if (config.is_object()) {
    for (const char* key : {"input_dims", "dims"}) {
      const auto found = config.find(key);
      if (found != config.end() && found->is_number_integer()) return found->get<int64_t>();
    }
    const auto one = config.find("input1_dims"), two = config.find("input2_dims");
    if (one != config.end() && two != config.end() && one->is_number_integer() &&
        two->is_number_integer()) {
      return one->get<int64_t>() + two->get<int64_t>();  // Bilinear in a Sequential
    }
    for (const auto& [key, value] : config.items()) {
      if (value.is_structured()) {
        if (auto width = first_input_width(value)) return width;
      }
    }
  } else if (config.is_array()) {
    for (const auto& value : config) {
      if (auto width = first_input_width(value)) return width;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> declared_input_width(const nn::Module& model) {
  return first_input_width(model.config());
}

int64_t probe_output_width(nn::Module& model, int64_t width, const std::string& model_path,
                           const std::string& place) {
  const bool was_training = model.training();
  model.eval();
  Tensor output;
  try {
    output = model(zeros({1, width}));
  } catch (const Error& e) {
    model.train(was_training);
    const auto declared = declared_input_width(model);
    if (declared && *declared != width) {
      throw InputError(place + ": the rows have " + std::to_string(width) +
                       " input columns, but the model in " + model_path + " takes " +
                       std::to_string(*declared));
    }
    throw InputError(place + ": the model in " + model_path + " cannot take rows of " +
                     std::to_string(width) + " input columns: " + e.what());
  }
  model.train(was_training);
  if (output.ndim() == 0 || output.dim(0) != 1) {
    throw InputError(model_path + ": the model's output for one row has shape " +
                     output.shape().to_string() + "; expected one output row per input row");
  }
  return output.size();
}

}  // namespace minnow::tools
