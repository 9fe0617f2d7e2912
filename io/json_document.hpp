#pragma once
// Internal to io: strict JSON reading shared by the model file and the safetensors header, and
// the JSON paths that every error message names.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace minnow::io::detail {

using json = nlohmann::json;

/// Documents nested deeper than this are refused (a model of 100 nested Sequentials is 200 deep),
/// so that no reader recurses without bound.
inline constexpr size_t kMaxJsonDepth = 256;

/// What parse_json does with the value at an object-key path (e.g. {"parameters", "w", "data"}).
enum class TensorSlot {
  none,  ///< an ordinary JSON value
  /// Tensor values: an array there is read straight into float32 (each number rounded once, from
  /// its text) and stored in the document as a binary value of host-order float32 bytes, which
  /// JSON text itself can never produce; anything but numbers in it is an error naming its index.
  values,
  /// Tensor bytes as text (base64): a long string there is not copied but stored as a reference
  /// to the parsed text; read it with string_contents().
  text,
};
/// Tells parse_json which paths are tensor slots.
using TensorSlotRule = TensorSlot (*)(std::span<const std::string> keys);

/// Parses one JSON document strictly: invalid JSON (with line and column), duplicate keys and
/// nesting deeper than kMaxJsonDepth are FormatErrors starting with `source` (the file's name).
/// Long strings are found with a fast scan and kept out of the JSON parser, so that documents
/// of megabytes of base64 parse in about the time it takes to read them; the result and every
/// error are the same as a plain parse would give. With text slots, the document may refer to
/// `text`, which must then outlive it.
json parse_json(std::string_view text, const std::string& source,
                TensorSlotRule tensor_slot = nullptr);

/// The characters of a string in a document from parse_json(text, ...): a JSON string, or a
/// long string at a TensorSlot::text slot, which is read from `text`. nullopt when `value` is
/// not a string.
std::optional<std::string_view> string_contents(const json& value, std::string_view text);

/// The JSON path of `key` inside `path`: model + layers -> "model.layers", parameters +
/// layers.0.weight -> parameters["layers.0.weight"], "" + format -> "format".
std::string path_join(const std::string& path, std::string_view key);
/// The JSON path of an entry whose key is data rather than schema (a parameter or tensor name,
/// a metadata key), always in brackets: parameters + w -> parameters["w"].
std::string path_key(const std::string& path, std::string_view key);
/// The JSON path of element `index` inside `path`: "model.layers[1]".
std::string path_index(const std::string& path, size_t index);

/// A JSON value as error messages show it: "abc" (quoted), 3, true, an object, an array; long
/// values are cut.
std::string describe(const json& value);

/// A shape as messages show it: [2, 3].
std::string shape_text(std::span<const int64_t> dims);

}  // namespace minnow::io::detail
