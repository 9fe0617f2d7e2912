#pragma once
// safetensors: named tensors in the format of Hugging Face's safetensors package, which MLX's
// `save_weights`/`mx.save_safetensors` and PyTorch's `safetensors.torch.save_file` write.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON header
// {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"key": "value"}}, then the data section, which the offsets index.
//
// Reading accepts F32, F16, BF16 and F64 tensors (converted to float32) and validates the
// whole header before any tensor is allocated: the length (at least 2 bytes, inside the file,
// at most kMaxSafetensorsHeader), a JSON object, known dtypes, non-negative shapes, and
// data_offsets that lie in the data section, overlap no other tensor's and span exactly
// dtype size x element count bytes. Problems are FormatErrors naming the file and the tensor;
// file system problems are IOErrors. Writing writes F32, with the names in map order.
//
// Optimizer state travels this way too: io::save_tensors(optimizer.state(), "opt.safetensors")
// and optimizer.load_state(io::load_tensors("opt.safetensors")).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "minnow/core/tensor_map.hpp"
#include "minnow/io/model_file.hpp"

namespace minnow::io {

/// The largest header accepted (the reference implementation's limit, 100 MB).
inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

/// Tensors and the metadata of one safetensors file.
struct TensorFile {
  TensorMap tensors{};
  /// The header's "__metadata__" (string -> string), empty when absent.
  Metadata metadata{};
};

/// Writes `tensors` as float32 safetensors, atomically (see write_file_atomic), with
/// `metadata` as the header's "__metadata__" when it is not empty. Any values are written,
/// NaN and infinity included.
void save_tensors(const TensorMap& tensors, const std::filesystem::path& path,
                  const Metadata& metadata = {});
/// The bytes save_tensors() writes.
std::string save_tensors_to_string(const TensorMap& tensors, const Metadata& metadata = {});

/// Reads every tensor of a safetensors file as float32, in the order of their data offsets. The
/// header is read and validated first; then each tensor's bytes go from the file straight into
/// its storage (no copy of the whole file is made). A file cut short while it is read is a
/// FormatError naming the tensor.
TensorMap load_tensors(const std::filesystem::path& path);
/// load_tensors() with the file's metadata.
TensorFile load_tensors_with_metadata(const std::filesystem::path& path);
/// Reads safetensors bytes; `source` names them in error messages.
TensorFile load_tensors_from_string(std::string_view bytes, const std::string& source = "<bytes>");

}  // namespace minnow::io
