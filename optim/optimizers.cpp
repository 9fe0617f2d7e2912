#include "minnow/optim/optimizers.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>
#include <utility>

#include "minnow/core/blas.hpp"
#include "minnow/core/eigen.hpp"
#include "minnow/core/error.hpp"
#include "minnow/core/threads.hpp"
#include "minnow/nn/format.hpp"

namespace minnow::optim {

namespace {

// Zero state tensors of the parameter's shape, one per key.
ParamState zeros_state(const Tensor& parameter, std::initializer_list<const char*> keys) {
  ParamState state;
  state.reserve(keys.size());
  for (const char* key : keys) state.push_back({key, zeros(parameter.shape())});
  return state;
}

// A range a hyper-parameter must lie in, and how error messages state it. NaN lies in none.
struct Range {
  bool (*contains)(float value);
  const char* text;
};
constexpr Range kNonNegative{[](float value) { return value >= 0.0f; }, "non-negative"};
constexpr Range kPositive{[](float value) { return value > 0.0f; }, "positive"};
constexpr Range kUnitInterval{[](float value) { return value >= 0.0f && value < 1.0f; },
                              "in [0, 1)"};

// Every constructor's argument check: "[Adam] eps must be non-negative, got -1.0".
void check(std::string_view op, std::string_view what, float value, const Range& range) {
  if (range.contains(value)) return;
  throw ValueError("[" + std::string(op) + "] " + std::string(what) + " must be " + range.text +
                   ", got " + nn::python_float(value));
}

void check_betas(std::string_view op, const Betas& betas) {
  for (size_t i = 0; i < betas.size(); ++i) {
    check(op, "betas[" + std::to_string(i) + "]", betas[i], kUnitInterval);
  }
}

// b^t for the bias corrections and Adafactor's β2, computed in double.
float power(float base, double exponent) {
  return static_cast<float>(std::pow(static_cast<double>(base), exponent));
}

// Row-major 2-D blocks of a parameter and flat vectors of state, as Eigen arrays.
using RowMajorArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Block = Eigen::Map<RowMajorArray>;
using ConstBlock = Eigen::Map<const RowMajorArray>;
using Vector = Eigen::Map<Eigen::ArrayXf>;
using ConstVector = Eigen::Map<const Eigen::ArrayXf>;

// Parameters of at least this many elements have their element-wise update split across
// minnow's threads (with set_num_threads > 1): 64K elements take 20-60 µs to update, against
// the 1-2 µs a hand-off to a worker costs.
constexpr int64_t kParallelUpdate = int64_t{1} << 16;
// Slices start at multiples of this many elements (whole cache lines).
constexpr int64_t kSliceGrain = 16;

// The elements [begin, begin + count) of the tensors of one parameter's update (the parameter,
// its gradient and its state, which have its shape), as flat arrays.
struct Slice {
  int64_t begin;
  int64_t count;
  Vector operator()(Tensor& tensor) const { return {tensor.data() + begin, count}; }
  ConstVector operator()(const Tensor& tensor) const { return {tensor.data() + begin, count}; }
};

// Runs the element-wise `update(slice)` over all `size` elements of a parameter: one slice, or
// one per thread for a large parameter. Every element goes through the same operations either
// way, so the results do not depend on the thread count.
template <class Update>
void for_each_slice(int64_t size, Update&& update) {
  if (size < kParallelUpdate) {
    update(Slice{0, size});
    return;
  }
  detail::run_ranges(size, kSliceGrain, [&](int64_t begin, int64_t count) {
    update(Slice{begin, count});
  });
}

}  // namespace

// ---- SGD ----------------------------------------------------------------------------------------

SGD::SGD(LearningRate learning_rate, float momentum, float weight_decay, float dampening,
         bool nesterov)
    : PerParameterOptimizer("SGD", std::move(learning_rate)),
      momentum_(momentum),
      weight_decay_(weight_decay),
      dampening_(dampening),
      nesterov_(nesterov) {
  if (nesterov && (momentum <= 0.0f || dampening != 0.0f)) {
    throw ValueError(
        "[SGD] nesterov momentum requires a positive momentum and zero dampening, "
        "got momentum=" +
        nn::python_float(momentum) + ", dampening=" + nn::python_float(dampening));
  }
}

ParamState SGD::init_single(const Tensor& parameter) const {
  return zeros_state(parameter, {"v"});  // as MLX, even without momentum
}

void SGD::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  const float lr = learning_rate();
  for_each_slice(parameter.size(), [&](const Slice& slice) {
    auto p = slice(parameter);
    // `g` is the gradient with weight decay added: an expression, evaluated element by element
    // inside each assignment, so no temporary holds it.
    const auto step_with = [&](const auto& g) {
      if (momentum_ <= 0.0f) {
        p -= lr * g;
        return;
      }
      auto v = slice(state[0].value);
      if (dampening_ > 0.0f) {
        v = momentum_ * v + (1.0f - dampening_) * g;
      } else {
        v = momentum_ * v + g;
      }
      if (nesterov_) {
        p -= lr * (g + momentum_ * v);
      } else {
        p -= lr * v;
      }
    };
    if (weight_decay_ != 0.0f) {
      step_with(slice(gradient) + weight_decay_ * p);
    } else {
      step_with(slice(gradient));
    }
  });
}

// ---- RMSprop, Adagrad, AdaDelta -----------------------------------------------------------------

RMSprop::RMSprop(LearningRate learning_rate, float alpha, float eps)
    : PerParameterOptimizer("RMSprop", std::move(learning_rate)), alpha_(alpha), eps_(eps) {
  check("RMSprop", "alpha", alpha, kNonNegative);
  check("RMSprop", "eps", eps, kNonNegative);
}

ParamState RMSprop::init_single(const Tensor& parameter) const {
  return zeros_state(parameter, {"v"});
}

void RMSprop::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  const float lr = learning_rate();
  for_each_slice(parameter.size(), [&](const Slice& slice) {
    const auto g = slice(gradient);
    auto v = slice(state[0].value);
    v = alpha_ * v + (1.0f - alpha_) * g.square();
    slice(parameter) -= lr * g / (v.sqrt() + eps_);
  });
}

Adagrad::Adagrad(LearningRate learning_rate, float eps)
    : PerParameterOptimizer("Adagrad", std::move(learning_rate)), eps_(eps) {
  check("Adagrad", "eps", eps, kNonNegative);
}

ParamState Adagrad::init_single(const Tensor& parameter) const {
  return zeros_state(parameter, {"v"});
}

void Adagrad::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  const float lr = learning_rate();
  for_each_slice(parameter.size(), [&](const Slice& slice) {
    const auto g = slice(gradient);
    auto v = slice(state[0].value);
    v += g.square();
    slice(parameter) -= lr * g / (v.sqrt() + eps_);
  });
}

AdaDelta::AdaDelta(LearningRate learning_rate, float rho, float eps)
    : PerParameterOptimizer("AdaDelta", std::move(learning_rate)), rho_(rho), eps_(eps) {
  check("AdaDelta", "rho", rho, kNonNegative);
  check("AdaDelta", "eps", eps, kNonNegative);
}

ParamState AdaDelta::init_single(const Tensor& parameter) const {
  return zeros_state(parameter, {"v", "u"});
}

void AdaDelta::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  const float lr = learning_rate();
  for_each_slice(parameter.size(), [&](const Slice& slice) {
    const auto g = slice(gradient);
    auto v = slice(state[0].value);
    auto u = slice(state[1].value);
    v = rho_ * v + (1.0f - rho_) * g.square();
    // d reads the old u, so the parameter moves before u does.
    const auto d = (u + eps_).sqrt() / (v + eps_).sqrt() * g;
    slice(parameter) -= lr * d;
    u = rho_ * u + (1.0f - rho_) * d.square();
  });
}

// ---- Adam, AdamW, Adamax ------------------------------------------------------------------------

Adam::Adam(LearningRate learning_rate, Betas betas, float eps, bool bias_correction)
    : Adam("Adam", std::move(learning_rate), betas, eps, bias_correction) {}

Adam::Adam(std::string name, LearningRate learning_rate, Betas betas, float eps,
           bool bias_correction)
    : PerParameterOptimizer(std::move(name), std::move(learning_rate)),
      betas_(betas),
      eps_(eps),
      bias_correction_(bias_correction) {
  check_betas(this->name(), betas);
  check(this->name(), "eps", eps, kNonNegative);
}

ParamState Adam::init_single(const Tensor& parameter) const {
  return zeros_state(parameter, {"m", "v"});
}

void Adam::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  adam_step(gradient, parameter, state, 1.0f);
}

void Adam::adam_step(const Tensor& gradient, Tensor& parameter, ParamState& state, float decay) {
  // Plain floats: lambdas below use them (clang 14 cannot capture structured bindings).
  const float b1 = betas_[0];
  const float b2 = betas_[1];
  const float lr = learning_rate();
  const auto t = static_cast<double>(step());
  for_each_slice(parameter.size(), [&](const Slice& slice) {
    const auto g = slice(gradient);
    auto p = slice(parameter);
    auto m = slice(state[0].value);
    auto v = slice(state[1].value);
    m = b1 * m + (1.0f - b1) * g;
    v = b2 * v + (1.0f - b2) * g.square();
    // The decayed parameter is an expression too: one pass writes the final value.
    const auto write = [&](const auto& step) {
      if (decay != 1.0f) {
        p = p * decay - step;
      } else {
        p -= step;
      }
    };
    if (bias_correction_) {
      const float c1 = lr / (1.0f - power(b1, t));
      const float c2 = 1.0f / std::sqrt(1.0f - power(b2, t));
      write(c1 * m / (v.sqrt() * c2 + eps_));
    } else {
      write(lr * m / (v.sqrt() + eps_));
    }
  });
}

AdamW::AdamW(LearningRate learning_rate, Betas betas, float eps, float weight_decay,
             bool bias_correction)
    : Adam("AdamW", std::move(learning_rate), betas, eps, bias_correction),
      weight_decay_(weight_decay) {}

void AdamW::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  adam_step(gradient, parameter, state, 1.0f - learning_rate() * weight_decay_);
}

Adamax::Adamax(LearningRate learning_rate, Betas betas, float eps)
    : Adam("Adamax", std::move(learning_rate), betas, eps, /*bias_correction=*/false) {}

void Adamax::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  const float b1 = betas()[0];
  const float b2 = betas()[1];
  const float lr = learning_rate();
  const float epsilon = eps();
  for_each_slice(parameter.size(), [&](const Slice& slice) {
    const auto g = slice(gradient);
    auto m = slice(state[0].value);
    auto v = slice(state[1].value);
    m = b1 * m + (1.0f - b1) * g;
    v = (b2 * v).max(g.abs());
    slice(parameter) -= lr * m / (v + epsilon);
  });
}

// ---- Lion ---------------------------------------------------------------------------------------

Lion::Lion(LearningRate learning_rate, Betas betas, float weight_decay)
    : PerParameterOptimizer("Lion", std::move(learning_rate)),
      betas_(betas),
      weight_decay_(weight_decay) {
  check_betas("Lion", betas);
}

ParamState Lion::init_single(const Tensor& parameter) const {
  return zeros_state(parameter, {"m"});
}

void Lion::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  // Plain floats: lambdas below use them (clang 14 cannot capture structured bindings).
  const float b1 = betas_[0];
  const float b2 = betas_[1];
  const float lr = learning_rate();
  for_each_slice(parameter.size(), [&](const Slice& slice) {
    const auto g = slice(gradient);
    auto p = slice(parameter);
    auto m = slice(state[0].value);
    // c reads the old m, so the parameter moves before m does.
    const auto c = b1 * m + (1.0f - b1) * g;
    if (weight_decay_ > 0.0f) {
      p = (1.0f - lr * weight_decay_) * p - lr * c.sign();
    } else {
      p -= lr * c.sign();
    }
    m = b2 * m + (1.0f - b2) * g;
  });
}

// ---- Adafactor ----------------------------------------------------------------------------------

Adafactor::Adafactor(std::optional<LearningRate> learning_rate, std::array<float, 2> eps,
                     float clip_threshold, float decay_rate, std::optional<float> beta_1,
                     float weight_decay, bool scale_parameter, bool relative_step, bool warmup_init)
    : PerParameterOptimizer("Adafactor", std::move(learning_rate)),
      eps_(eps),
      clip_threshold_(clip_threshold),
      decay_rate_(decay_rate),
      beta_1_(beta_1),
      weight_decay_(weight_decay),
      scale_parameter_(scale_parameter),
      relative_step_(relative_step),
      warmup_init_(warmup_init) {
  if (!relative_step && !learning_rate) {
    throw ValueError("[Adafactor] a learning_rate is required when relative_step is false");
  }
  check("Adafactor", "eps[0]", eps[0], kNonNegative);
  check("Adafactor", "eps[1]", eps[1], kNonNegative);
  check("Adafactor", "clip_threshold", clip_threshold, kPositive);
  if (beta_1) check("Adafactor", "beta_1", *beta_1, kUnitInterval);
}

ParamState Adafactor::init_single(const Tensor& parameter) const {
  ParamState state;
  const Shape& shape = parameter.shape();
  if (parameter.ndim() >= 2) {
    Shape rows = shape;
    rows.erase(shape.ndim() - 1);
    Shape cols = shape;
    cols.erase(shape.ndim() - 2);
    state.push_back({"exp_avg_sq_row", zeros(rows)});
    state.push_back({"exp_avg_sq_col", zeros(cols)});
  } else {
    state.push_back({"exp_avg_sq", zeros(shape)});
  }
  if (beta_1_) state.push_back({"exp_avg", zeros(shape)});
  return state;
}

float Adafactor::step_size(float parameter_rms) const {
  const auto t = static_cast<double>(step());
  const float relative =
      relative_step_
          ? static_cast<float>(std::min(warmup_init_ ? 1e-6 * t : 1e-2, 1.0 / std::sqrt(t)))
          : learning_rate();
  return scale_parameter_ ? std::max(eps_[1], parameter_rms) * relative : relative;
}

void Adafactor::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  const auto size = static_cast<double>(parameter.size());
  const float alpha =
      step_size(static_cast<float>(std::sqrt(as_array(parameter).square().sum() / size)));
  const float beta_2 = 1.0f - power(static_cast<float>(step()), decay_rate_);
  const float eps1 = eps_[0];

  // Parameters are handled as blocks of [rows, cols] (the last two axes); a parameter of fewer
  // than two dimensions is one block of one row.
  const bool factored = parameter.ndim() >= 2;
  const int64_t rows = factored ? parameter.dim(-2) : 1;
  const int64_t cols = factored ? parameter.dim(-1) : parameter.size();
  const int64_t block_size = rows * cols;
  const int64_t blocks = block_size == 0 ? 0 : parameter.size() / block_size;
  const float* g = gradient.data();

  if (factored) {
    factors_.resize(std::max(factors_.size(), static_cast<size_t>(blocks * (rows + cols))));
    for (int64_t b = 0; b < blocks; ++b) {
      const ConstBlock G(g + b * block_size, rows, cols);
      Vector row(state[0].value.data() + b * rows, rows);
      Vector col(state[1].value.data() + b * cols, cols);
      row = beta_2 * row + (1.0f - beta_2) * (G.square() + eps1).rowwise().mean();
      col = beta_2 * col + (1.0f - beta_2) * (G.square() + eps1).colwise().mean().transpose();
      Vector(factors_.data() + b * rows, rows) = (row / row.mean()).rsqrt();
      Vector(factors_.data() + blocks * rows + b * cols, cols) = col.rsqrt();
    }
  } else {
    auto v = as_array(state[0].value);
    v = beta_2 * v + (1.0f - beta_2) * (as_array(gradient).square() + eps1);
  }

  // The unclipped update of each block, as an expression: computed twice (for its RMS, then
  // for the step) rather than stored.
  const auto for_each_update = [&](const auto& visit) {
    for (int64_t b = 0; b < blocks; ++b) {
      const ConstBlock G(g + b * block_size, rows, cols);
      if (factored) {
        const ConstVector row_factor(factors_.data() + b * rows, rows);
        const ConstVector col_factor(factors_.data() + blocks * rows + b * cols, cols);
        visit(b, (G.colwise() * row_factor).rowwise() * col_factor.transpose());
      } else {
        const ConstBlock v(state[0].value.data(), rows, cols);
        visit(b, v.rsqrt() * G);
      }
    }
  };
  double sum_of_squares = 0.0;
  for_each_update([&](int64_t, const auto& u) { sum_of_squares += u.square().sum(); });
  const auto rms = static_cast<float>(std::sqrt(sum_of_squares / size));
  const float divisor = std::max(1.0f, rms / clip_threshold_);
  const float decay = -weight_decay_ * alpha;
  float* p = parameter.data();
  const auto write = [&](Block& P, const auto& step) {
    if (weight_decay_ != 0.0f) {
      P = (P + P * decay) - step;
    } else {
      P -= step;
    }
  };
  for_each_update([&](int64_t b, const auto& u) {
    Block P(p + b * block_size, rows, cols);
    if (beta_1_) {
      const float b1 = *beta_1_;
      Block average(state.back().value.data() + b * block_size, rows, cols);
      average = b1 * average + (1.0f - b1) * (alpha * (u / divisor));
      write(P, average);
    } else {
      write(P, alpha * (u / divisor));
    }
  });
}

// ---- Muon ---------------------------------------------------------------------------------------

Muon::Muon(LearningRate learning_rate, float momentum, float weight_decay, bool nesterov,
           int ns_steps)
    : PerParameterOptimizer("Muon", std::move(learning_rate)),
      momentum_(momentum),
      weight_decay_(weight_decay),
      nesterov_(nesterov),
      ns_steps_(ns_steps) {
  if (ns_steps < 0) {
    throw ValueError("[Muon] ns_steps must be non-negative, got " + std::to_string(ns_steps));
  }
}

ParamState Muon::init_single(const Tensor& parameter) const {
  return zeros_state(parameter, {"v"});
}

void Muon::apply_single(const Tensor& gradient, Tensor& parameter, ParamState& state) {
  auto p = as_array(parameter);
  auto v = as_array(state[0].value);
  const float mu = momentum_;
  const float lr = learning_rate();
  const auto step_with = [&](const auto& g) {
    v = mu * v + (1.0f - mu) * g;
    if (parameter.ndim() < 2) {
      if (nesterov_) {
        p -= lr * (g * (1.0f - mu) + v * mu);
      } else {
        p -= lr * v;
      }
      return;
    }
    if (parameter.size() == 0) return;
    // The update as a [shape[0], rest] matrix, orthogonalized with the wider side last.
    const int64_t rows = parameter.dim(0);
    const int64_t cols = parameter.size() / rows;
    const bool transposed = rows > cols;
    const int64_t r = transposed ? cols : rows;
    const int64_t c = transposed ? rows : cols;
    workspace_.resize(std::max(workspace_.size(), static_cast<size_t>(2 * r * c + 2 * r * r)));
    float* x = workspace_.data();
    float* next = x + r * c;
    float* gram = next + r * c;
    float* poly = gram + r * r;
    Eigen::Map<Eigen::ArrayXf> update(next, parameter.size());
    if (nesterov_) {
      update = g * (1.0f - mu) + v * mu;
    } else {
      update = v;
    }
    const float scale = 1.0f / (update.matrix().norm() + 1e-7f);
    const MatrixMap raw(next, rows, cols);
    if (transposed) {
      MatrixMap(x, r, c) = raw.transpose() * scale;
    } else {
      MatrixMap(x, r, c) = raw * scale;
    }
    newton_schulz(x, next, gram, poly, r, c);
    // The learning rate scales with the parameter's own last two dimensions (MLX).
    const double aspect =
        static_cast<double>(parameter.dim(-2)) / static_cast<double>(parameter.dim(-1));
    const auto scaled_lr = static_cast<float>(lr * std::sqrt(std::max(1.0, aspect)));
    MatrixMap P(parameter.data(), rows, cols);
    if (transposed) {
      P -= scaled_lr * MatrixMap(x, r, c).transpose();
    } else {
      P -= scaled_lr * MatrixMap(x, r, c);
    }
  };
  if (weight_decay_ != 0.0f) {
    step_with(as_array(gradient) + weight_decay_ * p);
  } else {
    step_with(as_array(gradient));
  }
}

void Muon::newton_schulz(float*& x, float*& next, float* gram, float* poly, int64_t r,
                         int64_t c) const {
  constexpr float a = 3.4445f, b = -4.7750f, c5 = 2.0315f;
  for (int s = 0; s < ns_steps_; ++s) {
    // A = X Xᵀ; B = b·A + c·A·A; X = a·X + B·X.
    detail::gemm(false, true, r, r, c, 1.0f, x, c, x, c, 0.0f, gram, r);
    MatrixMap(poly, r, r) = b * MatrixMap(gram, r, r);
    detail::gemm(false, false, r, r, r, c5, gram, r, gram, r, 1.0f, poly, r);
    MatrixMap(next, r, c) = a * MatrixMap(x, r, c);
    detail::gemm(false, false, r, c, r, 1.0f, poly, r, x, c, 1.0f, next, c);
    std::swap(x, next);
  }
}

// ---- MultiOptimizer -----------------------------------------------------------------------------

MultiOptimizer::MultiOptimizer(std::vector<std::shared_ptr<Optimizer>> optimizers,
                               std::vector<ParameterFilter> filters)
    : Optimizer("MultiOptimizer"),
      optimizers_(std::move(optimizers)),
      filters_(std::move(filters)) {
  if (optimizers_.empty()) throw ValueError("[MultiOptimizer] needs at least one optimizer");
  if (filters_.size() != optimizers_.size() - 1) {
    throw ValueError("[MultiOptimizer] given " + std::to_string(filters_.size()) + " filters but " +
                     std::to_string(optimizers_.size() - 1) + " needed");
  }
  std::set<const Optimizer*> seen;
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    if (!optimizers_[i]) {
      throw ValueError("[MultiOptimizer] optimizers[" + std::to_string(i) + "] is empty");
    }
    if (!seen.insert(optimizers_[i].get()).second) {
      throw ValueError("[MultiOptimizer] optimizers[" + std::to_string(i) +
                       "] is already in the list (each would step twice)");
    }
  }
  for (size_t i = 0; i < filters_.size(); ++i) {
    if (!filters_[i]) {
      throw ValueError("[MultiOptimizer] filters[" + std::to_string(i) + "] is empty");
    }
  }
}

void MultiOptimizer::route(const TensorMap& gradients) {
  const size_t n = gradients.size();
  routes_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    size_t k = 0;
    while (k < filters_.size() && !filters_[k](gradients.name_at(i), gradients.value_at(i))) ++k;
    routes_[i] = k;
  }
  if (!part_keys_.empty() && gradients.key_table() == routed_keys_ && routes_ == routed_) return;
  const size_t m = optimizers_.size();
  std::vector<std::shared_ptr<TensorMap::Keys>> tables(m);
  for (auto& table : tables) table = std::make_shared<TensorMap::Keys>();
  part_positions_.assign(m, {});
  for (size_t i = 0; i < n; ++i) {
    TensorMap::Keys& table = *tables[routes_[i]];
    table.index.emplace(gradients.name_at(i), table.names.size());
    table.names.push_back(gradients.name_at(i));
    part_positions_[routes_[i]].push_back(i);
  }
  part_keys_.assign(tables.begin(), tables.end());
  routed_ = routes_;
  routed_keys_ = gradients.key_table();
}

TensorMap MultiOptimizer::apply_gradients(const TensorMap& gradients, const TensorMap& parameters) {
  // Every name and shape is checked before any optimizer steps, so that an error changes
  // nothing.
  const size_t n = gradients.size();
  const bool same = parameters.same_keys(gradients);
  for (size_t i = 0; i < n; ++i) {
    const std::string& key = gradients.name_at(i);
    const Tensor* parameter = same ? &parameters.value_at(i) : parameters.find(key);
    if (!parameter) {
      throw KeyError("[MultiOptimizer] no parameter named \"" + key + "\" for its gradient");
    }
    const Tensor& gradient = gradients.value_at(i);
    if (!gradient.defined() || !parameter->defined() || gradient.shape() != parameter->shape()) {
      throw ShapeError("[MultiOptimizer] gradient \"" + key + "\" does not match its parameter");
    }
  }
  route(gradients);
  std::vector<Tensor> updated(n);
  for (size_t k = 0; k < optimizers_.size(); ++k) {
    const std::vector<size_t>& positions = part_positions_[k];
    std::vector<Tensor> part;
    part.reserve(positions.size());
    for (size_t i : positions) part.push_back(gradients.value_at(i));
    // Called even with no gradients, so that every optimizer's step advances (as in MLX).
    const TensorMap result =
        optimizers_[k]->apply_gradients(TensorMap(part_keys_[k], std::move(part)), parameters);
    for (size_t j = 0; j < positions.size(); ++j) updated[positions[j]] = result.value_at(j);
  }
  return TensorMap(gradients.key_table(), std::move(updated));
}

TensorMap MultiOptimizer::state() const {
  TensorMap out;
  for (size_t k = 0; k < optimizers_.size(); ++k) {
    const std::string prefix = "states." + std::to_string(k) + ".";
    for (const auto& [key, value] : optimizers_[k]->state()) {
      out.insert_or_assign(prefix + key, value);
    }
  }
  return out;
}

void MultiOptimizer::load_state(const TensorMap& state) {
  const size_t m = optimizers_.size();
  std::vector<TensorMap> parts(m);
  for (const auto& [key, value] : state) {
    // "states.<k>.<entry>"
    constexpr std::string_view prefix = "states.";
    const size_t dot = key.find('.', prefix.size());
    size_t k = m;
    if (key.starts_with(prefix) && dot != std::string::npos && dot > prefix.size()) {
      const std::string index = key.substr(prefix.size(), dot - prefix.size());
      if (index.find_first_not_of("0123456789") == std::string::npos && index.size() < 6) {
        k = static_cast<size_t>(std::stoul(index));
      }
    }
    if (k >= m) {
      throw KeyError("[MultiOptimizer] state entry \"" + key +
                     "\" is not states.<i>.<entry> for i < " + std::to_string(m));
    }
    parts[k].insert_or_assign(key.substr(dot + 1), value);
  }
  // Each optimizer checks its own part; if one refuses, those already loaded get their
  // previous state back, so that a failed load changes nothing.
  std::vector<TensorMap> previous;
  previous.reserve(m);
  for (const auto& optimizer : optimizers_) previous.push_back(optimizer->state());
  for (size_t k = 0; k < m; ++k) {
    try {
      optimizers_[k]->load_state(parts[k]);
    } catch (...) {
      for (size_t j = 0; j < k; ++j) optimizers_[j]->load_state(previous[j]);
      throw;
    }
  }
}

void MultiOptimizer::set_learning_rate(LearningRate learning_rate) {
  for (const auto& optimizer : optimizers_) optimizer->set_learning_rate(learning_rate);
}

}  // namespace minnow::optim
