#pragma once
// Training progress on standard error: a live progress bar when standard error is a terminal
// (epoch, step, loss, samples/s, time left), one line per epoch otherwise (logs stay readable),
// nothing with --quiet.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace minnow::tools {

/// How progress is shown.
enum class ProgressStyle { bar, lines, quiet };

/// The bar on a terminal, lines otherwise, nothing when quiet.
ProgressStyle progress_style_for_stderr(bool quiet);

/// Validation results of one epoch.
struct ValidationReport {
  double loss = 0;
  std::optional<double> accuracy;  // fraction in [0, 1], for classification losses
};

class Progress {
 public:
  Progress(std::ostream& out, ProgressStyle style, int64_t epochs, int64_t steps_per_epoch,
           int64_t samples_per_epoch);

  /// After each optimizer step: `samples` is the number of samples of the epoch done so far,
  /// `mean_loss` the running mean of the epoch's loss. Redraws the bar at most ~10 times/s.
  void step(int64_t epoch, int64_t step, int64_t samples, double mean_loss);
  /// After each epoch: prints the epoch's line (on a terminal, it replaces the bar).
  void end_epoch(int64_t epoch, double mean_loss,
                 const std::optional<ValidationReport>& validation);

  /// "1.5s", "2m05s", "1h02m": durations as people read them.
  static std::string format_duration(double seconds);
  /// "950", "12.3k", "4.56M": rates as people read them.
  static std::string format_rate(double per_second);

 private:
  using Clock = std::chrono::steady_clock;
  double seconds_since_start() const;
  double seconds_left(int64_t epoch, int64_t step) const;
  double samples_per_second() const;

  std::ostream& out_;
  ProgressStyle style_;
  int64_t epochs_, steps_per_epoch_, samples_per_epoch_;
  Clock::time_point start_, last_draw_;
  int64_t samples_done_ = 0;  // over all epochs, for the rate
  int64_t epoch_samples_ = 0;
};

}  // namespace minnow::tools
