#include "minnow/io/csv.hpp"

#include <algorithm>
#include <istream>
#include <iterator>
#include <limits>
#include <ostream>
#include <span>
#include <utility>

#include "minnow/core/error.hpp"
#include "minnow/io/atomic_file.hpp"
#include "minnow/io/text.hpp"

namespace minnow::io {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";  // UTF-8's, accepted on line 1
constexpr size_t kChunkBytes = size_t{1} << 16;  // how much of a stream is read at a time
constexpr int64_t kReservedRows = 4096;          // the most rows a batch reserves room for

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// A cell without its surrounding spaces and double quotes (a quote inside is doubled: "").
std::string_view unquoted(std::string_view cell) {
  cell = trim(cell);
  if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"') {
    cell = cell.substr(1, cell.size() - 2);
  }
  return cell;
}

std::string header_name(std::string_view cell) {
  const std::string_view text = unquoted(cell);
  std::string name;
  for (size_t i = 0; i < text.size(); ++i) {
    name += text[i];
    if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') ++i;
  }
  return name;
}

std::string csv_cell(const std::string& name) {
  if (name.find_first_of(",\"\r\n") == std::string::npos && trim(name) == name) return name;
  std::string out = "\"";
  for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

// ---- CsvReader ------------------------------------------------------------------------------

CsvReader::CsvReader(const std::filesystem::path& path)
    : source_(path.string()), file_(std::make_unique<InputFile>(path)) {
  read_first_rows();
}

CsvReader::CsvReader(std::istream& input, std::string source)
    : source_(std::move(source)), input_(&input) {
  read_first_rows();
}

CsvReader::CsvReader(std::string_view text, std::string source)
    : source_(std::move(source)), unread_(text) {
  read_first_rows();
}

CsvReader::~CsvReader() = default;

Tensor CsvReader::next(int64_t max_rows) {
  if (max_rows < 1) {
    throw ValueError("[CsvReader] max_rows must be positive, got " + std::to_string(max_rows));
  }
  batch_rows_ = 0;  // until the batch is complete, so that a failed one has no lines
  batch_lines_.clear();
  std::vector<float> values;
  values.reserve(static_cast<size_t>(std::min(max_rows, kReservedRows) * columns_));
  int64_t rows = 0;
  for (; rows < max_rows && (row_pending_ || read_row()); ++rows) {
    if (!row_pending_) check_row_width();
    row_pending_ = false;
    append_numbers(values);
    note_line(rows);
  }
  batch_rows_ = rows;
  if (rows == 0) return {};
  return Tensor(values, Shape{rows, columns_});
}

int64_t CsvReader::line_of(int64_t row) const {
  if (row < 0 || row >= batch_rows_) {
    throw IndexError("[CsvReader] row " + std::to_string(row) + " is not in the latest batch of " +
                     std::to_string(batch_rows_) + " rows");
  }
  // The last run that starts at or before the row.
  const auto after =
      std::upper_bound(batch_lines_.begin(), batch_lines_.end(), row,
                       [](int64_t wanted, const LineRun& run) { return wanted < run.first_row; });
  const LineRun& run = *std::prev(after);
  return run.first_line + (row - run.first_row);
}

// Settles the header question and reads the first data row ahead, so that the column count is
// known before the first batch.
void CsvReader::read_first_rows() {
  if (!read_row()) throw FormatError(source_ + ": no data rows");
  if (is_header()) {
    for (const std::string_view cell : cells_) header_.push_back(header_name(cell));
    header_line_ = line_number_;
    columns_ = static_cast<int64_t>(cells_.size());
    if (!read_row()) throw FormatError(source_ + ": no data rows");
  }
  const auto width = static_cast<int64_t>(cells_.size());
  if (header_line_ != 0 && width != columns_) {
    fail_line("the row has " + std::to_string(width) + " columns, but the header (line " +
              std::to_string(header_line_) + ") has " + std::to_string(columns_));
  }
  first_data_line_ = line_number_;
  columns_ = width;
  row_pending_ = true;
}

// The next line into line_, without its line end; false at the end of the input.
bool CsvReader::read_line() {
  size_t end = unread_.find('\n');
  while (end == std::string_view::npos && (file_ || input_ != nullptr)) {
    const size_t searched = unread_.size();
    fill_buffer();
    end = unread_.find('\n', searched);
  }
  if (unread_.empty()) return false;
  const size_t length = end == std::string_view::npos ? unread_.size() : end;
  line_ = unread_.substr(0, length);
  unread_.remove_prefix(end == std::string_view::npos ? length : length + 1);
  ++line_number_;
  if (line_number_ == 1 && line_.starts_with(kByteOrderMark)) line_.remove_prefix(3);
  if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
  return true;
}

// Appends the input's next chunk to the unread text, dropping what has been used (which
// invalidates line_ and cells_: called only when the next line is wanted).
void CsvReader::fill_buffer() {
  buffer_.erase(0, buffer_.size() - unread_.size());
  const size_t kept = buffer_.size();
  buffer_.resize(kept + kChunkBytes);
  const size_t count = read_chunk(buffer_.data() + kept);
  buffer_.resize(kept + count);
  if (count < kChunkBytes) {  // a short read is the end of the input
    file_.reset();
    input_ = nullptr;
  }
  unread_ = buffer_;
}

// Reads kChunkBytes, or what is left of the input, to `out`; returns the number read.
size_t CsvReader::read_chunk(char* out) {
  if (file_) return file_->read(std::as_writable_bytes(std::span<char>(out, kChunkBytes)));
  input_->read(out, static_cast<std::streamsize>(kChunkBytes));
  if (input_->bad()) throw IOError(source_ + ": cannot read");
  return static_cast<size_t>(input_->gcount());
}

// Splits the next non-blank line into cells_ at commas outside double quotes; false at the end
// of the input.
bool CsvReader::read_row() {
  do {
    if (!read_line()) return false;
  } while (trim(line_).empty());
  cells_.clear();
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < line_.size(); ++i) {
    if (line_[i] == '"') {
      quoted = !quoted;
    } else if (line_[i] == ',' && !quoted) {
      cells_.push_back(line_.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quoted) fail_cell(cells_.size() + 1, "a double quote is not closed");
  cells_.push_back(line_.substr(start));
  return true;
}

// A data row after the first must be as wide as the first.
void CsvReader::check_row_width() const {
  const auto width = static_cast<int64_t>(cells_.size());
  if (width == columns_) return;
  const bool longer = width > columns_;
  fail_cell(static_cast<size_t>(longer ? columns_ + 1 : width + 1),
            (longer ? "the row has " + std::to_string(width) + " columns"
                    : "the row ends after " + std::to_string(width) + " columns") +
                ", but line " + std::to_string(first_data_line_) + " has " +
                std::to_string(columns_));
}

// A header has a cell that is neither empty nor numeric ("nan" and "1e99" count as numeric: a
// row of them is data, and gets its own error).
bool CsvReader::is_header() const {
  return std::any_of(cells_.begin(), cells_.end(), [](std::string_view cell) {
    const std::string_view text = unquoted(cell);
    return !text.empty() && parse_float(text).status == ParseStatus::invalid;
  });
}

void CsvReader::append_numbers(std::vector<float>& out) const {
  for (size_t c = 0; c < cells_.size(); ++c) out.push_back(number(c));
}

float CsvReader::number(size_t column) const {
  const std::string_view text = unquoted(cells_[column]);
  if (text.empty()) fail_cell(column + 1, "empty cell");
  const ParsedFloat parsed = parse_float(text);
  switch (parsed.status) {
    case ParseStatus::ok:
      return parsed.value;
    case ParseStatus::non_finite:
      fail_cell(column + 1,
                "\"" + std::string(text) +
                    "\" is not a finite number (NaN and infinity are not allowed in data)");
    case ParseStatus::out_of_range:
      fail_cell(column + 1, std::string(text) + " is outside the float32 range");
    case ParseStatus::invalid:
      break;
  }
  std::string shown(text.substr(0, 40));
  if (text.size() > 40) shown += "...";
  fail_cell(column + 1, "expected a number, got \"" + shown + "\"");
}

// Records that row `row` of the batch is on the current line, extending the last run when it
// is the line after the run's last.
void CsvReader::note_line(int64_t row) {
  if (!batch_lines_.empty()) {
    const LineRun& run = batch_lines_.back();
    if (run.first_line + (row - run.first_row) == line_number_) return;
  }
  batch_lines_.push_back({row, line_number_});
}

void CsvReader::fail_line(const std::string& problem) const {
  throw FormatError(source_ + ", line " + std::to_string(line_number_) + ": " + problem);
}

void CsvReader::fail_cell(size_t column, const std::string& problem) const {
  throw FormatError(source_ + ", line " + std::to_string(line_number_) + ", column " +
                    std::to_string(column) + ": " + problem);
}

// ---- reading and writing whole files ----------------------------------------------------------

namespace {

CsvTable read_all(CsvReader& reader) {
  CsvTable table;
  table.header = reader.header();
  table.values = reader.next(std::numeric_limits<int64_t>::max());
  return table;
}

}  // namespace

CsvTable read_csv_from_string(std::string_view text, const std::string& source) {
  CsvReader reader(text, source);
  return read_all(reader);
}

CsvTable read_csv(const std::filesystem::path& path) {
  CsvReader reader(path);
  return read_all(reader);
}

CsvTable read_csv(std::istream& input, const std::string& source) {
  CsvReader reader(input, source);
  return read_all(reader);
}

std::string format_csv(const Tensor& values, const std::vector<std::string>& header) {
  if (values.ndim() > 2) {
    throw ShapeError("[write_csv] expected a tensor of at most 2 dimensions, got shape " +
                     values.shape().to_string());
  }
  const int64_t columns = values.ndim() == 2 ? values.dim(1) : 1;
  if (!header.empty() && static_cast<int64_t>(header.size()) != columns) {
    throw ValueError("[write_csv] the header has " + std::to_string(header.size()) + " names for " +
                     std::to_string(columns) + " columns");
  }
  std::string out;
  for (size_t i = 0; i < header.size(); ++i) {
    out += (i == 0 ? "" : ",") + csv_cell(header[i]);
    if (i + 1 == header.size()) out += '\n';
  }
  const std::span<const float> data = values.values();
  if (columns == 0) {  // [rows, 0]: empty lines
    out.append(static_cast<size_t>(values.dim(0)), '\n');
    return out;
  }
  out.reserve(out.size() + data.size() * 12);
  for (size_t i = 0; i < data.size(); ++i) {
    append_float(out, data[i]);
    out += (static_cast<int64_t>(i + 1) % columns == 0) ? '\n' : ',';
  }
  return out;
}

void write_csv(const std::filesystem::path& path, const Tensor& values,
               const std::vector<std::string>& header) {
  write_file_atomic(path, format_csv(values, header));
}

void write_csv(std::ostream& output, const Tensor& values, const std::vector<std::string>& header) {
  const std::string text = format_csv(values, header);
  output.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!output) throw IOError("[write_csv] cannot write to the stream");
}

}  // namespace minnow::io
