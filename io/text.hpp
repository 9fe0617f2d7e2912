#pragma once
// Numbers and bytes as text, the way minnow's files write them: float32 values in the shortest
// decimal form that reads back to the same bits (independent of the C locale), and standard
// base64 (RFC 4648, with padding) of little-endian float32 bytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace minnow::io {

/// The most characters append_float() writes for one value ("-1.1754944e-38" and the like).
inline constexpr size_t kMaxFloatChars = 16;

/// Appends the shortest decimal that reads back to exactly `value` ("0.1", "1e-05", "16777216").
/// Negative zero is written "-0.0", so that JSON readers, which read "-0" as the integer 0, keep
/// its sign. NaN and infinity are written "nan", "inf" and "-inf" (not valid JSON: callers that
/// write JSON refuse them first).
void append_float(std::string& out, float value);
/// append_float() into a new string.
std::string format_float(float value);

/// How parse_float() went.
enum class ParseStatus {
  ok,            ///< a finite float32 (values too small for float32 round to a signed zero)
  invalid,       ///< not a decimal number (empty, letters, trailing characters, hex)
  non_finite,    ///< "nan", "inf" or "infinity" (any case)
  out_of_range,  ///< a number whose magnitude exceeds the float32 range
};

/// The result of parse_float(): `value` is meaningful only when `status` is ok.
struct ParsedFloat {
  ParseStatus status = ParseStatus::invalid;
  float value = 0.0f;
};

/// Reads a whole decimal number ("-1.5", ".5", "1e-3", "+2") as the nearest float32, rounding
/// once, independent of the C locale. Any other character, leading or trailing, makes it invalid.
ParsedFloat parse_float(std::string_view text);

/// Standard base64 (RFC 4648 section 4, with '=' padding) of `bytes`.
std::string base64_encode(std::span<const std::byte> bytes);

/// The number of bytes `text` decodes to, or nullopt when its length is not a multiple of 4 or
/// its padding is malformed. Cheap: looks at the length and the last two characters only, so
/// callers can check sizes before allocating anything.
std::optional<size_t> base64_decoded_size(std::string_view text);

/// Decodes standard base64 into `out`, which must hold exactly base64_decoded_size(text) bytes.
/// Strict: characters outside the alphabet, padding in the middle and non-zero padding bits
/// are FormatErrors whose message starts with `where` (the JSON path of the text) and names the
/// offset of the first offending character. Uses AVX2 when the CPU has it (several GB/s).
void base64_decode(std::string_view text, std::span<std::byte> out, std::string_view where);

namespace detail {

/// The implementations of base64_decode: portable table lookups, or AVX2 (x86-64 CPUs that
/// have it) for all but the last few blocks. Both give the same bytes and the same errors.
enum class Base64Path { scalar, avx2 };
/// Whether this build and CPU can run `path` (scalar always can).
bool base64_path_available(Base64Path path);
/// base64_decode() with the given implementation, for tests that compare them. ValueError when
/// the path is not available.
void base64_decode_with(Base64Path path, std::string_view text, std::span<std::byte> out,
                        std::string_view where);

}  // namespace detail

}  // namespace minnow::io
