#include <doctest/doctest.h>

#include "minnow/core/autograd.hpp"
#include "minnow/core/ops.hpp"
#include "support/gradcheck.hpp"

using namespace minnow;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

}  // namespace

TEST_CASE("value_and_grad of a simple function") {
  const Tensor x({1.0f, -2.0f, 3.0f});
  const auto [value, grads] = value_and_grad([](const auto& p) { return sum(p[0] * p[0]); }, {x});
  CHECK(value.item() == 14.0f);
  REQUIRE(grads.size() == 1);
  CHECK(grads[0].to_vector() == std::vector<float>{2.0f, -4.0f, 6.0f});
}

TEST_CASE("a tensor used several times accumulates its gradient") {
  const Tensor x({2.0f, 3.0f});
  const auto grads = grad([](const auto& p) { return sum(p[0] * p[0] * p[0] + p[0]); }, {x});
  CHECK(grads[0].to_vector() == std::vector<float>{13.0f, 28.0f});  // 3x^2 + 1
}

TEST_CASE("gradients are reduced back over broadcast axes") {
  const Tensor a = ones(Shape{2, 3});
  const Tensor b({1.0f, 2.0f, 3.0f});
  const Tensor c = ones(Shape{2, 1});
  const auto grads = grad([](const auto& p) { return sum((p[0] + p[1]) * p[2]); }, {a, b, c});
  CHECK(grads[0].shape() == Shape{2, 3});
  CHECK(grads[1].to_vector() == std::vector<float>{2.0f, 2.0f, 2.0f});
  CHECK(grads[2].shape() == Shape{2, 1});
  CHECK(grads[2].to_vector() == std::vector<float>{9.0f, 9.0f});
}

TEST_CASE("an unused parameter gets a zero gradient") {
  const Tensor used({1.0f}), unused({5.0f, 6.0f});
  const auto grads = grad([](const auto& p) { return sum(p[0] * 3.0f); }, {used, unused});
  CHECK(grads[0].item() == 3.0f);
  CHECK(grads[1].to_vector() == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("a function that does not depend on its parameters has zero gradients") {
  const auto [value, grads] = value_and_grad([](const auto&) { return Tensor(4.0f); }, {ones({2})});
  CHECK(value.item() == 4.0f);
  CHECK(grads[0].to_vector() == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("stop_gradient cuts the tape") {
  const Tensor x({3.0f});
  const auto grads = grad([](const auto& p) { return sum(stop_gradient(p[0]) * p[0]); }, {x});
  CHECK(grads[0].item() == 3.0f);  // only the second factor is differentiated
}

TEST_CASE("named parameters come back under the same names, in order") {
  const TensorMap params{{"w", Tensor({2.0f})}, {"b", Tensor({1.0f})}};
  const auto [value, grads] =
      value_and_grad([](const TensorMap& p) { return sum(p.at("w") * 3.0f + p.at("b")); }, params);
  CHECK(value.item() == 7.0f);
  CHECK(grads.keys() == std::vector<std::string>{"w", "b"});
  CHECK(grads.same_keys(params));
  CHECK(grads.at("w").item() == 3.0f);
  CHECK(grads.at("b").item() == 1.0f);
}

TEST_CASE("errors: non-scalar output, nesting; the tape survives an exception") {
  const Tensor x({1.0f, 2.0f});
  CHECK_THROWS_WITH_AS(value_and_grad([](const auto& p) { return p[0] * 2.0f; }, {x}),
                       doctest::Contains("one-element tensor, got shape [2]"), ShapeError);
  const Fn nested = [](const std::vector<Tensor>& p) {
    return value_and_grad([](const auto& q) { return sum(q[0]); }, p).first;
  };
  CHECK_THROWS_WITH_AS(value_and_grad(nested, {x}), doctest::Contains("nested"), ValueError);
  const Fn throwing = [](const std::vector<Tensor>& p) -> Tensor {
    (void)sum(p[0] * 2.0f);
    throw ValueError("from the user");
  };
  CHECK_THROWS_AS(value_and_grad(throwing, {x}), ValueError);
  CHECK_FALSE(autograd::recording());
  CHECK(grad([](const auto& p) { return sum(p[0]); }, {x})[0].to_vector() ==
        std::vector<float>{1.0f, 1.0f});
}

TEST_CASE("nothing is recorded outside value_and_grad") {
  CHECK_FALSE(autograd::recording());
  const Tensor x({1.0f});
  CHECK_FALSE(autograd::tracked(x * 2.0f));
}

TEST_CASE("returned gradients never share storage") {
  const Tensor a({1.0f, 2.0f}), b({3.0f, 4.0f});
  const auto grads = grad([](const auto& p) { return sum(p[0] + p[1]); }, {a, b});
  CHECK_FALSE(grads[0].shares_data(grads[1]));
  CHECK(grads[0].to_vector() == grads[1].to_vector());
}

namespace {

// A custom op defined outside the ops files: y = 2x in the forward pass, but a backward pass
// that claims dy/dx = 5, so that the test can tell the custom backward was used.
Tensor custom_double(const Tensor& x) {
  const Tensor y = x * 2.0f;
  return autograd::record(
      stop_gradient(y), {x},
      [](const autograd::Node& node, const Tensor& g) { node.accumulate(0, g * node.scalars[0]); },
      {5.0f});
}

}  // namespace

TEST_CASE("custom differentiable ops through autograd::record") {
  const Tensor x({1.0f, 2.0f});
  const auto [value, grads] =
      value_and_grad([](const auto& p) { return sum(custom_double(p[0])); }, {x});
  CHECK(value.item() == 6.0f);
  CHECK(grads[0].to_vector() == std::vector<float>{5.0f, 5.0f});
}

TEST_CASE("record takes at most three inputs in its list form") {
  const Tensor a({1.0f}), b({2.0f}), c({3.0f}), d({4.0f});
  const auto four_inputs = [&](const auto& p) {
    return sum(autograd::record(p[0] * 1.0f, {p[0], b, c, d},
                                [](const autograd::Node&, const Tensor&) {}));
  };
  CHECK_THROWS_WITH_AS(grad(four_inputs, {a}), doctest::Contains("at most 3 inputs"), ValueError);
}

TEST_CASE("the shared finite-difference checker catches a wrong gradient") {
  const Tensor x({0.5f, -1.0f});
  CHECK(testing::check_op_gradients([](const auto& p) { return p[0] * p[0]; }, {x}).empty());
  CHECK_FALSE(
      testing::check_op_gradients([](const auto& p) { return custom_double(p[0]); }, {x}).empty());
}
