#include "minnow/nn/layers.hpp"

#include <cmath>

#include "minnow/core/eigen.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "minnow/nn/format.hpp"

namespace minnow::nn {

namespace {

void check_positive(int64_t dims, const char* name, const char* layer) {
  if (dims <= 0) {
    throw ValueError("[" + std::string(layer) + "] " + name + " must be positive, got " +
                     std::to_string(dims));
  }
}

// U(-k, k) with k = 1/sqrt(fan_in): MLX's default for Linear and Bilinear, bias included.
Tensor uniform_init(const Shape& shape, int64_t fan_in) {
  const auto k = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in)));
  return random::uniform(shape, -k, k);
}

const Tensor& no_tensor() {
  static const Tensor empty;
  return empty;
}

}  // namespace

// ---- Identity -----------------------------------------------------------------------------------

json Identity::config() const {
  return {{"type", "Identity"}};
}

// ---- Linear -------------------------------------------------------------------------------------

Linear::Linear(int64_t input_dims, int64_t output_dims, bool bias)
    : input_dims_(input_dims), output_dims_(output_dims) {
  check_positive(input_dims, "input_dims", "Linear");
  check_positive(output_dims, "output_dims", "Linear");
  weight_ = register_parameter("weight", uniform_init({output_dims, input_dims}, input_dims));
  if (bias) bias_ = register_parameter("bias", uniform_init({output_dims}, input_dims));
}

const Tensor& Linear::bias() const {
  return bias_ ? param_at(*bias_) : no_tensor();
}

Tensor Linear::forward(const Tensor& x) {
  return linear(x, weight(), bias());
}

json Linear::config() const {
  return {{"type", "Linear"},
          {"input_dims", input_dims_},
          {"output_dims", output_dims_},
          {"bias", has_bias()}};
}

std::string Linear::extra_repr() const {
  return "input_dims=" + std::to_string(input_dims_) +
         ", output_dims=" + std::to_string(output_dims_) + ", bias=" + python_bool(has_bias());
}

// ---- Bilinear -----------------------------------------------------------------------------------

Bilinear::Bilinear(int64_t input1_dims, int64_t input2_dims, int64_t output_dims, bool bias)
    : input1_dims_(input1_dims), input2_dims_(input2_dims), output_dims_(output_dims) {
  check_positive(input1_dims, "input1_dims", "Bilinear");
  check_positive(input2_dims, "input2_dims", "Bilinear");
  check_positive(output_dims, "output_dims", "Bilinear");
  weight_ = register_parameter("weight",
                               uniform_init({output_dims, input2_dims, input1_dims}, input1_dims));
  if (bias) bias_ = register_parameter("bias", uniform_init({output_dims}, input1_dims));
}

const Tensor& Bilinear::bias() const {
  return bias_ ? param_at(*bias_) : no_tensor();
}

Tensor Bilinear::forward(const Tensor& x1, const Tensor& x2) {
  Shape leading = x1.shape();
  Shape leading2 = x2.shape();
  if (leading.ndim() > 0) leading.erase(leading.ndim() - 1);
  if (leading2.ndim() > 0) leading2.erase(leading2.ndim() - 1);
  if (x1.ndim() == 0 || x2.ndim() == 0 || x1.dim(-1) != input1_dims_ ||
      x2.dim(-1) != input2_dims_ || leading != leading2) {
    throw ShapeError("[Bilinear] inputs of shapes " + x1.shape().to_string() + " and " +
                     x2.shape().to_string() +
                     " do not fit input1_dims=" + std::to_string(input1_dims_) +
                     ", input2_dims=" + std::to_string(input2_dims_));
  }
  // One matrix product gives x1 W_i^T for every output i at once: [N, out * in2]. The bilinear
  // form is then its dot product with x2 along in2.
  const Tensor flat_weight = reshape(weight(), {output_dims_ * input2_dims_, input1_dims_});
  const Tensor projected = linear(reshape(x1, {-1, input1_dims_}), flat_weight);
  const Tensor per_output = reshape(projected, {-1, output_dims_, input2_dims_});
  Tensor y = sum(per_output * reshape(x2, {-1, 1, input2_dims_}), -1);
  if (bias_) y = y + bias();
  leading.push_back(output_dims_);
  return reshape(y, leading);
}

Tensor Bilinear::forward(const Tensor& x) {
  if (x.ndim() == 0 || x.dim(-1) != input1_dims_ + input2_dims_) {
    throw ShapeError("[Bilinear] a single input must be [..., input1_dims + input2_dims] = [..., " +
                     std::to_string(input1_dims_ + input2_dims_) + "], got " +
                     x.shape().to_string());
  }
  const auto parts = split(x, std::vector<int64_t>{input1_dims_}, -1);
  return forward(parts[0], parts[1]);
}

json Bilinear::config() const {
  return {{"type", "Bilinear"},
          {"input1_dims", input1_dims_},
          {"input2_dims", input2_dims_},
          {"output_dims", output_dims_},
          {"bias", has_bias()}};
}

std::string Bilinear::extra_repr() const {
  return "input1_dims=" + std::to_string(input1_dims_) +
         ", input2_dims=" + std::to_string(input2_dims_) +
         ", output_dims=" + std::to_string(output_dims_) + ", bias=" + python_bool(has_bias());
}

// ---- Sequential ---------------------------------------------------------------------------------

Sequential::Sequential(std::initializer_list<ModulePtr> layers) {
  for (const ModulePtr& layer : layers) append(layer);
}

Sequential::Sequential(std::vector<ModulePtr> layers) {
  for (ModulePtr& layer : layers) append(std::move(layer));
}

Sequential& Sequential::append(ModulePtr layer) {
  register_module("layers." + std::to_string(size_), std::move(layer));
  ++size_;
  return *this;
}

Module& Sequential::operator[](size_t i) const {
  if (i >= size_) {
    throw IndexError("[Sequential] layer " + std::to_string(i) + " out of range for " +
                     std::to_string(size_) + " layers");
  }
  return child_at(i);
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (size_t i = 0; i < size_; ++i) y = child_at(i).forward(y);
  return y;
}

json Sequential::config() const {
  json layers = json::array();
  for (size_t i = 0; i < size_; ++i) layers.push_back(child_at(i).config());
  return {{"type", "Sequential"}, {"layers", std::move(layers)}};
}

// ---- Dropout ------------------------------------------------------------------------------------

Dropout::Dropout(float p) : p_(p) {
  if (!(p >= 0.0f && p < 1.0f)) {
    throw ValueError("[Dropout] p must be in [0, 1), got " + python_float(p));
  }
}

Tensor Dropout::forward(const Tensor& x) {
  if (!training() || p_ == 0.0f) return x;
  const float keep = 1.0f - p_;
  // The mask carries the 1/(1 - p) scale, so the input meets a single (recorded) product.
  Tensor mask = random::bernoulli(x.shape(), keep);
  as_array(mask) *= 1.0f / keep;
  return x * mask;
}

json Dropout::config() const {
  return {{"type", "Dropout"}, {"p", config_float(p_)}};
}

std::string Dropout::extra_repr() const {
  return "p=" + python_float(p_);
}

}  // namespace minnow::nn
