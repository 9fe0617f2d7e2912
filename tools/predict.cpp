// `minnow predict MODEL INPUT.csv [-o OUT.csv]`: one output row per input row. The input is read
// and the output written a batch at a time, so memory stays flat however large the file is.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "minnow/core/error.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/io/csv.hpp"
#include "minnow/io/model_file.hpp"
#include "minnow/tools/commands.hpp"
#include "minnow/tools/model_check.hpp"

namespace minnow::tools {
namespace {

/// Where the predictions go: standard output, or a file that appears (by an atomic rename of a
/// temporary file next to it) only once every row has been written.
class OutputSink {
 public:
  explicit OutputSink(const std::string& path) : path_(path) {
    if (path_.empty()) return;
    const std::filesystem::path target(path_);
    temporary_ = target.parent_path() /
                 ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()));
    file_.open(temporary_, std::ios::binary | std::ios::trunc);
    if (!file_) throw IOError(path_ + ": cannot create: " + std::strerror(errno));
  }
  ~OutputSink() {
    if (!temporary_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(temporary_, ignored);
    }
  }
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  void write(const std::string& text) {
    std::ostream& out = path_.empty() ? std::cout : file_;
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) throw IOError((path_.empty() ? "standard output" : path_) + ": cannot write");
  }

  /// Makes the output visible: flushes standard output, or renames the file into place.
  void commit() {
    if (path_.empty()) {
      std::cout.flush();
      return;
    }
    file_.close();
    if (!file_) throw IOError(path_ + ": cannot write");
    std::error_code error;
    std::filesystem::rename(temporary_, path_, error);
    if (error)
      throw IOError(path_ + ": cannot rename the finished output into place: " + error.message());
    temporary_.clear();
  }

 private:
  std::string path_;
  std::filesystem::path temporary_;
  std::ofstream file_;
};

}  // namespace

int run_predict(const PredictOptions& options) {
  io::LoadedModel loaded = io::load(options.model);
  nn::Module& model = *loaded.model;
  if (!options.weights.empty()) io::load_weights(model, options.weights);
  model.eval();

  io::CsvReader reader(std::filesystem::path(options.input));
  const int64_t width = reader.columns();
  probe_output_width(model, width, options.model,
                     csv_place(options.input, reader.first_data_line()));

  OutputSink sink(options.output);
  for (Tensor batch = reader.next(options.batch_size); batch.defined();
       batch = reader.next(options.batch_size)) {
    const Tensor outputs = model(batch);
    sink.write(io::format_csv(reshape(outputs, {batch.dim(0), -1})));
  }
  sink.commit();
  return kExitSuccess;
}

}  // namespace minnow::tools
