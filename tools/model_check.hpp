#pragma once
// Checks that a model can take a data file's rows, before any work is done, with messages that
// name both files: `data.csv, line 1: the rows have 3 input columns, but model.json takes 2`.

#include <cstdint>
#include <optional>
#include <string>

#include "minnow/core/tensor.hpp"
#include "minnow/nn/module.hpp"

namespace minnow::tools {

/// The input width the model's structure declares: that of the first layer, in order, whose
/// config names one (Linear's input_dims, LayerNorm's dims, ...). nullopt when none does.
std::optional<int64_t> declared_input_width(const nn::Module& model);

/// Runs the model (in eval mode, restoring its mode afterwards) on one row of `width` zeros and
/// returns its output width (the size of one output row). InputError when it cannot take such
/// rows; the message starts with `place` (file and line of the data) and names `model_path`.
int64_t probe_output_width(nn::Module& model, int64_t width, const std::string& model_path,
                           const std::string& place);

/// "data.csv, line 3": a place in a CSV file, as io's messages write it.
inline std::string csv_place(const std::string& path, int64_t line) {
  return path + ", line " + std::to_string(line);
}

}  // namespace minnow::tools
