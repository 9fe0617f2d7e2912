#pragma once
// Whole-file reads and atomic whole-file writes: the only places minnow's io touches the file
// system, so that every file error is an IOError naming the file and the reason.

#include <filesystem>
#include <string>
#include <string_view>

namespace minnow::io {

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
