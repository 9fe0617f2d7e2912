#pragma once
// Internal: creating tensor implementations and views. Ops and autograd use it; users do not
// need it. (TensorImpl itself is defined in tensor.hpp so that Tensor's accessors inline.)

#include <cstddef>
#include <cstdint>
#include <memory>

#include "minnow/core/shape.hpp"
#include "minnow/core/tensor.hpp"

namespace minnow::detail {

/// A fresh tensor of `shape` whose storage is uninitialized.
Tensor make_tensor(const Shape& shape);
/// A new handle of `shape` that shares `source`'s storage (a view; sizes must agree).
Tensor make_view(const Tensor& source, const Shape& shape);
/// The implementation of `t`, or ValueError naming `op` when `t` is an empty handle.
inline TensorImpl& checked_impl(const Tensor& t, const char* op) {
  return t.checked_impl(op);
}

}  // namespace minnow::detail
