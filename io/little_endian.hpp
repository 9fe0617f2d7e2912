#pragma once
// Little-endian bytes <-> host values, for the binary parts of minnow's files (base64 parameters,
// safetensors). On little-endian hosts, the common case, these are plain copies.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace minnow::io {

/// Writes `values` as little-endian IEEE-754 float32 bytes (out holds 4 * values.size() bytes).
inline void floats_to_little_endian(std::span<const float> values, std::byte* out) {
  if constexpr (std::endian::native == std::endian::little) {
    if (!values.empty()) std::memcpy(out, values.data(), values.size_bytes());
  } else {
    for (const float value : values) {
      const auto bits = std::bit_cast<uint32_t>(value);
      for (int b = 0; b < 4; ++b) *out++ = static_cast<std::byte>(bits >> (8 * b));
    }
  }
}

/// Reads an unsigned little-endian integer of `Bytes` bytes from `in`.
template <class UInt, size_t Bytes = sizeof(UInt)>
UInt load_little_endian(const std::byte* in) {
  UInt value = 0;
  for (size_t b = 0; b < Bytes; ++b)
    value |= static_cast<UInt>(std::to_integer<UInt>(in[b]) << (8 * b));
  return value;
}

/// Reads little-endian IEEE-754 float32 bytes (4 * out.size() of them) into `out`.
inline void floats_from_little_endian(const std::byte* in, std::span<float> out) {
  if constexpr (std::endian::native == std::endian::little) {
    if (!out.empty()) std::memcpy(out.data(), in, out.size_bytes());
  } else {
    for (float& value : out) {
      value = std::bit_cast<float>(load_little_endian<uint32_t>(in));
      in += 4;
    }
  }
}

}  // namespace minnow::io
