// `minnow convert IN OUT`: a model file's parameters to safetensors, or safetensors weights plus
// an architecture (--config) to a model file. The file endings say which.

#include <filesystem>
#include <iostream>
#include <string>

#include "minnow/io/model_file.hpp"
#include "minnow/io/safetensors.hpp"
#include "minnow/tools/commands.hpp"

namespace minnow::tools {
namespace {

std::string ending(const std::string& path) {
  return std::filesystem::path(path).extension().string();
}

int json_to_safetensors(const ConvertOptions& options) {
  if (!options.config.empty()) {
    throw UsageError("--config is for .safetensors -> .json; a .json model file has its own");
  }
  const io::LoadedModel loaded = io::load(options.input);
  if (!loaded.has_parameters) {
    throw InputError(options.input +
                     ": a config-only model file (no \"parameters\"): there are no weights to "
                     "convert");
  }
  io::save_tensors(loaded.model->parameters(), options.output, loaded.metadata);
  return kExitSuccess;
}

int safetensors_to_json(const ConvertOptions& options) {
  if (options.config.empty()) {
    throw UsageError(
        "converting .safetensors to .json needs --config MODEL.json for the architecture");
  }
  io::LoadedModel base = io::load(options.config);
  io::load_weights(*base.model, options.input);  // strict: every name and shape must match
  io::SaveOptions save_options;
  save_options.metadata = base.metadata;
  io::save(*base.model, options.output, save_options);
  return kExitSuccess;
}

}  // namespace

int run_convert(const ConvertOptions& options) {
  const std::string from = ending(options.input), to = ending(options.output);
  if (from == ".json" && to == ".safetensors") return json_to_safetensors(options);
  if (from == ".safetensors" && to == ".json") return safetensors_to_json(options);
  throw UsageError("convert: cannot convert '" + options.input + "' to '" + options.output +
                   "': the endings must be .json -> .safetensors or .safetensors -> .json");
}

}  // namespace minnow::tools
