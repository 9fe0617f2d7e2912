// The model file: round trips of every registered layer type in both encodings, bit for bit;
// metadata; the self-test; config-only files; loading weights into an existing model.

#include <doctest/doctest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "io/io_testing.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/io/io.hpp"
#include "minnow/io/json_document.hpp"
#include "minnow/nn/nn.hpp"
#include "nn/nn_testing.hpp"

using namespace minnow;
using minnow::testing::bits_of;
using minnow::testing::check_same_bits;
using minnow::testing::kSpecExample;
using minnow::testing::ScratchFolder;
using nn::json;

namespace {

// The spec's example (docs/file-format.md): an AND-gate-shaped perceptron.

// A user-defined type with parameters, registered under its own name: files hold it as they
// hold the built-in ones.
class Affine : public nn::Module {
 public:
  explicit Affine(int64_t dims) : dims_(dims) {
    register_parameter("scale", ones({dims}));
    register_parameter("shift", zeros({dims}));
  }
  Tensor forward(const Tensor& x) override { return x * param_at(0) + param_at(1); }
  std::string type_name() const override { return "IoTestAffine"; }
  json config() const override { return {{"type", "IoTestAffine"}, {"dims", dims_}}; }

 private:
  int64_t dims_;
};

const bool affine_registered = [] {
  nn::register_module_type("IoTestAffine", [](const json& config, const std::string& path) {
    nn::ConfigReader reader(config, path);
    const int64_t dims = reader.get_dims("dims");
    reader.finish();
    return nn::ModulePtr(Affine(dims));
  });
  return true;
}();

struct Sample {
  json config;
  Shape input_shape;
};

json linear(int64_t in, int64_t out, bool bias = true) {
  return {{"type", "Linear"}, {"input_dims", in}, {"output_dims", out}, {"bias", bias}};
}
json simple(const char* type) {
  return {{"type", type}};
}

// One sample per registered type: a config and an input it accepts.
const std::vector<Sample>& samples() {
  static const std::vector<Sample> table = {
      {simple("Identity"), {2, 3}},
      {linear(3, 2), {2, 3}},
      {{{"type", "Bilinear"}, {"input1_dims", 2}, {"input2_dims", 3}, {"output_dims", 2}}, {2, 5}},
      {{{"type", "Sequential"},
        {"layers",
         {linear(3, 4),
          simple("Tanh"),
          linear(4, 2, false),
          {{"type", "Sequential"}, {"layers", {linear(2, 2)}}}}}},
       {2, 3}},
      {{{"type", "Dropout"}, {"p", 0.25}}, {2, 3}},
      {{{"type", "LayerNorm"}, {"dims", 3}}, {2, 3}},
      {{{"type", "RMSNorm"}, {"dims", 3}}, {2, 3}},
      {{{"type", "BatchNorm"}, {"num_features", 3}}, {4, 3}},
      {simple("ReLU"), {2, 3}},
      {simple("ReLU2"), {2, 3}},
      {simple("ReLU6"), {2, 3}},
      {{{"type", "LeakyReLU"}, {"negative_slope", 0.02}}, {2, 3}},
      {{{"type", "PReLU"}, {"num_parameters", 3}}, {2, 3}},
      {simple("ELU"), {2, 3}},
      {{{"type", "CELU"}, {"alpha", 0.5}}, {2, 3}},
      {simple("SELU"), {2, 3}},
      {simple("Sigmoid"), {2, 3}},
      {simple("LogSigmoid"), {2, 3}},
      {simple("SiLU"), {2, 3}},
      {simple("Tanh"), {2, 3}},
      {simple("Softplus"), {2, 3}},
      {simple("Softsign"), {2, 3}},
      {simple("Softshrink"), {2, 6}},
      {simple("HardShrink"), {2, 6}},
      {simple("HardTanh"), {2, 6}},
      {simple("Hardswish"), {2, 6}},
      {simple("Mish"), {2, 3}},
      {{{"type", "GELU"}, {"approx", "tanh"}}, {2, 3}},
      {{{"type", "GLU"}, {"axis", -1}}, {2, 4}},
      {simple("Softmax"), {2, 3}},
      {simple("Softmin"), {2, 3}},
      {simple("LogSoftmax"), {2, 3}},
      {{{"type", "Step"}, {"threshold", 0.1}}, {2, 6}},
      {{{"type", "IoTestAffine"}, {"dims", 3}}, {2, 3}},
      {simple("IoTestRemembersInit"), {2, 3}},
      {simple("IoTestDerivesFromInit"), {2, 2}},
  };
  return table;
}
static_assert(nn::builtin_module_types.size() == 33,
              "a built-in type was added: give it a row in samples() above");

const Sample* find_sample(const std::string& type) {
  for (const auto& sample : samples()) {
    if (sample.config["type"] == type) return &sample;
  }
  return nullptr;
}

// Fresh random values for every parameter (positive, so that BatchNorm's running variance is a
// variance), drawn from a generator seeded by the test.
void randomize(nn::Module& model, uint64_t seed) {
  random::Generator generator(seed);
  model.apply([&](const std::string&, const Tensor& t) {
    return random::uniform(t.shape(), 0.1f, 1.0f, &generator);
  });
}

Tensor predict(nn::Module& model, const Tensor& x) {
  model.eval();
  return model(x);
}

// A Linear whose weight holds the float32 values that are easy to get wrong as text.
nn::ModulePtr linear_with_awkward_values() {
  nn::ModulePtr model = nn::Linear(4, 3);
  const std::vector<float> awkward = {
      0.1f,        -0.0f,       0.0f,    std::numeric_limits<float>::denorm_min(),
      FLT_MAX,     -FLT_MAX,    FLT_MIN, 1.0f / 3.0f,
      16777216.0f, 16777218.0f, -1e-40f, std::nextafter(1.0f, 2.0f)};
  model->update({{"weight", Tensor(awkward, {3, 4})}, {"bias", Tensor({-0.0f, 1e-45f, 2.5f})}});
  return model;
}

}  // namespace

TEST_CASE("the spec's example loads and predicts what the numbers say") {
  const io::LoadedModel loaded = io::load_from_string(kSpecExample, {}, "example.json");
  REQUIRE(loaded.has_parameters);
  CHECK(loaded.metadata == io::Metadata{{"task", "AND gate"}, {"epochs", "3"}});
  const TensorMap parameters = loaded.model->parameters();
  CHECK(parameters.at("layers.0.weight").to_vector() == std::vector<float>{0.5f, -0.25f});
  // "zczMPQ==" is the bytes cd cc cc 3d: float32 0x3dcccccd, which is 0.1f.
  CHECK(std::bit_cast<uint32_t>(parameters.at("layers.0.bias").item()) == 0x3dcccccdu);
  // 0.5 x0 - 0.25 x1 + 0.1, then the step at 0.
  const Tensor x({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  CHECK(predict(*loaded.model, x).to_vector() == std::vector<float>{1, 0, 1, 1});
}

TEST_CASE("every registered type survives save and load, bit for bit, in both encodings") {
  const ScratchFolder folder;
  int types_with_parameters = 0;
  for (const std::string& type : nn::registered_types()) {
    CAPTURE(type);
    const Sample* sample = find_sample(type);
    REQUIRE_MESSAGE(sample != nullptr, "add a sample for " << type);
    for (const io::Encoding encoding : {io::Encoding::data, io::Encoding::base64}) {
      CAPTURE(static_cast<int>(encoding));
      const nn::ModulePtr model = nn::from_config(sample->config);
      randomize(*model, 42);
      const auto path = folder / (type + ".json");
      io::save(*model, path, {.encoding = encoding});

      const std::string text = minnow::testing::read_bytes(path);
      if (!model->parameters().empty()) {
        ++types_with_parameters;
        CHECK((text.find("\"data\"") != std::string::npos) == (encoding == io::Encoding::data));
        CHECK((text.find("\"base64\"") != std::string::npos) == (encoding == io::Encoding::base64));
      }
      const io::LoadedModel loaded = io::load(path);
      CHECK(loaded.model->config() == model->config());
      check_same_bits(loaded.model->parameters(), model->parameters());
      const Tensor x = minnow::testing::sample_input(sample->input_shape);
      CHECK(bits_of(predict(*loaded.model, x)) == bits_of(predict(*model, x)));
    }
  }
  CHECK(types_with_parameters >= 2 * 8);
}

TEST_CASE("awkward float32 values round trip bit for bit in both encodings") {
  const nn::ModulePtr model = linear_with_awkward_values();
  for (const io::Encoding encoding : {io::Encoding::data, io::Encoding::base64}) {
    const std::string text = io::save_to_string(*model, {.encoding = encoding});
    check_same_bits(io::load_from_string(text).model->parameters(), model->parameters());
  }
  // As text: shortest forms, and a negative zero that stays negative.
  const std::string text = io::save_to_string(*model, {.encoding = io::Encoding::data});
  CHECK(text.find("[0.1, -0.0, 0, 1e-45, 3.4028235e+38, -3.4028235e+38, 1.1754944e-38, "
                  "0.33333334, 16777216, 16777218, -1e-40, 1.0000001]") != std::string::npos);
  CHECK(text.find("\"data\": [-0.0, 1e-45, 2.5]") != std::string::npos);
}

TEST_CASE("the automatic encoding writes small tensors as data and large ones as base64") {
  nn::Sequential model{nn::Linear(16, 16), nn::Linear(16, 17)};
  const std::string text = io::save_to_string(model);
  const json document = json::parse(text);
  const json& parameters = document["parameters"];
  CHECK(parameters["layers.0.weight"].contains("data"));  // 256 elements: the limit
  CHECK(parameters["layers.0.bias"].contains("data"));
  CHECK(parameters["layers.1.weight"].contains("base64"));  // 272 elements
  CHECK(parameters["layers.1.bias"].contains("data"));
  check_same_bits(io::load_from_string(text).model->parameters(), model.parameters());
}

TEST_CASE("a saved, loaded and saved again model file is byte for byte the same") {
  const nn::ModulePtr model = nn::from_config(find_sample("Sequential")->config);
  randomize(*model, 7);
  const io::SaveOptions options{.metadata = {{"task", "regression"}, {"epochs", "12"}},
                                .check_input = minnow::testing::sample_input({2, 3})};
  const std::string first = io::save_to_string(*model, options);
  const io::LoadedModel loaded = io::load_from_string(first);
  CHECK(loaded.metadata == options.metadata);
  CHECK(loaded.check_passed);
  io::SaveOptions again = options;
  again.metadata = loaded.metadata;
  CHECK(io::save_to_string(*loaded.model, again) == first);
}

TEST_CASE("the written file is the documented JSON") {
  nn::Sequential model{nn::Linear(2, 1), nn::Step()};
  model.update({{"layers.0.weight", Tensor({{0.5f, -0.25f}})}, {"layers.0.bias", Tensor({0.1f})}});
  const std::string text = io::save_to_string(model, {.metadata = {{"task", "AND gate"}}});
  const json document = json::parse(text);
  CHECK(document["format"] == "minnow.model");
  CHECK(document["version"] == 1);
  CHECK(document["model"] == model.config());
  CHECK(document["parameters"]["layers.0.weight"] ==
        json::parse(R"({"dtype": "float32", "shape": [1, 2], "data": [0.5, -0.25]})"));
  CHECK(document["parameters"]["layers.0.bias"]["data"].dump() == "[0.1]");
  CHECK(document["metadata"] == json{{"task", "AND gate"}});
  CHECK_FALSE(document.contains("check"));
  // Base64 of the same bias is the spec's "zczMPQ==".
  const json base64 = json::parse(io::save_to_string(model, {.encoding = io::Encoding::base64}));
  CHECK(base64["parameters"]["layers.0.bias"]["base64"] == "zczMPQ==");
}

TEST_CASE("config-only files build fresh, seeded models") {
  const ScratchFolder folder;
  nn::Sequential model{nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 1)};
  io::save(model, folder / "config.json", {.metadata = {{"note", "fresh"}}, .config_only = true});
  const json document = json::parse(minnow::testing::read_bytes(folder / "config.json"));
  CHECK_FALSE(document.contains("parameters"));

  const io::LoadedModel first = io::load(folder / "config.json", {.seed = 5});
  const io::LoadedModel second = io::load(folder / "config.json", {.seed = 5});
  const io::LoadedModel other = io::load(folder / "config.json", {.seed = 6});
  CHECK_FALSE(first.has_parameters);
  CHECK(first.metadata.at("note") == "fresh");
  check_same_bits(second.model->parameters(), first.model->parameters());
  CHECK(bits_of(other.model->parameters().at("layers.0.weight")) !=
        bits_of(first.model->parameters().at("layers.0.weight")));
  check_same_bits(io::load_config(folder / "config.json", 5)->parameters(),
                  first.model->parameters());

  // load_config takes the architecture of a full file too, with fresh parameters.
  io::save(model, folder / "full.json");
  check_same_bits(io::load_config(folder / "full.json", 5)->parameters(),
                  first.model->parameters());
}

TEST_CASE("metadata is kept, including characters JSON must escape") {
  nn::Linear model(2, 2);
  const io::Metadata metadata{
      {"quote \" and \\", "line\nbreak"}, {"unicode", "\xC3\xA9t\xC3\xA9"}, {"", ""}};
  const io::LoadedModel loaded =
      io::load_from_string(io::save_to_string(model, {.metadata = metadata}));
  CHECK(loaded.metadata == metadata);
  // And through safetensors.
  const io::TensorFile file =
      io::load_tensors_from_string(io::save_tensors_to_string(model.parameters(), metadata));
  CHECK(file.metadata == metadata);
}

TEST_CASE("the self-test passes when the file is read as written, and fails when it is not") {
  random::seed(3);
  nn::Sequential model{nn::Linear(3, 4), nn::Dropout(0.5f), nn::Tanh(), nn::Linear(4, 2)};
  const Tensor x = minnow::testing::sample_input({5, 3});
  // Dropout would make the check random in training mode; the check runs in eval mode, and the
  // model's own mode is restored.
  model.train();
  const std::string text = io::save_to_string(model, {.check_input = x, .check_atol = 1e-6f});
  CHECK(model.training());
  CHECK(model[1].training());
  const json document = json::parse(text);
  REQUIRE(document.contains("check"));
  CHECK(document["check"]["atol"] == json::parse("1e-06"));
  CHECK(document["check"]["input"]["shape"] == json{5, 3});
  CHECK(document["check"]["output"]["shape"] == json{5, 2});
  const io::LoadedModel loaded = io::load_from_string(text);
  CHECK(loaded.check_passed);
  CHECK(loaded.model->training());  // a loaded model is in training mode, as a new one is

  // A weight changed after writing: the check catches it and names the largest difference.
  json tampered = document;
  tampered["parameters"]["layers.3.bias"]["data"][1] = 5.0;
  CHECK_THROWS_WITH_AS(io::load_from_string(tampered.dump(), {}, "m.json"),
                       doctest::Contains("m.json: check: the model's output differs from "
                                         "check.output by"),
                       FormatError);
  // The caller may skip the check.
  const io::LoadedModel unchecked = io::load_from_string(tampered.dump(), {.verify_check = false});
  CHECK_FALSE(unchecked.check_passed);

  // Within atol passes.
  json loose = tampered;
  loose["check"]["atol"] = 100.0;
  CHECK(io::load_from_string(loose.dump()).check_passed);

  // An output of the wrong shape, an input the model cannot take.
  json wrong_shape = document;
  wrong_shape["check"]["output"] =
      json::parse(R"({"dtype": "float32", "shape": [2], "data": [1, 2]})");
  CHECK_THROWS_WITH_AS(io::load_from_string(wrong_shape.dump(), {}, "m.json"),
                       doctest::Contains("m.json: check.output.shape: expected [5, 2]"),
                       FormatError);
  json wrong_input = document;
  wrong_input["check"]["input"] =
      json::parse(R"({"dtype": "float32", "shape": [1, 2], "data": [1, 2]})");
  CHECK_THROWS_WITH_AS(io::load_from_string(wrong_input.dump(), {}, "m.json"),
                       doctest::Contains("m.json: check.input: the model cannot run on it"),
                       FormatError);
}

TEST_CASE("saving restores each module's own training flag after the check") {
  nn::Sequential model{nn::Linear(2, 2), nn::Dropout(0.5f), nn::Linear(2, 1)};
  model.train();
  model[1].eval();
  io::save_to_string(model, {.check_input = Tensor({{1.0f, 2.0f}})});
  CHECK(model.training());
  CHECK(model[0].training());
  CHECK_FALSE(model[1].training());
  CHECK(model[2].training());
}

TEST_CASE("load_weights loads model files and safetensors into an existing model") {
  const ScratchFolder folder;
  nn::Sequential source{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1)};
  randomize(source, 11);
  io::save(source, folder / "model.json");
  io::save_tensors(source.parameters(), folder / "weights.safetensors");

  for (const char* name : {"model.json", "weights.safetensors"}) {
    CAPTURE(name);
    nn::Sequential target{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1)};
    const io::WeightsReport report = io::load_weights(target, folder / name);
    CHECK(report.complete());
    CHECK(report.loaded.size() == 4);
    check_same_bits(target.parameters(), source.parameters());
  }
}

TEST_CASE("non-strict load_weights loads what matches and reports the rest") {
  const ScratchFolder folder;
  nn::Sequential source{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1)};
  randomize(source, 12);
  io::save(source, folder / "model.json");

  nn::Sequential target{nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 2, false), nn::Linear(2, 2)};
  const TensorMap before = target.parameters();
  const io::WeightsReport report = io::load_weights(target, folder / "model.json", false);
  CHECK_FALSE(report.complete());
  CHECK(report.loaded == std::vector<std::string>{"layers.0.weight", "layers.0.bias"});
  CHECK(report.missing == std::vector<std::string>{"layers.3.weight", "layers.3.bias"});
  CHECK(report.unexpected == std::vector<std::string>{"layers.2.bias"});
  REQUIRE(report.mismatched.size() == 1);
  CHECK(report.mismatched[0].name == "layers.2.weight");
  CHECK(report.mismatched[0].expected == Shape{2, 3});
  CHECK(report.mismatched[0].found == Shape{1, 3});
  CHECK(report.to_string() ==
        "missing \"layers.3.weight\"; missing \"layers.3.bias\"; unexpected \"layers.2.bias\"; "
        "\"layers.2.weight\": the model's shape is [2, 3], the file's [1, 3]");

  const TensorMap after = target.parameters();
  CHECK(bits_of(after.at("layers.0.weight")) == bits_of(source.parameters().at("layers.0.weight")));
  CHECK(bits_of(after.at("layers.2.weight")) == bits_of(before.at("layers.2.weight")));
  CHECK(bits_of(after.at("layers.3.bias")) == bits_of(before.at("layers.3.bias")));
}

TEST_CASE("non-finite parameters are refused on save, naming the parameter, unless allowed") {
  nn::Sequential model{nn::Linear(2, 2), nn::Linear(2, 1)};
  TensorMap parameters = model.parameters();
  Tensor bias = parameters.at("layers.1.bias").copy();
  bias.data()[0] = std::numeric_limits<float>::quiet_NaN();
  model.update({{"layers.1.bias", bias}});

  CHECK_THROWS_WITH_AS(io::save_to_string(model),
                       doctest::Contains("parameters[\"layers.1.bias\"] holds nan at element 0"),
                       ValueError);
  CHECK_THROWS_WITH_AS(
      io::save_to_string(model, {.encoding = io::Encoding::data, .allow_non_finite = true}),
      doctest::Contains("\"data\" cannot hold"), ValueError);
  // Allowed: written as base64 even where the automatic encoding would pick data.
  const std::string text = io::save_to_string(model, {.allow_non_finite = true});
  CHECK(json::parse(text)["parameters"]["layers.1.bias"].contains("base64"));
  CHECK_THROWS_WITH_AS(
      io::load_from_string(text, {}, "m.json"),
      doctest::Contains("m.json: parameters[\"layers.1.bias\"].base64: element 0 is nan"),
      FormatError);
  const io::LoadedModel loaded = io::load_from_string(text, {.allow_non_finite = true});
  check_same_bits(loaded.model->parameters(), model.parameters());
}

TEST_CASE("save refuses options it cannot honour") {
  nn::Linear model(2, 1);
  CHECK_THROWS_WITH_AS(
      io::save_to_string(model, {.check_input = Tensor({{1.0f, 2.0f}}), .config_only = true}),
      doctest::Contains("config-only"), ValueError);
  CHECK_THROWS_WITH_AS(
      io::save_to_string(model, {.check_input = Tensor({{1.0f, 2.0f}}), .check_atol = -1.0f}),
      doctest::Contains("check_atol"), ValueError);
  CHECK_THROWS_WITH_AS(
      io::save_to_string(model,
                         {.check_input = Tensor({{std::numeric_limits<float>::infinity(), 2.0f}})}),
      doctest::Contains("the check's input holds inf"), ValueError);
}

// ---- large files: long strings and skipped initial draws ----------------------------------------

namespace {

// A user-defined type that remembers its initial parameter values (as a regularizer towards
// them would), outside its parameters: what it remembers must be what drawing gives, even when
// a load skips the draws of the initial values it replaces.
class RemembersInit : public nn::Module {
 public:
  RemembersInit() : initial_(random::uniform({3})) { register_parameter("w", initial_); }
  Tensor forward(const Tensor& x) override { return x * param_at(0); }
  std::string type_name() const override { return "IoTestRemembersInit"; }
  json config() const override { return {{"type", "IoTestRemembersInit"}}; }
  const Tensor& initial() const { return initial_; }

 private:
  Tensor initial_;
};

const bool remembers_init_registered = [] {
  nn::register_module_type("IoTestRemembersInit", [](const json& config, const std::string& path) {
    nn::ConfigReader(config, path).finish();
    return nn::ModulePtr(RemembersInit());
  });
  return true;
}();

// A user's module that computes a value from a draw and keeps only that value (the draw itself
// is gone once the constructor returns, so no check after the fact could tell it was skipped).
class DerivesFromInit : public nn::Module {
 public:
  DerivesFromInit() : offset_(sum(random::uniform({4})).item()) {
    register_parameter("w", zeros({2}));
  }
  Tensor forward(const Tensor& x) override { return x * param_at(0); }
  std::string type_name() const override { return "IoTestDerivesFromInit"; }
  json config() const override { return {{"type", "IoTestDerivesFromInit"}}; }
  float offset() const { return offset_; }

 private:
  float offset_;
};

const bool derives_from_init_registered = [] {
  nn::register_module_type("IoTestDerivesFromInit",
                           [](const json& config, const std::string& path) {
                             nn::ConfigReader(config, path).finish();
                             return nn::ModulePtr(DerivesFromInit());
                           });
  return true;
}();

// The bits of a few draws from the default generator, to compare its state.
std::vector<uint32_t> next_draws() {
  std::vector<uint32_t> bits = bits_of(random::normal({5}));
  for (const uint32_t b : bits_of(random::uniform({3}))) bits.push_back(b);
  return bits;
}

}  // namespace

TEST_CASE("large tensors and long strings round trip bit for bit") {
  random::seed(9);
  nn::Sequential model{nn::Linear(64, 48), nn::Tanh(), nn::Linear(48, 3)};
  const Tensor x = random::normal({40, 64});
  const io::Metadata metadata{{"long", std::string(300, 'm')},
                              {std::string(200, 'k'), "a long key"},
                              {"long, escaped", std::string(100, 'e') + "\n\"\\" + "\t"},
                              {"long, not ASCII", std::string(100, 'u') + "\xC3\xA9\xE2\x82\xAC"}};
  for (const io::Encoding encoding : {io::Encoding::base64, io::Encoding::automatic}) {
    const std::string text =
        io::save_to_string(model, {.encoding = encoding, .metadata = metadata, .check_input = x});
    const io::LoadedModel loaded = io::load_from_string(text);
    check_same_bits(loaded.model->parameters(), model.parameters());
    CHECK(loaded.metadata == metadata);
    CHECK(loaded.check_passed);  // the check's input and output are long base64 strings too
    CHECK(io::save_to_string(
              *loaded.model,
              {.encoding = encoding, .metadata = loaded.metadata, .check_input = x}) == text);
  }
}

TEST_CASE("loading draws no initial values, and leaves the generator as drawing them would") {
  nn::Sequential model{nn::Linear(30, 20), nn::ReLU(), nn::Linear(20, 10)};
  const std::string text = io::save_to_string(model, {.encoding = io::Encoding::base64});
  // The reference: build the model (drawing its initial values), then draw on.
  random::seed(21);
  static_cast<void>(nn::from_config(model.config()));
  const std::vector<uint32_t> expected = next_draws();

  random::seed(21);
  const io::LoadedModel loaded = io::load_from_string(text);
  CHECK(next_draws() == expected);
  check_same_bits(loaded.model->parameters(), model.parameters());
  // And on the way out of a failed load.
  random::seed(21);
  std::string bad = text;
  bad[bad.rfind("\"}") - 10] = '*';
  CHECK_THROWS_AS(io::load_from_string(bad), FormatError);
  CHECK(next_draws() == expected);
}

TEST_CASE("a module that keeps its initial values is built again, drawing them") {
  random::seed(4);
  RemembersInit original;
  randomize(original, 5);
  const std::string text = io::save_to_string(original);
  random::seed(8);
  const RemembersInit reference;
  const std::vector<uint32_t> expected = next_draws();

  random::seed(8);
  const io::LoadedModel loaded = io::load_from_string(text);
  CHECK(next_draws() == expected);
  const auto& remembers = dynamic_cast<const RemembersInit&>(*loaded.model);
  CHECK(bits_of(remembers.initial()) == bits_of(reference.initial()));
  check_same_bits(loaded.model->parameters(), original.parameters());
}

TEST_CASE("a registered module type draws for real during a load, even if it keeps no draw") {
  DerivesFromInit original;
  const std::string text = io::save_to_string(original);
  random::seed(13);
  const DerivesFromInit reference;
  const std::vector<uint32_t> expected = next_draws();

  random::seed(13);
  const io::LoadedModel loaded = io::load_from_string(text);
  CHECK(next_draws() == expected);
  const auto& derived = dynamic_cast<const DerivesFromInit&>(*loaded.model);
  CHECK(std::bit_cast<uint32_t>(derived.offset()) == std::bit_cast<uint32_t>(reference.offset()));
}

TEST_CASE("long strings at text slots are left in the text, whatever comes before them") {
  const io::detail::TensorSlotRule rule = [](std::span<const std::string> keys) {
    return keys.size() == 1 && keys[0] == "t" ? io::detail::TensorSlot::text
                                              : io::detail::TensorSlot::none;
  };
  const std::string long_text(100, 'A');
  // Escaped quotes and backslashes, escapes of other kinds, non-ASCII, long strings with escapes.
  for (const std::string& before : std::vector<std::string>{
           "", R"("e": "a\"b\\", )", R"("\"": "\\\\\"", )", "\"u\": \"\\u00e9\xC3\xA9\\n\", ",
           "\"n\": [1, \"x\\\"\"], ",
           "\"l\": \"" + std::string(80, 'x') + "\\\"" + std::string(80, 'y') + "\", "}) {
    CAPTURE(before);
    const std::string text =
        "{" + before + "\"t\": \"" + long_text + "\", \"s\": \"" + long_text + "\"}";
    const json document = io::detail::parse_json(text, "s", rule);
    CHECK(document["t"].is_binary());  // a reference to the text
    CHECK(io::detail::string_contents(document["t"], text) == long_text);
    json expected = json::parse(text);
    expected["t"] = document["t"];
    CHECK(document == expected);  // everything else as a plain parse gives it
  }
  // A short string there, or a long one elsewhere, is a string.
  const json document = io::detail::parse_json(R"({"t": "AAAA"})", "s", rule);
  CHECK(document["t"] == "AAAA");
  CHECK(io::detail::string_contents(document["t"], "") == "AAAA");
  CHECK_FALSE(io::detail::string_contents(json(3), "").has_value());
}
