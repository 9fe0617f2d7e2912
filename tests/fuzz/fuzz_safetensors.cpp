// Fuzzes the safetensors reader: any bytes either load or are refused with a minnow::Error.
// Anything else (another exception, a crash, a sanitizer report, a leak) is a bug. The bytes are
// also written to a file and read from there, which must give the same tensors, bit for bit, or
// the same error message.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "minnow/core/error.hpp"
#include "minnow/io/safetensors.hpp"

namespace {

// The file each input is written to: one per process, so that parallel fuzzing jobs do not
// share; removed when the fuzzer exits.
struct InputFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("fuzz_safetensors_" + std::to_string(::getpid()) + ".safetensors");
  InputFile() = default;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

const std::filesystem::path& input_file() {
  static const InputFile file;
  return file.path;
}

void write_input(std::string_view bytes) {
  std::ofstream out(input_file(), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) __builtin_trap();
}

// The tensors the bytes hold, or the message that refuses them.
struct Outcome {
  std::optional<minnow::io::TensorFile> file;
  std::string error;
};

template <class Read>
Outcome outcome_of(Read read) {
  try {
    return {read(), ""};
  } catch (const minnow::Error& error) {
    // A refusal with a message is the expected outcome for most inputs.
    return {std::nullopt, error.what()};
  }
}

bool same_bits(const minnow::io::TensorFile& a, const minnow::io::TensorFile& b) {
  if (a.metadata != b.metadata || a.tensors.keys() != b.tensors.keys()) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const minnow::Tensor& x = a.tensors.value_at(i);
    const minnow::Tensor& y = b.tensors.value_at(i);
    if (x.shape() != y.shape()) return false;
    if (x.size() > 0 && std::memcmp(x.data(), y.data(), x.values().size_bytes()) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string source = input_file().string();
  const Outcome from_memory =
      outcome_of([&] { return minnow::io::load_tensors_from_string(bytes, source); });
  write_input(bytes);
  const Outcome from_file =
      outcome_of([&] { return minnow::io::load_tensors_with_metadata(input_file()); });
  if (from_memory.file.has_value() != from_file.file.has_value()) __builtin_trap();
  if (!from_memory.file) {
    if (from_memory.error != from_file.error) __builtin_trap();
    return 0;
  }
  if (!same_bits(*from_memory.file, *from_file.file)) __builtin_trap();

  // What was read writes back and reads back the same.
  const minnow::io::TensorFile& file = *from_memory.file;
  const Outcome again = outcome_of([&] {
    return minnow::io::load_tensors_from_string(
        minnow::io::save_tensors_to_string(file.tensors, file.metadata), "again");
  });
  if (!again.file || !same_bits(*again.file, file)) __builtin_trap();
  return 0;
}
