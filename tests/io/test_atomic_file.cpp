// Atomic saving: a save that fails at any point leaves the previous file as it was and no
// temporary file behind; a save that succeeds replaces the file and keeps its permissions.

#include <doctest/doctest.h>

#include <csignal>
#include <limits>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>

#include "io/io_testing.hpp"
#include "minnow/core/error.hpp"
#include "minnow/io/io.hpp"
#include "minnow/nn/nn.hpp"

using namespace minnow;
using minnow::testing::read_bytes;
using minnow::testing::ScratchFolder;
using minnow::testing::write_bytes;

namespace {

// Limits the size of files this process may write, as a full disk would, for its lifetime.
// Writes past the limit fail with EFBIG (the SIGXFSZ signal that would kill the process is
// ignored meanwhile).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit limited = previous_;
    limited.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = nullptr;
};

}  // namespace

TEST_CASE("write_file_atomic replaces the file and leaves nothing else behind") {
  const ScratchFolder folder;
  const auto path = folder / "out.txt";
  io::write_file_atomic(path, "first");
  CHECK(read_bytes(path) == "first");
  io::write_file_atomic(path, "second, longer");
  CHECK(read_bytes(path) == "second, longer");
  io::write_file_atomic(path, "");
  CHECK(read_bytes(path).empty());
  CHECK(folder.entries() == std::vector<std::string>{"out.txt"});
  CHECK(io::read_file(path).empty());
}

TEST_CASE("write_file_atomic keeps the permissions of the file it replaces") {
  const ScratchFolder folder;
  const auto path = folder / "private.json";
  write_bytes(path, "old");
  REQUIRE(chmod(path.c_str(), 0640) == 0);
  io::write_file_atomic(path, "new");
  struct stat status {};
  REQUIRE(stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 07777) == 0640);
}

TEST_CASE("a save refused before writing leaves the old file intact") {
  const ScratchFolder folder;
  const auto path = folder / "model.json";
  write_bytes(path, "previous contents");
  nn::Linear model(2, 1);
  Tensor weight = model.weight().copy();
  weight.data()[0] = std::numeric_limits<float>::infinity();
  model.update({{"weight", weight}});
  CHECK_THROWS_AS(io::save(model, path), ValueError);
  CHECK(read_bytes(path) == "previous contents");
  CHECK(folder.entries() == std::vector<std::string>{"model.json"});
}

TEST_CASE("a disk that fills up during the write leaves the old file intact") {
  const ScratchFolder folder;
  const auto path = folder / "model.json";
  write_bytes(path, "previous contents");
  nn::Sequential model{nn::Linear(64, 64), nn::Linear(64, 1)};  // about 25 KB of base64
  {
    const FileSizeLimit limit(4096);
    CHECK_THROWS_WITH_AS(io::save(model, path), doctest::Contains("File too large"), IOError);
    CHECK_THROWS_AS(io::save_tensors(model.parameters(), folder / "model.safetensors"), IOError);
  }
  CHECK(read_bytes(path) == "previous contents");
  CHECK(folder.entries() == std::vector<std::string>{"model.json"});
  // With room again, the same save goes through.
  io::save(model, path);
  CHECK(io::load(path).has_parameters);
}

TEST_CASE("a rename that fails leaves the target and no temporary file") {
  const ScratchFolder folder;
  std::filesystem::create_directory(folder / "taken.json");
  write_bytes(folder / "taken.json" / "inside", "kept");
  nn::Linear model(2, 1);
  CHECK_THROWS_WITH_AS(io::save(model, folder / "taken.json"),
                       doctest::Contains("taken.json: cannot replace"), IOError);
  CHECK(folder.entries() == std::vector<std::string>{"taken.json"});
  CHECK(read_bytes(folder / "taken.json" / "inside") == "kept");
}
