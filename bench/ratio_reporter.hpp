#pragma once
// A display reporter that puts every minnow figure beside its baseline: it adds a `ratio`
// counter to each mlp/<config>/<mode> run (its time over the median of ref/<config>/<mode>) and
// to each io/<format>/load (over the median of io/plain_read), forwards the runs to the usual
// display reporter, and keeps the medians for a Markdown summary.
//
// Which clock: with one thread every step runs on the benchmark's thread, so its CPU time is the
// work itself and stays put while other processes take the core now and then; with more threads
// only wall time counts the helpers' work. Speedups between thread counts compare wall times.

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace minnow::bench {

class RatioReporter : public benchmark::BenchmarkReporter {
 public:
  /// Forwards to `display` (not owned), e.g. benchmark::CreateDefaultDisplayReporter(), for a
  /// run with `threads` threads.
  RatioReporter(benchmark::BenchmarkReporter* display, int threads)
      : display_(display), threads_(threads) {}

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  /// The summary tables: one row per MLP config and mode, one per io benchmark, with the
  /// baseline, the ratio, the target and allocations per step.
  void print_markdown(std::ostream& out) const;
  /// A table of minnow's speedup from the run of `base` to the run of `other` (more threads),
  /// as the ratio of median wall times, with the target for medium and large training.
  static void print_speedups(std::ostream& out, const RatioReporter& base,
                             const RatioReporter& other);
  /// True when a benchmark reported an error (minnow and the reference disagree, say).
  bool any_failed() const { return !failed_.empty(); }
  int threads() const { return threads_; }

 private:
  struct Median {
    double seconds = 0.0;           // per step, on this run's clock
    double wall_seconds = 0.0;      // per step
    double allocs_per_step = -1.0;  // -1: not reported
  };
  // The baseline a benchmark is compared with ("ref/tiny/infer" for "mlp/tiny/infer"), or "".
  static std::string baseline_of(const std::string& name);
  // The ratio target for a benchmark, or 0 when it has none.
  static double target_of(const std::string& name);
  const Median* median(const std::string& name) const;
  double seconds_per_iteration(const Run& run) const;
  bool cpu_time() const { return threads_ == 1; }
  void print_mlp_table(std::ostream& out) const;
  void print_io_table(std::ostream& out) const;

  benchmark::BenchmarkReporter* display_;
  int threads_;
  std::map<std::string, Median> medians_;
  std::vector<std::string> order_;   // names in the order they were measured
  std::vector<std::string> failed_;  // "name: error message"
};

}  // namespace minnow::bench
