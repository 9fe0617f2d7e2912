// The checks every registered module type must pass (config round trip, printed form, gradients
// against finite differences), and the registry's error messages.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/nn.hpp"
#include "nn/nn_testing.hpp"
#include "support/gradcheck.hpp"

using namespace minnow;
using nn::json;

namespace {

// One sample per built-in type: a full config (every key, as config() writes it), the shape of
// an input, and the printed form. Adding a type to nn::builtin_module_types without a row here
// fails the static_assert below.
struct Sample {
  json config;
  Shape input_shape;
  std::string repr;
};

json linear(int64_t in, int64_t out, bool bias = true) {
  return {{"type", "Linear"}, {"input_dims", in}, {"output_dims", out}, {"bias", bias}};
}

json simple(const char* type) {
  return {{"type", type}};
}

const Sample kSamples[] = {
    {simple("Identity"), {2, 3}, "Identity()"},
    {linear(3, 2), {2, 3}, "Linear(input_dims=3, output_dims=2, bias=True)"},
    {{{"type", "Bilinear"},
      {"input1_dims", 2},
      {"input2_dims", 3},
      {"output_dims", 2},
      {"bias", true}},
     {2, 5},
     "Bilinear(input1_dims=2, input2_dims=3, output_dims=2, bias=True)"},
    {{{"type", "Sequential"}, {"layers", {linear(3, 4), simple("Tanh"), linear(4, 2, false)}}},
     {2, 3},
     "Sequential(\n"
     "  (layers.0): Linear(input_dims=3, output_dims=4, bias=True)\n"
     "  (layers.1): Tanh()\n"
     "  (layers.2): Linear(input_dims=4, output_dims=2, bias=False)\n"
     ")"},
    {{{"type", "Dropout"}, {"p", 0.25}}, {2, 3}, "Dropout(p=0.25)"},
    {{{"type", "LayerNorm"}, {"dims", 3}, {"eps", 1e-5}, {"affine", true}, {"bias", true}},
     {2, 3},
     "LayerNorm(3, eps=1e-05, affine=True)"},
    {{{"type", "RMSNorm"}, {"dims", 3}, {"eps", 1e-5}}, {2, 3}, "RMSNorm(3, eps=1e-05)"},
    {{{"type", "BatchNorm"},
      {"num_features", 3},
      {"eps", 1e-5},
      {"momentum", 0.1},
      {"affine", true},
      {"track_running_stats", true}},
     {4, 3},
     "BatchNorm(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"},
    {simple("ReLU"), {2, 3}, "ReLU()"},
    {simple("ReLU2"), {2, 3}, "ReLU2()"},
    {simple("ReLU6"), {2, 3}, "ReLU6()"},
    {{{"type", "LeakyReLU"}, {"negative_slope", 0.01}}, {2, 3}, "LeakyReLU(negative_slope=0.01)"},
    {{{"type", "PReLU"}, {"num_parameters", 3}, {"init", 0.25}},
     {2, 3},
     "PReLU(num_parameters=3, init=0.25)"},
    {{{"type", "ELU"}, {"alpha", 1.0}}, {2, 3}, "ELU(alpha=1.0)"},
    {{{"type", "CELU"}, {"alpha", 0.5}}, {2, 3}, "CELU(alpha=0.5)"},
    {simple("SELU"), {2, 3}, "SELU()"},
    {simple("Sigmoid"), {2, 3}, "Sigmoid()"},
    {simple("LogSigmoid"), {2, 3}, "LogSigmoid()"},
    {simple("SiLU"), {2, 3}, "SiLU()"},
    {simple("Tanh"), {2, 3}, "Tanh()"},
    {simple("Softplus"), {2, 3}, "Softplus()"},
    {simple("Softsign"), {2, 3}, "Softsign()"},
    {{{"type", "Softshrink"}, {"lambd", 0.5}}, {2, 6}, "Softshrink(lambd=0.5)"},
    {{{"type", "HardShrink"}, {"lambd", 0.5}}, {2, 6}, "HardShrink(lambd=0.5)"},
    {simple("HardTanh"), {2, 6}, "HardTanh()"},
    {simple("Hardswish"), {2, 6}, "Hardswish()"},
    {simple("Mish"), {2, 3}, "Mish()"},
    {{{"type", "GELU"}, {"approx", "tanh"}}, {2, 3}, "GELU(approx='tanh')"},
    {{{"type", "GLU"}, {"axis", -1}}, {2, 4}, "GLU(axis=-1)"},
    {simple("Softmax"), {2, 3}, "Softmax()"},
    {simple("Softmin"), {2, 3}, "Softmin()"},
    {simple("LogSoftmax"), {2, 3}, "LogSoftmax()"},
    {{{"type", "Step"}, {"threshold", 0.0}, {"gradient", "zero"}}, {2, 6}, "Step(threshold=0.0)"},
};

// Compile-time guard: one sample per built-in type (the names are checked at run time below).
constexpr size_t kSampleCount = sizeof(kSamples) / sizeof(kSamples[0]);
static_assert(kSampleCount == nn::builtin_module_types.size(),
              "add a Sample row for every type in nn::builtin_module_types");

const Sample* find_sample(const std::string& type) {
  for (const auto& sample : kSamples) {
    if (sample.config["type"] == type) return &sample;
  }
  return nullptr;
}

// A user-defined module, registered under its own name by a test below.
class Scale : public nn::Module {
 public:
  explicit Scale(float factor) : factor_(factor) {}
  Tensor forward(const Tensor& x) override { return x * factor_; }
  std::string type_name() const override { return "TestScale"; }
  json config() const override {
    return {{"type", "TestScale"}, {"factor", nn::config_float(factor_)}};
  }
  std::string extra_repr() const override { return "factor=" + nn::python_float(factor_); }

 private:
  float factor_;
};

bool is_test_type(const std::string& type) {
  return type.rfind("Test", 0) == 0;
}

}  // namespace

TEST_CASE("every registered type has a sample, and every built-in type is registered") {
  for (const auto& name : nn::builtin_module_types) {
    CAPTURE(std::string(name));
    CHECK(nn::is_registered(std::string(name)));
    CHECK(find_sample(std::string(name)) != nullptr);
  }
  for (const auto& type : nn::registered_types()) {
    if (is_test_type(type)) continue;
    CAPTURE(type);
    CHECK(find_sample(type) != nullptr);
  }
  const auto types = nn::registered_types();
  CHECK(std::is_sorted(types.begin(), types.end()));
}

TEST_CASE("every registered type: config round trip") {
  for (const auto& type : nn::registered_types()) {
    if (is_test_type(type)) continue;
    CAPTURE(type);
    const Sample& sample = *find_sample(type);
    const nn::ModulePtr module = nn::from_config(sample.config);
    CHECK(module->type_name() == type);
    // The module writes back exactly the config it was built from, and so does a rebuild.
    CHECK(module->config().dump() == sample.config.dump());
    CHECK(nn::from_config(module->config())->config().dump() == sample.config.dump());
  }
}

TEST_CASE("every registered type: printed form") {
  for (const auto& type : nn::registered_types()) {
    if (is_test_type(type)) continue;
    CAPTURE(type);
    const Sample& sample = *find_sample(type);
    CHECK(nn::from_config(sample.config)->to_string() == sample.repr);
  }
}

TEST_CASE("every registered type: gradients match finite differences (input and parameters)") {
  for (const auto& type : nn::registered_types()) {
    if (is_test_type(type)) continue;
    CAPTURE(type);
    const Sample& sample = *find_sample(type);
    random::seed(11);
    const nn::ModulePtr module = nn::from_config(sample.config);
    const TensorMap params = module->trainable_parameters();
    std::vector<Tensor> inputs{minnow::testing::sample_input(sample.input_shape)};
    for (const auto& [name, value] : params) inputs.push_back(value);
    const auto forward = [&](const std::vector<Tensor>& xs) {
      TensorMap current;
      for (size_t i = 0; i < params.size(); ++i)
        current.insert_or_assign(params.name_at(i), xs[i + 1]);
      module->update(current);
      random::seed(3);  // the same Dropout mask at every evaluation
      return (*module)(xs[0]);
    };
    CHECK(minnow::testing::check_op_gradients(forward, inputs) == "");
  }
}

TEST_CASE("registry defaults are the constructors' defaults") {
  const std::vector<std::pair<json, nn::ModulePtr>> cases = {
      {{{"type", "Linear"}, {"input_dims", 3}, {"output_dims", 2}}, nn::Linear(3, 2)},
      {{{"type", "Bilinear"}, {"input1_dims", 2}, {"input2_dims", 3}, {"output_dims", 4}},
       nn::Bilinear(2, 3, 4)},
      {{{"type", "Dropout"}}, nn::Dropout()},
      {{{"type", "LayerNorm"}, {"dims", 3}}, nn::LayerNorm(3)},
      {{{"type", "RMSNorm"}, {"dims", 3}}, nn::RMSNorm(3)},
      {{{"type", "BatchNorm"}, {"num_features", 3}}, nn::BatchNorm(3)},
      {{{"type", "LeakyReLU"}}, nn::LeakyReLU()},
      {{{"type", "PReLU"}}, nn::PReLU()},
      {{{"type", "ELU"}}, nn::ELU()},
      {{{"type", "CELU"}}, nn::CELU()},
      {{{"type", "Softshrink"}}, nn::Softshrink()},
      {{{"type", "HardShrink"}}, nn::HardShrink()},
      {{{"type", "GELU"}}, nn::GELU()},
      {{{"type", "GLU"}}, nn::GLU()},
      {{{"type", "Step"}}, nn::Step()},
  };
  for (const auto& [minimal, constructed] : cases) {
    CAPTURE(minimal.dump());
    CHECK(nn::from_config(minimal)->config().dump() == constructed->config().dump());
  }
  CHECK(nn::Step().config().dump() == R"({"gradient":"zero","threshold":0.0,"type":"Step"})");
  CHECK(nn::Dropout().config().dump() == R"({"p":0.5,"type":"Dropout"})");
}

TEST_CASE("a config built in code and one read from a file build the same model") {
  const json config = json::parse(R"({"type": "Sequential", "layers": [
      {"type": "Linear", "input_dims": 2, "output_dims": 1, "bias": true},
      {"type": "Step", "threshold": 0.1, "gradient": "straight_through"}]})");
  random::seed(4);
  const nn::ModulePtr from_file = nn::from_config(config);
  random::seed(4);
  nn::Sequential in_code{nn::Linear(2, 1), nn::Step(0.1f, nn::StepGradient::straight_through)};
  CHECK(from_file->config() == in_code.config());
  CHECK(from_file->config()["layers"][1]["threshold"].dump() == "0.1");
  const auto a = from_file->parameters();
  const auto b = in_code.parameters();
  REQUIRE(a.keys() == b.keys());
  for (size_t i = 0; i < a.size(); ++i) CHECK(array_equal(a.value_at(i), b.value_at(i)));
  CHECK(in_code.to_string() ==
        "Sequential(\n"
        "  (layers.0): Linear(input_dims=2, output_dims=1, bias=True)\n"
        "  (layers.1): Step(threshold=0.1, gradient='straight_through')\n"
        ")");
}

TEST_CASE("config errors name the JSON path, what was expected and what was found") {
  const auto fails_with = [](const json& config, const std::string& message) {
    CAPTURE(config.dump());
    CHECK_THROWS_WITH_AS(nn::from_config(config), doctest::Contains(message.c_str()), FormatError);
  };
  fails_with(json::parse(R"({"type": "Sequential", "layers": [
                 {"type": "Linear", "input_dims": 2, "output_dims": 1},
                 {"type": "Step", "threshold": "x"}]})"),
             R"(model.layers[1].threshold: expected a number, got "x")");
  fails_with({{"type", "Step"}, {"treshold", 1.0}}, "model.treshold: unknown key for Step");
  fails_with({{"type", "Step"}, {"treshold", 1.0}}, R"((it takes "threshold", "gradient"))");
  fails_with({{"type", "ReLU"}, {"alpha", 1.0}},
             "model.alpha: unknown key for ReLU (it takes none)");
  fails_with({{"type", "Foo"}}, R"(model.type: unknown module type "Foo")");
  fails_with(json(3), "model: expected a module config");
  fails_with(json::object(), R"(model: missing key "type")");
  fails_with({{"type", 3}}, "model.type: expected a string, got 3");
  fails_with({{"type", "Linear"}, {"input_dims", 2}},
             R"(model: missing key "output_dims" (required by Linear))");
  fails_with({{"type", "Linear"}, {"input_dims", -1}, {"output_dims", 2}},
             "model.input_dims: expected a non-negative integer, got -1");
  fails_with({{"type", "Linear"}, {"input_dims", 2.5}, {"output_dims", 2}},
             "model.input_dims: expected a non-negative integer, got 2.5");
  fails_with({{"type", "Linear"}, {"input_dims", 2}, {"output_dims", 2}, {"bias", 1}},
             "model.bias: expected true or false, got 1");
  fails_with({{"type", "GELU"}, {"approx", "exact"}},
             R"(model.approx: expected one of "none", "precise", "tanh", "fast", got "exact")");
  fails_with({{"type", "Step"}, {"gradient", "identity"}},
             R"(model.gradient: expected one of "zero", "straight_through", got "identity")");
  fails_with({{"type", "Sequential"}, {"layers", 3}}, "model.layers: expected an array, got 3");
  fails_with({{"type", "Sequential"}}, R"(model: missing key "layers" (required by Sequential))");
  fails_with({{"type", "GLU"}, {"axis", 100}}, "model.axis: axis 100 is out of range");
  fails_with({{"type", "Step"}, {"threshold", 1e300}}, "model.threshold: 1e+300 is outside");
  fails_with({{"type", "Step"}, {"threshold", 1e300}}, "outside the float32 range");
  fails_with({{"type", "Sequential"}, {"layers", {{{"type", "Sequential"}, {"layers", {3}}}}}},
             "model.layers[0].layers[0]: expected a module config");
}

TEST_CASE("a constructor's ValueError becomes a FormatError prefixed with the path") {
  const json config = {{"type", "Sequential"},
                       {"layers", {linear(2, 2), {{"type", "Dropout"}, {"p", 1.0}}}}};
  CHECK_THROWS_WITH_AS(nn::from_config(config),
                       "model.layers[1]: [Dropout] p must be in [0, 1), got 1.0", FormatError);
  CHECK_THROWS_WITH_AS(nn::from_config({{"type", "LayerNorm"}, {"dims", 3}, {"eps", 0.0}}),
                       "model: [LayerNorm] eps must be positive, got 0.0", FormatError);
  CHECK_THROWS_WITH_AS(nn::from_config(linear(0, 2), "net"),
                       "net: [Linear] input_dims must be positive, got 0", FormatError);
}

TEST_CASE("users register their own module types with one call") {
  nn::register_module_type("TestScale", [](const json& config, const std::string& path) {
    nn::ConfigReader reader(config, path);
    const auto factor = static_cast<float>(reader.get_number("factor", 1.0));
    reader.finish();
    return nn::ModulePtr(Scale(factor));
  });
  CHECK(nn::is_registered("TestScale"));
  const auto types = nn::registered_types();
  CHECK(std::find(types.begin(), types.end(), "TestScale") != types.end());

  const json config = {{"type", "Sequential"},
                       {"layers", {{{"type", "TestScale"}, {"factor", 2.5}}, simple("ReLU")}}};
  const nn::ModulePtr model = nn::from_config(config);
  CHECK(model->config().dump() == config.dump());
  minnow::testing::check_close((*model)(Tensor({-1.0f, 2.0f})), Tensor({0.0f, 5.0f}));
  CHECK(model->to_string() ==
        "Sequential(\n  (layers.0): TestScale(factor=2.5)\n  (layers.1): ReLU()\n)");
  CHECK_THROWS_WITH_AS(
      nn::from_config({{"type", "Sequential"}, {"layers", {{{"type", "TestScale"}, {"f", 1}}}}}),
      "model.layers[0].f: unknown key for TestScale (it takes \"factor\")", FormatError);
  CHECK_THROWS_AS(nn::register_module_type("", {}), ValueError);
}

TEST_CASE("the config and printed-form number helpers") {
  CHECK(nn::python_float(1e-5f) == "1e-05");
  CHECK(nn::python_float(0.1f) == "0.1");
  CHECK(nn::python_float(0.0f) == "0.0");
  CHECK(nn::python_float(-2.0f) == "-2.0");
  CHECK(nn::python_float(0.0001f) == "0.0001");
  CHECK(nn::python_float(123.5f) == "123.5");
  CHECK(nn::python_float(1e16f) == "1e+16");
  CHECK(nn::python_float(1.5e-7f) == "1.5e-07");
  CHECK(nn::python_float(1e15f) == "1000000000000000.0");
  CHECK(json(nn::config_float(0.1f)).dump() == "0.1");
  CHECK(json(nn::config_float(1e-5f)).dump() == "1e-05");
  CHECK(json(nn::config_float(0.0f)).dump() == "0.0");
  CHECK(static_cast<float>(nn::config_float(0.3f)) == 0.3f);
}
