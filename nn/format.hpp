#pragma once
// How modules write their hyper-parameters: as JSON numbers in configs and as Python literals in
// MLX's printed forms. Hyper-parameters are float32; these helpers write the shortest decimal that
// reads back to the same float32, so a config survives any number of round trips unchanged.

#include <string>

namespace minnow::nn {

/// The double whose shortest decimal form is the shortest round-trip form of `value`, so that a
/// JSON writer prints 0.1 (not 0.10000000149011612) and reading it back gives `value` again.
double config_float(float value);

/// Python's repr() of `value` read as a float, as MLX's printed forms show it: 1e-05, 0.5, 1.0.
std::string python_float(float value);

/// Python's repr() of a bool: "True" or "False".
inline std::string python_bool(bool value) {
  return value ? "True" : "False";
}

/// Python's repr() of a str: 'none'.
inline std::string python_string(const std::string& value) {
  return "'" + value + "'";
}

}  // namespace minnow::nn
