#include "minnow/io/csv.hpp"

#include <istream>
#include <iterator>
#include <ostream>
#include <sstream>

#include "minnow/core/error.hpp"
#include "minnow/io/atomic_file.hpp"
#include "minnow/io/text.hpp"

namespace minnow::io {

namespace {

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

class CsvParser {
 public:
  CsvParser(std::string_view text, const std::string& source) : text_(text), source_(source) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // UTF-8 byte order mark
  }

  CsvTable parse() {
    CsvTable table;
    std::vector<float> values;
    int64_t rows = 0;
    size_t columns = 0;
    size_t first_data_line = 0;
    size_t header_line = 0;
    bool first_row = true;
    while (next_line()) {
      if (trim(line_).empty()) continue;
      split();
      if (first_row) {
        first_row = false;
        if (is_header()) {
          for (const std::string_view cell : cells_) table.header.push_back(header_name(cell));
          header_line = line_number_;
          columns = cells_.size();
          continue;
        }
      }
      if (first_data_line == 0) {
        first_data_line = line_number_;
        if (header_line != 0 && cells_.size() != columns) {
          fail_line("the row has " + std::to_string(cells_.size()) +
                    " columns, but the header (line " + std::to_string(header_line) + ") has " +
                    std::to_string(columns));
        }
        columns = cells_.size();
      } else if (cells_.size() != columns) {
        const bool longer = cells_.size() > columns;
        fail_cell(longer ? columns + 1 : cells_.size() + 1,
                  (longer ? "the row has " + std::to_string(cells_.size()) + " columns"
                          : "the row ends after " + std::to_string(cells_.size()) + " columns") +
                      ", but line " + std::to_string(first_data_line) + " has " +
                      std::to_string(columns));
      }
      for (size_t c = 0; c < cells_.size(); ++c) values.push_back(number(c));
      ++rows;
    }
    if (rows == 0) throw FormatError(source_ + ": no data rows");
    table.values = Tensor(values, Shape{rows, static_cast<int64_t>(columns)});
    return table;
  }

 private:
  bool next_line() {
    if (position_ >= text_.size()) return false;
    const size_t end = text_.find('\n', position_);
    const size_t stop = end == std::string_view::npos ? text_.size() : end;
    line_ = text_.substr(position_, stop - position_);
    if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    position_ = stop + 1;
    ++line_number_;
    return true;
  }

  // Splits line_ into cells_ at commas outside double quotes.
  void split() {
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
  }

  // A header has a cell that is neither empty nor numeric ("nan" and "1e99" count as numeric:
  // a row of them is data, and gets its own error).
  bool is_header() const {
    for (const std::string_view cell : cells_) {
      const std::string_view text = unquoted(cell);
      if (!text.empty() && parse_float(text).status == ParseStatus::invalid) return true;
    }
    return false;
  }

  float number(size_t c) const {
    const std::string_view text = unquoted(cells_[c]);
    if (text.empty()) fail_cell(c + 1, "empty cell");
    const ParsedFloat parsed = parse_float(text);
    switch (parsed.status) {
      case ParseStatus::ok:
        return parsed.value;
      case ParseStatus::non_finite:
        fail_cell(c + 1,
                  "\"" + std::string(text) +
                      "\" is not a finite number (NaN and infinity are not allowed in data)");
      case ParseStatus::out_of_range:
        fail_cell(c + 1, std::string(text) + " is outside the float32 range");
      case ParseStatus::invalid:
        break;
    }
    std::string shown(text.substr(0, 40));
    if (text.size() > 40) shown += "...";
    fail_cell(c + 1, "expected a number, got \"" + shown + "\"");
  }

  [[noreturn]] void fail_line(const std::string& problem) const {
    throw FormatError(source_ + ", line " + std::to_string(line_number_) + ": " + problem);
  }
  [[noreturn]] void fail_cell(size_t column, const std::string& problem) const {
    throw FormatError(source_ + ", line " + std::to_string(line_number_) + ", column " +
                      std::to_string(column) + ": " + problem);
  }

  std::string_view text_;
  const std::string& source_;
  size_t position_ = 0;
  size_t line_number_ = 0;
  std::string_view line_;
  std::vector<std::string_view> cells_;
};

std::string csv_cell(const std::string& name) {
  if (name.find_first_of(",\"\r\n") == std::string::npos && trim(name) == name) return name;
  std::string out = "\"";
  for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

CsvTable read_csv_from_string(std::string_view text, const std::string& source) {
  return CsvParser(text, source).parse();
}

CsvTable read_csv(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  return read_csv_from_string(text, path.string());
}

CsvTable read_csv(std::istream& input, const std::string& source) {
  std::ostringstream buffer;
  buffer << input.rdbuf();
  if (input.bad()) throw IOError(source + ": cannot read");
  return read_csv_from_string(buffer.view(), source);
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
