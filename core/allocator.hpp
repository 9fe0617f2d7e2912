#pragma once
// Internal: the buffer pool behind every tensor's storage. Small models allocate and free the
// same sizes on every training step; a per-thread cache of freed blocks, in size classes at most
// 25% apart, turns those allocations into a few instructions and keeps large buffers from being
// handed back to (and page-faulted in again from) the operating system on every step.

#include <cstddef>
#include <memory>
#include <new>

namespace minnow::detail {

/// Alignment of every pooled block, in bytes (a cache line; enough for AVX-512).
inline constexpr size_t kBufferAlignment = 64;

/// A block of at least `bytes` bytes, aligned to kBufferAlignment. Throws std::bad_alloc.
void* pool_allocate(size_t bytes);
/// Returns a block from pool_allocate (with the same `bytes`) to this thread's cache.
void pool_free(void* block, size_t bytes) noexcept;
/// Whether blocks are cached (false in sanitizer builds, where every block goes to the system).
bool pool_enabled() noexcept;
/// Frees every cached block of the calling thread.
void pool_release_cached() noexcept;
/// Bytes currently cached (free) in the calling thread's pool.
size_t pool_cached_bytes() noexcept;

/// A standard allocator over the pool, for allocate_shared of small fixed-size objects. With
/// `extra_bytes`, every block it hands out is that much longer than the objects in it: room for
/// data that lives in the same block (a small tensor's values next to its implementation).
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  explicit PoolAllocator(size_t extra) noexcept : extra_bytes(extra) {}
  template <class U>
  PoolAllocator(const PoolAllocator<U>& other) noexcept  // NOLINT(google-explicit-constructor)
      : extra_bytes(other.extra_bytes) {}
  T* allocate(size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T) + extra_bytes)); }
  void deallocate(T* p, size_t n) noexcept { pool_free(p, n * sizeof(T) + extra_bytes); }
  template <class U>
  bool operator==(const PoolAllocator<U>& other) const noexcept {
    return extra_bytes == other.extra_bytes;
  }

  size_t extra_bytes = 0;
};

}  // namespace minnow::detail
