#include "minnow/core/tensor_map.hpp"

#include "minnow/core/error.hpp"

namespace minnow {

TensorMap::TensorMap(std::initializer_list<std::pair<std::string, Tensor>> items) {
  for (const auto& [name, tensor] : items) insert_or_assign(name, tensor);
}

TensorMap::TensorMap(std::shared_ptr<const Keys> keys, std::vector<Tensor> values)
    : keys_(std::move(keys)), values_(std::move(values)) {
  const size_t expected = keys_ ? keys_->names.size() : 0;
  if (expected != values_.size()) {
    throw ValueError("[TensorMap] " + std::to_string(values_.size()) + " tensors for " +
                     std::to_string(expected) + " names");
  }
}

size_t TensorMap::position(std::string_view name) const {
  if (!keys_) return npos;
  const auto it = keys_->index.find(name);
  return it == keys_->index.end() ? npos : it->second;
}

const Tensor* TensorMap::find(std::string_view name) const {
  const size_t i = position(name);
  return i == npos ? nullptr : &values_[i];
}

Tensor* TensorMap::find(std::string_view name) {
  const size_t i = position(name);
  return i == npos ? nullptr : &values_[i];
}

const Tensor& TensorMap::at(std::string_view name) const {
  if (const Tensor* t = find(name)) return *t;
  throw KeyError("[TensorMap] no tensor named \"" + std::string(name) + "\"");
}

Tensor& TensorMap::at(std::string_view name) {
  if (Tensor* t = find(name)) return *t;
  throw KeyError("[TensorMap] no tensor named \"" + std::string(name) + "\"");
}

TensorMap::Keys& TensorMap::writable_keys() {
  // Copy on write: another map may share the table.
  if (!keys_) {
    keys_ = std::make_shared<Keys>();
  } else if (keys_.use_count() > 1) {
    keys_ = std::make_shared<Keys>(*keys_);
  }
  return const_cast<Keys&>(*keys_);
}

Tensor& TensorMap::operator[](std::string_view name) {
  const size_t i = position(name);
  if (i != npos) return values_[i];
  Keys& keys = writable_keys();
  keys.names.emplace_back(name);
  keys.index.emplace(keys.names.back(), keys.names.size() - 1);
  values_.emplace_back();
  return values_.back();
}

void TensorMap::insert_or_assign(std::string_view name, Tensor tensor) {
  (*this)[name] = std::move(tensor);
}

bool TensorMap::erase(std::string_view name) {
  const size_t i = position(name);
  if (i == npos) return false;
  Keys& keys = writable_keys();
  keys.names.erase(keys.names.begin() + static_cast<std::ptrdiff_t>(i));
  values_.erase(values_.begin() + static_cast<std::ptrdiff_t>(i));
  keys.index.clear();
  for (size_t k = 0; k < keys.names.size(); ++k) keys.index.emplace(keys.names[k], k);
  return true;
}

void TensorMap::clear() {
  keys_.reset();
  values_.clear();
}

const std::vector<std::string>& TensorMap::keys() const {
  static const std::vector<std::string> none;
  return keys_ ? keys_->names : none;
}

}  // namespace minnow
