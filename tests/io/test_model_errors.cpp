// One test per rule of the model file format: each broken file is refused with the right
// exception type and a message that names the file, the JSON path, what was expected and
// what was found. Failed loads leave the model they were loading into unchanged.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "io/io_testing.hpp"
#include "minnow/core/random.hpp"
#include "minnow/io/io.hpp"
#include "minnow/io/json_document.hpp"
#include "minnow/nn/nn.hpp"

using namespace minnow;
using minnow::testing::bits_of;
using minnow::testing::check_same_bits;
using minnow::testing::ScratchFolder;
using nn::json;

namespace {

constexpr const char* kExample = minnow::testing::kSpecExample;

json example() {
  return json::parse(kExample);
}

json& weight(json& document) {
  return document["parameters"]["layers.0.weight"];
}
json& bias(json& document) {
  return document["parameters"]["layers.0.bias"];
}

template <class Error>
void fails(const std::string& text, const std::string& message) {
  CAPTURE(text);
  CHECK_THROWS_WITH_AS(io::load_from_string(text, {}, "m.json"),
                       doctest::Contains(("m.json: " + message).c_str()), Error);
}
void fails(const json& document, const std::string& message) {
  fails<FormatError>(document.dump(), message);
}

}  // namespace

TEST_CASE("the example itself loads") {
  CHECK(io::load_from_string(kExample).has_parameters);
}

TEST_CASE("rule: the file is one JSON document") {
  fails<FormatError>("{\n  \"format\": \"minnow.model\",\n  \"version\": 1,,\n}",
                     "not valid JSON: at line 3, column 16");
  fails<FormatError>("", "not valid JSON");
  fails<FormatError>(std::string(kExample) + " {}", "not valid JSON");
  fails<FormatError>("[1, 2]", "expected a JSON object at the top level, got an array");
  // NaN is not JSON.
  json document = example();
  std::string text = document.dump();
  text.replace(text.find("0.5"), 3, "NaN");
  fails<FormatError>(text, "not valid JSON");
}

TEST_CASE("rule: duplicate keys are errors, not silently overwritten") {
  std::string text = kExample;
  text.replace(text.find("\"version\": 1,"), 13, "\"version\": 1, \"version\": 1,");
  fails<FormatError>(text, "version: duplicate key");
  text = kExample;
  const std::string bias_line =
      R"("layers.0.bias":   { "dtype": "float32", "shape": [1], "base64": "zczMPQ==" })";
  text.replace(text.find(bias_line), bias_line.size(), bias_line + ", " + bias_line);
  fails<FormatError>(text, "parameters[\"layers.0.bias\"]: duplicate key");
}

TEST_CASE("rule: nesting is bounded") {
  std::string deep = R"({"format": "minnow.model", "version": 1, "model": )";
  for (int i = 0; i < 10000; ++i) deep += "{\"type\": \"Sequential\", \"layers\": [";
  CHECK_THROWS_WITH_AS(io::load_from_string(deep, {}, "m.json"),
                       "m.json: nested deeper than 256 levels", FormatError);
}

TEST_CASE("rule: format must be \"minnow.model\"") {
  json document = example();
  document.erase("format");
  fails(document, "missing key \"format\"");
  document["format"] = "keras";
  fails(document, "format: expected \"minnow.model\", got \"keras\"");
  document["format"] = 1;
  fails(document, "format: expected \"minnow.model\", got 1");
}

TEST_CASE("rule: version is an integer; a newer version is refused naming both versions") {
  json document = example();
  document.erase("version");
  fails(document, "missing key \"version\"");
  document["version"] = 2;
  fails(document, "version: the file is version 2, newer than version 1");
  document["version"] = "1";
  fails(document, "version: expected an integer, got \"1\"");
  document["version"] = 1.5;
  fails(document, "version: expected an integer, got 1.5");
  document["version"] = 0;
  fails(document, "version: expected a version number from 1 to 1, got 0");
  // A newer file says so even when it has keys this version does not know.
  document["version"] = 7;
  document["quantization"] = "int8";
  fails(document, "version: the file is version 7");
}

TEST_CASE("rule: unknown top-level keys are errors") {
  json document = example();
  document["paramters"] = json::object();
  fails(document,
        "paramters: unknown key at the top level (expected \"format\", \"version\", "
        "\"model\", \"parameters\", \"metadata\", \"check\")");
}

TEST_CASE("rule: the model config is required and is a module config") {
  json document = example();
  document.erase("model");
  fails(document, "missing key \"model\"");
  document["model"] = "Sequential";
  fails(document,
        "model: expected a module config (an object with a \"type\"), got \"Sequential\"");
}

TEST_CASE("rule: module configs: unknown type, unknown key, wrong value type, out of range") {
  json document = example();
  document["model"]["layers"][1]["type"] = "Stepp";
  fails(document, "model.layers[1].type: unknown module type \"Stepp\"");

  document = example();
  document["model"]["layers"][0]["bais"] = true;
  fails(document, "model.layers[0].bais: unknown key for Linear");

  document = example();
  document["model"]["layers"][1]["threshold"] = "high";
  fails(document, "model.layers[1].threshold: expected a number, got \"high\"");

  document = example();
  document["model"]["layers"][0]["input_dims"] = -2;
  fails(document, "model.layers[0].input_dims: expected a non-negative integer, got -2");

  document = example();
  document["model"]["layers"][1] = {{"type", "Dropout"}, {"p", 1}};
  fails(document, "model.layers[1]: [Dropout] p must be in [0, 1)");

  document = example();
  document["model"]["layers"][1] = {{"type", "GELU"}, {"approx", "exact"}};
  fails(document,
        "model.layers[1].approx: expected one of \"none\", \"precise\", \"tanh\", "
        "\"fast\", got \"exact\"");
}

TEST_CASE("rule: parameters is an object of tensors") {
  json document = example();
  document["parameters"] = json::array();
  fails(document, "parameters: expected an object of tensors by name, got an empty array");
  document = example();
  weight(document) = 0.5;
  fails(document,
        "parameters[\"layers.0.weight\"]: expected a tensor (an object with \"dtype\", "
        "\"shape\" and \"data\" or \"base64\"), got 0.5");
  document = example();
  bias(document)["scale"] = 1;
  fails(document, "parameters[\"layers.0.bias\"].scale: unknown key in a tensor");
}

TEST_CASE("rule: dtype is \"float32\"") {
  json document = example();
  weight(document).erase("dtype");
  fails(document, "parameters[\"layers.0.weight\"]: missing key \"dtype\"");
  weight(document)["dtype"] = "float64";
  fails(document, "parameters[\"layers.0.weight\"].dtype: expected \"float32\", got \"float64\"");
}

TEST_CASE("rule: shape is an array of non-negative integers") {
  json document = example();
  weight(document).erase("shape");
  fails(document, "parameters[\"layers.0.weight\"]: missing key \"shape\"");
  weight(document)["shape"] = "1x2";
  fails(document,
        "parameters[\"layers.0.weight\"].shape: expected an array of non-negative "
        "integers, got \"1x2\"");
  weight(document)["shape"] = {1, -2};
  fails(document,
        "parameters[\"layers.0.weight\"].shape[1]: expected a non-negative integer, got -2");
  weight(document)["shape"] = {1, 2.0};
  fails(document,
        "parameters[\"layers.0.weight\"].shape[1]: expected a non-negative integer, got 2.0");
  weight(document)["shape"] = {1, 1, 1, 1, 1, 1, 1, 1, 2};
  fails(document,
        "parameters[\"layers.0.weight\"].shape: at most 8 dimensions are supported, got 9");
}

TEST_CASE("rule: exactly one of data and base64") {
  json document = example();
  weight(document)["base64"] = "AAAAAAAAAAA=";
  fails(document, "parameters[\"layers.0.weight\"]: has both \"data\" and \"base64\"");
  weight(document).erase("base64");
  weight(document).erase("data");
  fails(document, "parameters[\"layers.0.weight\"]: has neither \"data\" nor \"base64\"");
}

TEST_CASE("rule: data is a flat array of numbers, as many as the shape holds") {
  json document = example();
  weight(document)["data"] = {0.5, -0.25, 1.0};
  fails(document,
        "parameters[\"layers.0.weight\"].data: expected 2 values for shape [1, 2], got 3");
  weight(document)["data"] = {0.5, "x"};
  fails(document, "parameters[\"layers.0.weight\"].data[1]: expected a number, got \"x\"");
  weight(document)["data"] = {{0.5, -0.25}};
  fails(document, "parameters[\"layers.0.weight\"].data[0]: expected a number, got an array");
  weight(document)["data"] = {0.5, nullptr};
  fails(document, "parameters[\"layers.0.weight\"].data[1]: expected a number, got null");
  weight(document)["data"] = "0.5, -0.25";
  fails(document,
        "parameters[\"layers.0.weight\"].data: expected an array of numbers, got \"0.5, -0.25\"");

  std::string text = kExample;
  text.replace(text.find("-0.25"), 5, "1e39");
  fails<FormatError>(text,
                     "parameters[\"layers.0.weight\"].data[1]: 1e39 is outside the float32 range");
}

TEST_CASE("rule: base64 is standard base64 of exactly 4 bytes per value") {
  json document = example();
  bias(document)["base64"] = "zczMPQ=";
  fails(document,
        "parameters[\"layers.0.bias\"].base64: not valid base64: its length 7 is not a multiple of "
        "4");
  bias(document)["base64"] = "zczMPc3MzD0=";
  fails(document,
        "parameters[\"layers.0.bias\"].base64: expected 1 values for shape [1] (4 bytes), got 8 "
        "bytes");
  bias(document)["base64"] = "zcz*PQ==";
  fails(document, "parameters[\"layers.0.bias\"].base64: not valid base64: '*' at offset 3");
  bias(document)["base64"] = 12;
  fails(document, "parameters[\"layers.0.bias\"].base64: expected a base64 string, got 12");
}

TEST_CASE("rule: NaN and infinity in base64 are refused unless allowed") {
  json document = example();
  bias(document)["base64"] = "AADAfw==";  // 0x7fc00000, a quiet NaN
  fails(document, "parameters[\"layers.0.bias\"].base64: element 0 is nan");
  bias(document)["base64"] = "AACA/w==";  // 0xff800000, -inf
  fails(document, "parameters[\"layers.0.bias\"].base64: element 0 is -inf");
  const io::LoadedModel loaded = io::load_from_string(document.dump(), {.allow_non_finite = true});
  CHECK(bits_of(loaded.model->parameters().at("layers.0.bias")) ==
        std::vector<uint32_t>{0xff800000u});
}

TEST_CASE("rule: absurd sizes are refused before anything is allocated") {
  const auto started = std::chrono::steady_clock::now();
  json document = example();
  weight(document)["shape"] = {1000000000, 1000000000};
  fails(document,
        "parameters[\"layers.0.weight\"].data: expected 1000000000000000000 values for "
        "shape [1000000000, 1000000000], got 2");
  document = example();
  bias(document)["shape"] = {int64_t{1} << 40, int64_t{1} << 40};
  fails(document,
        "parameters[\"layers.0.bias\"].shape: [1099511627776, 1099511627776] has too "
        "many elements to exist");
  bias(document)["shape"] = {0, int64_t{1} << 40, int64_t{1} << 40};
  fails(document,
        "parameters[\"layers.0.bias\"].shape: [0, 1099511627776, 1099511627776] has too "
        "many elements to exist");
  bias(document)["shape"] = {uint64_t{1} << 63};
  fails(document,
        "parameters[\"layers.0.bias\"].shape[0]: expected a non-negative integer, got "
        "9223372036854775808");
  bias(document)["shape"] = {int64_t{1} << 61};
  fails(document,
        "parameters[\"layers.0.bias\"].base64: expected 2305843009213693952 values for "
        "shape [2305843009213693952] (too many bytes), got 4 bytes");
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("rule: the parameters must match the config: every problem in one error") {
  json document = example();
  weight(document)["shape"] = {2, 1};             // wrong shape
  document["parameters"].erase("layers.0.bias");  // missing
  document["parameters"]["layers.1.weight"] =     // unexpected
      json::parse(R"({"dtype": "float32", "shape": [3], "data": [1, 2, 3]})");
  fails(document,
        "the parameters do not match the model's config (3 problems) "
        "parameters[\"layers.0.bias\"]: missing (the model has it, shape [1]); "
        "parameters[\"layers.1.weight\"]: unexpected (the model has no such parameter; "
        "shape [3] in the file); "
        "parameters[\"layers.0.weight\"].shape: expected [1, 2] (the model's), got [2, 1]");
}

TEST_CASE("rule: metadata is an object of strings") {
  json document = example();
  document["metadata"]["epochs"] = 3;
  fails(document, "metadata[\"epochs\"]: expected a string, got 3");
  document["metadata"] = {"task"};
  fails(document, "metadata: expected an object of strings, got an array");
}

TEST_CASE("rule: check holds input, output and a non-negative atol") {
  json document = example();
  const json tensor = json::parse(R"({"dtype": "float32", "shape": [1, 2], "data": [1, 0]})");
  const json output = json::parse(R"({"dtype": "float32", "shape": [1, 1], "data": [1]})");
  document["check"] = {{"input", tensor}, {"output", output}, {"atol", 0}};
  CHECK(io::load_from_string(document.dump()).check_passed);

  document["check"]["atol"] = -1;
  fails(document, "check.atol: expected a finite number >= 0, got -1");
  document["check"]["atol"] = "small";
  fails(document, "check.atol: expected a finite number >= 0, got \"small\"");
  document["check"].erase("atol");
  fails(document, "check: missing key \"atol\"");
  document["check"]["atol"] = 0;
  document["check"]["tolerance"] = 0;
  fails(document, "check.tolerance: unknown key in check");
  document["check"].erase("tolerance");
  document["check"]["input"]["data"] = {1, "0"};
  fails(document, "check.input.data[1]: expected a number, got \"0\"");
  document["check"] = json::array();
  fails(document, "check: expected an object with \"input\", \"output\" and \"atol\"");
}

TEST_CASE("file system problems are IOErrors naming the file") {
  const ScratchFolder folder;
  CHECK_THROWS_WITH_AS(io::load(folder / "absent.json"),
                       doctest::Contains("absent.json: cannot open: No such file or directory"),
                       IOError);
  CHECK_THROWS_WITH_AS(io::load(folder.path()), doctest::Contains("Is a directory"), IOError);
  nn::Linear model(2, 1);
  CHECK_THROWS_WITH_AS(io::save(model, folder / "no" / "such" / "folder.json"),
                       doctest::Contains("folder.json: cannot create a temporary file"), IOError);
}

TEST_CASE("load_weights: strict mismatches list every problem; the model is left untouched") {
  const ScratchFolder folder;
  nn::Sequential file_model{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1)};
  io::save(file_model, folder / "model.json");
  io::save_tensors(file_model.parameters(), folder / "weights.safetensors");

  for (const std::string name : {"model.json", "weights.safetensors"}) {
    CAPTURE(name);
    const std::string root = name == "model.json" ? "parameters" : "header";
    // Only shapes differ: ShapeError.
    nn::Sequential wider{nn::Linear(2, 4), nn::ReLU(), nn::Linear(4, 1)};
    const TensorMap before = wider.parameters();
    CHECK_THROWS_WITH_AS(
        io::load_weights(wider, folder / name),
        doctest::Contains(
            (name + ": the weights do not fit the model (3 problems) " + root +
             "[\"layers.0.weight\"].shape: expected [4, 2] (the model's), got [3, 2]; " + root +
             "[\"layers.0.bias\"].shape: expected [4] (the model's), got [3]; " + root +
             "[\"layers.2.weight\"].shape: expected [1, 4] (the model's), got [1, 3]")
                .c_str()),
        ShapeError);
    check_same_bits(wider.parameters(), before);

    // Names differ too: KeyError, still listing everything.
    nn::Sequential other{nn::Linear(2, 3), nn::Linear(3, 1, false)};
    const TensorMap other_before = other.parameters();
    std::string message;
    try {
      io::load_weights(other, folder / name);
    } catch (const KeyError& error) {
      message = error.what();
    }
    CHECK(message.find("(3 problems)") != std::string::npos);
    CHECK(message.find(root + "[\"layers.1.weight\"]: missing (the model has it, shape [1, 3])") !=
          std::string::npos);
    CHECK(message.find(root + "[\"layers.2.weight\"]: unexpected (the model has no such "
                              "parameter; shape [1, 3] in the file)") != std::string::npos);
    CHECK(message.find(root + "[\"layers.2.bias\"]: unexpected") != std::string::npos);
    check_same_bits(other.parameters(), other_before);
  }
}

TEST_CASE("load_weights: a failure in the last tensor still leaves the model untouched") {
  const ScratchFolder folder;
  nn::Sequential model{nn::Linear(2, 3), nn::Linear(3, 1)};
  json document = json::parse(io::save_to_string(model, {.encoding = io::Encoding::base64}));
  document["parameters"]["layers.1.bias"]["base64"] = "AADAfw==";  // NaN
  minnow::testing::write_bytes(folder / "nan.json", document.dump());
  document["parameters"]["layers.1.bias"]["base64"] = "AA*Afw==";
  minnow::testing::write_bytes(folder / "bad.json", document.dump());

  nn::Sequential target{nn::Linear(2, 3), nn::Linear(3, 1)};
  const TensorMap before = target.parameters();
  CHECK_THROWS_WITH_AS(io::load_weights(target, folder / "nan.json"),
                       doctest::Contains("parameters[\"layers.1.bias\"].base64: element 0 is nan"),
                       FormatError);
  CHECK_THROWS_WITH_AS(io::load_weights(target, folder / "bad.json"),
                       doctest::Contains("parameters[\"layers.1.bias\"].base64: not valid base64"),
                       FormatError);
  check_same_bits(target.parameters(), before);
  // Allowed on request.
  io::load_weights(target, folder / "nan.json", {.allow_non_finite = true});
  CHECK(std::isnan(target.parameters().at("layers.1.bias").item()));
}

TEST_CASE("load_weights: config-only files and unknown extensions are refused") {
  const ScratchFolder folder;
  nn::Linear model(2, 1);
  io::save(model, folder / "config.json", {.config_only = true});
  io::save(model, folder / "model.bin");
  CHECK_THROWS_WITH_AS(io::load_weights(model, folder / "config.json"),
                       doctest::Contains("config.json: has no \"parameters\""), FormatError);
  CHECK_THROWS_WITH_AS(io::load_weights(model, folder / "model.bin"),
                       doctest::Contains("expected .json or .safetensors"), ValueError);
}

// ---- long strings -------------------------------------------------------------------------------
// Long strings (base64 above all) are kept out of the JSON parser; a broken document must still
// give the plain parser's message, with the line and column of the original text.

namespace {

// A file whose weight is 64 values of base64 (344 characters): a long string.
std::string long_example() {
  random::seed(2);
  nn::Sequential model{nn::Linear(16, 4), nn::Step()};
  return io::save_to_string(model, {.encoding = io::Encoding::base64});
}

// Where the weight's base64 characters begin and how many there are.
std::pair<size_t, size_t> weight_base64(const std::string& text) {
  const std::string key = "\"base64\": \"";
  const size_t begin = text.find(key) + key.size();
  return {begin, text.find('"', begin) - begin};
}

// What nlohmann's parser, reading the whole text, says is wrong with it ("at line ..., column
// ...: ...").
std::string plain_parser_error(const std::string& text) {
  try {
    const json parsed = json::parse(text);
    FAIL("the text parses: " << parsed.dump().substr(0, 40));
  } catch (const json::parse_error& error) {
    const std::string what = error.what();
    return what.substr(what.find(" at line ") + 1);
  }
  return "";
}

void fails_as_plain_parser(const std::string& text) {
  const std::string expected = "not valid JSON: " + plain_parser_error(text);
  CHECK_THROWS_WITH_AS(io::load_from_string(text, {}, "m.json"), ("m.json: " + expected).c_str(),
                       FormatError);
}

}  // namespace

TEST_CASE("long strings: a base64 string of any length loads; its path is in every error") {
  const std::string text = long_example();
  const auto [begin, size] = weight_base64(text);
  REQUIRE(size == 344);
  CHECK(io::load_from_string(text).has_parameters);

  std::string bad = text;
  bad[begin + 200] = '*';
  fails<FormatError>(bad,
                     "parameters[\"layers.0.weight\"].base64: not valid base64: '*' at "
                     "offset 200");
  bad = text;
  bad.erase(begin + 100, 1);
  fails<FormatError>(bad,
                     "parameters[\"layers.0.weight\"].base64: not valid base64: its length "
                     "343 is not a multiple of 4");
  bad = text;
  bad.erase(begin + 100, 4);
  fails<FormatError>(bad,
                     "parameters[\"layers.0.weight\"].base64: expected 64 values for shape "
                     "[4, 16] (256 bytes), got 253 bytes");
  // The long string under another key, where numbers belong, and as the format: quoted and cut,
  // as ever.
  bad = text;
  bad.replace(text.find("\"base64\": \""), 8, "\"bytes\"");
  fails<FormatError>(bad, "parameters[\"layers.0.weight\"].bytes: unknown key in a tensor");
  const std::string characters = text.substr(begin, size);
  json document = json::parse(text);
  document["parameters"]["layers.0.weight"].erase("base64");
  document["parameters"]["layers.0.weight"]["data"] = characters;
  fails(document, "parameters[\"layers.0.weight\"].data: expected an array of numbers, got \"" +
                      characters.substr(0, 39) + "...");
  document["parameters"]["layers.0.weight"]["data"] = {1, characters};
  fails(document, "parameters[\"layers.0.weight\"].data[1]: expected a number, got \"" +
                      characters.substr(0, 39) + "...");
  document = json::parse(text);
  document["format"] = characters;
  fails(document, "format: expected \"minnow.model\", got \"" + characters.substr(0, 39) + "...");
  // At the top level.
  fails<FormatError>("\"" + characters + "\"", "expected a JSON object at the top level, got \"" +
                                                   characters.substr(0, 39) + "...");
}

TEST_CASE("long strings: broken JSON around and inside them gives the plain parser's message") {
  const std::string text = long_example();
  const auto [begin, size] = weight_base64(text);
  const size_t end = begin + size;  // the closing quote

  std::string bad = text;
  bad.insert(end + 1, "x");  // right after the string, on its line
  fails_as_plain_parser(bad);
  // The column counts the string's characters: it is the original text's.
  const std::string message = plain_parser_error(bad);
  CHECK(std::stoul(message.substr(message.find("column ") + 7)) > size);
  bad = text;
  bad.erase(end, 1);  // unterminated: runs on into the next string
  fails_as_plain_parser(bad);
  fails_as_plain_parser(text.substr(0, end));          // unterminated at the end of the text
  fails_as_plain_parser(text.substr(0, end + 1));      // the document cut short after it
  for (const char raw : {'\n', '\t', '\0', '\x7f'}) {  // control characters must be escaped
    bad = text;
    bad[begin + 100] = raw;
    CAPTURE(static_cast<int>(raw));
    if (raw == '\x7f') {  // DEL is allowed in JSON strings, but not in base64
      fails<FormatError>(bad,
                         "parameters[\"layers.0.weight\"].base64: not valid base64: byte 0x7f "
                         "at offset 100");
    } else {
      fails_as_plain_parser(bad);
    }
  }
  for (const std::string utf8 : {"\xff", "\xc3", "\xc3\xa9"}) {  // invalid, cut, valid
    bad = text;
    bad.replace(begin + 100, utf8.size(), utf8);
    CAPTURE(utf8);
    if (utf8 == "\xc3\xa9") {
      fails<FormatError>(bad,
                         "parameters[\"layers.0.weight\"].base64: not valid base64: byte 0xc3 "
                         "at offset 100");
    } else {
      fails_as_plain_parser(bad);
    }
  }
  bad = text;
  bad.insert(begin + 100, "\\q");  // an escape JSON does not have
  fails_as_plain_parser(bad);
  bad = text;
  bad.insert(begin, "\"");  // the string splits into an empty one and a bare word
  fails_as_plain_parser(bad);
  // A quote escaped inside an earlier string does not end it: the scan keeps its place.
  bad = text;
  bad.insert(text.find("\"layers.0.weight\""), "\"a\\\"\": 1 ");
  fails_as_plain_parser(bad);
}

TEST_CASE("long strings: escapes in them are JSON's, as before") {
  const std::string text = long_example();
  const auto [begin, size] = weight_base64(text);
  const std::string characters = text.substr(begin, size);
  const TensorMap expected = io::load_from_string(text).model->parameters();
  // "\/" and "\u0041" are '/' and 'A' to JSON, so the base64 is the same.
  const size_t a = characters.find('A');
  REQUIRE(a != std::string::npos);
  std::string escaped = text;
  escaped.replace(begin + a, 1, "\\u0041");
  check_same_bits(io::load_from_string(escaped).model->parameters(), expected);
  const size_t slash = characters.find('/');
  if (slash != std::string::npos) {
    escaped = text;
    escaped.replace(begin + slash, 1, "\\/");
    check_same_bits(io::load_from_string(escaped).model->parameters(), expected);
  }
  // "\n" is a newline, which base64 does not have.
  escaped = text;
  escaped.insert(begin + 8, "\\n");
  fails<FormatError>(escaped,
                     "parameters[\"layers.0.weight\"].base64: not valid base64: its "
                     "length 345 is not a multiple of 4");
}

TEST_CASE("long strings: long keys are named in errors as short ones are") {
  const std::string name(100, 'k');
  json document = json::parse(long_example());
  document["metadata"] = {{name, "v"}};
  std::string text = document.dump();
  text.replace(text.find("\"" + name + "\""), name.size() + 2,
               "\"" + name + "\": \"v\", \"" + name + "\"");
  fails<FormatError>(text, "metadata[\"" + name + "\"]: duplicate key");

  document = json::parse(long_example());
  document["parameters"][name] = document["parameters"]["layers.0.bias"];
  fails(document, "the parameters do not match the model's config (1 problem) parameters[\"" +
                      name + "\"]: unexpected (the model has no such parameter");
  document = json::parse(long_example());
  document["model"]["layers"][1]["type"] = name;
  fails(document, "model.layers[1].type: unknown module type \"" + name.substr(0, 20));
}

TEST_CASE("long strings: randomly damaged documents get the plain parser's verdict") {
  json example_document = json::parse(long_example());
  example_document["metadata"] = {
      {"escaped", std::string(70, 'e') + "\"\\\n" + std::string(70, 'f')},
      {std::string(80, 'k'), std::string(90, 'v')},
      {"unicode", "\xC3\xA9" + std::string(70, 'u')}};
  const std::string original = example_document.dump(1);
  // Long base64 strings become references to the text; everything else is as a plain parse.
  const io::detail::TensorSlotRule rule = [](std::span<const std::string> keys) {
    const bool base64 = keys.size() == 3 && keys[0] == "parameters" && keys[2] == "base64";
    return base64 ? io::detail::TensorSlot::text : io::detail::TensorSlot::none;
  };
  const std::string bytes(
      "\"\\\n\t\0\x80\xC3\xA9\x7F"
      "A=},: u/[1",
      20);
  uint32_t state = 12345;
  const auto next = [&state](size_t bound) {
    state = state * 1664525u + 1013904223u;
    return static_cast<size_t>(state >> 8) % bound;
  };
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = original;
    for (size_t edits = 1 + next(3); edits > 0; --edits) {
      const size_t position = next(text.size());
      switch (next(3)) {
        case 0:
          text[position] = bytes[next(bytes.size())];
          break;
        case 1:
          text.insert(position, 1, bytes[next(bytes.size())]);
          break;
        default:
          text.erase(position, 1);
      }
    }
    CAPTURE(text);
    std::optional<json> plain;
    std::string plain_error;
    try {
      plain = json::parse(text);
    } catch (const json::parse_error& error) {
      const std::string what = error.what();
      plain_error = what.substr(what.find(" at line ") + 1);
    }
    try {
      json parsed = io::detail::parse_json(text, "s", rule);
      REQUIRE(plain.has_value());
      ++accepted;
      if (parsed.contains("parameters") && parsed["parameters"].is_object()) {
        for (auto& [name, tensor] : parsed["parameters"].items()) {
          if (!tensor.is_object() || !tensor.contains("base64")) continue;
          tensor["base64"] = std::string(*io::detail::string_contents(tensor["base64"], text));
        }
      }
      CHECK(parsed == *plain);
    } catch (const FormatError& error) {
      const std::string message = error.what();
      if (plain) {
        CHECK(message.find(": duplicate key") != std::string::npos);
      } else {
        CHECK(message == "s: not valid JSON: " + plain_error);
      }
    }
  }
  CHECK(accepted > 100);  // the damage often leaves valid JSON (inside strings)
}
