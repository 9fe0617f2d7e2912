#pragma once
// Internal: the machinery behind core/ops_*.cpp. Broadcasting iteration (with adjacent dimensions
// collapsed first), the element-wise binary kernel with its fast paths, strided copies, block
// reductions and the axis bookkeeping every reduction shares. Not installed for users to rely on.

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "minnow/core/eigen.hpp"
#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_impl.hpp"

namespace minnow::detail {

using Strides = std::array<int64_t, Shape::kMaxDims>;

/// Unaligned flat views of a run of elements (runs start anywhere inside a buffer).
using Run = Eigen::Map<const Eigen::ArrayXf>;
using MutableRun = Eigen::Map<Eigen::ArrayXf>;
/// Row-major 2-D array views (unaligned), for row- and column-wise work.
using RowMajorArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Array2D = Eigen::Map<const RowMajorArray>;
using MutableArray2D = Eigen::Map<RowMajorArray>;

/// Element-wise max / min that propagate NaN (as NumPy's maximum and max do).
using NanMax = Eigen::internal::scalar_max_op<float, float, Eigen::PropagateNaN>;
using NanMin = Eigen::internal::scalar_min_op<float, float, Eigen::PropagateNaN>;

/// N operands walked together over the dimensions of an output: `strides[k][d]` is operand k's
/// step (in elements) along output dimension d, 0 where it is broadcast.
template <size_t N>
struct StridedPlan {
  int ndim = 0;
  Strides dims{};
  std::array<Strides, N> strides{};

  /// Drops size-1 dimensions and merges neighbours that every operand walks contiguously, so
  /// that the innermost run is as long as possible. Leaves at least one dimension.
  void collapse() {
    int kept = 0;
    for (int d = 0; d < ndim; ++d) {
      const auto src = static_cast<size_t>(d);
      if (dims[src] == 1) continue;
      if (kept > 0 && mergeable(kept - 1, d)) {
        const auto dst = static_cast<size_t>(kept - 1);
        dims[dst] *= dims[src];
        for (auto& s : strides) s[dst] = s[src];
        continue;
      }
      const auto dst = static_cast<size_t>(kept++);
      dims[dst] = dims[src];
      for (auto& s : strides) s[dst] = s[src];
    }
    if (kept == 0) {  // every dimension was 1: a single element
      dims[0] = 1;
      for (auto& s : strides) s[0] = 0;
      kept = 1;
    }
    ndim = kept;
  }

  int64_t inner() const { return dims[static_cast<size_t>(ndim - 1)]; }
  int64_t inner_stride(size_t k) const { return strides[k][static_cast<size_t>(ndim - 1)]; }

 private:
  bool mergeable(int outer, int inner_dim) const {
    const auto o = static_cast<size_t>(outer);
    const auto i = static_cast<size_t>(inner_dim);
    for (const auto& s : strides) {
      if (s[o] != s[i] * dims[i]) return false;
    }
    return true;
  }
};

/// Strides of an operand of shape `operand` broadcast to `out` (0 along broadcast axes).
Strides broadcast_strides(const Shape& operand, const Shape& out);

/// A plan over `out` for operands of the given shapes (each broadcastable to `out`), collapsed.
template <size_t N>
StridedPlan<N> plan_broadcast(const Shape& out, const std::array<const Shape*, N>& operands) {
  StridedPlan<N> plan;
  plan.ndim = out.ndim();
  for (int d = 0; d < out.ndim(); ++d) plan.dims[static_cast<size_t>(d)] = out[d];
  for (size_t k = 0; k < N; ++k) plan.strides[k] = broadcast_strides(*operands[k], out);
  plan.collapse();
  return plan;
}

/// Calls fn(offsets, run) for every run along the innermost dimension, in row-major order of
/// the output: offsets[k] is operand k's start, and the output's start is run * plan.inner().
template <size_t N, class Fn>
void for_each_run(const StridedPlan<N>& plan, Fn&& fn) {
  const int last = plan.ndim - 1;
  int64_t runs = 1;
  for (int d = 0; d < last; ++d) runs *= plan.dims[static_cast<size_t>(d)];
  Strides index{};
  std::array<int64_t, N> offsets{};
  for (int64_t run = 0; run < runs; ++run) {
    fn(offsets, run);
    for (int d = last - 1; d >= 0; --d) {  // odometer step over the outer dimensions
      const auto u = static_cast<size_t>(d);
      for (size_t k = 0; k < N; ++k) offsets[k] += plan.strides[k][u];
      if (++index[u] < plan.dims[u]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= plan.strides[k][u] * plan.dims[u];
      index[u] = 0;
    }
  }
}

/// Whether this CPU runs AVX2 code (x86-64 CPUs since 2013); always false on other
/// architectures. The library is built for any x86-64 CPU; its AVX2 paths are chosen at run time.
bool cpu_has_avx2();

/// The index of the first NaN or infinity in `values`, or -1 when every value is finite. Tests
/// the exponent bits as integers, a block at a time, with AVX2 when the CPU has it: about twice
/// the speed of a floating-point reduction, which matters when every loaded tensor is checked.
int64_t first_non_finite(std::span<const float> values);

/// Copies the elements that `src` reaches with `strides` (one per dimension of `out_shape`)
/// into the contiguous `dst`. Broadcasts (stride 0), transposes and slices all go through here.
void strided_copy(const float* src, const Shape& out_shape, const Strides& strides, float* dst);

/// `x` broadcast to `shape` as a contiguous tensor; `x` itself when it already has that shape.
/// Records nothing.
Tensor expand_to(const Tensor& x, const Shape& shape);

/// Rows up to this length take broadcast_binary's short-row paths (longer rows are one Eigen
/// call each); a short row is tiled kRowTile elements at a time.
inline constexpr int64_t kShortRow = 64;
inline constexpr int64_t kRowTile = 512;

/// The pieces of broadcast_binary, for a plan of the output and the operands' data.
template <class Op>
struct BinaryRuns {
  const StridedPlan<2>& plan;
  const float* a;
  const float* b;
  float* out;
  Op& op;

  /// A short row repeated down a matrix ([N, 4] + [4], either order): the row is tiled into a
  /// stack buffer so that each Eigen call covers many rows instead of one. False if not that.
  bool short_row() const {
    const int64_t len = plan.inner();
    const bool a_row = plan.strides[0][0] == 0 && plan.strides[1][0] == len;
    const bool b_row = plan.strides[1][0] == 0 && plan.strides[0][0] == len;
    if (!(a_row || b_row) || plan.inner_stride(0) != 1 || plan.inner_stride(1) != 1) return false;
    const int64_t rows = plan.dims[0];
    const int64_t rows_per_tile = std::min(kRowTile / len, rows);
    std::array<float, kRowTile> tile;
    for (int64_t r = 0; r < rows_per_tile; ++r) {
      std::copy_n(a_row ? a : b, len, tile.data() + r * len);
    }
    for (int64_t first = 0; first < rows; first += rows_per_tile) {
      const int64_t count = std::min(rows_per_tile, rows - first) * len;
      const int64_t at = first * len;
      MutableRun dst(out + at, count);
      if (a_row) {
        dst = op(Run(tile.data(), count), Run(b + at, count));
      } else {
        dst = op(Run(a + at, count), Run(tile.data(), count));
      }
    }
    return true;
  }

  /// A column broadcast across short rows ([N, 4] * [N, 1], either order): one strided Eigen
  /// call per column instead of one tiny call per row. False if not that.
  bool short_column() const {
    const int64_t len = plan.inner();
    const bool a_column = plan.strides[0][0] == 1 && plan.inner_stride(0) == 0 &&
                          plan.strides[1][0] == len && plan.inner_stride(1) == 1;
    const bool b_column = plan.strides[1][0] == 1 && plan.inner_stride(1) == 0 &&
                          plan.strides[0][0] == len && plan.inner_stride(0) == 1;
    if (!(a_column || b_column)) return false;
    using Strided = Eigen::Map<const Eigen::ArrayXf, 0, Eigen::InnerStride<>>;
    using MutableStrided = Eigen::Map<Eigen::ArrayXf, 0, Eigen::InnerStride<>>;
    const int64_t rows = plan.dims[0];
    const Eigen::InnerStride<> step(len);
    for (int64_t c = 0; c < len; ++c) {
      MutableStrided dst(out + c, rows, step);
      if (a_column) {
        dst = op(Run(a, rows), Strided(b + c, rows, step));
      } else {
        dst = op(Strided(a + c, rows, step), Run(b, rows));
      }
    }
    return true;
  }

  /// The general case: one Eigen call per run along the innermost dimension, where each
  /// operand is either contiguous or a repeated value.
  void runs() const {
    const int64_t len = plan.inner();
    const int64_t step_a = plan.inner_stride(0);
    const int64_t step_b = plan.inner_stride(1);
    for_each_run(plan, [&](const std::array<int64_t, 2>& at, int64_t run) {
      MutableRun dst(out + run * len, len);
      const float* ra = a + at[0];
      const float* rb = b + at[1];
      if (step_a == 1 && step_b == 1) {
        dst = op(Run(ra, len), Run(rb, len));
      } else if (step_a == 1) {
        dst = op(Run(ra, len), Eigen::ArrayXf::Constant(len, *rb));
      } else if (step_b == 1) {
        dst = op(Eigen::ArrayXf::Constant(len, *ra), Run(rb, len));
      } else {
        dst = op(Eigen::ArrayXf::Constant(len, *ra), Eigen::ArrayXf::Constant(len, *rb));
      }
    });
  }
};

/// out = op(a, b) with NumPy broadcasting, where op maps two Eigen array expressions of equal
/// size to one. Fast paths, in order: equal shapes, a one-element operand, a row or a column
/// broadcast over a matrix of short rows; otherwise one Eigen call per run along the innermost
/// collapsed dimension (for the bias add [N, M] + [M], one per row). Records nothing.
template <class Op>
Tensor broadcast_binary(const Tensor& a, const Tensor& b, const char* name, Op op) {
  const Shape& sa = checked_impl(a, name).shape;
  const Shape& sb = checked_impl(b, name).shape;
  if (sa == sb) {
    Tensor out = make_tensor(sa);
    as_array(out) = op(as_array(a), as_array(b));
    return out;
  }
  const Shape shape = broadcast_shapes(sa, sb, name);
  Tensor out = make_tensor(shape);
  const int64_t n = out.size();
  if (n == 0) return out;
  if (b.size() == 1 && sa == shape) {
    as_array(out) = op(as_array(a), Eigen::ArrayXf::Constant(n, b.data()[0]));
    return out;
  }
  if (a.size() == 1 && sb == shape) {
    as_array(out) = op(Eigen::ArrayXf::Constant(n, a.data()[0]), as_array(b));
    return out;
  }
  const auto plan = plan_broadcast<2>(shape, {&sa, &sb});
  const BinaryRuns<Op> kernel{plan, a.data(), b.data(), out.data(), op};
  const bool short_rows = plan.ndim == 2 && plan.inner() <= kShortRow;
  if (!(short_rows && (kernel.short_row() || kernel.short_column()))) kernel.runs();
  return out;
}

/// out = op(x) element-wise. Records nothing.
template <class Op>
Tensor map_unary(const Tensor& x, const char* name, Op op) {
  Tensor out = make_tensor(checked_impl(x, name).shape);
  as_array(out) = op(as_array(x));
  return out;
}

// ---- reductions -----------------------------------------------------------------------------

/// Reduced axes as a bit mask (bit i set: axis i is reduced).
using AxisMask = uint32_t;

/// Every axis of an ndim-dimensional tensor.
inline AxisMask all_axes(int ndim) {
  return (AxisMask{1} << ndim) - 1;
}
/// The mask of `axes` (negative count from the end); IndexError when out of range, ValueError
/// when an axis repeats.
AxisMask axes_mask(const std::vector<int>& axes, int ndim, const char* op);
/// `shape` with the reduced axes set to 1 (the keepdims shape).
Shape kept_shape(const Shape& shape, AxisMask mask);
/// The result shape of a reduction: kept_shape, or without the reduced axes.
Shape reduced_shape(const Shape& shape, AxisMask mask, bool keepdims);
/// Number of elements each output of the reduction combines.
int64_t reduced_count(const Shape& shape, AxisMask mask);

enum class Reduction { sum, max, min };

/// Reduces x over the masked axes; the result has kept_shape(x.shape(), mask). Max and min
/// propagate NaN and reject an empty reduction (ValueError naming `op`). Records nothing.
Tensor reduce(const Tensor& x, AxisMask mask, Reduction kind, const char* op);

/// A tensor seen as [outer, n, inner] around one axis: the layout of every single-axis op
/// (softmax, argmax, concatenate, slice, take).
struct AxisBlocks {
  int64_t outer = 1;
  int64_t n = 1;
  int64_t inner = 1;
};
AxisBlocks axis_blocks(const Shape& shape, int axis);

}  // namespace minnow::detail
