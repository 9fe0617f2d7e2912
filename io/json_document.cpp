#include "minnow/io/json_document.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/io/text.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// ---- long strings -------------------------------------------------------------------------------
//
// nlohmann's lexer appends a string to its token one character at a time (several ns each), so a
// document of megabytes of base64 spends nearly all its time there. A scan first finds the long
// strings that need no decoding (printable ASCII, no escapes: what base64 is) and parses a copy
// of the text in which they are empty; the builder takes their characters from the original.
// The scan follows JSON's grammar for strings from the first byte (a '"' outside a string opens
// one; inside, '\' escapes the next byte, and '"' closes it), so it agrees with the lexer on
// every byte up to the lexer's first error, if any: the shortened text parses exactly when the
// original does, into the same events.

// Strings at least this long are kept out of the parser.
constexpr size_t kLongString = 64;

// A string the parser does not see: the `ordinal`-th string of the document (keys included),
// whose characters are text[begin, begin + size).
struct LongString {
  size_t ordinal;
  size_t begin;
  size_t size;
};

// The text with every long string emptied, and where those strings are.
struct ShortenedText {
  std::string text;
  std::vector<LongString> strings;  // empty: nothing was taken out (and `text` is empty)
};

bool stops_plain_string(unsigned char c) {
  return c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
}

#if defined(__x86_64__)
// Skips whole 64-byte blocks of plain string characters from `at` on, with AVX2; returns the
// start of the first block that holds a stop byte (see find_string_stop), or of the last,
// partial block.
__attribute__((target("avx2"))) size_t skip_plain_blocks_avx2(const char* data, size_t at,
                                                              size_t size) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i backslash = _mm256_set1_epi8('\\');
  const __m256i space = _mm256_set1_epi8(0x20);
  for (; at + 64 <= size; at += 64) {
    const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + at));
    const __m256i high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + at + 32));
    const __m256i stops = _mm256_or_si256(
        _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(low, quote), _mm256_cmpeq_epi8(low, backslash)),
            _mm256_cmpgt_epi8(space, low)),
        _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(high, quote), _mm256_cmpeq_epi8(high, backslash)),
            _mm256_cmpgt_epi8(space, high)));
    if (!_mm256_testz_si256(stops, stops)) break;
  }
  return at;
}
#endif

// The first position from `from` on of a byte that ends a run of plain string characters: '"',
// '\', a control character or a non-ASCII byte (which the parser must see, to validate it);
// text.size() when there is none.
size_t find_string_stop(std::string_view text, size_t from) {
  const char* const data = text.data();
  size_t i = from;
#if defined(__x86_64__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  // A signed comparison: bytes from 0x80 on are negative, so "below a space" finds them and the
  // control characters at once.
  const auto stops = [&](size_t at) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at));
    return _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
        _mm_cmplt_epi8(bytes, space));
  };
  if (minnow::detail::cpu_has_avx2()) i = skip_plain_blocks_avx2(data, i, text.size());
  for (; i + 64 <= text.size(); i += 64) {
    const __m128i any = _mm_or_si128(_mm_or_si128(stops(i), stops(i + 16)),
                                     _mm_or_si128(stops(i + 32), stops(i + 48)));
    if (_mm_movemask_epi8(any) != 0) break;
  }
  for (; i + 16 <= text.size(); i += 16) {
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stops(i)));
    if (mask != 0) return i + static_cast<size_t>(std::countr_zero(mask));
  }
#endif
  while (i < text.size() && !stops_plain_string(static_cast<unsigned char>(data[i]))) ++i;
  return i;
}

// The closing '"' of a string whose plain run stopped at `at` on something else than '"';
// npos when the string is not terminated.
size_t find_string_end(std::string_view text, size_t at) {
  while (at < text.size()) {
    at = text.find_first_of("\"\\", at);
    if (at == std::string_view::npos || text[at] == '"') return at;
    at += 2;  // the backslash and the byte it escapes, whatever that is
  }
  return std::string_view::npos;
}

ShortenedText shorten_long_strings(std::string_view text) {
  ShortenedText out;
  size_t copied = 0;
  size_t ordinal = 0;
  for (size_t at = text.find('"'); at != std::string_view::npos;
       at = text.find('"', at + 1), ++ordinal) {
    const size_t begin = at + 1;
    at = find_string_stop(text, begin);
    const bool plain = at < text.size() && text[at] == '"';
    if (!plain) at = find_string_end(text, at);
    if (at == std::string_view::npos) break;  // unterminated: the parser will say so
    if (plain && at - begin >= kLongString) {
      out.text.append(text.substr(copied, begin - copied));
      out.strings.push_back({ordinal, begin, at - begin});
      copied = at;
    }
  }
  if (!out.strings.empty()) out.text.append(text.substr(copied));
  return out;
}

// A long string at a TensorSlot::text slot, in the document: where it is in the parsed text, as
// a binary value of a subtype of its own (JSON text never produces binary values).
constexpr std::uint64_t kTextReferenceSubtype = 0x6d6e7478;  // "mntx"

json text_reference(const LongString& string) {
  const std::array<std::uint64_t, 2> where = {string.begin, string.size};
  std::vector<std::uint8_t> bytes(sizeof where);
  std::memcpy(bytes.data(), where.data(), sizeof where);
  return json::binary(std::move(bytes), kTextReferenceSubtype);
}

bool is_text_reference(const json& value) {
  return value.is_binary() && value.get_binary().has_subtype() &&
         value.get_binary().subtype() == kTextReferenceSubtype;
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

  // `long_strings` were taken out of the text being parsed; their characters are in `original`.
  DocumentBuilder(TensorSlotRule tensor_slot, std::string_view original,
                  std::span<const LongString> long_strings)
      : tensor_slot_(tensor_slot), original_(original), long_strings_(long_strings) {}

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
    if (const LongString* long_string = next_long_string()) {
      if (!collecting_ && slot_here() == TensorSlot::text)
        return place(text_reference(*long_string));
      value.assign(original_.substr(long_string->begin, long_string->size));
    }
    return collecting_ ? not_a_number(describe(json(value))) : place(json(std::move(value)));
  }
  bool binary(binary_t& value) { return place(json::binary(std::move(value))); }

  bool start_object(std::size_t /*size*/) {
    if (collecting_) return not_a_number("an object");
    return open(json::object());
  }
  bool key(string_t& key) {
    if (const LongString* long_string = next_long_string())
      key.assign(original_.substr(long_string->begin, long_string->size));
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
    if (slot_here() == TensorSlot::values) {
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

  // What the rule says about the slot the next value goes to.
  TensorSlot slot_here() const {
    if (tensor_slot_ == nullptr) return TensorSlot::none;
    std::vector<std::string> keys;
    keys.reserve(stack_.size());
    for (const Frame& frame : stack_) {
      if (!frame.value->is_object()) return TensorSlot::none;
      keys.push_back(frame.key);
    }
    return tensor_slot_(keys);
  }

  // Counts a string of the document (a key or a value); the long string it is, if it is one.
  const LongString* next_long_string() {
    const size_t ordinal = strings_seen_++;
    if (next_long_ < long_strings_.size() && long_strings_[next_long_].ordinal == ordinal)
      return &long_strings_[next_long_++];
    return nullptr;
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

  TensorSlotRule tensor_slot_;
  std::string_view original_;
  std::span<const LongString> long_strings_;
  size_t next_long_ = 0;
  size_t strings_seen_ = 0;
  json root_;
  std::vector<Frame> stack_;
  bool collecting_ = false;
  std::vector<float> values_;
  std::string error_;
};

}  // namespace

json parse_json(std::string_view text, const std::string& source, TensorSlotRule tensor_slot) {
  const ShortenedText shortened = shorten_long_strings(text);
  if (!shortened.strings.empty()) {
    DocumentBuilder builder(tensor_slot, text, shortened.strings);
    if (json::sax_parse(shortened.text.begin(), shortened.text.end(), &builder))
      return std::move(builder.result());
    // The full text fails at the same place; parsing it gives the error its line and column.
  }
  DocumentBuilder builder(tensor_slot, text, {});
  const bool ok = json::sax_parse(text.begin(), text.end(), &builder);
  if (!ok) {
    throw FormatError(source + ": " +
                      (builder.error().empty() ? "not valid JSON" : builder.error()));
  }
  return std::move(builder.result());
}

std::optional<std::string_view> string_contents(const json& value, std::string_view text) {
  if (value.is_string()) return value.get_ref<const std::string&>();
  if (!is_text_reference(value)) return std::nullopt;
  std::array<std::uint64_t, 2> where{};
  std::memcpy(where.data(), value.get_binary().data(), sizeof where);
  if (where[0] > text.size() || where[1] > text.size() - where[0]) {
    throw ValueError(
        "[string_contents] the string lies outside the given text (not the text "
        "the document was parsed from)");
  }
  return text.substr(where[0], where[1]);
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
  // A long string that parse_json left in the text: readers ask string_contents() first.
  if (is_text_reference(value)) return "a string";
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
