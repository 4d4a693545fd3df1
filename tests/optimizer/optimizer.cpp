#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace xvis;

namespace {

// Records the input (wrt_value) and loss seen at every iteration.
struct Recorder : Callback {
    std::vector<Tensor> inputs;
    std::vector<double> losses;
    int ended = 0;
    void callback(int, const NamedLosses&, double overall, const Tensor&, const Tensor& wrt) override {
        inputs.push_back(wrt);
        losses.push_back(overall);
    }
    void on_end() override { ++ended; }
};

// A loss that counts how often it is built.
struct CountingLoss : Loss {
    Node x;
    mutable int builds = 0;
    explicit CountingLoss(Node n) : x(std::move(n)) {}
    std::string name() const override { return "counting"; }
    Node build_loss() const override {
        ++builds;
        return sum(x);
    }
};

// y = Σ w_i x_i: a one-unit dense layer without bias.
Model linear_model(const Tensor& w) {
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{w.size()}), std::make_shared<Dense>(1, ActivationKind::linear, "y", false)});
    m.set_weight("y", "kernel", w);
    return m;
}

}  // namespace

TEST(Optimizer, RmspropStepNumberByNumber) {
    const Tensor w({3, 1}, {0.5f, -2.0f, 1.0f});
    Model m = linear_model(w);
    auto rec = std::make_shared<Recorder>();
    Optimizer opt(m.input(), {{std::make_shared<ActivationMaximization>(m.output(), std::vector<std::int64_t>{0}), 1.0}},
                  {0, 255}, {}, /*norm_grads=*/true);
    MinimizeOptions o;
    o.seed_input = Tensor({1, 3}, {10, 20, 30});
    o.max_iter = 3;
    o.callbacks = {rec};
    opt.minimize(o);
    ASSERT_EQ(rec->inputs.size(), 3u);
    // overall = −y, grads = −w / ‖w‖ (normalized), constant; cache and x by the keras-vis formulas.
    const double norm = std::sqrt(0.25 + 4 + 1);
    double x[3] = {10, 20, 30}, cache[3] = {0, 0, 0};
    for (int it = 0; it < 3; ++it) {
        for (int k = 0; k < 3; ++k) EXPECT_NEAR(rec->inputs[it][k], x[k], 1e-4 * std::fabs(x[k])) << "iteration " << it;
        EXPECT_NEAR(rec->losses[it], -(0.5 * x[0] - 2 * x[1] + x[2]), 1e-3);
        for (int k = 0; k < 3; ++k) {
            const double g = -w[k] / norm;
            cache[k] = 0.95 * cache[k] + 0.05 * g * g;
            x[k] -= g / std::sqrt(cache[k] + 1e-7);
        }
    }
    EXPECT_EQ(rec->ended, 1);
}

TEST(Optimizer, MovesALinearModelsImageTowardItsMaximizer) {
    const Tensor w({4, 1}, {1.0f, -1.0f, 0.3f, -3.0f});
    Model m = linear_model(w);
    auto rec = std::make_shared<Recorder>();
    VisualizeActivationOptions o;
    o.lp_norm_weight = 0;
    o.tv_weight = 0;  // 1-D input without spatial axes: TotalVariation must not even be built
    o.max_iter = 20;
    o.seed = 3;
    o.callbacks = {rec};
    const auto r = visualize_activation(m, -1, {0}, o);
    // Maximizing w·x moves every pixel along sign(w); the loss falls monotonically.
    for (std::size_t k = 0; k < 4; ++k)
        EXPECT_EQ(std::signbit(rec->inputs.back()[k] - rec->inputs.front()[k]), std::signbit(w[k])) << k;
    for (std::size_t i = 1; i < rec->losses.size(); ++i) EXPECT_LT(rec->losses[i], rec->losses[i - 1]);
    EXPECT_EQ(r.best_iteration, o.max_iter - 1);
    EXPECT_EQ(r.image.shape(), (Shape{1, 4}));
}

TEST(Optimizer, SeedStatisticsAndReproducibility) {
    Model m = linear_model(Tensor({6, 1}, 1.0f));
    auto rec = std::make_shared<Recorder>();
    Optimizer opt(m.input(), {{std::make_shared<ActivationMaximization>(m.output(), std::vector<std::int64_t>{0}), 1.0}});
    MinimizeOptions o;
    o.max_iter = 1;
    o.callbacks = {rec};
    const Tensor big = random_array({1, 3, 32, 32}, 127.5, 12.75, 1);
    double mean = 0, var = 0;
    for (float v : big) mean += v;
    mean /= big.size();
    for (float v : big) var += (v - mean) * (v - mean);
    EXPECT_NEAR(mean, 127.5, 1e-3);
    EXPECT_NEAR(std::sqrt(var / big.size()), 12.75, 1e-3);
    const auto a = opt.minimize(o), b = opt.minimize(o);
    EXPECT_TRUE(std::equal(a.image.begin(), a.image.end(), b.image.begin()));
    o.seed = 1;
    const auto c = opt.minimize(o);
    EXPECT_FALSE(std::equal(a.image.begin(), a.image.end(), c.image.begin()));
}

TEST(Optimizer, ZeroWeightLossesAreNeverBuilt) {
    Node x = placeholder({1, 2});
    auto used = std::make_shared<CountingLoss>(x), skipped = std::make_shared<CountingLoss>(x);
    Optimizer opt(x, {{used, 1.0}, {skipped, 0.0}});
    EXPECT_EQ(used->builds, 1);
    EXPECT_EQ(skipped->builds, 0);
    EXPECT_EQ(opt.loss_names(), (std::vector<std::string>{"counting"}));
    EXPECT_THROW(Optimizer(x, {{used, 0.0}}), std::invalid_argument);
    MinimizeOptions o;
    o.max_iter = 0;
    EXPECT_THROW(opt.minimize(o), std::invalid_argument);
}

TEST(Optimizer, NanLossStopsWithAClearError) {
    Node x = placeholder({1, 3});
    struct LogLoss : Loss {
        Node x;
        explicit LogLoss(Node n) : x(std::move(n)) {}
        Node build_loss() const override { return sum(log(x)); }
    };
    Optimizer opt(x, {{std::make_shared<LogLoss>(x), 1.0}});
    MinimizeOptions o;
    o.seed_input = Tensor({1, 3}, {-1, 2, 3});
    try {
        opt.minimize(o);
        FAIL() << "a NaN loss must stop the optimizer";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("iteration 1"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("Unnamed Loss"), std::string::npos) << e.what();
    }
}

TEST(Jitter, BoundsAndTrueCircularShift) {
    Jitter j(0.05, DataFormat::channels_first, 7);
    EXPECT_EQ(j.bounds({1, 3, 224, 224}), (std::vector<std::int64_t>{11, 11}));
    EXPECT_EQ(Jitter(3).bounds({1, 1, 10, 10}), (std::vector<std::int64_t>{3, 3}));
    EXPECT_THROW(Jitter(-0.1), std::invalid_argument);
    Tensor img({1, 2, 40, 20});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = float(i);
    bool moved = false;
    for (int trial = 0; trial < 20; ++trial) {
        Tensor x = img;
        j.pre(x);
        const auto s = j.last_shifts();
        ASSERT_EQ(s.size(), 2u);
        EXPECT_LE(std::abs(s[0]), 2);
        EXPECT_LE(std::abs(s[1]), 1);
        moved = moved || s[0] != 0 || s[1] != 0;
        for (std::size_t c = 0; c < 2; ++c)
            for (std::size_t h = 0; h < 40; ++h)
                for (std::size_t w = 0; w < 20; ++w) {
                    const std::size_t hh = (h + 40 + s[0]) % 40, ww = (w + 20 + s[1]) % 20;
                    ASSERT_EQ(x(0, c, hh, ww), img(0, c, h, w));
                }
    }
    EXPECT_TRUE(moved);
}

TEST(GradModifiers, KerasVisNames) {
    Tensor g({4}, {-2, -0.5, 0, 4});
    auto apply = [&](const std::string& n) {
        Tensor t = g;
        grad_modifier(n)(t);
        return t;
    };
    EXPECT_EQ(apply("negate")[0], 2.0f);
    EXPECT_EQ(apply("absolute")[1], 0.5f);
    EXPECT_EQ(apply("relu")[0], 0.0f);
    EXPECT_FLOAT_EQ(apply("invert")[3], 1.0f / (4.0f + 1e-7f));
    EXPECT_FLOAT_EQ(apply("small_values")[0], std::fabs(1.0f / (-2.0f + 1e-7f)));
    EXPECT_FALSE(grad_modifier(""));
    try {
        grad_modifier("clip");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("small_values"), std::string::npos);
    }
}
