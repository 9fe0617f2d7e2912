#pragma once
// Helpers for end-to-end tests that run the built programs (the minnow tool, the examples) the
// way a user does: in a fresh temporary folder, capturing standard output, standard error and
// the exit status. CTest sets MINNOW_BINARY_DIR to the build folder.

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace minnow::testing {

/// What a program did.
struct ProcessResult {
  int status = -1;  // the exit status (128 + signal when killed by a signal)
  std::string out;  // standard output
  std::string err;  // standard error
};

/// The file's whole contents ("" when it does not exist).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// A program of the build: MINNOW_BINARY_DIR/relative (fails the test when the variable is unset).
inline std::filesystem::path built_program(const std::string& relative) {
  const char* dir = std::getenv("MINNOW_BINARY_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "MINNOW_BINARY_DIR is not set (run the tests through ctest)");
  const std::filesystem::path program = std::filesystem::path(dir) / relative;
  REQUIRE_MESSAGE(std::filesystem::exists(program), "not built: " << program.string());
  return program;
}

/// `text` quoted for the shell.
inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// A new, empty folder, removed with everything in it at the end of the scope.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("minnow-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  /// Writes a file into the folder and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    write_text(path_ / name, text);
    return path_ / name;
  }
  std::string read(const std::string& name) const { return read_text(path_ / name); }
  bool has(const std::string& name) const { return std::filesystem::exists(path_ / name); }

  /// Runs `program` with `args` in this folder; standard input is empty.
  ProcessResult run(const std::filesystem::path& program,
                    const std::vector<std::string>& args) const {
    std::string command =
        "cd " + shell_quote(path_.string()) + " && " + shell_quote(program.string());
    for (const auto& arg : args) command += " " + shell_quote(arg);
    const auto out = path_ / ".stdout", err = path_ / ".stderr";
    command += " </dev/null >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
    const int raw = std::system(command.c_str());
    ProcessResult result;
    if (raw != -1 && WIFEXITED(raw))
      result.status = WEXITSTATUS(raw);
    else if (raw != -1 && WIFSIGNALED(raw))
      result.status = 128 + WTERMSIG(raw);
    result.out = read_text(out);
    result.err = read_text(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return result;
  }

 private:
  std::filesystem::path path_;
};

/// The lines of `text` (without their '\n').
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace minnow::testing
