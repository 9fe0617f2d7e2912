#include "minnow/core/blas.hpp"

#include <algorithm>
#include <array>

#include "minnow/core/eigen.hpp"

#ifdef MINNOW_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace minnow::detail {

namespace {

// C = beta * C for the degenerate product with k == 0 (BLAS conventions: beta 0 ignores C).
void scale_only(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  using Strided = Eigen::Map<RowMajorMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
  Strided out(c, m, n, Eigen::OuterStride<>(ldc));
  if (beta == 0.0f) {
    out.setZero();
  } else if (beta != 1.0f) {
    out *= beta;
  }
}

// Products of at most this many multiply-adds (m * n * k) use tiny_gemm below. Above it, OpenBLAS
// (when found) wins at every size measured: its small-matrix kernels use AVX-512 chosen at run
// time, while Eigen is limited to what the build targets (SSE2 for a default x86-64 build):
// 16 x 16 x 16 takes 100-220 ns through cblas_sgemm against 340-350 ns through Eigen.
constexpr int64_t kTinyProduct = 256;

// Columns of C computed together in tiny_gemm: eight accumulators fill two SSE registers.
constexpr int64_t kTinyBlock = 8;

// C(i, 0 .. Width) += with row i of op(A) (element p at a[p * a_step]) against op(B)'s rows
// (stored contiguously, ldb apart). Width is fixed so that the accumulators stay in registers.
template <int64_t Width>
void tiny_row_block(const float* a, int64_t a_step, int64_t k, const float* b, int64_t ldb,
                    float alpha, float beta, float* c) {
  std::array<float, Width> acc{};
  for (int64_t p = 0; p < k; ++p) {
    const float s = a[p * a_step];
    const float* b_row = b + p * ldb;
    for (int64_t j = 0; j < Width; ++j) acc[j] += s * b_row[j];
  }
  for (int64_t j = 0; j < Width; ++j) {
    c[j] = beta == 0.0f ? alpha * acc[j] : alpha * acc[j] + beta * c[j];
  }
}

// Products this small (the tiny benchmark MLP's are 32 to 256 multiply-adds) cost more in
// Eigen's and OpenBLAS's set-up (packing, blocking, dispatch) than in arithmetic; measured on
// the eight products of the tiny MLP's training step: 426 ns through Eigen, 467 ns through
// OpenBLAS, 261 ns here.
void tiny_gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
               int64_t ldc) {
  std::array<float, kTinyProduct> packed;  // op(B) as k x n rows when B is stored transposed
  if (transpose_b) {
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t p = 0; p < k; ++p) packed[static_cast<size_t>(p * n + j)] = b[j * ldb + p];
    }
    b = packed.data();
    ldb = n;
  }
  const int64_t a_row = transpose_a ? 1 : lda;  // op(A)(i, p) = a[i * a_row + p * a_step]
  const int64_t a_step = transpose_a ? lda : 1;
  for (int64_t i = 0; i < m; ++i) {
    const float* a_i = a + i * a_row;
    float* c_i = c + i * ldc;
    int64_t j = 0;
    for (; j + kTinyBlock <= n; j += kTinyBlock) {
      tiny_row_block<kTinyBlock>(a_i, a_step, k, b + j, ldb, alpha, beta, c_i + j);
    }
    if (j + 4 <= n) {
      tiny_row_block<4>(a_i, a_step, k, b + j, ldb, alpha, beta, c_i + j);
      j += 4;
    }
    if (j + 2 <= n) {
      tiny_row_block<2>(a_i, a_step, k, b + j, ldb, alpha, beta, c_i + j);
      j += 2;
    }
    if (j < n) tiny_row_block<1>(a_i, a_step, k, b + j, ldb, alpha, beta, c_i + j);
  }
}

#ifndef MINNOW_HAVE_OPENBLAS
// Without OpenBLAS, Eigen's GEMM on maps of the same memory does the larger products.
using ConstStrided = Eigen::Map<const RowMajorMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using Strided = Eigen::Map<RowMajorMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

template <class A, class B>
void eigen_product(const A& op_a, const B& op_b, float alpha, float beta, Strided& out) {
  if (beta == 0.0f) {
    out.noalias() = alpha * op_a * op_b;
  } else {
    if (beta != 1.0f) out *= beta;
    out.noalias() += alpha * op_a * op_b;
  }
}

void eigen_gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc) {
  const ConstStrided stored_a(a, transpose_a ? k : m, transpose_a ? m : k,
                              Eigen::OuterStride<>(lda));
  const ConstStrided stored_b(b, transpose_b ? n : k, transpose_b ? k : n,
                              Eigen::OuterStride<>(ldb));
  Strided out(c, m, n, Eigen::OuterStride<>(ldc));
  if (transpose_a && transpose_b) {
    eigen_product(stored_a.transpose(), stored_b.transpose(), alpha, beta, out);
  } else if (transpose_a) {
    eigen_product(stored_a.transpose(), stored_b, alpha, beta, out);
  } else if (transpose_b) {
    eigen_product(stored_a, stored_b.transpose(), alpha, beta, out);
  } else {
    eigen_product(stored_a, stored_b, alpha, beta, out);
  }
}
#endif

}  // namespace

void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    scale_only(m, n, beta, c, ldc);
    return;
  }
  if (m * n * k <= kTinyProduct) {
    tiny_gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#ifdef MINNOW_HAVE_OPENBLAS
  apply_blas_threads_once();
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(std::max<int64_t>(lda, 1)), b,
              static_cast<blasint>(std::max<int64_t>(ldb, 1)), beta, c,
              static_cast<blasint>(std::max<int64_t>(ldc, 1)));
#else
  eigen_gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

}  // namespace minnow::detail
