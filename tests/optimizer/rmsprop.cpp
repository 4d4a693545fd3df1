// RmsProp against keras-vis's _rmsprop computed here in double, its state rules (first step sizes the cache,
// shape changes throw, reset), allocation-freedom after the first step, and the Optimizer's use of it.
#include <xvis/xvis.hpp>

#include "support/counting_allocator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace xvis;

namespace {

std::vector<float> values(const Tensor& t) { return {t.begin(), t.end()}; }

// keras-vis: cache = decay · cache + (1 − decay) · g²; step = −g / sqrt(cache + 1e-7); x += step.
void reference_step(std::vector<double>& x, std::vector<double>& cache, const Tensor& g, double decay) {
    for (std::size_t k = 0; k < x.size(); ++k) {
        const double gk = g[k];
        cache[k] = decay * cache[k] + (1 - decay) * gk * gk;
        x[k] += -gk / std::sqrt(cache[k] + 1e-7);
    }
}

void expect_close(const Tensor& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t k = 0; k < want.size(); ++k)
        EXPECT_NEAR(got[k], want[k], 1e-5 * std::max(1.0, std::fabs(want[k]))) << what << ", element " << k;
}

}  // namespace

TEST(RmsProp, FourStepsMatchKerasVisInDouble) {
    for (double decay : {0.95, 0.5}) {
        RmsProp rms(decay);
        EXPECT_EQ(rms.decay_rate(), decay);
        Tensor x({2, 3}, {10, -20, 30, 0.5f, 0, -1});
        std::vector<double> rx(x.begin(), x.end()), rc(6, 0.0);
        // Gradients of different signs and sizes, one element zero at every step, changing from step to step.
        const std::vector<Tensor> grads = {Tensor({2, 3}, {1, -2, 0.5f, 0, 3, -0.25f}),
                                           Tensor({2, 3}, {0.1f, -2, 4, 0, -3, 0.25f}),
                                           Tensor({2, 3}, {-1, 0.001f, 0.5f, 0, 3, 8}),
                                           Tensor({2, 3}, {1, -2, -0.5f, 0, 0.2f, -0.25f})};
        for (std::size_t s = 0; s < grads.size(); ++s) {
            rms.step(x, grads[s]);
            reference_step(rx, rc, grads[s], decay);
            expect_close(x, rx, "x after step " + std::to_string(s + 1) + ", decay " + std::to_string(decay));
            expect_close(rms.cache(), rc, "cache after step " + std::to_string(s + 1) + ", decay " + std::to_string(decay));
        }
    }
}

TEST(RmsProp, FirstStepStartsFromAZeroCache) {
    // cache = (1 − 0.95) · g² = 0.05 g², so x moves by −g / sqrt(0.05 g² + 1e-7): about −sign(g) · 4.47.
    RmsProp rms;
    EXPECT_EQ(rms.cache().size(), 0u) << "no cache before the first step";
    Tensor x({3}, {0, 0, 0});
    rms.step(x, Tensor({3}, {2, -4, 1e-4f}));
    EXPECT_EQ(rms.cache().shape(), (Shape{3}));
    EXPECT_NEAR(rms.cache()[0], 0.05 * 4, 1e-7);
    EXPECT_NEAR(rms.cache()[1], 0.05 * 16, 1e-7);
    EXPECT_NEAR(x[0], -2 / std::sqrt(0.2 + 1e-7), 1e-5);
    EXPECT_NEAR(x[1], 4 / std::sqrt(0.8 + 1e-7), 1e-5);
    // A tiny gradient: eps dominates (0.05 · 1e-8 = 5e-10 ≪ 1e-7), the step stays small.
    EXPECT_NEAR(x[2], -1e-4 / std::sqrt(5e-10 + 1e-7), 1e-6);
}

TEST(RmsProp, ZeroGradientLeavesTheInputUnchanged) {
    RmsProp rms;
    Tensor x({2, 2}, {1, -2, 3, -4});
    const Tensor before = x, zero({2, 2}, 0.0f);
    for (int s = 0; s < 3; ++s) rms.step(x, zero);
    EXPECT_EQ(values(x), values(before));
    EXPECT_EQ(values(rms.cache()), std::vector<float>(4, 0.0f));
}

TEST(RmsProp, ShapeChangesThrowNamingBothShapes) {
    RmsProp rms;
    Tensor x({2, 3}, 1.0f), g({2, 3}, 0.5f);
    rms.step(x, g);
    const std::vector<float> cache_before = values(rms.cache()), x_before = values(x);
    Tensor x2({3, 2}, 1.0f), g2({3, 2}, 0.5f);
    try {
        rms.step(x2, g2);
        FAIL() << "a step of another shape must throw";
    } catch (const std::invalid_argument& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("RmsProp::step"), std::string::npos) << m;
        EXPECT_NE(m.find("[3, 2]"), std::string::npos) << m;
        EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
    }
    try {
        rms.step(x, g2);
        FAIL() << "x and grads of different shapes must throw";
    } catch (const std::invalid_argument& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
        EXPECT_NE(m.find("[3, 2]"), std::string::npos) << m;
    }
    EXPECT_EQ(values(rms.cache()), cache_before) << "a rejected step changed the cache";
    EXPECT_EQ(values(x), x_before) << "a rejected step changed x";
    // reset() starts over, so a new shape is accepted.
    rms.reset();
    rms.step(x2, g2);
    EXPECT_EQ(rms.cache().shape(), (Shape{3, 2}));
}

TEST(RmsProp, ResetGivesTheStepsOfAFreshState) {
    const Tensor g1({4}, {1, -2, 3, 0.5f}), g2({4}, {-1, 0.5f, 2, 0});
    RmsProp used, fresh;
    Tensor a({4}, 0.0f), b({4}, 0.0f);
    used.step(a, g2);
    used.step(a, g1);
    used.reset();
    EXPECT_EQ(values(used.cache()), std::vector<float>(4, 0.0f));
    a = Tensor({4}, 0.0f);
    for (const Tensor* g : {&g1, &g2, &g1}) {
        used.step(a, *g);
        fresh.step(b, *g);
    }
    EXPECT_EQ(values(a), values(b));
    EXPECT_EQ(values(used.cache()), values(fresh.cache()));
}

TEST(RmsProp, ResetToAShapeSizesTheCacheAndFixesIt) {
    RmsProp rms;
    rms.reset({1, 2, 2});
    EXPECT_EQ(rms.cache().shape(), (Shape{1, 2, 2}));
    EXPECT_EQ(values(rms.cache()), std::vector<float>(4, 0.0f));
    Tensor x({1, 4}, 0.0f);
    EXPECT_THROW(rms.step(x, Tensor({1, 4}, 1.0f)), std::invalid_argument);
    Tensor y({1, 2, 2}, 0.0f);
    rms.step(y, Tensor({1, 2, 2}, 1.0f));
    EXPECT_NEAR(y[0], -1 / std::sqrt(0.05 + 1e-7), 1e-5);
}

TEST(RmsProp, InvalidDecayRatesThrow) {
    EXPECT_THROW(RmsProp(-0.1), std::invalid_argument);
    EXPECT_THROW(RmsProp(1.5), std::invalid_argument);
    EXPECT_THROW(RmsProp(std::nan("")), std::invalid_argument);
    EXPECT_NO_THROW(RmsProp(0.0));
    EXPECT_NO_THROW(RmsProp(1.0));
}

TEST(RmsProp, StepsAfterTheFirstAllocateNothing) {
    using xvis::testing::allocation_count;
    Tensor x({3, 8, 8}, 1.0f), g({3, 8, 8}, 0.25f);
    RmsProp rms;
    const long at_start = allocation_count();
    rms.step(x, g);
    const long after_first = allocation_count();
    EXPECT_GT(after_first, at_start) << "the first step sizes the cache (and the counter must see Tensor buffers)";
    for (int s = 0; s < 10; ++s) rms.step(x, g);
    rms.reset();
    rms.step(x, g);  // reset() keeps the buffer: same shape, no allocation
    EXPECT_EQ(allocation_count(), after_first) << "RmsProp::step allocated after its first call";

    RmsProp presized;
    presized.reset(x.shape());
    const long after_reset = allocation_count();
    presized.step(x, g);
    EXPECT_EQ(allocation_count(), after_reset) << "reset(shape) should have sized the cache";
}

// The Optimizer's loop is RmsProp::step: replaying its recorded gradients through an RmsProp reproduces every
// input it evaluated, bit for bit.
TEST(RmsProp, TheOptimizerStepsWithIt) {
    struct Quadratic : Loss {
        Node x;
        explicit Quadratic(Node n) : x(std::move(n)) {}
        Node build_loss() const override { return sum(square(x - 3.0) * (x + 10.0)); }
    };
    struct Recorder : Callback {
        std::vector<Tensor> inputs, grads;
        void callback(int, const NamedLosses&, double, const Tensor& g, const Tensor& wrt) override {
            grads.push_back(g);
            inputs.push_back(wrt);
        }
    };
    Node x = placeholder({1, 5});
    Optimizer opt(x, {{std::make_shared<Quadratic>(x), 1.0}});
    auto rec = std::make_shared<Recorder>();
    MinimizeOptions o;
    o.seed_input = Tensor({1, 5}, {-2, 0, 1, 4, 9});
    o.max_iter = 8;
    o.callbacks = {rec};
    opt.minimize(o);
    ASSERT_EQ(rec->inputs.size(), 8u);
    RmsProp rms;
    Tensor replay = *o.seed_input;
    for (std::size_t i = 0; i < rec->inputs.size(); ++i) {
        EXPECT_EQ(values(replay), values(rec->inputs[i])) << "iteration " << i;
        rms.step(replay, rec->grads[i]);
    }
    EXPECT_NE(values(rec->inputs.back()), values(rec->inputs.front()));
}
