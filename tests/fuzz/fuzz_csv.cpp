// Fuzzes the CSV reader: any bytes either read or are refused with a minnow::Error. Anything
// else (another exception, a crash, a sanitizer report, a leak) is a bug.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "minnow/core/error.hpp"
#include "minnow/io/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const minnow::io::CsvTable table = minnow::io::read_csv_from_string(text, "fuzz.csv");
    // What was read writes back and reads back bit for bit.
    const minnow::io::CsvTable again = minnow::io::read_csv_from_string(
        minnow::io::format_csv(table.values, table.header), "again.csv");
    if (again.values.shape() != table.values.shape() ||
        std::memcmp(again.values.data(), table.values.data(),
                    static_cast<size_t>(table.values.size()) * sizeof(float)) != 0) {
      __builtin_trap();
    }
  } catch (const minnow::Error&) {
    // A refusal with a message is the expected outcome for most inputs.
  }
  return 0;
}
