#include "minnow/io/tensor_source.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "minnow/core/error.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/io/little_endian.hpp"
#include "minnow/io/text.hpp"

namespace minnow::io::detail {

std::optional<int64_t> element_count(std::span<const int64_t> dims) {
  // The product of the non-zero dimensions must fit too: strides are computed from it, so a
  // shape like [0, 2^40, 2^40] is as absurd as [2^40, 2^40].
  int64_t product = 1;
  bool empty = false;
  for (const int64_t dim : dims) {
    if (dim < 0) return std::nullopt;
    if (dim == 0) {
      empty = true;
      continue;
    }
    if (product > std::numeric_limits<int64_t>::max() / dim) return std::nullopt;
    product *= dim;
  }
  return empty ? 0 : product;
}

Shape read_shape(const json& value, const std::string& path, const std::string& source) {
  const auto fail = [&](const std::string& problem) {
    throw FormatError(source + ": " + path + ": " + problem);
  };
  if (!value.is_array()) fail("expected an array of non-negative integers, got " + describe(value));
  if (value.size() > static_cast<size_t>(Shape::kMaxDims)) {
    fail("at most " + std::to_string(Shape::kMaxDims) + " dimensions are supported, got " +
         std::to_string(value.size()));
  }
  std::vector<int64_t> dims;
  dims.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const json& dim = value[i];
    const bool ok =
        dim.is_number_unsigned()
            ? dim.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
            : dim.is_number_integer() && dim.get<int64_t>() >= 0;
    if (!ok) {
      throw FormatError(source + ": " + path_index(path, i) +
                        ": expected a non-negative integer, got " + describe(dim));
    }
    dims.push_back(dim.get<int64_t>());
  }
  return Shape(dims);
}

namespace {

float half_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1Fu;
  const uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0) {  // zero or subnormal: mantissa x 2^-24, exact in float32
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | mantissa << 13);
  return std::bit_cast<float>(sign | (exponent + 112) << 23 | mantissa << 13);
}

float double_to_float(double value) {
  // IEEE rounding to nearest: beyond FLT_MAX + half an ulp the result is infinite. Written out
  // because a double outside float's range converts with undefined behaviour in C++.
  constexpr double kOverflow = 0x1.ffffffp127;
  if (std::fabs(value) >= kOverflow) {
    return std::signbit(value) ? -std::numeric_limits<float>::infinity()
                               : std::numeric_limits<float>::infinity();
  }
  return static_cast<float>(value);
}

template <class Convert, size_t Bytes>
void convert_each(const std::byte* in, std::span<float> out, Convert convert) {
  for (float& value : out) {
    value = convert(in);
    in += Bytes;
  }
}

void decode(const PendingTensor& pending, std::span<float> out, const std::string& source) {
  const auto* bytes = reinterpret_cast<const std::byte*>(pending.bytes.data());
  switch (pending.encoding) {
    case ValueEncoding::host_float32:
      if (!out.empty()) std::memcpy(out.data(), bytes, out.size_bytes());
      return;
    case ValueEncoding::base64_float32: {
      const std::string where = source + ": " + pending.values_path;
      if constexpr (std::endian::native == std::endian::little) {
        base64_decode(pending.bytes, std::as_writable_bytes(out), where);  // straight into place
      } else {
        std::vector<std::byte> raw(out.size_bytes());
        base64_decode(pending.bytes, raw, where);
        floats_from_little_endian(raw.data(), out);
      }
      return;
    }
    case ValueEncoding::f32:
      floats_from_little_endian(bytes, out);
      return;
    case ValueEncoding::f16:
      convert_each<float (*)(const std::byte*), 2>(bytes, out, [](const std::byte* in) {
        return half_to_float(load_little_endian<uint16_t>(in));
      });
      return;
    case ValueEncoding::bf16:
      convert_each<float (*)(const std::byte*), 2>(bytes, out, [](const std::byte* in) {
        return std::bit_cast<float>(static_cast<uint32_t>(load_little_endian<uint16_t>(in)) << 16);
      });
      return;
    case ValueEncoding::f64:
      convert_each<float (*)(const std::byte*), 8>(bytes, out, [](const std::byte* in) {
        return double_to_float(std::bit_cast<double>(load_little_endian<uint64_t>(in)));
      });
      return;
  }
}

}  // namespace

void require_finite(std::span<const float> values, const std::string& values_path,
                    const std::string& source) {
  if (const int64_t bad = minnow::detail::first_non_finite(values); bad >= 0) {
    throw FormatError(source + ": " + values_path + ": element " + std::to_string(bad) + " is " +
                      format_float(values[static_cast<size_t>(bad)]) +
                      " (NaN and infinity are refused unless explicitly allowed)");
  }
}

Tensor materialize(const PendingTensor& pending, bool allow_non_finite, const std::string& source) {
  Tensor tensor = Tensor::empty(pending.shape);
  decode(pending, {tensor.data(), static_cast<size_t>(tensor.size())}, source);
  if (!allow_non_finite) require_finite(tensor.values(), pending.values_path, source);
  return tensor;
}

WeightsReport match_parameters(const std::vector<PendingTensor>& file, const TensorMap& model) {
  WeightsReport report;
  std::unordered_map<std::string_view, const PendingTensor*> by_name;
  by_name.reserve(file.size());
  for (const PendingTensor& pending : file) {
    by_name.emplace(pending.name, &pending);
    if (!model.contains(pending.name)) report.unexpected.push_back(pending.name);
  }
  for (const auto& [name, tensor] : model) {
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      report.missing.push_back(name);
    } else if (found->second->shape != tensor.shape()) {
      report.mismatched.push_back({name, tensor.shape(), found->second->shape});
    } else {
      report.loaded.push_back(name);
    }
  }
  return report;
}

}  // namespace minnow::io::detail
