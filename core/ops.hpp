#pragma once
// Operations on tensors: free functions with NumPy broadcasting, as in MLX. Every differentiable
// op records itself on the gradient tape while value_and_grad runs, and costs nothing extra
// otherwise. Errors are ShapeError / ValueError / IndexError with messages that start with the
// op's name and give the shapes: "[matmul] shapes [2, 3] and [4, 5] cannot be multiplied".

#include <cstdint>
#include <vector>

#include "minnow/core/tensor.hpp"

namespace minnow {

// ---- element-wise, binary (NumPy broadcasting) ----------------------------------------------

Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);
/// a ** b, element-wise.
Tensor power(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
/// log(exp(a) + exp(b)) without overflow.
Tensor logaddexp(const Tensor& a, const Tensor& b);

inline Tensor sub(const Tensor& a, const Tensor& b) { return subtract(a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return multiply(a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return divide(a, b); }
inline Tensor pow(const Tensor& a, const Tensor& b) { return power(a, b); }

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);

// ---- comparisons: 1.0 where true, 0.0 where false; no gradient --------------------------------

Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
/// 1.0 where x is NaN.
Tensor isnan(const Tensor& x);
/// `a` where cond != 0, `b` elsewhere (all three broadcast). Differentiable in a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// ---- element-wise, unary ----------------------------------------------------------------------

Tensor negative(const Tensor& x);
inline Tensor neg(const Tensor& x) { return negative(x); }
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
/// 1 / sqrt(x).
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
/// log(1 + x), accurate near 0.
Tensor log1p(const Tensor& x);
Tensor abs(const Tensor& x);
/// -1, 0 or 1 (NaN stays NaN); its gradient is zero.
Tensor sign(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
/// 1 / (1 + exp(-x)), stable for large |x|.
Tensor sigmoid(const Tensor& x);
Tensor erf(const Tensor& x);
/// min(max(x, lo), hi). Gradient 1 inside [lo, hi], 0 outside.
Tensor clip(const Tensor& x, float lo, float hi);

// ---- linear algebra ---------------------------------------------------------------------------

/// Matrix product of 2-D tensors, or batched over broadcast leading axes (ndim > 2).
/// 1-D operands are promoted as in NumPy (and the added axis removed from the result).
Tensor matmul(const Tensor& a, const Tensor& b);
/// alpha * (a @ b) + beta * c, for 2-D a and b; c broadcasts to the product's shape.
Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, float alpha = 1.0f,
             float beta = 1.0f);
/// x @ weight.T + bias in one fused kernel: the op behind nn::Linear. x is [..., in],
/// weight is [out, in], bias is [out] or an empty handle for no bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- reductions -------------------------------------------------------------------------------
// Over every axis, one axis, or a list of axes; negative axes count from the end.

Tensor sum(const Tensor& x, bool keepdims = false);
Tensor sum(const Tensor& x, int axis, bool keepdims = false);
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
Tensor mean(const Tensor& x, bool keepdims = false);
Tensor mean(const Tensor& x, int axis, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
Tensor max(const Tensor& x, bool keepdims = false);
Tensor max(const Tensor& x, int axis, bool keepdims = false);
Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
Tensor min(const Tensor& x, bool keepdims = false);
Tensor min(const Tensor& x, int axis, bool keepdims = false);
Tensor min(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
/// Variance with `ddof` delta degrees of freedom (0: biased).
Tensor var(const Tensor& x, bool keepdims = false, int ddof = 0);
Tensor var(const Tensor& x, int axis, bool keepdims = false, int ddof = 0);
Tensor var(const Tensor& x, const std::vector<int>& axes, bool keepdims = false, int ddof = 0);
/// log(sum(exp(x))) computed with a max shift, so it never overflows.
Tensor logsumexp(const Tensor& x, bool keepdims = false);
Tensor logsumexp(const Tensor& x, int axis, bool keepdims = false);
Tensor logsumexp(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
/// Index of the largest value along `axis` (as float32); no gradient. Ties give the first.
Tensor argmax(const Tensor& x, int axis, bool keepdims = false);
Tensor argmin(const Tensor& x, int axis, bool keepdims = false);
/// exp(x - logsumexp(x)) along `axis`: finite for logits of any size.
Tensor softmax(const Tensor& x, int axis = -1);
/// x - logsumexp(x) along `axis`, max-shifted.
Tensor log_softmax(const Tensor& x, int axis = -1);

// ---- shape ------------------------------------------------------------------------------------

/// Same data, new shape; one dimension may be -1 (inferred).
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x);
/// Reverses the axes.
Tensor transpose(const Tensor& x);
/// Permutes the axes: result axis i is input axis perm[i].
Tensor transpose(const Tensor& x, const std::vector<int>& perm);
Tensor swapaxes(const Tensor& x, int axis1, int axis2);
Tensor expand_dims(const Tensor& x, int axis);
/// Removes every axis of size 1.
Tensor squeeze(const Tensor& x);
/// Removes `axis`, which must have size 1.
Tensor squeeze(const Tensor& x, int axis);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor concatenate(const std::vector<Tensor>& xs, int axis = 0);
/// Joins tensors of equal shape along a new axis.
Tensor stack(const std::vector<Tensor>& xs, int axis = 0);
/// Splits into `sections` equal parts along `axis`.
std::vector<Tensor> split(const Tensor& x, int sections, int axis = 0);
/// Splits at the given indices along `axis` (as NumPy's array_split with indices).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& indices, int axis = 0);
/// Elements [start, stop) along `axis` (negative indices count from the end; clamped as Python).
Tensor slice(const Tensor& x, int64_t start, int64_t stop, int axis = 0);
/// Gathers the entries at integer `indices` (any shape, float32 holding integers; negative
/// counts from the end) along `axis`; the result has x's shape with `axis` replaced by
/// indices' shape.
Tensor take(const Tensor& x, const Tensor& indices, int axis);
/// For each position, the entry along `axis` named by `indices` (same ndim as x, broadcast).
Tensor take_along_axis(const Tensor& x, const Tensor& indices, int axis);

// ---- comparing tensors as a whole (no tape) ----------------------------------------------------

/// Same shape and identical values (bit for bit, except that NaN equals NaN when equal_nan).
bool array_equal(const Tensor& a, const Tensor& b, bool equal_nan = false);
/// |a - b| <= atol + rtol * |b| everywhere (after broadcasting), as NumPy.
bool allclose(const Tensor& a, const Tensor& b, float rtol = 1e-5f, float atol = 1e-8f);
/// True when no element is NaN or infinite.
bool all_finite(const Tensor& x);

}  // namespace minnow
