#include "minnow/nn/registry.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "minnow/core/error.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/nn.hpp"

namespace minnow::nn {

namespace {

// A JSON value as an error message shows it: "x" for a string, 3, true, [1,2]; long values cut.
std::string describe(const json& value) {
  std::string text = value.dump();
  constexpr size_t kMaxLength = 40;
  if (text.size() > kMaxLength) text = text.substr(0, kMaxLength) + "...";
  return text;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return out;
}

}  // namespace

// ---- ConfigReader -------------------------------------------------------------------------------

ConfigReader::ConfigReader(const json& config, std::string path)
    : config_(config), path_(std::move(path)) {
  if (!config_.is_object()) {
    throw FormatError(path_ + ": expected a module config (an object with a \"type\"), got " +
                      describe(config_));
  }
  const json& type = *lookup("type", true);
  if (!type.is_string()) {
    throw FormatError(path_of("type") + ": expected a string, got " + describe(type));
  }
  type_ = type.get<std::string>();
}

std::string ConfigReader::path_of(const std::string& key) const {
  return path_ + "." + key;
}

const json* ConfigReader::lookup(const std::string& key, bool required) {
  if (std::find(read_keys_.begin(), read_keys_.end(), key) == read_keys_.end()) {
    read_keys_.push_back(key);
  }
  const auto found = config_.find(key);
  if (found != config_.end()) return &*found;
  if (required) {
    throw FormatError(path_ + ": missing key \"" + key + "\"" +
                      (type_.empty() ? "" : " (required by " + type_ + ")"));
  }
  return nullptr;
}

int64_t ConfigReader::get_dims(const std::string& key, std::optional<int64_t> fallback) {
  const json* value = lookup(key, !fallback.has_value());
  if (!value) return *fallback;
  if (!value->is_number_integer() ||
      (value->is_number_unsigned() &&
       value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) ||
      (!value->is_number_unsigned() && value->get<int64_t>() < 0)) {
    throw FormatError(path_of(key) + ": expected a non-negative integer, got " + describe(*value));
  }
  return value->get<int64_t>();
}

int64_t ConfigReader::get_int(const std::string& key, std::optional<int64_t> fallback) {
  const json* value = lookup(key, !fallback.has_value());
  if (!value) return *fallback;
  if (!value->is_number_integer() ||
      (value->is_number_unsigned() &&
       value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    throw FormatError(path_of(key) + ": expected an integer, got " + describe(*value));
  }
  return value->get<int64_t>();
}

double ConfigReader::get_number(const std::string& key, std::optional<double> fallback) {
  const json* value = lookup(key, !fallback.has_value());
  if (!value) return *fallback;
  if (!value->is_number() || !std::isfinite(value->get<double>())) {
    throw FormatError(path_of(key) + ": expected a number, got " + describe(*value));
  }
  return value->get<double>();
}

bool ConfigReader::get_bool(const std::string& key, std::optional<bool> fallback) {
  const json* value = lookup(key, !fallback.has_value());
  if (!value) return *fallback;
  if (!value->is_boolean()) {
    throw FormatError(path_of(key) + ": expected true or false, got " + describe(*value));
  }
  return value->get<bool>();
}

std::string ConfigReader::get_string(const std::string& key, std::optional<std::string> fallback,
                                     const std::vector<std::string>& allowed) {
  const json* value = lookup(key, !fallback.has_value());
  if (!value) return *fallback;
  const bool ok = value->is_string() &&
                  (allowed.empty() || std::find(allowed.begin(), allowed.end(),
                                                value->get<std::string>()) != allowed.end());
  if (!ok) {
    throw FormatError(path_of(key) + ": expected " +
                      (allowed.empty() ? "a string" : "one of " + quoted_list(allowed)) + ", got " +
                      describe(*value));
  }
  return value->get<std::string>();
}

const json& ConfigReader::get_array(const std::string& key) {
  const json& value = *lookup(key, true);
  if (!value.is_array()) {
    throw FormatError(path_of(key) + ": expected an array, got " + describe(value));
  }
  return value;
}

void ConfigReader::finish() const {
  for (const auto& [key, value] : config_.items()) {
    if (std::find(read_keys_.begin(), read_keys_.end(), key) != read_keys_.end()) continue;
    std::vector<std::string> known(read_keys_.begin() + 1, read_keys_.end());  // all but "type"
    throw FormatError(
        path_of(key) + ": unknown key for " + type_ +
        (known.empty() ? " (it takes none)" : " (it takes " + quoted_list(known) + ")"));
  }
}

// ---- the built-in types -------------------------------------------------------------------------

namespace {

// A float32 hyper-parameter: a finite JSON number within float32's range.
float get_float(ConfigReader& reader, const std::string& key, float fallback) {
  const double value = reader.get_number(key, fallback);
  if (std::fabs(value) > static_cast<double>(FLT_MAX)) {
    throw FormatError(reader.path_of(key) + ": " + json(value).dump() +
                      " is outside the float32 range");
  }
  return static_cast<float>(value);
}

int get_axis(ConfigReader& reader, const std::string& key, int fallback) {
  const int64_t axis = reader.get_int(key, fallback);
  if (axis < -Shape::kMaxDims || axis >= Shape::kMaxDims) {
    throw FormatError(reader.path_of(key) + ": axis " + std::to_string(axis) + " is out of range");
  }
  return static_cast<int>(axis);
}

// Each factory reads its arguments into locals first, so that errors come in a fixed order.
using Build = ModulePtr (*)(ConfigReader& reader);
struct BuiltinType {
  std::string_view name;
  Build build;
};

template <class M>
ModulePtr simple(ConfigReader&) {
  return M();
}

constexpr BuiltinType kBuiltinTypes[] = {
    // layers
    {"Identity", simple<Identity>},
    {"Linear",
     [](ConfigReader& r) -> ModulePtr {
       const int64_t input_dims = r.get_dims("input_dims");
       const int64_t output_dims = r.get_dims("output_dims");
       return Linear(input_dims, output_dims, r.get_bool("bias", true));
     }},
    {"Bilinear",
     [](ConfigReader& r) -> ModulePtr {
       const int64_t input1_dims = r.get_dims("input1_dims");
       const int64_t input2_dims = r.get_dims("input2_dims");
       const int64_t output_dims = r.get_dims("output_dims");
       return Bilinear(input1_dims, input2_dims, output_dims, r.get_bool("bias", true));
     }},
    {"Sequential",
     [](ConfigReader& r) -> ModulePtr {
       const json& layers = r.get_array("layers");
       std::vector<ModulePtr> modules;
       modules.reserve(layers.size());
       for (size_t i = 0; i < layers.size(); ++i) {
         modules.push_back(
             from_config(layers[i], r.path_of("layers") + "[" + std::to_string(i) + "]"));
       }
       return Sequential(std::move(modules));
     }},
    {"Dropout", [](ConfigReader& r) -> ModulePtr { return Dropout(get_float(r, "p", 0.5f)); }},
    // normalization
    {"LayerNorm",
     [](ConfigReader& r) -> ModulePtr {
       const int64_t dims = r.get_dims("dims");
       const float eps = get_float(r, "eps", 1e-5f);
       const bool affine = r.get_bool("affine", true);
       return LayerNorm(dims, eps, affine, r.get_bool("bias", true));
     }},
    {"RMSNorm",
     [](ConfigReader& r) -> ModulePtr {
       const int64_t dims = r.get_dims("dims");
       return RMSNorm(dims, get_float(r, "eps", 1e-5f));
     }},
    {"BatchNorm",
     [](ConfigReader& r) -> ModulePtr {
       const int64_t num_features = r.get_dims("num_features");
       const float eps = get_float(r, "eps", 1e-5f);
       const float momentum = get_float(r, "momentum", 0.1f);
       const bool affine = r.get_bool("affine", true);
       return BatchNorm(num_features, eps, momentum, affine,
                        r.get_bool("track_running_stats", true));
     }},
    // activations
    {"ReLU", simple<ReLU>},
    {"ReLU2", simple<ReLU2>},
    {"ReLU6", simple<ReLU6>},
    {"LeakyReLU",
     [](ConfigReader& r) -> ModulePtr { return LeakyReLU(get_float(r, "negative_slope", 0.01f)); }},
    {"PReLU",
     [](ConfigReader& r) -> ModulePtr {
       const int64_t num_parameters = r.get_dims("num_parameters", 1);
       return PReLU(num_parameters, get_float(r, "init", 0.25f));
     }},
    {"ELU", [](ConfigReader& r) -> ModulePtr { return ELU(get_float(r, "alpha", 1.0f)); }},
    {"CELU", [](ConfigReader& r) -> ModulePtr { return CELU(get_float(r, "alpha", 1.0f)); }},
    {"SELU", simple<SELU>},
    {"Sigmoid", simple<Sigmoid>},
    {"LogSigmoid", simple<LogSigmoid>},
    {"SiLU", simple<SiLU>},
    {"Tanh", simple<Tanh>},
    {"Softplus", simple<Softplus>},
    {"Softsign", simple<Softsign>},
    {"Softshrink",
     [](ConfigReader& r) -> ModulePtr { return Softshrink(get_float(r, "lambd", 0.5f)); }},
    {"HardShrink",
     [](ConfigReader& r) -> ModulePtr { return HardShrink(get_float(r, "lambd", 0.5f)); }},
    {"HardTanh", simple<HardTanh>},
    {"Hardswish", simple<Hardswish>},
    {"Mish", simple<Mish>},
    {"GELU",
     [](ConfigReader& r) -> ModulePtr {
       return GELU(r.get_string("approx", "none", {"none", "precise", "tanh", "fast"}));
     }},
    {"GLU", [](ConfigReader& r) -> ModulePtr { return GLU(get_axis(r, "axis", -1)); }},
    {"Softmax", simple<Softmax>},
    {"Softmin", simple<Softmin>},
    {"LogSoftmax", simple<LogSoftmax>},
    {"Step",
     [](ConfigReader& r) -> ModulePtr {
       const float threshold = get_float(r, "threshold", 0.0f);
       const std::string gradient = r.get_string("gradient", "zero", {"zero", "straight_through"});
       return Step(threshold,
                   gradient == "zero" ? StepGradient::zero : StepGradient::straight_through);
     }},
};

constexpr bool table_matches_builtin_list() {
  if (std::size(kBuiltinTypes) != builtin_module_types.size()) return false;
  for (size_t i = 0; i < builtin_module_types.size(); ++i) {
    if (kBuiltinTypes[i].name != builtin_module_types[i]) return false;
  }
  return true;
}
static_assert(table_matches_builtin_list(),
              "the registry's table must list exactly nn::builtin_module_types, in order");

// The registry proper: built-in types first, then whatever users add.
struct Registry {
  std::mutex mutex;
  std::map<std::string, ModuleFactory, std::less<>> factories;

  Registry() {
    for (const BuiltinType& type : kBuiltinTypes) {
      factories.emplace(std::string(type.name),
                        [build = type.build](const json& config, const std::string& path) {
                          ConfigReader reader(config, path);
                          ModulePtr module = build(reader);
                          reader.finish();
                          return module;
                        });
    }
  }
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

void register_module_type(const std::string& type, ModuleFactory factory) {
  if (type.empty()) throw ValueError("[register_module_type] the type name is empty");
  if (!factory)
    throw ValueError("[register_module_type] the factory for \"" + type + "\" is empty");
  // A user's module may compute with its initial random draws rather than only keep them as
  // parameters, so its factory always draws for real, even while io::load skips the draws of
  // the built-in layers whose parameters the file replaces.
  ModuleFactory drawing_for_real = [user_factory = std::move(factory)](const json& config,
                                                                       const std::string& path) {
    const random::detail::RealDrawsScope real_draws;
    return user_factory(config, path);
  };
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  r.factories.insert_or_assign(type, std::move(drawing_for_real));
}

bool is_registered(const std::string& type) {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  return r.factories.contains(type);
}

std::vector<std::string> registered_types() {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  names.reserve(r.factories.size());
  for (const auto& [name, factory] : r.factories) names.push_back(name);
  return names;
}

ModulePtr from_config(const json& config, const std::string& path) {
  const ConfigReader reader(config, path);  // checks that it is an object with a "type"
  ModuleFactory factory;
  {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    const auto found = r.factories.find(reader.type());
    if (found == r.factories.end()) {
      throw FormatError(reader.path_of("type") + ": unknown module type \"" + reader.type() + "\"");
    }
    factory = found->second;
  }
  try {
    return factory(config, path);
  } catch (const ValueError& error) {
    // A constructor's complaint (Dropout p = 1, GELU approx) is a problem of the document.
    throw FormatError(path + ": " + error.what());
  }
}

}  // namespace minnow::nn
