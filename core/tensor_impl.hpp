#pragma once
// Internal: what a Tensor handle points to. Ops and autograd read it; users do not need it.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "minnow/core/shape.hpp"
#include "minnow/core/tensor.hpp"

namespace minnow::detail {

/// Storage for tensor elements, taken from and returned to the buffer pool (see allocator.hpp).
struct Buffer {
  explicit Buffer(size_t count);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  float* data = nullptr;
  size_t bytes = 0;
};

struct TensorImpl {
  Shape shape;
  std::shared_ptr<Buffer> buffer;
  float* data = nullptr;
  // Autograd bookkeeping: valid only while tape_generation equals the active tape's generation,
  // so that ending a tape needs no walk over the tensors it touched.
  uint32_t tape_generation = 0;
  uint32_t slot = 0;
};

/// A fresh tensor of `shape` whose storage is uninitialized.
Tensor make_tensor(const Shape& shape);
/// A new handle of `shape` that shares `source`'s storage (a view; sizes must agree).
Tensor make_view(const Tensor& source, const Shape& shape);
/// The implementation of `t`, or ValueError naming `op` when `t` is an empty handle.
TensorImpl& checked_impl(const Tensor& t, const char* op);

}  // namespace minnow::detail
