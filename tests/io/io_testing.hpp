#pragma once
// Small helpers shared by the io tests: a scratch folder, file contents, bitwise comparison.

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_map.hpp"

namespace minnow::testing {

/// The example model file of the format's specification, verbatim.
inline constexpr const char* kSpecExample = R"({
  "format": "minnow.model",
  "version": 1,
  "model": { "type": "Sequential", "layers": [
      { "type": "Linear", "input_dims": 2, "output_dims": 1, "bias": true },
      { "type": "Step", "threshold": 0.0 }
  ] },
  "parameters": {
    "layers.0.weight": { "dtype": "float32", "shape": [1, 2], "data": [0.5, -0.25] },
    "layers.0.bias":   { "dtype": "float32", "shape": [1], "base64": "zczMPQ==" }
  },
  "metadata": { "task": "AND gate", "epochs": "3" }
})";

/// A fresh folder under the system's temporary folder, removed with everything in it at the end.
class ScratchFolder {
 public:
  ScratchFolder() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("minnow-io-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  /// The names of the entries of the folder, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The bit patterns of a tensor's values, so that -0.0, NaN payloads and subnormals compare
/// exactly.
inline std::vector<uint32_t> bits_of(const Tensor& t) {
  std::vector<uint32_t> bits;
  for (const float v : t.values()) bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

/// Same names, shapes and bit patterns, in any order.
inline void check_same_bits(const TensorMap& actual, const TensorMap& expected) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [name, tensor] : expected) {
    CAPTURE(name);
    REQUIRE(actual.contains(name));
    CHECK(actual.at(name).shape() == tensor.shape());
    CHECK(bits_of(actual.at(name)) == bits_of(tensor));
  }
}

// Writes `bytes` through a named pipe (which has no size and no offsets) on another thread while
// `read` reads the pipe; returns what `read` returns.
template <class Read>
inline auto through_pipe(const std::filesystem::path& fifo, const std::string& bytes, Read read) {
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] { write_bytes(fifo, bytes); });
  struct Join {  // so that a failing read does not leave the thread running
    std::thread& thread;
    ~Join() { thread.join(); }
  } join{writer};
  return read(fifo);
}

}  // namespace minnow::testing
