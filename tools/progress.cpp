#include "minnow/tools/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <locale>
#include <ostream>
#include <sstream>

namespace minnow::tools {
namespace {

constexpr int kBarWidth = 24;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

/// `value` with `decimals` digits after the point, independent of the C locale.
std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

/// A loss as people compare them: 4 significant digits, scientific when tiny or huge.
std::string format_loss(double loss) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(4);
  out << loss;
  return out.str();
}

}  // namespace

ProgressStyle progress_style_for_stderr(bool quiet) {
  if (quiet) return ProgressStyle::quiet;
  return ::isatty(STDERR_FILENO) != 0 ? ProgressStyle::bar : ProgressStyle::lines;
}

Progress::Progress(std::ostream& out, ProgressStyle style, int64_t epochs, int64_t steps_per_epoch,
                   int64_t samples_per_epoch)
    : out_(out),
      style_(style),
      epochs_(epochs),
      steps_per_epoch_(std::max<int64_t>(steps_per_epoch, 1)),
      samples_per_epoch_(samples_per_epoch),
      start_(Clock::now()),
      last_draw_(start_ - kRedrawInterval) {}

double Progress::seconds_since_start() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

double Progress::samples_per_second() const {
  const double elapsed = seconds_since_start();
  return elapsed > 0 ? static_cast<double>(samples_done_) / elapsed : 0.0;
}

double Progress::seconds_left(int64_t epoch, int64_t step) const {
  const int64_t done = (epoch - 1) * steps_per_epoch_ + step;
  const int64_t total = epochs_ * steps_per_epoch_;
  if (done <= 0) return 0.0;
  return seconds_since_start() / static_cast<double>(done) * static_cast<double>(total - done);
}

void Progress::step(int64_t epoch, int64_t step, int64_t samples, double mean_loss) {
  samples_done_ += samples - epoch_samples_;
  epoch_samples_ = samples;
  if (style_ != ProgressStyle::bar) return;
  const auto now = Clock::now();
  if (now - last_draw_ < kRedrawInterval && step != steps_per_epoch_) return;
  last_draw_ = now;

  const double fraction = static_cast<double>(step) / static_cast<double>(steps_per_epoch_);
  const int filled = static_cast<int>(std::lround(fraction * kBarWidth));
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kBarWidth, '-');
  out_ << "\r\033[K"
       << "epoch " << epoch << "/" << epochs_ << " [" << bar << "] step " << step << "/"
       << steps_per_epoch_ << "  loss " << format_loss(mean_loss) << "  "
       << format_rate(samples_per_second()) << " samples/s  "
       << format_duration(seconds_left(epoch, step)) << " left" << std::flush;
}

void Progress::end_epoch(int64_t epoch, double mean_loss,
                         const std::optional<ValidationReport>& validation) {
  epoch_samples_ = 0;
  if (style_ == ProgressStyle::quiet) return;
  if (style_ == ProgressStyle::bar) out_ << "\r\033[K";
  out_ << "epoch " << epoch << "/" << epochs_ << "  loss " << format_loss(mean_loss);
  if (validation) {
    out_ << "  val_loss " << format_loss(validation->loss);
    if (validation->accuracy) out_ << "  val_acc " << fixed(100 * *validation->accuracy, 1) << "%";
  }
  out_ << "  " << format_rate(samples_per_second()) << " samples/s  ";
  if (epoch < epochs_) {
    out_ << format_duration(seconds_left(epoch, steps_per_epoch_)) << " left" << std::endl;
  } else {
    out_ << "done in " << format_duration(seconds_since_start()) << std::endl;
  }
}

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  if (seconds < 60) return fixed(seconds, 1) + "s";
  const auto whole = static_cast<long long>(std::lround(seconds));
  char buffer[32];
  if (whole < 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", whole / 60, whole % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", whole / 3600, (whole % 3600) / 60);
  }
  return buffer;
}

std::string Progress::format_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second < 0) per_second = 0;
  if (per_second < 1e3) return fixed(per_second, 0);
  if (per_second < 1e6) return fixed(per_second / 1e3, 1) + "k";
  return fixed(per_second / 1e6, 2) + "M";
}

}  // namespace minnow::tools
