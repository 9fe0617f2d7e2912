// Comparisons (1.0 / 0.0 results, no gradient), where(), and whole-tensor equality tests.

#include <bit>
#include <cmath>
#include <cstdint>

#include "minnow/core/autograd.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/core/ops.hpp"

namespace minnow {

// ---- element-wise comparisons: piecewise constant, so nothing is recorded
// ------------------------

Tensor equal(const Tensor& a, const Tensor& b) {
  return detail::broadcast_binary(
      a, b, "equal", [](const auto& x, const auto& y) { return (x == y).template cast<float>(); });
}

Tensor not_equal(const Tensor& a, const Tensor& b) {
  return detail::broadcast_binary(a, b, "not_equal", [](const auto& x, const auto& y) {
    return (x != y).template cast<float>();
  });
}

Tensor greater(const Tensor& a, const Tensor& b) {
  return detail::broadcast_binary(
      a, b, "greater", [](const auto& x, const auto& y) { return (x > y).template cast<float>(); });
}

Tensor greater_equal(const Tensor& a, const Tensor& b) {
  return detail::broadcast_binary(a, b, "greater_equal", [](const auto& x, const auto& y) {
    return (x >= y).template cast<float>();
  });
}

Tensor less(const Tensor& a, const Tensor& b) {
  return detail::broadcast_binary(
      a, b, "less", [](const auto& x, const auto& y) { return (x < y).template cast<float>(); });
}

Tensor less_equal(const Tensor& a, const Tensor& b) {
  return detail::broadcast_binary(a, b, "less_equal", [](const auto& x, const auto& y) {
    return (x <= y).template cast<float>();
  });
}

Tensor isnan(const Tensor& x) {
  return detail::map_unary(x, "isnan",
                           [](const auto& v) { return v.isNaN().template cast<float>(); });
}

// ---- where --------------------------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  const Shape& sc = detail::checked_impl(cond, "where").shape;
  const Shape& sa = detail::checked_impl(a, "where").shape;
  const Shape& sb = detail::checked_impl(b, "where").shape;
  const Shape shape = broadcast_shapes(broadcast_shapes(sc, sa, "where"), sb, "where");
  Tensor out = detail::make_tensor(shape);
  // Operands of another shape are expanded first: where() is not on a hot path, and a single
  // select over three equal-length arrays keeps this short.
  as_array(out) =
      (as_array(detail::expand_to(cond, shape)) != 0.0f)
          .select(as_array(detail::expand_to(a, shape)), as_array(detail::expand_to(b, shape)));
  return autograd::record(out, {cond, a, b}, [](const autograd::Node& node, const Tensor& g) {
    const Tensor& condition = node.input(0);
    const Tensor zero(0.0f);
    if (node.needs_grad(1)) node.accumulate(1, where(condition, g, zero));
    if (node.needs_grad(2)) node.accumulate(2, where(condition, zero, g));
  });
}

// ---- whole-tensor tests (no tape)
// -----------------------------------------------------------------

bool array_equal(const Tensor& a, const Tensor& b, bool equal_nan) {
  const Shape& sa = detail::checked_impl(a, "array_equal").shape;
  const Shape& sb = detail::checked_impl(b, "array_equal").shape;
  if (sa != sb) return false;
  const float* x = a.data();
  const float* y = b.data();
  for (int64_t i = 0, n = a.size(); i < n; ++i) {
    const bool x_nan = std::isnan(x[i]);
    const bool y_nan = std::isnan(y[i]);
    if (x_nan || y_nan) {
      if (!(equal_nan && x_nan && y_nan)) return false;
    } else if (std::bit_cast<uint32_t>(x[i]) != std::bit_cast<uint32_t>(y[i])) {
      return false;  // bit for bit: 0.0 and -0.0 differ
    }
  }
  return true;
}

bool allclose(const Tensor& a, const Tensor& b, float rtol, float atol) {
  const Tensor close =
      detail::broadcast_binary(a, b, "allclose", [rtol, atol](const auto& x, const auto& y) {
        // Equal infinities are close (their difference is NaN), other infinities never are
        // (the bound would be infinite too); NaN is never close.
        const auto within = (x - y).abs() <= atol + rtol * y.abs();
        return ((x == y) || (x.isFinite() && y.isFinite() && within)).template cast<float>();
      });
  return (as_array(close) != 0.0f).all();
}

bool all_finite(const Tensor& x) {
  detail::checked_impl(x, "all_finite");
  return detail::first_non_finite(x.values()) < 0;
}

}  // namespace minnow
