#include "minnow/core/allocator.hpp"

#include <array>
#include <bit>
#include <cstdlib>
#include <vector>

namespace minnow::detail {

namespace {

// Blocks up to 2^47 bytes: 4 classes per power of two.
constexpr int kClassesPerDoubling = 4;
constexpr int kMaxLog2 = 48;
constexpr size_t kMaxCachedBytes = size_t{1} << 30;  // per thread; beyond it, blocks go back

struct SizeClass {
  int index;
  size_t bytes;
};

// Rounds `bytes` up to its class: multiples of 64 up to 256, then 4 classes per doubling.
SizeClass size_class(size_t bytes) {
  if (bytes <= 256) {
    const size_t rounded = bytes <= 64 ? 64 : (bytes + 63) / 64 * 64;
    return {static_cast<int>(rounded / 64) - 1, rounded};
  }
  const int width = std::bit_width(bytes - 1);  // 2^(width-1) < bytes <= 2^width
  if (width > kMaxLog2) throw std::bad_alloc();
  const size_t step = size_t{1} << (width - 3);
  const size_t rounded = (bytes + step - 1) / step * step;
  const int sub = static_cast<int>((rounded - (size_t{1} << (width - 1))) / step) - 1;  // 0..3
  return {4 + (width - 9) * kClassesPerDoubling + sub, rounded};
}

void* system_allocate(size_t bytes) {
  void* block = std::aligned_alloc(kBufferAlignment, bytes);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

class Pool {
 public:
  Pool() { alive() = true; }
  ~Pool() {
    release();
    alive() = false;
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Whether this thread's pool exists (it may be gone while thread-local objects that hold
  // tensors are destroyed at thread exit; frees then go straight to the system).
  static bool& alive() {
    thread_local bool flag = false;
    return flag;
  }

  void* allocate(size_t bytes) {
    const SizeClass c = size_class(bytes);
    auto& list = free_[static_cast<size_t>(c.index)];
    if (!list.empty()) {
      void* block = list.back();
      list.pop_back();
      cached_ -= c.bytes;
      return block;
    }
    return system_allocate(c.bytes);
  }

  void free(void* block, size_t bytes) noexcept {
    const SizeClass c = size_class(bytes);
    if (cached_ + c.bytes > kMaxCachedBytes) {
      std::free(block);
      return;
    }
    try {
      free_[static_cast<size_t>(c.index)].push_back(block);
      cached_ += c.bytes;
    } catch (...) {
      std::free(block);
    }
  }

  void release() noexcept {
    for (auto& list : free_) {
      for (void* block : list) std::free(block);
      list.clear();
    }
    cached_ = 0;
  }

  size_t cached() const { return cached_; }

 private:
  std::array<std::vector<void*>, 4 + (kMaxLog2 - 8) * kClassesPerDoubling> free_;
  size_t cached_ = 0;
};

Pool& pool() {
  thread_local Pool instance;
  return instance;
}

}  // namespace

#ifdef MINNOW_NO_POOL
// Sanitizer builds: every block comes from and goes back to the system, so that use-after-free
// and leaks are visible.
void* pool_allocate(size_t bytes) {
  return system_allocate(size_class(bytes).bytes);
}
void pool_free(void* block, size_t) noexcept {
  std::free(block);
}
bool pool_enabled() noexcept {
  return false;
}
#else
bool pool_enabled() noexcept {
  return true;
}
void* pool_allocate(size_t bytes) {
  return pool().allocate(bytes);
}
void pool_free(void* block, size_t bytes) noexcept {
  if (Pool::alive()) {
    pool().free(block, bytes);
  } else {
    std::free(block);
  }
}
#endif

void pool_release_cached() noexcept {
  if (Pool::alive()) pool().release();
}

size_t pool_cached_bytes() noexcept {
  return Pool::alive() ? pool().cached() : 0;
}

}  // namespace minnow::detail
