#include "minnow/core/kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <span>
#include <string>

namespace minnow::detail {

namespace {

// A float whose exponent bits are all ones is an infinity or a NaN.
constexpr uint32_t kExponentBits = 0x7F800000u;
// Values tested together before looking at the result: long enough to vectorize at any width,
// short enough that a bad value is found without scanning much past it.
constexpr size_t kFiniteBlock = 64;

// Whether any of `values[0, count)` is non-finite. No early exit inside, so that the loop
// vectorizes at the width of the function it is inlined into.
[[gnu::always_inline]] inline bool has_non_finite(const float* values, size_t count) {
  uint32_t any = 0;
  for (size_t i = 0; i < count; ++i) {
    any |= static_cast<uint32_t>((std::bit_cast<uint32_t>(values[i]) & kExponentBits) ==
                                 kExponentBits);
  }
  return any != 0;
}

[[gnu::always_inline]] inline int64_t scan_for_non_finite(std::span<const float> values) {
  size_t start = 0;
  while (start + kFiniteBlock <= values.size() &&
         !has_non_finite(values.data() + start, kFiniteBlock)) {
    start += kFiniteBlock;
  }
  const auto rest = values.subspan(start);
  const auto bad =
      std::find_if(rest.begin(), rest.end(), [](float v) { return !std::isfinite(v); });
  return bad == rest.end() ? -1 : static_cast<int64_t>(start) + (bad - rest.begin());
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) int64_t scan_for_non_finite_avx2(std::span<const float> values) {
  return scan_for_non_finite(values);
}
#endif

}  // namespace

bool cpu_has_avx2() {
#if defined(__x86_64__)
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
#else
  return false;
#endif
}

int64_t first_non_finite(std::span<const float> values) {
#if defined(__x86_64__)
  if (cpu_has_avx2()) return scan_for_non_finite_avx2(values);
#endif
  return scan_for_non_finite(values);
}

Strides broadcast_strides(const Shape& operand, const Shape& out) {
  const Strides own = row_major_strides(operand);
  Strides strides{};
  const int offset = out.ndim() - operand.ndim();
  for (int d = offset; d < out.ndim(); ++d) {
    const int src = d - offset;
    strides[static_cast<size_t>(d)] = operand[src] == 1 ? 0 : own[static_cast<size_t>(src)];
  }
  return strides;
}

void strided_copy(const float* src, const Shape& out_shape, const Strides& strides, float* dst) {
  if (out_shape.numel() == 0) return;
  StridedPlan<1> plan;
  plan.ndim = out_shape.ndim();
  for (int d = 0; d < plan.ndim; ++d) plan.dims[static_cast<size_t>(d)] = out_shape[d];
  plan.strides[0] = strides;
  plan.collapse();
  const int64_t len = plan.inner();
  const int64_t step = plan.inner_stride(0);
  for_each_run(plan, [&](const std::array<int64_t, 1>& at, int64_t run) {
    MutableRun out(dst + run * len, len);
    const float* from = src + at[0];
    if (step == 1) {
      out = Run(from, len);
    } else if (step == 0) {
      out.setConstant(*from);
    } else {
      out = Eigen::Map<const Eigen::ArrayXf, 0, Eigen::InnerStride<>>(from, len,
                                                                      Eigen::InnerStride<>(step));
    }
  });
}

Tensor expand_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  Tensor out = make_tensor(shape);
  strided_copy(x.data(), shape, broadcast_strides(x.shape(), shape), out.data());
  return out;
}

// ---- reductions -------------------------------------------------------------------------------

AxisMask axes_mask(const std::vector<int>& axes, int ndim, const char* op) {
  AxisMask mask = 0;
  for (const int axis : axes) {
    const AxisMask bit = AxisMask{1} << normalize_axis(axis, ndim, op);
    if ((mask & bit) != 0) {
      throw ValueError(std::string("[") + op + "] axis " + std::to_string(axis) +
                       " appears more than once");
    }
    mask |= bit;
  }
  return mask;
}

Shape kept_shape(const Shape& shape, AxisMask mask) {
  Shape kept = shape;
  for (int d = 0; d < shape.ndim(); ++d) {
    if ((mask >> d) & 1U) kept[d] = 1;
  }
  return kept;
}

Shape reduced_shape(const Shape& shape, AxisMask mask, bool keepdims) {
  if (keepdims) return kept_shape(shape, mask);
  Shape out;
  for (int d = 0; d < shape.ndim(); ++d) {
    if (((mask >> d) & 1U) == 0) out.push_back(shape[d]);
  }
  return out;
}

int64_t reduced_count(const Shape& shape, AxisMask mask) {
  int64_t count = 1;
  for (int d = 0; d < shape.ndim(); ++d) {
    if ((mask >> d) & 1U) count *= shape[d];
  }
  return count;
}

AxisBlocks axis_blocks(const Shape& shape, int axis) {
  AxisBlocks blocks;
  for (int d = 0; d < axis; ++d) blocks.outer *= shape[d];
  blocks.n = shape[axis];
  for (int d = axis + 1; d < shape.ndim(); ++d) blocks.inner *= shape[d];
  return blocks;
}

namespace {

// Reduces the middle extent of a contiguous [outer, n, inner] block into [outer, inner]: rows of
// an [outer, n] matrix when inner is 1, else columns of each [n, inner] matrix (no transposes).
void reduce_block(const float* src, float* dst, const AxisBlocks& b, Reduction kind) {
  if (b.inner == 1) {
    const Array2D rows(src, b.outer, b.n);
    MutableRun out(dst, b.outer);
    switch (kind) {
      case Reduction::sum:
        out = rows.rowwise().sum();
        break;
      case Reduction::max:
        out = rows.rowwise().redux(NanMax());
        break;
      case Reduction::min:
        out = rows.rowwise().redux(NanMin());
        break;
    }
    return;
  }
  for (int64_t o = 0; o < b.outer; ++o) {
    const Array2D block(src + o * b.n * b.inner, b.n, b.inner);
    Eigen::Map<Eigen::Array<float, 1, Eigen::Dynamic>> out(dst + o * b.inner, b.inner);
    switch (kind) {
      case Reduction::sum:
        out = block.colwise().sum();
        break;
      case Reduction::max:
        out = block.colwise().redux(NanMax());
        break;
      case Reduction::min:
        out = block.colwise().redux(NanMin());
        break;
    }
  }
}

const char* reduction_name(Reduction kind) {
  switch (kind) {
    case Reduction::sum:
      return "sum";
    case Reduction::max:
      return "max";
    case Reduction::min:
      return "min";
  }
  return "reduce";
}

}  // namespace

Tensor reduce(const Tensor& x, AxisMask mask, Reduction kind, const char* op) {
  const Shape& shape = x.shape();
  Tensor out = make_tensor(kept_shape(shape, mask));
  if (out.size() == 0) return out;
  if (x.size() == 0) {
    if (kind != Reduction::sum) {
      throw ValueError(std::string("[") + op + "] cannot take the " + reduction_name(kind) +
                       " of an empty axis (shape " + shape.to_string() + ")");
    }
    as_array(out).setZero();
    return out;
  }
  // Group the dimensions into alternating kept / reduced extents (size-1 axes change nothing).
  struct Group {
    int64_t extent;
    bool reduced;
  };
  std::array<Group, Shape::kMaxDims> groups{};
  int count = 0;
  int reduced_groups = 0;
  for (int d = 0; d < shape.ndim(); ++d) {
    if (shape[d] == 1) continue;
    const bool reduced = ((mask >> d) & 1U) != 0;
    if (count > 0 && groups[static_cast<size_t>(count - 1)].reduced == reduced) {
      groups[static_cast<size_t>(count - 1)].extent *= shape[d];
    } else {
      groups[static_cast<size_t>(count++)] = {shape[d], reduced};
      reduced_groups += reduced ? 1 : 0;
    }
  }
  if (reduced_groups == 0) {
    as_array(out) = as_array(x);
    return out;
  }
  // Reduce the innermost reduced group first; with non-adjacent reduced axes this repeats on a
  // smaller intermediate until one group is left.
  Tensor current = x;
  while (true) {
    int g = count - 1;
    while (!groups[static_cast<size_t>(g)].reduced) --g;
    AxisBlocks blocks;
    for (int i = 0; i < g; ++i) blocks.outer *= groups[static_cast<size_t>(i)].extent;
    blocks.n = groups[static_cast<size_t>(g)].extent;
    for (int i = g + 1; i < count; ++i) blocks.inner *= groups[static_cast<size_t>(i)].extent;
    const bool last = --reduced_groups == 0;
    Tensor next = last ? out : make_tensor(Shape{blocks.outer * blocks.inner});
    reduce_block(current.data(), next.data(), blocks, kind);
    if (last) return out;
    // Drop group g; the kept groups on either side of it become neighbours and merge.
    const bool has_right = g + 1 < count;
    if (g > 0 && has_right) {
      groups[static_cast<size_t>(g - 1)].extent *= groups[static_cast<size_t>(g + 1)].extent;
      for (int i = g; i + 2 < count; ++i)
        groups[static_cast<size_t>(i)] = groups[static_cast<size_t>(i + 2)];
      count -= 2;
    } else {
      for (int i = g; i + 1 < count; ++i)
        groups[static_cast<size_t>(i)] = groups[static_cast<size_t>(i + 1)];
      count -= 1;
    }
    current = std::move(next);
  }
}

}  // namespace minnow::detail
