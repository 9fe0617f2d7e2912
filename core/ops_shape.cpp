// Shape ops: views (reshape and friends), copies (transpose, broadcast_to, concatenate, slice)
// and gathers (take, take_along_axis), each with its gradient. The gradient of a gather is a
// scatter-add into zeros of the input's shape.

#include <algorithm>
#include <cmath>
#include <string>

#include "minnow/core/autograd.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/core/ops.hpp"

namespace minnow {

using autograd::Node;

namespace {

std::string join(const std::vector<int>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

// `target` with its -1 dimension inferred so that it holds as many elements as `from`.
Shape resolve_reshape(const Shape& from, const Shape& target) {
  const auto fail = [&] {
    return ShapeError("[reshape] cannot reshape " + from.to_string() + " to " + target.to_string());
  };
  int inferred = -1;
  int64_t known = 1;
  for (int d = 0; d < target.ndim(); ++d) {
    if (target[d] == -1 && inferred < 0) {
      inferred = d;
    } else if (target[d] < 0) {
      throw fail();
    } else {
      known *= target[d];
    }
  }
  Shape out = target;
  if (inferred >= 0) {
    if (known == 0 || from.numel() % known != 0) throw fail();
    out[inferred] = from.numel() / known;
  }
  if (out.numel() != from.numel()) throw fail();
  return out;
}

}  // namespace

// ---- views
// ----------------------------------------------------------------------------------------

Tensor reshape(const Tensor& x, const Shape& shape) {
  const Shape resolved = resolve_reshape(detail::checked_impl(x, "reshape").shape, shape);
  return autograd::record(detail::make_view(x, resolved), {x},
                          [](const Node& node, const Tensor& g) {
                            node.accumulate(0, reshape(g, node.input(0).shape()));
                          });
}

Tensor flatten(const Tensor& x) {
  return reshape(x, Shape{detail::checked_impl(x, "flatten").shape.numel()});
}

Tensor expand_dims(const Tensor& x, int axis) {
  Shape shape = detail::checked_impl(x, "expand_dims").shape;
  shape.insert(normalize_axis(axis, shape.ndim() + 1, "expand_dims"), 1);
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x) {
  Shape shape;
  for (const int64_t d : detail::checked_impl(x, "squeeze").shape) {
    if (d != 1) shape.push_back(d);
  }
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, int axis) {
  Shape shape = detail::checked_impl(x, "squeeze").shape;
  const int a = normalize_axis(axis, shape.ndim(), "squeeze");
  if (shape[a] != 1) {
    throw ShapeError("[squeeze] cannot remove axis " + std::to_string(axis) + " of shape " +
                     shape.to_string() + ": its size is " + std::to_string(shape[a]) + ", not 1");
  }
  shape.erase(a);
  return reshape(x, shape);
}

// ---- transpose
// ------------------------------------------------------------------------------------

namespace {

// A permutation packed 4 bits per axis into one node attribute (8 axes at most).
int64_t pack_axes(const std::vector<int>& axes) {
  int64_t packed = 0;
  for (size_t i = 0; i < axes.size(); ++i) packed |= int64_t{axes[i]} << (4 * i);
  return packed;
}

void transpose_backward(const Node& node, const Tensor& g) {
  const int ndim = node.input(0).ndim();
  std::vector<int> inverse(static_cast<size_t>(ndim));
  for (int i = 0; i < ndim; ++i) {
    inverse[static_cast<size_t>((node.ints[0] >> (4 * i)) & 0xF)] = i;
  }
  node.accumulate(0, transpose(g, inverse));
}

}  // namespace

Tensor transpose(const Tensor& x, const std::vector<int>& perm) {
  const Shape& shape = detail::checked_impl(x, "transpose").shape;
  const int ndim = shape.ndim();
  std::vector<int> axes;
  std::vector<bool> seen(static_cast<size_t>(ndim), false);
  bool valid = static_cast<int>(perm.size()) == ndim;
  for (size_t i = 0; valid && i < perm.size(); ++i) {
    const int a = perm[i] < 0 ? perm[i] + ndim : perm[i];
    valid = a >= 0 && a < ndim && !seen[static_cast<size_t>(a)];
    if (valid) seen[static_cast<size_t>(a)] = true;
    axes.push_back(a);
  }
  if (!valid) {
    throw ValueError("[transpose] " + join(perm) + " is not a permutation of the axes of shape " +
                     shape.to_string());
  }
  if (std::is_sorted(axes.begin(), axes.end())) return reshape(x, shape);  // identity: a view
  Shape out_shape;
  detail::Strides strides{};
  const auto own = row_major_strides(shape);
  for (int i = 0; i < ndim; ++i) {
    const auto a = static_cast<size_t>(axes[static_cast<size_t>(i)]);
    out_shape.push_back(shape[static_cast<int>(a)]);
    strides[static_cast<size_t>(i)] = own[a];
  }
  Tensor out = detail::make_tensor(out_shape);
  detail::strided_copy(x.data(), out_shape, strides, out.data());
  return autograd::record(out, {x}, transpose_backward, {}, {pack_axes(axes)});
}

Tensor transpose(const Tensor& x) {
  std::vector<int> reversed(static_cast<size_t>(detail::checked_impl(x, "transpose").shape.ndim()));
  for (size_t i = 0; i < reversed.size(); ++i) {
    reversed[i] = static_cast<int>(reversed.size() - 1 - i);
  }
  return transpose(x, reversed);
}

Tensor swapaxes(const Tensor& x, int axis1, int axis2) {
  const int ndim = detail::checked_impl(x, "swapaxes").shape.ndim();
  const int a = normalize_axis(axis1, ndim, "swapaxes");
  const int b = normalize_axis(axis2, ndim, "swapaxes");
  std::vector<int> perm(static_cast<size_t>(ndim));
  for (int i = 0; i < ndim; ++i) perm[static_cast<size_t>(i)] = i;
  std::swap(perm[static_cast<size_t>(a)], perm[static_cast<size_t>(b)]);
  return transpose(x, perm);
}

// ---- broadcast_to
// ---------------------------------------------------------------------------------

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  const Shape& from = detail::checked_impl(x, "broadcast_to").shape;
  bool valid = from.ndim() <= shape.ndim();
  for (int d = 0; valid && d < from.ndim(); ++d) {
    const int64_t target = shape[shape.ndim() - from.ndim() + d];
    valid = from[d] == target || (from[d] == 1 && target >= 0);
  }
  if (!valid) {
    throw ShapeError("[broadcast_to] cannot broadcast " + from.to_string() + " to " +
                     shape.to_string());
  }
  if (from == shape) return reshape(x, shape);
  // The gradient of a broadcast is the sum over the broadcast axes, which accumulate() does.
  return autograd::record(detail::expand_to(x, shape), {x},
                          [](const Node& node, const Tensor& g) { node.accumulate(0, g); });
}

// ---- concatenate / stack / slice / split
// ----------------------------------------------------------

namespace {

// The [outer, n * inner] matrix view of a tensor around `axis`, in which a slice along the axis
// is a band of columns.
ConstMatrixMap axis_matrix(const Tensor& t, int axis) {
  const auto b = detail::axis_blocks(t.shape(), axis);
  return {t.data(), b.outer, b.n * b.inner};
}

MatrixMap axis_matrix(Tensor& t, int axis) {
  const auto b = detail::axis_blocks(t.shape(), axis);
  return {t.data(), b.outer, b.n * b.inner};
}

void concatenate_backward(const Node& node, const Tensor& g) {
  const auto axis = static_cast<int>(node.ints[0]);
  int64_t offset = 0;
  for (int i = 0; i < static_cast<int>(node.extra_inputs.size()); ++i) {
    const int64_t length = node.input(i).shape()[axis];
    if (node.needs_grad(i)) node.accumulate(i, slice(g, offset, offset + length, axis));
    offset += length;
  }
}

}  // namespace

Tensor concatenate(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw ValueError("[concatenate] needs at least one tensor");
  const Shape& first = detail::checked_impl(xs.front(), "concatenate").shape;
  if (first.ndim() == 0) throw ShapeError("[concatenate] cannot concatenate scalars");
  const int a = normalize_axis(axis, first.ndim(), "concatenate");
  Shape out_shape = first;
  out_shape[a] = 0;
  for (const Tensor& x : xs) {
    const Shape& shape = detail::checked_impl(x, "concatenate").shape;
    bool fits = shape.ndim() == first.ndim();
    for (int d = 0; fits && d < shape.ndim(); ++d) fits = d == a || shape[d] == first[d];
    if (!fits) {
      throw ShapeError("[concatenate] shapes " + first.to_string() + " and " + shape.to_string() +
                       " do not match outside axis " + std::to_string(a));
    }
    out_shape[a] += shape[a];
  }
  Tensor out = detail::make_tensor(out_shape);
  MatrixMap dst = axis_matrix(out, a);
  const int64_t inner = detail::axis_blocks(out_shape, a).inner;
  int64_t column = 0;
  for (const Tensor& x : xs) {
    const ConstMatrixMap src = axis_matrix(x, a);
    dst.middleCols(column, src.cols()) = src;
    column += x.shape()[a] * inner;
  }
  if (!autograd::recording()) return out;
  autograd::Node node;
  node.backward = concatenate_backward;
  node.extra_inputs = xs;
  node.output = out;
  node.ints[0] = a;
  return autograd::record(std::move(node));
}

Tensor stack(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw ValueError("[stack] needs at least one tensor");
  const Shape& first = detail::checked_impl(xs.front(), "stack").shape;
  const int a = normalize_axis(axis, first.ndim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(xs.size());
  for (const Tensor& x : xs) {
    if (detail::checked_impl(x, "stack").shape != first) {
      throw ShapeError("[stack] all tensors must have the same shape, got " + first.to_string() +
                       " and " + x.shape().to_string());
    }
    parts.push_back(expand_dims(x, a));
  }
  return concatenate(parts, a);
}

Tensor slice(const Tensor& x, int64_t start, int64_t stop, int axis) {
  const Shape& shape = detail::checked_impl(x, "slice").shape;
  const int a = normalize_axis(axis, shape.ndim(), "slice");
  const int64_t n = shape[a];
  const auto clamp = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  const int64_t begin = clamp(start);
  const int64_t length = std::max<int64_t>(clamp(stop) - begin, 0);
  Shape out_shape = shape;
  out_shape[a] = length;
  Tensor out = detail::make_tensor(out_shape);
  const int64_t inner = detail::axis_blocks(shape, a).inner;
  axis_matrix(out, a) = axis_matrix(x, a).middleCols(begin * inner, length * inner);
  return autograd::record(
      out, {x},
      [](const Node& node, const Tensor& g) {
        // The gradient is g in the sliced band and zero elsewhere.
        const auto sliced_axis = static_cast<int>(node.ints[0]);
        Tensor dx = zeros(node.input(0).shape());
        const int64_t block = detail::axis_blocks(dx.shape(), sliced_axis).inner;
        axis_matrix(dx, sliced_axis).middleCols(node.ints[1] * block, node.ints[2] * block) =
            axis_matrix(g, sliced_axis);
        node.accumulate(0, std::move(dx));
      },
      {}, {a, begin, length});
}

std::vector<Tensor> split(const Tensor& x, int sections, int axis) {
  const Shape& shape = detail::checked_impl(x, "split").shape;
  const int a = normalize_axis(axis, shape.ndim(), "split");
  if (sections <= 0) {
    throw ValueError("[split] the number of sections must be positive, got " +
                     std::to_string(sections));
  }
  if (shape[a] % sections != 0) {
    throw ShapeError("[split] axis " + std::to_string(a) + " of shape " + shape.to_string() +
                     " cannot be split into " + std::to_string(sections) + " equal sections");
  }
  const int64_t size = shape[a] / sections;
  std::vector<Tensor> parts;
  parts.reserve(static_cast<size_t>(sections));
  for (int i = 0; i < sections; ++i) parts.push_back(slice(x, i * size, (i + 1) * size, a));
  return parts;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& indices, int axis) {
  const Shape& shape = detail::checked_impl(x, "split").shape;
  const int a = normalize_axis(axis, shape.ndim(), "split");
  std::vector<Tensor> parts;
  parts.reserve(indices.size() + 1);
  int64_t start = 0;
  for (const int64_t index : indices) {
    parts.push_back(slice(x, start, index, a));
    start = index;
  }
  parts.push_back(slice(x, start, shape[a], a));
  return parts;
}

// ---- gathers
// --------------------------------------------------------------------------------------

namespace {

// Checks that every index is an integer in [-n, n).
void check_indices(const Tensor& indices, int64_t n, int axis, const char* op) {
  for (const float v : indices.values()) {
    if (!(v == std::floor(v))) {
      throw ValueError(std::string("[") + op + "] indices must hold integers, got " +
                       std::to_string(v));
    }
    if (v < static_cast<float>(-n) || v >= static_cast<float>(n)) {
      throw IndexError(std::string("[") + op + "] index " +
                       std::to_string(static_cast<int64_t>(v)) + " is out of range for axis " +
                       std::to_string(axis) + " of size " + std::to_string(n));
    }
  }
}

// A checked index as a position in [0, n).
int64_t position(float index, int64_t n) {
  const auto i = static_cast<int64_t>(index);
  return i < 0 ? i + n : i;
}

// Calls fn(from, to) for each gathered element of take(): from is the offset in x, to the
// offset in the result, both of the first of `inner` contiguous elements.
template <class Fn>
void for_each_take(const Shape& x_shape, const Tensor& indices, int axis, Fn fn) {
  const auto b = detail::axis_blocks(x_shape, axis);
  const float* idx = indices.data();
  const int64_t m = indices.size();
  for (int64_t o = 0; o < b.outer; ++o) {
    for (int64_t j = 0; j < m; ++j) {
      fn((o * b.n + position(idx[j], b.n)) * b.inner, (o * m + j) * b.inner, b.inner);
    }
  }
}

}  // namespace

Tensor take(const Tensor& x, const Tensor& indices, int axis) {
  const Shape& shape = detail::checked_impl(x, "take").shape;
  const Shape& index_shape = detail::checked_impl(indices, "take").shape;
  const int a = normalize_axis(axis, shape.ndim(), "take");
  check_indices(indices, shape[a], a, "take");
  Shape out_shape;
  for (int d = 0; d < a; ++d) out_shape.push_back(shape[d]);
  for (const int64_t d : index_shape) out_shape.push_back(d);
  for (int d = a + 1; d < shape.ndim(); ++d) out_shape.push_back(shape[d]);
  Tensor out = detail::make_tensor(out_shape);
  const float* src = x.data();
  float* dst = out.data();
  for_each_take(shape, indices, a, [&](int64_t from, int64_t to, int64_t count) {
    std::copy_n(src + from, count, dst + to);
  });
  return autograd::record(out, {x, indices},
                          [](const Node& node, const Tensor& g) {
                            if (!node.needs_grad(0)) return;  // indices get no gradient
                            Tensor dx = zeros(node.input(0).shape());
                            float* scatter = dx.data();
                            const float* grad = g.data();
                            for_each_take(dx.shape(), node.input(1), static_cast<int>(node.ints[0]),
                                          [&](int64_t to, int64_t from, int64_t count) {
                                            detail::MutableRun(scatter + to, count) +=
                                                detail::Run(grad + from, count);
                                          });
                            node.accumulate(0, std::move(dx));
                          },
                          {}, {a});
}

namespace {

// take_along_axis walks the result; x is reached through its broadcast strides with the axis
// stride left out (the gathered index supplies that part), indices through theirs.
struct AlongAxis {
  detail::StridedPlan<2> plan;
  int64_t axis_stride = 0;
  int64_t n = 0;
};

Shape along_axis_shape(const Shape& x, const Shape& indices, int axis) {
  if (indices.ndim() != x.ndim()) {
    throw ShapeError("[take_along_axis] indices of shape " + indices.to_string() +
                     " need as many dimensions as x of shape " + x.to_string());
  }
  Shape out = x;
  for (int d = 0; d < x.ndim(); ++d) {
    if (d == axis || x[d] == 1) {
      out[d] = indices[d];
    } else if (indices[d] != x[d] && indices[d] != 1) {
      throw ShapeError("[take_along_axis] shapes " + x.to_string() + " and " + indices.to_string() +
                       " cannot be broadcast outside axis " + std::to_string(axis));
    }
  }
  return out;
}

AlongAxis plan_along_axis(const Shape& x, const Shape& indices, const Shape& out, int axis) {
  AlongAxis walk;
  walk.plan.ndim = out.ndim();
  for (int d = 0; d < out.ndim(); ++d) walk.plan.dims[static_cast<size_t>(d)] = out[d];
  walk.plan.strides[0] = detail::broadcast_strides(x, out);
  walk.plan.strides[0][static_cast<size_t>(axis)] = 0;
  walk.plan.strides[1] = detail::broadcast_strides(indices, out);
  walk.plan.collapse();
  walk.axis_stride = row_major_strides(x)[static_cast<size_t>(axis)];
  walk.n = x[axis];
  return walk;
}

// Calls fn(x_offset, out_offset) for every element of the result.
template <class Fn>
void for_each_along_axis(const AlongAxis& walk, const float* idx, Fn fn) {
  const int64_t len = walk.plan.inner();
  const int64_t step_x = walk.plan.inner_stride(0);
  const int64_t step_i = walk.plan.inner_stride(1);
  detail::for_each_run(walk.plan, [&](const std::array<int64_t, 2>& at, int64_t run) {
    for (int64_t i = 0; i < len; ++i) {
      const int64_t k = position(idx[at[1] + i * step_i], walk.n);
      fn(at[0] + i * step_x + k * walk.axis_stride, run * len + i);
    }
  });
}

}  // namespace

Tensor take_along_axis(const Tensor& x, const Tensor& indices, int axis) {
  const Shape& shape = detail::checked_impl(x, "take_along_axis").shape;
  const Shape& index_shape = detail::checked_impl(indices, "take_along_axis").shape;
  const int a = normalize_axis(axis, shape.ndim(), "take_along_axis");
  const Shape out_shape = along_axis_shape(shape, index_shape, a);
  check_indices(indices, shape[a], a, "take_along_axis");
  Tensor out = detail::make_tensor(out_shape);
  if (out.size() > 0) {
    const float* src = x.data();
    float* dst = out.data();
    for_each_along_axis(plan_along_axis(shape, index_shape, out_shape, a), indices.data(),
                        [&](int64_t from, int64_t to) { dst[to] = src[from]; });
  }
  return autograd::record(
      out, {x, indices},
      [](const Node& node, const Tensor& g) {
        if (!node.needs_grad(0) || g.size() == 0) return;
        const Tensor& source = node.input(0);
        const Tensor& idx = node.input(1);
        Tensor dx = zeros(source.shape());
        float* scatter = dx.data();
        const float* grad = g.data();
        const auto a = static_cast<int>(node.ints[0]);
        for_each_along_axis(plan_along_axis(source.shape(), idx.shape(), g.shape(), a), idx.data(),
                            [&](int64_t to, int64_t from) { scatter[to] += grad[from]; });
        node.accumulate(0, std::move(dx));
      },
      {}, {a});
}

}  // namespace minnow
