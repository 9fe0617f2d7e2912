#include "minnow/core/threads.hpp"

#include <atomic>
#include <mutex>
#include <string>

#include "minnow/core/blas.hpp"
#include "minnow/core/error.hpp"

#ifdef MINNOW_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace minnow {

namespace {

// The BLAS's own thread count is process-wide, so the setting that mirrors it is too.
std::atomic<int> requested_threads{1};
std::once_flag blas_configured;

void apply_to_blas([[maybe_unused]] int n) {
#ifdef MINNOW_HAVE_OPENBLAS
  openblas_set_num_threads(n);
#endif
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) {
    throw ValueError("[set_num_threads] the number of threads must be at least 1, got " +
                     std::to_string(n));
  }
  requested_threads.store(n);
  apply_to_blas(n);
}

int num_threads() {
  return requested_threads.load();
}

namespace detail {

void apply_blas_threads_once() {
  std::call_once(blas_configured, [] { apply_to_blas(requested_threads.load()); });
}

}  // namespace detail
}  // namespace minnow
