// Fuzzes the safetensors reader: any bytes either load or are refused with a minnow::Error.
// Anything else (another exception, a crash, a sanitizer report, a leak) is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "minnow/core/error.hpp"
#include "minnow/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const minnow::io::TensorFile file =
        minnow::io::load_tensors_from_string(bytes, "fuzz.safetensors");
    // What was read writes back and reads back the same.
    const std::string again = minnow::io::save_tensors_to_string(file.tensors, file.metadata);
    const minnow::io::TensorFile reread = minnow::io::load_tensors_from_string(again, "again");
    if (reread.tensors.size() != file.tensors.size() || reread.metadata != file.metadata) {
      __builtin_trap();
    }
  } catch (const minnow::Error&) {
    // A refusal with a message is the expected outcome for most inputs.
  }
  return 0;
}
