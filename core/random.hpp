#pragma once
// Random numbers from an explicit, seedable generator. The same seed gives the same numbers on
// every platform: the generator (PCG32) and the transformations are minnow's own, not the
// standard library's implementation-defined distributions.

#include <cstdint>
#include <memory>
#include <vector>

#include "minnow/core/tensor.hpp"

namespace minnow::random {

/// PCG32 (O'Neill, XSH-RR): small, fast, and fully specified.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0);
  void seed(uint64_t seed);
  /// The next 32 random bits.
  uint32_t next_u32();
  /// Uniform in [0, 1), 24 bits of precision.
  float next_float();
  /// Standard normal (Box-Muller).
  float next_normal();
  /// Uniform integer in [0, n).
  uint64_t next_below(uint64_t n);
  /// Skips the next `count` results of next_u32() in O(log count) steps (PCG's jump ahead).
  void discard(uint64_t count);
  /// Advances exactly as `count` calls of next_normal() would, in O(log count) steps.
  void discard_normals(uint64_t count);

 private:
  uint64_t state_ = 0;
  uint64_t increment_ = 0;
  bool has_spare_normal_ = false;
  float spare_normal_ = 0.0f;
};

/// Re-seeds the default generator (used whenever no generator is passed).
void seed(uint64_t seed);
/// The default generator. Not synchronized: seed and draw from one thread at a time.
Generator& default_generator();

/// Samples of N(loc, scale^2).
Tensor normal(const Shape& shape, float loc = 0.0f, float scale = 1.0f, Generator* gen = nullptr);
/// Samples of U[low, high).
Tensor uniform(const Shape& shape, float low = 0.0f, float high = 1.0f, Generator* gen = nullptr);
/// 1.0 with probability p, else 0.0.
Tensor bernoulli(const Shape& shape, float p = 0.5f, Generator* gen = nullptr);
/// A random permutation of 0 .. n-1 (as float32 indices), for shuffling.
Tensor permutation(int64_t n, Generator* gen = nullptr);

namespace detail {

/// Internal, for a loader that builds a model only to replace every one of its parameters: while
/// an object of this class is alive, draws from the default generator on this thread (normal,
/// uniform, bernoulli, with no generator or the default one) allocate their tensor but compute
/// no values (they are unspecified), and advance the generator exactly as the draws would have,
/// so that everything drawn later is unchanged. Scopes nest; draws from other generators, on
/// other threads or after the scope ends are as usual.
class SkipDrawsScope {
 public:
  SkipDrawsScope();
  ~SkipDrawsScope();
  SkipDrawsScope(const SkipDrawsScope&) = delete;
  SkipDrawsScope& operator=(const SkipDrawsScope&) = delete;

  /// True when a tensor of a skipped draw of this scope is still alive (held anywhere): its
  /// values were never drawn, so the caller must not use what it built. False when every one has
  /// been released, e.g. replaced by loaded values.
  bool draws_outlived() const;
  /// Puts the default generator back where it was when the scope began, for building again with
  /// real draws (call only when no draw from it should count).
  void rewind_generator() const;

  /// Internal, for the draw functions: the innermost scope of this thread, or nullptr.
  static SkipDrawsScope* active();
  /// Internal, for the draw functions: a tensor of `shape` with unspecified values, recorded.
  Tensor skip(const Shape& shape);

 private:
  SkipDrawsScope* enclosing_;
  Generator start_;  // the default generator when the scope began
  std::vector<std::weak_ptr<const minnow::detail::TensorImpl>> skipped_;
};

/// Internal: while an object of this class is alive, draws on this thread are real even inside
/// a SkipDrawsScope. For code that may compute with what it draws instead of only keeping it
/// (the factories of user-registered module types): a value computed from a skipped draw would
/// be garbage that no later check could find.
class RealDrawsScope {
 public:
  RealDrawsScope();
  ~RealDrawsScope();
  RealDrawsScope(const RealDrawsScope&) = delete;
  RealDrawsScope& operator=(const RealDrawsScope&) = delete;

 private:
  SkipDrawsScope* suspended_;
};

}  // namespace detail

}  // namespace minnow::random
