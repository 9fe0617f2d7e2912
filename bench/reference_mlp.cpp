#include "reference_mlp.hpp"

#include <algorithm>
#include <stdexcept>

#ifdef MINNOW_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace minnow::bench {

namespace {

using Index = Eigen::Index;
using ConstRowVectorMap = Eigen::Map<const Eigen::RowVectorXf>;
using RowVectorMap = Eigen::Map<Eigen::RowVectorXf>;

enum class Op { none, transpose };

// Products of more than this many multiply-adds go to OpenBLAS, as the library's do, so that
// the small, medium and large MLPs run every product on the same kernel on both sides; smaller
// ones are Eigen's products, as in any hand-written Eigen program. (The library runs products
// of at most 256 multiply-adds, all of the tiny MLP's, in its own small-matrix loops, and those
// between 256 and 16K through OpenBLAS; none of the benchmark's products falls in between.)
constexpr Index kSmallProduct = 16 * 1024;

// c [m, n] = op(a) * op(b) with Eigen's kernels.
void eigen_gemm(Op op_a, Op op_b, Index m, Index n, Index k, const float* a, const float* b,
                float* c) {
  const ConstMatrixMap a_map(a, op_a == Op::none ? m : k, op_a == Op::none ? k : m);
  const ConstMatrixMap b_map(b, op_b == Op::none ? k : n, op_b == Op::none ? n : k);
  MatrixMap c_map(c, m, n);
  if (op_a == Op::none && op_b == Op::none) {
    c_map.noalias() = a_map * b_map;
  } else if (op_a == Op::none) {
    c_map.noalias() = a_map * b_map.transpose();
  } else if (op_b == Op::none) {
    c_map.noalias() = a_map.transpose() * b_map;
  } else {
    c_map.noalias() = a_map.transpose() * b_map.transpose();
  }
}

// c [m, n] = op(a) * op(b), all row-major, k the inner dimension.
void gemm(Op op_a, Op op_b, Index m, Index n, Index k, const float* a, const float* b, float* c) {
#ifdef MINNOW_BENCH_HAVE_OPENBLAS
  if (m * n * k > kSmallProduct) {
    const auto blas_op = [](Op op) { return op == Op::none ? CblasNoTrans : CblasTrans; };
    cblas_sgemm(CblasRowMajor, blas_op(op_a), blas_op(op_b), static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(op_a == Op::none ? k : m), b,
                static_cast<int>(op_b == Op::none ? n : k), 0.0f, c, static_cast<int>(n));
    return;
  }
#endif
  eigen_gemm(op_a, op_b, m, n, k, a, b, c);
}

// delta = 0 wherever the ReLU's output is 0. A plain loop, because the compiler turns it into
// branch-free vector code, while Eigen 3.4 evaluates select() and comparisons one element at a
// time, with a branch that mispredicts on every other element: 9 times slower on this step.
void mask_by_relu(const RowMajorMatrix& relu_output, RowMajorMatrix& delta) {
  const float* output = relu_output.data();
  float* d = delta.data();
  const Index size = delta.size();
  for (Index i = 0; i < size; ++i) d[i] = output[i] > 0.0f ? d[i] : 0.0f;
}

// Adam's state update and step over a block at a time, so that the three sweeps Eigen makes
// (m, v, then p) find their operands in L1 instead of streaming the whole vectors three times.
constexpr Index kAdamBlock = 2048;

}  // namespace

BlasThreadsScope::BlasThreadsScope([[maybe_unused]] int threads) {
#ifdef MINNOW_BENCH_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
}

BlasThreadsScope::~BlasThreadsScope() {
#ifdef MINNOW_BENCH_HAVE_OPENBLAS
  openblas_set_num_threads(1);
#endif
}

ReferenceMlp::ReferenceMlp(const MlpConfig& config) : batch_(config.batch) {
  const std::array<Index, kLayers + 1> widths{config.in, config.hidden, config.hidden, config.out};
  Index offset = 0;
  for (int l = 0; l < kLayers; ++l) {
    Layer& layer = layers_[static_cast<size_t>(l)];
    layer.in = widths[static_cast<size_t>(l)];
    layer.out = widths[static_cast<size_t>(l) + 1];
    layer.weight_offset = offset;
    layer.bias_offset = offset + layer.in * layer.out;
    offset = layer.bias_offset + layer.out;
    layer.activation.resize(batch_, layer.out);
    layer.delta.resize(batch_, layer.out);
  }
  parameters_.setZero(offset);
  gradients_.setZero(offset);
  adam_m_.setZero(offset);
  adam_v_.setZero(offset);
}

void ReferenceMlp::set_layer(int layer, std::span<const float> weight,
                             std::span<const float> bias) {
  const Layer& target = layers_.at(static_cast<size_t>(layer));
  if (static_cast<Index>(weight.size()) != target.in * target.out ||
      static_cast<Index>(bias.size()) != target.out) {
    throw std::invalid_argument("[ReferenceMlp] layer parameters have the wrong size");
  }
  std::copy(weight.begin(), weight.end(), parameters_.data() + target.weight_offset);
  std::copy(bias.begin(), bias.end(), parameters_.data() + target.bias_offset);
}

std::span<const float> ReferenceMlp::forward(const float* x) {
  const float* input = x;
  for (int l = 0; l < kLayers; ++l) {
    Layer& layer = layers_[static_cast<size_t>(l)];
    // activation = input @ weight.T, then bias (and ReLU) in one pass over the result.
    gemm(Op::none, Op::transpose, batch_, layer.out, layer.in, input,
         parameters_.data() + layer.weight_offset, layer.activation.data());
    const ConstRowVectorMap bias(parameters_.data() + layer.bias_offset, layer.out);
    if (l + 1 < kLayers) {
      layer.activation.array() = (layer.activation.array().rowwise() + bias.array()).max(0.0f);
    } else {
      layer.activation.rowwise() += bias;
    }
    input = layer.activation.data();
  }
  const RowMajorMatrix& output = layers_.back().activation;
  return {output.data(), static_cast<size_t>(output.size())};
}

float ReferenceMlp::loss(const float* x, const float* target) {
  return forward_with_loss_gradient(x, target);
}

float ReferenceMlp::forward_with_loss_gradient(const float* x, const float* target) {
  forward(x);
  Layer& last = layers_.back();
  const ConstMatrixMap target_map(target, batch_, last.out);
  const auto count = static_cast<float>(last.activation.size());
  last.delta.noalias() = last.activation - target_map;
  const float loss = last.delta.squaredNorm() / count;
  last.delta *= 2.0f / count;  // d mean((y - t)^2) / dy
  return loss;
}

void ReferenceMlp::backward(const float* x) {
  for (int l = kLayers - 1; l >= 0; --l) {
    Layer& layer = layers_[static_cast<size_t>(l)];
    const float* input = l == 0 ? x : layers_[static_cast<size_t>(l) - 1].activation.data();
    // d weight = delta.T @ input; d bias = column sums of delta.
    gemm(Op::transpose, Op::none, layer.out, layer.in, batch_, layer.delta.data(), input,
         gradients_.data() + layer.weight_offset);
    RowVectorMap(gradients_.data() + layer.bias_offset, layer.out).noalias() =
        layer.delta.colwise().sum();
    if (l == 0) break;  // no gradient for the data
    // d input = delta @ weight, then through the previous layer's ReLU: its output is positive
    // exactly where its input was.
    Layer& previous = layers_[static_cast<size_t>(l) - 1];
    gemm(Op::none, Op::none, batch_, layer.in, layer.out, layer.delta.data(),
         parameters_.data() + layer.weight_offset, previous.delta.data());
    mask_by_relu(previous.activation, previous.delta);
  }
}

float ReferenceMlp::sgd_step(const float* x, const float* target, float learning_rate) {
  const float loss = forward_with_loss_gradient(x, target);
  backward(x);
  parameters_.noalias() -= learning_rate * gradients_;
  return loss;
}

float ReferenceMlp::adam_step(const float* x, const float* target, float learning_rate) {
  const float loss = forward_with_loss_gradient(x, target);
  backward(x);
  const Index size = parameters_.size();
  for (Index start = 0; start < size; start += kAdamBlock) {
    const Index length = std::min(kAdamBlock, size - start);
    const auto g = gradients_.segment(start, length).array();
    auto m = adam_m_.segment(start, length).array();
    auto v = adam_v_.segment(start, length).array();
    m = kAdamBeta1 * m + (1.0f - kAdamBeta1) * g;
    v = kAdamBeta2 * v + (1.0f - kAdamBeta2) * g.square();
    parameters_.segment(start, length).array() -= learning_rate * m / (v.sqrt() + kAdamEps);
  }
  return loss;
}

}  // namespace minnow::bench
