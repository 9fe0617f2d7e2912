// safetensors: a file built byte by byte as MLX's save_weights writes it loads into the same
// module tree; F16, BF16 and F64 convert to float32; every header rule is enforced.

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "io/io_testing.hpp"
#include "minnow/core/random.hpp"
#include "minnow/io/io.hpp"
#include "minnow/io/tensor_source.hpp"
#include "minnow/nn/nn.hpp"

using namespace minnow;
using minnow::testing::bits_of;
using minnow::testing::check_same_bits;
using minnow::testing::ScratchFolder;
using minnow::testing::through_pipe;
using nn::json;

namespace {

void append_u64(std::string& out, uint64_t value) {
  for (int b = 0; b < 8; ++b) out += static_cast<char>(value >> (8 * b) & 0xFF);
}

void append_f32(std::string& out, float value) {
  const auto bits = std::bit_cast<uint32_t>(value);
  for (int b = 0; b < 4; ++b) out += static_cast<char>(bits >> (8 * b) & 0xFF);
}

void append_u16(std::string& out, uint16_t bits) {
  out += static_cast<char>(bits & 0xFF);
  out += static_cast<char>(bits >> 8);
}

void append_f64(std::string& out, double value) {
  const auto bits = std::bit_cast<uint64_t>(value);
  for (int b = 0; b < 8; ++b) out += static_cast<char>(bits >> (8 * b) & 0xFF);
}

// A safetensors file: the 8-byte little-endian header length, the header, the data.
std::string safetensors(const std::string& header, const std::string& data) {
  std::string out;
  append_u64(out, header.size());
  return out + header + data;
}

template <class Error = FormatError>
void fails(const std::string& bytes, const std::string& message) {
  CHECK_THROWS_WITH_AS(io::load_tensors_from_string(bytes, "w.safetensors"),
                       doctest::Contains(("w.safetensors: " + message).c_str()), Error);
}

// Builds a safetensors file entry by entry: each entry's bytes follow the previous one's, after
// `gap` unused bytes.
class FileBuilder {
 public:
  FileBuilder& add(const std::string& name, const std::string& dtype,
                   const std::vector<int64_t>& shape, const std::string& bytes, size_t gap = 0) {
    data_.append(gap, '\x7F');
    header_[name] = {{"dtype", dtype},
                     {"shape", shape},
                     {"data_offsets", {data_.size(), data_.size() + bytes.size()}}};
    data_ += bytes;
    return *this;
  }
  std::string bytes() const { return safetensors(header_.dump(), data_); }

 private:
  json header_ = json::object();
  std::string data_;
};

std::string f32_bytes(const std::vector<float>& values) {
  std::string out;
  for (const float v : values) append_f32(out, v);
  return out;
}

// What load_tensors_from_string throws for `bytes`, or "" when it loads them.
std::string error_from_memory(const std::string& bytes, const std::string& source) {
  try {
    io::load_tensors_from_string(bytes, source);
  } catch (const FormatError& error) {
    return error.what();
  }
  return "";
}

// A valid one-tensor header with the given entry for "w" and 8 data bytes.
std::string with_entry(const std::string& entry) {
  return safetensors("{\"w\": " + entry + "}", std::string(8, '\0'));
}

}  // namespace

TEST_CASE("weights written as MLX's save_weights writes them load into the same module tree") {
  // model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)); model.save_weights(...)
  // gives these names, [out, in] weights, F32 little-endian, in a header MLX pads with spaces.
  const std::string header =
      R"({"__metadata__":{"format":"mlx"},)"
      R"("layers.0.bias":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
      R"("layers.0.weight":{"dtype":"F32","shape":[3,2],"data_offsets":[12,36]},)"
      R"("layers.2.bias":{"dtype":"F32","shape":[1],"data_offsets":[36,40]},)"
      R"("layers.2.weight":{"dtype":"F32","shape":[1,3],"data_offsets":[40,52]}}    )";
  std::string data;
  for (const float v : {0.5f, -1.0f, 0.0f}) append_f32(data, v);                       // b0
  for (const float v : {1.0f, 2.0f, -1.0f, 0.5f, 0.25f, -0.75f}) append_f32(data, v);  // W0
  append_f32(data, 0.125f);                                                            // b2
  for (const float v : {1.0f, -2.0f, 4.0f}) append_f32(data, v);                       // W2
  const ScratchFolder folder;
  minnow::testing::write_bytes(folder / "mlx.safetensors", safetensors(header, data));

  nn::Sequential model{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1)};
  CHECK(io::load_weights(model, folder / "mlx.safetensors").complete());
  // x = [1, 2]: W0 x + b0 = [1 + 4 + 0.5, -1 + 1 - 1, 0.25 - 1.5 + 0] = [5.5, -1, -1.25];
  // ReLU gives [5.5, 0, 0]; W2 h + b2 = 5.5 + 0.125 = 5.625.
  // x = [-1, 1]: [-1 + 2 + 0.5, 1 + 0.5 - 1, -0.25 - 0.75] = [1.5, 0.5, -1] -> [1.5, 0.5, 0];
  // 1.5 - 1 + 0.125 = 0.625.
  const Tensor y = model(Tensor({{1.0f, 2.0f}, {-1.0f, 1.0f}}));
  CHECK(y.shape() == Shape{2, 1});
  CHECK(y.to_vector() == std::vector<float>{5.625f, 0.625f});

  const io::TensorFile file = io::load_tensors_with_metadata(folder / "mlx.safetensors");
  CHECK(file.metadata == io::Metadata{{"format", "mlx"}});
  CHECK(file.tensors.keys() == std::vector<std::string>{"layers.0.bias", "layers.0.weight",
                                                        "layers.2.bias", "layers.2.weight"});
}

TEST_CASE("F16, BF16 and F64 are converted to float32") {
  std::string data;
  // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), -0.0, inf, 0.333251953125
  for (const uint16_t h : {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x3555}) {
    append_u16(data, static_cast<uint16_t>(h));
  }
  // BF16: 1.0, -3.0, 1.5e-38-ish subnormal pattern 0x0001, 0.1 rounded (0x3DCD)
  for (const uint16_t b : {0x3F80, 0xC040, 0x0001, 0x3DCD})
    append_u16(data, static_cast<uint16_t>(b));
  // F64: 0.1 (rounds to 0.1f), -1e300 (beyond float32: -inf), 1e-50 (rounds to 0)
  for (const double d : {0.1, -1e300, 1e-50}) append_f64(data, d);
  const std::string header = R"({"half":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},)"
                             R"("brain":{"dtype":"BF16","shape":[2,2],"data_offsets":[14,22]},)"
                             R"("double":{"dtype":"F64","shape":[3],"data_offsets":[22,46]}})";
  const TensorMap tensors = io::load_tensors_from_string(safetensors(header, data)).tensors;

  const std::vector<float> half = tensors.at("half").to_vector();
  CHECK(half[0] == 1.0f);
  CHECK(half[1] == -2.0f);
  CHECK(half[2] == 65504.0f);
  CHECK(half[3] == std::ldexp(1.0f, -24));
  CHECK(std::bit_cast<uint32_t>(half[4]) == 0x80000000u);
  CHECK(half[5] == std::numeric_limits<float>::infinity());
  CHECK(half[6] == 0.333251953125f);

  CHECK(tensors.at("brain").shape() == Shape{2, 2});
  CHECK(bits_of(tensors.at("brain")) ==
        std::vector<uint32_t>{0x3F800000u, 0xC0400000u, 0x00010000u, 0x3DCD0000u});

  const std::vector<float> wide = tensors.at("double").to_vector();
  CHECK(wide[0] == 0.1f);
  CHECK(wide[1] == -std::numeric_limits<float>::infinity());
  CHECK(wide[2] == 0.0f);
}

TEST_CASE("save_tensors and load_tensors round trip names, order, shapes, bits and metadata") {
  const ScratchFolder folder;
  random::Generator generator(1);
  TensorMap state;
  state.insert_or_assign("step", Tensor(3.0f));
  state.insert_or_assign("layers.0.weight.v", random::normal({4, 3}, 0, 1, &generator));
  state.insert_or_assign("a", Tensor({-0.0f, std::numeric_limits<float>::quiet_NaN(),
                                      std::numeric_limits<float>::infinity()}));
  state.insert_or_assign("empty", zeros({0, 5}));
  io::save_tensors(state, folder / "state.safetensors", {{"optimizer", "Adam"}});
  const io::TensorFile file = io::load_tensors_with_metadata(folder / "state.safetensors");
  CHECK(file.tensors.keys() == state.keys());
  check_same_bits(file.tensors, state);
  CHECK(file.metadata == io::Metadata{{"optimizer", "Adam"}});

  // The layout others read: the header length, a JSON header padded to 8 bytes, F32 data.
  const std::string bytes = minnow::testing::read_bytes(folder / "state.safetensors");
  uint64_t length = 0;
  for (int b = 7; b >= 0; --b)
    length = length << 8 | static_cast<unsigned char>(bytes[static_cast<size_t>(b)]);
  CHECK(length % 8 == 0);
  const json header = json::parse(bytes.substr(8, length));
  CHECK(header["step"] == json::parse(R"({"dtype": "F32", "shape": [], "data_offsets": [0, 4]})"));
  CHECK(header["layers.0.weight.v"]["data_offsets"] == json{4, 52});
  CHECK(header["__metadata__"] == json{{"optimizer", "Adam"}});
  CHECK(bytes.size() == 8 + length + 4 * (1 + 12 + 3));

  CHECK_THROWS_WITH_AS(io::save_tensors_to_string({{"__metadata__", Tensor(1.0f)}}),
                       doctest::Contains("reserved"), ValueError);
  CHECK(io::load_tensors_from_string(io::save_tensors_to_string({})).tensors.empty());
}

TEST_CASE("rule: the header length is 8 little-endian bytes and lies inside the file") {
  fails(std::string("\x02\x00\x00", 3), "not a safetensors file: 3 bytes, fewer than the 8");
  std::string too_long;
  append_u64(too_long, 100);
  fails(too_long + "{}", "header length 100 is not between 2 and 2");
  std::string absurd;
  append_u64(absurd, std::numeric_limits<uint64_t>::max());
  fails(absurd + "{}", "header length 18446744073709551615");
  std::string tiny;
  append_u64(tiny, 1);
  fails(tiny + "{", "header length 1 is not between 2");
}

TEST_CASE("rule: the header is a JSON object") {
  fails(safetensors("[1, 2]", ""), "header: expected a JSON object, got an array");
  fails(safetensors("{\"w\": ", ""), "header: not valid JSON");
  fails(safetensors("{\"w\": 1, \"w\": 2}", ""), "header: w: duplicate key");
}

TEST_CASE("rule: each entry has a known dtype, a non-negative shape and data_offsets") {
  fails(with_entry("[1]"),
        "header[\"w\"]: expected an object with \"dtype\", \"shape\" and \"data_offsets\"");
  fails(
      with_entry(R"({"dtype":"I32","shape":[2],"data_offsets":[0,8]})"),
      "header[\"w\"].dtype: expected one of \"F32\", \"F16\", \"BF16\", \"F64\" (the dtypes minnow "
      "reads), got \"I32\"");
  fails(with_entry(R"({"shape":[2],"data_offsets":[0,8]})"),
        "header[\"w\"]: missing key \"dtype\"");
  fails(with_entry(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"),
        "header[\"w\"].shape[0]: expected a non-negative integer, got -2");
  fails(with_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1})"),
        "header[\"w\"].extra: unknown key");
  fails(
      with_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"),
      "header[\"w\"].data_offsets: expected [begin, end], two non-negative integers, got an array");
  fails(with_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,-8]})"),
        "header[\"w\"].data_offsets: expected [begin, end]");
}

TEST_CASE("rule: data_offsets lie inside the data section") {
  fails(with_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"),
        "header[\"w\"].data_offsets: [0, 16] does not lie inside the data section of 8 bytes");
  fails(with_entry(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})"),
        "header[\"w\"].data_offsets: [8, 4] does not lie inside");
}

TEST_CASE("rule: data_offsets span exactly dtype size x element count bytes") {
  fails(with_entry(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"),
        "header[\"w\"].data_offsets: spans 8 bytes, but F32 shape [3] needs 3 x 4 bytes");
  fails(with_entry(R"({"dtype":"F64","shape":[2],"data_offsets":[0,8]})"),
        "header[\"w\"].data_offsets: spans 8 bytes, but F64 shape [2] needs 2 x 8 bytes");
  // An absurd shape with a few bytes of data: refused at once, nothing allocated.
  fails(with_entry(R"({"dtype":"F32","shape":[1000000000,1000000000],"data_offsets":[0,8]})"),
        "header[\"w\"].data_offsets: spans 8 bytes, but F32 shape [1000000000, 1000000000] needs "
        "1000000000000000000 x 4 bytes");
  fails(with_entry(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"),
        "header[\"w\"].shape: [4294967296, 4294967296] has too many elements to exist");
}

TEST_CASE("rule: no two tensors overlap") {
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  fails(safetensors(header, std::string(12, '\0')),
        "header[\"b\"].data_offsets: [4, 12] overlaps the bytes of \"a\" [0, 8]");
  // Gaps and empty tensors anywhere are fine.
  const std::string gaps = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
                           R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  const TensorMap tensors =
      io::load_tensors_from_string(safetensors(gaps, std::string(16, '\0'))).tensors;
  CHECK(tensors.keys() == std::vector<std::string>{"b", "e", "a"});
}

TEST_CASE("rule: __metadata__ is an object of strings") {
  fails(safetensors(R"({"__metadata__":{"epochs":3}})", ""),
        "header[\"__metadata__\"][\"epochs\"]: expected a string, got 3");
  fails(safetensors(R"({"__metadata__":[]})", ""),
        "header[\"__metadata__\"]: expected an object of strings, got an empty array");
}

TEST_CASE("load_weights refuses non-finite safetensors values unless allowed") {
  const ScratchFolder folder;
  nn::Linear model(1, 1);
  TensorMap weights = model.parameters();
  weights.insert_or_assign("bias", Tensor({std::numeric_limits<float>::quiet_NaN()}));
  io::save_tensors(weights, folder / "nan.safetensors");
  const TensorMap before = model.parameters();
  CHECK_THROWS_WITH_AS(io::load_weights(model, folder / "nan.safetensors"),
                       doctest::Contains("nan.safetensors: header[\"bias\"]: element 0 is nan"),
                       FormatError);
  check_same_bits(model.parameters(), before);
  CHECK(io::load_weights(model, folder / "nan.safetensors", {.allow_non_finite = true}).complete());
  CHECK(std::isnan(model.parameters().at("bias").item()));
}

TEST_CASE("a file loads tensor by tensor into the same values as its bytes in memory") {
  // Every way a tensor is read from a file: large F32 tensors straight into their storage; runs
  // of small tensors, spread over more than one window, and other dtypes decoded from a window;
  // an F16 tensor larger than a window; empty tensors; gaps between tensors.
  FileBuilder builder;
  std::vector<float> big(128 * 100);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) * 0.5f;
  builder.add("big", "F32", {128, 100}, f32_bytes(big));
  TensorMap expected;
  expected.insert_or_assign("big", Tensor(big, {128, 100}));
  for (int k = 0; k < 100; ++k) {  // 100 x 4000 bytes: two windows or more
    std::vector<float> small(1000);
    for (size_t i = 0; i < small.size(); ++i) {
      small[i] = static_cast<float>(i) + static_cast<float>(k) / 1024.0f;
    }
    const std::string name = "small." + std::to_string(k);
    builder.add(name, "F32", {1000}, f32_bytes(small), k % 3 == 0 ? 4 : 0);
    expected.insert_or_assign(name, Tensor(small, {1000}));
  }
  builder.add("empty", "F32", {0, 3}, "");
  expected.insert_or_assign("empty", zeros({0, 3}));
  // 150,000 F16 values (300,000 bytes): 1, -2, 0.333251953125 over and over.
  const uint16_t half_bits[] = {0x3C00, 0xC000, 0x3555};
  const float half_values[] = {1.0f, -2.0f, 0.333251953125f};
  std::string half;
  std::vector<float> half_expected;
  for (size_t i = 0; i < 150'000; ++i) {
    append_u16(half, half_bits[i % 3]);
    half_expected.push_back(half_values[i % 3]);
  }
  builder.add("half", "F16", {150'000}, half, 2);
  expected.insert_or_assign("half", Tensor(half_expected, {150'000}));
  std::string brain;
  for (const uint16_t b : {0x3F80, 0xC040}) append_u16(brain, static_cast<uint16_t>(b));
  builder.add("brain", "BF16", {2}, brain);
  expected.insert_or_assign("brain", Tensor({1.0f, -3.0f}));
  std::string wide;
  for (const double d : {0.5, -1e300}) append_f64(wide, d);
  builder.add("double", "F64", {1, 2}, wide);
  expected.insert_or_assign("double", Tensor({{0.5f, -std::numeric_limits<float>::infinity()}}));
  builder.add("tail", "F32", {9000}, f32_bytes(std::vector<float>(9000, -0.25f)));
  expected.insert_or_assign("tail", Tensor(std::vector<float>(9000, -0.25f), {9000}));

  const ScratchFolder folder;
  const std::string bytes = builder.bytes();
  minnow::testing::write_bytes(folder / "mixed.safetensors", bytes);
  const TensorMap from_file = io::load_tensors(folder / "mixed.safetensors");
  const TensorMap from_memory = io::load_tensors_from_string(bytes).tensors;
  check_same_bits(from_file, expected);
  check_same_bits(from_memory, expected);
  CHECK(from_file.keys() == from_memory.keys());  // both in order of the data offsets
  CHECK(from_file.keys().front() == "big");
  CHECK(from_file.keys().back() == "tail");
}

TEST_CASE("a file breaks the rules with the same message as its bytes in memory") {
  const ScratchFolder folder;
  const std::string one = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string absurd_length;
  append_u64(absurd_length, 100);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a safetensors file: 0 bytes, fewer than the 8"},
      {std::string("\x02\x00\x00", 3), "not a safetensors file: 3 bytes, fewer than the 8"},
      {absurd_length + "{}", "header length 100 is not between 2 and 2"},
      {safetensors("{\"w\": ", ""), "header: not valid JSON"},
      // A data section cut short: the offsets reach past the end of the file.
      {safetensors(one, std::string(6, '\0')),
       "header[\"w\"].data_offsets: [0, 8] does not lie inside the data section of 6 bytes"},
      {safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                   R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                   std::string(12, '\0')),
       "header[\"b\"].data_offsets: [4, 12] overlaps the bytes of \"a\" [0, 8]"},
      {with_entry(R"({"dtype":"I32","shape":[2],"data_offsets":[0,8]})"),
       "header[\"w\"].dtype: expected one of"},
  };
  for (const auto& [bytes, message] : cases) {
    CAPTURE(message);
    const auto path = folder / "bad.safetensors";
    minnow::testing::write_bytes(path, bytes);
    const std::string expected = path.string() + ": " + message;
    CHECK_THROWS_WITH_AS(io::load_tensors(path), doctest::Contains(expected.c_str()), FormatError);
    std::string from_file;
    try {
      io::load_tensors(path);
    } catch (const FormatError& error) {
      from_file = error.what();
    }
    CHECK(from_file == error_from_memory(bytes, path.string()));
  }
}

TEST_CASE("a file cut short while it is read is a FormatError naming where it ends") {
  // "big" is read straight into its storage; "a" and "b" together through one window.
  const std::string bytes = FileBuilder()
                                .add("big", "F32", {10000}, f32_bytes(std::vector<float>(10000)))
                                .add("a", "F32", {2}, f32_bytes({1.0f, 2.0f}))
                                .add("b", "F16", {2}, std::string(4, '\0'))
                                .bytes();
  const uint64_t header_end = bytes.size() - 40000 - 8 - 4;  // where the data section starts
  const uint64_t size = bytes.size();
  const std::vector<std::pair<uint64_t, std::string>> cuts = {
      {4, "header length: the file was cut short while being read: it ends at byte 4 of the "},
      {20, "header: the file was cut short while being read: it ends at byte 20 of the "},
      {header_end + 100,
       "header[\"big\"]: the file was cut short while being read: it ends at "
       "byte " +
           std::to_string(header_end + 100)},
      {header_end + 40004, "header[\"a\"]: the file was cut short"},
      {size - 1, "header[\"b\"]: the file was cut short while being read: it ends at byte " +
                     std::to_string(size - 1) + " of the " + std::to_string(size) +
                     " it had when opened"},
  };
  const ScratchFolder folder;
  const auto path = folder / "shrinks.safetensors";
  for (const auto& [cut, message] : cuts) {
    CAPTURE(cut);
    minnow::testing::write_bytes(path, bytes);
    io::InputFile file(path);
    std::filesystem::resize_file(path, cut);  // after the size was taken
    const std::string expected = path.string() + ": " + message;
    CHECK_THROWS_WITH_AS(io::detail::read_safetensors_file(file, path.string()),
                         doctest::Contains(expected.c_str()), FormatError);
  }
}

TEST_CASE("a safetensors file without a size, such as a pipe, loads from its bytes") {
  random::Generator generator(5);
  TensorMap tensors;
  tensors.insert_or_assign("weight", random::normal({200, 300}, 0, 1, &generator));  // 240 KB
  tensors.insert_or_assign("bias", random::normal({300}, 0, 1, &generator));
  const ScratchFolder folder;
  const io::TensorFile file =
      through_pipe(folder / "pipe.safetensors", io::save_tensors_to_string(tensors, {{"k", "v"}}),
                   [](const auto& path) { return io::load_tensors_with_metadata(path); });
  check_same_bits(file.tensors, tensors);
  CHECK(file.metadata == io::Metadata{{"k", "v"}});
}

TEST_CASE("loading a missing file or a folder is an IOError naming it") {
  const ScratchFolder folder;
  CHECK_THROWS_WITH_AS(io::load_tensors(folder / "absent.safetensors"),
                       doctest::Contains("absent.safetensors: cannot open: No such file"), IOError);
  CHECK_THROWS_WITH_AS(io::load_tensors(folder.path()), doctest::Contains("Is a directory"),
                       IOError);
}

// ---- load_weights straight from a file --------------------------------------------------------

namespace {

// Linear(128, 100) has a 51,200-byte weight, above the size read straight into storage.
nn::Sequential wide_model() {
  return nn::Sequential{nn::Linear(128, 100), nn::ReLU(), nn::Linear(100, 10)};
}

TensorMap random_parameters(const nn::Module& model, uint64_t seed) {
  random::Generator generator(seed);
  TensorMap out;
  for (const auto& [name, tensor] : model.parameters()) {
    out.insert_or_assign(name, random::normal(tensor.shape(), 0, 1, &generator));
  }
  return out;
}

// `count` F32 values whose bytes are all 0xFF: a NaN each.
std::string nan_bytes(size_t count) {
  return std::string(count * 4, '\xFF');
}

}  // namespace

TEST_CASE("load_weights reads a safetensors file's large F32 tensors straight into the model") {
  const ScratchFolder folder;
  const TensorMap weights = random_parameters(wide_model(), 21);
  REQUIRE(weights.at("layers.0.weight").size() * 4 >= 32 * 1024);
  io::save_tensors(weights, folder / "wide.safetensors");

  nn::Sequential model = wide_model();
  const io::WeightsReport report = io::load_weights(model, folder / "wide.safetensors");
  CHECK(report.complete());
  CHECK(report.loaded == std::vector<std::string>{"layers.0.weight", "layers.0.bias",
                                                  "layers.2.weight", "layers.2.bias"});
  check_same_bits(model.parameters(), weights);

  // A pipe has no offsets: it is read whole, with the same result.
  nn::Sequential piped = wide_model();
  const io::WeightsReport piped_report =
      through_pipe(folder / "pipe.safetensors", io::save_tensors_to_string(weights),
                   [&](const auto& path) { return io::load_weights(piped, path); });
  CHECK(piped_report.complete());
  check_same_bits(piped.parameters(), weights);
}

TEST_CASE("non-strict load_weights does not read the tensors it does not load") {
  // The tensors that do not fit are NaN: reading any of them would refuse the file.
  const TensorMap weights = random_parameters(wide_model(), 22);
  const std::string bytes =
      FileBuilder()
          .add("layers.0.weight", "F32", {100, 128},
               f32_bytes(weights.at("layers.0.weight").to_vector()))
          .add("huge", "F32", {512, 1024}, nan_bytes(512 * 1024))  // 2 MB, unexpected
          .add("layers.0.bias", "F32", {100}, f32_bytes(weights.at("layers.0.bias").to_vector()))
          .add("small", "F32", {3}, nan_bytes(3))                       // unexpected
          .add("layers.2.weight", "F32", {10, 99}, nan_bytes(10 * 99))  // the wrong shape
          .bytes();
  const ScratchFolder folder;
  const auto path = folder / "partial.safetensors";
  minnow::testing::write_bytes(path, bytes);

  nn::Sequential model = wide_model();
  const TensorMap before = model.parameters();
  const io::WeightsReport report = io::load_weights(model, path, false);
  CHECK(report.loaded == std::vector<std::string>{"layers.0.weight", "layers.0.bias"});
  CHECK(report.unexpected == std::vector<std::string>{"huge", "small"});
  CHECK(report.missing == std::vector<std::string>{"layers.2.bias"});
  REQUIRE(report.mismatched.size() == 1);
  CHECK(report.mismatched[0].name == "layers.2.weight");
  CHECK(report.mismatched[0].found == Shape{10, 99});
  const TensorMap after = model.parameters();
  CHECK(bits_of(after.at("layers.0.weight")) == bits_of(weights.at("layers.0.weight")));
  CHECK(bits_of(after.at("layers.0.bias")) == bits_of(weights.at("layers.0.bias")));
  CHECK(bits_of(after.at("layers.2.weight")) == bits_of(before.at("layers.2.weight")));
  CHECK(bits_of(after.at("layers.2.bias")) == bits_of(before.at("layers.2.bias")));

  // Strict: every problem in one KeyError, before any value is read; the model is untouched.
  nn::Sequential strict = wide_model();
  const TensorMap strict_before = strict.parameters();
  CHECK_THROWS_WITH_AS(
      io::load_weights(strict, path),
      doctest::Contains(
          (path.string() +
           ": the weights do not fit the model (4 problems) header[\"layers.2.bias\"]: "
           "missing (the model has it, shape [10]); header[\"huge\"]: unexpected "
           "(the model has no such parameter; shape [512, 1024] in the file); "
           "header[\"small\"]: unexpected")
              .c_str()),
      KeyError);
  check_same_bits(strict.parameters(), strict_before);
}

TEST_CASE(
    "load_weights from a safetensors file cut short names the tensor; the model is untouched") {
  const ScratchFolder folder;
  const TensorMap weights = random_parameters(wide_model(), 23);
  const std::string bytes = io::save_tensors_to_string(weights);
  const auto path = folder / "cut.safetensors";
  // The last 100 bytes hold layers.2.bias (40) and the end of layers.2.weight.
  minnow::testing::write_bytes(path, bytes.substr(0, bytes.size() - 100));

  nn::Sequential model = wide_model();
  const TensorMap before = model.parameters();
  const std::string data_size = std::to_string(55'640 - 100);  // 4 x (12,800 + 100 + 1,000 + 10)
  CHECK_THROWS_WITH_AS(
      io::load_weights(model, path),
      doctest::Contains((path.string() +
                         ": header[\"layers.2.bias\"].data_offsets: "
                         "[55600, 55640] does not lie inside the data section of " +
                         data_size + " bytes")
                            .c_str()),
      FormatError);
  CHECK_THROWS_AS(io::load_weights(model, path, false), FormatError);  // non-strict too
  check_same_bits(model.parameters(), before);
}

TEST_CASE("load_weights refuses NaN wherever it is read from, leaving the model untouched") {
  // layers.0.weight is read straight into storage, layers.2.bias (the last) through a window.
  for (const std::string name : {"layers.0.weight", "layers.2.bias"}) {
    CAPTURE(name);
    TensorMap weights = random_parameters(wide_model(), 24);
    Tensor bad = weights.at(name).copy();
    const int64_t last = bad.size() - 1;
    bad.data()[last] = -std::numeric_limits<float>::infinity();
    weights.insert_or_assign(name, bad);
    const ScratchFolder folder;
    io::save_tensors(weights, folder / "inf.safetensors");

    nn::Sequential model = wide_model();
    const TensorMap before = model.parameters();
    CHECK_THROWS_WITH_AS(io::load_weights(model, folder / "inf.safetensors"),
                         doctest::Contains(("inf.safetensors: header[\"" + name + "\"]: element " +
                                            std::to_string(last) + " is -inf")
                                               .c_str()),
                         FormatError);
    check_same_bits(model.parameters(), before);
    CHECK(
        io::load_weights(model, folder / "inf.safetensors", {.allow_non_finite = true}).complete());
    check_same_bits(model.parameters(), weights);
  }
}

TEST_CASE("load_weights names the first NaN of a tensor read in several chunks") {
  // A 512 x 256 weight is 512 KB: read and checked in 128 KB chunks. The first bad value is in
  // the third chunk; a later one in the same chunk and one in the last chunk do not matter.
  const auto make = [] { return nn::Sequential{nn::Linear(256, 512)}; };
  TensorMap weights = random_parameters(make(), 25);
  Tensor weight = weights.at("layers.0.weight").copy();
  weight.data()[70'000] = std::numeric_limits<float>::quiet_NaN();
  weight.data()[70'001] = std::numeric_limits<float>::infinity();
  weight.data()[131'000] = std::numeric_limits<float>::infinity();
  weights.insert_or_assign("layers.0.weight", weight);
  const ScratchFolder folder;
  io::save_tensors(weights, folder / "nan.safetensors");

  nn::Sequential model = make();
  const TensorMap before = model.parameters();
  CHECK_THROWS_WITH_AS(
      io::load_weights(model, folder / "nan.safetensors"),
      doctest::Contains("nan.safetensors: header[\"layers.0.weight\"]: element 70000 is nan"),
      FormatError);
  check_same_bits(model.parameters(), before);
  CHECK(io::load_weights(model, folder / "nan.safetensors", {.allow_non_finite = true}).complete());
  check_same_bits(model.parameters(), weights);
}
