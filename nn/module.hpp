#pragma once
// Module: the base of every layer and model, mirroring mlx.nn.Module. A module owns named
// parameters and named child modules, in insertion order; parameter names are flattened with
// dots, as MLX's tree_flatten gives them ("layers.0.weight").

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "minnow/core/tensor.hpp"
#include "minnow/core/tensor_map.hpp"

namespace minnow::nn {

using json = nlohmann::json;

class Module;

/// A shared, type-erased module. Converts implicitly from a module value (moved into shared
/// storage) or a shared_ptr, so that containers read naturally:
/// nn::Sequential{nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 1)}.
class ModulePtr {
 public:
  ModulePtr() = default;
  template <class M, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>> &&
                                              !std::is_lvalue_reference_v<M>>>
  ModulePtr(M&& module)  // NOLINT(google-explicit-constructor)
      : ptr_(std::make_shared<std::decay_t<M>>(std::forward<M>(module))) {}
  template <class M, class = std::enable_if_t<std::is_base_of_v<Module, M>>>
  ModulePtr(std::shared_ptr<M> module) : ptr_(std::move(module)) {}  // NOLINT

  Module& operator*() const { return *ptr_; }
  Module* operator->() const { return ptr_.get(); }
  Module* get() const { return ptr_.get(); }
  const std::shared_ptr<Module>& shared() const { return ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }

 private:
  std::shared_ptr<Module> ptr_;
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The forward computation. Modules of one input override this.
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  /// The class name as in MLX ("Linear"); also the "type" of its config.
  virtual std::string type_name() const = 0;
  /// The constructor arguments as JSON: {"type": "Linear", "input_dims": 2, ...}. Building
  /// the registered type from this config gives an identical module (parameters aside).
  virtual json config() const = 0;
  /// What goes between the parentheses of the printed form ("input_dims=2, ...").
  virtual std::string extra_repr() const { return ""; }

  // ---- the parameter tree --------------------------------------------------------------------

  /// Every parameter, frozen ones included, by dotted name.
  TensorMap parameters() const;
  /// The parameters that are not frozen: those that get gradients.
  TensorMap trainable_parameters() const;
  /// Total number of parameter elements.
  int64_t num_parameters() const;

  /// Direct children, by their local name ("layers.0" for Sequential).
  std::vector<std::pair<std::string, Module*>> children() const;
  /// (dotted path, module) for this module (path "") and every descendant. As in MLX, the
  /// walk uses a stack, so siblings come in reverse order.
  std::vector<std::pair<std::string, Module*>> named_modules();
  std::vector<Module*> modules();
  /// (dotted path, module) for every descendant that has no children.
  std::vector<std::pair<std::string, Module*>> leaf_modules();

  /// Replaces parameters by dotted name. With strict, an unknown name (KeyError) or a shape
  /// different from the current one (ShapeError) is an error, and nothing is changed; without
  /// it, unknown names are skipped (shapes are still checked). Returns *this.
  Module& update(const TensorMap& parameters, bool strict = true);
  /// Replaces child modules by dotted path (KeyError for an unknown path when strict).
  Module& update_modules(const std::vector<std::pair<std::string, ModulePtr>>& modules,
                         bool strict = true);
  /// Maps every parameter (passing the filter, when given) through fn(name, tensor).
  Module& apply(const std::function<Tensor(const std::string&, const Tensor&)>& fn,
                const std::function<bool(const std::string&, const Tensor&)>& filter = {});
  /// Calls fn(path, module) on this module and every descendant.
  Module& apply_to_modules(const std::function<void(const std::string&, Module&)>& fn);

  /// Freezes the local parameters named in `keys` (all when empty) of this module and, with
  /// recurse, of every descendant. With strict, a key some module lacks is a KeyError.
  Module& freeze(const std::vector<std::string>& keys = {}, bool recurse = true,
                 bool strict = false);
  Module& unfreeze(const std::vector<std::string>& keys = {}, bool recurse = true,
                   bool strict = false);

  /// Training mode (the default) or evaluation mode, for this module and every descendant.
  Module& train(bool mode = true);
  Module& eval() { return train(false); }
  bool training() const { return training_; }

  /// MLX's printed form, e.g. "Sequential(\n  (layers.0): Linear(...)\n)".
  std::string to_string() const;

 protected:
  /// Adds a parameter and returns its index for param_at(). Call from constructors.
  size_t register_parameter(std::string name, Tensor value);
  Tensor& param_at(size_t index) { return params_[index].value; }
  const Tensor& param_at(size_t index) const { return params_[index].value; }
  /// Adds a child module and returns its index for child_at().
  size_t register_module(std::string name, ModulePtr module);
  Module& child_at(size_t index) const { return *children_[index].second; }
  template <class M>
  M& child_at(size_t index) const {
    return dynamic_cast<M&>(child_at(index));
  }
  /// Called by unfreeze() after it has run, so that a module can keep some parameters frozen
  /// (BatchNorm's running statistics).
  virtual void after_unfreeze() {}
  /// Marks a local parameter frozen or trainable.
  void set_frozen(size_t index, bool frozen);

 private:
  struct Parameter {
    std::string name;
    Tensor value;
    bool frozen = false;
  };
  // Calls visit(dotted_name, parameter) for every parameter of the tree, in order.
  template <class Visit>
  void walk(const std::string& prefix, Visit&& visit) const;
  // Pointers to the tree's parameters in walk order, without building names.
  void collect(std::vector<Parameter*>& out, bool trainable_only) const;
  // The tree's parameter tensors in walk order (one allocation: the caller's vector).
  void walk_values(std::vector<Tensor>& out, bool trainable_only) const;
  const std::shared_ptr<const TensorMap::Keys>& key_table(bool trainable_only) const;
  TensorMap gather(bool trainable_only) const;
  std::vector<std::pair<std::string, Module*>> named_children_recursive();
  Module& set_frozen_keys(const std::vector<std::string>& keys, bool recurse, bool strict,
                          bool frozen);

  std::vector<Parameter> params_;
  std::vector<std::pair<std::string, ModulePtr>> children_;
  // The order parameters and children were registered in (true: a child), so that flattened
  // names come in insertion order, as MLX's dict-based tree gives them.
  std::vector<std::pair<bool, size_t>> order_;
  bool training_ = true;
  // Flattened key tables, rebuilt only when the tree's structure changes (see module.cpp).
  mutable std::shared_ptr<const TensorMap::Keys> all_keys_, trainable_keys_;
  mutable uint64_t all_keys_epoch_ = 0, trainable_keys_epoch_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace minnow::nn
