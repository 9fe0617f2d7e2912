// CSV: header detection, blank lines, and errors that name the file, the line and the column.

#include <doctest/doctest.h>

#include <bit>
#include <cfloat>
#include <limits>
#include <sstream>
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
