// perceptron_trainer: Rosenblatt's perceptron, trained with minnow's own pieces (a Linear layer,
// a straight-through Step, nn::value_and_grad and optim::SGD; perceptron.hpp explains why that
// is exactly the perceptron rule). With no arguments it learns built-in, seeded data; it prints
// each epoch, saves the model to perceptron.json, reloads it to check it, and draws
// perceptron.svg.
//
// Exit status: 0 converged, 3 did not converge within --epochs, 1 bad input, 2 bad command line.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "minnow/minnow.hpp"
#include "perceptron.hpp"
#include "plot.hpp"

using namespace minnow;

namespace {

constexpr int kConverged = 0, kBadInput = 1, kBadUsage = 2, kNotConverged = 3;

constexpr std::string_view kUsage = R"(Usage: perceptron_trainer [options]

Trains Rosenblatt's perceptron (a Linear layer and a straight-through Step, trained by SGD on
the squared error) until an epoch makes no mistakes, then writes the model and a picture.

Options:
  --data FILE.csv     train on FILE.csv: feature columns, then a 0/1 label column
  --gate NAME         train on a logic gate's truth table: and, or, nand or xor
                      (default: built-in data, two seeded clouds of 2-D points)
  --epochs N          give up after N epochs (100)
  --lr ETA            the perceptron's learning rate eta: w += eta (y - y_hat) x (1)
  --threshold T       the Step's threshold: predict 1 when w.x + b >= T (0)
  --seed S            seed of the built-in data and of each epoch's shuffle (0)
  --out FILE          where to save the model (perceptron.json)
  --plot FILE         where to draw the picture (perceptron.svg)
  --help              show this help

Exit status: 0 converged, 3 did not converge, 1 bad input, 2 bad command line.
)";

/// The command line is wrong (exit status 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string data, gate;
  int64_t epochs = 100;
  float eta = 1.0f;
  float threshold = 0.0f;
  uint64_t seed = 0;
  std::string out = "perceptron.json";
  std::string plot = "perceptron.svg";
  bool help = false;
};

template <class T>
T parse_number(std::string_view flag, std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw UsageError(std::string(flag) + ": not a valid number: '" + std::string(text) + "'");
  }
  return value;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      options.help = true;
      continue;
    }
    std::optional<std::string_view> value;  // --flag=value or --flag value
    if (const auto eq = flag.find('='); eq != std::string_view::npos && flag.starts_with("--")) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    const auto next = [&]() -> std::string_view {
      if (value) return *value;
      if (i + 1 >= argc) throw UsageError(std::string(flag) + " needs a value");
      return argv[++i];
    };
    if (flag == "--data")
      options.data = next();
    else if (flag == "--gate")
      options.gate = next();
    else if (flag == "--epochs")
      options.epochs = parse_number<int64_t>(flag, next());
    else if (flag == "--lr")
      options.eta = parse_number<float>(flag, next());
    else if (flag == "--threshold")
      options.threshold = parse_number<float>(flag, next());
    else if (flag == "--seed")
      options.seed = parse_number<uint64_t>(flag, next());
    else if (flag == "--out")
      options.out = next();
    else if (flag == "--plot")
      options.plot = next();
    else
      throw UsageError("unknown option '" + std::string(argv[i]) + "' (see --help)");
  }
  if (!options.data.empty() && !options.gate.empty()) {
    throw UsageError("--data and --gate cannot be used together");
  }
  if (options.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (!(std::isfinite(options.eta) && options.eta > 0)) {
    throw UsageError("--lr must be a positive number");
  }
  if (!std::isfinite(options.threshold)) throw UsageError("--threshold must be finite");
  const std::vector<std::string> gates = {"and", "or", "nand", "xor"};
  if (!options.gate.empty() && std::find(gates.begin(), gates.end(), options.gate) == gates.end()) {
    throw UsageError("--gate must be one of and, or, nand, xor (got '" + options.gate + "')");
  }
  return options;
}

perceptron::Dataset load_dataset(const Options& options) {
  if (!options.gate.empty()) return perceptron::make_gate(options.gate);
  if (!options.data.empty()) return perceptron::read_dataset(options.data);
  return perceptron::make_clouds(options.seed);
}

std::string percent(int64_t part, int64_t whole) {
  const double value = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  char buffer[16];
  const auto end =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 1);
  return std::string(buffer, end.ptr) + "%";
}

/// Saves the model, loads the file back and checks that the loaded model predicts exactly what
/// the trained one does on every sample.
void save_and_verify(nn::Module& model, const perceptron::Dataset& data, const Options& options,
                     int64_t epochs) {
  io::SaveOptions save_options;
  save_options.metadata = {{"task", "perceptron: " + data.description},
                           {"epochs", std::to_string(epochs)},
                           {"learning_rate", io::format_float(options.eta)}};
  io::save(model, options.out, save_options);
  const io::LoadedModel loaded = io::load(options.out);
  if (!array_equal((*loaded.model)(data.features), model(data.features))) {
    throw std::runtime_error(options.out + ": the reloaded model predicts differently");
  }
  std::cout << "saved " << options.out << " and loaded it back: identical predictions on all "
            << data.size() << " samples\n";
}

/// Writes the picture: the points and the learned line (2-D data), and the mistakes per epoch.
void draw(const nn::Sequential& model, const perceptron::Dataset& data, const Options& options,
          const std::vector<int64_t>& history, bool converged) {
  perceptron::PlotData plot;
  const auto& linear = dynamic_cast<const nn::Linear&>(model[0]);
  plot.threshold = options.threshold;
  plot.b = linear.bias().item();
  if (data.num_features() == 2) {
    plot.w0 = linear.weight().data()[0];
    plot.w1 = linear.weight().data()[1];
    for (int64_t i = 0; i < data.size(); ++i) {
      plot.xs.push_back(data.features.data()[2 * i]);
      plot.ys.push_back(data.features.data()[2 * i + 1]);
      plot.labels.push_back(data.labels.data()[i] != 0.0f ? 1 : 0);
    }
  }
  plot.mistakes_per_epoch.assign(history.begin(), history.end());
  plot.num_features = static_cast<int>(data.num_features());
  plot.converged = converged;
  const auto epochs = std::to_string(history.size());
  plot.title = converged ? "The perceptron converged after " + epochs + " epochs"
                         : "The perceptron did not converge in " + epochs + " epochs";
  plot.subtitle = data.description + " \xC2\xB7 " + std::to_string(data.size()) +
                  " samples \xC2\xB7 learned with minnow: Linear + straight-through Step + SGD";
  std::ofstream file(options.plot, std::ios::binary);
  file << perceptron::render_svg(plot);
  if (!file.flush()) throw IOError(options.plot + ": cannot write the picture");
  std::cout << "drew " << options.plot << "\n";
}

int train(const Options& options) {
  const perceptron::Dataset data = load_dataset(options);
  nn::Sequential model = perceptron::make_perceptron(data.num_features(), options.threshold);
  // lr = eta / 2: the squared error's gradient carries a factor 2 (see perceptron.hpp).
  optim::SGD optimizer(perceptron::sgd_learning_rate(options.eta));
  random::Generator shuffle(options.seed);

  std::cout << "perceptron: " << data.size() << " samples, " << data.num_features() << " features ("
            << data.description << ")\n"
            << "model: " << model << "\n";
  std::vector<int64_t> history;
  bool converged = false;
  while (!converged && static_cast<int64_t>(history.size()) < options.epochs) {
    const auto order = perceptron::epoch_order(data.size(), shuffle);
    const int64_t mistakes = perceptron::train_epoch(model, optimizer, data, order);
    history.push_back(mistakes);
    converged = mistakes == 0;
    const int64_t correct = perceptron::count_correct(model, data);
    std::cout << "epoch " << history.size() << ": " << mistakes
              << (mistakes == 1 ? " mistake" : " mistakes") << " while learning, accuracy after it "
              << percent(correct, data.size()) << "\n";
  }
  const auto& linear = dynamic_cast<const nn::Linear&>(model[0]);
  std::cout << "learned: w = " << linear.weight() << ", b = " << linear.bias() << "\n";

  save_and_verify(model, data, options, static_cast<int64_t>(history.size()));
  draw(model, data, options, history, converged);

  if (converged) {
    std::cout << "converged after " << history.size() << " epochs (0 mistakes on " << data.size()
              << " samples)" << std::endl;
    return kConverged;
  }
  std::cout << "did not converge after " << history.size() << " epochs (" << history.back()
            << " mistakes on " << data.size() << " samples in the last epoch)\n"
            << "why: the perceptron rule settles only when one straight line (a hyperplane) puts "
               "every sample of class 1 on one side and every sample of class 0 on the other: "
               "when the data is linearly separable. When no such line exists, as for XOR, every "
               "epoch leaves some sample on the wrong side, and fixing it moves the line past "
               "another, forever (Minsky and Papert, 1969). A hidden layer solves it: see "
               "examples/xor_mlp."
            << std::endl;
  return kNotConverged;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse_options(argc, argv);
    if (options.help) {
      std::cout << kUsage;
      return 0;
    }
    return train(options);
  } catch (const UsageError& e) {
    std::cerr << "perceptron_trainer: error: " << e.what() << "\n";
    return kBadUsage;
  } catch (const std::exception& e) {
    std::cerr << "perceptron_trainer: error: " << e.what() << "\n";
    return kBadInput;
  }
}
