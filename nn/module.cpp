#include "minnow/nn/module.hpp"

#include <atomic>
#include <ostream>
#include <unordered_map>

#include "minnow/core/error.hpp"

namespace minnow::nn {

namespace {

// Bumped by every change to any module tree's structure (a parameter or child added or
// replaced, a freeze); cached key tables built at an older epoch are rebuilt.
std::atomic<uint64_t> structure_epoch{1};

void structure_changed() {
  structure_epoch.fetch_add(1, std::memory_order_relaxed);
}

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::string indent_continuation_lines(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "\n  " + line;
  return out;
}

}  // namespace

// ---- registration -------------------------------------------------------------------------------

size_t Module::register_parameter(std::string name, Tensor value) {
  if (!value.defined()) throw ValueError("[Module] parameter \"" + name + "\" has no tensor");
  params_.push_back({std::move(name), std::move(value), false});
  order_.emplace_back(false, params_.size() - 1);
  structure_changed();
  return params_.size() - 1;
}

size_t Module::register_module(std::string name, ModulePtr module) {
  if (!module) throw ValueError("[Module] child \"" + name + "\" is empty");
  children_.emplace_back(std::move(name), std::move(module));
  order_.emplace_back(true, children_.size() - 1);
  structure_changed();
  return children_.size() - 1;
}

void Module::set_frozen(size_t index, bool frozen) {
  if (params_[index].frozen != frozen) {
    params_[index].frozen = frozen;
    structure_changed();
  }
}

// ---- walking the tree
// -----------------------------------------------------------------------------

template <class Visit>
void Module::walk(const std::string& prefix, Visit&& visit) const {
  for (const auto& [is_child, index] : order_) {
    if (is_child) {
      const auto& [name, child] = children_[index];
      child->walk(join(prefix, name), visit);
    } else {
      const Parameter& p = params_[index];
      visit(join(prefix, p.name), p);
    }
  }
}

void Module::collect(std::vector<Parameter*>& out, bool trainable_only) const {
  for (const auto& [is_child, index] : order_) {
    if (is_child) {
      children_[index].second->collect(out, trainable_only);
    } else if (!trainable_only || !params_[index].frozen) {
      out.push_back(const_cast<Parameter*>(&params_[index]));
    }
  }
}

const std::shared_ptr<const TensorMap::Keys>& Module::key_table(bool trainable_only) const {
  auto& keys = trainable_only ? trainable_keys_ : all_keys_;
  auto& epoch = trainable_only ? trainable_keys_epoch_ : all_keys_epoch_;
  const uint64_t now = structure_epoch.load(std::memory_order_relaxed);
  if (!keys || epoch != now) {
    auto table = std::make_shared<TensorMap::Keys>();
    walk("", [&](const std::string& name, const Parameter& p) {
      if (trainable_only && p.frozen) return;
      table->index.emplace(name, table->names.size());
      table->names.push_back(name);
    });
    keys = std::move(table);
    epoch = now;
  }
  return keys;
}

TensorMap Module::gather(bool trainable_only) const {
  const auto& keys = key_table(trainable_only);
  std::vector<Tensor> values;
  values.reserve(keys->names.size());
  walk_values(values, trainable_only);
  return TensorMap(keys, std::move(values));
}

void Module::walk_values(std::vector<Tensor>& out, bool trainable_only) const {
  for (const auto& [is_child, index] : order_) {
    if (is_child) {
      children_[index].second->walk_values(out, trainable_only);
    } else if (!trainable_only || !params_[index].frozen) {
      out.push_back(params_[index].value);
    }
  }
}

TensorMap Module::parameters() const {
  return gather(false);
}

TensorMap Module::trainable_parameters() const {
  return gather(true);
}

int64_t Module::num_parameters() const {
  std::vector<Parameter*> params;
  collect(params, false);
  int64_t total = 0;
  for (const Parameter* p : params) total += p->value.size();
  return total;
}

std::vector<std::pair<std::string, Module*>> Module::children() const {
  std::vector<std::pair<std::string, Module*>> out;
  for (const auto& [name, child] : children_) out.emplace_back(name, child.get());
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  // A stack walk, as MLX's: siblings come out in reverse order.
  std::vector<std::pair<std::string, Module*>> out;
  std::vector<std::pair<std::string, Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [path, module] = stack.back();
    stack.pop_back();
    out.emplace_back(path, module);
    for (const auto& [name, child] : module->children_) {
      stack.emplace_back(join(path, name), child.get());
    }
  }
  return out;
}

std::vector<Module*> Module::modules() {
  std::vector<Module*> out;
  for (const auto& [path, module] : named_modules()) out.push_back(module);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_children_recursive() {
  std::vector<std::pair<std::string, Module*>> out;
  for (const auto& [name, child] : children_) {
    out.emplace_back(name, child.get());
    for (const auto& [path, grandchild] : child->named_children_recursive()) {
      out.emplace_back(join(name, path), grandchild);
    }
  }
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::leaf_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  for (const auto& [path, module] : named_children_recursive()) {
    if (module->children_.empty()) out.emplace_back(path, module);
  }
  return out;
}

// ---- changing the tree
// ----------------------------------------------------------------------------

Module& Module::update(const TensorMap& parameters, bool strict) {
  std::vector<Parameter*> targets;
  collect(targets, false);
  const auto& keys = key_table(false);
  // Validate everything first, so that a failed update changes nothing.
  std::vector<std::pair<Parameter*, const Tensor*>> writes;
  writes.reserve(parameters.size());
  std::string unknown;
  std::string mismatched;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const std::string& name = parameters.name_at(i);
    const Tensor& value = parameters.value_at(i);
    const auto found = keys->index.find(name);
    if (found == keys->index.end()) {
      if (strict) unknown += (unknown.empty() ? "\"" : ", \"") + name + "\"";
      continue;
    }
    Parameter* target = targets[found->second];
    if (!value.defined() || value.shape() != target->value.shape()) {
      mismatched += (mismatched.empty() ? "" : "; ") + std::string("parameters[\"") + name +
                    "\"]: expected shape " + target->value.shape().to_string() + ", got " +
                    (value.defined() ? value.shape().to_string() : "an empty tensor");
      continue;
    }
    writes.emplace_back(target, &value);
  }
  if (!unknown.empty()) {
    throw KeyError("[update] " + type_name() + " has no parameter named " + unknown);
  }
  if (!mismatched.empty()) throw ShapeError("[update] " + mismatched);
  for (auto& [target, value] : writes) target->value = *value;
  return *this;
}

Module& Module::update_modules(const std::vector<std::pair<std::string, ModulePtr>>& modules,
                               bool strict) {
  // Resolve every path first, so that an unknown one changes nothing.
  std::vector<std::pair<ModulePtr*, const ModulePtr*>> writes;
  std::string unknown;
  for (const auto& [path, replacement] : modules) {
    if (!replacement) throw ValueError("[update_modules] module \"" + path + "\" is empty");
    ModulePtr* slot = nullptr;
    std::vector<std::pair<std::string, Module*>> parents{{"", this}};
    for (const auto& [p, m] : named_children_recursive()) parents.emplace_back(p, m);
    for (const auto& [parent_path, parent] : parents) {
      for (auto& [name, child] : parent->children_) {
        if (join(parent_path, name) == path) slot = &child;
      }
    }
    if (slot) {
      writes.emplace_back(slot, &replacement);
    } else if (strict) {
      unknown += (unknown.empty() ? "\"" : ", \"") + path + "\"";
    }
  }
  if (!unknown.empty()) {
    throw KeyError("[update_modules] " + type_name() + " has no sub-module named " + unknown);
  }
  for (auto& [slot, replacement] : writes) *slot = *replacement;
  if (!writes.empty()) structure_changed();
  return *this;
}

Module& Module::apply(const std::function<Tensor(const std::string&, const Tensor&)>& fn,
                      const std::function<bool(const std::string&, const Tensor&)>& filter) {
  TensorMap mapped;
  for (const auto& [name, value] : parameters()) {
    if (!filter || filter(name, value)) mapped.insert_or_assign(name, fn(name, value));
  }
  return update(mapped);
}

Module& Module::apply_to_modules(const std::function<void(const std::string&, Module&)>& fn) {
  for (const auto& [path, module] : named_modules()) fn(path, *module);
  return *this;
}

Module& Module::set_frozen_keys(const std::vector<std::string>& keys, bool recurse, bool strict,
                                bool frozen) {
  std::vector<std::pair<std::string, Module*>> targets{{"", this}};
  if (recurse) targets = named_modules();
  // With strict, check every module before changing any, so that a failure changes nothing.
  for (const auto& [path, m] : targets) {
    for (const auto& key : strict ? keys : std::vector<std::string>{}) {
      bool found = false;
      for (const auto& p : m->params_) found = found || p.name == key;
      if (!found) {
        throw KeyError(std::string(frozen ? "[freeze]" : "[unfreeze]") + " module \"" + path +
                       "\" (" + m->type_name() + ") has no parameter named \"" + key + "\"");
      }
    }
  }
  for (const auto& [path, m] : targets) {
    for (size_t i = 0; i < m->params_.size(); ++i) {
      bool selected = keys.empty();
      for (const auto& key : keys) selected = selected || m->params_[i].name == key;
      if (selected) m->set_frozen(i, frozen);
    }
    if (!frozen) m->after_unfreeze();
  }
  return *this;
}

Module& Module::freeze(const std::vector<std::string>& keys, bool recurse, bool strict) {
  return set_frozen_keys(keys, recurse, strict, true);
}

Module& Module::unfreeze(const std::vector<std::string>& keys, bool recurse, bool strict) {
  return set_frozen_keys(keys, recurse, strict, false);
}

Module& Module::train(bool mode) {
  training_ = mode;
  for (auto& [name, child] : children_) child->train(mode);
  return *this;
}

// ---- printing -----------------------------------------------------------------------------------

std::string Module::to_string() const {
  std::string out = type_name() + "(" + extra_repr();
  if (children_.empty()) return out + ")";
  std::vector<std::string> lines;
  for (const auto& [name, child] : children_) {
    lines.push_back("(" + name + "): " + indent_continuation_lines(child->to_string()));
  }
  return out + join_lines(lines) + "\n)";
}

std::ostream& operator<<(std::ostream& os, const Module& module) {
  return os << module.to_string();
}

}  // namespace minnow::nn
