// Comparisons, where() and the whole-tensor tests array_equal / allclose / all_finite.

#include <doctest/doctest.h>

#include <array>
#include <limits>
#include <span>
#include <vector>

#include "minnow/core/autograd.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/core/ops.hpp"
#include "test_ops_support.hpp"

using namespace minnow;
using testing::check_tensor;
using testing::kInf;
using testing::kNaN;
using testing::Params;

TEST_CASE("comparisons give 1 and 0, broadcast, and treat NaN as unordered") {
  const Tensor a({1.0f, 2.0f, 3.0f, kNaN});
  const Tensor b(2.0f);
  check_tensor(equal(a, b), Shape{4}, {0, 1, 0, 0});
  check_tensor(not_equal(a, b), Shape{4}, {1, 0, 1, 1});
  check_tensor(greater(a, b), Shape{4}, {0, 0, 1, 0});
  check_tensor(greater_equal(a, b), Shape{4}, {0, 1, 1, 0});
  check_tensor(less(a, b), Shape{4}, {1, 0, 0, 0});
  check_tensor(less_equal(a, b), Shape{4}, {1, 1, 0, 0});
  check_tensor(isnan(a), Shape{4}, {0, 0, 0, 1});
  const Tensor column = testing::column({1.0f, 3.0f});
  check_tensor(less(column, Tensor({0.0f, 2.0f, 4.0f})), Shape{2, 3}, {0, 1, 1, 0, 0, 1});
  CHECK_THROWS_WITH_AS(equal(zeros(Shape{2}), zeros(Shape{3})),
                       doctest::Contains("[equal] shapes [2] and [3] cannot be broadcast"),
                       ShapeError);
}

TEST_CASE("comparisons record nothing: their gradient is zero") {
  const Tensor x({1.0f, 3.0f});
  const auto grads = grad([](const Params& p) { return sum(greater(p[0], 2.0f) * 5.0f); }, {x});
  CHECK(grads[0].to_vector() == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("where selects with broadcasting") {
  const Tensor cond({1.0f, 0.0f, 2.0f});
  check_tensor(where(cond, Tensor({1.0f, 2.0f, 3.0f}), Tensor({-1.0f, -2.0f, -3.0f})), Shape{3},
               {1, -2, 3});
  check_tensor(where(cond, 9.0f, Tensor({{0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}})), Shape{2, 3},
               {9, 0, 9, 9, 1, 9});
  check_tensor(where(testing::column({1.0f, 0.0f}), Tensor({5.0f, 6.0f}), 0.0f), Shape{2, 2},
               {5, 6, 0, 0});
  CHECK(where(zeros(Shape{0}), 1.0f, 2.0f).shape() == Shape{0});
  CHECK_THROWS_WITH_AS(where(zeros(Shape{2}), zeros(Shape{3}), 0.0f),
                       doctest::Contains("[where] shapes [2] and [3]"), ShapeError);
}

TEST_CASE("where is differentiable in both branches, reduced to their shapes") {
  const Tensor cond({{1.0f, 0.0f, 1.0f}, {0.0f, 0.0f, 1.0f}});
  const Tensor a({1.0f, 2.0f, 3.0f});
  const Tensor b(4.0f);
  const auto grads = grad(
      [&](const Params& p) {
        return sum(where(cond, p[0], p[1]) * Tensor({1.0f, 10.0f, 100.0f}));
      },
      {a, b});
  CHECK(grads[0].to_vector() == std::vector<float>{1.0f, 0.0f, 200.0f});
  CHECK(grads[1].shape() == Shape{});
  CHECK(grads[1].item() == 21.0f);  // 10 + 1 + 10
}

TEST_CASE("array_equal compares shapes and bits") {
  CHECK(array_equal(Tensor({1.0f, 2.0f}), Tensor({1.0f, 2.0f})));
  CHECK_FALSE(array_equal(Tensor({1.0f, 2.0f}), Tensor({1.0f, 2.5f})));
  CHECK_FALSE(array_equal(Tensor({1.0f, 2.0f}), Tensor({{1.0f, 2.0f}})));  // shape matters
  CHECK_FALSE(array_equal(Tensor({0.0f}), Tensor({-0.0f})));               // bit for bit
  CHECK_FALSE(array_equal(Tensor({kNaN}), Tensor({kNaN})));
  CHECK(array_equal(Tensor({kNaN, 1.0f}), Tensor({kNaN, 1.0f}), /*equal_nan=*/true));
  CHECK_FALSE(array_equal(Tensor({kNaN}), Tensor({1.0f}), true));
  CHECK(array_equal(zeros(Shape{0, 2}), zeros(Shape{0, 2})));
}

TEST_CASE("allclose follows NumPy's tolerance rule and broadcasts") {
  CHECK(allclose(Tensor({1.0f, 2.0f}), Tensor({1.0f + 1e-6f, 2.0f})));
  CHECK_FALSE(allclose(Tensor({1.0f}), Tensor({1.001f})));
  CHECK(allclose(Tensor({1.0f}), Tensor({1.001f}), 1e-2f));
  CHECK(allclose(Tensor({0.0f}), Tensor({1e-9f})));  // atol
  CHECK(allclose(zeros(Shape{2, 3}), Tensor(0.0f)));
  CHECK(allclose(Tensor({kInf, -kInf}), Tensor({kInf, -kInf})));
  CHECK_FALSE(allclose(Tensor({kInf}), Tensor({-kInf})));
  CHECK_FALSE(allclose(Tensor({kNaN}), Tensor({kNaN})));
  CHECK_THROWS_AS(allclose(zeros(Shape{2}), zeros(Shape{3})), ShapeError);
}

TEST_CASE("all_finite") {
  CHECK(all_finite(Tensor({1.0f, -3.0f})));
  CHECK(all_finite(zeros(Shape{0})));
  CHECK_FALSE(all_finite(Tensor({1.0f, kNaN})));
  CHECK_FALSE(all_finite(Tensor({kInf})));
  CHECK_THROWS_AS(all_finite(Tensor()), ValueError);
}

TEST_CASE("first_non_finite finds the first NaN or infinity wherever it lies in the blocks") {
  // Finite extremes (the largest float, the smallest subnormal, -0) must not be taken for
  // non-finite: only an exponent of all ones is.
  std::vector<float> values(200);
  for (size_t i = 0; i < values.size(); ++i) {
    const std::array<float, 4> extremes{std::numeric_limits<float>::max(),
                                        -std::numeric_limits<float>::denorm_min(), -0.0f,
                                        static_cast<float>(i) - 100.0f};
    values[i] = extremes[i % extremes.size()];
  }
  CHECK(detail::first_non_finite(values) == -1);
  CHECK(detail::first_non_finite(std::span<const float>()) == -1);
  // Positions at the start, inside, at the edges of the 64-value blocks and in the tail.
  for (const size_t at : {0, 1, 63, 64, 65, 127, 128, 191, 192, 199}) {
    for (const float bad : {kNaN, kInf, -kInf, -kNaN}) {
      CAPTURE(at);
      CAPTURE(bad);
      std::vector<float> with_bad = values;
      with_bad[at] = bad;
      if (at + 5 < with_bad.size()) with_bad[at + 5] = kNaN;  // a later one does not matter
      CHECK(detail::first_non_finite(with_bad) == static_cast<int64_t>(at));
      // The same values seen from an unaligned start (without the first one, the first bad
      // value is the later NaN when `at` is 0).
      const int64_t expected = at == 0 ? 4 : static_cast<int64_t>(at) - 1;
      CHECK(detail::first_non_finite(std::span<const float>(with_bad).subspan(1)) == expected);
    }
  }
}
