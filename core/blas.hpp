#pragma once
// Internal: the one matrix-product entry every op uses (matmul, addmm, linear and their
// gradients). Products of at most 256 multiply-adds run in minnow's own register-blocked loops;
// larger ones in OpenBLAS's sgemm when the build found it (MINNOW_HAVE_OPENBLAS), else in
// Eigen's GEMM on maps of the same memory; with set_num_threads(n > 1), products of at least
// about a million multiply-adds are split into n blocks of the result computed in parallel. All
// take row-major operands and leading dimensions.

#include <cstdint>

namespace minnow::detail {

/// C = alpha * op(A) @ op(B) + beta * C for row-major matrices, where op(X) is X or X^T,
/// op(A) is m x k and op(B) is k x n. lda, ldb and ldc are row strides (in elements) of the
/// matrices as stored. With beta == 0, C is only written (its old contents may be garbage).
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);

}  // namespace minnow::detail
