#include "minnow/io/safetensors.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "minnow/core/error.hpp"
#include "minnow/core/kernels.hpp"
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

// A validated header entry: the tensor (its `bytes` not yet set) and its bytes [begin, end) in
// the data section.
struct LocatedTensor {
  PendingTensor pending;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// The header, validated: the tensors in order of their offsets, and the metadata.
struct Header {
  std::vector<LocatedTensor> tensors;
  Metadata metadata;
};

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

  // One tensor entry, validated, with its place in the data section.
  LocatedTensor tensor(const std::string& name, const json& entry) const {
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
    const auto [begin, end] = read_offsets(require(entry, path, "data_offsets"), offsets_path);
    const uint64_t span = end - begin;
    // Compared in elements, so that no byte count is computed from an absurd shape.
    if (span % dtype.size != 0 || span / dtype.size != static_cast<uint64_t>(*count)) {
      fail(offsets_path, "spans " + std::to_string(span) + " bytes, but " +
                             std::string(dtype.name) + " shape " + shape.to_string() + " needs " +
                             std::to_string(*count) + " x " + std::to_string(dtype.size) +
                             " bytes");
    }
    return {PendingTensor{name, path, shape, dtype.encoding, {}}, begin, end};
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

// The header's length from a file's first bytes (`prefix`: its first 8, or all of it when it is
// shorter), checked against the `file_size` - 8 bytes that follow it.
uint64_t header_length(std::span<const std::byte> prefix, uint64_t file_size,
                       const std::string& source) {
  if (file_size < kLengthBytes) {
    throw FormatError(source + ": not a safetensors file: " + std::to_string(file_size) +
                      " bytes, fewer than the 8 of the header length");
  }
  const uint64_t header_size = load_little_endian<uint64_t>(prefix.data());
  const uint64_t available = file_size - kLengthBytes;
  if (header_size < 2 || header_size > available || header_size > kMaxSafetensorsHeader) {
    throw FormatError(
        source + ": header length " + std::to_string(header_size) + " is not between 2 and " +
        std::to_string(std::min<uint64_t>(available, kMaxSafetensorsHeader)) +
        " (the bytes that follow it, at most " + std::to_string(kMaxSafetensorsHeader) + ")");
  }
  return header_size;
}

// The header's JSON text, validated against a data section of `data_size` bytes.
Header parse_header(std::string_view text, uint64_t data_size, const std::string& source) {
  const json document = parse_json(text, source + ": header");
  if (!document.is_object()) {
    throw FormatError(source + ": header: expected a JSON object, got " + describe(document));
  }
  const HeaderReader reader(source, data_size);
  Header header;
  for (const auto& [name, entry] : document.items()) {
    if (name == kMetadataKey) {
      header.metadata = reader.metadata(entry);
    } else {
      header.tensors.push_back(reader.tensor(name, entry));
    }
  }

  // No two tensors may share a byte: sorted by offset, each must end before the next begins.
  std::vector<LocatedTensor>& tensors = header.tensors;
  std::sort(tensors.begin(), tensors.end(), [](const LocatedTensor& a, const LocatedTensor& b) {
    return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
  });
  for (size_t k = 1; k < tensors.size(); ++k) {
    const LocatedTensor& previous = tensors[k - 1];
    const LocatedTensor& current = tensors[k];
    if (current.begin < previous.end) {
      throw FormatError(source + ": " +
                        detail::path_join(current.pending.values_path, "data_offsets") + ": [" +
                        std::to_string(current.begin) + ", " + std::to_string(current.end) +
                        "] overlaps the bytes of \"" + previous.pending.name + "\" [" +
                        std::to_string(previous.begin) + ", " + std::to_string(previous.end) + "]");
    }
  }
  return header;
}

// Reading from a file, the bytes go where they belong with one copy, the kernel's. A tensor of
// at least kDirectBytes whose bytes are its values (F32 on a little-endian host) is read
// straight into its storage. The others, small ones and other dtypes, are read in runs into a
// window of about kWindowBytes (one system call for many small tensors) and decoded from there.
constexpr uint64_t kDirectBytes = uint64_t{32} << 10;
constexpr uint64_t kWindowBytes = uint64_t{256} << 10;
// Bytes read at a time into a tensor whose values are checked for NaN: well inside L2, so that
// the check finds them in cache.
constexpr size_t kCheckedChunkBytes = size_t{128} << 10;

bool reads_directly(const LocatedTensor& tensor) {
  return std::endian::native == std::endian::little &&
         tensor.pending.encoding == ValueEncoding::f32 && tensor.end - tensor.begin >= kDirectBytes;
}

// The file had `file_size` bytes when opened, which the header was checked against, and now
// ends at `end_of_file`, inside the bytes `place` names.
[[noreturn]] void truncated(const std::string& source, const std::string& place,
                            uint64_t end_of_file, uint64_t file_size) {
  throw FormatError(
      source + ": " + place + ": the file was cut short while being read: it ends at byte " +
      std::to_string(end_of_file) + " of the " + std::to_string(file_size) + " it had when opened");
}

// Reads out.size() bytes at `offset`, which the file's size said were there.
void read_exactly(const InputFile& file, uint64_t offset, std::span<std::byte> out,
                  const std::string& source, const std::string& place) {
  const size_t count = file.read_at(offset, out);
  if (count != out.size()) truncated(source, place, offset + count, file.size().value_or(0));
}

// Reads a tensor's bytes into its storage. When its values are to be checked, the reads go a
// chunk at a time and each chunk is checked while it is still in cache: checking the whole
// tensor after one read would fetch it all from memory again.
Tensor read_directly(const InputFile& file, uint64_t data_start, const LocatedTensor& tensor,
                     bool allow_non_finite, const std::string& source) {
  Tensor out = Tensor::empty(tensor.pending.shape);
  const std::span<float> values(out.data(), static_cast<size_t>(out.size()));
  const std::string& place = tensor.pending.values_path;
  const size_t chunk = allow_non_finite ? values.size() : kCheckedChunkBytes / sizeof(float);
  for (size_t start = 0; start < values.size(); start += chunk) {
    const std::span<float> part = values.subspan(start, std::min(chunk, values.size() - start));
    read_exactly(file, data_start + tensor.begin + start * sizeof(float),
                 std::as_writable_bytes(part), source, place);
    if (!allow_non_finite && minnow::detail::first_non_finite(part) >= 0) {
      require_finite(values.first(start + part.size()), place, source);  // names the element
    }
  }
  return out;
}

// Reads the run of tensors that starts at `first` through `window` into `out`: the tensors that
// are not read directly and end within kWindowBytes of the first one's start (the first alone
// when it is larger). The bytes between them, unused or those of tensors that were not selected,
// are read along (at most a window's worth). Returns the index of the tensor after the run.
size_t read_through_window(const InputFile& file, uint64_t data_start,
                           std::vector<LocatedTensor>& tensors, size_t first,
                           std::vector<std::byte>& window, TensorMap& out, bool allow_non_finite,
                           const std::string& source) {
  const uint64_t base = tensors[first].begin;
  size_t last = first + 1;
  while (last < tensors.size() && !reads_directly(tensors[last]) &&
         tensors[last].end - base <= kWindowBytes) {
    ++last;
  }
  window.resize(tensors[last - 1].end - base);
  const size_t count = file.read_at(data_start + base, window);
  if (count != window.size()) {  // name the tensor whose bytes the file ends in
    size_t cut = first;
    while (tensors[cut].end - base <= count) ++cut;
    truncated(source, tensors[cut].pending.values_path, data_start + base + count,
              file.size().value_or(0));
  }
  for (size_t i = first; i < last; ++i) {
    PendingTensor& pending = tensors[i].pending;
    pending.bytes = {reinterpret_cast<const char*>(window.data()) + (tensors[i].begin - base),
                     tensors[i].end - tensors[i].begin};
    out.insert_or_assign(pending.name, materialize(pending, allow_non_finite, source));
  }
  return last;
}

// Keeps the tensors that `select` names (all of them when there is no selector), in their order;
// `pending_of(tensor)` is the PendingTensor of an element of `tensors`.
template <class Tensors, class PendingOf>
void keep_selected(Tensors& tensors, const TensorSelector& select, PendingOf pending_of) {
  if (!select) return;
  std::vector<PendingTensor> shown;
  shown.reserve(tensors.size());
  for (const auto& tensor : tensors) shown.push_back(pending_of(tensor));
  const std::vector<std::string> names = select(shown);
  const std::unordered_set<std::string_view> wanted(names.begin(), names.end());
  std::erase_if(tensors,
                [&](const auto& tensor) { return !wanted.contains(pending_of(tensor).name); });
}

// The tensors of validated contents, allocated and filled, in order of their offsets.
TensorFile materialize_contents(const SafetensorsContents& contents, bool allow_non_finite,
                                const std::string& source) {
  TensorFile file{{}, contents.metadata};
  for (const PendingTensor& pending : contents.tensors) {
    file.tensors.insert_or_assign(pending.name, materialize(pending, allow_non_finite, source));
  }
  return file;
}

}  // namespace

SafetensorsContents read_safetensors(std::string_view bytes, const std::string& source) {
  const uint64_t header_size =
      header_length(std::as_bytes(std::span(bytes.substr(0, kLengthBytes))), bytes.size(), source);
  const std::string_view data = bytes.substr(kLengthBytes + header_size);
  Header header = parse_header(bytes.substr(kLengthBytes, header_size), data.size(), source);
  SafetensorsContents contents{{}, std::move(header.metadata)};
  contents.tensors.reserve(header.tensors.size());
  for (LocatedTensor& tensor : header.tensors) {
    tensor.pending.bytes = data.substr(tensor.begin, tensor.end - tensor.begin);
    contents.tensors.push_back(std::move(tensor.pending));
  }
  return contents;
}

TensorFile read_safetensors_file(InputFile& file, const std::string& source,
                                 const TensorSelector& select, bool allow_non_finite) {
  const std::optional<uint64_t> file_size = file.size();
  // A pipe has no offsets to read at: its bytes, read to the end, are parsed from memory.
  if (!file_size) {
    const std::string bytes = file.read_all();
    SafetensorsContents contents = read_safetensors(bytes, source);
    keep_selected(contents.tensors, select,
                  [](const PendingTensor& tensor) -> const PendingTensor& { return tensor; });
    return materialize_contents(contents, allow_non_finite, source);
  }

  std::array<std::byte, kLengthBytes> length_bytes{};
  const std::span<std::byte> prefix =
      std::span(length_bytes).first(std::min<uint64_t>(kLengthBytes, *file_size));
  read_exactly(file, 0, prefix, source, "header length");
  const uint64_t header_size = header_length(prefix, *file_size, source);
  std::string text(header_size, '\0');
  read_exactly(file, kLengthBytes, std::as_writable_bytes(std::span(text)), source, "header");
  const uint64_t data_start = kLengthBytes + header_size;
  Header header = parse_header(text, *file_size - data_start, source);
  keep_selected(header.tensors, select,
                [](const LocatedTensor& tensor) -> const PendingTensor& { return tensor.pending; });

  TensorFile out{{}, std::move(header.metadata)};
  std::vector<std::byte> window;
  for (size_t next = 0; next < header.tensors.size();) {
    if (reads_directly(header.tensors[next])) {
      const LocatedTensor& tensor = header.tensors[next++];
      out.tensors.insert_or_assign(
          tensor.pending.name, read_directly(file, data_start, tensor, allow_non_finite, source));
    } else {
      next = read_through_window(file, data_start, header.tensors, next, window, out.tensors,
                                 allow_non_finite, source);
    }
  }
  return out;
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
  return detail::materialize_contents(detail::read_safetensors(bytes, source), true, source);
}

TensorFile load_tensors_with_metadata(const std::filesystem::path& path) {
  InputFile file(path);
  return detail::read_safetensors_file(file, path.string());
}

TensorMap load_tensors(const std::filesystem::path& path) {
  return load_tensors_with_metadata(path).tensors;
}

}  // namespace minnow::io
