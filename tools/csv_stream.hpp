#pragma once
// A CSV file of numbers read a batch of rows at a time, so that `minnow predict` holds one batch,
// not the whole file. The rules and the error messages are io::read_csv's (io/csv.hpp: header
// detection, blank lines, quotes, `data.csv, line 4, column 2: expected a number, got "abc"`);
// io::read_csv reads a whole file at once, this reader the same text in pieces.

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "minnow/core/tensor.hpp"

namespace minnow::tools {

class CsvBatchReader {
 public:
  /// Opens `path`; IOError naming it when it cannot be read.
  explicit CsvBatchReader(const std::string& path);

  /// The number of columns, from the header or the first data row (read ahead, not consumed).
  /// FormatError for a file without data rows.
  int64_t columns();
  /// The line number of the first data row (for messages about the whole file's shape).
  int64_t first_data_line();

  /// The next at most `max_rows` rows as a [rows, columns] tensor; an empty (undefined) tensor
  /// when the file is exhausted. FormatError naming line and column for a bad row.
  Tensor next(int64_t max_rows);
  /// The line number of row `i` of the latest batch.
  int64_t line_of(int64_t i) const { return batch_lines_[static_cast<size_t>(i)]; }

  const std::string& path() const { return path_; }

 private:
  bool read_line();      // the next line into line_; false at the end of the file
  bool read_data_row();  // the next data row into cells_; false at the end of the file
  void parse_cells(std::vector<float>& out);
  [[noreturn]] void fail_line(const std::string& problem) const;
  [[noreturn]] void fail_cell(size_t column, const std::string& problem) const;

  std::string path_;
  std::ifstream in_;
  std::string line_;
  int64_t line_number_ = 0;
  std::vector<std::string_view> cells_;
  bool started_ = false;  // the header question has been settled
  bool pending_ = false;  // cells_ holds a data row read ahead and not yet returned
  int64_t columns_ = -1;
  int64_t header_line_ = 0;
  int64_t first_data_line_ = 0;
  std::vector<int64_t> batch_lines_;
};

}  // namespace minnow::tools
