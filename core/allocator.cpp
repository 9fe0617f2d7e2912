#include "minnow/core/allocator.hpp"

#include <array>
#include <bit>
#include <cstdlib>

namespace minnow::detail {

namespace {

// Blocks up to 2^47 bytes: 4 classes per power of two.
constexpr int kClassesPerDoubling = 4;
constexpr int kMaxLog2 = 48;

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

#ifndef MINNOW_NO_POOL
constexpr size_t kMaxCachedBytes = size_t{1} << 30;  // per thread; beyond it, blocks go back
constexpr size_t kNumClasses = 4 + (kMaxLog2 - 8) * kClassesPerDoubling;

// The calling thread's cached blocks: one singly linked list per size class, threaded through
// the free blocks themselves (a freed block's first bytes point to the next one), so caching
// and reusing a block is two moves and needs no memory of its own. Constant-initialized, so
// reaching it costs no thread-local guard on the hot path.
struct FreeLists {
  std::array<void*, kNumClasses> head{};
  size_t cached = 0;
  bool registered = false;  // the thread-exit release below is armed
  bool torn_down = false;   // the thread is exiting: blocks go straight back to the system
};
constinit thread_local FreeLists lists;

void release_lists() noexcept {
  for (void*& head : lists.head) {
    while (head != nullptr) {
      void* next = *static_cast<void**>(head);
      std::free(head);
      head = next;
    }
  }
  lists.cached = 0;
}

// Gives the thread's cached blocks back to the system when the thread exits. Armed the first
// time the thread caches a block (a thread-local with a destructor costs a guard on every
// access, so it is kept off the hot path).
struct ReleaseAtThreadExit {
  ~ReleaseAtThreadExit() {
    release_lists();
    lists.torn_down = true;
  }
};

void arm_release_at_exit() {
  thread_local ReleaseAtThreadExit releaser;
  (void)releaser;
  lists.registered = true;
}

void* cached_allocate(size_t bytes) {
  const SizeClass c = size_class(bytes);
  void*& head = lists.head[static_cast<size_t>(c.index)];
  if (head != nullptr) {
    void* block = head;
    head = *static_cast<void**>(block);
    lists.cached -= c.bytes;
    return block;
  }
  return system_allocate(c.bytes);
}

void cached_free(void* block, size_t bytes) noexcept {
  if (lists.torn_down) {
    std::free(block);
    return;
  }
  const SizeClass c = size_class(bytes);
  if (lists.cached + c.bytes > kMaxCachedBytes) {
    std::free(block);
    return;
  }
  if (!lists.registered) arm_release_at_exit();
  void*& head = lists.head[static_cast<size_t>(c.index)];
  *static_cast<void**>(block) = head;
  head = block;
  lists.cached += c.bytes;
}
#endif

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
void pool_release_cached() noexcept {}
size_t pool_cached_bytes() noexcept {
  return 0;
}
#else
bool pool_enabled() noexcept {
  return true;
}
void* pool_allocate(size_t bytes) {
  return cached_allocate(bytes);
}
void pool_free(void* block, size_t bytes) noexcept {
  cached_free(block, bytes);
}
void pool_release_cached() noexcept {
  release_lists();
}
size_t pool_cached_bytes() noexcept {
  return lists.cached;
}
#endif

}  // namespace minnow::detail
