// matmul (2-D, 1-D promotion, batched with broadcasting), addmm and linear against products
// worked out by hand, their gradients in closed form, and the thread setting.

#include <doctest/doctest.h>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/threads.hpp"
#include "test_ops_support.hpp"

using namespace minnow;
using testing::check_tensor;
using testing::Params;

namespace {

// Fixtures as functions: tensors must not outlive the thread's buffer pool.
Tensor mat_a() {
  return Tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
}  // [2, 3]
Tensor mat_b() {  // [3, 4]
  return Tensor({{1.0f, 0.0f, 2.0f, -1.0f}, {0.0f, 1.0f, 1.0f, 2.0f}, {3.0f, -1.0f, 0.0f, 1.0f}});
}
// mat_a() @ mat_b(), by hand: row 0 = [1+0+9, 0+2-3, 2+2+0, -1+4+3],
// row 1 = [4+0+18, 0+5-6, 8+5+0, -4+10+6].
const std::vector<float> kAB = {10, -1, 4, 6, 22, -1, 13, 12};

}  // namespace

TEST_CASE("matmul of matrices") {
  const Tensor A = mat_a(), B = mat_b();
  check_tensor(matmul(A, B), Shape{2, 4}, kAB);
  check_tensor(matmul(eye(2), A), A);
  check_tensor(matmul(A, transpose(A)), Shape{2, 2}, {14, 32, 32, 77});
}

TEST_CASE("matmul promotes 1-D operands as NumPy") {
  const Tensor A = mat_a(), B = mat_b();
  const Tensor v({1.0f, -1.0f});
  const Tensor w({1.0f, 0.0f, 2.0f});
  check_tensor(matmul(v, A), Shape{3}, {-3, -3, -3});
  check_tensor(matmul(A, w), Shape{2}, {7, 16});
  check_tensor(matmul(w, w), Tensor(5.0f));
  const Tensor batch = stack({A, A * 2.0f});  // [2, 2, 3]
  check_tensor(matmul(batch, w), Shape{2, 2}, {7, 16, 14, 32});
  check_tensor(matmul(v, batch), Shape{2, 3}, {-3, -3, -3, -6, -6, -6});
}

TEST_CASE("batched matmul broadcasts the leading axes") {
  const Tensor A = mat_a(), B = mat_b();
  const Tensor batch = stack({A, A * -1.0f});  // [2, 2, 3]
  const Tensor ab = matmul(batch, B);          // a shared right matrix
  CHECK(ab.shape() == Shape{2, 2, 4});
  check_tensor(slice(ab, 0, 1), Shape{1, 2, 4}, kAB);
  check_tensor(slice(ab, 1, 2) * -1.0f, Shape{1, 2, 4}, kAB);
  // A shared left matrix against a batch of right ones.
  const Tensor rights = stack({B, B * 2.0f, B * 0.0f});  // [3, 3, 4]
  const Tensor left = matmul(A, rights);
  CHECK(left.shape() == Shape{3, 2, 4});
  check_tensor(slice(left, 1, 2) * 0.5f, Shape{1, 2, 4}, kAB);
  // [2, 1, 2, 3] @ [3, 3, 4] -> [2, 3, 2, 4], each block A-or-(-A) times B, 2 B or 0.
  const Tensor four = matmul(reshape(batch, Shape{2, 1, 2, 3}), rights);
  CHECK(four.shape() == Shape{2, 3, 2, 4});
  std::vector<float> expected;
  for (float sign : {1.0f, -1.0f}) {
    for (float scale : {1.0f, 2.0f, 0.0f}) {
      for (float v : kAB) expected.push_back(sign * scale * v);
    }
  }
  check_tensor(four, Shape{2, 3, 2, 4}, expected);
}

TEST_CASE("matmul with empty dimensions") {
  const Tensor B = mat_b();
  check_tensor(matmul(zeros(Shape{2, 0}), zeros(Shape{0, 3})), zeros(Shape{2, 3}));
  CHECK(matmul(zeros(Shape{0, 3}), B).shape() == Shape{0, 4});
  CHECK(matmul(zeros(Shape{0, 2, 3}), B).shape() == Shape{0, 2, 4});
}

TEST_CASE("gradients of products with empty dimensions keep their shapes") {
  const auto grads = grad([](const Params& p) { return sum(matmul(p[0], p[1])); },
                          {zeros(Shape{2, 3, 0}), zeros(Shape{0, 4})});
  CHECK(grads[0].shape() == Shape{2, 3, 0});
  check_tensor(grads[1], zeros(Shape{0, 4}));
  const auto lin = grad([](const Params& p) { return sum(linear(p[0], p[1], p[2])); },
                        {zeros(Shape{0, 3}), ones(Shape{2, 3}), ones(Shape{2})});
  check_tensor(lin[1], zeros(Shape{2, 3}));
  check_tensor(lin[2], zeros(Shape{2}));
}

TEST_CASE("matmul errors name both shapes") {
  const Tensor A = mat_a();
  CHECK_THROWS_WITH_AS(matmul(zeros(Shape{2, 3}), zeros(Shape{4, 5})),
                       "[matmul] shapes [2, 3] and [4, 5] cannot be multiplied", ShapeError);
  CHECK_THROWS_WITH_AS(matmul(zeros(Shape{3}), zeros(Shape{2})),
                       doctest::Contains("[matmul] shapes [3] and [2] cannot be multiplied"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(matmul(zeros(Shape{2, 2, 3}), zeros(Shape{3, 3, 4})),
                       doctest::Contains("[matmul] shapes [2, 2, 3] and [3, 3, 4] cannot be "
                                         "multiplied: their batch axes do not broadcast"),
                       ShapeError);
  CHECK_THROWS_AS(matmul(Tensor(2.0f), A), ShapeError);
  CHECK_THROWS_WITH_AS(matmul(Tensor(), A), doctest::Contains("[matmul]"), ValueError);
}

TEST_CASE("addmm scales the product and the broadcast addend") {
  const Tensor A = mat_a(), B = mat_b();
  const Tensor c({1.0f, 2.0f, 3.0f, 4.0f});
  std::vector<float> expected;
  for (size_t i = 0; i < kAB.size(); ++i)
    expected.push_back(0.5f * kAB[i] + 2.0f * c.data()[i % 4]);
  check_tensor(addmm(c, A, B, 0.5f, 2.0f), Shape{2, 4}, expected);
  check_tensor(addmm(zeros(Shape{2, 4}), A, B), Shape{2, 4}, kAB);
  // beta = 0 ignores c, even when it holds NaN (as BLAS).
  check_tensor(addmm(Tensor(testing::kNaN), A, B, 1.0f, 0.0f), Shape{2, 4}, kAB);
  CHECK_THROWS_WITH_AS(addmm(c, A, A), doctest::Contains("[addmm] shapes [2, 3] and [2, 3]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(addmm(zeros(Shape{3}), A, B),
                       doctest::Contains("[addmm] shapes [3] and [2, 4] cannot be broadcast"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(
      addmm(zeros(Shape{2, 1, 4}), A, B),
      doctest::Contains("[addmm] c of shape [2, 1, 4] cannot be broadcast to [2, 4]"), ShapeError);
}

TEST_CASE("linear is x @ W^T + b for any leading axes") {
  const Tensor A = mat_a(), B = mat_b();
  const Tensor weight = transpose(B);  // [4, 3]
  const Tensor bias({1.0f, 2.0f, 3.0f, 4.0f});
  std::vector<float> with_bias;
  for (size_t i = 0; i < kAB.size(); ++i) with_bias.push_back(kAB[i] + bias.data()[i % 4]);
  check_tensor(linear(A, weight, bias), Shape{2, 4}, with_bias);
  check_tensor(linear(A, weight), Shape{2, 4}, kAB);
  check_tensor(linear(Tensor({1.0f, 2.0f, 3.0f}), weight, bias), Shape{4},
               {with_bias[0], with_bias[1], with_bias[2], with_bias[3]});
  const Tensor x3 = stack({A, A});  // [2, 2, 3]
  const Tensor y3 = linear(x3, weight, bias);
  CHECK(y3.shape() == Shape{2, 2, 4});
  check_tensor(reshape(y3, Shape{4, 4}), Shape{4, 4}, [&] {
    std::vector<float> twice = with_bias;
    twice.insert(twice.end(), with_bias.begin(), with_bias.end());
    return twice;
  }());
  // No input features: the output is the bias alone.
  check_tensor(linear(zeros(Shape{2, 0}), zeros(Shape{3, 0}), Tensor({1.0f, 2.0f, 3.0f})),
               Shape{2, 3}, {1, 2, 3, 1, 2, 3});
  CHECK(linear(zeros(Shape{0, 3}), weight, bias).shape() == Shape{0, 4});
}

TEST_CASE("linear errors") {
  const Tensor weight = zeros(Shape{4, 3});
  CHECK_THROWS_WITH_AS(linear(zeros(Shape{2, 5}), weight),
                       "[linear] input of shape [2, 5] does not fit weight of shape [4, 3]: its "
                       "last dimension must be 3",
                       ShapeError);
  CHECK_THROWS_WITH_AS(
      linear(zeros(Shape{2, 3}), weight, zeros(Shape{3})),
      "[linear] bias of shape [3] does not fit weight of shape [4, 3]: expected [4]", ShapeError);
  CHECK_THROWS_WITH_AS(linear(zeros(Shape{2, 3}), zeros(Shape{3})),
                       "[linear] weight must be 2-D [out, in], got shape [3]", ShapeError);
  CHECK_THROWS_AS(linear(Tensor(1.0f), weight), ShapeError);
}

TEST_CASE("linear and matmul gradients in closed form") {
  const Tensor A = mat_a(), B = mat_b();
  const Tensor x = A;
  const Tensor weight = transpose(B);  // [4, 3]
  const Tensor bias({1.0f, 2.0f, 3.0f, 4.0f});
  const Tensor g_out = testing::normal_input(Shape{2, 4}, 11);
  const auto grads = grad([&](const Params& p) { return sum(linear(p[0], p[1], p[2]) * g_out); },
                          {x, weight, bias});
  check_tensor(grads[0], matmul(g_out, weight), 1e-5f);        // g @ W
  check_tensor(grads[1], matmul(transpose(g_out), x), 1e-5f);  // g^T @ x
  check_tensor(grads[2], sum(g_out, 0), 1e-5f);                // column sums
  const auto mm = grad([&](const Params& p) { return sum(matmul(p[0], p[1]) * g_out); }, {x, B});
  check_tensor(mm[0], matmul(g_out, transpose(B)), 1e-5f);
  check_tensor(mm[1], matmul(transpose(x), g_out), 1e-5f);
}

TEST_CASE("a tensor used twice in one product gets both gradients") {
  const Tensor m({{1.0f, 2.0f}, {3.0f, 4.0f}});
  // d/dM sum(M @ M) = 1 @ M^T + M^T @ 1 (1: all-ones matrix)
  const auto grads = grad([](const Params& p) { return sum(matmul(p[0], p[0])); }, {m});
  const Tensor one = ones(Shape{2, 2});
  check_tensor(grads[0], add(matmul(one, transpose(m)), matmul(transpose(m), one)));
}

TEST_CASE("the thread setting") {
  const Tensor A = mat_a(), B = mat_b();
  CHECK(num_threads() == 1);  // the default: results and timings do not depend on the machine
  set_num_threads(2);
  CHECK(num_threads() == 2);
  check_tensor(matmul(A, B), Shape{2, 4}, kAB);
  set_num_threads(1);
  CHECK(num_threads() == 1);
  CHECK_THROWS_WITH_AS(set_num_threads(0), doctest::Contains("[set_num_threads]"), ValueError);
}
