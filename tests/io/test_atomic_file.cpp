// Atomic saving: a save that fails at any point leaves the previous file as it was and no
// temporary file behind; a save that succeeds replaces the file and keeps its permissions.
// Reading: whole files, with or without a size, and reads at an offset.

#include <doctest/doctest.h>

#include <csignal>
#include <cstddef>
#include <limits>
#include <span>
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
using minnow::testing::through_pipe;
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

// Bytes that differ from one position to the next, so that a misplaced chunk shows.
std::string varied_bytes(size_t count) {
  std::string bytes(count, '\0');
  for (size_t i = 0; i < count; ++i) bytes[i] = static_cast<char>((i * 7 + i / 251) & 0xFF);
  return bytes;
}

std::span<std::byte> writable(std::string& text) {
  return std::as_writable_bytes(std::span<char>(text));
}

}  // namespace

TEST_CASE("read_file reads whole files of any size, and files without one to their end") {
  const ScratchFolder folder;
  for (const size_t size : {size_t{0}, size_t{1}, size_t{65536}, size_t{300'001}}) {
    CAPTURE(size);
    const std::string bytes = varied_bytes(size);
    write_bytes(folder / "file.bin", bytes);
    CHECK(io::read_file(folder / "file.bin") == bytes);
  }
  // A pipe has no size: read on to the end, through several chunks.
  const std::string piped = varied_bytes(200'003);
  through_pipe(folder / "pipe", piped,
               [&](const auto& path) { CHECK(io::read_file(path) == piped); });
#ifdef __linux__
  // A /proc file says it has 0 bytes but has more.
  CHECK(io::read_file("/proc/self/status").starts_with("Name:"));
#endif
  CHECK_THROWS_WITH_AS(io::read_file(folder / "absent.txt"),
                       doctest::Contains("absent.txt: cannot open: No such file or directory"),
                       IOError);
  CHECK_THROWS_WITH_AS(io::read_file(folder.path()),
                       doctest::Contains(": cannot read: Is a directory"), IOError);
}

TEST_CASE("InputFile reads at any offset and from its position, never past the end") {
  const ScratchFolder folder;
  const std::string bytes = varied_bytes(100'000);
  write_bytes(folder / "file.bin", bytes);
  io::InputFile file(folder / "file.bin");
  CHECK(file.size() == 100'000u);
  CHECK(file.path() == folder / "file.bin");

  std::string chunk(1000, '\0');
  CHECK(file.read_at(70'000, writable(chunk)) == 1000);
  CHECK(chunk == bytes.substr(70'000, 1000));
  CHECK(file.read_at(99'500, writable(chunk)) == 500);  // fewer only at the end
  CHECK(chunk.substr(0, 500) == bytes.substr(99'500));
  CHECK(file.read_at(100'000, writable(chunk)) == 0);
  CHECK(file.read_at(5, {}) == 0);

  // Reads at an offset leave the position alone; read_all reads on from it.
  CHECK(file.read(writable(chunk)) == 1000);
  CHECK(chunk == bytes.substr(0, 1000));
  CHECK(file.read_at(0, writable(chunk)) == 1000);
  CHECK(file.read_all() == bytes.substr(1000));
  CHECK(file.read(writable(chunk)) == 0);
  CHECK(file.read_all().empty());
}

TEST_CASE("InputFile of a pipe has no size and no offsets") {
  const ScratchFolder folder;
  const std::string bytes = varied_bytes(70'000);
  through_pipe(folder / "pipe", bytes, [&](const auto& path) {
    io::InputFile file(path);
    CHECK_FALSE(file.size().has_value());
    std::string chunk(10, '\0');
    CHECK_THROWS_WITH_AS(file.read_at(0, writable(chunk)),
                         doctest::Contains("pipe: cannot read: Illegal seek"), IOError);
    CHECK(file.read(writable(chunk)) == 10);
    CHECK(chunk == bytes.substr(0, 10));
    CHECK(file.read_all() == bytes.substr(10));
  });
}

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
