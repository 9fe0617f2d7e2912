#pragma once
// Eigen views of tensor storage: every computation in minnow goes through these maps, so no
// data is copied to use Eigen's kernels. Included by the library's sources and by users who
// want to compute on tensors with Eigen directly.

#include <Eigen/Core>

#include "minnow/core/tensor.hpp"

namespace minnow {

using ArrayMap = Eigen::Map<Eigen::ArrayXf, Eigen::Aligned16>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf, Eigen::Aligned16>;
using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMajorMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMajorMatrix>;

/// All elements as a flat array.
inline ArrayMap as_array(Tensor& t) {
  return {t.data(), t.size()};
}
inline ConstArrayMap as_array(const Tensor& t) {
  return {t.data(), t.size()};
}

/// The tensor as a row-major rows x cols matrix (rows * cols must equal size()).
inline MatrixMap as_matrix(Tensor& t, Eigen::Index rows, Eigen::Index cols) {
  return {t.data(), rows, cols};
}
inline ConstMatrixMap as_matrix(const Tensor& t, Eigen::Index rows, Eigen::Index cols) {
  return {t.data(), rows, cols};
}
/// A tensor of ndim >= 1 as a matrix of [product of leading dims, last dim].
inline MatrixMap as_matrix(Tensor& t) {
  const auto cols = t.ndim() == 0 ? 1 : t.dim(-1);
  return {t.data(), cols == 0 ? 0 : t.size() / cols, cols};
}
inline ConstMatrixMap as_matrix(const Tensor& t) {
  const auto cols = t.ndim() == 0 ? 1 : t.dim(-1);
  return {t.data(), cols == 0 ? 0 : t.size() / cols, cols};
}

}  // namespace minnow
