#include "minnow/optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "minnow/core/eigen.hpp"
#include "minnow/core/error.hpp"
#include "minnow/nn/format.hpp"

namespace minnow::optim {

std::pair<TensorMap, float> clip_grad_norm(const TensorMap& grads, float max_norm) {
  if (!(max_norm >= 0.0f)) {
    throw ValueError("[clip_grad_norm] max_norm must be non-negative, got " +
                     nn::python_float(max_norm));
  }
  double sum_of_squares = 0.0;
  for (const Tensor& g : grads.values()) {
    if (!g.defined()) throw ValueError("[clip_grad_norm] a gradient is an empty tensor");
    sum_of_squares += as_array(g).cast<double>().square().sum();
  }
  const auto total = static_cast<float>(std::sqrt(sum_of_squares));
  const float scale = std::min(max_norm / (total + 1e-6f), 1.0f);
  if (scale == 1.0f) return {grads, total};
  std::vector<Tensor> clipped;
  clipped.reserve(grads.size());
  for (const Tensor& g : grads.values()) {
    Tensor scaled = Tensor::empty(g.shape());
    as_array(scaled) = as_array(g) * scale;
    clipped.push_back(std::move(scaled));
  }
  return {TensorMap(grads.key_table(), std::move(clipped)), total};
}

}  // namespace minnow::optim
