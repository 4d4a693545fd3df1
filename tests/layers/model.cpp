#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace xvis;

namespace {

// The Fashion-MNIST CNN of performance-targets.md (W1).
Model w1(std::uint64_t seed = 0) {
    return Model::sequential({std::make_shared<InputLayer>(Shape{1, 28, 28}, "image"),
                              std::make_shared<Conv2D>(32, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "conv1"),
                              std::make_shared<MaxPooling2D>(),
                              std::make_shared<Conv2D>(64, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "conv2"),
                              std::make_shared<MaxPooling2D>(),
                              std::make_shared<Flatten>(),
                              std::make_shared<Dense>(128, ActivationKind::relu, "fc1"),
                              std::make_shared<Dropout>(0.5),
                              std::make_shared<Dense>(10, ActivationKind::softmax, "predictions")},
                             "w1", seed);
}

Tensor run(const Model& m, const Tensor& x, int layer = -1) {
    Function f = compile({m.layer_output(layer)}, {m.input()});
    return f(x)[0];
}

}  // namespace

TEST(Model, SequentialShapesCountsAndLookup) {
    Model m = w1();
    EXPECT_EQ(m.num_layers(), 8u);  // Keras: a Sequential model's layers exclude the InputLayer
    EXPECT_EQ(m.layer_output("conv1").shape(), (Shape{1, 32, 28, 28}));
    EXPECT_EQ(m.layer_output(-1).shape(), (Shape{1, 10}));
    EXPECT_EQ(m.count_params(), 320u + 18496u + 401536u + 1290u);
    EXPECT_EQ(m.find_layer_idx("fc1"), 5u);
    EXPECT_EQ(m.layer(-1)->name(), "predictions");
    try {
        m.find_layer_idx("nope");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("conv1, "), std::string::npos) << e.what();
    }
    EXPECT_THROW(m.layer(8), std::out_of_range);
    EXPECT_THROW(m.layer(-9), std::out_of_range);
    EXPECT_EQ(m.layer(0)->name(), "conv1");
    const std::string s = m.summary();
    EXPECT_NE(s.find("conv1 (Conv2D)"), std::string::npos) << s;
    EXPECT_NE(s.find("(None, 32, 28, 28)"), std::string::npos) << s;
    EXPECT_NE(s.find("Total params: 421,642"), std::string::npos) << s;
}

TEST(Model, SeededWeightsAndBatchRebuild) {
    Model a = w1(3), b = w1(3), c = w1(4);
    const auto& ka = *a.weight("conv1", "kernel");
    const auto& kb = *b.weight("conv1", "kernel");
    const auto& kc = *c.weight("conv1", "kernel");
    EXPECT_TRUE(std::equal(ka.begin(), ka.end(), kb.begin()));
    EXPECT_FALSE(std::equal(ka.begin(), ka.end(), kc.begin()));
    // Glorot uniform limit for conv1: sqrt(6 / (9 + 288)).
    const double limit = std::sqrt(6.0 / (9 + 288));
    for (float v : ka) EXPECT_LE(std::fabs(v), limit);
    const Tensor before = ka;
    a.build(4);
    EXPECT_EQ(a.input().shape(), (Shape{4, 1, 28, 28}));
    EXPECT_TRUE(std::equal(before.begin(), before.end(), a.weight("conv1", "kernel")->begin()));
}

TEST(Model, SoftmaxToLinearKeepsWeights) {
    Model m = w1(1);
    // Give the last layer a bias so logits are not symmetric around 0.
    m.weight("predictions", "bias")->fill(0.5f);
    const Tensor x = random_uniform<float>({1, 1, 28, 28}, 0, 1, 2);
    const Tensor probs = run(m, x);
    double total = 0;
    for (float v : probs) total += v;
    EXPECT_NEAR(total, 1.0, 1e-5);
    m.set_activation("predictions", ActivationKind::linear);
    const Tensor logits = run(m, x);
    // softmax(logits) == the probabilities from before: same weights.
    double z = 0;
    for (float v : logits) z += std::exp(double(v));
    for (std::size_t i = 0; i < 10; ++i) EXPECT_NEAR(std::exp(double(logits[i])) / z, probs[i], 1e-5);
    EXPECT_THROW(m.set_activation("flatten", ActivationKind::linear), std::invalid_argument);
}

TEST(Model, WritableParametersAreSeenByCompiledFunctions) {
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{2}), std::make_shared<Dense>(1, ActivationKind::linear, "d")});
    m.set_weight("d", "kernel", Tensor({2, 1}, {2, 3}));
    m.set_weight("d", "bias", Tensor({1}, {1}));
    Function f = compile({m.output()}, {m.input()});
    EXPECT_FLOAT_EQ(f(Tensor({1, 2}, {1, 1}))[0][0], 6.0f);
    m.weight("d", "bias")->fill(-1.0f);  // no recompile needed
    EXPECT_FLOAT_EQ(f(Tensor({1, 2}, {1, 1}))[0][0], 4.0f);
    EXPECT_THROW(m.set_weight("d", "kernel", Tensor({1, 2})), ShapeError);
    EXPECT_THROW(m.weight("d", "gamma"), std::invalid_argument);
}

TEST(Model, FunctionalDagWithAddAndConcatenate) {
    LayerRef in = Input({3, 8, 8}, "in");
    auto c1 = std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "a");
    auto c2 = std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{1, 1}, ActivationKind::linear, Padding::valid, "b");
    LayerRef x1 = (*c1)(in);
    LayerRef x2 = (*c2)(in);
    LayerRef sum = (*std::make_shared<Add>("sum"))({x1, x2});
    LayerRef cat = (*std::make_shared<Concatenate>(1, "cat"))({sum, x1});
    LayerRef out = (*std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_first, "gap"))(cat);
    Model m({in}, {out}, "dag", 5);
    EXPECT_EQ(m.output().shape(), (Shape{1, 8}));
    EXPECT_NE(m.summary().find("Connected to"), std::string::npos);
    const Tensor x = random_uniform<float>({1, 3, 8, 8}, -1, 1, 6);
    Function f = compile({m.layer_output("sum"), m.layer_output("a"), m.layer_output("b"), m.output()}, {m.input()});
    const auto& r = f(x);
    for (std::size_t i = 0; i < r[0].size(); ++i) EXPECT_NEAR(r[0][i], r[1][i] + r[2][i], 1e-5);
    // gap of the concatenation: first 4 channels = mean of sum, last 4 = mean of a
    for (std::size_t c = 0; c < 4; ++c) {
        double s = 0, a = 0;
        for (std::size_t i = 0; i < 64; ++i) {
            s += r[0][c * 64 + i];
            a += r[1][c * 64 + i];
        }
        EXPECT_NEAR(r[3][c], s / 64, 1e-5);
        EXPECT_NEAR(r[3][4 + c], a / 64, 1e-5);
    }
}

TEST(Model, ChannelsLastMatchesChannelsFirst) {
    Conv2DOptions o;
    o.padding = Padding::same;
    o.strides = {2, 2};
    o.activation = ActivationKind::relu;
    o.name = "cf";
    Model cf = Model::sequential({std::make_shared<InputLayer>(Shape{3, 7, 7}), std::make_shared<Conv2D>(5, std::array<std::size_t, 2>{3, 3}, o),
                                  std::make_shared<MaxPooling2D>(std::array<std::size_t, 2>{2, 2}, std::array<std::size_t, 2>{0, 0}, Padding::same)});
    o.data_format = DataFormat::channels_last;
    o.name = "cl";
    Model cl = Model::sequential({std::make_shared<InputLayer>(Shape{7, 7, 3}), std::make_shared<Conv2D>(5, std::array<std::size_t, 2>{3, 3}, o),
                                  std::make_shared<MaxPooling2D>(std::array<std::size_t, 2>{2, 2}, std::array<std::size_t, 2>{0, 0}, Padding::same,
                                                                 DataFormat::channels_last)});
    cl.set_weight("cl", "kernel", *cf.weight("cf", "kernel"));
    fill_uniform(*cf.weight("cf", "bias"), -0.1, 0.1, 3);
    cl.set_weight("cl", "bias", *cf.weight("cf", "bias"));
    const Tensor x = random_uniform<float>({1, 3, 7, 7}, -1, 1, 8);
    Node p = placeholder(x.shape());
    Function to_last = compile({transpose(p, {0, 2, 3, 1})}, {p});
    const Tensor xl = to_last(x)[0];
    const Tensor yf = run(cf, x), yl = run(cl, xl);
    ASSERT_EQ(yf.shape(), (Shape{1, 5, 2, 2}));
    ASSERT_EQ(yl.shape(), (Shape{1, 2, 2, 5}));
    for (std::size_t c = 0; c < 5; ++c)
        for (std::size_t h = 0; h < 2; ++h)
            for (std::size_t w = 0; w < 2; ++w) EXPECT_NEAR(yf(0, c, h, w), yl(0, h, w, c), 1e-5);
}

TEST(Model, BatchNormalizationInference) {
    auto bn = std::make_shared<BatchNormalization>(1e-3, DataFormat::channels_first, "bn");
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{2, 1, 2}), bn});
    m.set_weight("bn", "gamma", Tensor({2}, {2, 3}));
    m.set_weight("bn", "beta", Tensor({2}, {1, -1}));
    m.set_weight("bn", "moving_mean", Tensor({2}, {0.5, 1}));
    m.set_weight("bn", "moving_variance", Tensor({2}, {4, 9}));
    const Tensor y = run(m, Tensor({1, 2, 1, 2}, {1, 2, 3, 4}));
    EXPECT_NEAR(y[0], 2 * (1 - 0.5) / std::sqrt(4.001) + 1, 1e-5);
    EXPECT_NEAR(y[3], 3 * (4 - 1) / std::sqrt(9.001) - 1, 1e-5);
    EXPECT_NE(m.summary().find("Non-trainable params: 4"), std::string::npos) << m.summary();
}

TEST(Model, Errors) {
    EXPECT_THROW(Model::sequential({std::make_shared<Dense>(2)}), std::invalid_argument);
    EXPECT_THROW(Conv2D(0, {3, 3}), std::invalid_argument);
    EXPECT_THROW(Conv2D(4, {3, 3}, "swish"), std::invalid_argument);
    EXPECT_THROW(Conv2D(4, {3, 3}, "relu", "full"), std::invalid_argument);
    EXPECT_THROW(Dropout(1.0), std::invalid_argument);
    // A Conv2D on a rank-2 input: the message names the layer and the input shape.
    try {
        Model::sequential({std::make_shared<InputLayer>(Shape{5}), std::make_shared<Conv2D>(2, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::valid, "bad")});
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("bad"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("[1, 5]"), std::string::npos) << e.what();
    }
}

TEST(Initializers, GlorotAndHeFollowKerasFormulas) {
    // he_normal: truncated at 2σ with σ = sqrt(2 / fan_in) / 0.8796; conv kernel [K, C, R, S]: fan_in = C·R·S.
    const Tensor he = initialize({64, 32, 3, 3}, Initializer::he_normal, 5);
    const double sigma = std::sqrt(2.0 / (32 * 9)) / 0.87962566103423978;
    double sq = 0;
    for (float v : he) {
        EXPECT_LE(std::fabs(v), 2 * sigma + 1e-6);
        sq += double(v) * v;
    }
    // The variance of a normal truncated at ±2σ is 0.7737·σ² — that is what Keras's correction undoes.
    EXPECT_NEAR(std::sqrt(sq / he.size()), std::sqrt(2.0 / (32 * 9)), 0.02 * std::sqrt(2.0 / (32 * 9)));
    const Tensor g = initialize({300, 200}, Initializer::glorot_uniform, 6);
    const double limit = std::sqrt(6.0 / 500);
    double mx = 0;
    for (float v : g) mx = std::max(mx, double(std::fabs(v)));
    EXPECT_LE(mx, limit);
    EXPECT_GT(mx, 0.95 * limit);
    EXPECT_EQ(initialize({3}, Initializer::ones, 0)[2], 1.0f);
    EXPECT_THROW(initializer_from_string("lecun"), std::invalid_argument);
}
