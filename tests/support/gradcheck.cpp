#include "support/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"

namespace minnow::testing {

namespace {

double evaluate(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                const std::vector<Tensor>& inputs) {
  return static_cast<double>(fn(inputs).item());
}

}  // namespace

std::string check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                            const std::vector<Tensor>& inputs, const GradCheckOptions& options) {
  std::vector<Tensor> work;
  work.reserve(inputs.size());
  for (const auto& input : inputs) work.push_back(input.copy());
  const auto [value, grads] = value_and_grad(fn, work);
  for (size_t i = 0; i < work.size(); ++i) {
    float* x = work[i].data();
    for (int64_t k = 0; k < work[i].size(); ++k) {
      const float saved = x[k];
      x[k] = saved + options.eps;
      const double plus = evaluate(fn, work);
      x[k] = saved - options.eps;
      const double minus = evaluate(fn, work);
      x[k] = saved;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double analytic = grads[i].data()[k];
      if (!(std::abs(analytic - numeric) <= options.atol + options.rtol * std::abs(numeric))) {
        std::ostringstream out;
        out << "input " << i << " " << work[i].shape().to_string() << " element " << k
            << ": analytic " << analytic << ", numeric " << numeric;
        return out.str();
      }
    }
  }
  return "";
}

std::string check_op_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                               const std::vector<Tensor>& inputs, const GradCheckOptions& options) {
  random::Generator gen(1234);
  const Tensor probe = fn(inputs);
  const Tensor weights = random::uniform(probe.shape(), 0.5f, 1.5f, &gen);
  return check_gradients(
      [&](const std::vector<Tensor>& xs) { return sum(multiply(fn(xs), weights)); }, inputs,
      options);
}

}  // namespace minnow::testing
