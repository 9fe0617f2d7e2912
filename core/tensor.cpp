#include "minnow/core/tensor.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <ostream>

#include "minnow/core/allocator.hpp"
#include "minnow/core/eigen.hpp"
#include "minnow/core/tensor_impl.hpp"

namespace minnow {

namespace detail {

TensorImpl::~TensorImpl() {
  if (owned_bytes > 0) pool_free(data, owned_bytes);
}

namespace {

// Tensors of at most this many bytes keep their values in the block that holds their
// implementation: one pool allocation per tensor instead of two. Small models create a few
// dozen such tensors per training step (the tiny benchmark MLP's largest is 256 bytes).
constexpr size_t kInlineStorageBytes = 1024;

float* aligned_after(TensorImpl* impl) {
  const auto end = reinterpret_cast<uintptr_t>(impl + 1);
  return reinterpret_cast<float*>((end + kBufferAlignment - 1) / kBufferAlignment *
                                  kBufferAlignment);
}

}  // namespace

Tensor make_tensor(const Shape& shape) {
  for (int64_t d : shape) {
    if (d < 0) throw ShapeError("[Tensor] negative dimension in shape " + shape.to_string());
  }
  const size_t bytes = std::max<size_t>(static_cast<size_t>(shape.numel()), 1) * sizeof(float);
  if (bytes <= kInlineStorageBytes) {
    // The block is longer than the control block by the values plus room to align them; they
    // start at the first aligned address after the implementation, inside that room.
    auto impl = std::allocate_shared<TensorImpl>(
        PoolAllocator<TensorImpl>(bytes + kBufferAlignment), shape);
    impl->data = aligned_after(impl.get());
    return Tensor(std::move(impl));
  }
  auto impl = std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>(), shape);
  impl->data = static_cast<float*>(pool_allocate(bytes));
  impl->owned_bytes = bytes;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& source, const Shape& shape) {
  const TensorImpl& src = checked_impl(source, "view");
  auto impl = std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>(), shape);
  impl->data = src.data;
  // Views of views point at the owner directly, so chains of reshapes stay one level deep.
  impl->owner = src.owner ? src.owner : std::static_pointer_cast<const TensorImpl>(source.impl());
  return Tensor(std::move(impl));
}

void throw_empty_tensor(const char* op) {
  throw ValueError(std::string("[") + op + "] the tensor is empty (no array)");
}

}  // namespace detail

namespace {

Tensor filled(const Shape& shape, float value) {
  Tensor t = detail::make_tensor(shape);
  as_array(t).setConstant(value);
  return t;
}

}  // namespace

Tensor::Tensor(float value) : Tensor(filled(Shape{}, value)) {}

Tensor::Tensor(std::initializer_list<float> values)
    : Tensor(std::span<const float>(values.begin(), values.size()),
             Shape{static_cast<int64_t>(values.size())}) {}

Tensor::Tensor(std::initializer_list<std::initializer_list<float>> rows) {
  const int64_t cols = rows.size() == 0 ? 0 : static_cast<int64_t>(rows.begin()->size());
  std::vector<float> values;
  values.reserve(rows.size() * static_cast<size_t>(cols));
  for (const auto& row : rows) {
    if (static_cast<int64_t>(row.size()) != cols) {
      throw ShapeError("[Tensor] rows of a nested list must have equal length, got " +
                       std::to_string(cols) + " and " + std::to_string(row.size()));
    }
    values.insert(values.end(), row.begin(), row.end());
  }
  *this = Tensor(values, Shape{static_cast<int64_t>(rows.size()), cols});
}

Tensor::Tensor(std::initializer_list<std::initializer_list<std::initializer_list<float>>> blocks) {
  std::vector<Tensor> parts;
  std::vector<float> values;
  Shape inner;
  bool first = true;
  for (const auto& block : blocks) {
    const Tensor part(block);
    if (!first && part.shape() != inner) {
      throw ShapeError("[Tensor] blocks of a nested list must have equal shapes, got " +
                       inner.to_string() + " and " + part.shape().to_string());
    }
    inner = part.shape();
    first = false;
    values.insert(values.end(), part.values().begin(), part.values().end());
  }
  if (first) inner = Shape{0, 0};
  *this = Tensor(values, Shape{static_cast<int64_t>(blocks.size()), inner[0], inner[1]});
}

Tensor::Tensor(std::span<const float> values, const Shape& shape) {
  if (static_cast<int64_t>(values.size()) != shape.numel()) {
    throw ShapeError("[Tensor] " + std::to_string(values.size()) + " values cannot fill shape " +
                     shape.to_string());
  }
  *this = detail::make_tensor(shape);
  if (!values.empty()) std::memcpy(data(), values.data(), values.size() * sizeof(float));
}

Tensor Tensor::empty(const Shape& shape) {
  return detail::make_tensor(shape);
}

float Tensor::item() const {
  if (size() != 1) {
    throw ValueError("[item] only a one-element tensor has an item, got shape " +
                     shape().to_string());
  }
  return data()[0];
}

float Tensor::at(std::initializer_list<int64_t> index) const {
  const Shape& s = shape();
  if (static_cast<int>(index.size()) != s.ndim()) {
    throw IndexError("[at] an index of " + std::to_string(index.size()) +
                     " entries for a tensor of shape " + s.to_string());
  }
  const auto strides = row_major_strides(s);
  int64_t offset = 0;
  int axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= s[axis]) {
      throw IndexError("[at] index " + std::to_string(i) + " is out of range for axis " +
                       std::to_string(axis) + " of shape " + s.to_string());
    }
    offset += i * strides[static_cast<size_t>(axis++)];
  }
  return data()[offset];
}

Tensor Tensor::copy() const {
  return Tensor(values(), shape());
}

namespace {

void append_number(std::string& out, float value) {
  if (std::isnan(value)) {
    out += "nan";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-inf" : "inf";
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// Prints axis `axis` of the block starting at `offset`, summarizing long axes as NumPy does.
void append_block(std::string& out, const Tensor& t, int axis, int64_t offset,
                  const std::array<int64_t, Shape::kMaxDims>& strides, bool summarize) {
  if (axis == t.ndim()) {
    append_number(out, t.data()[offset]);
    return;
  }
  constexpr int64_t kEdgeItems = 3;
  const int64_t n = t.dim(axis);
  out += '[';
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    if (summarize && n > 2 * kEdgeItems && i == kEdgeItems) {
      out += "..., ";
      i = n - kEdgeItems;
    }
    append_block(out, t, axis + 1, offset + i * strides[static_cast<size_t>(axis)], strides,
                 summarize);
  }
  out += ']';
}

}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "array(<empty handle>)";
  std::string out = "array(";
  append_block(out, *this, 0, 0, row_major_strides(shape()), size() > 1000);
  return out + ", dtype=float32)";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  return os << t.to_string();
}

// ---- creation ---------------------------------------------------------------------------------

Tensor zeros(const Shape& shape) {
  return filled(shape, 0.0f);
}
Tensor ones(const Shape& shape) {
  return filled(shape, 1.0f);
}
Tensor full(const Shape& shape, float value) {
  return filled(shape, value);
}
Tensor zeros_like(const Tensor& t) {
  return zeros(t.shape());
}
Tensor ones_like(const Tensor& t) {
  return ones(t.shape());
}

Tensor arange(float start, float stop, float step) {
  if (step == 0.0f || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop)) {
    throw ValueError("[arange] start, stop and a non-zero step must be finite");
  }
  const double count = std::ceil((static_cast<double>(stop) - start) / step);
  const auto n = static_cast<int64_t>(std::max(0.0, count));
  Tensor t = detail::make_tensor(Shape{n});
  float* out = t.data();
  for (int64_t i = 0; i < n; ++i) out[i] = start + static_cast<float>(i) * step;
  return t;
}

Tensor arange(float stop) {
  return arange(0.0f, stop, 1.0f);
}

Tensor eye(int64_t n, int64_t m) {
  if (m < 0) m = n;
  if (n < 0) throw ValueError("[eye] n must be non-negative, got " + std::to_string(n));
  Tensor t = zeros(Shape{n, m});
  as_matrix(t, n, m).diagonal().setOnes();
  return t;
}

Tensor linspace(float start, float stop, int64_t num) {
  if (num < 0) throw ValueError("[linspace] num must be non-negative, got " + std::to_string(num));
  Tensor t = detail::make_tensor(Shape{num});
  if (num == 1) {
    t.data()[0] = start;
  } else if (num > 1) {
    as_array(t) = Eigen::ArrayXf::LinSpaced(num, start, stop);
  }
  return t;
}

}  // namespace minnow
