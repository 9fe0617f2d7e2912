#pragma once
// Learning-rate schedules, as mlx.optimizers' schedulers: each returns a Schedule, a function of
// the number of steps already taken, to pass wherever a learning rate goes:
//
//   auto warmup = optim::linear_schedule(0.0f, 1e-1f, 10);
//   auto cosine = optim::cosine_decay(1e-1f, 200);
//   optim::Adam optimizer(optim::join_schedules({warmup, cosine}, {10}));

#include <cstdint>
#include <vector>

#include "minnow/optim/optimizer.hpp"

namespace minnow::optim {

/// init · decay_rate^step.
Schedule exponential_decay(float init, float decay_rate);

/// init · decay_rate^⌊step / step_size⌋. ValueError when step_size < 1.
Schedule step_decay(float init, float decay_rate, int64_t step_size);

/// end + ½·(1 + cos(π·min(step, decay_steps) / decay_steps))·(init − end): from init down to
/// end over decay_steps steps, then constant. ValueError when decay_steps < 1.
Schedule cosine_decay(float init, int64_t decay_steps, float end = 0.0f);

/// init + min(step, steps)·(end − init) / steps: from init to end over `steps` steps, then
/// constant. ValueError when steps < 1.
Schedule linear_schedule(float init, float end, int64_t steps);

/// schedules[0] until boundaries[0]; from then on schedules[1] of (step − boundaries[0]), and
/// so on: schedule i + 1 counts the steps since boundary i. ValueError for no schedules, an
/// empty one, or unless boundaries.size() == schedules.size() − 1.
Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int64_t> boundaries);

}  // namespace minnow::optim
