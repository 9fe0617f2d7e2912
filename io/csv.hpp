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
// read_csv reads a whole file at once; CsvReader reads the same text a batch of rows at a time,
// by the same rules and with the same messages (read_csv is CsvReader asked for every row).
//
// Writing: the shortest decimal that reads back to the same float32, comma-separated, one row
// per line, '\n' line ends; to a path atomically (see write_file_atomic).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "minnow/core/tensor.hpp"

namespace minnow::io {

class InputFile;

/// A CSV file's numbers and column names.
struct CsvTable {
  /// The data, [rows, columns].
  Tensor values{};
  /// The header's column names; empty when the file has no header.
  std::vector<std::string> header{};
};

/// Reads CSV rows a batch at a time (see the rules above), so that a caller holds one batch, not
/// the whole file. Construction reads up to the first data row: the header, the column count and
/// the first data line are known from then on, and an input without data rows is a FormatError
/// right away. Line numbers count from the start of the input, across batches. Neither copyable
/// nor movable: it splits lines in place, by pointers into its own buffer.
class CsvReader {
 public:
  /// Reads the file at `path`, which names it in messages. IOError naming the file and the
  /// system's reason when it cannot be opened or read.
  explicit CsvReader(const std::filesystem::path& path);
  /// Reads `input`, which must outlive the reader; `source` names it in messages ("<stdin>").
  /// IOError when the stream fails.
  CsvReader(std::istream& input, std::string source);
  /// Reads `text` in place (no copy), which must outlive the reader; `source` names it in
  /// messages.
  CsvReader(std::string_view text, std::string source);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  /// The next at most `max_rows` data rows as a [rows, columns] tensor; an empty (undefined)
  /// handle once every row has been read. FormatError naming the line and the column of a bad
  /// row; ValueError when `max_rows` is not positive.
  Tensor next(int64_t max_rows);
  /// The line number of row `row` (0-based) of the latest batch; IndexError outside it.
  int64_t line_of(int64_t row) const;

  /// The header's column names; empty when the input has no header.
  const std::vector<std::string>& header() const { return header_; }
  /// The number of columns, from the header or the first data row.
  int64_t columns() const { return columns_; }
  /// The line number of the first data row (for messages about the data as a whole).
  int64_t first_data_line() const { return first_data_line_; }
  /// The name of the input in messages.
  const std::string& source() const { return source_; }

 private:
  // A stretch of consecutive rows of the latest batch on consecutive lines.
  struct LineRun {
    int64_t first_row;
    int64_t first_line;
  };

  void read_first_rows();
  bool read_line();
  void fill_buffer();
  size_t read_chunk(char* out);
  bool read_row();
  void check_row_width() const;
  bool is_header() const;
  void append_numbers(std::vector<float>& out) const;
  float number(size_t column) const;
  void note_line(int64_t row);
  [[noreturn]] void fail_line(const std::string& problem) const;
  [[noreturn]] void fail_cell(size_t column, const std::string& problem) const;

  std::string source_;
  std::unique_ptr<InputFile> file_;  // the file still to be read, when reading a path
  std::istream* input_ = nullptr;    // the stream still to be read, when reading a stream
  std::string buffer_;               // what has been read of the file or stream, not yet used
  std::string_view unread_;          // the text not yet split into lines (a suffix of buffer_)
  std::string_view line_;
  std::vector<std::string_view> cells_;  // the cells of line_
  int64_t line_number_ = 0;
  bool row_pending_ = false;  // cells_ holds a data row read ahead and not yet returned
  std::vector<std::string> header_;
  int64_t header_line_ = 0;
  int64_t columns_ = 0;
  int64_t first_data_line_ = 0;
  int64_t batch_rows_ = 0;
  std::vector<LineRun> batch_lines_;  // the lines of the latest batch, one entry per run
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
