#pragma once
// Internal to io: tensors of a file that have been validated but not yet read. Both file kinds
// (model files and safetensors) first turn their contents into PendingTensors, checking every
// shape against the bytes that hold its values; only then, once the whole file is known to be
// good and to fit the model, are tensors allocated and filled.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "minnow/core/shape.hpp"
#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_map.hpp"
#include "minnow/io/json_document.hpp"
#include "minnow/io/model_file.hpp"

namespace minnow::io {
class InputFile;
struct TensorFile;
}  // namespace minnow::io

namespace minnow::io::detail {

/// How a pending tensor's bytes hold its values.
enum class ValueEncoding {
  host_float32,    ///< float32 in host order (a `data` array, read by parse_json)
  base64_float32,  ///< base64 text of little-endian float32
  f32,             ///< little-endian IEEE-754 binary32 (safetensors F32)
  f16,             ///< little-endian IEEE-754 binary16 (safetensors F16)
  bf16,            ///< little-endian bfloat16 (safetensors BF16)
  f64,             ///< little-endian IEEE-754 binary64 (safetensors F64)
};

/// A validated tensor of a file: its shape agrees with the size of `bytes` (which point into
/// the file's contents, so they must outlive it).
struct PendingTensor {
  std::string name;         ///< the dotted parameter name
  std::string values_path;  ///< where the values are, for messages: parameters["w"].base64
  Shape shape;
  ValueEncoding encoding = ValueEncoding::host_float32;
  std::string_view bytes;
};

/// The product of `dims`, or nullopt when a dimension is negative or the product of the
/// non-zero dimensions exceeds int64 (checked before multiplying, so it cannot overflow).
std::optional<int64_t> element_count(std::span<const int64_t> dims);

/// Reads a JSON shape: an array of at most Shape::kMaxDims non-negative integers. FormatError
/// starting with `source: path` otherwise.
Shape read_shape(const json& value, const std::string& path, const std::string& source);

/// FormatError naming `values_path` and the first NaN or infinity of `values` (the first
/// values of a tensor, or all of them), when they have one.
void require_finite(std::span<const float> values, const std::string& values_path,
                    const std::string& source);

/// Allocates the tensor and fills it from its bytes (decoding base64, converting dtypes).
/// FormatError naming values_path for bad base64, and for NaN or infinity unless allowed.
Tensor materialize(const PendingTensor& pending, bool allow_non_finite, const std::string& source);

/// Which of `file` fit `model` (a module's parameters): loaded, missing, unexpected, mismatched.
WeightsReport match_parameters(const std::vector<PendingTensor>& file, const TensorMap& model);

/// The header of safetensors bytes, validated: the tensors (in order of their offsets) and the
/// metadata. FormatError starting with `source` for anything that breaks the format.
struct SafetensorsContents {
  std::vector<PendingTensor> tensors;
  Metadata metadata;
};
SafetensorsContents read_safetensors(std::string_view bytes, const std::string& source);

/// Chooses, from a file's validated tensors (their names and shapes known, their values not yet
/// read), the names of the ones to read. It may throw to refuse the file before any value is read.
using TensorSelector = std::function<std::vector<std::string>(const std::vector<PendingTensor>&)>;

/// Reads a safetensors file: the header first, validated as read_safetensors() does; then, when
/// `select` is given, it is shown the header's tensors and only those it names are read (the
/// others' bytes are not touched); then each tensor's bytes go straight from the file into its
/// storage (F32 on little-endian hosts; other dtypes and small tensors are decoded from a small
/// window). FormatError naming the tensor when the file turns out shorter than its size said (cut
/// short while being read), and for NaN or infinity unless `allow_non_finite`. Files without a
/// size (pipes) are read whole and parsed from memory, with the same selection and checks.
TensorFile read_safetensors_file(InputFile& file, const std::string& source,
                                 const TensorSelector& select = {}, bool allow_non_finite = true);

}  // namespace minnow::io::detail
