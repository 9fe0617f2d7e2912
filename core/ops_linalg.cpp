// Matrix products: matmul (2-D, batched, 1-D promotion), addmm and linear, each with its
// gradient. Every product, forward or backward, is one call of detail::gemm per matrix, with
// transposes expressed as gemm flags rather than copies.

#include <string>

#include "minnow/core/autograd.hpp"
#include "minnow/core/blas.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/core/ops.hpp"

namespace minnow {

using autograd::Node;

namespace {

// The product of all but the last dimension: the rows of a [..., n] tensor seen as a matrix.
int64_t leading_rows(const Shape& shape) {
  int64_t rows = 1;
  for (int d = 0; d + 1 < shape.ndim(); ++d) rows *= shape[d];
  return rows;
}

// The leading (batch) axes of a shape of ndim >= 2.
Shape batch_of(const Shape& shape) {
  Shape batch;
  for (int d = 0; d + 2 < shape.ndim(); ++d) batch.push_back(shape[d]);
  return batch;
}

// alpha * op(a) @ op(b) for a, b of ndim >= 2 with compatible (already checked) shapes,
// batched over their broadcast leading axes; op transposes the last two axes when asked.
Tensor batched_product(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b,
                       float alpha = 1.0f) {
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const int64_t lda = sa.dim(-1);
  const int64_t ldb = sb.dim(-1);
  const int64_t m = transpose_a ? sa.dim(-1) : sa.dim(-2);
  const int64_t k = transpose_a ? sa.dim(-2) : sa.dim(-1);
  const int64_t n = transpose_b ? sb.dim(-2) : sb.dim(-1);
  const Shape batch_a = batch_of(sa);
  const Shape batch_b = batch_of(sb);
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = detail::make_tensor(out_shape);
  if (out.size() == 0) return out;
  if (batch_b.numel() == 1 && !transpose_a) {
    // One shared right operand: the batch folds into the rows of a single product.
    detail::gemm(false, transpose_b, batch.numel() * m, n, k, alpha, a.data(), lda, b.data(), ldb,
                 0.0f, out.data(), n);
    return out;
  }
  const auto plan = detail::plan_broadcast<2>(batch, {&batch_a, &batch_b});
  const int64_t size_a = sa.dim(-2) * sa.dim(-1);
  const int64_t size_b = sb.dim(-2) * sb.dim(-1);
  const int64_t len = plan.inner();
  detail::for_each_run(plan, [&](const std::array<int64_t, 2>& at, int64_t run) {
    for (int64_t i = 0; i < len; ++i) {
      const float* pa = a.data() + (at[0] + i * plan.inner_stride(0)) * size_a;
      const float* pb = b.data() + (at[1] + i * plan.inner_stride(1)) * size_b;
      float* po = out.data() + (run * len + i) * m * n;
      detail::gemm(transpose_a, transpose_b, m, n, k, alpha, pa, lda, pb, ldb, 0.0f, po, n);
    }
  });
  return out;
}

void matmul_backward(const Node& node, const Tensor& g) {
  // For y = a @ b: da = g @ b^T and db = a^T @ g, summed over broadcast batch axes.
  const Tensor& a = node.input(0);
  const Tensor& b = node.input(1);
  if (node.needs_grad(0)) node.accumulate(0, batched_product(g, false, b, true));
  if (!node.needs_grad(1)) return;
  if (b.ndim() == 2 && a.ndim() > 2) {
    // A shared weight: fold the batch into one [k, rows] @ [rows, n] product.
    const Tensor rows_a = reshape(a, Shape{leading_rows(a.shape()), a.dim(-1)});
    const Tensor rows_g = reshape(g, Shape{leading_rows(g.shape()), g.dim(-1)});
    node.accumulate(1, batched_product(rows_a, true, rows_g, false));
  } else {
    node.accumulate(1, batched_product(a, true, g, false));
  }
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  const Shape& sa = detail::checked_impl(a, "matmul").shape;
  const Shape& sb = detail::checked_impl(b, "matmul").shape;
  const auto fail = [&](const std::string& why) {
    return ShapeError("[matmul] shapes " + sa.to_string() + " and " + sb.to_string() +
                      " cannot be multiplied" + why);
  };
  if (sa.ndim() == 0 || sb.ndim() == 0) throw fail(": scalars have no matrix axes");
  // 1-D operands become a row (left) or a column (right), as in NumPy.
  const Shape lhs_shape = sa.ndim() == 1 ? Shape{1, sa[0]} : sa;
  const Shape rhs_shape = sb.ndim() == 1 ? Shape{sb[0], 1} : sb;
  if (lhs_shape.dim(-1) != rhs_shape.dim(-2)) throw fail("");
  try {
    (void)broadcast_shapes(batch_of(lhs_shape), batch_of(rhs_shape), "matmul");
  } catch (const ShapeError&) {
    throw fail(": their batch axes do not broadcast");
  }
  const Tensor lhs = sa.ndim() == 1 ? reshape(a, lhs_shape) : a;
  const Tensor rhs = sb.ndim() == 1 ? reshape(b, rhs_shape) : b;
  Tensor out =
      autograd::record(batched_product(lhs, false, rhs, false), {lhs, rhs}, matmul_backward);
  if (sa.ndim() > 1 && sb.ndim() > 1) return out;
  Shape shape = out.shape();  // drop the axes the promotion added
  if (sb.ndim() == 1) shape.erase(shape.ndim() - 1);
  if (sa.ndim() == 1) shape.erase(shape.ndim() - 1 - (sb.ndim() == 1 ? 0 : 1));
  return reshape(out, shape);
}

Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, float alpha, float beta) {
  const Shape& sc = detail::checked_impl(c, "addmm").shape;
  const Shape& sa = detail::checked_impl(a, "addmm").shape;
  const Shape& sb = detail::checked_impl(b, "addmm").shape;
  if (sa.ndim() != 2 || sb.ndim() != 2 || sa[1] != sb[0]) {
    throw ShapeError("[addmm] shapes " + sa.to_string() + " and " + sb.to_string() +
                     " cannot be multiplied (addmm takes 2-D matrices)");
  }
  const Shape out_shape{sa[0], sb[1]};
  if (broadcast_shapes(sc, out_shape, "addmm") != out_shape) {
    throw ShapeError("[addmm] c of shape " + sc.to_string() + " cannot be broadcast to " +
                     out_shape.to_string());
  }
  Tensor out = detail::make_tensor(out_shape);
  if (beta != 0.0f) {  // beta == 0 ignores c entirely, as BLAS does
    detail::strided_copy(c.data(), out_shape, detail::broadcast_strides(sc, out_shape), out.data());
  }
  detail::gemm(false, false, sa[0], sb[1], sa[1], alpha, a.data(), sa[1], b.data(), sb[1], beta,
               out.data(), sb[1]);
  return autograd::record(
      out, {c, a, b},
      [](const Node& node, const Tensor& g) {
        const float alpha_ = node.scalars[0];
        const float beta_ = node.scalars[1];
        if (node.needs_grad(0)) node.accumulate(0, multiply(g, Tensor(beta_)));
        if (node.needs_grad(1))
          node.accumulate(1, batched_product(g, false, node.input(2), true, alpha_));
        if (node.needs_grad(2))
          node.accumulate(2, batched_product(node.input(1), true, g, false, alpha_));
      },
      {alpha, beta});
}

// ---- linear
// ---------------------------------------------------------------------------------------

namespace {

void linear_backward(const Node& node, const Tensor& g) {
  // y = x @ W^T + b: dx = g @ W, dW = g^T @ x, db = column sums of g.
  const Tensor& x = node.input(0);
  const Tensor& weight = node.input(1);
  const int64_t out_features = weight.dim(0);
  const int64_t in_features = weight.dim(1);
  const int64_t rows = leading_rows(x.shape());
  if (node.needs_grad(0)) {
    Tensor dx = detail::make_tensor(x.shape());
    detail::gemm(false, false, rows, in_features, out_features, 1.0f, g.data(), out_features,
                 weight.data(), in_features, 0.0f, dx.data(), in_features);
    node.accumulate(0, std::move(dx));
  }
  if (node.needs_grad(1)) {
    Tensor dw = detail::make_tensor(weight.shape());
    detail::gemm(true, false, out_features, in_features, rows, 1.0f, g.data(), out_features,
                 x.data(), in_features, 0.0f, dw.data(), in_features);
    node.accumulate(1, std::move(dw));
  }
  if (node.num_inputs == 3 && node.needs_grad(2)) {
    Tensor db = detail::make_tensor(Shape{out_features});
    if (rows == 0) {
      as_array(db).setZero();
    } else {
      as_matrix(db, 1, out_features) = as_matrix(g, rows, out_features).colwise().sum();
    }
    node.accumulate(2, std::move(db));
  }
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const Shape& sx = detail::checked_impl(x, "linear").shape;
  const Shape& sw = detail::checked_impl(weight, "linear").shape;
  if (sw.ndim() != 2) {
    throw ShapeError("[linear] weight must be 2-D [out, in], got shape " + sw.to_string());
  }
  const int64_t out_features = sw[0];
  const int64_t in_features = sw[1];
  if (sx.ndim() == 0 || sx.dim(-1) != in_features) {
    throw ShapeError("[linear] input of shape " + sx.to_string() +
                     " does not fit weight of shape " + sw.to_string() +
                     ": its last dimension must be " + std::to_string(in_features));
  }
  if (bias.defined() && bias.shape() != Shape{out_features}) {
    throw ShapeError("[linear] bias of shape " + bias.shape().to_string() +
                     " does not fit weight of shape " + sw.to_string() + ": expected [" +
                     std::to_string(out_features) + "]");
  }
  Shape out_shape = sx;
  out_shape[sx.ndim() - 1] = out_features;
  Tensor out = detail::make_tensor(out_shape);
  const int64_t rows = leading_rows(sx);
  float beta = 0.0f;
  if (bias.defined() && out.size() > 0) {
    // The bias is written into every row first and the product added on top (beta = 1).
    as_matrix(out, rows, out_features).rowwise() = as_matrix(bias, 1, out_features).row(0);
    beta = 1.0f;
  }
  detail::gemm(false, true, rows, out_features, in_features, 1.0f, x.data(), in_features,
               weight.data(), in_features, beta, out.data(), out_features);
  if (bias.defined()) return autograd::record(out, {x, weight, bias}, linear_backward);
  return autograd::record(out, {x, weight}, linear_backward);
}

}  // namespace minnow
