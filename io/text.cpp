#include "minnow/io/text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

#include "minnow/core/error.hpp"
#include "minnow/core/kernels.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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
// Sextets are 0..63; an invalid character maps to a value with the high bit set, so that one OR
// of a block's four table values tells whether the whole block is valid.
constexpr uint8_t kInvalid = 0xFF;
constexpr uint8_t kInvalidBit = 0x80;

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

uint8_t sextet_of(char c) {
  return kDecode[static_cast<unsigned char>(c)];
}

std::string describe_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7F) return std::string("'") + c + "'";
  constexpr std::string_view kHex = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xF];
}

[[noreturn]] void fail_at(std::string_view where, size_t position, const std::string& problem) {
  throw FormatError(std::string(where) + ": not valid base64: " + problem + " at offset " +
                    std::to_string(position));
}

// FormatError for the first character of text[begin, ...) outside the alphabet (there is one).
[[noreturn]] void fail_at_first_invalid(std::string_view text, size_t begin,
                                        std::string_view where) {
  size_t position = begin;
  while (sextet_of(text[position]) != kInvalid) ++position;
  fail_at(where, position, describe_char(text[position]));
}

void store_word(uint32_t word, std::byte* out) {
  out[0] = static_cast<std::byte>(word >> 16);
  out[1] = static_cast<std::byte>(word >> 8);
  out[2] = static_cast<std::byte>(word);
}

// Decodes the unpadded 4-character blocks of text[begin, end) to out (3 bytes per block).
void decode_blocks_scalar(std::string_view text, size_t begin, size_t end, std::byte* out,
                          std::string_view where) {
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = begin; i < end; i += 4, out += 3) {
    const uint32_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
                   d = kDecode[in[i + 3]];
    if (((a | b | c | d) & kInvalidBit) != 0) fail_at_first_invalid(text, i, where);
    store_word(a << 18 | b << 12 | c << 6 | d, out);
  }
}

#if defined(__x86_64__)

// Decodes whole 32-character chunks of the unpadded blocks `in[0, chars)` to out (24 bytes per
// chunk, of the out_size bytes there) with AVX2, after Muła and Lemire, "Faster Base64 Encoding
// and Decoding Using AVX2 Instructions" (2018). Stops before the first chunk that holds a
// character outside the alphabet, and before the last 8 bytes of out (each chunk stores 32
// bytes, the last 8 of them overwritten by the next); returns the number of characters decoded.
// The caller decodes the rest, and reports the exact position of an invalid character.
__attribute__((target("avx2"))) size_t decode_chunks_avx2(const char* in, size_t chars,
                                                          std::byte* out, size_t out_size) {
  // Classification by nibbles: lo_table[low nibble] & hi_table[high nibble] is non-zero
  // exactly for bytes outside the alphabet (each bit is one range of low nibbles, each high
  // nibble selects the ranges that are valid in its row of the ASCII table).
  const __m256i lo_table =
      _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B,
                       0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                       0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i hi_table =
      _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  // What to add to a valid character, by its high nibble, to get its sextet ('/' shares its
  // high nibble with '+' and is told apart by comparison: it uses entry 1).
  const __m256i offset_table =
      _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4, -65,
                       -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i slash = _mm256_set1_epi8(0x2F);
  // Pairs of sextets into 12 bits (maddubs: a * 64 + b), pairs of those into 24 (madd).
  const __m256i merge_sextets = _mm256_set1_epi32(0x01400140);
  const __m256i merge_pairs = _mm256_set1_epi32(0x00011000);
  // The three bytes of each 24-bit word, most significant first, then the words together.
  const __m256i word_bytes =
      _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10,
                       9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lane_words = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);

  size_t done = 0;
  for (size_t written = 0; done + 32 <= chars && written + 32 <= out_size;
       done += 32, written += 24) {
    const __m256i text = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + done));
    // pshufb looks at bits 0-3 (and 7, cleared here) of each index; the mask keeps bit 5 too,
    // which it ignores.
    const __m256i hi_nibbles = _mm256_and_si256(_mm256_srli_epi32(text, 4), slash);
    const __m256i lo_nibbles = _mm256_and_si256(text, slash);
    const __m256i lo_class = _mm256_shuffle_epi8(lo_table, lo_nibbles);
    const __m256i hi_class = _mm256_shuffle_epi8(hi_table, hi_nibbles);
    if (!_mm256_testz_si256(lo_class, hi_class)) break;
    const __m256i is_slash = _mm256_cmpeq_epi8(text, slash);  // -1 for '/', moving it to entry 1
    const __m256i offsets =
        _mm256_shuffle_epi8(offset_table, _mm256_add_epi8(is_slash, hi_nibbles));
    const __m256i sextets = _mm256_add_epi8(text, offsets);
    const __m256i pairs = _mm256_maddubs_epi16(sextets, merge_sextets);
    const __m256i words = _mm256_madd_epi16(pairs, merge_pairs);
    const __m256i bytes =
        _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, word_bytes), lane_words);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + written), bytes);
  }
  return done;
}

#endif

// base64_decode's work after the size checks, with the chosen implementation for whole blocks.
void decode_checked(detail::Base64Path path, std::string_view text, std::span<std::byte> out,
                    size_t padding, std::string_view where) {
  // Every block but a padded last one is 4 alphabet characters.
  const size_t unpadded_chars = padding > 0 ? text.size() - 4 : text.size();
  size_t done = 0;
#if defined(__x86_64__)
  if (path == detail::Base64Path::avx2)
    done = decode_chunks_avx2(text.data(), unpadded_chars, out.data(), out.size());
#else
  static_cast<void>(path);
#endif
  decode_blocks_scalar(text, done, unpadded_chars, out.data() + done / 4 * 3, where);
  if (padding == 0) return;

  // The last block: 2 or 3 characters, then '='; the bits past the last byte must be zero.
  const size_t data_chars = text.size() - padding;
  uint32_t word = 0;
  for (size_t position = unpadded_chars; position < text.size(); ++position) {
    uint8_t sextet = 0;
    if (position < data_chars) {
      sextet = sextet_of(text[position]);
      if (sextet == kInvalid) fail_at(where, position, describe_char(text[position]));
    }
    word = word << 6 | sextet;
  }
  if ((word & (padding == 2 ? 0xFFFFu : 0xFFu)) != 0)
    fail_at(where, data_chars - 1, "non-zero padding bits");
  std::array<std::byte, 3> last{};
  store_word(word, last.data());
  std::copy_n(last.begin(), 3 - padding, out.end() - static_cast<std::ptrdiff_t>(3 - padding));
}

void decode_with(detail::Base64Path path, std::string_view text, std::span<std::byte> out,
                 std::string_view where) {
  const std::optional<size_t> size = base64_decoded_size(text);
  if (!size) {
    throw FormatError(std::string(where) + ": not valid base64: its length " +
                      std::to_string(text.size()) + " is not a multiple of 4");
  }
  if (*size != out.size()) {
    throw FormatError(std::string(where) + ": base64 decodes to " + std::to_string(*size) +
                      " bytes, expected " + std::to_string(out.size()));
  }
  if (text.empty()) return;
  decode_checked(path, text, out, text.size() / 4 * 3 - *size, where);
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
  const bool fast = detail::base64_path_available(detail::Base64Path::avx2);
  decode_with(fast ? detail::Base64Path::avx2 : detail::Base64Path::scalar, text, out, where);
}

namespace detail {

bool base64_path_available(Base64Path path) {
  return path == Base64Path::scalar || minnow::detail::cpu_has_avx2();
}

void base64_decode_with(Base64Path path, std::string_view text, std::span<std::byte> out,
                        std::string_view where) {
  if (!base64_path_available(path)) {
    throw ValueError("[base64_decode] this CPU cannot run the requested implementation");
  }
  decode_with(path, text, out, where);
}

}  // namespace detail

}  // namespace minnow::io
