#include <doctest/doctest.h>

#include "minnow/core/allocator.hpp"
#include "minnow/core/tensor.hpp"

using namespace minnow;

TEST_CASE("freed buffers are reused by the next tensor of the same size class") {
  if (!detail::pool_enabled()) return;  // sanitizer builds hand every block to the system
  const float* first = nullptr;
  {
    const Tensor t = Tensor::empty(Shape{1000});
    first = t.data();
  }
  CHECK(detail::pool_cached_bytes() > 0);
  const Tensor again = Tensor::empty(Shape{1000});
  CHECK(again.data() == first);
  detail::pool_release_cached();
  CHECK(detail::pool_cached_bytes() == 0);
}

TEST_CASE("pooled blocks are aligned and large enough") {
  for (size_t bytes : {1ul, 64ul, 65ul, 257ul, 1000ul, 4097ul, 1ul << 20}) {
    void* block = detail::pool_allocate(bytes);
    CHECK(reinterpret_cast<uintptr_t>(block) % detail::kBufferAlignment == 0);
    static_cast<char*>(block)[bytes - 1] = 1;  // the sanitizers check the extent
    detail::pool_free(block, bytes);
  }
}
