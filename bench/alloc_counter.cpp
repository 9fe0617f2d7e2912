#include "alloc_counter.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

namespace minnow::bench {

namespace {

std::atomic<bool> counting{false};
std::atomic<uint64_t> allocations{0};

void* allocate(std::size_t bytes) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  // malloc(0) may return nullptr; operator new must return a unique pointer.
  return std::malloc(bytes == 0 ? 1 : bytes);
}

void* allocate_aligned(std::size_t bytes, std::align_val_t alignment) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  const auto align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + align - 1) / align * align;
  return std::aligned_alloc(align, rounded);
}

}  // namespace

void start_counting_allocations() {
  allocations.store(0, std::memory_order_relaxed);
  counting.store(true, std::memory_order_relaxed);
}

uint64_t stop_counting_allocations() {
  counting.store(false, std::memory_order_relaxed);
  return allocations.load(std::memory_order_relaxed);
}

AllocationWindow::AllocationWindow(int64_t iterations, int64_t max_counted)
    : first_(iterations > 1 ? 1 : 0), counted_(std::min(max_counted, iterations - first_)) {}

void AllocationWindow::stop() {
  if (stopped_) return;
  count_ = stop_counting_allocations();
  stopped_ = true;
}

double AllocationWindow::finish() {
  stop();
  return counted_ > 0 ? static_cast<double>(count_) / static_cast<double>(counted_) : 0.0;
}

}  // namespace minnow::bench

// ---- the replaced global allocation functions --------------------------------------------------

void* operator new(std::size_t bytes) {
  if (void* block = minnow::bench::allocate(bytes)) return block;
  throw std::bad_alloc();
}
void* operator new[](std::size_t bytes) {
  return ::operator new(bytes);
}
void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept {
  return minnow::bench::allocate(bytes);
}
void* operator new[](std::size_t bytes, const std::nothrow_t&) noexcept {
  return minnow::bench::allocate(bytes);
}
void* operator new(std::size_t bytes, std::align_val_t alignment) {
  if (void* block = minnow::bench::allocate_aligned(bytes, alignment)) return block;
  throw std::bad_alloc();
}
void* operator new[](std::size_t bytes, std::align_val_t alignment) {
  return ::operator new(bytes, alignment);
}
void* operator new(std::size_t bytes, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return minnow::bench::allocate_aligned(bytes, alignment);
}
void* operator new[](std::size_t bytes, std::align_val_t alignment,
                     const std::nothrow_t&) noexcept {
  return minnow::bench::allocate_aligned(bytes, alignment);
}

void operator delete(void* block) noexcept {
  std::free(block);
}
void operator delete[](void* block) noexcept {
  std::free(block);
}
void operator delete(void* block, std::size_t) noexcept {
  std::free(block);
}
void operator delete[](void* block, std::size_t) noexcept {
  std::free(block);
}
void operator delete(void* block, const std::nothrow_t&) noexcept {
  std::free(block);
}
void operator delete[](void* block, const std::nothrow_t&) noexcept {
  std::free(block);
}
void operator delete(void* block, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete[](void* block, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete(void* block, std::size_t, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete[](void* block, std::size_t, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete(void* block, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(block);
}
void operator delete[](void* block, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(block);
}
