#include "minnow/nn/init.hpp"

#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "minnow/core/eigen.hpp"
#include "minnow/nn/format.hpp"

namespace minnow::nn::init {

namespace {

random::Generator& generator(random::Generator* gen) {
  return gen ? *gen : random::default_generator();
}

void check_matrix(const Tensor& a, const char* op) {
  if (a.ndim() != 2) {
    throw ValueError("[" + std::string(op) +
                     "] only 2-dimensional tensors are supported, got shape " +
                     a.shape().to_string());
  }
}

int64_t select_fan(const Shape& shape, const std::string& mode) {
  const auto [fan_in, fan_out] = fan_in_fan_out(shape);
  if (mode == "fan_in") return fan_in;
  if (mode == "fan_out") return fan_out;
  throw ValueError("[he] invalid mode '" + mode + "': valid modes are 'fan_in' and 'fan_out'");
}

}  // namespace

std::pair<int64_t, int64_t> fan_in_fan_out(const Shape& shape) {
  if (shape.ndim() < 2) {
    throw ValueError("[init] Glorot and He initialization need at least 2 dimensions, got shape " +
                     shape.to_string());
  }
  int64_t receptive_field = 1;
  for (int i = 1; i < shape.ndim() - 1; ++i) receptive_field *= shape[i];
  return {shape[shape.ndim() - 1] * receptive_field, shape[0] * receptive_field};
}

Initializer constant(float value) {
  return [value](const Tensor& a) { return full(a.shape(), value); };
}

Initializer normal(float mean, float stddev, random::Generator* gen) {
  return [=](const Tensor& a) { return random::normal(a.shape(), mean, stddev, &generator(gen)); };
}

Initializer uniform(float low, float high, random::Generator* gen) {
  return [=](const Tensor& a) { return random::uniform(a.shape(), low, high, &generator(gen)); };
}

Initializer identity() {
  return [](const Tensor& a) {
    if (a.ndim() != 2 || a.dim(0) != a.dim(1)) {
      throw ValueError("[identity] the tensor must be a square matrix, got shape " +
                       a.shape().to_string());
    }
    return eye(a.dim(0));
  };
}

Tensor GlorotInitializer::operator()(const Tensor& a, float gain) const {
  const auto [fan_in, fan_out] = fan_in_fan_out(a.shape());
  const double fans = static_cast<double>(fan_in + fan_out);
  if (uniform_) {
    const auto limit = static_cast<float>(gain * std::sqrt(6.0 / fans));
    return random::uniform(a.shape(), -limit, limit, &generator(gen_));
  }
  const auto stddev = static_cast<float>(gain * std::sqrt(2.0 / fans));
  return random::normal(a.shape(), 0.0f, stddev, &generator(gen_));
}

GlorotInitializer glorot_normal(random::Generator* gen) {
  return {false, gen};
}
GlorotInitializer glorot_uniform(random::Generator* gen) {
  return {true, gen};
}

Tensor HeInitializer::operator()(const Tensor& a, const std::string& mode, float gain) const {
  const auto fan = static_cast<double>(select_fan(a.shape(), mode));
  if (uniform_) {
    const auto limit = static_cast<float>(gain * std::sqrt(3.0 / fan));
    return random::uniform(a.shape(), -limit, limit, &generator(gen_));
  }
  const auto stddev = static_cast<float>(gain / std::sqrt(fan));
  return random::normal(a.shape(), 0.0f, stddev, &generator(gen_));
}

HeInitializer he_normal(random::Generator* gen) {
  return {false, gen};
}
HeInitializer he_uniform(random::Generator* gen) {
  return {true, gen};
}

Initializer sparse(float sparsity, float mean, float stddev, random::Generator* gen) {
  if (!(sparsity >= 0.0f && sparsity <= 1.0f)) {
    throw ValueError("[sparse] sparsity must be in [0, 1], got " + python_float(sparsity));
  }
  return [=](const Tensor& a) {
    check_matrix(a, "sparse");
    random::Generator& g = generator(gen);
    const int64_t rows = a.dim(0), cols = a.dim(1);
    const auto num_zeros = static_cast<int64_t>(std::ceil(static_cast<double>(sparsity) * cols));
    Tensor out = random::normal(a.shape(), mean, stddev, &g);
    auto values = as_matrix(out, rows, cols);
    std::vector<int64_t> columns(static_cast<size_t>(cols));
    for (int64_t row = 0; row < rows; ++row) {
      // A partial Fisher-Yates shuffle picks num_zeros distinct columns.
      std::iota(columns.begin(), columns.end(), 0);
      for (int64_t i = 0; i < num_zeros; ++i) {
        const auto j = i + static_cast<int64_t>(g.next_below(static_cast<uint64_t>(cols - i)));
        std::swap(columns[static_cast<size_t>(i)], columns[static_cast<size_t>(j)]);
        values(row, columns[static_cast<size_t>(i)]) = 0.0f;
      }
    }
    return out;
  };
}

Initializer orthogonal(float gain, random::Generator* gen) {
  return [=](const Tensor& a) {
    check_matrix(a, "orthogonal");
    const int64_t rows = a.dim(0), cols = a.dim(1);
    const int64_t n = std::max(rows, cols);
    const Tensor square = random::normal({n, n}, 0.0f, 1.0f, &generator(gen));
    const Eigen::MatrixXd m = as_matrix(square, n, n).cast<double>();
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(m);
    Eigen::MatrixXd q = qr.householderQ();
    // Fixing the signs by diag(R) makes the decomposition unique (and Q Haar-distributed).
    const Eigen::VectorXd diagonal = qr.matrixQR().diagonal();
    for (int64_t j = 0; j < n; ++j) {
      if (diagonal(j) < 0) q.col(j) *= -1.0;
    }
    Tensor out = Tensor::empty({rows, cols});
    as_matrix(out, rows, cols) = (q.topLeftCorner(rows, cols) * gain).cast<float>();
    return out;
  };
}

}  // namespace minnow::nn::init
