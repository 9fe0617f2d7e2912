// Element-wise arithmetic and math functions, each with its gradient next to it.
//
// Binary ops broadcast as NumPy does; their backward functions produce gradients of the
// broadcast (output) shape and let Node::accumulate sum them back to each input's shape.
// Unary backward passes compute g * f'(x) in one fused Eigen expression over g, x and y.

#include <unsupported/Eigen/SpecialFunctions>

#include <numbers>

#include "minnow/core/autograd.hpp"
#include "minnow/core/kernels.hpp"
#include "minnow/core/ops.hpp"

namespace minnow {

using autograd::Node;

namespace {

// d erf(x)/dx = 2 / sqrt(pi) * exp(-x^2)
constexpr float kErfSlope = 2.0f * std::numbers::inv_sqrtpi_v<float>;

// Accumulates fn(g, x, y) into input 0 of a unary op, where x is its input and y its output.
template <class Fn>
void accumulate_unary(const Node& node, const Tensor& g, Fn fn) {
  if (!node.needs_grad(0)) return;
  Tensor dx = detail::make_tensor(g.shape());
  as_array(dx) = fn(as_array(g), as_array(node.input(0)), as_array(node.output));
  node.accumulate(0, std::move(dx));
}

}  // namespace

// ---- binary arithmetic --------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out =
      detail::broadcast_binary(a, b, "add", [](const auto& x, const auto& y) { return x + y; });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    node.accumulate(0, g);
    node.accumulate(1, g);
  });
}

Tensor subtract(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary(a, b, "subtract",
                                        [](const auto& x, const auto& y) { return x - y; });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    node.accumulate(0, g);
    if (node.needs_grad(1)) node.accumulate(1, negative(g));
  });
}

Tensor multiply(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary(a, b, "multiply",
                                        [](const auto& x, const auto& y) { return x * y; });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    if (node.needs_grad(0)) node.accumulate(0, multiply(g, node.input(1)));
    if (node.needs_grad(1)) node.accumulate(1, multiply(g, node.input(0)));
  });
}

Tensor divide(const Tensor& a, const Tensor& b) {
  Tensor out =
      detail::broadcast_binary(a, b, "divide", [](const auto& x, const auto& y) { return x / y; });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    const Tensor& denominator = node.input(1);
    if (node.needs_grad(0)) node.accumulate(0, divide(g, denominator));
    // d(a / b)/db = -(a / b) / b
    if (node.needs_grad(1))
      node.accumulate(1, negative(divide(multiply(g, node.output), denominator)));
  });
}

Tensor power(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary(a, b, "power",
                                        [](const auto& x, const auto& y) { return x.pow(y); });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    const Tensor& base = node.input(0);
    const Tensor& exponent = node.input(1);
    if (node.needs_grad(0)) {  // b * a^(b - 1)
      const Tensor slope = detail::broadcast_binary(
          base, exponent, "power",
          [](const auto& x, const auto& y) { return y * x.pow(y - 1.0f); });
      node.accumulate(0, multiply(g, slope));
    }
    if (node.needs_grad(1)) {  // a^b * log(a), taken as 0 at a = 0 (where a^b is 0 or 1)
      const Tensor slope = detail::broadcast_binary(
          node.output, base, "power",
          [](const auto& y, const auto& x) { return (x == 0.0f).select(0.0f, y * x.log()); });
      node.accumulate(1, multiply(g, slope));
    }
  });
}

// maximum / minimum propagate NaN. At a tie the whole gradient goes to the first operand.
Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary(a, b, "maximum", [](const auto& x, const auto& y) {
    return x.binaryExpr(y, detail::NanMax());
  });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    const Tensor& x = node.input(0);
    const Tensor& y = node.input(1);
    if (node.needs_grad(0)) node.accumulate(0, multiply(g, greater_equal(x, y)));
    if (node.needs_grad(1)) node.accumulate(1, multiply(g, less(x, y)));
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary(a, b, "minimum", [](const auto& x, const auto& y) {
    return x.binaryExpr(y, detail::NanMin());
  });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    const Tensor& x = node.input(0);
    const Tensor& y = node.input(1);
    if (node.needs_grad(0)) node.accumulate(0, multiply(g, less_equal(x, y)));
    if (node.needs_grad(1)) node.accumulate(1, multiply(g, greater(x, y)));
  });
}

Tensor logaddexp(const Tensor& a, const Tensor& b) {
  // max(a, b) + log1p(exp(-|a - b|)); equal operands (also two equal infinities, where a - b
  // is NaN) give a + log(2).
  Tensor out = detail::broadcast_binary(a, b, "logaddexp", [](const auto& x, const auto& y) {
    return (x == y).select(x + std::numbers::ln2_v<float>,
                           x.binaryExpr(y, detail::NanMax()) + (-(x - y).abs()).exp().log1p());
  });
  return autograd::record(out, {a, b}, [](const Node& node, const Tensor& g) {
    // d/da = exp(a - out), the share of exp(a) in the sum.
    for (int i = 0; i < 2; ++i) {
      if (node.needs_grad(i))
        node.accumulate(i, multiply(g, exp(subtract(node.input(i), node.output))));
    }
  });
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return subtract(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return multiply(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return divide(a, b);
}
Tensor operator-(const Tensor& a) {
  return negative(a);
}

// ---- unary --------------------------------------------------------------------------------------

Tensor negative(const Tensor& x) {
  Tensor out = detail::map_unary(x, "negative", [](const auto& v) { return -v; });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g, [](const auto& dy, const auto&, const auto&) { return -dy; });
  });
}

Tensor square(const Tensor& x) {
  Tensor out = detail::map_unary(x, "square", [](const auto& v) { return v.square(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g,
                     [](const auto& dy, const auto& v, const auto&) { return 2.0f * v * dy; });
  });
}

Tensor sqrt(const Tensor& x) {
  Tensor out = detail::map_unary(x, "sqrt", [](const auto& v) { return v.sqrt(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g,
                     [](const auto& dy, const auto&, const auto& y) { return 0.5f * dy / y; });
  });
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = detail::map_unary(x, "rsqrt", [](const auto& v) { return v.rsqrt(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    // d(x^-1/2)/dx = -x^-3/2 / 2 = -y^3 / 2
    accumulate_unary(
        node, g, [](const auto& dy, const auto&, const auto& y) { return -0.5f * dy * y.cube(); });
  });
}

Tensor exp(const Tensor& x) {
  Tensor out = detail::map_unary(x, "exp", [](const auto& v) { return v.exp(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g, [](const auto& dy, const auto&, const auto& y) { return dy * y; });
  });
}

Tensor log(const Tensor& x) {
  Tensor out = detail::map_unary(x, "log", [](const auto& v) { return v.log(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g, [](const auto& dy, const auto& v, const auto&) { return dy / v; });
  });
}

Tensor log1p(const Tensor& x) {
  Tensor out = detail::map_unary(x, "log1p", [](const auto& v) { return v.log1p(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g,
                     [](const auto& dy, const auto& v, const auto&) { return dy / (1.0f + v); });
  });
}

Tensor abs(const Tensor& x) {
  Tensor out = detail::map_unary(x, "abs", [](const auto& v) { return v.abs(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g,
                     [](const auto& dy, const auto& v, const auto&) { return dy * v.sign(); });
  });
}

Tensor sign(const Tensor& x) {
  // Piecewise constant: its gradient is zero, so nothing is recorded.
  return detail::map_unary(x, "sign", [](const auto& v) { return v.isNaN().select(v, v.sign()); });
}

Tensor sin(const Tensor& x) {
  Tensor out = detail::map_unary(x, "sin", [](const auto& v) { return v.sin(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g,
                     [](const auto& dy, const auto& v, const auto&) { return dy * v.cos(); });
  });
}

Tensor cos(const Tensor& x) {
  Tensor out = detail::map_unary(x, "cos", [](const auto& v) { return v.cos(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g,
                     [](const auto& dy, const auto& v, const auto&) { return -dy * v.sin(); });
  });
}

Tensor tanh(const Tensor& x) {
  Tensor out = detail::map_unary(x, "tanh", [](const auto& v) { return v.tanh(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g, [](const auto& dy, const auto&, const auto& y) {
      return dy * (1.0f - y.square());
    });
  });
}

Tensor sigmoid(const Tensor& x) {
  // 1 / (1 + e^-x) cannot give NaN: e^-x overflows to inf only where the result is 0 anyway,
  // and tiny results keep the relative precision of exp (sigmoid(-80) is e^-80, not 0).
  Tensor out =
      detail::map_unary(x, "sigmoid", [](const auto& v) { return (1.0f + (-v).exp()).inverse(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(
        node, g, [](const auto& dy, const auto&, const auto& s) { return dy * s * (1.0f - s); });
  });
}

Tensor erf(const Tensor& x) {
  Tensor out = detail::map_unary(x, "erf", [](const auto& v) { return v.erf(); });
  return autograd::record(out, {x}, [](const Node& node, const Tensor& g) {
    accumulate_unary(node, g, [](const auto& dy, const auto& v, const auto&) {
      return kErfSlope * dy * (-v.square()).exp();
    });
  });
}

Tensor clip(const Tensor& x, float lo, float hi) {
  Tensor out = detail::map_unary(x, "clip", [lo, hi](const auto& v) {
    using Constant = Eigen::ArrayXf;
    return v.binaryExpr(Constant::Constant(v.size(), lo), detail::NanMax())
        .binaryExpr(Constant::Constant(v.size(), hi), detail::NanMin());
  });
  return autograd::record(out, {x},
                          [](const Node& node, const Tensor& g) {
                            const float low = node.scalars[0];
                            const float high = node.scalars[1];
                            accumulate_unary(
                                node, g, [low, high](const auto& dy, const auto& v, const auto&) {
                                  return dy * ((v >= low) && (v <= high)).template cast<float>();
                                });
                          },
                          {lo, hi});
}

}  // namespace minnow
