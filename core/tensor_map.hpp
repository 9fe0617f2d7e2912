#pragma once
// TensorMap: tensors by name, in insertion order. Parameters, gradients, optimizer state and
// file contents all travel as TensorMaps keyed by dotted names ("layers.0.weight").
//
// The names live in a shared, copy-on-write key table: copying a map, or building the gradient
// map of a parameter map, shares the table instead of copying strings. Code on hot paths can
// test same_keys() and then walk two maps by position instead of by name.

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "minnow/core/tensor.hpp"

namespace minnow {

class TensorMap {
 public:
  /// Hashes std::string and std::string_view alike, so lookups need no temporary string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  /// The ordered names of a map, shared between maps with the same names.
  struct Keys {
    std::vector<std::string> names;
    std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> index;
  };

  template <bool Const>
  class Iterator;
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  TensorMap() = default;
  TensorMap(std::initializer_list<std::pair<std::string, Tensor>> items);
  /// A map with the given key table and one tensor per key, in order.
  TensorMap(std::shared_ptr<const Keys> keys, std::vector<Tensor> values);

  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  bool contains(std::string_view name) const { return position(name) != npos; }

  /// The tensor called `name`; KeyError when absent.
  const Tensor& at(std::string_view name) const;
  Tensor& at(std::string_view name);
  /// The tensor called `name`, or nullptr.
  const Tensor* find(std::string_view name) const;
  Tensor* find(std::string_view name);
  /// The tensor called `name`, inserting an empty handle at the end when absent.
  Tensor& operator[](std::string_view name);

  /// Adds `name` at the end, or replaces its tensor (keeping its position).
  void insert_or_assign(std::string_view name, Tensor tensor);
  /// Removes `name`; returns whether it was there.
  bool erase(std::string_view name);
  void clear();

  static constexpr size_t npos = static_cast<size_t>(-1);
  /// The position of `name`, or npos.
  size_t position(std::string_view name) const;
  const std::string& name_at(size_t i) const { return keys_->names[i]; }
  const Tensor& value_at(size_t i) const { return values_[i]; }
  Tensor& value_at(size_t i) { return values_[i]; }
  const std::vector<Tensor>& values() const { return values_; }
  const std::vector<std::string>& keys() const;
  /// The shared key table (nullptr for an empty map that never had keys).
  const std::shared_ptr<const Keys>& key_table() const { return keys_; }
  /// True when both maps use the very same key table, so position i names the same tensor.
  bool same_keys(const TensorMap& other) const { return keys_ == other.keys_ && keys_ != nullptr; }

  iterator begin();
  iterator end();
  const_iterator begin() const;
  const_iterator end() const;

 private:
  Keys& writable_keys();

  std::shared_ptr<const Keys> keys_;
  std::vector<Tensor> values_;
};

/// Iterates as (name, tensor) pairs: for (const auto& [name, tensor] : map).
template <bool Const>
class TensorMap::Iterator {
 public:
  using Map = std::conditional_t<Const, const TensorMap, TensorMap>;
  using TensorRef = std::conditional_t<Const, const Tensor&, Tensor&>;
  using value_type = std::pair<const std::string&, TensorRef>;
  using difference_type = std::ptrdiff_t;

  Iterator(Map* map, size_t i) : map_(map), i_(i) {}
  value_type operator*() const { return {map_->name_at(i_), map_->value_at(i_)}; }
  Iterator& operator++() {
    ++i_;
    return *this;
  }
  bool operator==(const Iterator& other) const { return i_ == other.i_; }
  bool operator!=(const Iterator& other) const { return i_ != other.i_; }

 private:
  Map* map_;
  size_t i_;
};

inline TensorMap::iterator TensorMap::begin() {
  return {this, 0};
}
inline TensorMap::iterator TensorMap::end() {
  return {this, size()};
}
inline TensorMap::const_iterator TensorMap::begin() const {
  return {this, 0};
}
inline TensorMap::const_iterator TensorMap::end() const {
  return {this, size()};
}

}  // namespace minnow
