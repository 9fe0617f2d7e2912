// load_safetensors: run a model whose weights were trained elsewhere. The architecture comes
// from a config-only model file, the weights from a safetensors file as MLX's
// `model.save_weights("mlp.safetensors")` writes it (PyTorch's safetensors package writes the
// same format). minnow uses MLX's parameter names and layouts, so the file loads as it is.
//
// To run on its own, the example first writes both files itself: mlp.json, and
// mlp.safetensors byte by byte, exactly as MLX would have written it.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "minnow/minnow.hpp"

using namespace minnow;

namespace {

// The architecture: what you would write for the MLX model
//   nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
constexpr const char* kConfig = R"({
  "format": "minnow.model",
  "version": 1,
  "model": {"type": "Sequential", "layers": [
    {"type": "Linear", "input_dims": 3, "output_dims": 4},
    {"type": "ReLU"},
    {"type": "Linear", "input_dims": 4, "output_dims": 2}
  ]},
  "metadata": {"note": "weights in mlp.safetensors"}
})";

/// The weights "trained in MLX": Linear weights are [output_dims, input_dims], as in MLX.
std::vector<std::pair<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>>
trained_weights() {
  return {
      {"layers.0.weight",
       {{4, 3},
        {0.5f, -0.25f, 1.0f, -1.0f, 0.5f, 0.25f,  //
         0.75f, 0.75f, -0.5f, 0.0f, -1.5f, 2.0f}}},
      {"layers.0.bias", {{4}, {0.1f, -0.2f, 0.0f, 0.3f}}},
      {"layers.2.weight", {{2, 4}, {1.0f, -1.0f, 0.5f, 0.25f, -0.5f, 2.0f, 1.0f, -0.75f}}},
      {"layers.2.bias", {{2}, {0.05f, -0.05f}}},
  };
}

/// Writes a safetensors file as MLX does: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range (padded with spaces to a multiple of 8),
/// then the little-endian float32 values, back to back.
void write_like_mlx(const std::string& path) {
  std::string header = "{";
  std::string data;
  for (const auto& [name, tensor] : trained_weights()) {
    const auto& [shape, values] = tensor;
    std::string dims;
    for (const int64_t d : shape) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    const size_t begin = data.size();
    for (const float v : values) {
      const auto bits = std::bit_cast<uint32_t>(v);
      for (int byte = 0; byte < 4; ++byte) data += static_cast<char>((bits >> (8 * byte)) & 0xFF);
    }
    header += "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims + "],\"data_offsets\":[" +
              std::to_string(begin) + "," + std::to_string(data.size()) + "]},";
  }
  header += "\"__metadata__\":{\"format\":\"mlx\"}}";
  header.append((8 - header.size() % 8) % 8, ' ');

  std::ofstream file(path, std::ios::binary);
  const uint64_t length = header.size();
  for (int byte = 0; byte < 8; ++byte) file.put(static_cast<char>((length >> (8 * byte)) & 0xFF));
  file << header << data;
}

/// The same network computed by hand, to check minnow's answer.
std::vector<float> by_hand(const std::vector<float>& x) {
  const auto weights = trained_weights();
  const auto& w1 = weights[0].second.second;
  const auto& b1 = weights[1].second.second;
  const auto& w2 = weights[2].second.second;
  const auto& b2 = weights[3].second.second;
  std::vector<float> hidden(4), out(2);
  for (int i = 0; i < 4; ++i) {
    float z = b1[i];
    for (int j = 0; j < 3; ++j) z += w1[i * 3 + j] * x[j];
    hidden[i] = std::max(z, 0.0f);
  }
  for (int i = 0; i < 2; ++i) {
    out[i] = b2[i];
    for (int j = 0; j < 4; ++j) out[i] += w2[i * 4 + j] * hidden[j];
  }
  return out;
}

}  // namespace

int main() {
  std::ofstream("mlp.json") << kConfig;
  write_like_mlx("mlp.safetensors");

  // The two steps a user takes: build the architecture, then load the weights into it. Loading
  // is strict: every name and shape must match, or nothing is loaded and the error lists them.
  nn::ModulePtr model = io::load_config("mlp.json");
  io::load_weights(*model, "mlp.safetensors");
  model->eval();
  std::cout << *model << "\n\n";

  const std::vector<float> rows = {1, 2, 3, -1, 0.5f, 2, 0, 0, 0};
  const Tensor inputs(rows, {3, 3});
  const Tensor outputs = (*model)(inputs);

  bool all_match = true;
  for (int64_t r = 0; r < 3; ++r) {
    const std::vector<float> x(rows.begin() + r * 3, rows.begin() + r * 3 + 3);
    const std::vector<float> expected = by_hand(x);
    std::cout << "input [" << x[0] << ", " << x[1] << ", " << x[2] << "] -> [" << outputs.at({r, 0})
              << ", " << outputs.at({r, 1}) << "]\n";
    for (int64_t c = 0; c < 2; ++c) {
      all_match = all_match && std::abs(outputs.at({r, c}) - expected[c]) <= 1e-5f;
    }
  }
  std::cout << (all_match ? "\nthe outputs match the network computed by hand\n"
                          : "\nMISMATCH with the network computed by hand\n");
  return all_match ? 0 : 1;
}
