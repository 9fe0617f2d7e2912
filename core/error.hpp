#pragma once
// The exception hierarchy of minnow. Every error thrown by the library derives from
// minnow::Error; messages start with the operation in brackets, as in MLX:
// "[matmul] shapes [2, 3] and [4, 5] cannot be multiplied".

#include <stdexcept>
#include <string>

namespace minnow {

/// Base class of every exception minnow throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Shapes that do not fit an operation (broadcasting, matmul, reshape, parameter shapes).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// An argument value out of its domain (negative eps, p = 1 for Dropout, unknown reduction).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// An index or axis out of range.
class IndexError : public Error {
 public:
  using Error::Error;
};

/// A name that is not there (unknown parameter, unknown layer type, missing key).
class KeyError : public Error {
 public:
  using Error::Error;
};

/// A file or document whose contents do not follow its format (model file, safetensors, CSV).
class FormatError : public Error {
 public:
  using Error::Error;
};

/// The file system refused (cannot open, cannot write, cannot rename).
class IOError : public Error {
 public:
  using Error::Error;
};

}  // namespace minnow
