#include "minnow/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "minnow/core/error.hpp"

namespace minnow::io {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int error) {
  throw IOError(path.string() + ": " + what + ": " + std::strerror(error));
}

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { close(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Hands the descriptor over to the caller, who closes it.
  int release() { return std::exchange(fd_, -1); }
  // Closes now and reports close()'s error (a delayed write error on some file systems).
  int close() {
    const int result = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

// Removes the temporary file unless the write went through.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~TemporaryFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::filesystem::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::filesystem::path path_;
};

// A name no other writer uses at the same time: hidden, next to the target, with the process id,
// a per-process counter and the clock's ticks (O_EXCL settles the rest).
std::filesystem::path temporary_name(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::string name = "." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                           "-" + std::to_string(counter++) + "-" + std::to_string(ticks % 1000000);
  return target.parent_path() / name;
}

void write_all(int fd, std::string_view contents, const std::filesystem::path& temporary) {
  while (!contents.empty()) {
    const ssize_t written = ::write(fd, contents.data(), contents.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", temporary, errno);
    }
    contents.remove_prefix(static_cast<size_t>(written));
  }
}

// Makes the rename itself durable. Best effort: the new file is already in place, and some file
// systems refuse fsync on a directory.
void sync_folder(const std::filesystem::path& folder) {
  const FileDescriptor fd(::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY));
  if (fd.get() >= 0) ::fsync(fd.get());
}

// Fills `out` with `read_some(to, bytes, done)` (a read or pread that may return fewer bytes than
// asked for) until it is full or the file ends; returns the bytes read. Interrupted calls retry.
template <class ReadSome>
size_t fill(std::span<std::byte> out, const std::filesystem::path& path, ReadSome read_some) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t count = read_some(out.data() + done, out.size() - done, done);
    if (count < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", path, errno);
    }
    if (count == 0) break;
    done += static_cast<size_t>(count);
  }
  return done;
}

}  // namespace

InputFile::InputFile(const std::filesystem::path& path) : path_(path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open", path, errno);
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) fail("cannot read", path, errno);
  if (S_ISDIR(status.st_mode)) fail("cannot read", path, EISDIR);
  if (S_ISREG(status.st_mode)) size_ = static_cast<uint64_t>(status.st_size);
  fd_ = fd.release();
}

InputFile::~InputFile() {
  ::close(fd_);
}

size_t InputFile::read(std::span<std::byte> out) {
  const size_t count = fill(
      out, path_, [this](std::byte* to, size_t bytes, size_t) { return ::read(fd_, to, bytes); });
  position_ += count;
  return count;
}

size_t InputFile::read_at(uint64_t offset, std::span<std::byte> out) const {
  return fill(out, path_, [this, offset](std::byte* to, size_t bytes, size_t done) {
    return ::pread(fd_, to, bytes, static_cast<off_t>(offset + done));
  });
}

std::string InputFile::read_all() {
  // One allocation of the size the file says it has, read into directly...
  const uint64_t remaining = size_ && *size_ > position_ ? *size_ - position_ : 0;
  std::string contents(remaining, '\0');
  contents.resize(read(std::as_writable_bytes(std::span<char>(contents))));
  // ...then on to the end, which a pipe or a /proc file (size 0) only reaches this way, and a
  // file that grows meanwhile past its size. One read that finds the end in the common case.
  std::array<std::byte, size_t{1} << 16> more;  // filled by read()
  while (const size_t count = read(more)) {
    contents.append(reinterpret_cast<const char*>(more.data()), count);
  }
  return contents;
}

std::string read_file(const std::filesystem::path& path) {
  return InputFile(path).read_all();
}

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  if (path.empty() || !path.has_filename()) fail("cannot write", path, EISDIR);
  const std::filesystem::path temporary_path = temporary_name(path);
  FileDescriptor fd(::open(temporary_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) fail("cannot create a temporary file next to it", path, errno);
  TemporaryFile temporary(temporary_path);  // from here on, any failure removes it
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    ::fchmod(fd.get(), existing.st_mode & 07777);
  }
  write_all(fd.get(), contents, temporary_path);
  if (::fsync(fd.get()) != 0) fail("cannot flush to disk", temporary_path, errno);
  if (fd.close() != 0) fail("cannot write", temporary_path, errno);
  if (::rename(temporary_path.c_str(), path.c_str()) != 0) fail("cannot replace", path, errno);
  temporary.release();
  sync_folder(path.parent_path());
}

}  // namespace minnow::io
