#include "minnow/core/blas.hpp"

#include <algorithm>
#include <array>

#include "minnow/core/eigen.hpp"
#include "minnow/core/threads.hpp"

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

// One product's arguments, as gemm() takes them.
struct Product {
  bool transpose_a, transpose_b;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

// A product too large for tiny_gemm, through the library GEMM on the calling thread.
void library_gemm(const Product& p) {
#ifdef MINNOW_HAVE_OPENBLAS
  make_blas_single_threaded_once();
  cblas_sgemm(CblasRowMajor, p.transpose_a ? CblasTrans : CblasNoTrans,
              p.transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(p.m),
              static_cast<blasint>(p.n), static_cast<blasint>(p.k), p.alpha, p.a,
              static_cast<blasint>(std::max<int64_t>(p.lda, 1)), p.b,
              static_cast<blasint>(std::max<int64_t>(p.ldb, 1)), p.beta, p.c,
              static_cast<blasint>(std::max<int64_t>(p.ldc, 1)));
#else
  eigen_gemm(p.transpose_a, p.transpose_b, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta,
             p.c, p.ldc);
#endif
}

// Products of at least this many multiply-adds are split across threads: about 10 µs of work on
// one core, against the 1-2 µs a hand-off to a worker costs.
constexpr int64_t kParallelProduct = int64_t{1} << 20;
// Each thread's block of C spans a multiple of this many rows or columns (whole cache lines of
// a row, whole register tiles of the BLAS kernels).
constexpr int64_t kSplitGrain = 16;

// The rows [first, first + count) of C: op(A)'s same rows against all of op(B).
Product rows_of(Product p, int64_t first, int64_t count) {
  p.a += p.transpose_a ? first : first * p.lda;
  p.c += first * p.ldc;
  p.m = count;
  return p;
}

// The columns [first, first + count) of C: all of op(A) against op(B)'s same columns.
Product columns_of(Product p, int64_t first, int64_t count) {
  p.b += p.transpose_b ? first * p.ldb : first;
  p.c += first;
  p.n = count;
  return p;
}

// Splits C into up to num_threads() blocks along its longer side and computes them in parallel,
// each a single-threaded library GEMM. Blocks of C are independent (each element is a whole dot
// product), so the threads never wait on one another until the end; OpenBLAS's own threading
// synchronizes inside the product and scaled 1.4x on two cores where this scales 1.85x
// (128 x 512 x 784, on a two-core virtual machine).
void split_gemm(const Product& product) {
  const bool by_columns = product.n >= product.m;
  run_ranges(by_columns ? product.n : product.m, kSplitGrain, [&](int64_t first, int64_t count) {
    library_gemm(by_columns ? columns_of(product, first, count) : rows_of(product, first, count));
  });
}

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
  const Product product{transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  if (num_threads() > 1 && m * n * k >= kParallelProduct) {
    split_gemm(product);
  } else {
    library_gemm(product);
  }
}

}  // namespace minnow::detail
