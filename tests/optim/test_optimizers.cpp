// Every optimizer's update rule, one or two steps at a time, against numbers derived by hand
// from MLX's rules (the derivation is in the comment above each expectation), and every
// hyper-parameter check.
//
// Unless a test says otherwise: p = [1, -2], g = [0.5, -1] on each step, and where a second
// gradient is needed, g2 = [0.25, 2].

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "minnow/core/ops.hpp"
#include "minnow/optim/optim.hpp"
#include "optim/optim_testing.hpp"

using namespace minnow;
using minnow::testing::check_values;
using minnow::testing::run_steps;

namespace {

const Tensor kP({1.0f, -2.0f});
const Tensor kG({0.5f, -1.0f});
const Tensor kG2({0.25f, 2.0f});

// A 2 x 3 parameter and two gradients for the matrix rules (Adafactor, Muon).
const Tensor kP23({{1.0f, -2.0f, 0.5f}, {0.25f, 3.0f, -1.0f}});
const Tensor kG23({{0.5f, -1.0f, 2.0f}, {0.1f, -0.3f, 0.7f}});
const Tensor kG23b({{-0.2f, 0.4f, 1.0f}, {0.6f, -0.5f, 0.3f}});

}  // namespace

// ---- SGD ----------------------------------------------------------------------------------------

TEST_CASE("SGD: p -= lr g") {
  optim::SGD sgd(0.1f);
  // 1 - 0.1·0.5 = 0.95; -2 - 0.1·(-1) = -1.9
  check_values(run_steps(sgd, kP, {kG}), {0.95f, -1.9f});
  CHECK(sgd.step() == 1);
  CHECK(sgd.learning_rate() == doctest::Approx(0.1f));
}

TEST_CASE("SGD: weight decay is added to the gradient") {
  optim::SGD sgd(0.1f, /*momentum=*/0.0f, /*weight_decay=*/0.1f);
  // g' = g + 0.1 p = [0.6, -1.2]; p = [1 - 0.06, -2 + 0.12]
  check_values(run_steps(sgd, kP, {kG}), {0.94f, -1.88f});
}

TEST_CASE("SGD: momentum accumulates v = mu v + g from the first step") {
  optim::SGD sgd(0.1f, 0.9f);
  // v1 = g = [0.5, -1]; p1 = [0.95, -1.9]; v2 = 0.9 v1 + g = [0.95, -1.9]; p2 = p1 - 0.1 v2
  check_values(run_steps(sgd, kP, {kG}), {0.95f, -1.9f});
  optim::SGD again(0.1f, 0.9f);
  check_values(run_steps(again, kP, {kG, kG}), {0.855f, -1.71f});
}

TEST_CASE("SGD: dampening applies from the first step (MLX, not PyTorch)") {
  optim::SGD sgd(0.1f, 0.9f, 0.0f, /*dampening=*/0.5f);
  // v1 = 0.5 g = [0.25, -0.5] (PyTorch would take v1 = g); p1 = [0.975, -1.95]
  // v2 = 0.9 v1 + 0.5 g = [0.475, -0.95]; p2 = p1 - 0.1 v2 = [0.9275, -1.855]
  check_values(run_steps(sgd, kP, {kG, kG}), {0.9275f, -1.855f});
}

TEST_CASE("SGD: nesterov steps along g + mu v") {
  optim::SGD sgd(0.1f, 0.9f, 0.0f, 0.0f, /*nesterov=*/true);
  // v1 = [0.5, -1]; upd = g + 0.9 v1 = [0.95, -1.9]; p1 = [0.905, -1.81]
  // v2 = [0.95, -1.9]; upd = g + 0.9 v2 = [1.355, -2.71]; p2 = [0.7695, -1.539]
  check_values(run_steps(sgd, kP, {kG, kG}), {0.7695f, -1.539f});
}

TEST_CASE("SGD: nesterov needs a positive momentum and no dampening") {
  CHECK_THROWS_WITH_AS(optim::SGD(0.1f, 0.0f, 0.0f, 0.0f, true),
                       doctest::Contains("[SGD] nesterov momentum requires a positive momentum"),
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(0.1f, 0.9f, 0.0f, 0.1f, true), doctest::Contains("dampening=0.1"),
                       ValueError);
}

// ---- RMSprop, Adagrad, AdaDelta -----------------------------------------------------------------

TEST_CASE("RMSprop: v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt v + eps)") {
  optim::RMSprop rms(0.01f, /*alpha=*/0.9f);
  // v1 = 0.1 g^2 = [0.025, 0.1]; p1 = 1 - 0.01·0.5/√0.025 = 0.968377225
  check_values(run_steps(rms, kP, {kG}), {0.968377225f, -1.96837722f});
  // v2 = 0.9 v1 + 0.1 g^2 = [0.0475, 0.19]; p2 = p1 - 0.01·0.5/√0.0475
  optim::RMSprop again(0.01f, 0.9f);
  check_values(run_steps(again, kP, {kG, kG}), {0.945435653f, -1.94543565f});
}

TEST_CASE("Adagrad: v += g^2; p -= lr g / (sqrt v + eps)") {
  optim::Adagrad adagrad(0.1f);
  // v1 = g^2: p1 = p - 0.1 sign(g) = [0.9, -1.9]; v2 = 2 g^2: p2 = p1 - 0.1/√2 sign(g)
  check_values(run_steps(adagrad, kP, {kG, kG}), {0.829289325f, -1.82928932f});
}

TEST_CASE("AdaDelta: the step is sqrt(u + eps) / sqrt(v + eps) g") {
  optim::AdaDelta adadelta(1.0f, /*rho=*/0.9f, /*eps=*/1e-6f);
  // v1 = 0.1 g^2 = [0.025, 0.1]; d1 = √1e-6/√(v1 + 1e-6)·g = [0.00316224, -0.00316226]
  // u1 = 0.1 d1^2; v2 = [0.0475, 0.19]; d2 = √(u1 + 1e-6)/√(v2 + 1e-6)·g; p2 = p - d1 - d2
  check_values(run_steps(adadelta, kP, {kG}), {0.996837786f, -1.99683774f});
  optim::AdaDelta again(1.0f, 0.9f, 1e-6f);
  check_values(run_steps(again, kP, {kG, kG}), {0.993593424f, -1.99359333f});
}

TEST_CASE("RMSprop, Adagrad and AdaDelta refuse negative coefficients") {
  CHECK_THROWS_WITH_AS(optim::RMSprop(0.1f, -0.5f),
                       "[RMSprop] alpha must be non-negative, got -0.5", ValueError);
  CHECK_THROWS_WITH_AS(optim::RMSprop(0.1f, 0.99f, -1e-8f),
                       "[RMSprop] eps must be non-negative, got -1e-08", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adagrad(0.1f, -1.0f), "[Adagrad] eps must be non-negative, got -1.0",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::AdaDelta(0.1f, -0.9f), doctest::Contains("[AdaDelta] rho"),
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::AdaDelta(0.1f, 0.9f, std::nanf("")),
                       doctest::Contains("[AdaDelta] eps must be non-negative, got nan"),
                       ValueError);
}

// ---- Adam, AdamW, Adamax ------------------------------------------------------------------------

TEST_CASE("Adam without bias correction (MLX's default)") {
  optim::Adam adam(0.1f);
  // m1 = 0.1 g = [0.05, -0.1]; v1 = 0.001 g^2 = [0.00025, 0.001]
  // p1 = p - 0.1·m1/(√v1 + 1e-8) = p - 0.1·0.1/√0.001·sign(g) = p - 0.316227766·sign(g)
  check_values(run_steps(adam, kP, {kG}), {0.683772434f, -1.68377233f});
  // with g2: m2 = [0.07, 0.11]; v2 = [0.00031225, 0.004999]; p2 = p1 - 0.1·m2/(√v2 + 1e-8)
  optim::Adam again(0.1f);
  check_values(run_steps(again, kP, {kG, kG2}), {0.287634374f, -1.83935136f}, 1e-5f);
}

TEST_CASE("Adam with bias correction") {
  optim::Adam adam(0.1f, {0.9f, 0.999f}, 1e-8f, /*bias_correction=*/true);
  // t = 1: m1/(1 - 0.9) = g and v1/(1 - 0.999) = g^2, so p1 = p - 0.1·sign(g) = [0.9, -1.9]
  check_values(run_steps(adam, kP, {kG}), {0.9f, -1.9f});
  // t = 2: p2 = p1 - (0.1/(1 - 0.81))·m2 / (√v2/√(1 - 0.998001) + 1e-8)
  optim::Adam again(0.1f, {0.9f, 0.999f}, 1e-8f, true);
  check_values(run_steps(again, kP, {kG, kG2}), {0.80678204f, -1.93661035f}, 1e-5f);
}

TEST_CASE("AdamW decays the parameter by (1 - lr wd) before the Adam step") {
  optim::AdamW adamw(0.1f, {0.9f, 0.999f}, 1e-8f, /*weight_decay=*/0.1f);
  // p·0.99 = [0.99, -1.98], then the Adam step of the test above: -0.316227766·sign(g)
  check_values(run_steps(adamw, kP, {kG}), {0.673772434f, -1.66377233f});
  optim::AdamW again(0.1f, {0.9f, 0.999f}, 1e-8f, 0.1f);
  check_values(run_steps(again, kP, {kG, kG2}), {0.270896649f, -1.80271364f}, 1e-5f);
  // With bias correction: [0.99, -1.98] - 0.1·sign(g) = [0.89, -1.88] (PyTorch's AdamW).
  optim::AdamW corrected(0.1f, {0.9f, 0.999f}, 1e-8f, 0.1f, true);
  check_values(run_steps(corrected, kP, {kG}), {0.89f, -1.88f});
  optim::AdamW corrected_again(0.1f, {0.9f, 0.999f}, 1e-8f, 0.1f, true);
  check_values(run_steps(corrected_again, kP, {kG, kG2}), {0.78788204f, -1.89781035f}, 1e-5f);
}

TEST_CASE("AdamW's default weight decay is 0.01") {
  optim::AdamW adamw(0.1f);
  // p·(1 - 0.001) - 0.316227766·sign(g)
  check_values(run_steps(adamw, kP, {kG}), {0.682772434f, -1.68177233f});
}

TEST_CASE("Adamax: v = max(beta2 v, |g|), no bias correction") {
  optim::Adamax adamax(0.1f);
  // m1 = [0.05, -0.1], v1 = |g| = [0.5, 1]: p1 = p - 0.1·0.1·sign(g) = [0.99, -1.99]
  check_values(run_steps(adamax, kP, {kG}), {0.99f, -1.99f});
  // m2 = [0.07, 0.11]; v2 = [max(0.4995, 0.25), max(0.999, 2)] = [0.4995, 2]
  // p2 = p1 - 0.1·m2/v2 = [0.99 - 0.014014014, -1.99 - 0.0055]
  optim::Adamax again(0.1f);
  check_values(run_steps(again, kP, {kG, kG2}), {0.975985986f, -1.9955f});
}

TEST_CASE("Adam-like optimizers check betas and eps") {
  CHECK_THROWS_WITH_AS(optim::Adam(0.1f, {1.5f, 0.999f}),
                       "[Adam] betas[0] must be in [0, 1), got 1.5", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam(0.1f, {0.9f, 1.0f}),
                       "[Adam] betas[1] must be in [0, 1), got 1.0", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam(0.1f, {0.9f, 0.999f}, -1e-8f),
                       "[Adam] eps must be non-negative, got -1e-08", ValueError);
  CHECK_THROWS_WITH_AS(optim::AdamW(0.1f, {-0.1f, 0.999f}),
                       "[AdamW] betas[0] must be in [0, 1), got -0.1", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adamax(0.1f, {0.9f, 2.0f}),
                       "[Adamax] betas[1] must be in [0, 1), got 2.0", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adamax(0.1f, {0.9f, 0.999f}, -1.0f),
                       "[Adamax] eps must be non-negative, got -1.0", ValueError);
  CHECK_THROWS_WITH_AS(optim::Lion(0.1f, {0.9f, std::numeric_limits<float>::infinity()}),
                       "[Lion] betas[1] must be in [0, 1), got inf", ValueError);
  CHECK_NOTHROW(optim::Adam(0.1f, {0.0f, 0.0f}, 0.0f));
}

// ---- Lion ---------------------------------------------------------------------------------------

TEST_CASE("Lion: sign of the interpolated momentum, decoupled weight decay") {
  optim::Lion lion(0.1f, {0.9f, 0.99f}, /*weight_decay=*/0.1f);
  // c1 = 0.1 g, sign(c1) = sign(g); p1 = 0.99 p - 0.1 sign(g) = [0.89, -1.88]; m1 = 0.01 g
  check_values(run_steps(lion, kP, {kG}), {0.89f, -1.88f});
  // g3 = [-0.001, 1]: c2 = 0.9 m1 + 0.1 g3 = [0.0044, 0.091] — the first element follows the
  // momentum, not the gradient. p2 = 0.99 p1 - 0.1 sign(c2) = [0.7811, -1.9612]
  optim::Lion again(0.1f, {0.9f, 0.99f}, 0.1f);
  check_values(run_steps(again, kP, {kG, Tensor({-0.001f, 1.0f})}), {0.7811f, -1.9612f});
  // Without weight decay: p1 = p - 0.1 sign(g)
  optim::Lion plain(0.1f);
  check_values(run_steps(plain, kP, {kG}), {0.9f, -1.9f});
}

// ---- Adafactor ----------------------------------------------------------------------------------

TEST_CASE("Adafactor on a vector: relative step scaled by RMS(p)") {
  optim::Adafactor adafactor;
  // t = 1: ρ = min(1e-2, 1/√1) = 0.01; RMS(p) = √2.5; α = 0.0158113883; β2 = 1 - 1 = 0, so
  // v = g^2 + 1e-30, update = g/√v = sign(g), RMS(update) = 1: p1 = p - α·sign(g)
  check_values(run_steps(adafactor, kP, {kG}), {0.984188612f, -1.98418861f});
  // t = 2: β2 = 1 - 2^-0.8; v2 = β2 v1 + (1 - β2) g2^2; update clipped by its RMS; α from RMS(p1)
  optim::Adafactor again;
  check_values(run_steps(again, kP, {kG, kG2}), {0.973809612f, -2.0031703f});
  CHECK_THROWS_AS(static_cast<void>(again.learning_rate()), KeyError);
  CHECK_FALSE(again.state().contains("learning_rate"));
  CHECK(again.state().contains("w.exp_avg_sq"));
}

TEST_CASE("Adafactor: first moment and weight decay") {
  optim::Adafactor adafactor(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, /*beta_1=*/0.9f,
                             /*weight_decay=*/0.1f);
  // t = 1: update = α·sign(g); exp_avg = 0.1·update; p1 = p - 0.1·α·p - exp_avg
  check_values(run_steps(adafactor, kP, {kG}), {0.996837722f, -1.99525658f});
  optim::Adafactor again(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, 0.9f, 0.1f);
  check_values(run_steps(again, kP, {kG, kG2}), {0.992797361f, -1.99259825f});
  const TensorMap state = again.state();
  CHECK(state.contains("w.exp_avg"));
  CHECK(state.contains("w.exp_avg_sq"));
}

TEST_CASE("Adafactor on a matrix keeps factored row and column moments") {
  optim::Adafactor adafactor;
  // Worked in double from the rule: row/col means of g^2 + 1e-30, update_ij =
  // rsqrt(row_i/mean(row))·rsqrt(col_j)·g_ij, clipped by its RMS, times α = 0.01·RMS(p).
  check_values(run_steps(adafactor, kP23, {kG23}),
               {0.983478194f, -1.98386158f, 0.484096928f, 0.240143081f, 3.01444228f, -1.01660362f},
               1e-5f);
  optim::Adafactor again;
  check_values(run_steps(again, kP23, {kG23, kG23b}),
               {0.988466205f, -1.99082114f, 0.474961699f, 0.208482931f, 3.03284814f, -1.02240197f},
               1e-5f);
  const TensorMap state = again.state();
  CHECK(state.at("w.exp_avg_sq_row").shape() == Shape{2});
  CHECK(state.at("w.exp_avg_sq_col").shape() == Shape{3});
  CHECK_FALSE(state.contains("w.exp_avg_sq"));
}

TEST_CASE("Adafactor with a learning rate, no parameter scale and a tighter clip") {
  optim::Adafactor adafactor(0.1f, {1e-30f, 1e-3f}, /*clip_threshold=*/0.5f, -0.8f, std::nullopt,
                             0.0f, /*scale_parameter=*/false, /*relative_step=*/false);
  check_values(run_steps(adafactor, kP23, {kG23, kG23b}),
               {0.960895994f, -1.96833572f, 0.418745534f, 0.118275187f, 3.10542983f, -1.07313149f},
               1e-5f);
  CHECK(adafactor.learning_rate() == doctest::Approx(0.1f));
}

TEST_CASE("Adafactor factors each matrix of a 3-D parameter over its last two axes") {
  std::vector<float> p(12), g(12);
  for (size_t i = 0; i < 12; ++i) {
    p[i] = 0.1f * static_cast<float>(i) - 0.5f;
    g[i] = 0.3f * std::sin(static_cast<float>(i + 1));
  }
  optim::Adafactor adafactor;
  const Tensor result = run_steps(adafactor, Tensor(p, {2, 2, 3}), {Tensor(g, {2, 2, 3})});
  check_values(
      result,
      {-0.503676871f, -0.403402697f, -0.302229391f, -0.196709507f, -0.096429403f, 0.00439225373f,
       0.0961984789f, 0.19652867f, 0.296993569f, 0.403144342f, 0.503504703f, 0.603909949f},
      1e-5f);
  const TensorMap state = adafactor.state();
  CHECK(state.at("w.exp_avg_sq_row").shape() == Shape{2, 2});
  CHECK(state.at("w.exp_avg_sq_col").shape() == Shape{2, 3});
}

TEST_CASE("Adafactor checks its arguments") {
  CHECK_THROWS_WITH_AS(optim::Adafactor(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, std::nullopt,
                                        0.0f, true, /*relative_step=*/false),
                       "[Adafactor] a learning_rate is required when relative_step is false",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::Adafactor(std::nullopt, {-1.0f, 1e-3f}),
                       "[Adafactor] eps[0] must be non-negative, got -1.0", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adafactor(std::nullopt, {1e-30f, 1e-3f}, 0.0f),
                       "[Adafactor] clip_threshold must be positive, got 0.0", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adafactor(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, 1.0f),
                       "[Adafactor] beta_1 must be in [0, 1), got 1.0", ValueError);
}

// ---- Muon ---------------------------------------------------------------------------------------

TEST_CASE("Muon on a vector: nesterov momentum with weight decay, no orthogonalization") {
  optim::Muon muon(0.1f);
  // g' = g + 0.01 p = [0.51, -1.02]; v1 = 0.05 g' = [0.0255, -0.051]
  // upd = 0.05 g' + 0.95 v1 = [0.049725, -0.09945]; p1 = p - 0.1 upd = [0.9950275, -1.990055]
  check_values(run_steps(muon, kP, {kG}), {0.9950275f, -1.990055f});
  optim::Muon again(0.1f);
  check_values(run_steps(again, kP, {kG, kG2}), {0.99019161f, -2.00475822f});
  // Plain momentum, no weight decay: v1 = 0.05 g; p1 = p - 0.1 v1 = [0.9975, -1.995]
  optim::Muon plain(0.1f, 0.95f, 0.0f, /*nesterov=*/false);
  check_values(run_steps(plain, kP, {kG, kG2}), {0.993875f, -2.00025f});
}

TEST_CASE("Muon orthogonalizes matrix updates with five Newton-Schulz steps") {
  // Worked in double from the rule: X = upd/(‖upd‖_F + 1e-7), then five times
  // A = X Xᵀ, B = -4.7750 A + 2.0315 A A, X = 3.4445 X + B X.
  optim::Muon wide(0.1f);
  check_values(run_steps(wide, kP23, {kG23, kG23b}),
               {0.984893291f, -1.96714767f, 0.38151156f, 0.233556208f, 3.01643625f, -1.07154785f},
               2e-5f);
  // A 3 x 2 parameter is orthogonalized transposed, and its learning rate grows by √(3/2).
  optim::Muon tall(0.1f);
  const Tensor p32 = reshape(kP23, {3, 2});
  check_values(run_steps(tall, p32, {reshape(kG23, {3, 2}), reshape(kG23b, {3, 2})}),
               {0.97412459f, -1.90401567f, 0.317343629f, 0.182730036f, 3.06021314f, -1.17501396f},
               2e-5f);
}

TEST_CASE("Muon reshapes a 3-D update to [shape[0], -1] and scales lr by its last two axes") {
  // [2, 3, 1] → a 2 x 3 matrix; the learning rate grows by √max(1, 3/1) (MLX's rule).
  optim::Muon muon(0.1f, 0.95f, 0.01f, true, /*ns_steps=*/3);
  check_values(run_steps(muon, reshape(kP23, {2, 3, 1}), {reshape(kG23, {2, 3, 1})}),
               {0.935769047f, -1.91150551f, 0.423976824f, 0.362652751f, 2.90211845f, -1.1198131f},
               2e-5f);
  CHECK_THROWS_WITH_AS(optim::Muon(0.1f, 0.95f, 0.01f, true, -1),
                       "[Muon] ns_steps must be non-negative, got -1", ValueError);
}

// ---- the learning rate --------------------------------------------------------------------------

TEST_CASE("a scheduled learning rate is evaluated at the step count before the increment") {
  std::vector<int64_t> asked;
  optim::SGD sgd([&asked](int64_t step) {
    asked.push_back(step);
    return 0.1f * static_cast<float>(step + 1);
  });
  CHECK(sgd.learning_rate() == doctest::Approx(0.1f));  // the first step's rate, as MLX
  // step 1 uses lr(0) = 0.1: 1 - 0.05; step 2 uses lr(1) = 0.2: 0.95 - 0.1
  check_values(run_steps(sgd, Tensor({1.0f}), {Tensor({0.5f}), Tensor({0.5f})}), {0.85f});
  CHECK(sgd.learning_rate() == doctest::Approx(0.2f));
  CHECK(asked == std::vector<int64_t>{0, 0, 1});
}

TEST_CASE("set_learning_rate replaces a constant or a schedule from the next step on") {
  optim::SGD sgd(0.1f);
  TensorMap params{{"w", Tensor({1.0f})}};
  sgd.apply_gradients(TensorMap{{"w", Tensor({1.0f})}}, params);  // 0.9
  sgd.set_learning_rate(
      optim::Schedule([](int64_t step) { return 0.01f * static_cast<float>(step); }));
  CHECK(sgd.learning_rate() == doctest::Approx(0.01f));           // the schedule at step 1
  sgd.apply_gradients(TensorMap{{"w", Tensor({1.0f})}}, params);  // 0.9 - 0.01
  sgd.set_learning_rate(0.5f);
  sgd.apply_gradients(TensorMap{{"w", Tensor({1.0f})}}, params);  // 0.89 - 0.5
  check_values(params.at("w"), {0.39f});
  CHECK_THROWS_WITH_AS(sgd.set_learning_rate(optim::Schedule()),
                       "[LearningRate] the schedule is empty", ValueError);
}
