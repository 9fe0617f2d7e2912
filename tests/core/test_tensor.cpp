#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "minnow/core/tensor.hpp"

using namespace minnow;

TEST_CASE("tensors are built from nested lists, values and shapes") {
  const Tensor scalar(2.5f);
  CHECK(scalar.ndim() == 0);
  CHECK(scalar.size() == 1);
  CHECK(scalar.item() == 2.5f);

  const Tensor row({1.0f, 2.0f, 3.0f});
  CHECK(row.shape() == Shape{3});

  const Tensor matrix({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  CHECK(matrix.shape() == Shape{2, 3});
  CHECK(matrix.at({1, 2}) == 6.0f);
  CHECK(matrix.dim(-1) == 3);

  const Tensor cube({{{1.0f, 2.0f}, {3.0f, 4.0f}}, {{5.0f, 6.0f}, {7.0f, 8.0f}}});
  CHECK(cube.shape() == Shape{2, 2, 2});
  CHECK(cube.at({1, 0, 1}) == 6.0f);

  const Tensor from_values(std::vector<float>{1, 2, 3, 4, 5, 6}, Shape{3, 2});
  CHECK(from_values.at({2, 1}) == 6.0f);
}

TEST_CASE("construction errors name the problem") {
  CHECK_THROWS_WITH_AS(Tensor({{1.0f, 2.0f}, {3.0f}}), doctest::Contains("equal length"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(Tensor(std::vector<float>{1, 2, 3}, Shape{2, 2}),
                       doctest::Contains("3 values cannot fill shape [2, 2]"), ShapeError);
  CHECK_THROWS_AS(Tensor::empty(Shape{-1, 2}), ShapeError);
  CHECK_THROWS_AS(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), ValueError);
}

TEST_CASE("element access checks its index") {
  const Tensor t({{1.0f, 2.0f}, {3.0f, 4.0f}});
  CHECK_THROWS_WITH_AS(t.at({2, 0}), doctest::Contains("index 2 is out of range for axis 0"),
                       IndexError);
  CHECK_THROWS_AS(t.at({0}), IndexError);
  CHECK_THROWS_WITH_AS(t.item(), doctest::Contains("shape [2, 2]"), ValueError);
}

TEST_CASE("an empty handle is an error, not a crash") {
  const Tensor none;
  CHECK_FALSE(none.defined());
  CHECK_THROWS_WITH_AS(none.shape(), doctest::Contains("empty"), ValueError);
  CHECK(none.to_string() == "array(<empty handle>)");
}

TEST_CASE("copies share data; copy() does not") {
  Tensor a({1.0f, 2.0f});
  Tensor shared = a;
  Tensor deep = a.copy();
  a.data()[0] = 9.0f;
  CHECK(shared.at({0}) == 9.0f);
  CHECK(deep.at({0}) == 1.0f);
  CHECK(shared.shares_data(a));
  CHECK_FALSE(deep.shares_data(a));
}

TEST_CASE("storage is aligned for SIMD") {
  for (int64_t n : {1, 3, 17, 1000, 100000}) {
    const Tensor t = Tensor::empty(Shape{n});
    CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  }
}

TEST_CASE("printing follows MLX") {
  CHECK(Tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}).to_string() ==
        "array([[1, 2], [3, 4]], dtype=float32)");
  CHECK(Tensor(1.5f).to_string() == "array(1.5, dtype=float32)");
  CHECK(Tensor({0.1f, -2.0f}).to_string() == "array([0.1, -2], dtype=float32)");
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(Tensor({std::nanf(""), inf, -inf}).to_string() == "array([nan, inf, -inf], dtype=float32)");
  CHECK(zeros(Shape{0}).to_string() == "array([], dtype=float32)");
  const std::string long_form = arange(2000.0f).to_string();
  CHECK(long_form == "array([0, 1, 2, ..., 1997, 1998, 1999], dtype=float32)");
}

TEST_CASE("creation functions") {
  CHECK(zeros(Shape{2, 3}).to_vector() == std::vector<float>(6, 0.0f));
  CHECK(ones(Shape{2}).to_vector() == std::vector<float>{1, 1});
  CHECK(full(Shape{2}, 7.0f).to_vector() == std::vector<float>{7, 7});
  CHECK(arange(5.0f).to_vector() == std::vector<float>{0, 1, 2, 3, 4});
  CHECK(arange(1.0f, 2.0f, 0.25f).to_vector() == std::vector<float>{1, 1.25f, 1.5f, 1.75f});
  CHECK(arange(3.0f, 0.0f, -1.0f).to_vector() == std::vector<float>{3, 2, 1});
  CHECK(arange(0.0f, -1.0f).size() == 0);
  CHECK_THROWS_AS(arange(0.0f, 1.0f, 0.0f), ValueError);
  CHECK(eye(2, 3).to_vector() == std::vector<float>{1, 0, 0, 0, 1, 0});
  CHECK(eye(2).to_vector() == std::vector<float>{1, 0, 0, 1});
  CHECK(linspace(0.0f, 1.0f, 5).to_vector() == std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1});
  CHECK(linspace(3.0f, 4.0f, 1).to_vector() == std::vector<float>{3});
  CHECK(zeros_like(Tensor({{1.0f, 2.0f}})).shape() == Shape{1, 2});
}

TEST_CASE("shapes") {
  const Shape s{2, 3, 4};
  CHECK(s.numel() == 24);
  CHECK(Shape{}.numel() == 1);
  CHECK(Shape{}.to_string() == "[]");
  CHECK(s.to_string() == "[2, 3, 4]");
  CHECK(row_major_strides(s)[0] == 12);
  CHECK(broadcast_shapes(Shape{2, 1, 4}, Shape{3, 1}, "test") == Shape{2, 3, 4});
  CHECK_THROWS_WITH_AS(broadcast_shapes(Shape{2, 3}, Shape{4}, "add"),
                       doctest::Contains("[add] shapes [2, 3] and [4] cannot be broadcast"),
                       ShapeError);
  CHECK(normalize_axis(-1, 3, "test") == 2);
  CHECK_THROWS_WITH_AS(normalize_axis(3, 3, "sum"), doctest::Contains("[sum] axis 3"), IndexError);
}
