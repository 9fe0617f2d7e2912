// Values of the element-wise ops: broadcasting in every layout the kernel distinguishes, edge
// cases (empty tensors, scalars, NaN and infinities) and error messages.

#include <doctest/doctest.h>

#include <cmath>

#include "minnow/core/ops.hpp"
#include "test_ops_support.hpp"

using namespace minnow;
using testing::check_tensor;
using testing::kInf;
using testing::kNaN;

TEST_CASE("binary arithmetic on equal shapes") {
  const Tensor a({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  const Tensor b({{6.0f, 5.0f, 4.0f}, {3.0f, 2.0f, 1.0f}});
  check_tensor(add(a, b), Shape{2, 3}, {7, 7, 7, 7, 7, 7});
  check_tensor(subtract(a, b), Shape{2, 3}, {-5, -3, -1, 1, 3, 5});
  check_tensor(multiply(a, b), Shape{2, 3}, {6, 10, 12, 12, 10, 6});
  check_tensor(divide(a, b), Shape{2, 3}, {1.0f / 6, 0.4f, 0.75f, 4.0f / 3, 2.5f, 6.0f});
  check_tensor(power(a, b), Shape{2, 3}, {1, 32, 81, 64, 25, 6});
  check_tensor(maximum(a, b), Shape{2, 3}, {6, 5, 4, 4, 5, 6});
  check_tensor(minimum(a, b), Shape{2, 3}, {1, 2, 3, 3, 2, 1});
  // The short names and operators are the same ops.
  check_tensor(a + b, add(a, b));
  check_tensor(a - b, sub(a, b));
  check_tensor(a * b, mul(a, b));
  check_tensor(a / b, div(a, b));
  check_tensor(pow(a, b), power(a, b));
  check_tensor(-a, Shape{2, 3}, {-1, -2, -3, -4, -5, -6});
  check_tensor(neg(a), -a);
}

TEST_CASE("broadcasting: scalar, row, column, outer product and middle axes") {
  const Tensor m({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  SUBCASE("a scalar on either side") {
    check_tensor(m * 2.0f, Shape{2, 3}, {2, 4, 6, 8, 10, 12});
    check_tensor(10.0f - m, Shape{2, 3}, {9, 8, 7, 6, 5, 4});
    check_tensor(m - Tensor({1.0f}), Shape{2, 3}, {0, 1, 2, 3, 4, 5});  // one element, shape [1]
    check_tensor(Tensor(3.0f) + Tensor(4.0f), Tensor(7.0f));
  }
  SUBCASE("a row: [N, M] with [M] (the bias add), either order") {
    const Tensor row({10.0f, 20.0f, 30.0f});
    check_tensor(m + row, Shape{2, 3}, {11, 22, 33, 14, 25, 36});
    check_tensor(row - m, Shape{2, 3}, {9, 18, 27, 6, 15, 24});
    check_tensor(divide(m, Tensor({{1.0f, 2.0f, 4.0f}})), Shape{2, 3},
                 {1, 1, 0.75f, 4, 2.5f, 1.5f});
  }
  SUBCASE("a column: [N, M] with [N, 1]") {
    const Tensor column = testing::column({1.0f, 2.0f});
    check_tensor(m * column, Shape{2, 3}, {1, 2, 3, 8, 10, 12});
    check_tensor(column - m, Shape{2, 3}, {0, -1, -2, -2, -3, -4});
  }
  SUBCASE("an outer product: [N, 1] with [1, M]") {
    const Tensor column = testing::column({1.0f, 2.0f});
    const Tensor row({{1.0f, 10.0f, 100.0f}});
    check_tensor(column * row, Shape{2, 3}, {1, 10, 100, 2, 20, 200});
    check_tensor(maximum(column, Tensor({1.5f, 0.0f})), Shape{2, 2}, {1.5f, 1, 2, 2});
  }
  SUBCASE("middle and leading axes of a 3-D tensor") {
    const Tensor cube = arange(12.0f);
    const Tensor x = reshape(cube, Shape{2, 3, 2});
    const Tensor middle = reshape(Tensor({100.0f, 200.0f}), Shape{2, 1, 1});
    std::vector<float> expected;
    for (int i = 0; i < 12; ++i) expected.push_back(static_cast<float>(i) + (i < 6 ? 100 : 200));
    check_tensor(x + middle, Shape{2, 3, 2}, expected);
    // [3, 1] against [2, 3, 2]: repeats along the first and last axes.
    const Tensor mid_column = testing::column({1.0f, 0.0f, -1.0f});
    check_tensor(x * mid_column, Shape{2, 3, 2}, {0, 1, 0, 0, -4, -5, 6, 7, 0, 0, -10, -11});
    // [2, 1, 2] with [3, 1]: both sides broadcast to [2, 3, 2].
    const Tensor left = reshape(Tensor({1.0f, 2.0f, 3.0f, 4.0f}), Shape{2, 1, 2});
    check_tensor(left + mid_column, Shape{2, 3, 2}, {2, 3, 1, 2, 0, 1, 4, 5, 3, 4, 2, 3});
  }
}

TEST_CASE("broadcasts of short and long rows and columns agree with a plain loop") {
  // Short rows are tiled in chunks of rows, long ones are one run each: cover both, with a
  // partial last chunk, in both operand orders.
  for (const auto& [rows, cols] : {std::pair{300, 5}, std::pair{3, 100}, std::pair{1000, 1}}) {
    CAPTURE(rows);
    CAPTURE(cols);
    const Tensor m = testing::normal_input(Shape{rows, cols}, 5);
    const Tensor row = testing::normal_input(Shape{cols}, 6);
    const Tensor col = testing::normal_input(Shape{rows, 1}, 7);
    std::vector<float> row_diff, row_diff_swapped, col_product;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const float v = m.at({r, c});
        row_diff.push_back(v - row.at({c}));
        row_diff_swapped.push_back(row.at({c}) - v);
        col_product.push_back(v * col.at({r, 0}));
      }
    }
    check_tensor(m - row, Shape{rows, cols}, row_diff);
    check_tensor(row - m, Shape{rows, cols}, row_diff_swapped);
    check_tensor(m * col, Shape{rows, cols}, col_product);
    check_tensor(col * m, Shape{rows, cols}, col_product);
  }
}

TEST_CASE("empty tensors and zero-size broadcasts") {
  const Tensor empty = zeros(Shape{0, 3});
  CHECK(add(empty, Tensor({1.0f, 2.0f, 3.0f})).shape() == Shape{0, 3});
  CHECK(multiply(empty, 2.0f).shape() == Shape{0, 3});
  CHECK(exp(empty).shape() == Shape{0, 3});
  CHECK((zeros(Shape{2, 1}) + zeros(Shape{0})).shape() == Shape{2, 0});
}

TEST_CASE("NaN propagates through arithmetic, maximum and minimum") {
  const Tensor a({1.0f, kNaN, 3.0f});
  const Tensor b({kNaN, 2.0f, 1.0f});
  check_tensor(add(a, b), Shape{3}, {kNaN, kNaN, 4});
  check_tensor(maximum(a, b), Shape{3}, {kNaN, kNaN, 3});
  check_tensor(minimum(a, b), Shape{3}, {kNaN, kNaN, 1});
  check_tensor(exp(a), Shape{3}, {std::exp(1.0f), kNaN, std::exp(3.0f)}, 1e-6f);
  check_tensor(clip(a, 0.0f, 2.0f), Shape{3}, {1, kNaN, 2});
  check_tensor(sign(a), Shape{3}, {1, kNaN, 1});
  check_tensor(abs(a), Shape{3}, {1, kNaN, 3});
}

TEST_CASE("unary math functions") {
  const Tensor x({0.25f, 1.0f, 4.0f});
  check_tensor(square(x), Shape{3}, {0.0625f, 1, 16});
  check_tensor(sqrt(x), Shape{3}, {0.5f, 1, 2});
  check_tensor(rsqrt(x), Shape{3}, {2, 1, 0.5f}, 1e-6f);
  check_tensor(log(x), Shape{3}, {std::log(0.25f), 0, std::log(4.0f)}, 1e-6f);
  check_tensor(exp(Tensor({0.0f, 1.0f, -1.0f})), Shape{3}, {1, std::exp(1.0f), std::exp(-1.0f)},
               1e-6f);
  check_tensor(negative(x), Shape{3}, {-0.25f, -1, -4});
  const Tensor t({-2.0f, 0.0f, 0.5f});
  check_tensor(abs(t), Shape{3}, {2, 0, 0.5f});
  check_tensor(sign(t), Shape{3}, {-1, 0, 1});
  check_tensor(sin(t), Shape{3}, {std::sin(-2.0f), 0, std::sin(0.5f)}, 1e-6f);
  check_tensor(cos(t), Shape{3}, {std::cos(-2.0f), 1, std::cos(0.5f)}, 1e-6f);
  check_tensor(tanh(t), Shape{3}, {std::tanh(-2.0f), 0, std::tanh(0.5f)}, 1e-6f);
  check_tensor(erf(t), Shape{3}, {std::erf(-2.0f), 0, std::erf(0.5f)}, 1e-6f);
  check_tensor(clip(Tensor({-3.0f, 0.5f, 7.0f}), -1.0f, 2.0f), Shape{3}, {-1, 0.5f, 2});
  check_tensor(sqrt(Tensor({-1.0f})), Shape{1}, {kNaN});
  check_tensor(log(Tensor({0.0f})), Shape{1}, {-kInf});
  check_tensor(rsqrt(Tensor(0.0f)), Tensor(kInf));  // a scalar stays a scalar
}

TEST_CASE("log1p is accurate near zero") {
  const Tensor y = log1p(Tensor({1e-7f, -1e-7f, 1.0f}));
  CHECK(y.data()[0] == doctest::Approx(1e-7).epsilon(1e-6));
  CHECK(y.data()[1] == doctest::Approx(-1e-7).epsilon(1e-6));
  CHECK(y.data()[2] == doctest::Approx(std::log(2.0)).epsilon(1e-6));
}

TEST_CASE("sigmoid is stable and precise for large |x|") {
  const Tensor y = sigmoid(Tensor({-80.0f, -20.0f, 0.0f, 20.0f, 100.0f, -kInf, kInf}));
  CHECK(y.data()[0] == doctest::Approx(std::exp(-80.0)).epsilon(1e-4));  // not rounded to 0
  CHECK(y.data()[1] == doctest::Approx(1.0 / (1.0 + std::exp(20.0))).epsilon(1e-5));
  CHECK(y.data()[2] == 0.5f);
  CHECK(y.data()[3] == 1.0f);
  CHECK(y.data()[4] == 1.0f);
  CHECK(y.data()[5] == 0.0f);
  CHECK(y.data()[6] == 1.0f);
  CHECK(all_finite(y));
}

TEST_CASE("power: integer exponents of negative bases, zero bases, broadcasting") {
  check_tensor(power(Tensor({-2.0f, 0.0f, 3.0f}), 2.0f), Shape{3}, {4, 0, 9});
  check_tensor(power(2.0f, Tensor({0.0f, -1.0f, 3.0f})), Shape{3}, {1, 0.5f, 8});
  check_tensor(power(Tensor({-8.0f}), 1.0f / 3.0f), Shape{1}, {kNaN});
}

TEST_CASE("logaddexp never overflows and handles infinities") {
  const Tensor a({0.0f, 1000.0f, -kInf, kInf, -kInf, 1e20f});
  const Tensor b({0.0f, 1000.0f, -kInf, kInf, 3.0f, 1e20f});
  const float ln2 = std::log(2.0f);
  check_tensor(logaddexp(a, b), Shape{6}, {ln2, 1000.0f + ln2, -kInf, kInf, 3.0f, 1e20f}, 1e-6f);
  check_tensor(logaddexp(Tensor({1.0f, 2.0f}), Tensor(0.0f)), Shape{2},
               {std::log(std::exp(1.0f) + 1.0f), std::log(std::exp(2.0f) + 1.0f)}, 1e-6f);
}

TEST_CASE("errors name the op and the shapes") {
  const Tensor a = zeros(Shape{2, 3});
  const Tensor b = zeros(Shape{4});
  CHECK_THROWS_WITH_AS(add(a, b), "[add] shapes [2, 3] and [4] cannot be broadcast", ShapeError);
  CHECK_THROWS_WITH_AS(multiply(a, b), doctest::Contains("[multiply] shapes [2, 3] and [4]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(maximum(zeros(Shape{2, 1, 3}), zeros(Shape{4, 2})),
                       doctest::Contains("[maximum] shapes [2, 1, 3] and [4, 2]"), ShapeError);
  CHECK_THROWS_WITH_AS(add(Tensor(), a), doctest::Contains("[add] the tensor is empty"),
                       ValueError);
  CHECK_THROWS_WITH_AS(exp(Tensor()), doctest::Contains("[exp]"), ValueError);
}

TEST_CASE("results are new arrays: inputs are never modified or shared") {
  const Tensor a({1.0f, 2.0f});
  const Tensor b = a + 0.0f;
  CHECK_FALSE(b.shares_data(a));
  CHECK(a.to_vector() == std::vector<float>{1.0f, 2.0f});
}
