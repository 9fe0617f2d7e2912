#pragma once
// Whole-file reads, reads at an offset and atomic whole-file writes: the only places minnow's io
// touches the file system, so that every file error is an IOError naming the file and the reason.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace minnow::io {

/// A file open for reading, closed when the object goes. Reads straight into the caller's
/// memory, at the current position or at any offset, so that a loader can put a file's bytes
/// where they belong without an intermediate copy.
class InputFile {
 public:
  /// Opens `path` for reading. IOError naming the file and the system's reason when it cannot
  /// be opened (missing, no permission) or is a directory.
  explicit InputFile(const std::filesystem::path& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  /// The path the file was opened with, for messages.
  const std::filesystem::path& path() const { return path_; }
  /// The size of a regular file when it was opened; nullopt for pipes, sockets and devices,
  /// which have none. The file may change afterwards: reads report what they actually got.
  std::optional<uint64_t> size() const { return size_; }

  /// Reads from the current position until `out` is full or the file ends; returns the number
  /// of bytes read. IOError on failure.
  size_t read(std::span<std::byte> out);
  /// Reads from byte `offset` until `out` is full or the file ends; returns the number of bytes
  /// read. Leaves the current position alone. IOError on failure (pipes have no offsets).
  size_t read_at(uint64_t offset, std::span<std::byte> out) const;
  /// The bytes from the current position to the end: sized once from the file's size, grown
  /// only past it (pipes, /proc files, a file that grows while it is read).
  std::string read_all();

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::optional<uint64_t> size_;
  uint64_t position_ = 0;  // bytes consumed by read()
};

/// The bytes of the file at `path`. IOError naming the file and the system's reason when it
/// cannot be opened or read (missing, a directory, no permission).
std::string read_file(const std::filesystem::path& path);

/// Replaces the file at `path` with `contents`, atomically: the bytes go to a new temporary
/// file in the same folder, which is flushed to disk (fsync) and then renamed over `path`.
/// Readers see either the old file or the new one, never a mix; a crash, a full disk or any
/// other failure leaves the previous file as it was and removes the temporary file. An existing
/// file keeps its permission bits. IOError naming the file and the reason on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

}  // namespace minnow::io
