#pragma once
// Reverse-mode automatic differentiation, with MLX's functional face: value_and_grad(fn, params)
// runs fn while recording the differentiable ops it performs on a tape, then walks the tape
// backwards. There are no .grad fields and no zero_grad.
//
// Rules (documented in docs/core.md):
// - fn must return a one-element tensor; anything else is a ShapeError.
// - A parameter fn does not use gets a zero gradient (as MLX).
// - Ops record only while a tape is active and one of their inputs depends on a parameter, so
//   code that asks for no gradient pays nothing.
// - Gradients are first order: calling value_and_grad inside fn is a ValueError.

#include <array>
#include <functional>
#include <utility>
#include <vector>

#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_map.hpp"

namespace minnow {

namespace autograd {
std::pair<Tensor, std::vector<Tensor>> value_and_grad_list(
    const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& params);
std::pair<Tensor, TensorMap> value_and_grad_map(const std::function<Tensor(const TensorMap&)>& fn,
                                                const TensorMap& params);
}  // namespace autograd

/// The value of `fn(params)` and its gradient with respect to each of `params`, in order.
/// fn takes `const std::vector<Tensor>&` (a generic lambda works too).
template <class Fn>
std::pair<Tensor, std::vector<Tensor>> value_and_grad(Fn&& fn, const std::vector<Tensor>& params) {
  return autograd::value_and_grad_list(std::forward<Fn>(fn), params);
}
/// The same with named parameters: gradients come back under the same names, in the same order
/// (sharing the key table of `params`). fn takes `const TensorMap&`.
template <class Fn>
std::pair<Tensor, TensorMap> value_and_grad(Fn&& fn, const TensorMap& params) {
  return autograd::value_and_grad_map(std::forward<Fn>(fn), params);
}
/// Only the gradients.
template <class Fn>
std::vector<Tensor> grad(Fn&& fn, const std::vector<Tensor>& params) {
  return value_and_grad(std::forward<Fn>(fn), params).second;
}
template <class Fn>
TensorMap grad(Fn&& fn, const TensorMap& params) {
  return value_and_grad(std::forward<Fn>(fn), params).second;
}

/// The same values, cut from the tape: no gradient flows through the result.
Tensor stop_gradient(const Tensor& x);

// ---- defining differentiable ops ----------------------------------------------------------------
// An op computes its output, then calls record(); its backward function receives the node and
// the gradient of the output, and adds the gradient of each input with accumulate(). See
// core/ops_*.cpp for many examples and nn/activations.cpp for one outside core.

namespace autograd {

struct Node;
using BackwardFn = void (*)(const Node& node, const Tensor& grad_output);

/// One recorded op: its inputs, its output and the attributes its backward needs.
struct Node {
  static constexpr int kMaxInputs = 3;
  BackwardFn backward = nullptr;
  std::array<Tensor, kMaxInputs> inputs;
  int num_inputs = 0;
  std::vector<Tensor> extra_inputs;  // for variadic ops (concatenate); usually empty
  Tensor output;
  std::array<float, 4> scalars{};
  std::array<int64_t, 4> ints{};

  /// Whether input i (counting extra_inputs after inputs) needs a gradient.
  bool needs_grad(int i) const;
  const Tensor& input(int i) const;
  /// Adds `grad` to input i's gradient. `grad` may have the broadcast shape of the output:
  /// it is summed back to the input's shape. Passing a temporary (std::move) lets the first
  /// gradient of an input be kept as it is, without touching its reference count.
  void accumulate(int i, const Tensor& grad) const { accumulate(i, Tensor(grad)); }
  void accumulate(int i, Tensor&& grad) const;
};

/// True when a tape is recording on this thread.
bool recording();
/// True when recording and `x` depends on a parameter of the active tape.
bool tracked(const Tensor& x);
/// Records `node` (with node.output and node.inputs set) when any input is tracked. Returns the
/// output. Cheap no-op when not recording.
Tensor record(Node&& node);
/// References to an op's inputs, as record() takes them: `{x, weight, bias}`. References, so
/// that recording copies each handle once, into the node, and only when it builds one.
using InputRefs = std::initializer_list<std::reference_wrapper<const Tensor>>;
/// Convenience: records an op with up to three inputs and attributes; builds no node at all
/// when nothing is recording.
Tensor record(const Tensor& output, InputRefs inputs, BackwardFn fn,
              std::array<float, 4> scalars = {}, std::array<int64_t, 4> ints = {});

/// Sums `grad` over broadcast axes so that it has `shape` (used by accumulate).
Tensor reduce_to_shape(const Tensor& grad, const Shape& shape);

}  // namespace autograd
}  // namespace minnow
