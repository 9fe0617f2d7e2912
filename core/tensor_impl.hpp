#pragma once
// Internal: what a Tensor handle points to. Ops and autograd read it; users do not need it.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "minnow/core/shape.hpp"
#include "minnow/core/tensor.hpp"

namespace minnow::detail {

/// What a Tensor handle points to. A tensor either owns its storage (taken from the buffer pool
/// and returned to it by the destructor) or is a view that keeps its owner alive through
/// `owner`; either way one allocation holds the implementation and its reference count.
struct TensorImpl {
  TensorImpl() = default;
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;

  Shape shape;
  float* data = nullptr;
  size_t owned_bytes = 0;                   // > 0 when this tensor owns `data`
  std::shared_ptr<const TensorImpl> owner;  // for views: the tensor that owns `data`
  // Autograd bookkeeping: valid only while tape_generation equals the active tape's generation,
  // so that ending a tape needs no walk over the tensors it touched.
  uint32_t tape_generation = 0;
  uint32_t slot = 0;

  /// The tensor that owns the storage (itself when not a view).
  const TensorImpl& storage_owner() const { return owner ? *owner : *this; }
};

/// A fresh tensor of `shape` whose storage is uninitialized.
Tensor make_tensor(const Shape& shape);
/// A new handle of `shape` that shares `source`'s storage (a view; sizes must agree).
Tensor make_view(const Tensor& source, const Shape& shape);
/// The implementation of `t`, or ValueError naming `op` when `t` is an empty handle.
TensorImpl& checked_impl(const Tensor& t, const char* op);

}  // namespace minnow::detail
