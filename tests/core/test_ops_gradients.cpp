// The finite-difference check of every differentiable op, from one table. Each row names an op,
// the shapes (and value domains) of its inputs and a function applying it; binary ops also run
// on random shape pairs that broadcast. A list of every differentiable op in ops.hpp guards the
// table: an op without a row fails the test.

#include <doctest/doctest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "minnow/core/random.hpp"
#include "support/gradcheck.hpp"
#include "test_ops_support.hpp"

using namespace minnow;
using testing::Params;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Where an input's values come from. The domains keep every op smooth within the
// finite-difference step: positive for log / sqrt / rsqrt / a power's base, away from zero for
// abs, and a shuffled grid of distinct values (0.15 apart, shifted by `offset`) for max / min /
// maximum / minimum / clip, so that no two compared values come within the step of each other.
enum class Domain { normal, positive, away_from_zero, grid };

struct Input {
  Shape shape;
  Domain domain = Domain::normal;
  float offset = 0.0f;  // grid only
};

struct GradCase {
  std::string op;  // the op's name first, then any detail
  std::vector<Input> inputs;
  Fn fn;
};

Tensor make_input(const Input& input, random::Generator& gen) {
  switch (input.domain) {
    case Domain::normal:
      return random::normal(input.shape, 0.0f, 1.0f, &gen);
    case Domain::positive:
      return random::uniform(input.shape, 0.5f, 2.0f, &gen);
    case Domain::away_from_zero: {
      const Tensor sign = random::bernoulli(input.shape, 0.5f, &gen) * 2.0f - 1.0f;
      return random::uniform(input.shape, 0.2f, 1.5f, &gen) * sign;
    }
    case Domain::grid: {
      const auto n = static_cast<float>(input.shape.numel());
      const Tensor order = reshape(random::permutation(input.shape.numel(), &gen), input.shape);
      return (order - n / 2.0f) * 0.15f + input.offset;
    }
  }
  return {};
}

// A random shape of 1 to 3 axes of sizes 1 to 3, and a second shape that broadcasts with it
// (axes set to 1 or dropped from the front, on either side).
std::pair<Shape, Shape> random_broadcast_pair(random::Generator& gen) {
  Shape full;
  const auto ndim = 1 + static_cast<int>(gen.next_below(3));
  for (int d = 0; d < ndim; ++d) full.push_back(1 + static_cast<int64_t>(gen.next_below(3)));
  Shape other;
  const auto dropped = static_cast<int>(gen.next_below(static_cast<uint64_t>(ndim)));
  for (int d = dropped; d < ndim; ++d) other.push_back(gen.next_below(3) == 0 ? 1 : full[d]);
  if (gen.next_below(2) == 0) return {full, other};
  return {other, full};
}

Tensor indices(std::initializer_list<float> values, const Shape& shape) {
  return Tensor(std::vector<float>(values), shape);
}

std::vector<GradCase> binary_cases() {
  struct Binary {
    std::string op;
    Domain a;
    Domain b;
    Fn fn;
  };
  const std::vector<Binary> ops = {
      {"add", Domain::normal, Domain::normal, [](const Params& p) { return add(p[0], p[1]); }},
      {"subtract", Domain::normal, Domain::normal,
       [](const Params& p) { return subtract(p[0], p[1]); }},
      {"multiply", Domain::normal, Domain::normal,
       [](const Params& p) { return multiply(p[0], p[1]); }},
      {"divide", Domain::normal, Domain::positive,
       [](const Params& p) { return divide(p[0], p[1]); }},
      {"power", Domain::positive, Domain::normal,
       [](const Params& p) { return power(p[0], p[1]); }},
      {"maximum", Domain::grid, Domain::grid, [](const Params& p) { return maximum(p[0], p[1]); }},
      {"minimum", Domain::grid, Domain::grid, [](const Params& p) { return minimum(p[0], p[1]); }},
      {"logaddexp", Domain::normal, Domain::normal,
       [](const Params& p) { return logaddexp(p[0], p[1]); }},
      {"operator+", Domain::normal, Domain::normal, [](const Params& p) { return p[0] + p[1]; }},
      {"operator-", Domain::normal, Domain::normal, [](const Params& p) { return p[0] - p[1]; }},
      {"operator*", Domain::normal, Domain::normal, [](const Params& p) { return p[0] * p[1]; }},
      {"operator/", Domain::normal, Domain::positive, [](const Params& p) { return p[0] / p[1]; }},
  };
  std::vector<GradCase> cases;
  random::Generator gen(2024);
  for (const Binary& op : ops) {
    // Fixed layouts (equal, scalar, row, column, outer) and three random broadcasting pairs.
    std::vector<std::pair<Shape, Shape>> shapes = {
        {Shape{2, 3}, Shape{2, 3}}, {Shape{2, 3}, Shape{}},     {Shape{}, Shape{3}},
        {Shape{3, 4}, Shape{4}},    {Shape{3, 1}, Shape{3, 4}}, {Shape{2, 1}, Shape{1, 3}}};
    for (int i = 0; i < 3; ++i) shapes.push_back(random_broadcast_pair(gen));
    for (const auto& [sa, sb] : shapes) {
      cases.push_back({op.op + " " + sa.to_string() + " " + sb.to_string(),
                       {{sa, op.a, 0.0f}, {sb, op.b, 0.05f}},
                       op.fn});
    }
  }
  return cases;
}

std::vector<GradCase> unary_cases() {
  const Shape s{2, 3};
  return {
      {"negative", {{s}}, [](const Params& p) { return negative(p[0]); }},
      {"operator- (unary)", {{s}}, [](const Params& p) { return -p[0]; }},
      {"square", {{s}}, [](const Params& p) { return square(p[0]); }},
      {"sqrt", {{s, Domain::positive}}, [](const Params& p) { return sqrt(p[0]); }},
      {"rsqrt", {{s, Domain::positive}}, [](const Params& p) { return rsqrt(p[0]); }},
      {"exp", {{s}}, [](const Params& p) { return exp(p[0]); }},
      {"log", {{s, Domain::positive}}, [](const Params& p) { return log(p[0]); }},
      {"log1p", {{s, Domain::positive}}, [](const Params& p) { return log1p(p[0]); }},
      {"abs", {{s, Domain::away_from_zero}}, [](const Params& p) { return abs(p[0]); }},
      {"sin", {{s}}, [](const Params& p) { return sin(p[0]); }},
      {"cos", {{s}}, [](const Params& p) { return cos(p[0]); }},
      {"tanh", {{s}}, [](const Params& p) { return tanh(p[0]); }},
      {"sigmoid", {{s}}, [](const Params& p) { return sigmoid(p[0]); }},
      {"erf", {{s}}, [](const Params& p) { return erf(p[0]); }},
      {"clip",
       {{Shape{3, 4}, Domain::grid, 0.02f}},
       [](const Params& p) { return clip(p[0], -0.5f, 0.5f); }},
      {"where",
       {{s}, {Shape{3}}},
       [](const Params& p) {
         const Tensor cond({{1.0f, 0.0f, 1.0f}, {0.0f, 0.0f, 1.0f}});
         return where(cond, p[0], p[1]);
       }},
      // One tensor used several times: the contributions add up.
      {"multiply (x * x)", {{s}}, [](const Params& p) { return p[0] * p[0]; }},
      {"add (x + x * x)", {{s}}, [](const Params& p) { return p[0] + p[0] * p[0]; }},
      {"power (x ** x)",
       {{s, Domain::positive}},
       [](const Params& p) { return power(p[0], p[0]); }},
  };
}

std::vector<GradCase> linalg_cases() {
  return {
      {"matmul 2-D",
       {{Shape{2, 3}}, {Shape{3, 4}}},
       [](const Params& p) { return matmul(p[0], p[1]); }},
      {"matmul 1-D @ 2-D",
       {{Shape{3}}, {Shape{3, 2}}},
       [](const Params& p) { return matmul(p[0], p[1]); }},
      {"matmul 2-D @ 1-D",
       {{Shape{2, 3}}, {Shape{3}}},
       [](const Params& p) { return matmul(p[0], p[1]); }},
      {"matmul 1-D @ 1-D",
       {{Shape{3}}, {Shape{3}}},
       [](const Params& p) { return matmul(p[0], p[1]); }},
      {"matmul batched @ shared",
       {{Shape{2, 2, 3}}, {Shape{3, 2}}},
       [](const Params& p) { return matmul(p[0], p[1]); }},
      {"matmul shared @ batched",
       {{Shape{2, 3}}, {Shape{2, 3, 2}}},
       [](const Params& p) { return matmul(p[0], p[1]); }},
      {"matmul broadcast batches",
       {{Shape{2, 1, 2, 3}}, {Shape{3, 3, 2}}},
       [](const Params& p) { return matmul(p[0], p[1]); }},
      {"matmul (x @ x)", {{Shape{3, 3}}}, [](const Params& p) { return matmul(p[0], p[0]); }},
      {"addmm",
       {{Shape{4}}, {Shape{2, 3}}, {Shape{3, 4}}},
       [](const Params& p) { return addmm(p[0], p[1], p[2], 0.5f, 2.0f); }},
      {"addmm full c",
       {{Shape{2, 4}}, {Shape{2, 3}}, {Shape{3, 4}}},
       [](const Params& p) { return addmm(p[0], p[1], p[2]); }},
      {"linear",
       {{Shape{2, 3}}, {Shape{4, 3}}, {Shape{4}}},
       [](const Params& p) { return linear(p[0], p[1], p[2]); }},
      {"linear without bias",
       {{Shape{2, 3}}, {Shape{4, 3}}},
       [](const Params& p) { return linear(p[0], p[1]); }},
      {"linear 3-D input",
       {{Shape{2, 2, 3}}, {Shape{2, 3}}, {Shape{2}}},
       [](const Params& p) { return linear(p[0], p[1], p[2]); }},
      {"linear 1-D input",
       {{Shape{3}}, {Shape{2, 3}}, {Shape{2}}},
       [](const Params& p) { return linear(p[0], p[1], p[2]); }},
  };
}

std::vector<GradCase> reduction_cases() {
  const Shape c{2, 3, 4};
  const Input grid{c, Domain::grid, 0.0f};
  return {
      {"sum all", {{c}}, [](const Params& p) { return sum(p[0]); }},
      {"sum axis", {{c}}, [](const Params& p) { return sum(p[0], 1); }},
      {"sum axes keepdims",
       {{c}},
       [](const Params& p) {
         return sum(p[0], {0, 2}, true);
       }},
      {"mean all keepdims", {{c}}, [](const Params& p) { return mean(p[0], true); }},
      {"mean axis", {{c}}, [](const Params& p) { return mean(p[0], -1); }},
      {"mean axes",
       {{c}},
       [](const Params& p) {
         return mean(p[0], {0, 1});
       }},
      {"max all", {grid}, [](const Params& p) { return max(p[0]); }},
      {"max axis", {grid}, [](const Params& p) { return max(p[0], 1, true); }},
      {"max axes",
       {grid},
       [](const Params& p) {
         return max(p[0], {0, 2});
       }},
      {"min all", {grid}, [](const Params& p) { return min(p[0]); }},
      {"min axis", {grid}, [](const Params& p) { return min(p[0], 0); }},
      {"min axes",
       {grid},
       [](const Params& p) {
         return min(p[0], {1, 2}, true);
       }},
      {"var all", {{c}}, [](const Params& p) { return var(p[0]); }},
      {"var axis ddof 1", {{c}}, [](const Params& p) { return var(p[0], -1, false, 1); }},
      {"var leading axis", {{c}}, [](const Params& p) { return var(p[0], 0, true); }},
      {"var axes",
       {{c}},
       [](const Params& p) {
         return var(p[0], {0, 2});
       }},
      {"logsumexp all", {{c}}, [](const Params& p) { return logsumexp(p[0]); }},
      {"logsumexp axis", {{c}}, [](const Params& p) { return logsumexp(p[0], 1, true); }},
      {"logsumexp axes",
       {{c}},
       [](const Params& p) {
         return logsumexp(p[0], {0, 2});
       }},
      {"softmax last axis", {{c}}, [](const Params& p) { return softmax(p[0]); }},
      {"softmax middle axis", {{c}}, [](const Params& p) { return softmax(p[0], 1); }},
      {"log_softmax last axis", {{c}}, [](const Params& p) { return log_softmax(p[0]); }},
      {"log_softmax first axis", {{c}}, [](const Params& p) { return log_softmax(p[0], 0); }},
  };
}

std::vector<GradCase> shape_cases() {
  const Shape c{2, 3, 4};
  return {
      {"reshape",
       {{c}},
       [](const Params& p) {
         return reshape(p[0], Shape{4, -1});
       }},
      {"flatten", {{c}}, [](const Params& p) { return flatten(p[0]); }},
      {"transpose", {{c}}, [](const Params& p) { return transpose(p[0]); }},
      {"transpose perm",
       {{c}},
       [](const Params& p) {
         return transpose(p[0], {1, 2, 0});
       }},
      {"swapaxes", {{c}}, [](const Params& p) { return swapaxes(p[0], 0, 1); }},
      {"expand_dims", {{Shape{2, 3}}}, [](const Params& p) { return expand_dims(p[0], 1); }},
      {"squeeze all", {{Shape{2, 1, 3}}}, [](const Params& p) { return squeeze(p[0]); }},
      {"squeeze axis", {{Shape{1, 3}}}, [](const Params& p) { return squeeze(p[0], 0); }},
      {"broadcast_to",
       {{Shape{3, 1}}},
       [](const Params& p) {
         return broadcast_to(p[0], Shape{2, 3, 4});
       }},
      {"concatenate",
       {{Shape{2, 1}}, {Shape{2, 3}}, {Shape{2, 2}}},
       [](const Params& p) {
         return concatenate({p[0], p[1], p[2]}, 1);
       }},
      {"concatenate (x twice)",
       {{Shape{2, 2}}},
       [](const Params& p) {
         return concatenate({p[0], p[0] * 3.0f}, 0);
       }},
      {"stack",
       {{Shape{2, 3}}, {Shape{2, 3}}},
       [](const Params& p) {
         return stack({p[0], p[1]}, 1);
       }},
      {"split sections",
       {{c}},
       [](const Params& p) {
         const auto parts = split(p[0], 2, 2);
         return concatenate({parts[1] * 2.0f, parts[0]}, 2);
       }},
      {"split indices",
       {{Shape{5, 2}}},
       [](const Params& p) {
         const auto parts = split(p[0], std::vector<int64_t>{1, 3});
         return concatenate({parts[2], parts[0] * 3.0f, parts[1]}, 0);
       }},
      {"slice", {{c}}, [](const Params& p) { return slice(p[0], 1, -1, 2); }},
      {"take",
       {{Shape{4, 3}}},
       [](const Params& p) {
         return take(p[0], indices({3, -1, 0, 1}, Shape{2, 2}), 0);
       }},
      {"take inner axis",
       {{c}},
       [](const Params& p) {
         return take(p[0], indices({2, 2, 0}, Shape{3}), 1);
       }},
      {"take_along_axis",
       {{Shape{3, 4}}},
       [](const Params& p) {
         return take_along_axis(p[0], indices({1, 3, -1}, Shape{3, 1}), 1);
       }},
      {"take_along_axis broadcast",
       {{Shape{1, 4}}},
       [](const Params& p) {
         return take_along_axis(p[0], indices({0, 3, 3, 1, 2, 2}, Shape{3, 2}), 1);
       }},
  };
}

std::vector<GradCase> all_cases() {
  std::vector<GradCase> cases;
  for (auto part :
       {binary_cases(), unary_cases(), linalg_cases(), reduction_cases(), shape_cases()}) {
    cases.insert(cases.end(), part.begin(), part.end());
  }
  return cases;
}

// Every differentiable op declared in core/ops.hpp.
const std::vector<std::string> kDifferentiableOps = {
    "add",         "subtract",    "multiply",
    "divide",      "power",       "maximum",
    "minimum",     "logaddexp",   "operator+",
    "operator-",   "operator*",   "operator/",
    "negative",    "square",      "sqrt",
    "rsqrt",       "exp",         "log",
    "log1p",       "abs",         "sin",
    "cos",         "tanh",        "sigmoid",
    "erf",         "clip",        "where",
    "matmul",      "addmm",       "linear",
    "sum",         "mean",        "max",
    "min",         "var",         "logsumexp",
    "softmax",     "log_softmax", "reshape",
    "flatten",     "transpose",   "swapaxes",
    "expand_dims", "squeeze",     "broadcast_to",
    "concatenate", "stack",       "split",
    "slice",       "take",        "take_along_axis"};

}  // namespace

TEST_CASE("every differentiable op has a row in the gradient table") {
  std::set<std::string> covered;
  for (const GradCase& c : all_cases()) covered.insert(c.op.substr(0, c.op.find(' ')));
  for (const std::string& op : kDifferentiableOps) {
    CHECK_MESSAGE(covered.count(op) == 1, "no gradient check for ", op);
  }
}

TEST_CASE("every differentiable op matches finite differences") {
  random::Generator gen(42);
  for (const GradCase& c : all_cases()) {
    std::vector<Tensor> inputs;
    for (const Input& input : c.inputs) inputs.push_back(make_input(input, gen));
    const std::string failure = testing::check_op_gradients(c.fn, inputs);
    CHECK_MESSAGE(failure.empty(), c.op, ": ", failure);
  }
}

TEST_CASE("sign has a zero gradient; comparisons and argmax none at all") {
  const Tensor x({-2.0f, 0.5f, 3.0f});
  // d/dx (sign(x) * x) = sign(x): the only contribution is through the second factor.
  const auto grads = grad([](const Params& p) { return sum(sign(p[0]) * p[0]); }, {x});
  CHECK(grads[0].to_vector() == std::vector<float>{-1.0f, 1.0f, 1.0f});
}

TEST_CASE("abs, clip and maximum at their kinks use the documented one-sided choices") {
  const Tensor x({0.0f, 1.0f, -1.0f});
  // abs: sign(x), so 0 at 0. clip(x, -1, 1): 1 on the closed interval, including its ends.
  CHECK(grad([](const Params& p) { return sum(abs(p[0])); }, {x})[0].to_vector() ==
        std::vector<float>{0.0f, 1.0f, -1.0f});
  CHECK(grad([](const Params& p) { return sum(clip(p[0], -1.0f, 1.0f)); }, {x})[0].to_vector() ==
        std::vector<float>{1.0f, 1.0f, 1.0f});
  // maximum / minimum: at a tie the first operand gets the gradient.
  const Tensor y({0.0f, 2.0f, -1.0f});
  const auto g = grad([](const Params& p) { return sum(maximum(p[0], p[1])); }, {x, y});
  CHECK(g[0].to_vector() == std::vector<float>{1.0f, 0.0f, 1.0f});
  CHECK(g[1].to_vector() == std::vector<float>{0.0f, 1.0f, 0.0f});
}

TEST_CASE("gradients flow through views that share storage") {
  const Tensor x({{1.0f, 2.0f}, {3.0f, 4.0f}});
  const auto grads = grad(
      [](const Params& p) {
        return sum(reshape(p[0], Shape{4}) * flatten(p[0])) + sum(expand_dims(p[0], 0));
      },
      {x});
  testing::check_tensor(grads[0], Shape{2, 2}, {3, 5, 7, 9});  // 2x + 1
}

TEST_CASE("the power gradient with respect to the exponent at a zero base is zero") {
  const Tensor base({0.0f, 2.0f});
  const Tensor exponent({2.0f, 3.0f});
  const auto grads = grad([](const Params& p) { return sum(power(p[0], p[1])); }, {base, exponent});
  testing::check_tensor(grads[0], Shape{2}, {0.0f, 12.0f});
  testing::check_tensor(grads[1], Shape{2}, {0.0f, 8.0f * std::log(2.0f)}, 1e-6f);
}
