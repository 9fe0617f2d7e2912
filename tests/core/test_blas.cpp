// The matrix-product entry point against a double-precision triple loop, for every layout, on
// sizes on both sides of the switch from minnow's tiny kernel to the library GEMM, with row
// strides larger than the rows and with alpha and beta.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "minnow/core/blas.hpp"
#include "minnow/core/random.hpp"
#include "threads_setting.hpp"

using namespace minnow;

namespace {

struct Product {
  bool transpose_a, transpose_b;
  int64_t m, n, k;
  float alpha, beta;
};

std::vector<float> random_values(size_t count, random::Generator& gen) {
  std::vector<float> values(count);
  for (float& v : values) v = gen.next_float() * 2.0f - 1.0f;
  return values;
}

void check_product(const Product& p, random::Generator& gen) {
  const int64_t pad = 3;  // every matrix is stored with a wider row than it uses
  const int64_t a_rows = p.transpose_a ? p.k : p.m, a_cols = p.transpose_a ? p.m : p.k;
  const int64_t b_rows = p.transpose_b ? p.n : p.k, b_cols = p.transpose_b ? p.k : p.n;
  const int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = p.n + pad;
  const auto a = random_values(static_cast<size_t>(a_rows * lda), gen);
  const auto b = random_values(static_cast<size_t>(b_rows * ldb), gen);
  auto c = random_values(static_cast<size_t>(p.m * ldc), gen);
  const auto c_before = c;
  detail::gemm(p.transpose_a, p.transpose_b, p.m, p.n, p.k, p.alpha, a.data(), lda, b.data(), ldb,
               p.beta, c.data(), ldc);
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      double sum = 0.0;
      for (int64_t q = 0; q < p.k; ++q) {
        const float av = p.transpose_a ? a[static_cast<size_t>(q * lda + i)]
                                       : a[static_cast<size_t>(i * lda + q)];
        const float bv = p.transpose_b ? b[static_cast<size_t>(j * ldb + q)]
                                       : b[static_cast<size_t>(q * ldb + j)];
        sum += static_cast<double>(av) * bv;
      }
      const size_t at = static_cast<size_t>(i * ldc + j);
      const double expected =
          p.alpha * sum + (p.beta == 0.0f ? 0.0 : p.beta * static_cast<double>(c_before[at]));
      REQUIRE(std::abs(c[at] - expected) <= 1e-5 * (1.0 + std::abs(expected)) * p.k);
    }
    // The padding past each row of C is never written.
    for (int64_t j = p.n; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      REQUIRE(c[at] == c_before[at]);
    }
  }
}

}  // namespace

TEST_CASE("gemm matches a double-precision triple loop on every layout and size class") {
  random::Generator gen(7);
  const int64_t sizes[][3] = {{1, 1, 1}, {4, 8, 2}, {4, 1, 8},    {8, 2, 4},
                              {3, 5, 7}, {4, 8, 8}, {8, 8, 4},    {1, 13, 11},
                              {6, 6, 7}, {8, 8, 8}, {16, 16, 16}, {33, 17, 9}};
  for (const auto& [m, n, k] : sizes) {
    for (int layout = 0; layout < 4; ++layout) {
      for (const auto& [alpha, beta] : {std::pair{1.0f, 0.0f}, {1.0f, 1.0f}, {-0.5f, 2.0f}}) {
        const Product p{(layout & 1) != 0, (layout & 2) != 0, m, n, k, alpha, beta};
        CAPTURE(p.transpose_a);
        CAPTURE(p.transpose_b);
        CAPTURE(m);
        CAPTURE(n);
        CAPTURE(k);
        CAPTURE(alpha);
        CAPTURE(beta);
        check_product(p, gen);
      }
    }
  }
}

TEST_CASE("gemm split across threads matches the triple loop on every layout") {
  // Products of at least 2^20 multiply-adds are split into blocks of C along its longer side:
  // here columns (the first), rows (the second), and one too narrow to split (the third); the
  // block sizes leave a short last block, or an empty one with three threads.
  random::Generator gen(8);
  const int64_t sizes[][3] = {{64, 130, 128}, {200, 40, 140}, {16, 16, 4096}};
  for (const int threads : {2, 3}) {
    const testing::ThreadsSetting setting(threads);
    for (const auto& [m, n, k] : sizes) {
      REQUIRE(m * n * k >= int64_t{1} << 20);
      for (int layout = 0; layout < 4; ++layout) {
        const Product p{(layout & 1) != 0, (layout & 2) != 0, m, n, k, -0.5f, 2.0f};
        CAPTURE(threads);
        CAPTURE(p.transpose_a);
        CAPTURE(p.transpose_b);
        CAPTURE(m);
        CAPTURE(n);
        CAPTURE(k);
        check_product(p, gen);
      }
    }
  }
}

TEST_CASE("gemm with beta == 0 ignores what C held, NaN included") {
  const std::vector<float> a{1.0f, 2.0f, 3.0f, 4.0f};  // 2 x 2
  const std::vector<float> b{1.0f, 0.0f, 0.0f, 1.0f};  // identity
  std::vector<float> c(4, std::nanf(""));
  detail::gemm(false, false, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2);
  CHECK(c == a);
}
