#include "minnow/core/shape.hpp"

#include <algorithm>
#include <string>

#include "minnow/core/error.hpp"

namespace minnow {

namespace {

void check_rank(size_t ndim) {
  if (ndim > static_cast<size_t>(Shape::kMaxDims)) {
    throw ValueError("[Shape] at most " + std::to_string(Shape::kMaxDims) +
                     " dimensions are supported, got " + std::to_string(ndim));
  }
}

}  // namespace

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims)) {}

Shape::Shape(std::span<const int64_t> dims) {
  check_rank(dims.size());
  std::copy(dims.begin(), dims.end(), dims_.begin());
  ndim_ = static_cast<int>(dims.size());
}

int64_t Shape::dim(int axis) const {
  return (*this)[normalize_axis(axis, ndim_, "Shape::dim")];
}

void Shape::push_back(int64_t d) {
  check_rank(static_cast<size_t>(ndim_) + 1);
  dims_[static_cast<size_t>(ndim_++)] = d;
}

void Shape::insert(int position, int64_t d) {
  check_rank(static_cast<size_t>(ndim_) + 1);
  for (int i = ndim_; i > position; --i) {
    dims_[static_cast<size_t>(i)] = dims_[static_cast<size_t>(i - 1)];
  }
  dims_[static_cast<size_t>(position)] = d;
  ++ndim_;
}

void Shape::erase(int position) {
  for (int i = position; i + 1 < ndim_; ++i) {
    dims_[static_cast<size_t>(i)] = dims_[static_cast<size_t>(i + 1)];
  }
  dims_[static_cast<size_t>(--ndim_)] = 0;
}

std::string Shape::to_string() const {
  std::string out = "[";
  for (int i = 0; i < ndim_; ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(dims_[static_cast<size_t>(i)]);
  }
  return out + "]";
}

std::array<int64_t, Shape::kMaxDims> row_major_strides(const Shape& shape) {
  std::array<int64_t, Shape::kMaxDims> strides{};
  int64_t stride = 1;
  for (int i = shape.ndim() - 1; i >= 0; --i) {
    strides[static_cast<size_t>(i)] = stride;
    stride *= shape[i];
  }
  return strides;
}

int normalize_axis(int axis, int ndim, const char* op) {
  const int normalized = axis < 0 ? axis + ndim : axis;
  if (normalized < 0 || normalized >= ndim) {
    throw IndexError(std::string("[") + op + "] axis " + std::to_string(axis) +
                     " is out of range for a tensor of " + std::to_string(ndim) + " dimensions");
  }
  return normalized;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int ndim = std::max(a.ndim(), b.ndim());
  Shape out;
  for (int i = 0; i < ndim; ++i) {
    const int ia = a.ndim() - ndim + i;
    const int ib = b.ndim() - ndim + i;
    const int64_t da = ia >= 0 ? a[ia] : 1;
    const int64_t db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string("[") + op + "] shapes " + a.to_string() + " and " +
                       b.to_string() + " cannot be broadcast");
    }
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

}  // namespace minnow
