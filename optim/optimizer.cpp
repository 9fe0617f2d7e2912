#include "minnow/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>

#include "minnow/core/error.hpp"
#include "minnow/nn/module.hpp"

namespace minnow::optim {

namespace {

Tensor scalar_tensor(float value) {
  return Tensor(value);
}

// The one value of a scalar state entry ("step", "learning_rate").
float scalar_entry(const std::string& op, const std::string& name, const Tensor& value) {
  if (value.size() != 1) {
    throw ShapeError("[" + op + "] state \"" + name + "\" must hold one value, got shape " +
                     value.shape().to_string());
  }
  return value.item();
}

std::string key_list(const ParamState& state) {
  std::string out = "{";
  for (const auto& [key, value] : state) out += (out.size() > 1 ? ", " : "") + key;
  return out + "}";
}

// True when both maps hold the same tensor handles (not merely equal values) in the same order.
bool holds_same_tensors(const TensorMap& a, const TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a.value_at(i).impl() != b.value_at(i).impl()) return false;
  }
  return true;
}

}  // namespace

void LearningRate::check_schedule() const {
  if (!schedule_) throw ValueError("[LearningRate] the schedule is empty");
}

// ---- Optimizer ----------------------------------------------------------------------------------

void Optimizer::update(nn::Module& model, const TensorMap& gradients) {
  // Gradients from nn::value_and_grad share the key table of trainable_parameters(), which
  // lets apply_gradients walk both maps by position; any other map is matched by name against
  // every parameter, frozen ones included, as MLX's update(model, gradients) does.
  const TensorMap trainable = model.trainable_parameters();
  if (gradients.same_keys(trainable)) {
    const TensorMap updated = apply_gradients(gradients, trainable);
    // minnow's rules write the parameters' storage in place and hand back the very same
    // tensors; then the model already holds the result and there is nothing to write back.
    if (!holds_same_tensors(updated, trainable)) model.update(updated);
  } else {
    model.update(apply_gradients(gradients, model.parameters()));
  }
}

// ---- PerParameterOptimizer ----------------------------------------------------------------------

PerParameterOptimizer::PerParameterOptimizer(std::string name,
                                             std::optional<LearningRate> learning_rate)
    : Optimizer(std::move(name)), schedule_(std::move(learning_rate)) {
  // As MLX's _maybe_schedule: before any step, the rate is the one of the first step.
  if (schedule_) learning_rate_ = schedule_->at(0);
}

float PerParameterOptimizer::learning_rate() const {
  if (!schedule_) throw KeyError("[" + name() + "] has no learning_rate (it uses a relative step)");
  return learning_rate_;
}

void PerParameterOptimizer::set_learning_rate(LearningRate learning_rate) {
  schedule_ = std::move(learning_rate);
  learning_rate_ = schedule_->at(step_);
}

PerParameterOptimizer::Entry& PerParameterOptimizer::entry_for(const std::string& name,
                                                               const Tensor& parameter) {
  if (const auto found = index_.find(name); found != index_.end()) {
    Entry& entry = *found->second;
    if (!entry.checked) check_loaded(entry, parameter);
    return entry;
  }
  auto entry =
      std::make_unique<Entry>(Entry{name, init_single(parameter), parameter.shape(), true});
  Entry* raw = entry.get();
  entries_.push_back(std::move(entry));
  index_.emplace(name, raw);
  return *raw;
}

void PerParameterOptimizer::check_loaded(Entry& entry, const Tensor& parameter) const {
  // Loaded state is matched against what this optimizer would create for the parameter: the
  // same keys and shapes. It is then put in creation order, which apply_single relies on.
  ParamState expected = init_single(parameter);
  const auto mismatch = [&] {
    return KeyError("[" + name() + "] the state of \"" + entry.name + "\" has entries " +
                    key_list(entry.state) + ", expected " + key_list(expected));
  };
  if (expected.size() != entry.state.size()) throw mismatch();
  for (StateTensor& wanted : expected) {
    const auto loaded = std::find_if(entry.state.begin(), entry.state.end(),
                                     [&](const StateTensor& s) { return s.key == wanted.key; });
    if (loaded == entry.state.end()) throw mismatch();
    if (loaded->value.shape() != wanted.value.shape()) {
      throw ShapeError("[" + name() + "] state \"" + entry.name + "." + wanted.key +
                       "\" has shape " + loaded->value.shape().to_string() + ", expected " +
                       wanted.value.shape().to_string() + " for a parameter of shape " +
                       parameter.shape().to_string());
    }
    wanted.value = loaded->value;
  }
  entry.state = std::move(expected);
  entry.shape = parameter.shape();
  entry.checked = true;
}

void PerParameterOptimizer::resolve(const TensorMap& gradients, const TensorMap& parameters) {
  const size_t n = gradients.size();
  const bool reuse = n > 0 && gradients.key_table() == resolved_gradient_keys_ &&
                     parameters.key_table() == resolved_parameter_keys_ &&
                     resolved_entries_.size() == n;
  if (!reuse) {
    std::vector<size_t> positions(n);
    const bool same = parameters.same_keys(gradients);
    for (size_t i = 0; i < n; ++i) {
      positions[i] = same ? i : parameters.position(gradients.name_at(i));
      if (positions[i] == TensorMap::npos) {
        throw KeyError("[" + name() + "] no parameter named \"" + gradients.name_at(i) +
                       "\" for its gradient");
      }
    }
    resolved_positions_ = std::move(positions);
    resolved_entries_.clear();
    resolved_gradient_keys_ = gradients.key_table();
    resolved_parameter_keys_ = parameters.key_table();
  }
  // Shapes are checked on every step: a parameter may have been replaced since the last one.
  for (size_t i = 0; i < n; ++i) {
    const Tensor& gradient = gradients.value_at(i);
    const Tensor& parameter = parameters.value_at(resolved_positions_[i]);
    if (!gradient.defined() || !parameter.defined()) {
      throw ValueError("[" + name() + "] the gradient or parameter \"" + gradients.name_at(i) +
                       "\" is an empty tensor");
    }
    if (gradient.shape() != parameter.shape()) {
      throw ShapeError("[" + name() + "] gradient \"" + gradients.name_at(i) + "\" has shape " +
                       gradient.shape().to_string() + " but its parameter has shape " +
                       parameter.shape().to_string());
    }
  }
  if (resolved_entries_.size() != n) {
    resolved_entries_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      resolved_entries_.push_back(
          &entry_for(gradients.name_at(i), parameters.value_at(resolved_positions_[i])));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const Entry& entry = *resolved_entries_[i];
    const Shape& shape = parameters.value_at(resolved_positions_[i]).shape();
    if (entry.shape != shape) {
      throw ShapeError("[" + name() + "] parameter \"" + entry.name + "\" has shape " +
                       shape.to_string() + " but its state was made for shape " +
                       entry.shape.to_string());
    }
  }
}

TensorMap PerParameterOptimizer::apply_gradients(const TensorMap& gradients,
                                                 const TensorMap& parameters) {
  resolve(gradients, parameters);
  // MLX order: scheduled values use the step count before the increment; apply_single sees
  // the incremented count.
  if (schedule_) learning_rate_ = schedule_->at(step_);
  ++step_;
  const size_t n = gradients.size();
  std::vector<Tensor> updated;
  updated.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    updated.push_back(parameters.value_at(resolved_positions_[i]));
    const Tensor& gradient = gradients.value_at(i);
    // The rules write the parameter while reading the gradient; a gradient that is the
    // parameter's own storage (rare: only a hand-built map does this) is read from a copy.
    if (gradient.shares_data(updated.back())) {
      apply_single(gradient.copy(), updated.back(), resolved_entries_[i]->state);
    } else {
      apply_single(gradient, updated.back(), resolved_entries_[i]->state);
    }
  }
  return TensorMap(gradients.key_table(), std::move(updated));
}

TensorMap PerParameterOptimizer::state() const {
  TensorMap out;
  // The step is an integer; float32 holds it exactly up to 2^24 steps.
  out.insert_or_assign("step", scalar_tensor(static_cast<float>(step_)));
  if (schedule_) out.insert_or_assign("learning_rate", scalar_tensor(learning_rate_));
  for (const auto& entry : entries_) {
    for (const auto& [key, value] : entry->state) {
      out.insert_or_assign(entry->name + "." + key, value.copy());
    }
  }
  return out;
}

void PerParameterOptimizer::load_state(const TensorMap& state) {
  std::optional<int64_t> step;
  std::optional<float> learning_rate;
  std::vector<std::unique_ptr<Entry>> entries;
  std::unordered_map<std::string, Entry*, TensorMap::NameHash, std::equal_to<>> index;
  for (const auto& [key, value] : state) {
    if (!value.defined()) throw ValueError("[" + name() + "] state \"" + key + "\" is empty");
    if (key == "step") {
      const float v = scalar_entry(name(), key, value);
      if (!(std::isfinite(v) && v >= 0.0f && v == std::floor(v))) {
        throw ValueError("[" + name() + "] state \"step\" must be a non-negative integer, got " +
                         std::to_string(v));
      }
      step = static_cast<int64_t>(v);
    } else if (key == "learning_rate") {
      learning_rate = scalar_entry(name(), key, value);
    } else {
      // "<parameter>.<state key>": state keys have no dots, parameter names may.
      const size_t dot = key.rfind('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) {
        throw KeyError("[" + name() + "] state entry \"" + key +
                       "\" is neither step, learning_rate nor <parameter>.<key>");
      }
      const std::string parameter = key.substr(0, dot);
      auto found = index.find(parameter);
      if (found == index.end()) {
        entries.push_back(std::make_unique<Entry>(Entry{parameter, {}, Shape{}, false}));
        found = index.emplace(parameter, entries.back().get()).first;
      }
      // A copy, so that training does not write into the caller's map.
      found->second->state.push_back({key.substr(dot + 1), value.copy()});
    }
  }
  if (!step) throw KeyError("[" + name() + "] the state has no \"step\" entry");

  step_ = *step;
  if (learning_rate) {
    // As MLX: a constant rate takes the saved value; a schedule keeps ruling the next steps.
    if (!schedule_ || !schedule_->scheduled()) schedule_ = LearningRate(*learning_rate);
    learning_rate_ = *learning_rate;
  } else if (schedule_) {
    learning_rate_ = schedule_->at(step_);
  }
  entries_ = std::move(entries);
  index_ = std::move(index);
  resolved_gradient_keys_.reset();
  resolved_parameter_keys_.reset();
  resolved_entries_.clear();
  resolved_positions_.clear();
}

}  // namespace minnow::optim
