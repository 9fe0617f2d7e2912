#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/init.hpp"
#include "nn/nn_testing.hpp"

using namespace minnow;
using minnow::testing::check_close;
namespace init = minnow::nn::init;

namespace {

float stddev(const Tensor& t) {
  return std::sqrt(var(t).item());
}

}  // namespace

TEST_CASE("fans: fan_in = shape[-1], fan_out = shape[0], times the receptive field") {
  CHECK(init::fan_in_fan_out({3, 4}) == std::pair<int64_t, int64_t>{4, 3});
  CHECK(init::fan_in_fan_out({8, 3, 3, 2}) == std::pair<int64_t, int64_t>{18, 72});
  CHECK(init::fan_in_fan_out({5, 7, 2}) == std::pair<int64_t, int64_t>{14, 35});
  CHECK_THROWS_WITH_AS(init::fan_in_fan_out({4}), doctest::Contains("at least 2 dimensions"),
                       ValueError);
  CHECK_THROWS_AS(init::glorot_uniform()(zeros({4})), ValueError);
}

TEST_CASE("constant and identity") {
  check_close(init::constant(0.5f)(zeros({2, 2})), full({2, 2}, 0.5f));
  check_close(init::identity()(ones({3, 3})), eye(3));
  CHECK_THROWS_WITH_AS(init::identity()(zeros({2, 3})),
                       "[identity] the tensor must be a square matrix, got shape [2, 3]",
                       ValueError);
}

TEST_CASE("normal and uniform: statistics, ignoring the argument's values") {
  random::seed(1);
  const Tensor n = init::normal(2.0f, 0.5f)(full({200, 200}, 7.0f));
  CHECK(n.shape() == Shape{200, 200});
  CHECK(mean(n).item() == doctest::Approx(2.0f).epsilon(0.01));
  CHECK(stddev(n) == doctest::Approx(0.5f).epsilon(0.02));
  const Tensor u = init::uniform(-1.0f, 3.0f)(zeros({200, 200}));
  CHECK(min(u).item() >= -1.0f);
  CHECK(max(u).item() < 3.0f);
  CHECK(mean(u).item() == doctest::Approx(1.0f).epsilon(0.02));
}

TEST_CASE("seeded: the same seed (or generator state) gives the same tensor") {
  random::seed(5);
  const Tensor a = init::he_normal()(zeros({10, 10}));
  random::seed(5);
  const Tensor b = init::he_normal()(zeros({10, 10}));
  CHECK(array_equal(a, b));
  random::Generator g1(3), g2(3);
  CHECK(array_equal(init::orthogonal(1.0f, &g1)(zeros({5, 5})),
                    init::orthogonal(1.0f, &g2)(zeros({5, 5}))));
  CHECK(array_equal(init::sparse(0.5f, 0.0f, 1.0f, &g1)(zeros({5, 5})),
                    init::sparse(0.5f, 0.0f, 1.0f, &g2)(zeros({5, 5}))));
}

TEST_CASE("glorot: std = gain sqrt(2 / (fan_in + fan_out)), limit = gain sqrt(6 / (...))") {
  random::seed(2);
  const Tensor a = zeros({300, 200});
  CHECK(stddev(init::glorot_normal()(a)) == doctest::Approx(std::sqrt(2.0 / 500)).epsilon(0.02));
  CHECK(stddev(init::glorot_normal()(a, 2.0f)) ==
        doctest::Approx(2.0 * std::sqrt(2.0 / 500)).epsilon(0.02));
  const Tensor u = init::glorot_uniform()(a);
  const auto limit = static_cast<float>(std::sqrt(6.0 / 500));
  CHECK(max(abs(u)).item() <= limit);
  CHECK(max(abs(u)).item() > 0.99f * limit);
  CHECK(stddev(u) == doctest::Approx(limit / std::sqrt(3.0f)).epsilon(0.02));
}

TEST_CASE("he: std = gain / sqrt(fan) with no sqrt(2); limit = gain sqrt(3 / fan)") {
  random::seed(3);
  const Tensor a = zeros({400, 100});  // fan_in 100, fan_out 400
  CHECK(stddev(init::he_normal()(a)) == doctest::Approx(0.1).epsilon(0.02));
  CHECK(stddev(init::he_normal()(a, "fan_out")) == doctest::Approx(0.05).epsilon(0.02));
  CHECK(stddev(init::he_normal()(a, "fan_in", std::sqrt(2.0f))) ==
        doctest::Approx(std::sqrt(2.0) * 0.1).epsilon(0.02));
  const Tensor conv = zeros({16, 3, 3, 8});  // fan_in 72, fan_out 144
  const Tensor u = init::he_uniform()(conv);
  const auto limit = static_cast<float>(std::sqrt(3.0 / 72));
  CHECK(max(abs(u)).item() <= limit);
  CHECK(max(abs(u)).item() > 0.98f * limit);
  CHECK(max(abs(init::he_uniform()(conv, "fan_out"))).item() <=
        static_cast<float>(std::sqrt(3.0 / 144)));
  CHECK_THROWS_WITH_AS(init::he_normal()(a, "fan_avg"), doctest::Contains("invalid mode 'fan_avg'"),
                       ValueError);
}

TEST_CASE("sparse: exactly ceil(sparsity * columns) zeros in every row") {
  random::seed(4);
  const Tensor s = init::sparse(0.25f, 1.0f, 0.1f)(zeros({50, 10}));
  const auto values = s.to_vector();
  for (int row = 0; row < 50; ++row) {
    int zeros_in_row = 0;
    for (int col = 0; col < 10; ++col)
      zeros_in_row += values[static_cast<size_t>(row * 10 + col)] == 0.0f;
    CHECK(zeros_in_row == 3);
  }
  CHECK(init::sparse(0.0f)(zeros({4, 4})).to_vector() != std::vector<float>(16, 0.0f));
  CHECK(init::sparse(1.0f)(zeros({4, 4})).to_vector() == std::vector<float>(16, 0.0f));
  CHECK_THROWS_AS(init::sparse(0.5f)(zeros({4, 4, 4})), ValueError);
  CHECK_THROWS_WITH_AS(init::sparse(1.5f), "[sparse] sparsity must be in [0, 1], got 1.5",
                       ValueError);
}

TEST_CASE("orthogonal: orthonormal rows or columns, times gain") {
  random::seed(6);
  const Tensor wide = init::orthogonal()(zeros({4, 6}));
  check_close(matmul(wide, transpose(wide)), eye(4), 1e-5f, 1e-5f);
  const Tensor tall = init::orthogonal(2.0f)(zeros({6, 4}));
  check_close(matmul(transpose(tall), tall), eye(4) * 4.0f, 1e-4f, 1e-5f);
  CHECK_THROWS_AS(init::orthogonal()(zeros({2, 2, 2})), ValueError);
}
