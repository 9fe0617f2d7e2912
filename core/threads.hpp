#pragma once
// How many threads minnow's kernels may use. Matrix products and element-wise optimizer updates
// large enough to pay for it are split across minnow's own worker threads; everything else runs
// on the calling thread.

#include <algorithm>
#include <cstdint>

namespace minnow {

/// Sets the number of threads minnow may use (1 by default, so that timings do not depend on the
/// machine). With n > 1, minnow keeps n - 1 worker threads and splits each product of at least
/// about a million multiply-adds into n blocks of the result, one per thread, and the
/// element-wise optimizers' update of each parameter of at least 65,536 elements into n slices;
/// OpenBLAS, when the build uses it, is kept single-threaded (a process-wide setting), so that
/// the two never compete for the cores. ValueError when n < 1; minnow::Error when the system
/// cannot start the threads (the setting is then 1).
void set_num_threads(int n);
/// The current setting of set_num_threads.
int num_threads();

namespace detail {

/// One part of a parallel job: `work(context, part)`.
using PartFunction = void (*)(void* context, int part);

/// Runs `work(context, part)` for every part in [0, parts) and returns when all are done: the
/// calling thread takes part 0, minnow's worker threads the others. Runs every part on the
/// calling thread when there are not enough workers, when called from inside a job, or while
/// another thread's job holds the workers. `work` must not throw.
void run_parts(int parts, PartFunction work, void* context);

/// run_parts for a callable taking the part's index.
template <class Work>
void run_parts(int parts, Work& work) {
  run_parts(
      parts, [](void* context, int part) { (*static_cast<Work*>(context))(part); }, &work);
}

/// Splits [0, extent) into up to num_threads() ranges, each but the last a multiple of `grain`
/// long, and runs `work(begin, count)` for each through run_parts (on the calling thread alone
/// when there is only one range).
template <class Work>
void run_ranges(int64_t extent, int64_t grain, Work&& work) {
  const int64_t grains = (extent + grain - 1) / grain;
  const int64_t parts = std::min<int64_t>(num_threads(), grains);
  if (parts <= 1) {
    work(int64_t{0}, extent);
    return;
  }
  const int64_t block = (grains + parts - 1) / parts * grain;
  auto run_range = [&](int part) {
    const int64_t begin = part * block;
    if (begin < extent) work(begin, std::min(block, extent - begin));
  };
  run_parts(static_cast<int>(parts), run_range);
}

/// Makes the BLAS single-threaded once, before its first use: minnow does its own splitting.
void make_blas_single_threaded_once();

}  // namespace detail

}  // namespace minnow
