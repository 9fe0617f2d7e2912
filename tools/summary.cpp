// `minnow summary MODEL`: the module tree in MLX's printed form, then a table of parameters.

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "minnow/io/model_file.hpp"
#include "minnow/tools/commands.hpp"

namespace minnow::tools {
namespace {

struct Row {
  std::string name, shape, count;
};

/// Thousands separated by commas, as a table of counts reads best: 1,234,567.
std::string with_separators(int64_t n) {
  std::string digits = std::to_string(n);
  for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<size_t>(i), ",");
  }
  return digits;
}

void print_table(const std::vector<Row>& rows, std::ostream& out) {
  size_t name_width = 0, shape_width = 0, count_width = 0;
  for (const auto& row : rows) {
    name_width = std::max(name_width, row.name.size());
    shape_width = std::max(shape_width, row.shape.size());
    count_width = std::max(count_width, row.count.size());
  }
  for (const auto& row : rows) {
    out << std::left << std::setw(static_cast<int>(name_width)) << row.name << "  "
        << std::setw(static_cast<int>(shape_width)) << row.shape << "  " << std::right
        << std::setw(static_cast<int>(count_width)) << row.count << '\n';
  }
}

}  // namespace

int run_summary(const SummaryOptions& options) {
  const io::LoadedModel loaded = io::load(options.model);
  nn::Module& model = *loaded.model;
  std::cout << model.to_string() << "\n\n";

  std::vector<Row> rows = {{"parameter", "shape", "count"}};
  int64_t total = 0;
  for (const auto& [name, tensor] : model.parameters()) {
    rows.push_back({name, tensor.shape().to_string(), with_separators(tensor.size())});
    total += tensor.size();
  }
  rows.push_back({"total", "", with_separators(total)});
  print_table(rows, std::cout);

  if (!loaded.has_parameters) {
    std::cout << "\n(config-only file: the parameters are freshly initialized on load)\n";
  }
  if (!loaded.metadata.empty()) {
    std::cout << "\nmetadata:\n";
    for (const auto& [key, value] : loaded.metadata)
      std::cout << "  " << key << ": " << value << '\n';
  }
  return kExitSuccess;
}

}  // namespace minnow::tools
