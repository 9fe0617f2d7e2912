#pragma once
// Tensor: an N-dimensional float32 array in row-major order. A Tensor is a cheap handle, as an
// MLX array is: copying a Tensor shares its data. Use copy() for an independent array.

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/core/shape.hpp"

namespace minnow {

namespace detail {

/// What a Tensor handle points to. A tensor either owns its storage or is a view that keeps its
/// owner alive through `owner`. One pooled block holds the implementation and its reference
/// count, and for small tensors their values too (see make_tensor); larger storage is a second
/// pooled buffer, returned to the pool by the destructor.
struct TensorImpl {
  TensorImpl() = default;
  explicit TensorImpl(const Shape& s) : shape(s) {}
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;

  Shape shape;
  float* data = nullptr;
  size_t owned_bytes = 0;  // > 0 when `data` is a separate pooled buffer this tensor owns
  std::shared_ptr<const TensorImpl> owner;  // for views: the tensor that owns `data`
  // Autograd bookkeeping: valid only while tape_generation equals the active tape's generation,
  // so that ending a tape needs no walk over the tensors it touched.
  uint32_t tape_generation = 0;
  uint32_t slot = 0;

  /// The tensor that owns the storage (itself when not a view).
  const TensorImpl& storage_owner() const { return owner ? *owner : *this; }
};

/// Throws the ValueError for an operation `op` on an empty handle (out of line: cold).
[[noreturn]] void throw_empty_tensor(const char* op);

}  // namespace detail

class Tensor {
 public:
  /// An empty handle: it holds no array, and operations on it throw ValueError.
  Tensor() = default;
  /// A scalar (0-dimensional) tensor. Implicit, so that `x * 2.0f` and `x + 1` read naturally.
  Tensor(float value);  // NOLINT(google-explicit-constructor)
  /// A 1-D tensor from a list: Tensor({1, 2, 3}).
  Tensor(std::initializer_list<float> values);
  /// A 2-D tensor from nested lists: Tensor({{1, 2}, {3, 4}}). Rows must have equal length.
  Tensor(std::initializer_list<std::initializer_list<float>> rows);
  /// A 3-D tensor from nested lists.
  Tensor(std::initializer_list<std::initializer_list<std::initializer_list<float>>> blocks);
  /// A tensor of `shape` holding `values` in row-major order (sizes must agree).
  Tensor(std::span<const float> values, const Shape& shape);
  Tensor(const std::vector<float>& values, const Shape& shape)
      : Tensor(std::span<const float>(values), shape) {}

  /// An uninitialized tensor of `shape` (its values are unspecified until written).
  static Tensor empty(const Shape& shape);

  /// True when the handle holds an array.
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return checked_impl("shape").shape; }
  int ndim() const { return shape().ndim(); }
  /// Number of elements.
  int64_t size() const { return shape().numel(); }
  /// Dimension `axis` (negative counts from the end).
  int64_t dim(int axis) const { return shape().dim(axis); }

  /// The value of a one-element tensor; ValueError otherwise.
  float item() const;
  /// The element at a full index, e.g. t.at({1, 2}); IndexError when out of range.
  float at(std::initializer_list<int64_t> index) const;

  /// Row-major element storage. Writing through data() is visible to every copy of the handle.
  float* data() { return checked_impl("data").data; }
  const float* data() const { return checked_impl("data").data; }
  std::span<const float> values() const { return {data(), static_cast<size_t>(size())}; }
  std::vector<float> to_vector() const { return {values().begin(), values().end()}; }

  /// A deep copy: same shape and values, its own storage, not connected to any gradient tape.
  Tensor copy() const;
  /// True when both handles use the same storage.
  bool shares_data(const Tensor& other) const {
    return impl_ && other.impl_ && &impl_->storage_owner() == &other.impl_->storage_owner();
  }

  /// MLX's printed form: array([[1, 2], [3, 4]], dtype=float32).
  std::string to_string() const;

  /// Internal: the shared implementation (used by ops and autograd).
  const std::shared_ptr<detail::TensorImpl>& impl() const { return impl_; }
  /// Internal: the implementation, or ValueError naming `op` when the handle is empty.
  detail::TensorImpl& checked_impl(const char* op) const {
    if (!impl_) [[unlikely]]
      detail::throw_empty_tensor(op);
    return *impl_;
  }
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<detail::TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- creation -------------------------------------------------------------------------------

Tensor zeros(const Shape& shape);
Tensor ones(const Shape& shape);
Tensor full(const Shape& shape, float value);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
/// [start, stop) in steps of `step`, as NumPy.
Tensor arange(float start, float stop, float step = 1.0f);
Tensor arange(float stop);
/// An n x m matrix with ones on the diagonal (m = n when m < 0).
Tensor eye(int64_t n, int64_t m = -1);
/// `num` evenly spaced values from start to stop, both included.
Tensor linspace(float start, float stop, int64_t num = 50);

}  // namespace minnow
