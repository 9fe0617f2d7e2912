// Reductions, softmax and log_softmax: values over every axis layout (leading, middle, trailing,
// non-adjacent lists, all), keepdims, empty axes, NaN, and numerically extreme logits.

#include <doctest/doctest.h>

#include <cmath>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "test_ops_support.hpp"

using namespace minnow;
using testing::check_tensor;
using testing::kInf;
using testing::kNaN;
using testing::Params;

namespace {

// [2, 3, 4] holding 0 .. 23.
Tensor cube() {
  return reshape(arange(24.0f), Shape{2, 3, 4});
}

}  // namespace

TEST_CASE("sum over all axes, one axis, and lists of axes") {
  const Tensor m({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  check_tensor(sum(m), Tensor(21.0f));
  check_tensor(sum(m, true), Shape{1, 1}, {21});
  check_tensor(sum(m, 0), Shape{3}, {5, 7, 9});
  check_tensor(sum(m, 1), Shape{2}, {6, 15});
  check_tensor(sum(m, -1, true), Shape{2, 1}, {6, 15});
  check_tensor(sum(m, std::vector<int>{0, 1}), Tensor(21.0f));
  check_tensor(sum(m, std::vector<int>{}), m);  // no axes: nothing reduced

  const Tensor c = cube();
  check_tensor(sum(c, 1), Shape{2, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
  check_tensor(sum(c, std::vector<int>{0, 2}), Shape{3}, {60, 92, 124});  // non-adjacent
  check_tensor(sum(c, std::vector<int>{2, 0}, true), Shape{1, 3, 1}, {60, 92, 124});
  check_tensor(sum(c, std::vector<int>{1, 2}), Shape{2}, {66, 210});
  check_tensor(sum(c, std::vector<int>{0, 1}), Shape{4}, {60, 66, 72, 78});
  check_tensor(sum(Tensor(5.0f)), Tensor(5.0f));
}

TEST_CASE("size-1 axes and reductions that leave the data in place") {
  const Tensor x = reshape(arange(6.0f), Shape{1, 2, 1, 3});
  check_tensor(sum(x, std::vector<int>{0, 2}), Shape{2, 3}, {0, 1, 2, 3, 4, 5});
  check_tensor(sum(x, std::vector<int>{0, 3}, true), Shape{1, 2, 1, 1}, {3, 12});
  check_tensor(max(x, 1), Shape{1, 1, 3}, {3, 4, 5});
}

TEST_CASE("mean, max and min") {
  const Tensor c = cube();
  check_tensor(mean(c), Tensor(11.5f));
  check_tensor(mean(c, 2), Shape{2, 3}, {1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f});
  check_tensor(mean(c, std::vector<int>{0, 2}, true), Shape{1, 3, 1}, {7.5f, 11.5f, 15.5f});
  check_tensor(max(c, 1), Shape{2, 4}, {8, 9, 10, 11, 20, 21, 22, 23});
  check_tensor(min(c, std::vector<int>{0, 1}), Shape{4}, {0, 1, 2, 3});
  check_tensor(max(c), Tensor(23.0f));
  check_tensor(min(Tensor({{3.0f, -1.0f}, {-7.0f, 2.0f}}), 1, true), Shape{2, 1}, {-1, -7});
}

TEST_CASE("reductions propagate NaN") {
  const Tensor x({{1.0f, kNaN, 3.0f}, {4.0f, 5.0f, 6.0f}});
  check_tensor(sum(x, 1), Shape{2}, {kNaN, 15});
  check_tensor(max(x, 1), Shape{2}, {kNaN, 6});
  check_tensor(min(x, 0), Shape{3}, {1, kNaN, 3});
  check_tensor(max(x), Tensor(kNaN));
  check_tensor(logsumexp(x, 1), Shape{2},
               {kNaN, std::log(std::exp(4.0f) + std::exp(5.0f) + std::exp(6.0f))}, 1e-6f);
}

TEST_CASE("empty axes: sums are 0, means NaN, max/argmax are errors") {
  const Tensor e = zeros(Shape{0, 3});
  check_tensor(sum(e, 0), Shape{3}, {0, 0, 0});
  check_tensor(sum(e), Tensor(0.0f));
  CHECK(sum(e, 1).shape() == Shape{0});
  CHECK(std::isnan(mean(e).item()));
  check_tensor(logsumexp(e, 0), Shape{3}, {-kInf, -kInf, -kInf});
  CHECK(max(e, 1).shape() == Shape{0});  // nothing to reduce into: fine
  CHECK_THROWS_WITH_AS(max(e, 0), doctest::Contains("[max] cannot take the max of an empty axis"),
                       ValueError);
  CHECK_THROWS_WITH_AS(min(e), doctest::Contains("[min]"), ValueError);
  CHECK_THROWS_WITH_AS(argmax(e, 0), doctest::Contains("[argmax]"), ValueError);
}

TEST_CASE("axis errors") {
  const Tensor m = zeros(Shape{2, 3});
  CHECK_THROWS_WITH_AS(sum(m, 2), doctest::Contains("[sum] axis 2 is out of range"), IndexError);
  CHECK_THROWS_WITH_AS(mean(m, -3), doctest::Contains("[mean]"), IndexError);
  CHECK_THROWS_WITH_AS(max(m, std::vector<int>{0, -2}),
                       doctest::Contains("[max] axis -2 appears more than once"), ValueError);
  CHECK_THROWS_WITH_AS(softmax(m, 5), doctest::Contains("[softmax]"), IndexError);
  CHECK_THROWS_WITH_AS(sum(Tensor()), doctest::Contains("[sum] the tensor is empty"), ValueError);
}

TEST_CASE("var with ddof, over trailing, leading and non-adjacent axes") {
  const Tensor m({{1.0f, 2.0f, 3.0f, 4.0f}, {2.0f, 2.0f, 2.0f, 2.0f}});
  check_tensor(var(m, 1), Shape{2}, {1.25f, 0});
  check_tensor(var(m, 1, true, 1), Shape{2, 1}, {5.0f / 3, 0}, 1e-6f);
  check_tensor(var(m, 0), Shape{4}, {0.25f, 0, 0.25f, 1});
  check_tensor(var(m), Tensor(0.6875f), 1e-6f);  // mean 2.25
  const Tensor c = cube();
  // Over axes 0 and 2 of 0..23: each group is {j*4 .. j*4+3} and {12+j*4 .. 12+j*4+3}.
  check_tensor(var(c, std::vector<int>{0, 2}), Shape{3}, {37.25f, 37.25f, 37.25f}, 1e-6f);
  check_tensor(var(c, std::vector<int>{1, 2}), Shape{2}, {143.0f / 12, 143.0f / 12}, 1e-6f);
  CHECK(std::isinf(var(Tensor({1.0f, 2.0f}), 0, false, 2).item()));  // N - ddof = 0
}

TEST_CASE("logsumexp is exact for huge logits and for -inf") {
  const float ln2 = std::log(2.0f);
  check_tensor(logsumexp(Tensor({1e4f, 1e4f})), Tensor(1e4f + ln2), 1e-6f);
  check_tensor(logsumexp(Tensor({1e20f, 0.0f})), Tensor(1e20f));
  check_tensor(logsumexp(Tensor({-1e20f, -1e20f})), Tensor(-1e20f));
  check_tensor(logsumexp(Tensor({1e4f, 0.0f}), 0, true), Shape{1}, {1e4f});
  check_tensor(logsumexp(Tensor({-kInf, 0.0f})), Tensor(0.0f));
  check_tensor(logsumexp(Tensor({-kInf, -kInf})), Tensor(-kInf));
  check_tensor(logsumexp(Tensor({kInf, 0.0f})), Tensor(kInf));
  // Over a leading axis and a list of axes (the general path).
  const Tensor m({{1e4f, 0.0f}, {1e4f, -kInf}});
  check_tensor(logsumexp(m, 0), Shape{2}, {1e4f + ln2, std::log(1.0f)}, 1e-6f);
  check_tensor(logsumexp(m, std::vector<int>{0, 1}), Tensor(1e4f + ln2), 1e-6f);
  const Tensor small({{0.0f, 1.0f}, {2.0f, 3.0f}});
  check_tensor(logsumexp(small, 0), Shape{2},
               {std::log(1.0f + std::exp(2.0f)), std::log(std::exp(1.0f) + std::exp(3.0f))}, 1e-6f);
}

TEST_CASE("softmax and log_softmax on ordinary, huge and -inf logits") {
  const Tensor x({{1.0f, 2.0f, 3.0f}, {1e4f, 1e4f, 1e4f}});
  const float z = std::exp(1.0f) + std::exp(2.0f) + std::exp(3.0f);
  check_tensor(
      softmax(x), Shape{2, 3},
      {std::exp(1.0f) / z, std::exp(2.0f) / z, std::exp(3.0f) / z, 1.0f / 3, 1.0f / 3, 1.0f / 3},
      1e-6f);
  check_tensor(log_softmax(x), Shape{2, 3},
               {1.0f - std::log(z), 2.0f - std::log(z), 3.0f - std::log(z), -std::log(3.0f),
                -std::log(3.0f), -std::log(3.0f)},
               1e-6f);
  const Tensor huge({1e20f, 1e20f, -1e20f});
  check_tensor(softmax(huge), Shape{3}, {0.5f, 0.5f, 0.0f});
  check_tensor(log_softmax(huge), Shape{3}, {-std::log(2.0f), -std::log(2.0f), -2e20f}, 1e-6f);
  const Tensor masked({0.0f, -kInf, 0.0f});
  check_tensor(softmax(masked), Shape{3}, {0.5f, 0.0f, 0.5f});
  check_tensor(log_softmax(masked), Shape{3}, {-std::log(2.0f), -kInf, -std::log(2.0f)}, 1e-6f);
  CHECK(all_finite(softmax(Tensor({1e4f, -1e4f, 0.0f}))));
}

TEST_CASE("softmax along a leading or middle axis") {
  const Tensor x({{0.0f, 1e4f}, {std::log(3.0f), 1e4f}});
  check_tensor(softmax(x, 0), Shape{2, 2}, {0.25f, 0.5f, 0.75f, 0.5f}, 1e-6f);
  check_tensor(log_softmax(x, 0), Shape{2, 2},
               {std::log(0.25f), std::log(0.5f), std::log(0.75f), std::log(0.5f)}, 1e-6f);
  const Tensor c = testing::normal_input(Shape{2, 3, 4}, 3);
  const Tensor s = softmax(c, 1);
  check_tensor(sum(s, 1), ones(Shape{2, 4}), 1e-6f);
  check_tensor(s, exp(log_softmax(c, 1)), 1e-6f);
  check_tensor(log_softmax(c, 1), subtract(c, logsumexp(c, 1, true)), 1e-6f);
  CHECK(softmax(zeros(Shape{0, 3})).shape() == Shape{0, 3});
}

TEST_CASE("argmax and argmin: float indices, first of ties, first NaN") {
  const Tensor x({{1.0f, 3.0f, 3.0f, 0.0f}, {-1.0f, -5.0f, -5.0f, 2.0f}});
  check_tensor(argmax(x, 1), Shape{2}, {1, 3});
  check_tensor(argmin(x, 1), Shape{2}, {3, 1});
  check_tensor(argmax(x, 0, true), Shape{1, 4}, {0, 0, 0, 1});
  check_tensor(argmin(x, -2), Shape{4}, {1, 1, 1, 0});
  check_tensor(argmax(Tensor({1.0f, kNaN, kNaN, 9.0f}), 0), Tensor(1.0f));
  const Tensor c = cube();
  check_tensor(argmax(c, 1), Shape{2, 4}, {2, 2, 2, 2, 2, 2, 2, 2});
  CHECK_THROWS_AS(argmax(Tensor(1.0f), 0), IndexError);
}

TEST_CASE("max and min gradients go to the extremes, ties share") {
  const Tensor x({{1.0f, 5.0f, 5.0f}, {7.0f, 2.0f, 3.0f}});
  const auto g_max = grad([](const Params& p) { return sum(max(p[0], 1)); }, {x});
  check_tensor(g_max[0], Shape{2, 3}, {0, 0.5f, 0.5f, 1, 0, 0});
  const auto g_min = grad([](const Params& p) { return sum(min(p[0]) * 3.0f); }, {x});
  check_tensor(g_min[0], Shape{2, 3}, {3, 0, 0, 0, 0, 0});
}

TEST_CASE("argmax records nothing") {
  const Tensor x({1.0f, 3.0f});
  const auto grads = grad([](const Params& p) { return sum(argmax(p[0], 0) + p[0]); }, {x});
  CHECK(grads[0].to_vector() == std::vector<float>{1.0f, 1.0f});
}
