// Built against an installed minnow by the install test: one forward pass and one gradient.
#include <minnow/minnow.hpp>

#include <iostream>

int main() {
  using namespace minnow;
  const Tensor x({{1.0f, 2.0f}, {3.0f, 4.0f}});
  const auto [value, grads] =
      value_and_grad([](const std::vector<Tensor>& p) { return sum(p[0] * p[0]); }, {x});
  // d/dx sum(x^2) = 2x, so the gradient sums to 20 and the value is 30.
  if (value.item() != 30.0f || sum(grads[0]).item() != 20.0f) {
    std::cerr << "consumer: wrong result " << value << " " << grads[0] << "\n";
    return 1;
  }
  std::cout << "consumer: ok " << value << "\n";
  return 0;
}
