// The short example programs run on their own, quickly, and exit 0.

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "minnow/io/model_file.hpp"
#include "tools/process_testing.hpp"

using minnow::testing::TempDir;

namespace {

/// Runs examples/<name> in a fresh folder; checks it exits 0 within a generous time bound.
minnow::testing::ProcessResult run_example(const TempDir& dir, const std::string& name) {
  const auto start = std::chrono::steady_clock::now();
  auto result = dir.run(minnow::testing::built_program("examples/" + name), {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(name << " printed:\n" << result.out << result.err);
  CHECK(result.status == 0);
  CHECK(seconds <
        10.0);  // "well under a second" in a release build; Debug and sanitizers are slower
  return result;
}

}  // namespace

TEST_CASE("xor_mlp learns XOR with Adam, saves and reloads it") {
  TempDir dir;
  const auto result = run_example(dir, "xor_mlp");
  CHECK(result.out.find("learned XOR") != std::string::npos);
  CHECK(result.out.find("identical") != std::string::npos);
  REQUIRE(dir.has("xor_mlp.json"));
  const auto loaded = minnow::io::load(dir / "xor_mlp.json");
  CHECK(loaded.has_parameters);
  CHECK(loaded.model->num_parameters() == 2 * 8 + 8 + 8 + 1);
}

TEST_CASE("custom_module registers a residual block, trains, saves and loads it") {
  TempDir dir;
  const auto result = run_example(dir, "custom_module");
  CHECK(result.out.find("ResidualBlock(dims=16, hidden_dims=32") != std::string::npos);
  CHECK(result.out.find("identical") != std::string::npos);
  REQUIRE(dir.has("custom_module.json"));
  CHECK(dir.read("custom_module.json").find("\"type\": \"ResidualBlock\"") != std::string::npos);
}

TEST_CASE("load_safetensors runs a config-only model with MLX-style safetensors weights") {
  TempDir dir;
  const auto result = run_example(dir, "load_safetensors");
  CHECK(result.out.find("match the network computed by hand") != std::string::npos);
  CHECK(dir.has("mlp.json"));
  CHECK(dir.has("mlp.safetensors"));
}

TEST_CASE("train_loop runs the MLX-style training loop and reduces the loss") {
  TempDir dir;
  const auto result = run_example(dir, "train_loop");
  CHECK_FALSE(result.out.empty());
}
