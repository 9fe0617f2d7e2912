// Shape ops: views, permutations, broadcasts, joins, splits, slices and gathers, with their
// error messages.

#include <doctest/doctest.h>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "test_ops_support.hpp"

using namespace minnow;
using testing::check_tensor;
using testing::Params;

namespace {

Tensor iota(const Shape& shape) {
  return reshape(arange(static_cast<float>(shape.numel())), shape);
}

}  // namespace

TEST_CASE("reshape is a view and infers one -1 dimension") {
  const Tensor x = iota(Shape{2, 3});
  const Tensor y = reshape(x, Shape{3, -1});
  CHECK(y.shape() == Shape{3, 2});
  CHECK(y.shares_data(x));
  CHECK(y.to_vector() == x.to_vector());
  CHECK(reshape(x, Shape{-1}).shape() == Shape{6});
  CHECK(reshape(Tensor(1.0f), Shape{1, 1}).shape() == Shape{1, 1});
  CHECK(reshape(zeros(Shape{0, 4}), Shape{2, 0, 2}).shape() == Shape{2, 0, 2});
  CHECK(flatten(x).shape() == Shape{6});
  CHECK(flatten(Tensor(2.0f)).shape() == Shape{1});
}

TEST_CASE("reshape errors") {
  const Tensor x = zeros(Shape{2, 3});
  CHECK_THROWS_WITH_AS(reshape(x, Shape{4}), "[reshape] cannot reshape [2, 3] to [4]", ShapeError);
  CHECK_THROWS_WITH_AS(reshape(x, Shape{-1, 4}),
                       doctest::Contains("[reshape] cannot reshape [2, 3] to [-1, 4]"), ShapeError);
  CHECK_THROWS_WITH_AS(reshape(x, Shape{-1, -1}), doctest::Contains("[reshape]"), ShapeError);
  CHECK_THROWS_WITH_AS(reshape(x, Shape{-2, -3}), doctest::Contains("[reshape]"), ShapeError);
  CHECK_THROWS_WITH_AS(reshape(zeros(Shape{0}), Shape{0, -1}), doctest::Contains("[reshape]"),
                       ShapeError);
}

TEST_CASE("transpose, permutations and swapaxes") {
  const Tensor m = iota(Shape{2, 3});
  check_tensor(transpose(m), Shape{3, 2}, {0, 3, 1, 4, 2, 5});
  const Tensor c = iota(Shape{2, 3, 4});
  const Tensor t = transpose(c, {1, 2, 0});
  CHECK(t.shape() == Shape{3, 4, 2});
  CHECK(t.at({2, 1, 1}) == c.at({1, 2, 1}));
  CHECK(t.at({1, 3, 0}) == c.at({0, 1, 3}));
  const Tensor r = transpose(c);
  CHECK(r.shape() == Shape{4, 3, 2});
  CHECK(r.at({3, 2, 1}) == c.at({1, 2, 3}));
  const Tensor s = swapaxes(c, 0, -1);
  CHECK(s.shape() == Shape{4, 3, 2});
  CHECK(s.to_vector() == r.to_vector());
  check_tensor(transpose(c, {0, 1, 2}), c);
  check_tensor(transpose(c, {-3, -1, -2}), swapaxes(c, 1, 2));
  check_tensor(transpose(Tensor({1.0f, 2.0f})), Shape{2}, {1, 2});
  CHECK(transpose(zeros(Shape{0, 3})).shape() == Shape{3, 0});
  CHECK_THROWS_WITH_AS(transpose(c, {0, 0, 1}),
                       "[transpose] [0, 0, 1] is not a permutation of the axes of shape [2, 3, 4]",
                       ValueError);
  CHECK_THROWS_AS(transpose(c, {0, 1}), ValueError);
  CHECK_THROWS_AS(swapaxes(c, 0, 3), IndexError);
}

TEST_CASE("expand_dims and squeeze") {
  const Tensor x = iota(Shape{2, 3});
  CHECK(expand_dims(x, 0).shape() == Shape{1, 2, 3});
  CHECK(expand_dims(x, 2).shape() == Shape{2, 3, 1});
  CHECK(expand_dims(x, -1).shape() == Shape{2, 3, 1});
  CHECK(expand_dims(x, -2).shape() == Shape{2, 1, 3});
  CHECK(expand_dims(x, 1).shares_data(x));
  CHECK(squeeze(zeros(Shape{1, 2, 1, 3, 1})).shape() == Shape{2, 3});
  CHECK(squeeze(zeros(Shape{1, 2, 1}), -1).shape() == Shape{1, 2});
  CHECK(squeeze(zeros(Shape{1, 1})).shape() == Shape{});
  CHECK_THROWS_AS(expand_dims(x, 3), IndexError);
  CHECK_THROWS_WITH_AS(squeeze(x, 1),
                       "[squeeze] cannot remove axis 1 of shape [2, 3]: its size is 3, not 1",
                       ShapeError);
}

TEST_CASE("broadcast_to copies along new and size-1 axes") {
  check_tensor(broadcast_to(Tensor({1.0f, 2.0f}), Shape{3, 2}), Shape{3, 2}, {1, 2, 1, 2, 1, 2});
  check_tensor(broadcast_to(testing::column({1.0f, 2.0f}), Shape{2, 2, 3}), Shape{2, 2, 3},
               {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
  check_tensor(broadcast_to(Tensor(7.0f), Shape{2}), Shape{2}, {7, 7});
  const Tensor same = Tensor({1.0f, 2.0f});
  CHECK(broadcast_to(same, Shape{2}).shares_data(same));
  CHECK(broadcast_to(Tensor({1.0f}), Shape{0}).shape() == Shape{0});
  CHECK_THROWS_WITH_AS(broadcast_to(zeros(Shape{2, 3}), Shape{3}),
                       "[broadcast_to] cannot broadcast [2, 3] to [3]", ShapeError);
  CHECK_THROWS_AS(broadcast_to(zeros(Shape{2}), Shape{3, 3}), ShapeError);
}

TEST_CASE("concatenate along any axis") {
  const Tensor a = iota(Shape{2, 2});
  const Tensor b = Tensor({{10.0f, 11.0f, 12.0f}, {13.0f, 14.0f, 15.0f}});
  check_tensor(concatenate({a, b}, 1), Shape{2, 5}, {0, 1, 10, 11, 12, 2, 3, 13, 14, 15});
  check_tensor(concatenate({a, Tensor({{9.0f, 9.0f}})}), Shape{3, 2}, {0, 1, 2, 3, 9, 9});
  check_tensor(concatenate({Tensor({1.0f}), zeros(Shape{0}), Tensor({2.0f, 3.0f})}), Shape{3},
               {1, 2, 3});
  const Tensor c = iota(Shape{2, 1, 2});
  check_tensor(concatenate({c, c * 10.0f}, -2), Shape{2, 2, 2}, {0, 1, 0, 10, 2, 3, 20, 30});
  CHECK_THROWS_WITH_AS(concatenate({a, b}, 0),
                       "[concatenate] shapes [2, 2] and [2, 3] do not match outside axis 0",
                       ShapeError);
  CHECK_THROWS_WITH_AS(concatenate({}), "[concatenate] needs at least one tensor", ValueError);
  CHECK_THROWS_AS(concatenate({Tensor(1.0f), Tensor(2.0f)}), ShapeError);
  CHECK_THROWS_AS(concatenate({a, zeros(Shape{2})}, 1), ShapeError);
}

TEST_CASE("stack joins along a new axis") {
  const Tensor a({1.0f, 2.0f});
  const Tensor b({3.0f, 4.0f});
  check_tensor(stack({a, b}), Shape{2, 2}, {1, 2, 3, 4});
  check_tensor(stack({a, b}, 1), Shape{2, 2}, {1, 3, 2, 4});
  check_tensor(stack({a, b}, -1), Shape{2, 2}, {1, 3, 2, 4});
  check_tensor(stack({Tensor(1.0f), Tensor(2.0f)}), Shape{2}, {1, 2});
  CHECK_THROWS_WITH_AS(stack({a, Tensor({1.0f})}),
                       "[stack] all tensors must have the same shape, got [2] and [1]", ShapeError);
  CHECK_THROWS_AS(stack({}), ValueError);
}

TEST_CASE("slice clamps as Python and counts negatives from the end") {
  const Tensor x = iota(Shape{2, 5});
  check_tensor(slice(x, 1, 3, 1), Shape{2, 2}, {1, 2, 6, 7});
  check_tensor(slice(x, -2, 100, 1), Shape{2, 2}, {3, 4, 8, 9});
  check_tensor(slice(x, -100, 1, -1), Shape{2, 1}, {0, 5});
  check_tensor(slice(x, 1, 2), Shape{1, 5}, {5, 6, 7, 8, 9});
  CHECK(slice(x, 3, 1, 1).shape() == Shape{2, 0});
  CHECK(slice(x, 7, 9, 1).shape() == Shape{2, 0});
  CHECK_THROWS_AS(slice(x, 0, 1, 2), IndexError);
}

TEST_CASE("split into equal sections or at indices") {
  const Tensor x = iota(Shape{6, 2});
  const auto thirds = split(x, 3);
  REQUIRE(thirds.size() == 3);
  check_tensor(thirds[2], Shape{2, 2}, {8, 9, 10, 11});
  const auto columns = split(x, 2, 1);
  check_tensor(columns[1], Shape{6, 1}, {1, 3, 5, 7, 9, 11});
  const auto parts = split(x, std::vector<int64_t>{1, 4});
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].shape() == Shape{1, 2});
  CHECK(parts[1].shape() == Shape{3, 2});
  check_tensor(parts[2], Shape{2, 2}, {8, 9, 10, 11});
  const auto odd =
      split(x, std::vector<int64_t>{4, 2, -1});  // as NumPy: x[:4], x[4:2], x[2:-1], x[-1:]
  REQUIRE(odd.size() == 4);
  CHECK(odd[1].shape() == Shape{0, 2});
  CHECK(odd[2].shape() == Shape{3, 2});
  check_tensor(odd[3], Shape{1, 2}, {10, 11});
  CHECK(split(x, std::vector<int64_t>{}).size() == 1);
  CHECK_THROWS_WITH_AS(split(x, 4),
                       "[split] axis 0 of shape [6, 2] cannot be split into 4 equal sections",
                       ShapeError);
  CHECK_THROWS_AS(split(x, 0), ValueError);
}

TEST_CASE("take gathers along an axis, with negative indices") {
  const Tensor x = iota(Shape{3, 4});
  check_tensor(take(x, Tensor({2.0f, 0.0f, -1.0f}), 0), Shape{3, 4},
               {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
  check_tensor(take(x, Tensor({{1.0f, 3.0f}, {0.0f, 0.0f}}), 1), Shape{3, 2, 2},
               {1, 3, 0, 0, 5, 7, 4, 4, 9, 11, 8, 8});
  check_tensor(take(x, Tensor(-4.0f), 1), Shape{3}, {0, 4, 8});  // a scalar index drops the axis
  CHECK(take(x, zeros(Shape{0}), 0).shape() == Shape{0, 4});
  CHECK_THROWS_WITH_AS(take(x, Tensor({3.0f}), 0),
                       "[take] index 3 is out of range for axis 0 of size 3", IndexError);
  CHECK_THROWS_WITH_AS(take(x, Tensor({-5.0f}), 1),
                       doctest::Contains("[take] index -5 is out of range"), IndexError);
  CHECK_THROWS_WITH_AS(take(x, Tensor({0.5f}), 0),
                       doctest::Contains("[take] indices must hold integers"), ValueError);
  CHECK_THROWS_AS(take(x, Tensor({testing::kNaN}), 0), ValueError);
}

TEST_CASE("take_along_axis picks one entry per position, broadcasting the indices") {
  const Tensor x({{10.0f, 11.0f, 12.0f}, {20.0f, 21.0f, 22.0f}});
  check_tensor(take_along_axis(x, testing::column({2.0f, 0.0f}), 1), Shape{2, 1}, {12, 20});
  check_tensor(take_along_axis(x, Tensor({{1.0f, 0.0f, 1.0f}}), 0), Shape{1, 3}, {20, 11, 22});
  check_tensor(take_along_axis(x, Tensor({{-1.0f, 0.0f}, {1.0f, 1.0f}}), 1), Shape{2, 2},
               {12, 10, 21, 21});
  // Indices broadcast against x outside the axis: one row of indices for every row of x.
  check_tensor(take_along_axis(x, Tensor({{0.0f, 2.0f}}), 1), Shape{2, 2}, {10, 12, 20, 22});
  // And x broadcasts against the indices.
  check_tensor(take_along_axis(Tensor({{1.0f, 2.0f}}), testing::column({1.0f, 0.0f}), 1),
               Shape{2, 1}, {2, 1});
  const Tensor c = iota(Shape{2, 3, 2});
  check_tensor(take_along_axis(c, Tensor({{{2.0f, 0.0f}}, {{1.0f, 1.0f}}}), 1), Shape{2, 1, 2},
               {4, 1, 8, 9});
  CHECK_THROWS_WITH_AS(take_along_axis(x, Tensor({2.0f}), 1),
                       doctest::Contains("[take_along_axis] indices of shape [1] need as many "
                                         "dimensions as x of shape [2, 3]"),
                       ShapeError);
  CHECK_THROWS_AS(take_along_axis(x, testing::column({3.0f, 0.0f}), 1), IndexError);
  CHECK_THROWS_AS(take_along_axis(x, zeros(Shape{3, 1}), 1), ShapeError);
}

TEST_CASE("gather gradients scatter-add, also for repeated indices") {
  const Tensor x = iota(Shape{3, 2});
  const Tensor idx({0.0f, 2.0f, 0.0f});
  const auto g = grad([&](const Params& p) { return sum(take(p[0], idx, 0) * 2.0f); }, {x});
  check_tensor(g[0], Shape{3, 2}, {4, 4, 0, 0, 2, 2});
  const Tensor along = testing::column({1.0f, 1.0f, 0.0f});
  const auto h = grad([&](const Params& p) { return sum(take_along_axis(p[0], along, 1)); }, {x});
  check_tensor(h[0], Shape{3, 2}, {0, 1, 0, 1, 1, 0});
}

TEST_CASE("shape ops on empty handles name the op") {
  CHECK_THROWS_WITH_AS(reshape(Tensor(), Shape{1}), doctest::Contains("[reshape]"), ValueError);
  CHECK_THROWS_WITH_AS(transpose(Tensor()), doctest::Contains("[transpose]"), ValueError);
  CHECK_THROWS_WITH_AS(concatenate({Tensor({1.0f}), Tensor()}), doctest::Contains("[concatenate]"),
                       ValueError);
}
