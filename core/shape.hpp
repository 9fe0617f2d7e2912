#pragma once
// Shape: the dimensions of a tensor, stored inline (no heap allocation) because every tensor
// has one and small models create many tensors per step.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace minnow {

class Shape {
 public:
  /// The most dimensions a tensor may have.
  static constexpr int kMaxDims = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims) : Shape(std::span<const int64_t>(dims)) {}

  int ndim() const { return ndim_; }
  /// Number of elements: the product of the dimensions (1 for a scalar).
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim_; ++i) n *= dims_[static_cast<size_t>(i)];
    return n;
  }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  /// Dimension `axis`, where a negative axis counts from the end.
  int64_t dim(int axis) const;

  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + ndim_; }
  std::vector<int64_t> to_vector() const { return {begin(), end()}; }

  void push_back(int64_t d);
  void insert(int position, int64_t d);
  void erase(int position);

  bool operator==(const Shape& other) const {
    // A plain loop: shapes have a handful of dimensions, and this is called several times per op
    // (std::equal became a memcmp call).
    if (ndim_ != other.ndim_) return false;
    for (int i = 0; i < ndim_; ++i) {
      if (dims_[static_cast<size_t>(i)] != other.dims_[static_cast<size_t>(i)]) return false;
    }
    return true;
  }
  bool operator!=(const Shape& other) const { return !(*this == other); }

  /// "[2, 3]"; a scalar is "[]".
  std::string to_string() const;

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

/// Row-major strides (in elements) of a shape.
std::array<int64_t, Shape::kMaxDims> row_major_strides(const Shape& shape);

/// Maps a possibly negative axis into [0, ndim); throws IndexError naming `op` otherwise.
int normalize_axis(int axis, int ndim, const char* op);

/// The NumPy broadcast of two shapes; throws ShapeError naming `op` when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace minnow
