#include "minnow/core/threads.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "minnow/core/error.hpp"

#ifdef MINNOW_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace minnow {

namespace {

// A hint to the core that this thread is spinning (lets the other hardware thread run).
inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Rounds a worker spins on the job counter before it sleeps: about 100 µs, longer than the gap
// between the products of a training step, so that a worker is awake when the next one comes.
constexpr int kSpinRounds = 1 << 12;

// Worker threads that each take one part of a job. A job is published by bumping `epoch_`;
// every worker then runs its part (if the job has that many) and checks in, so the caller knows
// when the job's fields may be overwritten by the next one.
class WorkerPool {
 public:
  // std::system_error when a thread cannot be started; those already started are stopped.
  explicit WorkerPool(int workers) {
    threads_.reserve(static_cast<size_t>(workers));
    try {
      for (int i = 0; i < workers; ++i) {
        threads_.emplace_back([this, part = i + 1] { serve(part); });
      }
    } catch (...) {
      stop();
      throw;
    }
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { stop(); }

  int workers() const { return static_cast<int>(threads_.size()); }

  // Requires 1 < parts <= workers() + 1, and one caller at a time.
  void run(int parts, detail::PartFunction work, void* context) {
    work_ = work;
    context_ = context;
    parts_ = parts;
    pending_.store(workers(), std::memory_order_relaxed);
    epoch_.fetch_add(1, std::memory_order_release);
    epoch_.notify_all();
    work(context, 0);
    for (int round = 0; pending_.load(std::memory_order_acquire) != 0; ++round) {
      if (round < kSpinRounds) {
        spin_pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  void stop() {
    stopping_.store(true, std::memory_order_relaxed);
    epoch_.fetch_add(1, std::memory_order_release);
    epoch_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  void serve(int part) {
    uint32_t seen = 0;
    for (;;) {
      seen = next_epoch(seen);
      if (stopping_.load(std::memory_order_relaxed)) return;
      if (part < parts_) work_(context_, part);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  // Waits until the epoch moves on from `seen`: spinning first, then asleep.
  uint32_t next_epoch(uint32_t seen) const {
    for (int round = 0; round < kSpinRounds; ++round) {
      const uint32_t now = epoch_.load(std::memory_order_acquire);
      if (now != seen) return now;
      spin_pause();
    }
    epoch_.wait(seen, std::memory_order_acquire);
    return epoch_.load(std::memory_order_acquire);
  }

  std::vector<std::thread> threads_;
  std::atomic<uint32_t> epoch_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stopping_{false};
  // The current job: written by the caller before the epoch moves, read by the workers after.
  detail::PartFunction work_ = nullptr;
  void* context_ = nullptr;
  int parts_ = 0;
};

// The setting is process-wide, as the BLAS's own thread count is.
std::atomic<int> requested_threads{1};
// Held while a job runs on the pool and while the pool is replaced; a second caller finds it
// taken and runs its parts itself.
std::mutex pool_mutex;
std::unique_ptr<WorkerPool> pool;  // none while one thread is requested

void run_serially(int parts, detail::PartFunction work, void* context) {
  for (int part = 0; part < parts; ++part) work(context, part);
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) {
    throw ValueError("[set_num_threads] the number of threads must be at least 1, got " +
                     std::to_string(n));
  }
  detail::make_blas_single_threaded_once();
  const std::lock_guard lock(pool_mutex);
  if (n == requested_threads.load()) return;
  pool.reset();
  requested_threads.store(1);
  if (n == 1) return;
  try {
    pool = std::make_unique<WorkerPool>(n - 1);
  } catch (const std::system_error& error) {
    throw Error("[set_num_threads] cannot start " + std::to_string(n - 1) + " worker threads (" +
                error.what() + "); minnow stays on one thread");
  }
  requested_threads.store(n);
}

int num_threads() {
  return requested_threads.load();
}

namespace detail {

void run_parts(int parts, PartFunction work, void* context) {
  if (parts <= 1) {
    run_serially(parts, work, context);
    return;
  }
  const std::unique_lock lock(pool_mutex, std::try_to_lock);
  if (!lock.owns_lock() || !pool || parts > pool->workers() + 1) {
    run_serially(parts, work, context);
    return;
  }
  pool->run(parts, work, context);
}

void make_blas_single_threaded_once() {
#ifdef MINNOW_HAVE_OPENBLAS
  static std::once_flag configured;
  std::call_once(configured, [] { openblas_set_num_threads(1); });
#endif
}

}  // namespace detail
}  // namespace minnow
