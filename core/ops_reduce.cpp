// Reductions (sum, mean, max, min, var, logsumexp, argmax, argmin) and softmax / log_softmax,
// each with its gradient. A reduction's node keeps the reduced axes as a bit mask in ints[0]
// and keepdims in ints[1], which is all its backward pass needs to put the gradient back into
// the input's shape.
//
// max / min gradient: the output gradient is split evenly among the positions that reach the
// extreme (ties share it), as MLX does; a unique extreme gets all of it.

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "minnow/core/autograd.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/core/ops.hpp"

namespace minnow {

using autograd::Node;
using detail::AxisMask;
using detail::Reduction;

namespace {

AxisMask mask_of(const Tensor& x, const char* op) {
  return detail::all_axes(detail::checked_impl(x, op).shape.ndim());
}

AxisMask mask_of(const Tensor& x, int axis, const char* op) {
  return AxisMask{1} << normalize_axis(axis, detail::checked_impl(x, op).shape.ndim(), op);
}

AxisMask mask_of(const Tensor& x, const std::vector<int>& axes, const char* op) {
  return detail::axes_mask(axes, detail::checked_impl(x, op).shape.ndim(), op);
}

AxisMask node_mask(const Node& node) {
  return static_cast<AxisMask>(node.ints[0]);
}

// A keepdims-shaped result given the shape the caller asked for (a view, no copy).
Tensor finish(const Tensor& kept, const Shape& x_shape, AxisMask mask, bool keepdims) {
  if (keepdims) return kept;
  return detail::make_view(kept, detail::reduced_shape(x_shape, mask, false));
}

// A reduction's output (or output gradient) in the keepdims shape, which broadcasts against x.
Tensor as_kept(const Tensor& t, const Shape& x_shape, AxisMask mask) {
  return reshape(t, detail::kept_shape(x_shape, mask));
}

// The rows of x when the reduced axes are exactly its trailing axes (the layout of a reduction
// over features), as [outer, n]; false otherwise.
bool trailing_rows(const Shape& shape, AxisMask mask, detail::AxisBlocks& rows) {
  if (mask == 0) return false;
  int first = 0;
  while (((mask >> first) & 1U) == 0) ++first;
  if (mask != (detail::all_axes(shape.ndim()) & ~detail::all_axes(first))) return false;
  rows = {};
  for (int d = 0; d < first; ++d) rows.outer *= shape[d];
  for (int d = first; d < shape.ndim(); ++d) rows.n *= shape[d];
  return true;
}

// The shift that makes exp() safe: the maximum, or 0 when that is infinite or NaN (so that
// rows of -inf give exp(-inf) = 0 instead of NaN, and NaN stays NaN).
float safe_shift(float maximum) {
  return std::isfinite(maximum) ? maximum : 0.0f;
}

}  // namespace

// ---- sum / mean
// -----------------------------------------------------------------------------------

namespace {

void sum_backward(const Node& node, const Tensor& g) {
  const Shape& shape = node.input(0).shape();
  node.accumulate(0, broadcast_to(as_kept(g, shape, node_mask(node)), shape));
}

Tensor sum_over(const Tensor& x, AxisMask mask, bool keepdims) {
  const Tensor kept = detail::reduce(x, mask, Reduction::sum, "sum");
  return autograd::record(finish(kept, x.shape(), mask, keepdims), {x}, sum_backward, {},
                          {mask, keepdims});
}

void mean_backward(const Node& node, const Tensor& g) {
  const Shape& shape = node.input(0).shape();
  const Tensor scaled = multiply(as_kept(g, shape, node_mask(node)), Tensor(node.scalars[0]));
  node.accumulate(0, broadcast_to(scaled, shape));
}

Tensor mean_over(const Tensor& x, AxisMask mask, bool keepdims) {
  Tensor kept = detail::reduce(x, mask, Reduction::sum, "mean");
  const auto count = static_cast<float>(detail::reduced_count(x.shape(), mask));
  as_array(kept) /= count;  // 0 / 0 = NaN for an empty mean, as NumPy
  return autograd::record(finish(kept, x.shape(), mask, keepdims), {x}, mean_backward,
                          {1.0f / count}, {mask, keepdims});
}

}  // namespace

Tensor sum(const Tensor& x, bool keepdims) {
  return sum_over(x, mask_of(x, "sum"), keepdims);
}
Tensor sum(const Tensor& x, int axis, bool keepdims) {
  return sum_over(x, mask_of(x, axis, "sum"), keepdims);
}
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return sum_over(x, mask_of(x, axes, "sum"), keepdims);
}

Tensor mean(const Tensor& x, bool keepdims) {
  return mean_over(x, mask_of(x, "mean"), keepdims);
}
Tensor mean(const Tensor& x, int axis, bool keepdims) {
  return mean_over(x, mask_of(x, axis, "mean"), keepdims);
}
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return mean_over(x, mask_of(x, axes, "mean"), keepdims);
}

// ---- max / min
// ------------------------------------------------------------------------------------

namespace {

// Splits g evenly among the positions of x equal to the extreme y.
void extreme_backward(const Node& node, const Tensor& g) {
  const Tensor& x = node.input(0);
  const AxisMask mask = node_mask(node);
  const Tensor hits = equal(x, as_kept(node.output, x.shape(), mask));
  const Tensor ties = detail::reduce(hits, mask, Reduction::sum, "max");
  node.accumulate(0, multiply(hits, divide(as_kept(g, x.shape(), mask), ties)));
}

Tensor extreme_over(const Tensor& x, AxisMask mask, bool keepdims, Reduction kind, const char* op) {
  const Tensor kept = detail::reduce(x, mask, kind, op);
  return autograd::record(finish(kept, x.shape(), mask, keepdims), {x}, extreme_backward, {},
                          {mask, keepdims});
}

}  // namespace

Tensor max(const Tensor& x, bool keepdims) {
  return extreme_over(x, mask_of(x, "max"), keepdims, Reduction::max, "max");
}
Tensor max(const Tensor& x, int axis, bool keepdims) {
  return extreme_over(x, mask_of(x, axis, "max"), keepdims, Reduction::max, "max");
}
Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return extreme_over(x, mask_of(x, axes, "max"), keepdims, Reduction::max, "max");
}
Tensor min(const Tensor& x, bool keepdims) {
  return extreme_over(x, mask_of(x, "min"), keepdims, Reduction::min, "min");
}
Tensor min(const Tensor& x, int axis, bool keepdims) {
  return extreme_over(x, mask_of(x, axis, "min"), keepdims, Reduction::min, "min");
}
Tensor min(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return extreme_over(x, mask_of(x, axes, "min"), keepdims, Reduction::min, "min");
}

// ---- var
// ------------------------------------------------------------------------------------------

namespace {

// The mean over the masked axes in the keepdims shape (no tape).
Tensor kept_mean(const Tensor& x, AxisMask mask) {
  Tensor m = detail::reduce(x, mask, Reduction::sum, "var");
  as_array(m) /= static_cast<float>(detail::reduced_count(x.shape(), mask));
  return m;
}

void var_backward(const Node& node, const Tensor& g) {
  // d var / dx = 2 (x - mean) / (N - ddof)
  const Tensor& x = node.input(0);
  const AxisMask mask = node_mask(node);
  const Tensor centered = subtract(x, kept_mean(x, mask));
  node.accumulate(
      0, multiply(centered, multiply(as_kept(g, x.shape(), mask), Tensor(node.scalars[0]))));
}

Tensor var_over(const Tensor& x, AxisMask mask, bool keepdims, int ddof) {
  const Shape& shape = x.shape();
  const auto count = detail::reduced_count(shape, mask);
  const auto denominator = static_cast<float>(count - ddof);
  Tensor kept = detail::make_tensor(detail::kept_shape(shape, mask));
  detail::AxisBlocks rows;
  if (kept.size() > 0 && count > 0 && trailing_rows(shape, mask, rows)) {
    // Features last: one pass per row, no temporaries.
    const detail::Array2D x_rows(x.data(), rows.outer, rows.n);
    ArrayMap out = as_array(kept);
    for (int64_t r = 0; r < rows.outer; ++r) {
      const auto row = x_rows.row(r);
      out[r] = (row - row.mean()).square().sum() / denominator;
    }
  } else {
    const Tensor squares =
        detail::broadcast_binary(x, kept_mean(x, mask), "var",
                                 [](const auto& v, const auto& m) { return (v - m).square(); });
    kept = detail::reduce(squares, mask, Reduction::sum, "var");
    as_array(kept) /= denominator;
  }
  return autograd::record(finish(kept, shape, mask, keepdims), {x}, var_backward,
                          {2.0f / denominator}, {mask, keepdims, ddof});
}

}  // namespace

Tensor var(const Tensor& x, bool keepdims, int ddof) {
  return var_over(x, mask_of(x, "var"), keepdims, ddof);
}
Tensor var(const Tensor& x, int axis, bool keepdims, int ddof) {
  return var_over(x, mask_of(x, axis, "var"), keepdims, ddof);
}
Tensor var(const Tensor& x, const std::vector<int>& axes, bool keepdims, int ddof) {
  return var_over(x, mask_of(x, axes, "var"), keepdims, ddof);
}

// ---- logsumexp
// ------------------------------------------------------------------------------------

namespace {

void logsumexp_backward(const Node& node, const Tensor& g) {
  // d lse / dx = exp(x - lse), the softmax over the reduced axes.
  const Tensor& x = node.input(0);
  const AxisMask mask = node_mask(node);
  const Tensor weights = exp(subtract(x, as_kept(node.output, x.shape(), mask)));
  node.accumulate(0, multiply(weights, as_kept(g, x.shape(), mask)));
}

Tensor logsumexp_over(const Tensor& x, AxisMask mask, bool keepdims) {
  const Shape& shape = x.shape();
  Tensor kept = detail::make_tensor(detail::kept_shape(shape, mask));
  detail::AxisBlocks rows;
  if (detail::reduced_count(shape, mask) == 0) {
    as_array(kept).setConstant(-std::numeric_limits<float>::infinity());  // log(0)
  } else if (kept.size() > 0 && trailing_rows(shape, mask, rows)) {
    const detail::Array2D x_rows(x.data(), rows.outer, rows.n);
    ArrayMap out = as_array(kept);
    for (int64_t r = 0; r < rows.outer; ++r) {
      const auto row = x_rows.row(r);
      const float shift = safe_shift(row.redux(detail::NanMax()));
      out[r] = std::log((row - shift).exp().sum()) + shift;
    }
  } else if (kept.size() > 0) {
    Tensor shift = detail::reduce(x, mask, Reduction::max, "logsumexp");
    ArrayMap s = as_array(shift);
    s = s.isFinite().select(s, 0.0f);
    const Tensor terms = detail::broadcast_binary(
        x, shift, "logsumexp", [](const auto& v, const auto& m) { return (v - m).exp(); });
    kept = detail::reduce(terms, mask, Reduction::sum, "logsumexp");
    as_array(kept) = as_array(kept).log() + s;
  }
  return autograd::record(finish(kept, shape, mask, keepdims), {x}, logsumexp_backward, {},
                          {mask, keepdims});
}

}  // namespace

Tensor logsumexp(const Tensor& x, bool keepdims) {
  return logsumexp_over(x, mask_of(x, "logsumexp"), keepdims);
}
Tensor logsumexp(const Tensor& x, int axis, bool keepdims) {
  return logsumexp_over(x, mask_of(x, axis, "logsumexp"), keepdims);
}
Tensor logsumexp(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return logsumexp_over(x, mask_of(x, axes, "logsumexp"), keepdims);
}

// ---- argmax / argmin (no gradient)
// ----------------------------------------------------------------

namespace {

// The first index of the best value along a strided run; the first NaN wins, as in NumPy.
template <class Better>
float best_index(const float* p, int64_t n, int64_t stride, Better better) {
  int64_t best = 0;
  float value = p[0];
  if (std::isnan(value)) return 0.0f;
  for (int64_t i = 1; i < n; ++i) {
    const float v = p[i * stride];
    if (std::isnan(v)) return static_cast<float>(i);
    if (better(v, value)) {
      best = i;
      value = v;
    }
  }
  return static_cast<float>(best);
}

template <class Better>
Tensor arg_best(const Tensor& x, int axis, bool keepdims, const char* op, Better better) {
  const Shape& shape = detail::checked_impl(x, op).shape;
  const int a = normalize_axis(axis, shape.ndim(), op);
  Tensor out = detail::make_tensor(detail::reduced_shape(shape, AxisMask{1} << a, keepdims));
  if (out.size() == 0) return out;
  const detail::AxisBlocks b = detail::axis_blocks(shape, a);
  if (b.n == 0) {
    throw ValueError(std::string("[") + op + "] cannot take the " + op +
                     " of an empty axis (shape " + shape.to_string() + ")");
  }
  const float* src = x.data();
  float* dst = out.data();
  for (int64_t o = 0; o < b.outer; ++o) {
    for (int64_t i = 0; i < b.inner; ++i) {
      dst[o * b.inner + i] = best_index(src + o * b.n * b.inner + i, b.n, b.inner, better);
    }
  }
  return out;
}

}  // namespace

Tensor argmax(const Tensor& x, int axis, bool keepdims) {
  return arg_best(x, axis, keepdims, "argmax", std::greater<float>());
}

Tensor argmin(const Tensor& x, int axis, bool keepdims) {
  return arg_best(x, axis, keepdims, "argmin", std::less<float>());
}

// ---- softmax / log_softmax
// ------------------------------------------------------------------------

namespace {

// Fills y from x along one axis, both seen as [outer, n, inner]: rows when inner is 1 (the
// usual last axis), else the columns of each [n, inner] block. With take_log, y = log_softmax.
void softmax_kernel(const Tensor& x, Tensor& y, const detail::AxisBlocks& b, bool take_log) {
  if (y.size() == 0) return;
  if (b.inner == 1) {
    const detail::Array2D rows(x.data(), b.outer, b.n);
    detail::MutableArray2D out(y.data(), b.outer, b.n);
    for (int64_t r = 0; r < b.outer; ++r) {
      const float shift = safe_shift(rows.row(r).redux(detail::NanMax()));
      out.row(r) = (rows.row(r) - shift).exp();
      const float total = out.row(r).sum();
      if (take_log) {
        out.row(r) = (rows.row(r) - shift) - std::log(total);  // shift first: exact for 1e20
      } else {
        out.row(r) /= total;
      }
    }
    return;
  }
  Eigen::Array<float, 1, Eigen::Dynamic> shift(b.inner);
  Eigen::Array<float, 1, Eigen::Dynamic> total(b.inner);
  for (int64_t o = 0; o < b.outer; ++o) {
    const detail::Array2D block(x.data() + o * b.n * b.inner, b.n, b.inner);
    detail::MutableArray2D out(y.data() + o * b.n * b.inner, b.n, b.inner);
    shift = block.colwise().redux(detail::NanMax());
    shift = shift.isFinite().select(shift, 0.0f);
    out = (block.rowwise() - shift).exp();
    total = out.colwise().sum();
    if (take_log) {
      out = (block.rowwise() - shift).rowwise() - total.log();
    } else {
      out.rowwise() /= total;
    }
  }
}

void softmax_backward(const Node& node, const Tensor& g) {
  // dx = y * (g - sum(g * y))
  const Tensor& y = node.output;
  const auto axis = static_cast<int>(node.ints[0]);
  node.accumulate(0, multiply(y, subtract(g, sum(multiply(g, y), axis, true))));
}

void log_softmax_backward(const Node& node, const Tensor& g) {
  // dx = g - softmax * sum(g)
  const auto axis = static_cast<int>(node.ints[0]);
  node.accumulate(0, subtract(g, multiply(exp(node.output), sum(g, axis, true))));
}

Tensor softmax_op(const Tensor& x, int axis, bool take_log, const char* op) {
  const Shape& shape = detail::checked_impl(x, op).shape;
  const int a = normalize_axis(axis, shape.ndim(), op);
  Tensor y = detail::make_tensor(shape);
  softmax_kernel(x, y, detail::axis_blocks(shape, a), take_log);
  return autograd::record(y, {x}, take_log ? log_softmax_backward : softmax_backward, {}, {a});
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) {
  return softmax_op(x, axis, false, "softmax");
}

Tensor log_softmax(const Tensor& x, int axis) {
  return softmax_op(x, axis, true, "log_softmax");
}

}  // namespace minnow
