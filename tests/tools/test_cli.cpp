// The minnow command-line tool, end to end: the built binary is run in a fresh folder the way
// other programs run it, and its exit status, standard output, standard error and files are
// checked against docs/cli.md.

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "minnow/minnow.hpp"
#include "tools/process_testing.hpp"

using namespace minnow;
using minnow::testing::lines_of;
using minnow::testing::ProcessResult;
using minnow::testing::TempDir;

namespace {

ProcessResult minnow_tool(const TempDir& dir, const std::vector<std::string>& args) {
  return dir.run(testing::built_program("tools/minnow"), args);
}

/// The error contract: nothing on standard output, exactly one line on standard error, starting
/// with "minnow: error: " and containing every one of `parts`.
void check_error(const ProcessResult& result, int status, const std::vector<std::string>& parts) {
  INFO("stdout: " << result.out);
  INFO("stderr: " << result.err);
  CHECK(result.status == status);
  CHECK(result.out.empty());
  const auto lines = lines_of(result.err);
  REQUIRE(lines.size() == 1);
  CHECK(result.err.ends_with("\n"));
  CHECK(lines[0].starts_with("minnow: error: "));
  for (const auto& part : parts) {
    INFO("expected to find: " << part);
    CHECK(lines[0].find(part) != std::string::npos);
  }
}

constexpr const char* kRegressionModel = R"({"format": "minnow.model", "version": 1,
  "model": {"type": "Sequential", "layers": [
    {"type": "Linear", "input_dims": 2, "output_dims": 4}, {"type": "Tanh"},
    {"type": "Linear", "input_dims": 4, "output_dims": 1}]}})";

/// Rows of x1, x2, y with y = 0.5 x1 - x2 + 0.25, on a grid (no randomness needed).
std::string regression_csv(bool header = true) {
  std::string text = header ? "x1,x2,y\n" : "";
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 5; ++j) {
      const float x1 = -1.0f + 0.4f * static_cast<float>(i),
                  x2 = -1.0f + 0.5f * static_cast<float>(j);
      text += io::format_float(x1) + "," + io::format_float(x2) + "," +
              io::format_float(0.5f * x1 - x2 + 0.25f) + "\n";
    }
  }
  return text;
}

/// The first two columns of regression_csv().
std::string inputs_csv() {
  std::string text;
  for (const auto& line : lines_of(regression_csv(false))) {
    text += line.substr(0, line.rfind(',')) + "\n";
  }
  return text;
}

/// The values of a CSV file minnow wrote, row-major.
std::vector<float> read_values(const std::string& text) {
  std::vector<float> values;
  for (const auto& line : lines_of(text)) {
    size_t start = 0;
    while (true) {
      const size_t comma = line.find(',', start);
      const auto cell =
          line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      const auto parsed = io::parse_float(cell);
      REQUIRE(parsed.status == io::ParseStatus::ok);
      values.push_back(parsed.value);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return values;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("minnow --help and SUBCOMMAND --help print usage on standard output") {
  TempDir dir;
  const auto top = minnow_tool(dir, {"--help"});
  CHECK(top.status == 0);
  for (const char* word : {"summary", "predict", "train", "convert"}) {
    CHECK(top.out.find(word) != std::string::npos);
  }
  const auto train = minnow_tool(dir, {"train", "--help"});
  CHECK(train.status == 0);
  for (const char* option : {"--targets", "--labels", "--loss", "--optimizer", "--lr", "--momentum",
                             "--weight-decay", "--betas", "--epochs", "--batch-size",
                             "--no-shuffle", "--seed", "--validation", "--quiet"}) {
    INFO(option);
    CHECK(train.out.find(option) != std::string::npos);
  }
  for (const char* command : {"summary", "predict", "convert"}) {
    const auto help = minnow_tool(dir, {command, "--help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("Usage") != std::string::npos);
  }
}

TEST_CASE("train -> save -> predict: a round trip that matches the library bit for bit") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  dir.write("data.csv", regression_csv());
  dir.write("inputs.csv", inputs_csv());

  // With --no-shuffle and one batch of every row, 3 epochs are exactly 3 full-batch steps.
  const auto trained = minnow_tool(
      dir, {"train", "model.json", "data.csv", "-o", "out.json", "--no-shuffle", "--batch-size",
            "30", "--epochs", "3", "--lr", "0.1", "--seed", "7", "--quiet"});
  INFO(trained.err);
  REQUIRE(trained.status == 0);
  CHECK(trained.out.empty());
  CHECK(trained.err.empty());  // --quiet

  // The same training, in process.
  io::LoadOptions options;
  options.seed = 7;
  random::seed(7);
  io::LoadedModel expected = io::load(dir / "model.json", options);
  const Tensor table = io::read_csv(dir / "data.csv").values;
  const Tensor x = slice(table, 0, 2, 1), y = slice(table, 2, 3, 1);
  optim::SGD sgd(0.1f);
  auto loss_and_grad = nn::value_and_grad(
      *expected.model, [](nn::Module& m, const Tensor& in, const Tensor& target) {
        return nn::losses::mse_loss(m(in), target);
      });
  for (int step = 0; step < 3; ++step) {
    auto [loss, grads] = loss_and_grad(*expected.model, x, y);
    sgd.update(*expected.model, grads);
  }
  io::LoadedModel actual = io::load(dir / "out.json");
  CHECK(actual.has_parameters);
  const TensorMap want = expected.model->parameters(), got = actual.model->parameters();
  REQUIRE(want.size() == got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(want.name_at(i));
    CHECK(want.name_at(i) == got.name_at(i));
    CHECK(same_bits(want.value_at(i), got.value_at(i)));
  }

  // A model file with parameters continues from them: SGD keeps no state, so 3 more epochs
  // from out.json are the same as 6 epochs from the start.
  const std::vector<std::string> common = {
      "--no-shuffle", "--batch-size", "30", "--lr", "0.1", "--seed", "7", "--quiet", "--epochs"};
  auto more = std::vector<std::string>{"train", "out.json", "data.csv", "-o", "more.json"};
  more.insert(more.end(), common.begin(), common.end());
  more.push_back("3");
  auto six = std::vector<std::string>{"train", "model.json", "data.csv", "-o", "six.json"};
  six.insert(six.end(), common.begin(), common.end());
  six.push_back("6");
  REQUIRE(minnow_tool(dir, more).status == 0);
  REQUIRE(minnow_tool(dir, six).status == 0);
  CHECK(dir.read("more.json") == dir.read("six.json"));
  CHECK(dir.read("more.json") != dir.read("out.json"));

  // predict: one row per input row, exactly the library's outputs, in any batch size.
  const auto predicted = minnow_tool(dir, {"predict", "out.json", "inputs.csv"});
  INFO(predicted.err);
  REQUIRE(predicted.status == 0);
  CHECK(lines_of(predicted.out).size() == 30);
  actual.model->eval();
  const Tensor outputs = (*actual.model)(x);
  CHECK(read_values(predicted.out) == outputs.to_vector());
  const auto one_at_a_time =
      minnow_tool(dir, {"predict", "out.json", "inputs.csv", "--batch-size", "1", "-o", "p.csv"});
  CHECK(one_at_a_time.status == 0);
  CHECK(one_at_a_time.out.empty());
  CHECK(dir.read("p.csv") == predicted.out);
  const auto seven = minnow_tool(dir, {"predict", "out.json", "inputs.csv", "--batch-size", "7"});
  CHECK(seven.out == predicted.out);
}

TEST_CASE("train is reproducible with a seed, learns, and reports each epoch on standard error") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  dir.write("data.csv", regression_csv());
  const std::vector<std::string> args = {
      "train", "model.json", "data.csv", "--epochs", "40", "--batch-size", "8",       "--optimizer",
      "adam",  "--lr",       "0.05",     "--seed",   "3",  "--validation", "data.csv"};
  auto first_args = args, second_args = args;
  first_args.insert(first_args.end(), {"-o", "a.json"});
  second_args.insert(second_args.end(), {"-o", "b.json"});
  const auto first = minnow_tool(dir, first_args);
  const auto second = minnow_tool(dir, second_args);
  INFO(first.err);
  REQUIRE(first.status == 0);
  REQUIRE(second.status == 0);
  CHECK(dir.read("a.json") == dir.read("b.json"));

  // Standard error is not a terminal here: one line per epoch, then where the model went.
  const auto lines = lines_of(first.err);
  REQUIRE(lines.size() == 41);
  CHECK(lines[0].starts_with("epoch 1/40  loss "));
  CHECK(lines[39].starts_with("epoch 40/40  loss "));
  CHECK(lines[39].find("val_loss") != std::string::npos);
  CHECK(lines[39].find("samples/s") != std::string::npos);
  CHECK(lines[38].find("left") != std::string::npos);
  CHECK(lines[39].find("done in") != std::string::npos);
  CHECK(lines[40].starts_with("wrote a.json"));
  const auto loss_of = [](const std::string& line) {
    const size_t at = line.find("loss ") + 5;
    return std::stod(line.substr(at, line.find(' ', at) - at));
  };
  CHECK(loss_of(lines[39]) < 0.1 * loss_of(lines[0]));

  // A different seed gives a different model.
  auto other_args = args;
  REQUIRE(other_args[11] == "--seed");
  other_args[12] = "4";
  other_args.insert(other_args.end(), {"-o", "c.json", "--quiet"});
  REQUIRE(minnow_tool(dir, other_args).status == 0);
  CHECK(dir.read("c.json") != dir.read("a.json"));
}

TEST_CASE("classification: cross_entropy with --labels, validation accuracy, then predict") {
  TempDir dir;
  dir.write("model.json", R"({"format": "minnow.model", "version": 1, "model":
    {"type": "Sequential", "layers": [{"type": "Linear", "input_dims": 2, "output_dims": 3}]}})");
  // Three classes by the sign pattern of (x1, x2): left, right-up, right-down.
  std::string data = "x1,x2,class\n", inputs;
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 10; ++j) {
      const float x1 = -1.0f + 0.2f * static_cast<float>(i) + 0.1f;
      const float x2 = -1.0f + 0.2f * static_cast<float>(j) + 0.1f;
      const int label = x1 < 0 ? 0 : (x2 >= 0 ? 1 : 2);
      data +=
          io::format_float(x1) + "," + io::format_float(x2) + "," + std::to_string(label) + "\n";
      inputs += io::format_float(x1) + "," + io::format_float(x2) + "\n";
    }
  }
  dir.write("data.csv", data);
  dir.write("inputs.csv", inputs);
  const auto trained =
      minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "classifier.json", "--labels",
                        "--loss", "cross_entropy", "--optimizer", "adam", "--lr", "0.1", "--epochs",
                        "60", "--batch-size", "20", "--validation", "data.csv"});
  INFO(trained.err);
  REQUIRE(trained.status == 0);
  const auto lines = lines_of(trained.err);
  REQUIRE(lines.size() >= 60);
  const size_t at = lines[59].find("val_acc ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(lines[59].substr(at + 8)) >= 90.0);  // percent

  const auto predicted = minnow_tool(dir, {"predict", "classifier.json", "inputs.csv"});
  REQUIRE(predicted.status == 0);
  const auto logits = read_values(predicted.out);
  REQUIRE(logits.size() == 300);
  int correct = 0;
  for (int row = 0; row < 100; ++row) {
    int best = 0;
    for (int c = 1; c < 3; ++c) best = logits[row * 3 + c] > logits[row * 3 + best] ? c : best;
    const int label = std::stoi(lines_of(data)[static_cast<size_t>(row + 1)].substr(
        lines_of(data)[static_cast<size_t>(row + 1)].rfind(',') + 1));
    correct += best == label ? 1 : 0;
  }
  CHECK(correct >= 90);
}

TEST_CASE("train takes every optimizer by its MLX name, with its hyper-parameters") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  dir.write("data.csv", regression_csv());
  const std::vector<std::vector<std::string>> runs = {
      {"--optimizer", "sgd"},
      {"--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--weight-decay", "0.001"},
      {"--optimizer", "sgd", "--momentum", "0.5", "--dampening", "0.1"},
      {"--optimizer", "rmsprop", "--alpha", "0.9", "--eps", "1e-7"},
      {"--optimizer", "adagrad", "--eps", "1e-6"},
      {"--optimizer", "adadelta", "--rho", "0.95", "--lr", "1"},
      {"--optimizer", "adam", "--betas", "0.8,0.99", "--bias-correction"},
      {"--optimizer", "adamw", "--weight-decay", "0.05"},
      {"--optimizer", "adamax", "--betas", "0.9,0.99"},
      {"--optimizer", "lion", "--lr", "0.001", "--weight-decay", "0.1"},
      {"--optimizer", "adafactor"},
      {"--optimizer", "adafactor", "--no-relative-step", "--lr", "0.01", "--eps", "1e-30,1e-3",
       "--beta-1", "0.9", "--no-scale-parameter"},
      {"--optimizer", "muon", "--ns-steps", "3", "--no-nesterov"},
      {"--clip-grad-norm", "0.5"},
  };
  for (const auto& extra : runs) {
    std::vector<std::string> args = {"train",    "model.json", "data.csv", "-o",
                                     "out.json", "--epochs",   "2",        "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string shown;
    for (const auto& arg : extra) shown += arg + " ";
    INFO(shown);
    const auto result = minnow_tool(dir, args);
    INFO(result.err);
    CHECK(result.status == 0);
  }
}

TEST_CASE("train takes every loss by its MLX name") {
  TempDir dir;
  const auto model = [](int inputs, int outputs, const std::string& tail = "") {
    return R"({"format": "minnow.model", "version": 1, "model": {"type": "Sequential", "layers": [
      {"type": "Linear", "input_dims": )" +
           std::to_string(inputs) + R"(, "output_dims": )" + std::to_string(outputs) + "}" + tail +
           "]}}";
  };
  dir.write("one.json", model(2, 1));
  dir.write("three.json", model(2, 3));
  dir.write("log_probs.json", model(2, 3, R"(, {"type": "LogSoftmax"})"));
  dir.write("mean_var.json", model(2, 2, R"(, {"type": "Softplus"})"));
  dir.write("embed.json", model(2, 2));
  dir.write("values.csv", "1,2,0.5\n-1,0.5,0.25\n0,1,-1\n2,-1,1\n");
  dir.write("binary.csv", "1,2,1\n-1,0.5,0\n0,1,0\n2,-1,1\n");
  dir.write("signs.csv", "1,2,1\n-1,0.5,-1\n0,1,-1\n2,-1,1\n");
  dir.write("labels.csv", "1,2,2\n-1,0.5,0\n0,1,1\n2,-1,2\n");
  dir.write("one_hot.csv", "1,2,0,0,1\n-1,0.5,1,0,0\n0,1,0,1,0\n2,-1,0,0,1\n");
  dir.write("log_targets.csv", "1,2,-1.2,-0.9,-1.2\n-1,0.5,-0.5,-1.5,-1.6\n");
  dir.write("pairs.csv", "1,2,0,1,1\n-1,0.5,2,2,-1\n0,1,1,0,1\n");
  dir.write("triplets.csv", "1,2,1.1,2.1,-1,-2\n0,1,0.1,1.2,3,0\n");

  struct Case {
    std::string loss, model, data;
    std::vector<std::string> extra;
  };
  const std::vector<Case> cases = {
      {"mse", "one.json", "values.csv", {}},
      {"mse_loss", "one.json", "values.csv", {}},
      {"l1", "one.json", "values.csv", {}},
      {"smooth_l1", "one.json", "values.csv", {"--beta", "0.5"}},
      {"huber", "one.json", "values.csv", {"--delta", "2"}},
      {"log_cosh", "one.json", "values.csv", {}},
      {"cosine_similarity", "one.json", "values.csv", {}},
      {"binary_cross_entropy", "one.json", "binary.csv", {}},
      {"hinge", "one.json", "signs.csv", {}},
      {"cross_entropy", "three.json", "labels.csv", {"--labels", "--label-smoothing", "0.1"}},
      {"cross_entropy", "three.json", "one_hot.csv", {"--targets", "3"}},
      {"nll", "log_probs.json", "labels.csv", {"--labels"}},
      {"kl_div", "log_probs.json", "log_targets.csv", {"--targets", "3"}},
      {"gaussian_nll", "mean_var.json", "values.csv", {"--full"}},
      {"margin_ranking", "one.json", "pairs.csv", {"--margin", "0.5"}},
      {"triplet", "embed.json", "triplets.csv", {"--margin", "0.5", "--p", "1"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"train",    c.model,        c.data, "-o",
                                     "out.json", "--loss",       c.loss, "--epochs",
                                     "2",        "--batch-size", "2",    "--quiet"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    INFO(c.loss << " on " << c.data);
    const auto result = minnow_tool(dir, args);
    INFO(result.err);
    CHECK(result.status == 0);
  }
}

TEST_CASE("a bad command line exits with 2 and one error line") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  dir.write("data.csv", regression_csv());
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--frobnicate"}),
              2, {"--frobnicate"});
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv"}), 2, {"--output"});
  check_error(minnow_tool(dir, {"predict", "model.json"}), 2, {"INPUT"});
  check_error(minnow_tool(dir, {}), 2, {"subcommand"});
  check_error(minnow_tool(dir, {"bake"}), 2, {"bake"});
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--lr", "fast"}),
              2, {"--lr"});
  check_error(
      minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--loss", "zap"}), 2,
      {"zap"});
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--optimizer",
                                "adam", "--momentum", "0.9"}),
              2, {"--momentum", "adam"});
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--optimizer",
                                "adam", "--betas", "0.9,1.5"}),
              2, {"Adam", "1.5"});
  check_error(
      minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--betas", "0.9"}), 2,
      {"--betas"});
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--labels",
                                "--targets", "2"}),
              2, {"--labels"});
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--delta", "1"}),
              2, {"--delta", "mse"});
  check_error(
      minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--batch-size", "0"}), 2,
      {"--batch-size"});
  check_error(minnow_tool(dir, {"convert", "model.json", "w.safetensors", "--config", "x.json"}), 2,
              {"--config"});
  check_error(minnow_tool(dir, {"convert", "w.safetensors", "out.json"}), 2, {"--config"});
  check_error(minnow_tool(dir, {"convert", "model.json", "out.txt"}), 2, {".safetensors"});
  CHECK_FALSE(dir.has("o.json"));
}

TEST_CASE("bad input exits with 1 and one error line naming the file and the place") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  dir.write("data.csv", regression_csv());
  dir.write("inputs.csv", inputs_csv());

  SUBCASE("missing files") {
    check_error(minnow_tool(dir, {"summary", "nope.json"}), 1, {"nope.json"});
    check_error(minnow_tool(dir, {"predict", "model.json", "nope.csv"}), 1, {"nope.csv"});
    check_error(minnow_tool(dir, {"train", "model.json", "nope.csv", "-o", "o.json"}), 1,
                {"nope.csv"});
    check_error(
        minnow_tool(dir, {"predict", "model.json", "inputs.csv", "--weights", "nope.safetensors"}),
        1, {"nope.safetensors"});
  }
  SUBCASE("a bad model names the JSON path") {
    dir.write("bad.json",
              R"({"format": "minnow.model", "version": 1, "model": {"type": "Sequential",
      "layers": [{"type": "Linear", "input_dims": 2, "output_dims": 1},
                 {"type": "Step", "threshold": "high"}]}})");
    check_error(minnow_tool(dir, {"summary", "bad.json"}), 1,
                {"bad.json", "model.layers[1].threshold"});
    check_error(minnow_tool(dir, {"predict", "bad.json", "inputs.csv"}), 1, {"bad.json"});
    dir.write("truncated.json", R"({"format": "minnow.model", "version": 1, "model": )");
    check_error(minnow_tool(dir, {"summary", "truncated.json"}), 1, {"truncated.json"});
    dir.write("newer.json",
              R"({"format": "minnow.model", "version": 9, "model": {"type": "ReLU"}})");
    check_error(minnow_tool(dir, {"summary", "newer.json"}), 1, {"newer.json", "9"});
  }
  SUBCASE("a bad CSV names line and column") {
    dir.write("word.csv", "1,2\n3,4\n5,abc\n");
    check_error(minnow_tool(dir, {"predict", "model.json", "word.csv"}), 1,
                {"word.csv", "line 3, column 2", "abc"});
    dir.write("ragged.csv", "1,2\n\n3,4,5\n");
    check_error(minnow_tool(dir, {"predict", "model.json", "ragged.csv"}), 1,
                {"ragged.csv", "line 3"});
    dir.write("empty_cell.csv", "x,y,t\n1,2,3\n4,,6\n");
    check_error(minnow_tool(dir, {"train", "model.json", "empty_cell.csv", "-o", "o.json"}), 1,
                {"empty_cell.csv", "line 3, column 2", "empty"});
    dir.write("nan.csv", "1,2,3\n4,nan,6\n");
    check_error(minnow_tool(dir, {"train", "model.json", "nan.csv", "-o", "o.json"}), 1,
                {"nan.csv", "line 2, column 2"});
    dir.write("no_rows.csv", "a,b\n");
    check_error(minnow_tool(dir, {"predict", "model.json", "no_rows.csv"}), 1, {"no_rows.csv"});
    dir.write("labels.csv", "1,2,0\n3,4,1\n\n5,6,0.5\n");
    dir.write("classifier.json", R"({"format": "minnow.model", "version": 1,
      "model": {"type": "Linear", "input_dims": 2, "output_dims": 2}})");
    check_error(minnow_tool(dir, {"train", "classifier.json", "labels.csv", "-o", "o.json",
                                  "--labels", "--loss", "cross_entropy"}),
                1, {"labels.csv", "line 4, column 3", "label"});
  }
  SUBCASE("width mismatches are found before any work is done") {
    // predict: the data has 3 columns, the model takes 2; nothing is written.
    check_error(minnow_tool(dir, {"predict", "model.json", "data.csv", "-o", "p.csv"}), 1,
                {"data.csv", "line 2", "3", "model.json", "2"});
    CHECK_FALSE(dir.has("p.csv"));
    // train: 2 target columns leave 1 input column.
    check_error(
        minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "o.json", "--targets", "2"}), 1,
        {"data.csv", "model.json"});
    // train: the model's outputs do not match the targets.
    dir.write("two_out.json", R"({"format": "minnow.model", "version": 1,
      "model": {"type": "Linear", "input_dims": 2, "output_dims": 2}})");
    check_error(minnow_tool(dir, {"train", "two_out.json", "data.csv", "-o", "o.json"}), 1,
                {"two_out.json", "2 outputs", "1 target column"});
    // predict --weights that do not fit the model: every problem is named.
    io::save_tensors({{"layers.0.weight", zeros({4, 3})}}, dir / "other.safetensors");
    check_error(
        minnow_tool(dir, {"predict", "model.json", "inputs.csv", "--weights", "other.safetensors"}),
        1, {"other.safetensors", "layers.0.weight", "layers.2.bias"});
  }
  CHECK_FALSE(dir.has("o.json"));
}

TEST_CASE("a failing train leaves an existing output file untouched") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  dir.write("data.csv", regression_csv());
  const std::string previous = "the previous model file\n";
  dir.write("out.json", previous);

  dir.write("broken.csv", "1,2,3\n4,5\n");
  check_error(minnow_tool(dir, {"train", "model.json", "broken.csv", "-o", "out.json"}), 1,
              {"broken.csv", "line 2"});
  CHECK(dir.read("out.json") == previous);

  // Divergence: the loss overflows; nothing is written.
  check_error(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "out.json", "--lr", "1e30",
                                "--quiet"}),
              1, {"diverged", "out.json"});
  CHECK(dir.read("out.json") == previous);

  // A bad command line does not touch it either.
  CHECK(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "out.json", "--epochs", "x"})
            .status == 2);
  CHECK(dir.read("out.json") == previous);

  // And a successful run replaces it.
  CHECK(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "out.json", "--quiet"}).status ==
        0);
  CHECK(dir.read("out.json").starts_with("{"));
}

TEST_CASE("predict skips a header and blank lines, and writes no header") {
  TempDir dir;
  dir.write("identity.json", R"({"format": "minnow.model", "version": 1,
    "model": {"type": "Sequential", "layers": [{"type": "Identity"}]}})");
  dir.write("in.csv",
            "\xEF\xBB\xBF"
            "a,b\r\n0.1,-2\r\n\r\n  3 , 1e-3\r\n");
  const auto result = minnow_tool(dir, {"predict", "identity.json", "in.csv"});
  INFO(result.err);
  REQUIRE(result.status == 0);
  CHECK(result.out == "0.1,-2\n3,0.001\n");
}

TEST_CASE("summary prints the module tree and a parameter table with the total") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  const auto result = minnow_tool(dir, {"summary", "model.json"});
  INFO(result.err);
  REQUIRE(result.status == 0);
  CHECK(result.out.starts_with("Sequential(\n  (layers.0): Linear(input_dims=2, output_dims=4"));
  CHECK(result.out.find("layers.0.weight  [4, 2]") != std::string::npos);
  CHECK(result.out.find("layers.2.bias") != std::string::npos);
  const auto lines = lines_of(result.out);
  bool total = false;
  for (const auto& line : lines)
    total = total || (line.starts_with("total") && line.ends_with(" 17"));
  CHECK(total);
}

TEST_CASE("convert: json -> safetensors -> json keeps every parameter bit for bit") {
  TempDir dir;
  dir.write("model.json", kRegressionModel);
  dir.write("data.csv", regression_csv());
  dir.write("inputs.csv", inputs_csv());
  REQUIRE(minnow_tool(dir, {"train", "model.json", "data.csv", "-o", "trained.json", "--quiet"})
              .status == 0);
  const auto to_weights = minnow_tool(dir, {"convert", "trained.json", "w.safetensors"});
  INFO(to_weights.err);
  REQUIRE(to_weights.status == 0);
  const TensorMap weights = io::load_tensors(dir / "w.safetensors");
  const TensorMap original = io::load(dir / "trained.json").model->parameters();
  REQUIRE(weights.size() == original.size());
  for (const auto& [name, tensor] : original) CHECK(same_bits(weights.at(name), tensor));

  const auto back =
      minnow_tool(dir, {"convert", "w.safetensors", "back.json", "--config", "model.json"});
  INFO(back.err);
  REQUIRE(back.status == 0);
  const TensorMap restored = io::load(dir / "back.json").model->parameters();
  for (const auto& [name, tensor] : original) CHECK(same_bits(restored.at(name), tensor));

  // predict --weights: the config-only file plus the weights predicts as the trained file.
  const auto direct = minnow_tool(dir, {"predict", "trained.json", "inputs.csv"});
  const auto with_weights =
      minnow_tool(dir, {"predict", "model.json", "inputs.csv", "--weights", "w.safetensors"});
  REQUIRE(direct.status == 0);
  REQUIRE(with_weights.status == 0);
  CHECK(direct.out == with_weights.out);

  // A config-only file has no weights to convert.
  check_error(minnow_tool(dir, {"convert", "model.json", "x.safetensors"}), 1, {"model.json"});
  // Weights that do not fit the architecture.
  dir.write("wide.json", R"({"format": "minnow.model", "version": 1,
    "model": {"type": "Linear", "input_dims": 5, "output_dims": 1}})");
  check_error(minnow_tool(dir, {"convert", "w.safetensors", "x.json", "--config", "wide.json"}), 1,
              {"w.safetensors"});
  CHECK_FALSE(dir.has("x.json"));
}
