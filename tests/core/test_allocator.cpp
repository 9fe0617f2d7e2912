#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "minnow/core/allocator.hpp"
#include "minnow/core/eigen.hpp"
#include "minnow/core/ops.hpp"
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

TEST_CASE("small tensors keep their values in their own block, aligned, for the whole range") {
  // 256 floats (1 KB) is the largest size stored next to the implementation; 257 has its own
  // buffer. Both must be aligned, writable to their last element and distinct per tensor.
  for (int64_t n : {1, 15, 16, 17, 255, 256, 257, 1000}) {
    CAPTURE(n);
    Tensor a = Tensor::empty(Shape{n});
    Tensor b = Tensor::empty(Shape{n});
    CHECK(reinterpret_cast<uintptr_t>(a.data()) % detail::kBufferAlignment == 0);
    for (int64_t i = 0; i < n; ++i) {
      a.data()[i] = static_cast<float>(i);
      b.data()[i] = -1.0f;
    }
    CHECK(a.data()[n - 1] == static_cast<float>(n - 1));
    CHECK_FALSE(a.shares_data(b));
  }
}

TEST_CASE("a view keeps a small tensor's block, values included, alive") {
  Tensor view;
  {
    const Tensor small = Tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});
    view = reshape(small, Shape{2, 3});
  }
  Tensor other = Tensor::empty(Shape{6});  // would reuse the block if it had been freed
  as_array(other).setConstant(9.0f);
  CHECK(view.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("blocks freed on another thread, and a thread's own cache at its exit, are handled") {
  Tensor made_elsewhere;
  std::thread worker([&made_elsewhere] {
    made_elsewhere = Tensor::empty(Shape{3000});
    const Tensor cached = Tensor::empty(Shape{500});  // freed into the worker's cache, which
  });                                                 // is released when the worker exits
  worker.join();
  as_array(made_elsewhere).setConstant(1.0f);
  CHECK(made_elsewhere.to_vector() == std::vector<float>(3000, 1.0f));
  made_elsewhere = Tensor();  // freed into this thread's cache
  if (detail::pool_enabled()) CHECK(detail::pool_cached_bytes() > 0);
  detail::pool_release_cached();
  CHECK(detail::pool_cached_bytes() == 0);
}
