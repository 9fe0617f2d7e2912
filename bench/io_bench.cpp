#include "io_bench.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <benchmark/benchmark.h>

#include "minnow/core/random.hpp"
#include "minnow/io/io.hpp"
#include "minnow/nn/nn.hpp"

namespace minnow::bench {

namespace {

namespace fs = std::filesystem;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// About a million parameters: 1024 * 512 + 512 + 512 * 1024 + 1024 = 1,050,112 (4.2 MB).
nn::Sequential make_model() {
  random::seed(3);
  return nn::Sequential{nn::Linear(1024, 512), nn::ReLU(), nn::Linear(512, 1024)};
}

io::SaveOptions encoded_as(io::Encoding encoding) {
  io::SaveOptions options;
  options.encoding = encoding;
  return options;
}

// The model, and one file of it in each format, in a fresh folder removed at exit.
class IoFixture {
 public:
  IoFixture() : folder_(make_folder()), model_(make_model()) {
    io::save(model_, json_data(), encoded_as(io::Encoding::data));
    io::save(model_, json_base64(), encoded_as(io::Encoding::base64));
    io::save_tensors(model_.parameters(), safetensors());
    // The plain read and write move as many bytes as the safetensors file holds.
    const std::vector<char> bytes(static_cast<size_t>(fs::file_size(safetensors())), 1);
    write_file(plain(), bytes);
  }
  ~IoFixture() {
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }
  IoFixture(const IoFixture&) = delete;
  IoFixture& operator=(const IoFixture&) = delete;

  nn::Sequential& model() { return model_; }
  fs::path json_data() const { return folder_ / "model_data.json"; }
  fs::path json_base64() const { return folder_ / "model_base64.json"; }
  fs::path safetensors() const { return folder_ / "model.safetensors"; }
  fs::path plain() const { return folder_ / "plain.bin"; }
  fs::path scratch() const { return folder_ / "scratch.bin"; }

  static void write_file(const fs::path& path, const std::vector<char>& bytes) {
    const File file(std::fopen(path.c_str(), "wb"));
    if (!file || std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
      throw std::runtime_error("cannot write " + path.string());
    }
  }

 private:
  static fs::path make_folder() {
    std::random_device entropy;
    const fs::path folder =
        fs::temp_directory_path() / ("minnow_bench_" + std::to_string(entropy()));
    fs::create_directories(folder);
    return folder;
  }

  fs::path folder_;
  nn::Sequential model_;
};

IoFixture& fixture() {
  static IoFixture instance;
  return instance;
}

void report_bytes(benchmark::State& state, const fs::path& path) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(fs::file_size(path)));
}

// The baseline of every load: the file's bytes into a freshly allocated buffer, as a loader
// must do at the least.
void plain_read(benchmark::State& state) {
  const fs::path path = fixture().plain();
  const auto size = static_cast<size_t>(fs::file_size(path));
  for (auto _ : state) {
    const File file(std::fopen(path.c_str(), "rb"));
    const auto buffer = std::make_unique_for_overwrite<char[]>(size);  // not zero-filled
    if (!file || std::fread(buffer.get(), 1, size, file.get()) != size) {
      state.SkipWithError("cannot read the plain file");
      break;
    }
    benchmark::DoNotOptimize(buffer.get());
  }
  report_bytes(state, path);
}

void plain_write(benchmark::State& state) {
  const std::vector<char> bytes(static_cast<size_t>(fs::file_size(fixture().plain())), 1);
  for (auto _ : state) IoFixture::write_file(fixture().scratch(), bytes);
  report_bytes(state, fixture().scratch());
}

void save_json(benchmark::State& state, io::Encoding encoding) {
  IoFixture& files = fixture();
  const fs::path path = files.scratch();
  for (auto _ : state) io::save(files.model(), path, encoded_as(encoding));
  report_bytes(state, path);
}

void load_json(benchmark::State& state, io::Encoding encoding) {
  const fs::path path =
      encoding == io::Encoding::data ? fixture().json_data() : fixture().json_base64();
  for (auto _ : state) {
    const io::LoadedModel loaded = io::load(path);
    benchmark::DoNotOptimize(loaded.model.get());
  }
  report_bytes(state, path);
}

void save_safetensors(benchmark::State& state) {
  IoFixture& files = fixture();
  const fs::path path = files.scratch();
  for (auto _ : state) io::save_tensors(files.model().parameters(), path);
  report_bytes(state, path);
}

// Reading the weights into the model, as loading a checkpoint does: io::load_weights checks the
// file's names and shapes against the model, then reads the tensors straight into storage.
void load_safetensors(benchmark::State& state) {
  IoFixture& files = fixture();
  const fs::path path = files.safetensors();
  for (auto _ : state) benchmark::DoNotOptimize(io::load_weights(files.model(), path));
  report_bytes(state, path);
}

}  // namespace

void register_io_benchmarks() {
  const auto in_microseconds = [](benchmark::internal::Benchmark* b) {
    b->Unit(benchmark::kMicrosecond);
  };
  in_microseconds(benchmark::RegisterBenchmark("io/plain_read", plain_read));
  in_microseconds(benchmark::RegisterBenchmark("io/plain_write", plain_write));
  in_microseconds(benchmark::RegisterBenchmark("io/json_data/save", save_json, io::Encoding::data));
  in_microseconds(benchmark::RegisterBenchmark("io/json_data/load", load_json, io::Encoding::data));
  in_microseconds(
      benchmark::RegisterBenchmark("io/json_base64/save", save_json, io::Encoding::base64));
  in_microseconds(
      benchmark::RegisterBenchmark("io/json_base64/load", load_json, io::Encoding::base64));
  in_microseconds(benchmark::RegisterBenchmark("io/safetensors/save", save_safetensors));
  in_microseconds(benchmark::RegisterBenchmark("io/safetensors/load", load_safetensors));
}

}  // namespace minnow::bench
