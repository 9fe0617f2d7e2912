#include "minnow/optim/schedulers.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>

#include "minnow/core/error.hpp"

namespace minnow::optim {

namespace {

void check_at_least_one(const char* op, const char* what, int64_t value) {
  if (value < 1) {
    throw ValueError(std::string("[") + op + "] " + what + " must be at least 1, got " +
                     std::to_string(value));
  }
}

}  // namespace

// The values are computed in double and rounded once to float.

Schedule exponential_decay(float init, float decay_rate) {
  return [init, decay_rate](int64_t step) {
    return static_cast<float>(init *
                              std::pow(static_cast<double>(decay_rate), static_cast<double>(step)));
  };
}

Schedule step_decay(float init, float decay_rate, int64_t step_size) {
  check_at_least_one("step_decay", "step_size", step_size);
  return [init, decay_rate, step_size](int64_t step) {
    return static_cast<float>(
        init * std::pow(static_cast<double>(decay_rate), static_cast<double>(step / step_size)));
  };
}

Schedule cosine_decay(float init, int64_t decay_steps, float end) {
  check_at_least_one("cosine_decay", "decay_steps", decay_steps);
  return [init, decay_steps, end](int64_t step) {
    const double progress =
        static_cast<double>(std::min(step, decay_steps)) / static_cast<double>(decay_steps);
    const double decay = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return static_cast<float>(end + decay * (static_cast<double>(init) - end));
  };
}

Schedule linear_schedule(float init, float end, int64_t steps) {
  check_at_least_one("linear_schedule", "steps", steps);
  return [init, end, steps](int64_t step) {
    const auto done = static_cast<double>(std::min(step, steps));
    return static_cast<float>(
        done * (static_cast<double>(end) - init) / static_cast<double>(steps) + init);
  };
}

Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int64_t> boundaries) {
  if (schedules.empty()) {
    throw ValueError("[join_schedules] must be given at least 1 schedule to join");
  }
  if (schedules.size() != boundaries.size() + 1) {
    throw ValueError("[join_schedules] received " + std::to_string(boundaries.size()) +
                     " boundaries but expected " + std::to_string(schedules.size() - 1));
  }
  for (size_t i = 0; i < schedules.size(); ++i) {
    if (!schedules[i]) {
      throw ValueError("[join_schedules] schedules[" + std::to_string(i) + "] is empty");
    }
  }
  return [schedules = std::move(schedules), boundaries = std::move(boundaries)](int64_t step) {
    // As MLX: each boundary reached hands over to the next schedule, which counts from it.
    size_t active = 0;
    for (size_t i = 0; i < boundaries.size(); ++i) {
      if (step >= boundaries[i]) active = i + 1;
    }
    return schedules[active](active == 0 ? step : step - boundaries[active - 1]);
  };
}

}  // namespace minnow::optim
