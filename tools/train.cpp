// `minnow train MODEL DATA.csv -o OUT`: mini-batch training with any loss and optimizer of the
// library, then an atomic write of the trained model. Everything that can be wrong with the
// command line, the files or their shapes is checked before the first step, and nothing is
// written unless training finishes: an existing OUT survives any failure.

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/io/csv.hpp"
#include "minnow/io/model_file.hpp"
#include "minnow/io/text.hpp"
#include "minnow/nn/value_and_grad.hpp"
#include "minnow/optim/clip.hpp"
#include "minnow/tools/commands.hpp"
#include "minnow/tools/losses.hpp"
#include "minnow/tools/model_check.hpp"
#include "minnow/tools/optimizers.hpp"
#include "minnow/tools/progress.hpp"

namespace minnow::tools {
namespace {

/// A CSV file split into the model's inputs and the loss's targets.
struct Examples {
  Tensor inputs;   // [rows, input columns]
  Tensor targets;  // [rows, target columns], or [rows] of class indices with --labels
  int64_t rows = 0;
  int64_t classes_seen = 0;  // with --labels: the largest label + 1
};

/// The line of data row `row` (0-based), found by reading the file again: only needed for an
/// error message, so the common path keeps no per-row line numbers.
int64_t line_of_row(const std::string& path, int64_t row) {
  io::CsvReader reader(path);
  for (int64_t skipped = 0; skipped < row;) {  // the rows before it, a bounded batch at a time
    skipped += reader.next(std::min<int64_t>(row - skipped, 4096)).dim(0);
  }
  reader.next(1);
  return reader.line_of(0);
}

/// Class labels must be integers in [0, 2^24) (exactly representable as float32 indices).
int64_t check_labels(const Tensor& labels, const std::string& path, int64_t column) {
  const std::span<const float> values = labels.values();
  float largest = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    if (!(v >= 0 && v < 16777216.0f && std::floor(v) == v)) {
      throw InputError(
          path + ", line " + std::to_string(line_of_row(path, static_cast<int64_t>(i))) +
          ", column " + std::to_string(column) +
          ": a class label must be a non-negative integer (--labels), got " + io::format_float(v));
    }
    largest = std::max(largest, v);
  }
  return static_cast<int64_t>(largest) + 1;
}

Examples read_examples(const std::string& path, int64_t target_columns, bool labels) {
  const Tensor table = io::read_csv(path).values;
  const int64_t columns = table.dim(1);
  const int64_t input_columns = columns - target_columns;
  if (input_columns < 1) {
    throw InputError(path + ": the rows have " + std::to_string(columns) +
                     " columns, which leaves no input columns besides " +
                     std::to_string(target_columns) + " target column" +
                     (target_columns == 1 ? "" : "s") + (labels ? " (--labels)" : " (--targets)"));
  }
  Examples examples;
  examples.rows = table.dim(0);
  examples.inputs = slice(table, 0, input_columns, 1);
  examples.targets = slice(table, input_columns, columns, 1);
  if (labels) {
    examples.targets = reshape(examples.targets, {examples.rows});
    examples.classes_seen = check_labels(examples.targets, path, columns);
  }
  return examples;
}

/// Rows [begin, end) of `order` (or of the file's order when `order` is undefined).
Tensor rows_of(const Tensor& t, const Tensor& order, int64_t begin, int64_t end) {
  if (!order.defined()) return slice(t, begin, end, 0);
  return take(t, slice(order, begin, end, 0), 0);
}

class Trainer {
 public:
  Trainer(const TrainOptions& options, int64_t target_columns)
      : options_(options),
        target_columns_(target_columns),
        objective_(options.loss, options.hyper, options.labels),
        optimizer_(make_optimizer(options.optimizer, options.hyper)) {}

  int run() {
    // The seed makes a config-only model's initial parameters, the shuffles and dropout
    // reproducible.
    random::seed(options_.seed);
    io::LoadOptions load_options;
    load_options.seed = options_.seed;
    loaded_ = io::load(options_.model, load_options);
    train_ = read_examples(options_.data, target_columns_, options_.labels);
    check_fits(train_, options_.data);
    if (!options_.validation.empty()) {
      validation_ = read_examples(options_.validation, target_columns_, options_.labels);
      check_fits(*validation_, options_.validation);
    }
    loop();
    io::SaveOptions save_options;
    save_options.metadata = loaded_.metadata;
    io::save(*loaded_.model, options_.output, save_options);
    if (!options_.quiet) {
      std::cerr << "wrote " << options_.output << " (" << options_.epochs << " epoch"
                << (options_.epochs == 1 ? "" : "s") << " of " << train_.rows << " rows)\n";
    }
    return kExitSuccess;
  }

 private:
  /// The model must take the file's input columns and give what the loss compares with its
  /// targets.
  void check_fits(const Examples& examples, const std::string& path) {
    const std::string place = csv_place(path, io::CsvReader(path).first_data_line());
    const int64_t columns = examples.inputs.dim(1);
    if (columns % objective_.parts() != 0) {
      throw InputError(place + ": the " + objective_.name() + " loss needs " +
                       std::to_string(objective_.parts()) +
                       " inputs of equal width side by side in each row, but the row has " +
                       std::to_string(columns) + " input columns");
    }
    nn::Module& model = *loaded_.model;
    const int64_t outputs =
        probe_output_width(model, columns / objective_.parts(), options_.model, place);
    const std::string problem =
        objective_.mismatch(outputs, target_columns_, examples.classes_seen);
    if (!problem.empty()) throw InputError(options_.model + " and " + place + ": " + problem);
  }

  void loop() {
    nn::Module& model = *loaded_.model;
    model.train();
    auto loss_and_grad = nn::value_and_grad(
        model,
        [this](nn::Module& m, const Tensor& x, const Tensor& y) { return objective_(m, x, y); });
    const int64_t rows = train_.rows;
    const int64_t batch = std::min(options_.batch_size, rows);
    const int64_t steps = (rows + batch - 1) / batch;
    Progress progress(std::cerr, progress_style_for_stderr(options_.quiet), options_.epochs, steps,
                      rows);
    random::Generator shuffler(options_.seed);

    for (int64_t epoch = 1; epoch <= options_.epochs; ++epoch) {
      const Tensor order = options_.shuffle ? random::permutation(rows, &shuffler) : Tensor();
      double loss_sum = 0;
      for (int64_t step = 0; step < steps; ++step) {
        const int64_t begin = step * batch, end = std::min(rows, begin + batch);
        const Tensor x = rows_of(train_.inputs, order, begin, end);
        const Tensor y = rows_of(train_.targets, order, begin, end);
        auto [loss, grads] = loss_and_grad(model, x, y);
        const float value = loss.item();
        if (!std::isfinite(value)) {
          throw InputError("training diverged: the loss became " + std::to_string(value) +
                           " at epoch " + std::to_string(epoch) + ", step " +
                           std::to_string(step + 1) + " (try a smaller --lr); " + options_.output +
                           " was not written");
        }
        if (options_.clip_grad_norm) {
          grads = optim::clip_grad_norm(grads, *options_.clip_grad_norm).first;
        }
        optimizer_->update(model, grads);
        loss_sum += static_cast<double>(value) * static_cast<double>(end - begin);
        progress.step(epoch, step + 1, end, loss_sum / static_cast<double>(end));
      }
      progress.end_epoch(epoch, loss_sum / static_cast<double>(rows), validate());
    }
  }

  /// The loss (and accuracy) on the validation rows, in eval mode.
  std::optional<ValidationReport> validate() {
    if (!validation_) return std::nullopt;
    nn::Module& model = *loaded_.model;
    model.eval();
    const int64_t rows = validation_->rows;
    const int64_t batch = std::max<int64_t>(options_.batch_size, 256);
    double loss_sum = 0;
    int64_t correct = 0, judged = 0;
    for (int64_t begin = 0; begin < rows; begin += batch) {
      const int64_t end = std::min(rows, begin + batch);
      const Tensor x = slice(validation_->inputs, begin, end, 0);
      const Tensor y = slice(validation_->targets, begin, end, 0);
      const auto outputs = objective_.outputs(model, x);
      loss_sum += static_cast<double>(objective_.loss(outputs, y).item()) *
                  static_cast<double>(end - begin);
      if (objective_.has_accuracy()) {
        const auto [right, total] = objective_.count_correct(outputs, y);
        correct += right;
        judged += total;
      }
    }
    model.train();
    ValidationReport report{loss_sum / static_cast<double>(rows), std::nullopt};
    if (judged > 0) report.accuracy = static_cast<double>(correct) / static_cast<double>(judged);
    return report;
  }

  const TrainOptions& options_;
  int64_t target_columns_;
  Objective objective_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  io::LoadedModel loaded_;
  Examples train_;
  std::optional<Examples> validation_;
};

/// The number of target columns: 1 for --labels, else --targets, else the loss's default.
int64_t resolve_target_columns(const TrainOptions& options) {
  if (options.loss == "triplet") {
    if (options.labels || (options.targets_given && options.targets != 0)) {
      throw UsageError(
          "the triplet loss takes no targets: each row holds an anchor, a positive "
          "and a negative input side by side (leave out --targets and --labels)");
    }
    return 0;
  }
  if (options.labels) return 1;
  if (options.targets < 1) {
    throw UsageError("--targets must be at least 1 for the " + options.loss + " loss");
  }
  return options.targets;
}

}  // namespace

int run_train(const TrainOptions& options) {
  if (options.hyper.learning_rate &&
      !(std::isfinite(*options.hyper.learning_rate) && *options.hyper.learning_rate >= 0)) {
    throw UsageError("--lr must be a non-negative number");
  }
  if (options.clip_grad_norm && !(*options.clip_grad_norm >= 0)) {
    throw UsageError("--clip-grad-norm must be a non-negative number");
  }
  const int64_t target_columns = resolve_target_columns(options);
  Trainer trainer(options, target_columns);  // checks the loss and optimizer options
  return trainer.run();
}

}  // namespace minnow::tools
