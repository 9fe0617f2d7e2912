// Fuzzes the model-file loader: any bytes either load or are refused with a minnow::Error.
// Anything else (another exception, a crash, a sanitizer report, a leak) is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "minnow/core/error.hpp"
#include "minnow/io/model_file.hpp"

namespace {

// The config asks for whatever sizes it likes (Linear(10^9, 10^9) is a valid config, and
// building it allocates 4 * 10^18 bytes by design), so inputs whose config holds integers above
// a few dozen are skipped: the loader's own bounds checks (file sizes against shapes) are what
// is fuzzed here, not the allocator.
bool asks_for_a_large_model(std::string_view text) {
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("model")) {
    return false;
  }
  constexpr int64_t kLargestDimension = 48;
  std::vector<const nlohmann::json*> pending{&document["model"]};  // no recursion: depth is free
  while (!pending.empty()) {
    const nlohmann::json& value = *pending.back();
    pending.pop_back();
    if (value.is_number_unsigned() && value.get<uint64_t>() > kLargestDimension) return true;
    if (value.is_number_integer() && value.get<int64_t>() > kLargestDimension) return true;
    if (value.is_structured()) {
      for (const auto& child : value) pending.push_back(&child);
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (asks_for_a_large_model(text)) return 0;
  try {
    minnow::io::load_from_string(text, {}, "fuzz.json");
  } catch (const minnow::Error&) {
    // A refusal with a message is the expected outcome for most inputs.
  }
  try {
    minnow::io::load_from_string(text, {.verify_check = false, .allow_non_finite = true},
                                 "fuzz.json");
  } catch (const minnow::Error&) {
  }
  return 0;
}
