#include "minnow/io/safetensors.hpp"

#include <algorithm>
#include <limits>

#include "minnow/core/error.hpp"
#include "minnow/io/atomic_file.hpp"
#include "minnow/io/json_document.hpp"
#include "minnow/io/little_endian.hpp"
#include "minnow/io/tensor_source.hpp"

namespace minnow::io {

using detail::describe;
using detail::json;
using detail::PendingTensor;
using detail::ValueEncoding;

namespace detail {

namespace {

constexpr size_t kLengthBytes = 8;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DType {
  std::string_view name;
  ValueEncoding encoding;
  uint64_t size;
};
constexpr DType kDTypes[] = {{"F32", ValueEncoding::f32, 4},
                             {"F16", ValueEncoding::f16, 2},
                             {"BF16", ValueEncoding::bf16, 2},
                             {"F64", ValueEncoding::f64, 8}};

class HeaderReader {
 public:
  HeaderReader(std::string source, uint64_t data_size)
      : source_(std::move(source)), data_size_(data_size) {}

  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw FormatError(source_ + ": " + path + ": " + problem);
  }

  Metadata metadata(const json& value) const {
    const std::string path = detail::path_key("header", kMetadataKey);
    if (!value.is_object()) fail(path, "expected an object of strings, got " + describe(value));
    Metadata out;
    for (const auto& [key, text] : value.items()) {
      if (!text.is_string())
        fail(detail::path_key(path, key), "expected a string, got " + describe(text));
      out.emplace(key, text.get<std::string>());
    }
    return out;
  }

  // One tensor entry; `offsets` receives its [begin, end) in the data section.
  PendingTensor tensor(const std::string& name, const json& entry, std::string_view data,
                       std::pair<uint64_t, uint64_t>& offsets) const {
    const std::string path = detail::path_key("header", name);
    if (!entry.is_object()) {
      fail(path, "expected an object with \"dtype\", \"shape\" and \"data_offsets\", got " +
                     describe(entry));
    }
    for (const auto& [key, value] : entry.items()) {
      if (key != "dtype" && key != "shape" && key != "data_offsets") {
        fail(detail::path_join(path, key),
             "unknown key (expected \"dtype\", \"shape\" and \"data_offsets\")");
      }
    }
    const DType& dtype =
        read_dtype(require(entry, path, "dtype"), detail::path_join(path, "dtype"));
    const std::string shape_path = detail::path_join(path, "shape");
    const Shape shape = detail::read_shape(require(entry, path, "shape"), shape_path, source_);
    const std::optional<int64_t> count = detail::element_count(shape.to_vector());
    if (!count) fail(shape_path, shape.to_string() + " has too many elements to exist");

    const std::string offsets_path = detail::path_join(path, "data_offsets");
    offsets = read_offsets(require(entry, path, "data_offsets"), offsets_path);
    const uint64_t span = offsets.second - offsets.first;
    // Compared in elements, so that no byte count is computed from an absurd shape.
    if (span % dtype.size != 0 || span / dtype.size != static_cast<uint64_t>(*count)) {
      fail(offsets_path, "spans " + std::to_string(span) + " bytes, but " +
                             std::string(dtype.name) + " shape " + shape.to_string() + " needs " +
                             std::to_string(*count) + " x " + std::to_string(dtype.size) +
                             " bytes");
    }
    return PendingTensor{name, path, shape, dtype.encoding, data.substr(offsets.first, span)};
  }

 private:
  const json& require(const json& object, const std::string& path, const char* key) const {
    const auto found = object.find(key);
    if (found == object.end()) {
      throw FormatError(source_ + ": " + path + ": missing key \"" + key + "\"");
    }
    return *found;
  }

  const DType& read_dtype(const json& value, const std::string& path) const {
    for (const DType& dtype : kDTypes) {
      if (value.is_string() && value.get_ref<const std::string&>() == dtype.name) return dtype;
    }
    fail(path,
         "expected one of \"F32\", \"F16\", \"BF16\", \"F64\" (the dtypes minnow reads), got " +
             describe(value));
  }

  std::pair<uint64_t, uint64_t> read_offsets(const json& value, const std::string& path) const {
    const bool pair = value.is_array() && value.size() == 2 && value[0].is_number_unsigned() &&
                      value[1].is_number_unsigned();
    if (!pair)
      fail(path, "expected [begin, end], two non-negative integers, got " + describe(value));
    const auto begin = value[0].get<uint64_t>();
    const auto end = value[1].get<uint64_t>();
    if (begin > end || end > data_size_) {
      fail(path, "[" + std::to_string(begin) + ", " + std::to_string(end) +
                     "] does not lie inside the data section of " + std::to_string(data_size_) +
                     " bytes");
    }
    return {begin, end};
  }

  std::string source_;
  uint64_t data_size_;
};

}  // namespace

SafetensorsContents read_safetensors(std::string_view bytes, const std::string& source) {
  if (bytes.size() < kLengthBytes) {
    throw FormatError(source + ": not a safetensors file: " + std::to_string(bytes.size()) +
                      " bytes, fewer than the 8 of the header length");
  }
  const uint64_t header_size =
      load_little_endian<uint64_t>(reinterpret_cast<const std::byte*>(bytes.data()));
  const uint64_t available = bytes.size() - kLengthBytes;
  if (header_size < 2 || header_size > available || header_size > kMaxSafetensorsHeader) {
    throw FormatError(
        source + ": header length " + std::to_string(header_size) + " is not between 2 and " +
        std::to_string(std::min<uint64_t>(available, kMaxSafetensorsHeader)) +
        " (the bytes that follow it, at most " + std::to_string(kMaxSafetensorsHeader) + ")");
  }
  const std::string_view header_text = bytes.substr(kLengthBytes, header_size);
  const std::string_view data = bytes.substr(kLengthBytes + header_size);
  const json header = parse_json(header_text, source + ": header");
  if (!header.is_object()) {
    throw FormatError(source + ": header: expected a JSON object, got " + describe(header));
  }

  const HeaderReader reader(source, data.size());
  SafetensorsContents contents;
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // parallel to contents.tensors
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      contents.metadata = reader.metadata(entry);
      continue;
    }
    spans.emplace_back();
    contents.tensors.push_back(reader.tensor(name, entry, data, spans.back()));
  }

  // No two tensors may share a byte: sorted by offset, each must end before the next begins.
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a] < spans[b]; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& previous = spans[order[k - 1]];
    const auto& current = spans[order[k]];
    if (current.first < previous.second) {
      throw FormatError(
          source + ": " +
          detail::path_join(detail::path_key("header", contents.tensors[order[k]].name),
                            "data_offsets") +
          ": [" + std::to_string(current.first) + ", " + std::to_string(current.second) +
          "] overlaps the bytes of \"" + contents.tensors[order[k - 1]].name + "\" [" +
          std::to_string(previous.first) + ", " + std::to_string(previous.second) + "]");
    }
  }
  std::vector<PendingTensor> sorted;
  sorted.reserve(order.size());
  for (const size_t i : order) sorted.push_back(std::move(contents.tensors[i]));
  contents.tensors = std::move(sorted);
  return contents;
}

}  // namespace detail

std::string save_tensors_to_string(const TensorMap& tensors, const Metadata& metadata) {
  json header = json::object();
  if (!metadata.empty()) header[std::string(detail::kMetadataKey)] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == detail::kMetadataKey) {
      throw ValueError("[io::save_tensors] \"__metadata__\" is reserved and cannot name a tensor");
    }
    const auto size = static_cast<uint64_t>(tensor.size()) * sizeof(float);
    header[name] = {{"dtype", "F32"},
                    {"shape", tensor.shape().to_vector()},
                    {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& error) {
    throw ValueError(std::string("[io::save_tensors] ") + error.what());
  }
  // Padded with spaces so that the data section starts 8-byte aligned, as the reference writer
  // does.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out(detail::kLengthBytes + text.size() + offset, '\0');
  auto* write = reinterpret_cast<std::byte*>(out.data());
  const uint64_t length = text.size();
  for (size_t b = 0; b < detail::kLengthBytes; ++b)
    write[b] = static_cast<std::byte>(length >> (8 * b));
  write += detail::kLengthBytes;
  std::copy(text.begin(), text.end(), reinterpret_cast<char*>(write));
  write += text.size();
  for (const auto& [name, tensor] : tensors) {
    floats_to_little_endian(tensor.values(), write);
    write += tensor.values().size_bytes();
  }
  return out;
}

void save_tensors(const TensorMap& tensors, const std::filesystem::path& path,
                  const Metadata& metadata) {
  write_file_atomic(path, save_tensors_to_string(tensors, metadata));
}

TensorFile load_tensors_from_string(std::string_view bytes, const std::string& source) {
  const detail::SafetensorsContents contents = detail::read_safetensors(bytes, source);
  TensorFile file{{}, contents.metadata};
  for (const PendingTensor& pending : contents.tensors) {
    file.tensors.insert_or_assign(pending.name, detail::materialize(pending, true, source));
  }
  return file;
}

TensorFile load_tensors_with_metadata(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  return load_tensors_from_string(bytes, path.string());
}

TensorMap load_tensors(const std::filesystem::path& path) {
  return load_tensors_with_metadata(path).tensors;
}

}  // namespace minnow::io
