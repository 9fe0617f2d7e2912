// CSV: header detection, blank lines, errors that name the file, the line and the column, and
// the batch reader behind read_csv.

#include <doctest/doctest.h>

#include <bit>
#include <cfloat>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include "io/io_testing.hpp"
#include "minnow/core/error.hpp"
#include "minnow/io/io.hpp"

using namespace minnow;
using minnow::testing::bits_of;
using minnow::testing::ScratchFolder;

namespace {

io::CsvTable read(const std::string& text) {
  return io::read_csv_from_string(text, "data.csv");
}

void fails(const std::string& text, const std::string& message) {
  CAPTURE(text);
  CHECK_THROWS_WITH_AS(read(text), doctest::Contains(("data.csv" + message).c_str()), FormatError);
}

}  // namespace

TEST_CASE("numbers become a [rows, columns] tensor") {
  const io::CsvTable table = read("1,2,3\n4.5,-6e-1,.25\n");
  CHECK(table.header.empty());
  CHECK(table.values.shape() == Shape{2, 3});
  CHECK(table.values.to_vector() == std::vector<float>{1, 2, 3, 4.5f, -0.6f, 0.25f});
  // The last line needs no line end; one column is a column.
  CHECK(read("7\n8").values.shape() == Shape{2, 1});
}

TEST_CASE("a first row that is not all numbers is a header") {
  const io::CsvTable table = read("x1, \"x 2\",label\n0,1,1\n1,0,1\n");
  CHECK(table.header == std::vector<std::string>{"x1", "x 2", "label"});
  CHECK(table.values.shape() == Shape{2, 3});
  // Quoted names may hold commas and doubled quotes.
  CHECK(read("\"a,b\",\"say \"\"hi\"\"\"\n1,2\n").header ==
        std::vector<std::string>{"a,b", "say \"hi\""});
  // A first row of numbers is data, even with an empty cell or a NaN in it (which then fail).
  fails("1,,2\n3,4,5\n", ", line 1, column 2: empty cell");
  fails("nan,1\n", ", line 1, column 1: \"nan\" is not a finite number");
  // The header must have a name per column.
  fails("a,b\n1,2,3\n", ", line 2: the row has 3 columns, but the header (line 1) has 2");
}

TEST_CASE("blank lines, spaces, CRLF line ends and a byte order mark are accepted") {
  const io::CsvTable table = read("\xEF\xBB\xBFx,y\r\n\r\n 1 ,\t2\r\n   \n3,4\r\n\n");
  CHECK(table.header == std::vector<std::string>{"x", "y"});
  CHECK(table.values.to_vector() == std::vector<float>{1, 2, 3, 4});
  CHECK(read("\n\n5,6\n").values.to_vector() == std::vector<float>{5, 6});
}

TEST_CASE("rows of different lengths are errors naming line and column") {
  fails("1,2,3\n4,5,6\n7,8\n",
        ", line 3, column 3: the row ends after 2 columns, but line 1 has 3");
  fails("a,b\n\n1,2\n3,4,5\n", ", line 4, column 3: the row has 3 columns, but line 3 has 2");
  fails("1,2\n3,4,\n", ", line 2, column 3: the row has 3 columns, but line 1 has 2");
}

TEST_CASE(
    "empty cells, non-numbers, NaN, infinity and overflow are errors naming line and column") {
  fails("1,2\n3, \n", ", line 2, column 2: empty cell");
  fails("x,y\n1,2\n3,abc\n", ", line 3, column 2: expected a number, got \"abc\"");
  fails("1,2\n3,4x\n", ", line 2, column 2: expected a number, got \"4x\"");
  fails("1,2\n3,1,5\n", ", line 2, column 3: the row has 3 columns");
  fails("1,2\n3,NaN\n",
        ", line 2, column 2: \"NaN\" is not a finite number (NaN and infinity are "
        "not allowed in data)");
  fails("1,2\n-inf,4\n", ", line 2, column 1: \"-inf\" is not a finite number");
  fails("1,2\n1e39,4\n", ", line 2, column 1: 1e39 is outside the float32 range");
  fails("1,2\n\"3,4\n", ", line 2, column 1: a double quote is not closed");
}

TEST_CASE("a file without data rows is an error") {
  fails("", ": no data rows");
  fails("x,y\n\n", ": no data rows");
}

TEST_CASE("files and streams name their source; a missing file is an IOError") {
  const ScratchFolder folder;
  minnow::testing::write_bytes(folder / "train.csv", "a,b\n1,2\n");
  CHECK(io::read_csv(folder / "train.csv").values.to_vector() == std::vector<float>{1, 2});
  CHECK_THROWS_WITH_AS(io::read_csv(folder / "absent.csv"),
                       doctest::Contains("absent.csv: cannot open"), IOError);
  std::istringstream input("1\n2\nx\n");
  CHECK_THROWS_WITH_AS(io::read_csv(input, "<stdin>"),
                       doctest::Contains("<stdin>, line 3, column 1: expected a number"),
                       FormatError);
}

// ---- CsvReader --------------------------------------------------------------------------------

namespace {

// `rows` lines "i,i + 0.5" for i = 0, 1, ...: more than one 64 KiB chunk of a stream for
// a few thousand rows.
std::string numbered_rows(int rows) {
  std::string text;
  for (int i = 0; i < rows; ++i) text += std::to_string(i) + "," + std::to_string(i) + ".5\n";
  return text;
}

// A stream whose buffer fails (as a disk read error does) after handing out `good`.
class FailingBuffer : public std::streambuf {
 public:
  explicit FailingBuffer(std::string good) : good_(std::move(good)) {
    setg(good_.data(), good_.data(), good_.data() + good_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("the device is gone"); }

 private:
  std::string good_;
};

}  // namespace

TEST_CASE("CsvReader gives batches of at most N rows with the lines they came from") {
  const std::string text = "x,y\n1,2\n3,4\n\n5,6\r\n7,8\n9,10";
  io::CsvReader reader(text, "data.csv");
  CHECK(reader.header() == std::vector<std::string>{"x", "y"});
  CHECK(reader.columns() == 2);
  CHECK(reader.first_data_line() == 2);
  CHECK(reader.source() == "data.csv");

  const Tensor first = reader.next(2);
  CHECK(first.shape() == Shape{2, 2});
  CHECK(first.to_vector() == std::vector<float>{1, 2, 3, 4});
  CHECK(reader.line_of(0) == 2);
  CHECK(reader.line_of(1) == 3);
  // The blank line 4 falls inside the second batch: its rows are on lines 5 and 6.
  const Tensor second = reader.next(2);
  CHECK(second.to_vector() == std::vector<float>{5, 6, 7, 8});
  CHECK(reader.line_of(0) == 5);
  CHECK(reader.line_of(1) == 6);
  // The last batch is shorter; after it the reader gives empty handles.
  const Tensor last = reader.next(2);
  CHECK(last.shape() == Shape{1, 2});
  CHECK(last.to_vector() == std::vector<float>{9, 10});
  CHECK(reader.line_of(0) == 7);
  CHECK_FALSE(reader.next(2).defined());
  CHECK_FALSE(reader.next(2).defined());
  CHECK_THROWS_WITH_AS(static_cast<void>(reader.line_of(0)),
                       "[CsvReader] row 0 is not in the latest batch of 0 rows", IndexError);
}

TEST_CASE("CsvReader's batches together are read_csv's table, bit for bit") {
  // A blank line after every seventh row, so that batches hold runs of lines with gaps.
  std::string text = "a,b\n";
  for (int i = 0; i < 40; ++i) text += std::to_string(i) + "e-3,-1\n" + (i % 7 == 0 ? "\n" : "");
  const io::CsvTable whole = read(text);
  for (const int64_t batch : {int64_t{1}, int64_t{3}, int64_t{40}, int64_t{1000}}) {
    CAPTURE(batch);
    io::CsvReader reader(text, "data.csv");
    std::vector<float> values;
    int64_t rows = 0;
    int64_t last_line = 0;
    for (Tensor part = reader.next(batch); part.defined(); part = reader.next(batch)) {
      CHECK(part.dim(0) <= batch);
      const std::vector<float> part_values = part.to_vector();
      values.insert(values.end(), part_values.begin(), part_values.end());
      for (int64_t r = 0; r < part.dim(0); ++r) {
        // Line 1 is the header, and row i is on line 2 + i + (the blank lines before it).
        const int64_t row = rows + r;
        CHECK(reader.line_of(r) == 2 + row + (row + 6) / 7);
        CHECK(reader.line_of(r) > last_line);
        last_line = reader.line_of(r);
      }
      rows += part.dim(0);
    }
    CHECK(rows == 40);
    CHECK(bits_of(Tensor(values, Shape{rows, 2})) == bits_of(whole.values));
  }
}

TEST_CASE("CsvReader reports errors beyond the first batch at their own line") {
  const auto fails_in_third_batch = [](const std::string& text, const std::string& message) {
    CAPTURE(text);
    io::CsvReader reader(text, "data.csv");
    CHECK(reader.next(3).dim(0) == 3);
    CHECK(reader.next(3).dim(0) == 3);
    CHECK_THROWS_WITH_AS(reader.next(3), doctest::Contains(message.c_str()), FormatError);
  };
  const std::string six_rows = "1,2\n3,4\n5,6\n\n7,8\n9,10\n11,12\n";  // lines 1 to 7
  fails_in_third_batch(six_rows + "13,abc\n",
                       "data.csv, line 8, column 2: expected a number, got \"abc\"");
  fails_in_third_batch(
      six_rows + "13,14\n15\n",
      "data.csv, line 9, column 2: the row ends after 1 columns, but line 1 has 2");
  fails_in_third_batch(six_rows + "\n\n13,14,15\n",
                       "data.csv, line 10, column 3: the row has 3 columns, but line 1 has 2");
  fails_in_third_batch(six_rows + "inf,1\n", "data.csv, line 8, column 1: \"inf\" is not a finite");
}

TEST_CASE("CsvReader settles the header and the first data row when it is made") {
  io::CsvReader plain("\n\n 1,2,3\n", "data.csv");
  CHECK(plain.header().empty());
  CHECK(plain.columns() == 3);
  CHECK(plain.first_data_line() == 3);

  io::CsvReader named("\xEF\xBB\xBF\n\"a,b\",c\n\n4,5\n", "data.csv");
  CHECK(named.header() == std::vector<std::string>{"a,b", "c"});
  CHECK(named.first_data_line() == 4);
  CHECK(named.next(10).to_vector() == std::vector<float>{4, 5});

  // Errors in the header or in its agreement with the first row come before any batch; a bad
  // cell in the first row comes with the first batch, as for any row.
  CHECK_THROWS_WITH_AS(io::CsvReader("x,y\n1,2,3\n", "data.csv"),
                       "data.csv, line 2: the row has 3 columns, but the header (line 1) has 2",
                       FormatError);
  CHECK_THROWS_WITH_AS(io::CsvReader("\"x,y\n1,2\n", "data.csv"),
                       "data.csv, line 1, column 1: a double quote is not closed", FormatError);
  io::CsvReader bad_first_row("1,nan\n", "data.csv");
  CHECK(bad_first_row.columns() == 2);
  CHECK_THROWS_WITH_AS(bad_first_row.next(1),
                       doctest::Contains("data.csv, line 1, column 2: \"nan\" is not a finite"),
                       FormatError);
}

TEST_CASE("CsvReader refuses empty input and batches of no rows") {
  for (const char* text : {"", "\n", " \r\n\t\n", "\xEF\xBB\xBF", "x,y\n", "x,y\n\n  \n"}) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(io::CsvReader(text, "data.csv"), "data.csv: no data rows", FormatError);
    std::istringstream stream(text);
    CHECK_THROWS_WITH_AS(io::CsvReader(stream, "<stdin>"), "<stdin>: no data rows", FormatError);
  }
  io::CsvReader reader("1\n", "data.csv");
  CHECK_THROWS_WITH_AS(reader.next(0), "[CsvReader] max_rows must be positive, got 0", ValueError);
  CHECK_THROWS_AS(reader.next(-3), ValueError);
  CHECK(reader.next(1).to_vector() == std::vector<float>{1});
}

TEST_CASE("CsvReader reads streams and files in chunks, across which lines continue") {
  // About 12 bytes a row: 9000 rows span two 64 KiB chunks, with a line cut at the first's end.
  const std::string text = "\xEF\xBB\xBFi,half\r\n" + numbered_rows(9000);
  const io::CsvTable whole = read(text);
  REQUIRE(whole.values.shape() == Shape{9000, 2});
  std::istringstream stream(text);
  io::CsvReader reader(stream, "<stdin>");
  CHECK(reader.header() == std::vector<std::string>{"i", "half"});
  std::vector<float> values;
  for (Tensor batch = reader.next(1000); batch.defined(); batch = reader.next(1000)) {
    const std::vector<float> part = batch.to_vector();
    values.insert(values.end(), part.begin(), part.end());
    CHECK(reader.line_of(batch.dim(0) - 1) == 1 + static_cast<int64_t>(values.size()) / 2);
  }
  CHECK(bits_of(Tensor(values, Shape{9000, 2})) == bits_of(whole.values));

  // A row longer than a chunk, and an error far into the stream.
  std::string wide;
  for (int i = 0; i < 30000; ++i) wide += (i == 0 ? "" : ",") + std::to_string(i % 10);
  std::istringstream wide_stream(wide + "\n" + wide + "\n");
  CHECK(io::read_csv(wide_stream, "<stdin>").values.shape() == Shape{2, 30000});
  std::istringstream late_error(numbered_rows(9000) + "1,x\n");
  CHECK_THROWS_WITH_AS(io::read_csv(late_error, "<stdin>"),
                       "<stdin>, line 9001, column 2: expected a number, got \"x\"", FormatError);

  // Files: the same rows; a folder or a missing file is an IOError naming it.
  const ScratchFolder folder;
  minnow::testing::write_bytes(folder / "rows.csv", text);
  io::CsvReader file(folder / "rows.csv");
  CHECK(file.source() == (folder / "rows.csv").string());
  CHECK(file.next(9000).to_vector() == whole.values.to_vector());
  CHECK_FALSE(file.next(1).defined());
  CHECK_THROWS_WITH_AS(io::CsvReader(folder / "absent.csv"),
                       doctest::Contains("absent.csv: cannot open: No such file"), IOError);
  CHECK_THROWS_WITH_AS(io::CsvReader(folder.path()), doctest::Contains(": cannot read"), IOError);
}

TEST_CASE("a stream that fails is an IOError, not a short file") {
  FailingBuffer buffer("1,2\n3,4\n");
  std::istream input(&buffer);
  CHECK_THROWS_WITH_AS(io::read_csv(input, "<stdin>"), "<stdin>: cannot read", IOError);
}

TEST_CASE("write_csv writes shortest round-trip floats that read back bit for bit") {
  const Tensor values({{0.1f, -0.0f, FLT_MAX}, {1e-45f, 1.0f / 3.0f, -2.5f}});
  const std::string text = io::format_csv(values, {"a", "b,c", "d"});
  CHECK(text == "a,\"b,c\",d\n0.1,-0.0,3.4028235e+38\n1e-45,0.33333334,-2.5\n");
  const io::CsvTable table = read(text);
  CHECK(table.header == std::vector<std::string>{"a", "b,c", "d"});
  CHECK(bits_of(table.values) == bits_of(values));

  CHECK(io::format_csv(Tensor({1.0f, 2.0f})) == "1\n2\n");
  CHECK(io::format_csv(Tensor(4.0f)) == "4\n");
  CHECK_THROWS_AS(io::format_csv(zeros({2, 2, 2})), ShapeError);
  CHECK_THROWS_AS(io::format_csv(Tensor({1.0f}), {"a", "b"}), ValueError);

  const ScratchFolder folder;
  io::write_csv(folder / "out.csv", values);
  CHECK(bits_of(io::read_csv(folder / "out.csv").values) == bits_of(values));
  std::ostringstream stream;
  io::write_csv(stream, values);
  CHECK(stream.str() == "0.1,-0.0,3.4028235e+38\n1e-45,0.33333334,-2.5\n");
}
