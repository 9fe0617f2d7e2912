#include "minnow/io/text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

#include "minnow/core/error.hpp"

namespace minnow::io {

// ---- floats ---------------------------------------------------------------------------------

void append_float(std::string& out, float value) {
  if (value == 0.0f && std::signbit(value)) {
    out += "-0.0";
    return;
  }
  std::array<char, kMaxFloatChars> buffer{};
  // Without a format argument, to_chars writes the shortest round-trip form (fixed or
  // scientific, whichever is shorter), always with '.' whatever the C locale says.
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

std::string format_float(float value) {
  std::string out;
  append_float(out, value);
  return out;
}

namespace {

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != lower[i]) return false;
  }
  return true;
}

bool names_non_finite(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  return equals_ignoring_case(text, "nan") || equals_ignoring_case(text, "inf") ||
         equals_ignoring_case(text, "infinity");
}

}  // namespace

ParsedFloat parse_float(std::string_view text) {
  if (names_non_finite(text)) return {ParseStatus::non_finite, 0.0f};
  // from_chars takes no '+'; one is allowed in front of a number (not of a sign).
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return {};
  }
  const char* const first = text.data();
  const char* const last = first + text.size();
  float value = 0.0f;
  const auto [end, error] = std::from_chars(first, last, value, std::chars_format::general);
  if (end != last || error == std::errc::invalid_argument) return {};
  if (error == std::errc()) return {ParseStatus::ok, value};
  // Out of range: either too large (an error) or too small, which rounds to a signed zero as
  // strtof would. Reading it as a double tells which (a double too small or too large for
  // double's own range is refused rather than guessed).
  double wide = 0.0;
  const auto [wide_end, wide_error] = std::from_chars(first, last, wide);
  if (wide_error == std::errc() && wide_end == last && std::fabs(wide) < 1.0) {
    return {ParseStatus::ok, std::signbit(wide) ? -0.0f : 0.0f};
  }
  return {ParseStatus::out_of_range, 0.0f};
}

// ---- base64 ---------------------------------------------------------------------------------

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

std::string describe_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7F) return std::string("'") + c + "'";
  constexpr std::string_view kHex = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xF];
}

}  // namespace

std::string base64_encode(std::span<const std::byte> bytes) {
  std::string out;
  out.resize((bytes.size() + 2) / 3 * 4);
  char* write = out.data();
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t word = std::to_integer<uint32_t>(bytes[i]) << 16 |
                          std::to_integer<uint32_t>(bytes[i + 1]) << 8 |
                          std::to_integer<uint32_t>(bytes[i + 2]);
    *write++ = kAlphabet[word >> 18 & 0x3F];
    *write++ = kAlphabet[word >> 12 & 0x3F];
    *write++ = kAlphabet[word >> 6 & 0x3F];
    *write++ = kAlphabet[word & 0x3F];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t word = std::to_integer<uint32_t>(bytes[i]) << 16;
    if (rest == 2) word |= std::to_integer<uint32_t>(bytes[i + 1]) << 8;
    *write++ = kAlphabet[word >> 18 & 0x3F];
    *write++ = kAlphabet[word >> 12 & 0x3F];
    *write++ = rest == 2 ? kAlphabet[word >> 6 & 0x3F] : '=';
    *write++ = '=';
  }
  return out;
}

std::optional<size_t> base64_decoded_size(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return 0;
  size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - padding;
}

void base64_decode(std::string_view text, std::span<std::byte> out, std::string_view where) {
  const std::optional<size_t> size = base64_decoded_size(text);
  if (!size) {
    throw FormatError(std::string(where) + ": not valid base64: its length " +
                      std::to_string(text.size()) + " is not a multiple of 4");
  }
  if (*size != out.size()) {
    throw FormatError(std::string(where) + ": base64 decodes to " + std::to_string(*size) +
                      " bytes, expected " + std::to_string(out.size()));
  }
  const size_t padding = text.size() / 4 * 3 - *size;
  const auto fail_at = [&](size_t position, const std::string& problem) {
    throw FormatError(std::string(where) + ": not valid base64: " + problem + " at offset " +
                      std::to_string(position));
  };
  std::byte* write = out.data();
  const size_t data_chars = text.size() - padding;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t word = 0;
    for (size_t j = 0; j < 4; ++j) {
      const size_t position = i + j;
      uint8_t sextet = 0;
      if (position < data_chars) {
        sextet = kDecode[static_cast<unsigned char>(text[position])];
        if (sextet == kInvalid) fail_at(position, describe_char(text[position]));
      }
      word = word << 6 | sextet;
    }
    const size_t bytes = i + 4 <= data_chars ? 3 : 3 - padding;
    if (bytes < 3 && (word & (padding == 2 ? 0xFFFFu : 0xFFu)) != 0) {
      fail_at(data_chars - 1, "non-zero padding bits");
    }
    for (size_t b = 0; b < bytes; ++b) *write++ = static_cast<std::byte>(word >> (16 - 8 * b));
  }
}

}  // namespace minnow::io
