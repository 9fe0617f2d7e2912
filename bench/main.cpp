// minnow_bench: minnow's MLP training and inference beside a hand-written Eigen reference, and
// model-file input/output beside plain file reads. See docs/performance.md.
//
//   minnow_bench [--threads N[,M...]] [--ratios] [benchmark flags...]
//
//   --threads N   threads for minnow and for the reference's OpenBLAS; 1 by default. With a
//                 list (--threads 1,2) the suite runs once per count, and --ratios adds a
//                 table of speedups.
//   --ratios      after the run, print the Markdown table of medians and ratios
//
// Ratios compare CPU times with one thread and wall times with more (see ratio_reporter.hpp).
// The exit status is 1 when a benchmark failed, e.g. because minnow and the reference disagree.
//
// Every other flag goes to Google Benchmark (--benchmark_filter=mlp/small, ...). Unless given,
// --benchmark_repetitions=5 and --benchmark_display_aggregates_only=true are added, so that the
// figures are medians of five repetitions.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "io_bench.hpp"
#include "minnow/core/threads.hpp"
#include "mlp_bench.hpp"
#include "ratio_reporter.hpp"

namespace {

struct Options {
  std::vector<int> threads{1};
  bool ratios = false;
  std::vector<std::string> benchmark_args;  // argv[0] and the flags for Google Benchmark
};

constexpr const char* kUsage =
    "usage: minnow_bench [--threads N[,M...]] [--ratios] [--benchmark_...]\n"
    "  --threads N   threads for minnow and the reference (default 1); a list such as 1,2 runs\n"
    "                the suite once per count\n"
    "  --ratios      print a Markdown table of medians and ratios after the run\n";

// Shown for --help, before Google Benchmark's own flags.
void print_help() {
  std::cout << kUsage;
  benchmark::PrintDefaultHelp();
}

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "minnow_bench: " << message << "\n" << kUsage;
  std::exit(2);
}

int parse_count(std::string_view text) {
  try {
    size_t used = 0;
    const int threads = std::stoi(std::string(text), &used);
    if (used == text.size() && threads >= 1) return threads;
  } catch (const std::exception&) {
  }
  usage_error("--threads needs positive integers, got '" + std::string(text) + "'");
}

// "2" or "1,2".
std::vector<int> parse_threads(std::string_view text) {
  std::vector<int> counts;
  for (size_t start = 0;;) {
    const size_t comma = text.find(',', start);
    counts.push_back(parse_count(text.substr(start, comma - start)));
    if (comma == std::string_view::npos) return counts;
    start = comma + 1;
  }
}

bool has_flag(const std::vector<std::string>& args, std::string_view flag) {
  for (const std::string& arg : args) {
    if (std::string_view(arg).starts_with(flag)) return true;
  }
  return false;
}

// Takes out our own flags; everything else is left for Google Benchmark.
Options parse(int argc, char** argv) {
  Options options;
  options.benchmark_args.emplace_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--threads") {
      if (i + 1 == argc) usage_error("--threads needs a value");
      options.threads = parse_threads(argv[++i]);
    } else if (arg.starts_with("--threads=")) {
      options.threads = parse_threads(arg.substr(std::string_view("--threads=").size()));
    } else if (arg == "--ratios") {
      options.ratios = true;
    } else {
      options.benchmark_args.emplace_back(arg);
    }
  }
  if (!has_flag(options.benchmark_args, "--benchmark_repetitions")) {
    options.benchmark_args.emplace_back("--benchmark_repetitions=5");
  }
  if (!has_flag(options.benchmark_args, "--benchmark_display_aggregates_only") &&
      !has_flag(options.benchmark_args, "--benchmark_report_aggregates_only")) {
    options.benchmark_args.emplace_back("--benchmark_display_aggregates_only=true");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);

  std::vector<char*> args;
  for (std::string& arg : options.benchmark_args) args.push_back(arg.data());
  int benchmark_argc = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&benchmark_argc, args.data(), print_help);
  if (benchmark::ReportUnrecognizedArguments(benchmark_argc, args.data())) return 2;

  minnow::bench::register_mlp_benchmarks();
  minnow::bench::register_io_benchmarks();

  std::vector<std::unique_ptr<minnow::bench::RatioReporter>> runs;
  for (const int threads : options.threads) {
    minnow::set_num_threads(threads);  // the reference reads it too (BlasThreadsScope)
    runs.push_back(std::make_unique<minnow::bench::RatioReporter>(
        benchmark::CreateDefaultDisplayReporter(), threads));
    std::cerr << "minnow threads: " << threads << "\n";
    benchmark::RunSpecifiedBenchmarks(runs.back().get());
  }
  bool failed = false;
  for (const auto& run : runs) {
    if (options.ratios) run->print_markdown(std::cout);
    failed = failed || run->any_failed();
  }
  if (options.ratios) {
    for (size_t i = 1; i < runs.size(); ++i) {
      minnow::bench::RatioReporter::print_speedups(std::cout, *runs.front(), *runs[i]);
    }
  }
  benchmark::Shutdown();
  return failed ? 1 : 0;
}
