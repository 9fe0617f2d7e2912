#pragma once
// The minnow model file: one JSON document with a model's config (its architecture) and,
// optionally, its parameters, metadata and a self-test. The format is documented for users in
// docs/file-format.md.
//
//   io::save(model, "model.json");                          // config + parameters
//   io::save(model, "model.json", {.check_input = x});      // + a self-test
//   io::LoadedModel loaded = io::load("model.json");        // builds the model, fills it
//   Tensor y = (*loaded.model)(x);
//   io::load_weights(model, "weights.safetensors");         // into an existing model
//
// Errors, by type:
// - IOError: the file system refused (cannot open, read, create or rename a file).
// - FormatError: the file's contents break the format. The message starts with the file's name
//   and the JSON path of the problem (`parameters["layers.0.weight"].shape`,
//   `model.layers[1].threshold`) and says what was expected and what was found. This includes
//   a file whose parameters do not match its own config, and a failed self-test.
// - KeyError / ShapeError: load_weights() only, when the file is well formed but does not fit
//   the model it is loading into: KeyError when names are missing or unexpected, ShapeError
//   when only shapes differ. Either way the one message lists every problem.
// - ValueError: a request that cannot be honoured (saving NaN or infinity, a negative atol).
//
// Nothing is half done: a load that fails leaves the model it was loading into unchanged, and
// a save that fails leaves the previous file in place.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "minnow/core/shape.hpp"
#include "minnow/core/tensor.hpp"
#include "minnow/nn/module.hpp"

namespace minnow::io {

/// String -> string notes that travel with a file ("task", "epochs", ...).
using Metadata = std::map<std::string, std::string>;

/// The format's name, the value of the top-level "format" key.
inline constexpr std::string_view kModelFormatName = "minnow.model";
/// The format version this library writes, and the newest it reads.
inline constexpr int kModelFormatVersion = 1;

/// How parameter values are written.
enum class Encoding {
  /// `data` for tensors of at most kAutomaticDataLimit elements, `base64` above. Small tensors
  /// (biases, the weights of a perceptron) stay readable and diffable; beyond a few hundred
  /// numbers nobody reads them, and base64 is about half the size (5.3 characters per value
  /// against 9 to 15) and several times faster to read.
  automatic,
  /// `data`: a JSON array of numbers in their shortest round-trip form.
  data,
  /// `base64`: little-endian float32 bytes, base64-encoded.
  base64,
};

/// The largest tensor (in elements) that Encoding::automatic writes as `data` (a 16 x 16 matrix).
inline constexpr int64_t kAutomaticDataLimit = 256;

/// How save() writes a model file. Designated initializers read well:
/// io::save(model, path, {.encoding = io::Encoding::base64, .metadata = {{"task", "xor"}}}).
struct SaveOptions {
  Encoding encoding = Encoding::automatic;
  /// Written as the file's "metadata" object (omitted when empty).
  Metadata metadata{};
  /// When set, the file carries a self-test: this input, the model's output for it (computed
  /// now, in eval mode) and check_atol. Loading reruns the model and refuses the file unless
  /// every output is within check_atol of the recorded one.
  std::optional<Tensor> check_input{};
  /// Allowed absolute difference of the self-test; the default absorbs the rounding differences
  /// between machines and BLAS libraries, not a misread weight.
  float check_atol = 1e-4f;
  /// Allows NaN and infinity in parameters. They are written as base64 (`data` cannot hold
  /// them; Encoding::data with a non-finite parameter is still an error). Off by default: a
  /// model with NaN parameters is refused with an error naming the parameter.
  bool allow_non_finite = false;
  /// Writes the config (and metadata) only, no parameters: loading builds a freshly
  /// initialized model.
  bool config_only = false;
};

/// How load() reads a model file.
struct LoadOptions {
  /// Run the file's self-test, when it has one, and refuse the file if it fails.
  bool verify_check = true;
  /// Accept NaN and infinity in base64 parameters (never possible in `data`).
  bool allow_non_finite = false;
  /// For a config-only file: minnow's default random generator is re-seeded with this before
  /// the model is built, so the fresh parameters are the same on every load (random::seed).
  uint64_t seed = 0;
};

/// What load() gives back.
struct LoadedModel {
  /// The model, built from the file's config, in training mode (as a new module is).
  nn::ModulePtr model{};
  /// The file's metadata (empty when it has none).
  Metadata metadata{};
  /// False for a config-only file, whose model has fresh, seeded parameters.
  bool has_parameters = false;
  /// True when the file had a self-test and it ran and passed.
  bool check_passed = false;
};

/// One parameter whose shape differs between a file and a model.
struct ShapeMismatch {
  std::string name{};
  Shape expected{};  ///< the model's shape
  Shape found{};     ///< the file's shape
};

/// What load_weights() did: which parameters it loaded and what did not match.
struct WeightsReport {
  std::vector<std::string> loaded{};      ///< in the file and the model, with equal shapes
  std::vector<std::string> missing{};     ///< in the model, not in the file
  std::vector<std::string> unexpected{};  ///< in the file, not in the model
  std::vector<ShapeMismatch> mismatched{};

  /// True when every parameter of the model was loaded and the file had nothing else.
  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// The problems on one line ("missing "b" (shape [1]); ..."), or "" when complete().
  std::string to_string() const;
};

/// How load_weights() matches a file to a model.
struct WeightsOptions {
  /// Strict: the names in the file must equal the model's and every shape must match, or
  /// nothing is loaded and one error lists every problem. Non-strict: loads what matches and
  /// reports the rest.
  bool strict = true;
  /// Accept NaN and infinity in the file's values.
  bool allow_non_finite = false;
};

/// Writes `model` (its config, and its parameters unless config_only) to `path` atomically.
/// With check_input, runs the model in eval mode (its training flags are restored afterwards).
/// ValueError for NaN/infinity in a parameter (naming it) unless allowed, IOError when the file
/// cannot be written; the previous file at `path` survives any failure.
void save(nn::Module& model, const std::filesystem::path& path, const SaveOptions& options = {});
/// The document save() writes, as a string.
std::string save_to_string(nn::Module& model, const SaveOptions& options = {});

/// Reads a model file: builds the model from its config and fills its parameters (or, for a
/// config-only file, initializes them from `options.seed`), then runs the self-test if there
/// is one. The file's parameters must match its config exactly.
LoadedModel load(const std::filesystem::path& path, const LoadOptions& options = {});
/// load() from the document's text; `source` names it in error messages.
LoadedModel load_from_string(std::string_view document, const LoadOptions& options = {},
                             const std::string& source = "<string>");

/// Builds the model a model file describes with fresh parameters initialized from `seed`,
/// ignoring any parameters and self-test the file has (which are still validated).
nn::ModulePtr load_config(const std::filesystem::path& path, uint64_t seed = 0);

/// Loads parameters into an existing model from a model file (`.json`) or a safetensors file
/// (`.safetensors`), chosen by the file's extension. The file is read and validated completely
/// before the model is touched; a model file's self-test is not run (it belongs to the file's
/// own model). See WeightsOptions for strict and non-strict matching.
WeightsReport load_weights(nn::Module& model, const std::filesystem::path& path,
                           const WeightsOptions& options = {});
/// load_weights() with only the strictness given.
inline WeightsReport load_weights(nn::Module& model, const std::filesystem::path& path,
                                  bool strict) {
  return load_weights(model, path, WeightsOptions{.strict = strict});
}

}  // namespace minnow::io
