#pragma once
// A thread count for the length of a test.

#include "minnow/core/threads.hpp"

namespace minnow::testing {

/// set_num_threads(n) for the life of the object, then back to 1 (the default), also when a
/// REQUIRE fails inside, so that the tests after it run single-threaded.
class ThreadsSetting {
 public:
  explicit ThreadsSetting(int n) { set_num_threads(n); }
  ~ThreadsSetting() { set_num_threads(1); }
  ThreadsSetting(const ThreadsSetting&) = delete;
  ThreadsSetting& operator=(const ThreadsSetting&) = delete;
};

}  // namespace minnow::testing
