// minnow's worker threads: every part of a job runs exactly once, on the caller and the workers;
// jobs that cannot use the workers (too many parts, nested, or a second caller at the same time)
// run on the calling thread.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "minnow/core/threads.hpp"
#include "threads_setting.hpp"

using namespace minnow;

namespace {

// Which thread ran each part, and how many times.
template <size_t Parts>
struct PartLog {
  std::array<std::thread::id, Parts> thread{};
  std::array<std::atomic<int>, Parts> runs{};

  void operator()(int part) {
    const auto at = static_cast<size_t>(part);
    thread[at] = std::this_thread::get_id();
    runs[at].fetch_add(1);
  }

  void check_each_ran_once() const {
    for (size_t part = 0; part < Parts; ++part) {
      CAPTURE(part);
      CHECK(runs[part].load() == 1);
    }
  }
};

}  // namespace

TEST_CASE("run_parts gives the caller part 0 and each worker one other part") {
  const testing::ThreadsSetting setting(3);
  PartLog<3> log;
  detail::run_parts(3, log);
  log.check_each_ran_once();
  CHECK(log.thread[0] == std::this_thread::get_id());
  CHECK(log.thread[1] != std::this_thread::get_id());
  CHECK(log.thread[2] != std::this_thread::get_id());
  CHECK(log.thread[1] != log.thread[2]);

  // Fewer parts than threads: the spare worker does nothing.
  PartLog<2> two;
  detail::run_parts(2, two);
  two.check_each_ran_once();
  CHECK(two.thread[1] != std::this_thread::get_id());
}

TEST_CASE("run_parts runs on the calling thread when the workers cannot take the job") {
  SUBCASE("one thread (the default)") {
    PartLog<4> log;
    detail::run_parts(4, log);
    log.check_each_ran_once();
    for (const auto& id : log.thread) CHECK(id == std::this_thread::get_id());
  }
  SUBCASE("more parts than threads") {
    const testing::ThreadsSetting setting(2);
    PartLog<5> log;
    detail::run_parts(5, log);
    log.check_each_ran_once();
    for (const auto& id : log.thread) CHECK(id == std::this_thread::get_id());
  }
  SUBCASE("a job started from inside a job") {
    const testing::ThreadsSetting setting(2);
    std::array<PartLog<2>, 2> inner;
    std::array<std::thread::id, 2> outer{};
    auto outer_part = [&](int part) {
      outer[static_cast<size_t>(part)] = std::this_thread::get_id();
      detail::run_parts(2, inner[static_cast<size_t>(part)]);
    };
    detail::run_parts(2, outer_part);
    for (size_t part = 0; part < 2; ++part) {
      CAPTURE(part);
      inner[part].check_each_ran_once();
      CHECK(inner[part].thread[0] == outer[part]);
      CHECK(inner[part].thread[1] == outer[part]);
    }
  }
}

TEST_CASE("two threads running jobs at the same time both get every part done") {
  const testing::ThreadsSetting setting(2);
  constexpr int kJobs = 2000;
  std::array<std::atomic<int64_t>, 2> totals{};
  auto caller = [&](size_t which) {
    for (int job = 0; job < kJobs; ++job) {
      auto add_part = [&](int part) { totals[which].fetch_add(part + 1); };
      detail::run_parts(2, add_part);
    }
  };
  std::thread other(caller, 1);
  caller(0);
  other.join();
  CHECK(totals[0].load() == 3 * kJobs);  // parts 0 and 1 add 1 and 2
  CHECK(totals[1].load() == 3 * kJobs);
}

TEST_CASE("changing the thread count replaces the workers") {
  for (const int threads : {4, 2, 3, 1, 2}) {
    CAPTURE(threads);
    const testing::ThreadsSetting setting(threads);
    CHECK(num_threads() == threads);
    std::vector<std::atomic<int>> runs(static_cast<size_t>(threads));
    auto count = [&](int part) { runs[static_cast<size_t>(part)].fetch_add(1); };
    detail::run_parts(threads, count);
    for (const auto& r : runs) CHECK(r.load() == 1);
  }
  CHECK(num_threads() == 1);
}

TEST_CASE("run_ranges covers the extent once, in grain-aligned ranges, one per thread") {
  const testing::ThreadsSetting setting(3);
  std::vector<std::atomic<int>> covered(100);
  std::atomic<int> ranges{0};
  std::atomic<bool> aligned{true};
  detail::run_ranges(100, 16, [&](int64_t begin, int64_t count) {
    ranges.fetch_add(1);
    if (begin % 16 != 0) aligned.store(false);
    for (int64_t i = begin; i < begin + count; ++i) covered[static_cast<size_t>(i)].fetch_add(1);
  });
  CHECK(ranges.load() == 3);  // 7 grains of 16: ranges of 48, 48 and 4
  CHECK(aligned.load());
  for (const auto& c : covered) CHECK(c.load() == 1);

  // One grain's worth or less: a single range, on the calling thread.
  std::vector<std::pair<int64_t, int64_t>> calls;
  std::thread::id ran_on;
  detail::run_ranges(16, 16, [&](int64_t begin, int64_t count) {
    calls.emplace_back(begin, count);
    ran_on = std::this_thread::get_id();
  });
  CHECK(calls == std::vector<std::pair<int64_t, int64_t>>{{0, 16}});
  CHECK(ran_on == std::this_thread::get_id());
}
