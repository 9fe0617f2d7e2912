#pragma once
// minnow::optim in one include: the optimizers, learning-rate schedules and gradient clipping
// of mlx.optimizers.

#include "minnow/optim/clip.hpp"
#include "minnow/optim/optimizer.hpp"
#include "minnow/optim/optimizers.hpp"
#include "minnow/optim/schedulers.hpp"
