#include "minnow/io/model_file.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <utility>

#include "minnow/core/eigen.hpp"
#include "minnow/core/error.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/core/random.hpp"
#include "minnow/io/atomic_file.hpp"
#include "minnow/io/json_document.hpp"
#include "minnow/io/little_endian.hpp"
#include "minnow/io/safetensors.hpp"
#include "minnow/io/tensor_source.hpp"
#include "minnow/io/text.hpp"
#include "minnow/nn/registry.hpp"

namespace minnow::io {

using detail::describe;
using detail::json;
using detail::path_join;
using detail::PendingTensor;
using minnow::detail::first_non_finite;

std::string WeightsReport::to_string() const {
  std::string out;
  const auto add = [&out](const std::string& item) { out += (out.empty() ? "" : "; ") + item; };
  for (const auto& name : missing) add("missing \"" + name + "\"");
  for (const auto& name : unexpected) add("unexpected \"" + name + "\"");
  for (const auto& m : mismatched) {
    add("\"" + m.name + "\": the model's shape is " + m.expected.to_string() + ", the file's " +
        m.found.to_string());
  }
  return out;
}

namespace {

// ---- reading ----------------------------------------------------------------------------------

constexpr std::string_view kTopLevelKeys[] = {"format",     "version",  "model",
                                              "parameters", "metadata", "check"};

std::string quoted_list(std::span<const std::string_view> items) {
  std::string out;
  for (const auto item : items) out += (out.empty() ? "\"" : ", \"") + std::string(item) + "\"";
  return out;
}

// Where tensors hold their values: parameters[name] and check.input / check.output. parse_json
// reads their "data" arrays straight to float32 and leaves their long "base64" strings in the
// text.
detail::TensorSlot tensor_slot(std::span<const std::string> keys) {
  if (keys.size() != 3) return detail::TensorSlot::none;
  const bool in_tensor = keys[0] == "parameters" ||
                         (keys[0] == "check" && (keys[1] == "input" || keys[1] == "output"));
  if (!in_tensor) return detail::TensorSlot::none;
  if (keys[2] == "data") return detail::TensorSlot::values;
  if (keys[2] == "base64") return detail::TensorSlot::text;
  return detail::TensorSlot::none;
}

struct CheckSection {
  PendingTensor input;
  PendingTensor output;
  float atol = 0.0f;
};

// A model file, validated; its pending tensors point into `root` and into the text it was read
// from, which must outlive it.
struct ModelDocument {
  json root;
  std::optional<std::vector<PendingTensor>> parameters;  // nullopt: a config-only file
  Metadata metadata;
  std::optional<CheckSection> check;
  const json& config() const { return root["model"]; }
};

// Validates one part of a document; every error names the file and the JSON path.
class DocumentReader {
 public:
  // `text` is the document's text (long base64 strings are read from it).
  DocumentReader(std::string source, std::string_view text)
      : source_(std::move(source)), text_(text) {}

  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw FormatError(source_ + ": " + path + ": " + problem);
  }

  const json* find(const json& object, std::string_view key) const {
    const auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
  }

  const json& require(const json& object, const std::string& path, std::string_view key) const {
    const json* value = find(object, key);
    if (value == nullptr) {
      throw FormatError(source_ + ": " + (path.empty() ? "" : path + ": ") + "missing key \"" +
                        std::string(key) + "\"");
    }
    return *value;
  }

  void check_keys(const json& object, const std::string& path,
                  std::span<const std::string_view> allowed, const std::string& what) const {
    for (const auto& [key, value] : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail(path_join(path, key),
             "unknown key " + what + " (expected " + quoted_list(allowed) + ")");
      }
    }
  }

  PendingTensor tensor(const json& entry, const std::string& path, std::string name) const {
    if (!entry.is_object()) {
      fail(path,
           "expected a tensor (an object with \"dtype\", \"shape\" and \"data\" or "
           "\"base64\"), got " +
               describe(entry));
    }
    static constexpr std::string_view kKeys[] = {"dtype", "shape", "data", "base64"};
    check_keys(entry, path, kKeys, "in a tensor");
    const json& dtype = require(entry, path, "dtype");
    if (dtype != "float32")
      fail(path_join(path, "dtype"), "expected \"float32\", got " + describe(dtype));
    const std::string shape_path = path_join(path, "shape");
    const Shape shape = detail::read_shape(require(entry, path, "shape"), shape_path, source_);
    const std::optional<int64_t> count = detail::element_count(shape.to_vector());
    if (!count) fail(shape_path, shape.to_string() + " has too many elements to exist");

    const json* data = find(entry, "data");
    const json* base64 = find(entry, "base64");
    if ((data != nullptr) == (base64 != nullptr)) {
      fail(path, data != nullptr ? "has both \"data\" and \"base64\" (exactly one is allowed)"
                                 : "has neither \"data\" nor \"base64\" (exactly one is required)");
    }
    PendingTensor pending{std::move(name), "", shape, {}, {}};
    const auto expected_values = std::to_string(*count) + " values for shape " + shape.to_string();
    if (data != nullptr) {
      pending.values_path = path_join(path, "data");
      if (!data->is_binary())
        fail(pending.values_path, "expected an array of numbers, got " + describe(*data));
      const auto& bytes = data->get_binary();
      const auto found = static_cast<uint64_t>(bytes.size() / sizeof(float));
      if (found != static_cast<uint64_t>(*count)) {
        fail(pending.values_path, "expected " + expected_values + ", got " + std::to_string(found));
      }
      pending.encoding = detail::ValueEncoding::host_float32;
      pending.bytes = {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    } else {
      pending.values_path = path_join(path, "base64");
      const std::optional<std::string_view> contents = detail::string_contents(*base64, text_);
      if (!contents)
        fail(pending.values_path, "expected a base64 string, got " + describe(*base64));
      const std::string_view text = *contents;
      const std::optional<size_t> size = base64_decoded_size(text);
      if (!size) {
        fail(pending.values_path, "not valid base64: its length " + std::to_string(text.size()) +
                                      " is not a multiple of 4");
      }
      // Compared in values (size / 4), so that no byte count is computed from an absurd shape.
      if (*size % sizeof(float) != 0 || *size / sizeof(float) != static_cast<uint64_t>(*count)) {
        fail(pending.values_path,
             "expected " + expected_values + " (" +
                 (*count <= INT64_MAX / 4 ? std::to_string(*count * 4) : "too many") +
                 " bytes), got " + std::to_string(*size) + " bytes");
      }
      pending.encoding = detail::ValueEncoding::base64_float32;
      pending.bytes = text;
    }
    return pending;
  }

  Metadata metadata(const json& value) const {
    if (!value.is_object())
      fail("metadata", "expected an object of strings, got " + describe(value));
    Metadata out;
    for (const auto& [key, text] : value.items()) {
      if (!text.is_string())
        fail(detail::path_key("metadata", key), "expected a string, got " + describe(text));
      out.emplace(key, text.get<std::string>());
    }
    return out;
  }

  CheckSection check(const json& value) const {
    if (!value.is_object()) {
      fail("check",
           "expected an object with \"input\", \"output\" and \"atol\", got " + describe(value));
    }
    static constexpr std::string_view kKeys[] = {"input", "output", "atol"};
    check_keys(value, "check", kKeys, "in check");
    CheckSection check{tensor(require(value, "check", "input"), "check.input", "input"),
                       tensor(require(value, "check", "output"), "check.output", "output"), 0.0f};
    const json& atol = require(value, "check", "atol");
    if (!atol.is_number() || !(atol.get<double>() >= 0.0) || atol.get<double>() > FLT_MAX) {
      fail("check.atol", "expected a finite number >= 0, got " + describe(atol));
    }
    check.atol = static_cast<float>(atol.get<double>());
    return check;
  }

  void version(const json& value) const {
    if (!value.is_number_integer()) fail("version", "expected an integer, got " + describe(value));
    if (value.is_number_unsigned()
            ? value.get<uint64_t>() > static_cast<uint64_t>(kModelFormatVersion)
            : value.get<int64_t>() > kModelFormatVersion) {
      fail("version", "the file is version " + value.dump() + ", newer than version " +
                          std::to_string(kModelFormatVersion) +
                          ", the newest this minnow reads (a newer minnow wrote it)");
    }
    if (value.get<int64_t>() < 1) {
      fail("version", "expected a version number from 1 to " + std::to_string(kModelFormatVersion) +
                          ", got " + value.dump());
    }
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::string_view text_;
};

ModelDocument read_document(std::string_view text, const std::string& source) {
  const DocumentReader reader(source, text);
  ModelDocument document{detail::parse_json(text, source, tensor_slot), {}, {}, {}};
  const json& root = document.root;
  if (!root.is_object()) {
    throw FormatError(source + ": expected a JSON object at the top level, got " + describe(root));
  }
  // Format and version first: a newer file should say so, not trip over a key it added.
  const json& format = reader.require(root, "", "format");
  if (format != std::string(kModelFormatName)) {
    reader.fail("format",
                "expected \"" + std::string(kModelFormatName) + "\", got " + describe(format));
  }
  reader.version(reader.require(root, "", "version"));
  reader.check_keys(root, "", kTopLevelKeys, "at the top level");
  const json& config = reader.require(root, "", "model");
  if (!config.is_object()) {
    reader.fail("model",
                "expected a module config (an object with a \"type\"), got " + describe(config));
  }
  if (const json* metadata = reader.find(root, "metadata"))
    document.metadata = reader.metadata(*metadata);
  if (const json* parameters = reader.find(root, "parameters")) {
    if (!parameters->is_object()) {
      reader.fail("parameters",
                  "expected an object of tensors by name, got " + describe(*parameters));
    }
    std::vector<PendingTensor> tensors;
    tensors.reserve(parameters->size());
    for (const auto& [name, entry] : parameters->items()) {
      tensors.push_back(reader.tensor(entry, detail::path_key("parameters", name), name));
    }
    document.parameters = std::move(tensors);
  }
  if (const json* check = reader.find(root, "check")) document.check = reader.check(*check);
  return document;
}

// Every way `file` does not fit `model`, on one line, each problem named by its JSON path under
// `root` ("parameters" for model files, "header" for safetensors).
std::string mismatch_message(const WeightsReport& report, const std::vector<PendingTensor>& file,
                             const TensorMap& model, const std::string& root) {
  std::string out;
  const auto add = [&out](const std::string& item) { out += (out.empty() ? "" : "; ") + item; };
  for (const auto& name : report.missing) {
    add(detail::path_key(root, name) + ": missing (the model has it, shape " +
        model.at(name).shape().to_string() + ")");
  }
  for (const auto& name : report.unexpected) {
    const auto found = std::find_if(file.begin(), file.end(),
                                    [&](const PendingTensor& t) { return t.name == name; });
    add(detail::path_key(root, name) + ": unexpected (the model has no such parameter; shape " +
        found->shape.to_string() + " in the file)");
  }
  for (const auto& m : report.mismatched) {
    add(path_join(detail::path_key(root, m.name), "shape") + ": expected " +
        m.expected.to_string() + " (the model's), got " + m.found.to_string());
  }
  const size_t count = report.missing.size() + report.unexpected.size() + report.mismatched.size();
  return "(" + std::to_string(count) + (count == 1 ? " problem) " : " problems) ") + out;
}

nn::ModulePtr build_model(const ModelDocument& document, const std::string& source) {
  try {
    return nn::from_config(document.config(), "model");
  } catch (const FormatError& error) {
    throw FormatError(source + ": " + error.what());
  }
}

// The tensors of `pending`, allocated and filled only now that everything has been validated.
TensorMap materialize_all(const std::vector<PendingTensor>& pending,
                          const std::vector<std::string>& names, bool allow_non_finite,
                          const std::string& source) {
  std::unordered_map<std::string_view, const PendingTensor*> by_name;
  for (const PendingTensor& tensor : pending) by_name.emplace(tensor.name, &tensor);
  TensorMap out;
  for (const std::string& name : names) {
    out.insert_or_assign(name, detail::materialize(*by_name.at(name), allow_non_finite, source));
  }
  return out;
}

// The file's parameters for `model`, read; FormatError unless they match it exactly.
TensorMap read_parameters(const nn::Module& model, const ModelDocument& document,
                          bool allow_non_finite, const std::string& source) {
  const TensorMap parameters = model.parameters();
  const WeightsReport report = detail::match_parameters(*document.parameters, parameters);
  if (!report.complete()) {
    throw FormatError(source + ": the parameters do not match the model's config " +
                      mismatch_message(report, *document.parameters, parameters, "parameters"));
  }
  return materialize_all(*document.parameters, report.loaded, allow_non_finite, source);
}

// The model of a file that has parameters, holding them. Its initial parameters are all
// replaced, so they are not drawn (drawing a value takes several times as long as decoding it
// from base64): random::detail::SkipDrawsScope allocates them only, and leaves the default
// generator as drawing them would have. The factories of user-registered module types always
// draw for real (nn::register_module_type wraps them in a RealDrawsScope), because such a module
// may compute with its draws. Should the model still have kept a skipped tensor anywhere but in
// the parameters the file replaced, it is built again, drawing.
nn::ModulePtr build_filled_model(const ModelDocument& document, bool allow_non_finite,
                                 const std::string& source) {
  TensorMap values;
  {
    const random::detail::SkipDrawsScope skip;
    nn::ModulePtr model = build_model(document, source);
    values = read_parameters(*model, document, allow_non_finite, source);
    model->update(values);
    if (!skip.draws_outlived()) return model;
    skip.rewind_generator();
  }
  nn::ModulePtr model = build_model(document, source);
  model->update(values);
  return model;
}

// Puts every module of a tree in eval mode and restores each one's own flag afterwards.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(nn::Module& model) {
    for (const auto& [path, module] : model.named_modules())
      modes_.emplace_back(module, module->training());
    model.eval();
  }
  ~EvalModeGuard() {
    // named_modules lists parents before their children, and train() recurses, so restoring in
    // that order leaves every module with its own flag.
    for (const auto& [module, training] : modes_) module->train(training);
  }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  std::vector<std::pair<nn::Module*, bool>> modes_;
};

Tensor run_in_eval_mode(nn::Module& model, const Tensor& input) {
  const EvalModeGuard guard(model);
  return model(input);
}

void verify_check(nn::Module& model, const CheckSection& check, const std::string& source) {
  const Tensor input = detail::materialize(check.input, false, source);
  const Tensor expected = detail::materialize(check.output, false, source);
  Tensor actual;
  try {
    actual = run_in_eval_mode(model, input);
  } catch (const Error& error) {
    throw FormatError(source + ": check.input: the model cannot run on it: " + error.what());
  }
  if (actual.shape() != expected.shape()) {
    throw FormatError(source + ": check.output.shape: expected " + actual.shape().to_string() +
                      " (the shape of the model's output), got " + expected.shape().to_string());
  }
  if (actual.size() == 0) return;
  // NaN compares false, so a NaN output counts as the largest difference.
  const Eigen::ArrayXf difference = (as_array(actual) - as_array(expected)).abs();
  Eigen::Index worst = 0;
  if (difference.isFinite().all()) {
    difference.maxCoeff(&worst);
    if (difference[worst] <= check.atol) return;
  } else {
    while (std::isfinite(difference[worst])) ++worst;
  }
  const auto i = static_cast<size_t>(worst);
  throw FormatError(source + ": check: the model's output differs from check.output by " +
                    format_float(difference[worst]) + " at element " + std::to_string(i) +
                    " (computed " + format_float(actual.values()[i]) + ", recorded " +
                    format_float(expected.values()[i]) + "), more than atol " +
                    format_float(check.atol) + "; the file was not read as it was written");
}

// ---- writing ----------------------------------------------------------------------------------

// A tensor as the format writes it, on one line.
void append_tensor(std::string& out, const Tensor& tensor, bool as_base64) {
  out += "{\"dtype\": \"float32\", \"shape\": ";
  out += detail::shape_text(tensor.shape().to_vector());
  const std::span<const float> values = tensor.values();
  if (as_base64) {
    std::vector<std::byte> bytes(values.size_bytes());
    floats_to_little_endian(values, bytes.data());
    out += ", \"base64\": \"";
    out += base64_encode(bytes);
    out += "\"}";
    return;
  }
  out += ", \"data\": [";
  out.reserve(out.size() + values.size() * 12 + 2);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    append_float(out, values[i]);
  }
  out += "]}";
}

// Whether `tensor` is written as base64; ValueError when it cannot be written at all.
bool choose_base64(const Tensor& tensor, const std::string& path, const SaveOptions& options) {
  const int64_t bad = first_non_finite(tensor.values());
  if (bad >= 0) {
    const std::string found = path + " holds " +
                              format_float(tensor.values()[static_cast<size_t>(bad)]) +
                              " at element " + std::to_string(bad);
    if (!options.allow_non_finite) {
      throw ValueError("[io::save] " + found +
                       "; NaN and infinity are refused unless allow_non_finite is set");
    }
    if (options.encoding == Encoding::data) {
      throw ValueError("[io::save] " + found + ", which \"data\" cannot hold; use base64");
    }
    return true;
  }
  switch (options.encoding) {
    case Encoding::data:
      return false;
    case Encoding::base64:
      return true;
    case Encoding::automatic:
      return tensor.size() > kAutomaticDataLimit;
  }
  return true;
}

// JSON text of `value` indented to sit at `indent` spaces inside an enclosing object.
std::string nested_json(const json& value, int indent) {
  std::string text = value.dump(2);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    out += c;
    if (c == '\n') out.append(static_cast<size_t>(indent), ' ');
  }
  return out;
}

std::string write_document(nn::Module& model, const SaveOptions& options) {
  if (!std::isfinite(options.check_atol) || options.check_atol < 0.0f) {
    throw ValueError("[io::save] check_atol must be a finite number >= 0, got " +
                     format_float(options.check_atol));
  }
  if (options.config_only && options.check_input) {
    throw ValueError(
        "[io::save] a config-only file cannot carry a check: its model is built "
        "with fresh parameters when loaded");
  }
  std::string out = "{\n  \"format\": \"" + std::string(kModelFormatName) +
                    "\",\n  \"version\": " + std::to_string(kModelFormatVersion) +
                    ",\n  \"model\": " + nested_json(model.config(), 2);
  if (!options.config_only) {
    const TensorMap parameters = model.parameters();
    out += ",\n  \"parameters\": {";
    for (size_t i = 0; i < parameters.size(); ++i) {
      const std::string& name = parameters.name_at(i);
      const Tensor& tensor = parameters.value_at(i);
      const bool as_base64 = choose_base64(tensor, detail::path_key("parameters", name), options);
      out += i == 0 ? "\n    " : ",\n    ";
      out += json(name).dump();
      out += ": ";
      append_tensor(out, tensor, as_base64);
    }
    out += parameters.empty() ? "}" : "\n  }";
  }
  if (!options.metadata.empty())
    out += ",\n  \"metadata\": " + nested_json(json(options.metadata), 2);
  if (options.check_input) {
    const Tensor& input = *options.check_input;
    const Tensor output = run_in_eval_mode(model, input);
    for (const auto& [what, tensor] : {std::pair{"input", &input}, std::pair{"output", &output}}) {
      const int64_t bad = first_non_finite(tensor->values());
      if (bad >= 0) {
        throw ValueError(std::string("[io::save] the check's ") + what + " holds " +
                         format_float(tensor->values()[static_cast<size_t>(bad)]) + " at element " +
                         std::to_string(bad) + "; a check needs finite values");
      }
    }
    out += ",\n  \"check\": {\n    \"input\": ";
    append_tensor(out, input, choose_base64(input, "check.input", options));
    out += ",\n    \"output\": ";
    append_tensor(out, output, choose_base64(output, "check.output", options));
    out += ",\n    \"atol\": ";
    append_float(out, options.check_atol);
    out += "\n  }";
  }
  out += "\n}\n";
  return out;
}

}  // namespace

// ---- public API -------------------------------------------------------------------------------

std::string save_to_string(nn::Module& model, const SaveOptions& options) {
  try {
    return write_document(model, options);
  } catch (const json::exception& error) {
    // Names or metadata that are not valid UTF-8 cannot be written as JSON.
    throw ValueError(std::string("[io::save] ") + error.what());
  }
}

void save(nn::Module& model, const std::filesystem::path& path, const SaveOptions& options) {
  write_file_atomic(path, save_to_string(model, options));
}

LoadedModel load_from_string(std::string_view text, const LoadOptions& options,
                             const std::string& source) {
  const ModelDocument document = read_document(text, source);
  LoadedModel loaded{{}, document.metadata, document.parameters.has_value(), false};
  if (document.parameters) {
    loaded.model = build_filled_model(document, options.allow_non_finite, source);
  } else {
    random::seed(options.seed);
    loaded.model = build_model(document, source);
  }
  if (document.check && options.verify_check) {
    verify_check(*loaded.model, *document.check, source);
    loaded.check_passed = true;
  }
  return loaded;
}

LoadedModel load(const std::filesystem::path& path, const LoadOptions& options) {
  return load_from_string(read_file(path), options, path.string());
}

nn::ModulePtr load_config(const std::filesystem::path& path, uint64_t seed) {
  const std::string source = path.string();
  const std::string text = read_file(path);
  const ModelDocument document = read_document(text, source);
  random::seed(seed);
  return build_model(document, source);
}

WeightsReport load_weights(nn::Module& model, const std::filesystem::path& path,
                           const WeightsOptions& options) {
  const std::string source = path.string();
  const std::string extension = path.extension().string();
  const bool safetensors = extension == ".safetensors";
  if (!safetensors && extension != ".json") {
    throw ValueError("[io::load_weights] " + source +
                     ": cannot tell the file's format by its extension (expected .json or "
                     ".safetensors)");
  }
  const TensorMap parameters = model.parameters();
  WeightsReport report;
  // Matches the file's validated tensors against the model before any value is read: in strict
  // mode one error lists every problem; the names returned are the tensors to read.
  const auto fit = [&](const std::vector<PendingTensor>& file) {
    report = detail::match_parameters(file, parameters);
    if (options.strict && !report.complete()) {
      const std::string message =
          source + ": the weights do not fit the model " +
          mismatch_message(report, file, parameters, safetensors ? "header" : "parameters");
      if (report.missing.empty() && report.unexpected.empty()) throw ShapeError(message);
      throw KeyError(message);
    }
    return report.loaded;
  };

  if (safetensors) {
    // Straight from the file: only the tensors that fit the model are read.
    InputFile file(path);
    model.update(
        detail::read_safetensors_file(file, source, fit, options.allow_non_finite).tensors);
    return report;
  }
  const std::string text = read_file(path);
  const ModelDocument document = read_document(text, source);
  if (!document.parameters) {
    throw FormatError(source + ": has no \"parameters\" (a config-only file): no weights to load");
  }
  model.update(materialize_all(*document.parameters, fit(*document.parameters),
                               options.allow_non_finite, source));
  return report;
}

}  // namespace minnow::io
