// The perceptron trainer: the framework path (Linear + straight-through Step + mse + SGD) is
// exactly Rosenblatt's rule, and the built program converges, saves, reloads and draws.

#include <doctest/doctest.h>

#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "minnow/examples/perceptron/perceptron.hpp"
#include "minnow/io/model_file.hpp"
#include "minnow/minnow.hpp"
#include "tools/process_testing.hpp"

using namespace minnow;
using minnow::testing::TempDir;

namespace {

const Tensor& weights_of(const nn::Sequential& model) {
  return dynamic_cast<const nn::Linear&>(model[0]).weight();
}
const Tensor& bias_of(const nn::Sequential& model) {
  return dynamic_cast<const nn::Linear&>(model[0]).bias();
}

/// Bit-for-bit equality of floats (so that -0 and 0 differ, and nothing is rounded away).
bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

/// Trains the framework model and the hand-written rule side by side, on the same order each
/// epoch, and checks after every epoch that their weights and mistakes are identical.
void check_framework_is_rosenblatt(const perceptron::Dataset& data, float eta, float threshold,
                                   int epochs, uint64_t seed) {
  nn::Sequential model = perceptron::make_perceptron(data.num_features(), threshold);
  optim::SGD optimizer(perceptron::sgd_learning_rate(eta));
  perceptron::HandWrittenPerceptron reference;
  reference.weights.assign(static_cast<size_t>(data.num_features()), 0.0f);
  reference.threshold = threshold;
  reference.eta = eta;

  random::Generator gen(seed);
  int64_t total_mistakes = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    const auto order = perceptron::epoch_order(data.size(), gen);
    const int64_t framework_mistakes = perceptron::train_epoch(model, optimizer, data, order);
    const int64_t reference_mistakes = reference.train_epoch(data, order);
    INFO("epoch " << epoch);
    CHECK(framework_mistakes == reference_mistakes);
    const auto w = weights_of(model).values();
    for (size_t j = 0; j < w.size(); ++j) {
      INFO("weight " << j << ": framework " << w[j] << ", by hand " << reference.weights[j]);
      CHECK(same_bits(w[j], reference.weights[j]));
    }
    CHECK(same_bits(bias_of(model).item(), reference.bias));
    total_mistakes += framework_mistakes;
  }
  CHECK(total_mistakes > 0);  // the comparison covered updates, not just idle epochs
}

}  // namespace

TEST_CASE("the framework perceptron equals Rosenblatt's rule bit for bit after every epoch") {
  SUBCASE("built-in data, eta 1") {
    check_framework_is_rosenblatt(perceptron::make_clouds(0), 1.0f, 0.0f, 8, 0);
  }
  SUBCASE("built-in data of another seed, eta 0.1 (not a power of two), threshold 0.5") {
    check_framework_is_rosenblatt(perceptron::make_clouds(5), 0.1f, 0.5f, 12, 5);
  }
  SUBCASE("xor: updates every epoch, forever") {
    check_framework_is_rosenblatt(perceptron::make_gate("xor"), 0.3f, 0.0f, 25, 1);
  }
  SUBCASE("and, with a negative threshold") {
    check_framework_is_rosenblatt(perceptron::make_gate("and"), 0.7f, -0.25f, 10, 2);
  }
}

TEST_CASE("one framework step is w += eta (y - y_hat) x") {
  nn::Sequential model = perceptron::make_perceptron(2, 0.0f);
  optim::SGD optimizer(perceptron::sgd_learning_rate(0.5f));
  // Zero weights predict 1 (step(0) = 1 at threshold 0); the label 0 makes it a mistake.
  perceptron::Dataset one{Tensor({{2.0f, -3.0f}}), zeros({1, 1}), "one sample"};
  const std::vector<int64_t> order = {0};
  CHECK(perceptron::train_epoch(model, optimizer, one, order) == 1);
  CHECK(weights_of(model).at({0, 0}) == -1.0f);  // 0 + 0.5 * (0 - 1) * 2
  CHECK(weights_of(model).at({0, 1}) == 1.5f);   // 0 + 0.5 * (0 - 1) * -3
  CHECK(bias_of(model).item() == -0.5f);
  // Now w.x + b = -2 - 4.5 - 0.5 < 0: predicted 0, correct, so nothing moves.
  CHECK(perceptron::train_epoch(model, optimizer, one, order) == 0);
  CHECK(weights_of(model).at({0, 0}) == -1.0f);
  CHECK(bias_of(model).item() == -0.5f);
}

TEST_CASE("the built-in data is linearly separable with a margin, and seeded") {
  const auto data = perceptron::make_clouds(0);
  CHECK(data.size() == 200);
  CHECK(data.num_features() == 2);
  CHECK(sum(data.labels).item() == 100.0f);
  CHECK(array_equal(perceptron::make_clouds(0).features, data.features));
  CHECK_FALSE(array_equal(perceptron::make_clouds(1).features, data.features));
}

TEST_CASE("gates: truth tables, and unknown names are refused") {
  CHECK(array_equal(perceptron::make_gate("and").labels, reshape(Tensor({0, 0, 0, 1}), {4, 1})));
  CHECK(array_equal(perceptron::make_gate("or").labels, reshape(Tensor({0, 1, 1, 1}), {4, 1})));
  CHECK(array_equal(perceptron::make_gate("nand").labels, reshape(Tensor({1, 1, 1, 0}), {4, 1})));
  CHECK(array_equal(perceptron::make_gate("xor").labels, reshape(Tensor({0, 1, 1, 0}), {4, 1})));
  CHECK_THROWS_AS(perceptron::make_gate("nor"), ValueError);
}

// ---- the built program ------------------------------------------------------------------------

namespace {

/// The numbers N and M of a line "converged after N epochs (0 mistakes on M samples)", if it is
/// one. (std::regex is avoided: GCC 12 warns inside it in optimized builds.)
std::optional<std::pair<std::string, std::string>> converged_line(const std::string& line) {
  const std::string head = "converged after ", middle = " epochs (0 mistakes on ",
                    tail = " samples)";
  if (!line.starts_with(head) || !line.ends_with(tail)) return std::nullopt;
  const size_t at = line.find(middle);
  if (at == std::string::npos) return std::nullopt;
  const std::string epochs = line.substr(head.size(), at - head.size());
  const std::string samples =
      line.substr(at + middle.size(), line.size() - tail.size() - at - middle.size());
  const auto digits = [](const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!digits(epochs) || !digits(samples)) return std::nullopt;
  return std::pair{epochs, samples};
}

testing::ProcessResult run_trainer(const TempDir& dir, const std::vector<std::string>& args) {
  return dir.run(testing::built_program("examples/perceptron_trainer"), args);
}

std::string last_line(const std::string& text) {
  const auto lines = testing::lines_of(text);
  return lines.empty() ? "" : lines.back();
}

}  // namespace

TEST_CASE("perceptron_trainer converges on its built-in data, saves, reloads and draws") {
  TempDir dir;
  const auto result = run_trainer(dir, {});
  INFO(result.out << result.err);
  REQUIRE(result.status == 0);
  const auto verdict = converged_line(last_line(result.out));
  REQUIRE(verdict.has_value());
  CHECK(verdict->second == "200");
  CHECK(result.out.find("epoch 1: ") != std::string::npos);
  CHECK(result.out.find("accuracy") != std::string::npos);
  CHECK(result.out.find("identical predictions") != std::string::npos);

  // The model file: a Linear and a straight-through Step with its threshold, and it predicts
  // every built-in sample correctly.
  REQUIRE(dir.has("perceptron.json"));
  const std::string json = dir.read("perceptron.json");
  CHECK(json.find("\"threshold\": 0.0") != std::string::npos);
  io::LoadedModel loaded = io::load(dir / "perceptron.json");
  const auto data = perceptron::make_clouds(0);
  CHECK(array_equal((*loaded.model)(data.features), data.labels));

  // The picture: an SVG with a title, one circle per point, the line and the chart.
  REQUIRE(dir.has("perceptron.svg"));
  const std::string svg = dir.read("perceptron.svg");
  CHECK(svg.starts_with("<?xml"));
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(svg.find("converged after " + verdict->first + " epochs") != std::string::npos);
  CHECK(svg.find("mistakes per epoch") != std::string::npos);
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) {
    ++circles;
  }
  CHECK(circles >= 200);
}

TEST_CASE("perceptron_trainer learns the and gate and fails on xor with exit status 3") {
  TempDir dir;
  const auto and_gate =
      run_trainer(dir, {"--gate", "and", "--out", "and.json", "--plot", "and.svg"});
  INFO(and_gate.out << and_gate.err);
  CHECK(and_gate.status == 0);
  CHECK(converged_line(last_line(and_gate.out)).has_value());
  CHECK(last_line(and_gate.out).ends_with("(0 mistakes on 4 samples)"));
  CHECK(dir.has("and.json"));
  CHECK(dir.has("and.svg"));

  const auto xor_gate = run_trainer(dir, {"--gate", "xor", "--epochs", "30"});
  INFO(xor_gate.out << xor_gate.err);
  CHECK(xor_gate.status == 3);
  CHECK(xor_gate.out.find("did not converge after 30 epochs") != std::string::npos);
  CHECK(xor_gate.out.find("linearly separable") != std::string::npos);  // and why
  CHECK(xor_gate.out.find("no such line exists") != std::string::npos);
  CHECK(dir.has("perceptron.svg"));  // the failure is drawn too
}

TEST_CASE("perceptron_trainer reads --data CSV files and refuses bad input and options") {
  TempDir dir;
  dir.write("or.csv", "a,b,label\n0,0,0\n0,1,1\n\n1,0,1\n1,1,1\n");
  const auto ok = run_trainer(dir, {"--data", "or.csv", "--lr", "0.5", "--seed", "3"});
  INFO(ok.out << ok.err);
  CHECK(ok.status == 0);
  CHECK(last_line(ok.out).ends_with("(0 mistakes on 4 samples)"));

  dir.write("bad_label.csv", "0,0,0\n1,1,2\n");
  const auto bad_label = run_trainer(dir, {"--data", "bad_label.csv"});
  CHECK(bad_label.status == 1);
  CHECK(bad_label.err.find("bad_label.csv") != std::string::npos);
  CHECK(bad_label.err.find("0 or 1") != std::string::npos);

  dir.write("bad_number.csv", "0,0,0\n1,x,1\n");
  const auto bad_number = run_trainer(dir, {"--data", "bad_number.csv"});
  CHECK(bad_number.status == 1);
  CHECK(bad_number.err.find("line 2, column 2") != std::string::npos);

  CHECK(run_trainer(dir, {"--data", "missing.csv"}).status == 1);
  CHECK(run_trainer(dir, {"--gate", "nor"}).status == 2);
  CHECK(run_trainer(dir, {"--epochs", "0"}).status == 2);
  CHECK(run_trainer(dir, {"--lr", "fast"}).status == 2);
  CHECK(run_trainer(dir, {"--frobnicate"}).status == 2);
  CHECK(run_trainer(dir, {"--gate", "and", "--data", "or.csv"}).status == 2);
  const auto help = run_trainer(dir, {"--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("--gate") != std::string::npos);
}
