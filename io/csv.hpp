#pragma once
// CSV files of numbers: one sample per row, values separated by commas. Used by the minnow
// command-line tool and the examples.
//
// Reading:
// - A first row that holds a cell which is neither empty nor numeric is a header: its cells
//   become the column names (surrounding double quotes removed) and it must have as many
//   columns as the data.
// - Blank lines (empty or only spaces) are skipped; spaces and tabs around a cell are ignored;
//   "\r\n" line ends and a UTF-8 byte order mark are accepted; a cell may be double-quoted.
// - Every other row is data. Rows of different lengths, empty cells, non-numbers, NaN and
//   infinity (data must be finite) and values outside the float32 range are FormatErrors whose
//   message names the file, the line and the column (the 1-based position of the cell):
//   `data.csv, line 4, column 2: expected a number, got "abc"`. A file without data rows is a
//   FormatError too. A file that cannot be read is an IOError.
// - Numbers are read as the nearest float32, independent of the C locale ("1e-3", ".5", "+2").
//
// Writing: the shortest decimal that reads back to the same float32, comma-separated, one row
// per line, '\n' line ends; to a path atomically (see write_file_atomic).

#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "minnow/core/tensor.hpp"

namespace minnow::io {

/// A CSV file's numbers and column names.
struct CsvTable {
  /// The data, [rows, columns].
  Tensor values{};
  /// The header's column names; empty when the file has no header.
  std::vector<std::string> header{};
};

/// Reads the CSV file at `path` (see the rules above).
CsvTable read_csv(const std::filesystem::path& path);
/// Reads CSV text from `input`; `source` names it in error messages ("<stdin>").
CsvTable read_csv(std::istream& input, const std::string& source);
/// Reads CSV text; `source` names it in error messages.
CsvTable read_csv_from_string(std::string_view text, const std::string& source);

/// The CSV text of `values`: a 2-D tensor gives one line per row, a 1-D tensor one line per
/// element, a scalar one line. `header`, when not empty, is written first and must have one
/// name per column (ValueError otherwise); ShapeError for tensors of more than 2 dimensions.
/// NaN and infinity are written "nan", "inf" and "-inf".
std::string format_csv(const Tensor& values, const std::vector<std::string>& header = {});
/// Writes format_csv(values, header) to `path` atomically; IOError when it cannot.
void write_csv(const std::filesystem::path& path, const Tensor& values,
               const std::vector<std::string>& header = {});
/// Writes format_csv(values, header) to `output`; IOError when the stream fails.
void write_csv(std::ostream& output, const Tensor& values,
               const std::vector<std::string>& header = {});

}  // namespace minnow::io
