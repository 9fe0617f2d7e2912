#include "ratio_reporter.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string_view>

#include "mlp_config.hpp"

namespace minnow::bench {

namespace {

constexpr std::string_view kMlpPrefix = "mlp/";
constexpr std::string_view kRefPrefix = "ref/";
constexpr std::string_view kIoPrefix = "io/";
constexpr std::string_view kPlainRead = "io/plain_read";
constexpr std::string_view kAllocsCounter = "allocs_per_step";

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string threads_text(int threads) {
  return std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

// Microseconds with about four significant figures.
std::string microseconds(double seconds) {
  const double us = seconds * 1e6;
  return fixed(us, us < 10 ? 3 : us < 100 ? 2 : us < 1000 ? 1 : 0);
}

}  // namespace

double RatioReporter::seconds_per_iteration(const Run& run) const {
  const double time = cpu_time() ? run.GetAdjustedCPUTime() : run.GetAdjustedRealTime();
  return time / benchmark::GetTimeUnitMultiplier(run.time_unit);
}

bool RatioReporter::ReportContext(const Context& context) {
  return display_->ReportContext(context);
}

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  std::vector<Run> annotated = runs;
  for (Run& run : annotated) {
    const std::string& name = run.run_name.function_name;
    if (run.error_occurred) {
      std::string failure = name + ": " + run.error_message;
      if (std::find(failed_.begin(), failed_.end(), failure) == failed_.end()) {
        failed_.push_back(std::move(failure));
      }
      continue;
    }
    const bool is_median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    const bool is_single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
    if (is_median || is_single) {
      if (!medians_.contains(name)) order_.push_back(name);
      Median& m = medians_[name];
      m.seconds = seconds_per_iteration(run);
      m.wall_seconds = run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
      const auto allocs = run.counters.find(std::string(kAllocsCounter));
      if (allocs != run.counters.end()) m.allocs_per_step = allocs->second.value;
    }
    // A ratio for single measurements and for the mean and median; not for spreads.
    const bool is_time = run.run_type == Run::RT_Iteration || run.aggregate_name == "mean" ||
                         run.aggregate_name == "median";
    const Median* baseline = median(baseline_of(name));
    if (is_time && baseline != nullptr && baseline->seconds > 0.0) {
      run.counters["ratio"] = benchmark::Counter(seconds_per_iteration(run) / baseline->seconds);
    }
  }
  display_->ReportRuns(annotated);
}

void RatioReporter::Finalize() {
  display_->Finalize();
}

std::string RatioReporter::baseline_of(const std::string& name) {
  const std::string_view view(name);
  if (view.starts_with(kMlpPrefix)) return std::string(kRefPrefix) + name.substr(kMlpPrefix.size());
  if (view.starts_with(kIoPrefix) && ends_with(view, "/load")) return std::string(kPlainRead);
  return "";
}

double RatioReporter::target_of(const std::string& name) {
  if (name == "io/safetensors/load") return 3.0;
  if (name == "io/json_base64/load") return 10.0;
  const std::string_view view(name);
  if (!view.starts_with(kMlpPrefix)) return 0.0;
  const std::string_view rest = view.substr(kMlpPrefix.size());
  const auto config = find_config(rest.substr(0, rest.find('/')));
  return config ? config->target_ratio : 0.0;
}

const RatioReporter::Median* RatioReporter::median(const std::string& name) const {
  const auto found = medians_.find(name);
  return found == medians_.end() ? nullptr : &found->second;
}

void RatioReporter::print_markdown(std::ostream& out) const {
  out << "\n### minnow / hand-written reference: medians, " << threads_text(threads_) << ", "
      << (cpu_time() ? "CPU" : "wall") << " time\n\n";
  print_mlp_table(out);
  print_io_table(out);
  for (const std::string& failure : failed_) out << "\nFAILED: " << failure << "\n";
}

void RatioReporter::print_mlp_table(std::ostream& out) const {
  bool header = false;
  for (const MlpConfig& config : kMlpConfigs) {
    for (const Mode mode : kModes) {
      const std::string suffix = std::string(config.name) + "/" + std::string(mode_name(mode));
      const Median* minnow = median(std::string(kMlpPrefix) + suffix);
      const Median* ref = median(std::string(kRefPrefix) + suffix);
      if (minnow == nullptr || ref == nullptr) continue;
      if (!header) {
        out << "| config | mode | minnow µs | ref µs | ratio | target | met | allocs/step |\n"
            << "|---|---|---:|---:|---:|---:|:-:|---:|\n";
        header = true;
      }
      // The ratio targets are for one thread.
      const double ratio = minnow->seconds / ref->seconds;
      const bool judged = threads_ == 1;
      out << "| " << config.name << " | " << mode_name(mode) << " | "
          << microseconds(minnow->seconds) << " | " << microseconds(ref->seconds) << " | "
          << fixed(ratio, 2) << "× | " << (judged ? "≤ " + fixed(config.target_ratio, 1) + "×" : "")
          << " | " << (judged ? (ratio <= config.target_ratio ? "yes" : "**no**") : "") << " | "
          << (minnow->allocs_per_step < 0 ? "" : fixed(minnow->allocs_per_step, 1)) << " |\n";
    }
  }
}

void RatioReporter::print_io_table(std::ostream& out) const {
  const Median* plain = median(std::string(kPlainRead));
  bool header = false;
  for (const std::string& name : order_) {
    if (!std::string_view(name).starts_with(kIoPrefix)) continue;
    const Median& measured = medians_.at(name);
    if (!header) {
      out << "\n| benchmark | µs | ratio to io/plain_read | target | met |\n"
          << "|---|---:|---:|---:|:-:|\n";
      header = true;
    }
    const double target = target_of(name);
    const double ratio = plain != nullptr ? measured.seconds / plain->seconds : 0.0;
    const bool judged = target > 0 && plain != nullptr;
    out << "| " << name << " | " << microseconds(measured.seconds) << " | "
        << (plain != nullptr ? fixed(ratio, 2) + "×" : "") << " | "
        << (target > 0 ? "≤ " + fixed(target, 0) + "×" : "") << " | "
        << (judged ? (ratio <= target ? "yes" : "**no**") : "") << " |\n";
  }
}

void RatioReporter::print_speedups(std::ostream& out, const RatioReporter& base,
                                   const RatioReporter& other) {
  out << "\n### minnow speedup, " << threads_text(other.threads_) << " over "
      << threads_text(base.threads_) << " (median wall times)\n\n"
      << "| config | mode | " << threads_text(base.threads_) << " µs | "
      << threads_text(other.threads_) << " µs | speedup | target | met |\n"
      << "|---|---|---:|---:|---:|---:|:-:|\n";
  for (const MlpConfig& config : kMlpConfigs) {
    for (const Mode mode : kModes) {
      const std::string name =
          std::string(kMlpPrefix) + std::string(config.name) + "/" + std::string(mode_name(mode));
      const Median* before = base.median(name);
      const Median* after = other.median(name);
      if (before == nullptr || after == nullptr) continue;
      const double speedup = before->wall_seconds / after->wall_seconds;
      // The target is for training steps, from 1 to 2 threads.
      const double target = config.target_training_speedup;
      const bool judged =
          mode != Mode::infer && target > 0.0 && base.threads_ == 1 && other.threads_ == 2;
      out << "| " << config.name << " | " << mode_name(mode) << " | "
          << microseconds(before->wall_seconds) << " | " << microseconds(after->wall_seconds)
          << " | " << fixed(speedup, 2) << "× | " << (judged ? "≥ " + fixed(target, 1) + "×" : "")
          << " | " << (judged ? (speedup >= target ? "yes" : "**no**") : "") << " |\n";
    }
  }
}

}  // namespace minnow::bench
