#include "minnow/core/autograd.hpp"

#include <algorithm>

#include "minnow/core/ops.hpp"
#include "minnow/core/tensor_impl.hpp"

namespace minnow {

namespace autograd {

namespace {

// The tape of the calling thread. Tensors know their slot through (generation, slot) pairs, so
// a new value_and_grad only bumps the generation instead of visiting old tensors.
struct Tape {
  bool recording = false;
  bool busy = false;  // inside a value_and_grad (recording or walking backwards)
  uint32_t generation = 0;
  uint32_t next_slot = 0;
  std::vector<Node> nodes;
  std::vector<Tensor> grads;  // by slot
};

Tape& tape() {
  thread_local Tape instance;
  return instance;
}

bool is_tracked(const Tape& t, const detail::TensorImpl* impl) {
  return impl != nullptr && impl->tape_generation == t.generation;
}

void assign_slot(Tape& t, detail::TensorImpl& impl) {
  impl.tape_generation = t.generation;
  impl.slot = t.next_slot++;
}

// Ends the tape however value_and_grad leaves (normally or by an exception).
class TapeSession {
 public:
  TapeSession() : tape_(tape()) {
    if (tape_.busy) {
      throw ValueError(
          "[value_and_grad] nested calls are not supported: gradients are first order");
    }
    tape_.busy = true;
    tape_.recording = true;
    if (++tape_.generation == 0) tape_.generation = 1;  // 0 means "never tracked"
    tape_.next_slot = 0;
  }
  ~TapeSession() {
    tape_.recording = false;
    tape_.busy = false;
    tape_.nodes.clear();
    tape_.grads.clear();
  }
  TapeSession(const TapeSession&) = delete;
  TapeSession& operator=(const TapeSession&) = delete;

  // Gives each parameter a slot (a tensor passed twice shares one).
  void track(const std::vector<Tensor>& params) {
    for (const Tensor& p : params) {
      detail::TensorImpl& impl = detail::checked_impl(p, "value_and_grad");
      if (!is_tracked(tape_, &impl)) assign_slot(tape_, impl);
    }
  }

  // Walks the tape backwards from `value`, then returns one gradient per parameter slot.
  std::vector<Tensor> backward(const Tensor& value, const std::vector<Tensor>& params) {
    tape_.recording = false;  // backward computations are not recorded
    tape_.grads.assign(tape_.next_slot, Tensor());
    if (is_tracked(tape_, value.impl().get())) {
      tape_.grads[value.impl()->slot] = ones(value.shape());
      for (auto node = tape_.nodes.rbegin(); node != tape_.nodes.rend(); ++node) {
        Tensor& grad_output = tape_.grads[node->output.impl()->slot];
        if (!grad_output.defined()) continue;
        const Tensor g = std::move(grad_output);  // frees memory as the walk goes
        node->backward(*node, g);
      }
    }
    std::vector<Tensor> out;
    out.reserve(params.size());
    // Few parameters: a linear scan over the storage handed out so far beats a hash set (and
    // allocates nothing).
    auto handed_out = [&out](const Tensor& g) {
      return std::any_of(out.begin(), out.end(),
                         [&g](const Tensor& o) { return o.shares_data(g); });
    };
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor g = tape_.grads[params[i].impl()->slot];
      if (!g.defined()) {
        g = zeros(params[i].shape());  // unused parameter: zero gradient, as MLX
      } else if (handed_out(g)) {
        g = g.copy();  // never hand out two gradients that share storage
      }
      out.push_back(std::move(g));
    }
    return out;
  }

 private:
  Tape& tape_;
};

void check_scalar(const Tensor& value) {
  if (!value.defined() || value.size() != 1) {
    throw ShapeError("[value_and_grad] the function must return a one-element tensor, got " +
                     (value.defined() ? "shape " + value.shape().to_string() : "an empty tensor"));
  }
}

}  // namespace

bool recording() {
  return tape().recording;
}

bool tracked(const Tensor& x) {
  const Tape& t = tape();
  return t.recording && is_tracked(t, x.impl().get());
}

bool Node::needs_grad(int i) const {
  const Tape& t = tape();
  return is_tracked(t, input(i).impl().get());
}

const Tensor& Node::input(int i) const {
  return i < num_inputs ? inputs[static_cast<size_t>(i)]
                        : extra_inputs[static_cast<size_t>(i - num_inputs)];
}

void Node::accumulate(int i, Tensor&& grad) const {
  Tape& t = tape();
  const detail::TensorImpl* impl = input(i).impl().get();
  if (!is_tracked(t, impl)) return;
  Tensor reduced =
      grad.shape() == impl->shape ? std::move(grad) : reduce_to_shape(grad, impl->shape);
  Tensor& slot = t.grads[impl->slot];
  slot = slot.defined() ? add(slot, reduced) : std::move(reduced);
}

Tensor record(Node&& node) {
  Tape& t = tape();
  if (!t.recording) return node.output;
  const int total = node.num_inputs + static_cast<int>(node.extra_inputs.size());
  bool any = false;
  for (int i = 0; i < total; ++i) {
    const detail::TensorImpl* impl = node.input(i).impl().get();
    // An op that hands back its input unchanged needs no node: the gradient flows as it is.
    if (impl == node.output.impl().get()) return node.output;
    any = any || is_tracked(t, impl);
  }
  if (!any) return node.output;
  assign_slot(t, detail::checked_impl(node.output, "record"));
  t.nodes.push_back(std::move(node));
  return t.nodes.back().output;
}

Tensor record(const Tensor& output, InputRefs inputs, BackwardFn fn, std::array<float, 4> scalars,
              std::array<int64_t, 4> ints) {
  Tape& t = tape();
  if (!t.recording) return output;
  if (inputs.size() > Node::kMaxInputs) {
    throw ValueError("[record] at most " + std::to_string(Node::kMaxInputs) +
                     " inputs; use record(Node&&) with extra_inputs for more");
  }
  bool any = false;
  for (const Tensor& x : inputs) {
    if (x.impl() == output.impl()) return output;  // handed back unchanged: no node (as above)
    any = any || is_tracked(t, x.impl().get());
  }
  if (!any) return output;
  // Built in place on the tape: this runs for every op of every training step.
  Node& node = t.nodes.emplace_back();
  node.backward = fn;
  for (const Tensor& x : inputs) node.inputs[static_cast<size_t>(node.num_inputs++)] = x;
  node.output = output;
  node.scalars = scalars;
  node.ints = ints;
  assign_slot(t, detail::checked_impl(node.output, "record"));
  return output;
}

Tensor reduce_to_shape(const Tensor& grad, const Shape& shape) {
  const Shape& from = grad.shape();
  if (from == shape) return grad;
  // Sum the leading axes the broadcast added, and the axes that were 1 in `shape`.
  std::vector<int> axes;
  const int added = from.ndim() - shape.ndim();
  for (int i = 0; i < from.ndim(); ++i) {
    if (i < added || (shape[i - added] == 1 && from[i] != 1)) axes.push_back(i);
  }
  Tensor reduced = axes.empty() ? grad : sum(grad, axes, /*keepdims=*/true);
  return reshape(reduced, shape);
}

}  // namespace autograd

namespace autograd {

std::pair<Tensor, std::vector<Tensor>> value_and_grad_list(
    const std::function<Tensor(const std::vector<Tensor>&)>& fn,
    const std::vector<Tensor>& params) {
  TapeSession session;
  session.track(params);
  Tensor value = fn(params);
  check_scalar(value);
  auto grads = session.backward(value, params);
  return {stop_gradient(value), std::move(grads)};
}

std::pair<Tensor, TensorMap> value_and_grad_map(const std::function<Tensor(const TensorMap&)>& fn,
                                                const TensorMap& params) {
  TapeSession session;
  session.track(params.values());
  Tensor value = fn(params);
  check_scalar(value);
  auto grads = session.backward(value, params.values());
  return {stop_gradient(value), TensorMap(params.key_table(), std::move(grads))};
}

}  // namespace autograd

Tensor stop_gradient(const Tensor& x) {
  return detail::make_view(x, x.shape());
}

}  // namespace minnow
