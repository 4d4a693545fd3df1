#include <xvis/training/optimizers.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace xvis;

namespace {

// Runs `steps` steps of `opt` on w with gradients g_t = grads[t] (one tensor per step).
void run(WeightOptimizer& opt, Tensor& w, const std::vector<Tensor>& grads) {
    for (const auto& g : grads) opt.step({&w}, {&g});
}

const std::vector<Tensor> grads3{Tensor({3}, {0.5f, -1.0f, 2.0f}), Tensor({3}, {0.25f, 0.0f, -3.0f}), Tensor({3}, {-1.0f, 4.0f, 1.0f})};

}  // namespace

TEST(Sgd, PlainStepIsLrTimesGradient) {
    Sgd opt(SgdOptions{0.1, 0.0, false});
    Tensor w({3}, {1.0f, 2.0f, 3.0f});
    run(opt, w, {grads3[0]});
    EXPECT_FLOAT_EQ(w[0], 1.0f - 0.1f * 0.5f);
    EXPECT_FLOAT_EQ(w[1], 2.0f + 0.1f);
    EXPECT_FLOAT_EQ(w[2], 3.0f - 0.2f);
    EXPECT_EQ(opt.iterations(), 1u);
}

TEST(Sgd, MomentumMatchesHandFormula) {
    for (bool nesterov : {false, true}) {
        const double lr = 0.05, mu = 0.9;
        Sgd opt(SgdOptions{lr, mu, nesterov});
        Tensor w({3}, {1.0f, -2.0f, 0.5f});
        std::vector<double> ew{1.0, -2.0, 0.5}, v(3, 0.0);
        for (const auto& g : grads3) {
            opt.step({&w}, {&g});
            for (std::size_t j = 0; j < 3; ++j) {
                v[j] = mu * v[j] - lr * g[j];  // Keras: v ← μv − lr·g
                ew[j] += nesterov ? mu * v[j] - lr * g[j] : v[j];
            }
            for (std::size_t j = 0; j < 3; ++j) EXPECT_NEAR(w[j], ew[j], 1e-6) << "nesterov=" << nesterov << " j=" << j;
        }
    }
}

TEST(Adam, MatchesHandFormulaWithBiasCorrection) {
    const AdamOptions o{0.01, 0.9, 0.999, 1e-8};
    Adam opt(o);
    Tensor w({3}, {1.0f, -2.0f, 0.5f});
    std::vector<double> ew{1.0, -2.0, 0.5}, m(3, 0.0), v(3, 0.0);
    for (std::size_t t = 1; t <= grads3.size(); ++t) {
        const Tensor& g = grads3[t - 1];
        opt.step({&w}, {&g});
        for (std::size_t j = 0; j < 3; ++j) {
            m[j] = o.beta1 * m[j] + (1 - o.beta1) * g[j];
            v[j] = o.beta2 * v[j] + (1 - o.beta2) * g[j] * g[j];
            const double mhat = m[j] / (1 - std::pow(o.beta1, t)), vhat = v[j] / (1 - std::pow(o.beta2, t));
            ew[j] -= o.learning_rate * mhat / (std::sqrt(vhat) + o.epsilon);
            EXPECT_NEAR(w[j], ew[j], 1e-6) << "t=" << t << " j=" << j;
        }
    }
    // The first step moves every weight with a nonzero gradient by lr·sign(g) (bias correction undoes (1 − β)).
    Adam fresh(o);
    Tensor w2({3}, 0.0f);
    fresh.step({&w2}, {&grads3[0]});
    EXPECT_NEAR(w2[0], -0.01, 1e-7);
    EXPECT_NEAR(w2[1], 0.01, 1e-7);
    EXPECT_NEAR(w2[2], -0.01, 1e-7);
}

TEST(WeightOptimizer, StateFollowsEachParameterAndResets) {
    Adam opt(AdamOptions{0.1});
    Tensor a({2}, {1.0f, 1.0f}), b({2, 2}, 0.0f);
    Tensor ga({2}, {1.0f, 1.0f}), gb({2, 2}, {1.0f, -1.0f, 0.0f, 2.0f});
    opt.step({&a, &b}, {&ga, &gb});
    EXPECT_NEAR(a[0], 0.9, 1e-6);
    EXPECT_NEAR(b[1], 0.1, 1e-6);
    EXPECT_EQ(b[2], 0.0f);  // zero gradient: m = v = 0, no move
    // Another parameter list without reset(): a clear error, not silent garbage.
    EXPECT_THROW(opt.step({&a}, {&ga}), std::invalid_argument);
    Tensor c({3}, 0.0f), gc({3}, 1.0f);
    EXPECT_THROW(opt.step({&c, &b}, {&gc, &gb}), std::invalid_argument);
    opt.reset();
    EXPECT_EQ(opt.iterations(), 0u);
    opt.step({&c}, {&gc});
    EXPECT_NEAR(c[0], -0.1, 1e-6);
}

TEST(WeightOptimizer, RejectsBadArguments) {
    Tensor w({2}, 0.0f), g({3}, 0.0f);
    Sgd sgd;
    EXPECT_THROW(sgd.step({&w}, {&g}), std::invalid_argument);
    EXPECT_THROW(sgd.step({&w}, {}), std::invalid_argument);
    EXPECT_THROW(Sgd(SgdOptions{-1.0}), std::invalid_argument);
    EXPECT_THROW(Sgd(SgdOptions{0.1, 1.0}), std::invalid_argument);
    EXPECT_THROW(Sgd(SgdOptions{0.1, 0.0, true}), std::invalid_argument);
    EXPECT_THROW(Adam(AdamOptions{0.1, 1.0}), std::invalid_argument);
    EXPECT_EQ(make_optimizer("adam", 1e-3)->name(), "adam");
    EXPECT_EQ(make_optimizer("sgd", 1e-2)->name(), "sgd");
    EXPECT_THROW(make_optimizer("rmsprop", 1e-3), std::invalid_argument);
}
