#include "minnow/tools/csv_stream.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "minnow/core/error.hpp"
#include "minnow/io/text.hpp"

namespace minnow::tools {
namespace {

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::string_view unquoted(std::string_view cell) {
  cell = trim(cell);
  if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"') {
    cell = cell.substr(1, cell.size() - 2);
  }
  return cell;
}

}  // namespace

CsvBatchReader::CsvBatchReader(const std::string& path) : path_(path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw IOError(path + ": cannot read: it is a folder");
  in_.open(path, std::ios::binary);
  if (!in_) throw IOError(path + ": cannot open: " + std::strerror(errno));
}

bool CsvBatchReader::read_line() {
  if (!std::getline(in_, line_)) {
    if (in_.bad()) throw IOError(path_ + ": cannot read");
    return false;
  }
  ++line_number_;
  if (line_number_ == 1 && line_.starts_with("\xEF\xBB\xBF")) line_.erase(0, 3);  // byte order mark
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

bool CsvBatchReader::read_data_row() {
  while (read_line()) {
    if (trim(line_).empty()) continue;
    // Split at commas outside double quotes.
    cells_.clear();
    const std::string_view line = line_;
    size_t start = 0;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '"') {
        quoted = !quoted;
      } else if (line[i] == ',' && !quoted) {
        cells_.push_back(line.substr(start, i - start));
        start = i + 1;
      }
    }
    if (quoted) fail_cell(cells_.size() + 1, "a double quote is not closed");
    cells_.push_back(line.substr(start));

    if (!started_) {
      started_ = true;
      // A first row with a cell that is neither empty nor numeric is a header.
      bool header = false;
      for (const auto cell : cells_) {
        const auto text = unquoted(cell);
        header =
            header || (!text.empty() && io::parse_float(text).status == io::ParseStatus::invalid);
      }
      if (header) {
        header_line_ = line_number_;
        columns_ = static_cast<int64_t>(cells_.size());
        continue;
      }
    }
    const auto count = static_cast<int64_t>(cells_.size());
    if (first_data_line_ == 0) {
      first_data_line_ = line_number_;
      if (header_line_ != 0 && count != columns_) {
        fail_line("the row has " + std::to_string(count) + " columns, but the header (line " +
                  std::to_string(header_line_) + ") has " + std::to_string(columns_));
      }
      columns_ = count;
    } else if (count != columns_) {
      const bool longer = count > columns_;
      fail_cell(static_cast<size_t>(longer ? columns_ + 1 : count + 1),
                (longer ? "the row has " + std::to_string(count) + " columns"
                        : "the row ends after " + std::to_string(count) + " columns") +
                    ", but line " + std::to_string(first_data_line_) + " has " +
                    std::to_string(columns_));
    }
    return true;
  }
  return false;
}

int64_t CsvBatchReader::columns() {
  if (first_data_line_ == 0) {
    pending_ = read_data_row();
    if (!pending_) throw FormatError(path_ + ": no data rows");
  }
  return columns_;
}

int64_t CsvBatchReader::first_data_line() {
  columns();
  return first_data_line_;
}

void CsvBatchReader::parse_cells(std::vector<float>& out) {
  for (size_t c = 0; c < cells_.size(); ++c) {
    const std::string_view text = unquoted(cells_[c]);
    if (text.empty()) fail_cell(c + 1, "empty cell");
    const io::ParsedFloat parsed = io::parse_float(text);
    switch (parsed.status) {
      case io::ParseStatus::ok:
        out.push_back(parsed.value);
        continue;
      case io::ParseStatus::non_finite:
        fail_cell(c + 1,
                  "\"" + std::string(text) +
                      "\" is not a finite number (NaN and infinity are not allowed in data)");
      case io::ParseStatus::out_of_range:
        fail_cell(c + 1, std::string(text) + " is outside the float32 range");
      case io::ParseStatus::invalid:
        break;
    }
    std::string shown(text.substr(0, 40));
    if (text.size() > 40) shown += "...";
    fail_cell(c + 1, "expected a number, got \"" + shown + "\"");
  }
}

Tensor CsvBatchReader::next(int64_t max_rows) {
  columns();  // settles the header and reads the first row ahead
  std::vector<float> values;
  batch_lines_.clear();
  while (static_cast<int64_t>(batch_lines_.size()) < max_rows) {
    if (!pending_ && !read_data_row()) break;
    pending_ = false;
    parse_cells(values);
    batch_lines_.push_back(line_number_);
  }
  if (batch_lines_.empty()) return {};
  return Tensor(values, Shape{static_cast<int64_t>(batch_lines_.size()), columns_});
}

void CsvBatchReader::fail_line(const std::string& problem) const {
  throw FormatError(path_ + ", line " + std::to_string(line_number_) + ": " + problem);
}

void CsvBatchReader::fail_cell(size_t column, const std::string& problem) const {
  throw FormatError(path_ + ", line " + std::to_string(line_number_) + ", column " +
                    std::to_string(column) + ": " + problem);
}

}  // namespace minnow::tools
