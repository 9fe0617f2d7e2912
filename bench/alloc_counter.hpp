#pragma once
// Counts heap allocations made through the global operator new (by every thread), so that the
// benchmarks can report allocations per step. The replacement operators live in
// alloc_counter.cpp and are linked only into the benchmark executable. Counting is switched on
// only around the steps being counted, so that it costs the rest of the timed loop nothing.
//
// Tensor storage comes from minnow's buffer pool, which asks the system (aligned_alloc) only when
// its cache has no block of the size; those calls are not operator new and are not counted.

#include <cstdint>

namespace minnow::bench {

/// Starts counting from zero.
void start_counting_allocations();
/// Stops counting and returns the number of operator new calls since the start.
uint64_t stop_counting_allocations();

/// Counts the allocations of a few steps of a benchmark loop: call step() at the start of every
/// iteration and finish() after the loop. The first iteration is left out as a warm-up when
/// the loop has more than one.
class AllocationWindow {
 public:
  /// A window over at most `max_counted` of the loop's `iterations`.
  AllocationWindow(int64_t iterations, int64_t max_counted);

  void step() {
    if (iteration_ == first_) start_counting_allocations();
    if (iteration_ == first_ + counted_) stop();
    ++iteration_;
  }
  /// Allocations per counted step.
  double finish();

 private:
  void stop();

  int64_t first_;
  int64_t counted_;
  int64_t iteration_ = 0;
  bool stopped_ = false;
  uint64_t count_ = 0;
};

}  // namespace minnow::bench
