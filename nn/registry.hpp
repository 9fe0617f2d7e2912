#pragma once
// The registry: module type name -> factory from config. Every built-in type is in it; users
// add theirs with one call. The model-file loader, the CLI and the tests all build through it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "minnow/nn/module.hpp"

namespace minnow::nn {

/// Reads one module config with errors that name the JSON path of the problem, e.g.
/// `model.layers[1].threshold: expected a number, got "high"`. Every factory uses it.
/// Errors are FormatError.
class ConfigReader {
 public:
  /// `config` must be an object with a string "type"; `path` is its JSON path ("model").
  ConfigReader(const json& config, std::string path);

  const std::string& type() const { return type_; }
  const std::string& path() const { return path_; }
  /// The JSON path of `key` inside this config ("model.layers[1].threshold").
  std::string path_of(const std::string& key) const;

  /// A non-negative integer; required when no default is given.
  int64_t get_dims(const std::string& key, std::optional<int64_t> fallback = std::nullopt);
  int64_t get_int(const std::string& key, std::optional<int64_t> fallback = std::nullopt);
  /// A finite number.
  double get_number(const std::string& key, std::optional<double> fallback = std::nullopt);
  bool get_bool(const std::string& key, std::optional<bool> fallback = std::nullopt);
  /// A string; when `allowed` is not empty, one of them.
  std::string get_string(const std::string& key, std::optional<std::string> fallback = std::nullopt,
                         const std::vector<std::string>& allowed = {});
  /// An array (of anything); required.
  const json& get_array(const std::string& key);

  /// Throws for any key of the config that no get_* call read (they are usually typos).
  void finish() const;

 private:
  const json* lookup(const std::string& key, bool required);
  const json& config_;
  std::string path_;
  std::string type_;
  std::vector<std::string> read_keys_;
};

/// Builds a module from its config; `path` is the config's JSON path, for error messages.
using ModuleFactory = std::function<ModulePtr(const json& config, const std::string& path)>;

/// Registers (or replaces) a module type under `type`.
void register_module_type(const std::string& type, ModuleFactory factory);
/// Whether `type` can be built.
bool is_registered(const std::string& type);
/// Every registered type name, sorted.
std::vector<std::string> registered_types();

/// Builds the module `config` describes, children included. FormatError naming the JSON path for
/// an unknown type, an unknown key, a wrong value type or a value out of range.
ModulePtr from_config(const json& config, const std::string& path = "model");

}  // namespace minnow::nn
