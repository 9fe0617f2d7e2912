// Shortest round-trip float text, locale independence, and base64.

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <clocale>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/io/text.hpp"

using namespace minnow;

namespace {

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> out;
  for (const char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

std::string decode_to_string(const std::string& text) {
  const auto size = io::base64_decoded_size(text);
  REQUIRE(size.has_value());
  std::vector<std::byte> out(*size);
  io::base64_decode(text, out, "here");
  std::string result;
  for (const std::byte b : out) result += static_cast<char>(b);
  return result;
}

}  // namespace

TEST_CASE("floats are written in their shortest round-trip form") {
  CHECK(io::format_float(0.1f) == "0.1");
  CHECK(io::format_float(-0.25f) == "-0.25");
  CHECK(io::format_float(1.0f) == "1");
  CHECK(io::format_float(1e-5f) == "1e-05");
  CHECK(io::format_float(16777216.0f) == "16777216");
  CHECK(io::format_float(FLT_MAX) == "3.4028235e+38");
  CHECK(io::format_float(std::numeric_limits<float>::denorm_min()) == "1e-45");
  CHECK(io::format_float(1.0f / 3.0f) == "0.33333334");
  // "-0" would read back as the integer 0 in JSON.
  CHECK(io::format_float(-0.0f) == "-0.0");
  CHECK(io::format_float(0.0f) == "0");
  CHECK(io::format_float(std::nanf("")) == "nan");
  CHECK(io::format_float(-std::numeric_limits<float>::infinity()) == "-inf");
}

TEST_CASE("every written float reads back to the same bits") {
  std::vector<float> values = {0.0f,
                               -0.0f,
                               FLT_MIN,
                               -FLT_MIN,
                               FLT_MAX,
                               -FLT_MAX,
                               std::numeric_limits<float>::denorm_min(),
                               0.1f,
                               1.0f / 3.0f,
                               std::nextafter(1.0f, 2.0f),
                               16777217.0f,
                               123456.7f};
  // A sweep over the bit patterns: every 4099th of the 2^32 patterns, all exponents included.
  for (uint64_t bits = 0; bits < (uint64_t{1} << 32); bits += 4099 * 256 + 7) {
    values.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
  }
  int checked = 0;
  for (const float value : values) {
    if (!std::isfinite(value)) continue;
    const std::string text = io::format_float(value);
    const io::ParsedFloat parsed = io::parse_float(text);
    CAPTURE(text);
    REQUIRE(parsed.status == io::ParseStatus::ok);
    CHECK(std::bit_cast<uint32_t>(parsed.value) == std::bit_cast<uint32_t>(value));
    ++checked;
  }
  CHECK(checked > 3000);
}

TEST_CASE("parse_float reads decimal numbers, rounding once to the nearest float32") {
  CHECK(io::parse_float("0.1").value == 0.1f);
  CHECK(io::parse_float(".5").value == 0.5f);
  CHECK(io::parse_float("+2").value == 2.0f);
  CHECK(io::parse_float("-1e-3").value == -1e-3f);
  // Longer than needed: still the nearest float32, as a correct reader must.
  CHECK(io::parse_float("0.10000000149011612").value == 0.1f);
  // Too small for float32: a signed zero, as strtof gives.
  CHECK(std::bit_cast<uint32_t>(io::parse_float("-1e-50").value) == 0x80000000u);
  CHECK(io::parse_float("1e-50").status == io::ParseStatus::ok);

  CHECK(io::parse_float("1e39").status == io::ParseStatus::out_of_range);
  CHECK(io::parse_float("-3.5e38").status == io::ParseStatus::out_of_range);
  CHECK(io::parse_float("nan").status == io::ParseStatus::non_finite);
  CHECK(io::parse_float("-Infinity").status == io::ParseStatus::non_finite);
  CHECK(io::parse_float("INF").status == io::ParseStatus::non_finite);
  for (const char* bad : {"", "abc", "1.5x", " 1", "1 ", "0x10", "+-1", "--1", "1e", "e5", "."}) {
    CAPTURE(bad);
    CHECK(io::parse_float(bad).status == io::ParseStatus::invalid);
  }
}

TEST_CASE("float text ignores the C locale") {
  // A locale with a decimal comma, when the system has one; the C locale otherwise.
  const char* previous = std::setlocale(LC_ALL, nullptr);
  const std::string saved = previous != nullptr ? previous : "C";
  for (const char* name : {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C"}) {
    if (std::setlocale(LC_ALL, name) != nullptr) break;
  }
  CHECK(io::format_float(1.5f) == "1.5");
  CHECK(io::parse_float("1.5").value == 1.5f);
  CHECK(io::parse_float("1,5").status == io::ParseStatus::invalid);
  std::setlocale(LC_ALL, saved.c_str());
}

TEST_CASE("base64 follows RFC 4648's test vectors") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CAPTURE(plain);
    CHECK(io::base64_encode(bytes_of(plain)) == encoded);
    CHECK(decode_to_string(encoded) == plain);
  }
  // Every byte value survives.
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK(decode_to_string(io::base64_encode(bytes_of(all))) == all);
}

TEST_CASE("base64 decoding is strict") {
  CHECK_FALSE(io::base64_decoded_size("Zm9").has_value());
  CHECK(io::base64_decoded_size("Zm9vYg==") == 4u);
  const auto fails_with = [](const std::string& text, const char* message) {
    CAPTURE(text);
    std::vector<std::byte> out(io::base64_decoded_size(text).value_or(0));
    CHECK_THROWS_WITH_AS(io::base64_decode(text, out, "parameters[\"w\"].base64"),
                         doctest::Contains(message), FormatError);
  };
  fails_with("Zm9", "parameters[\"w\"].base64: not valid base64: its length 3");
  fails_with("Zm*v", "'*' at offset 2");
  fails_with("Zm9v\nYg==", "length 9");
  fails_with("Zm9vY\ng=", "byte 0x0a at offset 5");
  fails_with("Zg=a", "'=' at offset 2");
  fails_with("Z===", "'=' at offset 1");
  // "Zh==" decodes to "f" too, with non-zero padding bits: not canonical.
  fails_with("Zh==", "non-zero padding bits");
  std::vector<std::byte> wrong_size(2);
  CHECK_THROWS_WITH_AS(io::base64_decode("Zm9v", wrong_size, "x"),
                       doctest::Contains("decodes to 3 bytes, expected 2"), FormatError);
}

// ---- the fast decoder -------------------------------------------------------------------------

namespace {

using io::detail::Base64Path;

// The decoders this machine can run: scalar always, AVX2 when the CPU has it.
std::vector<Base64Path> available_paths() {
  std::vector<Base64Path> paths = {Base64Path::scalar};
  if (io::detail::base64_path_available(Base64Path::avx2)) paths.push_back(Base64Path::avx2);
  return paths;
}

// Bytes from a small linear congruential generator: reproducible, every value reachable.
std::vector<std::byte> pseudo_random_bytes(size_t count, uint32_t seed) {
  std::vector<std::byte> out(count);
  uint32_t state = seed;
  for (std::byte& b : out) {
    state = state * 1664525u + 1013904223u;
    b = static_cast<std::byte>(state >> 24);
  }
  return out;
}

// The message of the FormatError that decoding `text` with `path` throws, or "" when it decodes.
std::string decode_error(Base64Path path, const std::string& text) {
  std::vector<std::byte> out(io::base64_decoded_size(text).value_or(0));
  try {
    io::detail::base64_decode_with(path, text, out, "w");
  } catch (const FormatError& error) {
    return error.what();
  }
  return "";
}

bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

TEST_CASE("the AVX2 decoder is used when the CPU has it, and says so otherwise") {
  CHECK(io::detail::base64_path_available(Base64Path::scalar));
  CHECK(io::detail::base64_path_available(Base64Path::avx2) == minnow::detail::cpu_has_avx2());
  if (!minnow::detail::cpu_has_avx2()) {
    std::vector<std::byte> out(3);
    CHECK_THROWS_AS(io::detail::base64_decode_with(Base64Path::avx2, "Zm9v", out, "w"), ValueError);
    MESSAGE("this CPU has no AVX2: only the scalar decoder is tested");
  }
}

TEST_CASE("every decoder reads back what was encoded, for every length from 0 to 200 bytes") {
  for (const Base64Path path : available_paths()) {
    for (size_t length = 0; length <= 200; ++length) {
      CAPTURE(length);
      const std::vector<std::byte> bytes =
          pseudo_random_bytes(length, static_cast<uint32_t>(length));
      const std::string text = io::base64_encode(bytes);
      std::vector<std::byte> decoded(length, std::byte{0xAA});
      io::detail::base64_decode_with(path, text, decoded, "w");
      CHECK(decoded == bytes);
    }
  }
  // Long enough for many AVX2 chunks, with every byte value in every position of a block.
  const std::vector<std::byte> bytes = pseudo_random_bytes(100000, 7);
  const std::string text = io::base64_encode(bytes);
  for (const Base64Path path : available_paths()) {
    std::vector<std::byte> decoded(bytes.size());
    io::detail::base64_decode_with(path, text, decoded, "w");
    CHECK(decoded == bytes);
  }
}

TEST_CASE("every decoder names the first invalid character, at every position") {
  const std::string valid = io::base64_encode(pseudo_random_bytes(150, 3));  // 200 characters
  REQUIRE(valid.size() == 200);
  const std::vector<Base64Path> paths = available_paths();
  // Characters outside the alphabet, printable or not; '=' is one too, before the padding.
  const char bad_characters[] = {'*',    '-',    '_',    '.', ' ', '"', '\\', '\n', '\0',
                                 '\x7f', '\x80', '\xff', '@', '[', '`', '{',  ':',  '='};
  for (size_t position = 0; position < valid.size(); ++position) {
    for (const char bad : bad_characters) {
      if (bad == '=' && position >= valid.size() - 2) continue;  // that is padding
      std::string text = valid;
      text[position] = bad;
      CAPTURE(position);
      CAPTURE(static_cast<int>(static_cast<unsigned char>(bad)));
      const std::string expected = "w: not valid base64: " +
                                   std::string(bad == '\n'     ? "byte 0x0a"
                                               : bad == '\0'   ? "byte 0x00"
                                               : bad == '\x7f' ? "byte 0x7f"
                                               : bad == '\x80' ? "byte 0x80"
                                               : bad == '\xff' ? "byte 0xff"
                                                               : std::string("'") + bad + "'") +
                                   " at offset " + std::to_string(position);
      for (const Base64Path path : paths) CHECK(decode_error(path, text) == expected);
    }
  }
  // Two bad characters: the first is named, wherever the chunks of the fast decoder begin.
  for (size_t first = 0; first < valid.size(); first += 7) {
    std::string text = valid;
    text[first] = '*';
    text[std::min(first + 33, valid.size() - 3)] = '#';
    for (const Base64Path path : paths) {
      CHECK(decode_error(path, text) ==
            "w: not valid base64: '*' at offset " + std::to_string(first));
    }
  }
}

TEST_CASE("every decoder classifies all 256 byte values as the alphabet does") {
  const std::string valid = io::base64_encode(pseudo_random_bytes(96, 11));  // 128, no padding
  for (int value = 0; value < 256; ++value) {
    const char c = static_cast<char>(value);
    for (const size_t position : {size_t{0}, size_t{31}, size_t{45}, size_t{100}, size_t{126}}) {
      std::string text = valid;
      text[position] = c;
      CAPTURE(value);
      CAPTURE(position);
      const std::string scalar = decode_error(Base64Path::scalar, text);
      if (in_alphabet(c)) {
        CHECK(scalar.empty());
      } else {
        CHECK(scalar.find("at offset " + std::to_string(position)) != std::string::npos);
      }
      for (const Base64Path path : available_paths()) CHECK(decode_error(path, text) == scalar);
    }
  }
}

TEST_CASE("every decoder refuses non-zero padding bits and misplaced padding alike") {
  const std::string cases[] = {"Zh==", "Zm9=", "Zm9vYh==", "Zm9vYmF=", "Z===", "Zm=v", "=m9v"};
  const std::string long_prefix = io::base64_encode(pseudo_random_bytes(96, 5));
  for (const std::string& ending : cases) {
    for (const std::string& text : {ending, long_prefix + ending}) {
      CAPTURE(text);
      const std::string scalar = decode_error(Base64Path::scalar, text);
      CHECK_FALSE(scalar.empty());
      for (const Base64Path path : available_paths()) CHECK(decode_error(path, text) == scalar);
    }
  }
  CHECK(decode_error(Base64Path::scalar, long_prefix + "Zh==") ==
        "w: not valid base64: non-zero padding bits at offset " +
            std::to_string(long_prefix.size() + 1));
}
