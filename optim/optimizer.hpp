#pragma once
// The optimizer base classes, mirroring mlx.optimizers.Optimizer.
//
// An optimizer keeps a step counter, a learning rate (a constant or a schedule of the step) and
// per-parameter state keyed by the dotted parameter name. One training step is
//
//   auto [loss, grads] = loss_and_grad(model, x, y);   // nn::value_and_grad
//   optimizer.update(model, grads);
//
// Unlike MLX, whose arrays are immutable, minnow updates parameters IN PLACE: every Tensor handle
// that shares a parameter's storage sees the new values (take a copy() to keep a snapshot). Once
// a parameter's state exists, a step allocates no tensors.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_map.hpp"

namespace minnow::nn {
class Module;
}

namespace minnow::optim {

/// A hyper-parameter as a function of the step count (the number of steps taken before the one
/// about to run), as MLX's schedulers: schedule(0) is the value of the first step.
using Schedule = std::function<float(int64_t step)>;

/// A learning rate: a constant or a Schedule. Converts implicitly from both, so that
/// `optim::SGD(0.1f)` and `optim::SGD(optim::cosine_decay(0.1f, 1000))` read as in MLX.
class LearningRate {
 public:
  /// A constant learning rate.
  LearningRate(float value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  /// A scheduled learning rate: any callable float(int64_t). ValueError when it is empty.
  template <class F>
  requires(!std::is_arithmetic_v<std::decay_t<F>> && std::is_invocable_r_v<float, F&, int64_t>)
      LearningRate(F schedule)  // NOLINT(google-explicit-constructor)
      : schedule_(std::move(schedule)) {
    check_schedule();
  }

  /// True when the rate follows a schedule.
  bool scheduled() const { return static_cast<bool>(schedule_); }
  /// The rate for the step that follows `step` completed steps.
  float at(int64_t step) const { return schedule_ ? schedule_(step) : value_; }

 private:
  void check_schedule() const;

  float value_ = 0.0f;
  Schedule schedule_;
};

/// The interface every optimizer implements; code that trains takes an `Optimizer&`.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One step: evaluates the learning rate at the current step count, increments the step, and
  /// updates each parameter that has a gradient. `parameters` may be a superset of `gradients`
  /// (frozen parameters have no gradient and are left alone). Parameters are written in place;
  /// the result maps each gradient's name to its updated parameter, in the order of
  /// `gradients`. KeyError for a gradient whose parameter is missing, ShapeError for a gradient
  /// whose shape differs from its parameter's; nothing changes when either is raised.
  virtual TensorMap apply_gradients(const TensorMap& gradients, const TensorMap& parameters) = 0;

  /// `model.update(apply_gradients(gradients, <the model's parameters>))`, as MLX's update.
  void update(nn::Module& model, const TensorMap& gradients);

  /// A snapshot of the state as a flat map, named as MLX's tree_flatten(optimizer.state):
  /// "step", "learning_rate", then "<parameter>.<key>" ("layers.0.weight.m"). Scalars are
  /// float32 tensors of shape []. The tensors are copies: later steps do not change them.
  virtual TensorMap state() const = 0;
  /// Restores a map from state() (of an optimizer of the same kind and hyper-parameters): with
  /// the same parameters, training continues bit for bit as if it had not been interrupted.
  /// The tensors are copied. KeyError for a missing "step" or an entry that names no state;
  /// ValueError for a step that is not a non-negative integer. Checked before anything changes.
  virtual void load_state(const TensorMap& state) = 0;

  /// The number of steps taken.
  virtual int64_t step() const = 0;
  /// The learning rate of the latest step (before the first one: of the first one).
  virtual float learning_rate() const = 0;
  /// Replaces the learning rate (a constant or a schedule) from the next step on.
  virtual void set_learning_rate(LearningRate learning_rate) = 0;

  /// The class name as in MLX ("Adam"); error messages start with it.
  const std::string& name() const { return name_; }

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

 private:
  std::string name_;
};

/// One named tensor of a parameter's optimizer state ("m", "v", ...).
struct StateTensor {
  std::string key;
  Tensor value;
};
/// The optimizer state of one parameter, in the order the optimizer creates it.
using ParamState = std::vector<StateTensor>;

/// MLX's Optimizer base: state per parameter name, a step counter and a learning rate; derived
/// classes give the per-parameter rule (init_single, apply_single), exactly as in MLX. Every
/// built-in optimizer except MultiOptimizer derives from it, and so can a user's.
class PerParameterOptimizer : public Optimizer {
 public:
  TensorMap apply_gradients(const TensorMap& gradients, const TensorMap& parameters) override;
  TensorMap state() const override;
  void load_state(const TensorMap& state) override;
  int64_t step() const override { return step_; }
  /// KeyError for an optimizer built without a learning rate (Adafactor's relative step).
  float learning_rate() const override;
  void set_learning_rate(LearningRate learning_rate) override;

 protected:
  /// `learning_rate` is optional only for optimizers that can do without (Adafactor).
  PerParameterOptimizer(std::string name, std::optional<LearningRate> learning_rate);
  PerParameterOptimizer(PerParameterOptimizer&&) = default;
  PerParameterOptimizer& operator=(PerParameterOptimizer&&) = default;

  /// The state of `parameter` before its first step (zeros, usually), as MLX's init_single.
  virtual ParamState init_single(const Tensor& parameter) const = 0;
  /// One parameter's step, as MLX's apply_single: updates `state` and `parameter`, in place
  /// (or by assigning a new tensor to `parameter`). learning_rate() and step() give the values
  /// of this step (the step already incremented, as MLX's self.step in apply_single).
  virtual void apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) = 0;

 private:
  struct Entry {
    std::string name;
    ParamState state;
    Shape shape;           // the parameter shape the state was made for
    bool checked = false;  // false for loaded state not yet matched against its parameter
  };

  Entry& entry_for(const std::string& name, const Tensor& parameter);
  void check_loaded(Entry& entry, const Tensor& parameter) const;
  void resolve(const TensorMap& gradients, const TensorMap& parameters);

  std::optional<LearningRate> schedule_;  // absent: no learning rate at all
  float learning_rate_ = 0.0f;            // the value of the latest step
  int64_t step_ = 0;
  // Entries in creation order (state() lists them so); the index finds them by name. The
  // entries live on the heap, so pointers to them survive new insertions.
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_map<std::string, Entry*, TensorMap::NameHash, std::equal_to<>> index_;
  // What the latest call resolved, reused while gradients and parameters keep their key tables
  // (holding the tables keeps them alive and unchanged, so pointer equality is name equality).
  std::shared_ptr<const TensorMap::Keys> resolved_gradient_keys_;
  std::shared_ptr<const TensorMap::Keys> resolved_parameter_keys_;
  std::vector<Entry*> resolved_entries_;
  std::vector<size_t> resolved_positions_;
};

}  // namespace minnow::optim
