#include "minnow/io/json_document.hpp"

#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/io/text.hpp"

namespace minnow::io::detail {

namespace {

bool is_identifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (const char c : key) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Builds the document from nlohmann's SAX events (see nlohmann::json_sax), as its own DOM parser
// does, adding the checks that parser lacks and reading tensor data arrays straight to float32.
class DocumentBuilder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit DocumentBuilder(TensorDataRule is_tensor_data) : is_tensor_data_(is_tensor_data) {}

  bool null() { return collecting_ ? not_a_number("null") : place(json(nullptr)); }
  bool boolean(bool value) {
    return collecting_ ? not_a_number(value ? "true" : "false") : place(json(value));
  }
  bool number_integer(number_integer_t value) {
    return collecting_ ? collect(static_cast<float>(value)) : place(json(value));
  }
  bool number_unsigned(number_unsigned_t value) {
    return collecting_ ? collect(static_cast<float>(value)) : place(json(value));
  }
  bool number_float(number_float_t value, const string_t& text) {
    if (!collecting_) return place(json(value));
    return collect_text(value, text);
  }
  bool string(string_t& value) {
    return collecting_ ? not_a_number(describe(json(value))) : place(json(std::move(value)));
  }
  bool binary(binary_t& value) { return place(json::binary(std::move(value))); }

  bool start_object(std::size_t /*size*/) {
    if (collecting_) return not_a_number("an object");
    return open(json::object());
  }
  bool key(string_t& key) {
    Frame& top = stack_.back();
    const bool exists = top.value->contains(key);
    top.key = std::move(key);
    if (exists)
      return fail(child_path(path_of(stack_.size() - 1), stack_.size() - 1, true) +
                  ": duplicate key");
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*size*/) {
    if (collecting_) return not_a_number("an array");
    if (is_tensor_data_ && at_tensor_data()) {
      collecting_ = true;
      values_.clear();
      return true;
    }
    return open(json::array());
  }
  bool end_array() {
    if (collecting_) {
      collecting_ = false;
      std::vector<std::uint8_t> bytes(values_.size() * sizeof(float));
      if (!bytes.empty()) std::memcpy(bytes.data(), values_.data(), bytes.size());
      return place(json::binary(std::move(bytes)));
    }
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const json::exception& error) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> "at line 1, ..."
    std::string what = error.what();
    const size_t at = what.find(" at line ");
    if (at != std::string::npos) what = what.substr(at + 1);
    return fail("not valid JSON: " + what);
  }

  json& result() { return root_; }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    json* value;
    std::string key;  // for an object: the key whose value comes next
  };

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  // The path of the value that frame `depth` is filling (the root's children: depth 0).
  std::string path_of(size_t depth) const {
    std::string path;
    for (size_t i = 0; i < depth; ++i) path = child_path(path, i, false);
    return path;
  }
  std::string child_path(const std::string& path, size_t i, bool next) const {
    const Frame& frame = stack_[i];
    if (frame.value->is_object()) {
      // The keys of a model file's "parameters" and "metadata" are names: parameters["w"].
      const bool named = i == 1 && (stack_[0].key == "parameters" || stack_[0].key == "metadata");
      return named ? path_key(path, frame.key) : path_join(path, frame.key);
    }
    const size_t size = frame.value->size();
    return path_index(path, next || size == 0 ? size : size - 1);
  }
  // The path of the slot the next value goes to.
  std::string slot_path() const {
    std::string path = path_of(stack_.size() - 1);
    return child_path(path, stack_.size() - 1, true);
  }

  bool place(json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return true;
    }
    Frame& top = stack_.back();
    if (top.value->is_array()) {
      top.value->push_back(std::move(value));
    } else {
      top.value->emplace(top.key, std::move(value));
    }
    return true;
  }
  bool open(json&& container) {
    if (stack_.size() >= kMaxJsonDepth) {
      return fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    json* slot = &root_;
    if (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.value->is_array()) {
        top.value->push_back(std::move(container));
        slot = &top.value->back();
      } else {
        slot = &(*top.value)[top.key];
        *slot = std::move(container);
      }
    } else {
      root_ = std::move(container);
    }
    stack_.push_back({slot, {}});
    return true;
  }

  bool at_tensor_data() const {
    std::vector<std::string> keys;
    keys.reserve(stack_.size());
    for (const Frame& frame : stack_) {
      if (!frame.value->is_object()) return false;
      keys.push_back(frame.key);
    }
    return is_tensor_data_(keys);
  }

  std::string element_path() const { return path_index(slot_path(), values_.size()); }
  bool not_a_number(const std::string& found) {
    return fail(element_path() + ": expected a number, got " + found);
  }
  bool collect(float value) {
    values_.push_back(value);
    return true;
  }
  bool collect_text(double value, const std::string& text) {
    // The lexer has put the C locale's decimal point in the text; from_chars wants '.'.
    std::string number = text;
    for (char& c : number) {
      const bool keep = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E';
      if (!keep) c = '.';
    }
    const ParsedFloat parsed = parse_float(number);
    if (parsed.status == ParseStatus::out_of_range) {
      return fail(element_path() + ": " + number + " is outside the float32 range");
    }
    // ok in practice; a text from_chars cannot read falls back to the lexer's double.
    return collect(parsed.status == ParseStatus::ok ? parsed.value : static_cast<float>(value));
  }

  TensorDataRule is_tensor_data_;
  json root_;
  std::vector<Frame> stack_;
  bool collecting_ = false;
  std::vector<float> values_;
  std::string error_;
};

}  // namespace

json parse_json(std::string_view text, const std::string& source, TensorDataRule is_tensor_data) {
  DocumentBuilder builder(is_tensor_data);
  const bool ok = json::sax_parse(text.begin(), text.end(), &builder);
  if (!ok) {
    throw FormatError(source + ": " +
                      (builder.error().empty() ? "not valid JSON" : builder.error()));
  }
  return std::move(builder.result());
}

std::string path_join(const std::string& path, std::string_view key) {
  if (is_identifier(key)) return path.empty() ? std::string(key) : path + "." + std::string(key);
  return path_key(path, key);
}

std::string path_key(const std::string& path, std::string_view key) {
  return path + "[" + json(std::string(key)).dump(-1, ' ', false, json::error_handler_t::replace) +
         "]";
}

std::string path_index(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string describe(const json& value) {
  if (value.is_object()) return value.empty() ? "an empty object" : "an object";
  if (value.is_array()) return value.empty() ? "an empty array" : "an array";
  if (value.is_binary()) return "an array of numbers";
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  constexpr size_t kMaxLength = 40;
  if (text.size() > kMaxLength) text = text.substr(0, kMaxLength) + "...";
  return text;
}

std::string shape_text(std::span<const int64_t> dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

}  // namespace minnow::io::detail
