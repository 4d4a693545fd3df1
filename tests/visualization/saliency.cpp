#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace xvis;

namespace {

// keras-vis backprop_modifiers_test: Dense(2, relu, kernel [[-1, 1], [-1, 1]]) → Dense(1, kernel [-1, 1]),
// with the relu inside the Dense layer or as an Activation layer.
Model two_layer(bool separate_activation) {
    std::vector<LayerPtr> layers{std::make_shared<InputLayer>(Shape{2})};
    layers.push_back(std::make_shared<Dense>(2, separate_activation ? ActivationKind::linear : ActivationKind::relu, "h", false));
    if (separate_activation) layers.push_back(std::make_shared<Activation>(ActivationKind::relu));
    layers.push_back(std::make_shared<Dense>(1, ActivationKind::linear, "out", false));
    Model m = Model::sequential(layers);
    m.set_weight("h", "kernel", Tensor({2, 2}, {-1, 1, -1, 1}));
    m.set_weight("out", "kernel", Tensor({2, 1}, {-1, 1}));
    return m;
}

Tensor raw_gradient(Model& m, const Tensor& x, const std::string& backprop) {
    SaliencyOptions o;
    o.backprop_modifier = from_string<BackpropModifier>(backprop);  // keras-vis names, parsed at the edge
    o.grad_modifier = GradModifierKind::none;
    o.keepdims = true;
    o.normalize = false;
    return visualize_saliency(m, -1, {0}, x, o);
}

}  // namespace

TEST(BackpropModifiers, GuidedOnTheKerasVisTwoLayerModel) {
    for (bool separate : {false, true}) {
        Model m = two_layer(separate);
        struct Case {
            float x0, x1, plain, guided;
        };
        for (const Case c : {Case{0, 0, 0, 0}, Case{1, 0, 1, 1}, Case{0, 1, 1, 1}, Case{1, 1, 1, 1}, Case{-1, 0, 1, 0},
                             Case{0, -1, 1, 0}, Case{-1, -1, 1, 0}}) {
            const Tensor x({1, 2}, {c.x0, c.x1});
            const Tensor plain = raw_gradient(m, x, "");
            const Tensor guided = raw_gradient(m, x, "guided");
            for (std::size_t k = 0; k < 2; ++k) {
                EXPECT_EQ(plain[k], c.plain) << "x = (" << c.x0 << ", " << c.x1 << ") separate=" << separate;
                EXPECT_EQ(guided[k], c.guided) << "x = (" << c.x0 << ", " << c.x1 << ") separate=" << separate;
            }
        }
    }
}

TEST(BackpropModifiers, RectifiedKeepsPositiveGradientsOnly) {
    Model m = two_layer(false);
    // x = (0, 0): both relus are off, so the plain and guided gradients are 0; d out/d h = (−1, 1) and the
    // rectified rule passes relu(−1, 1) = (0, 1) regardless of the forward pass: dx = kernel · (0, 1) = (1, 1).
    const Tensor zero({1, 2}, {0, 0});
    for (const char* name : {"rectified", "deconv"}) {
        const Tensor r = raw_gradient(m, zero, name);
        EXPECT_EQ(r[0], 1.0f) << name;
        EXPECT_EQ(r[1], 1.0f) << name;
    }
    EXPECT_EQ(raw_gradient(m, zero, "")[0], 0.0f);
}

TEST(BackpropModifiers, Errors) {
    Model m = two_layer(false);
    EXPECT_THROW(raw_gradient(m, Tensor({1, 2}), "sideways"), std::invalid_argument);
    Model leaky = Model::sequential({std::make_shared<InputLayer>(Shape{2}), std::make_shared<Dense>(2, ActivationKind::leaky_relu, "h"),
                                     std::make_shared<Dense>(1, ActivationKind::linear, "out")});
    try {
        raw_gradient(leaky, Tensor({1, 2}), "guided");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("leaky_relu"), std::string::npos) << e.what();
    }
}

TEST(Saliency, OutputShapesWithAndWithoutKeepdims) {
    Model conv = Model::sequential({std::make_shared<InputLayer>(Shape{3, 8, 8}),
                                    std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "c"),
                                    std::make_shared<Flatten>(), std::make_shared<Dense>(5, ActivationKind::linear, "out")});
    const Tensor x = random_uniform<float>({1, 3, 8, 8}, 0, 1, 1);
    EXPECT_EQ(visualize_saliency(conv, -1, {2}, x).shape(), (Shape{1, 8, 8}));
    SaliencyOptions keep;
    keep.keepdims = true;
    EXPECT_EQ(visualize_saliency(conv, -1, {2}, x, keep).shape(), (Shape{1, 3, 8, 8}));
    // A seed without the batch axis, and a batch of 3.
    EXPECT_EQ(visualize_saliency(conv, -1, {2}, random_uniform<float>({3, 8, 8}, 0, 1, 2)).shape(), (Shape{1, 8, 8}));
    EXPECT_EQ(visualize_saliency(conv, -1, {2}, random_uniform<float>({3, 3, 8, 8}, 0, 1, 2)).shape(), (Shape{3, 8, 8}));
    // keras-vis issue 135: a dense-only model on a length-35 input.
    Model dense = Model::sequential({std::make_shared<InputLayer>(Shape{35}), std::make_shared<Dense>(64, ActivationKind::relu),
                                     std::make_shared<Dense>(100, ActivationKind::relu), std::make_shared<Dense>(50)});
    const Tensor d = random_uniform<float>({1, 35}, 0, 1, 3);
    EXPECT_EQ(visualize_saliency(dense, -1, {23}, d, keep).shape(), (Shape{1, 35}));
    EXPECT_EQ(visualize_saliency(dense, -1, {23}, d).shape(), (Shape{1, 35}));
    const Tensor s = visualize_saliency(dense, -1, {23}, d);
    EXPECT_NEAR(*std::max_element(s.begin(), s.end()), 1.0f, 1e-5);
    EXPECT_NEAR(*std::min_element(s.begin(), s.end()), 0.0f, 1e-6);
    EXPECT_THROW(visualize_saliency(dense, -1, {23}, Tensor({1, 34})), ShapeError);
}

TEST(SmoothGrad, ZeroNoiseEqualsSaliency) {
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{2, 6, 6}),
                                 std::make_shared<Conv2D>(3, std::array<std::size_t, 2>{3, 3}, ActivationKind::tanh, Padding::same, "c"),
                                 std::make_shared<Flatten>(), std::make_shared<Dense>(4, ActivationKind::linear, "out")},
                                "sg", 2);
    const Tensor x = random_uniform<float>({1, 2, 6, 6}, -1, 1, 5);
    SmoothGradOptions o;
    o.noise = 0;
    o.samples = 3;
    const Tensor a = smoothgrad(m, -1, {1}, x, o), b = visualize_saliency(m, -1, {1}, x);
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
    o.noise = 0.2;
    const Tensor c = smoothgrad(m, -1, {1}, x, o);
    double diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff += std::fabs(a[i] - c[i]);
    EXPECT_GT(diff, 1e-3);
    o.samples = 0;
    EXPECT_THROW(smoothgrad(m, -1, {1}, x, o), std::invalid_argument);
}

TEST(IntegratedGradients, CompletenessWithinOnePercentAt64Steps) {
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{2, 8, 8}),
                                 std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "c"),
                                 std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(),
                                 std::make_shared<Dense>(3, ActivationKind::linear, "out")},
                                "ig", 9);
    const Tensor x = random_uniform<float>({1, 2, 8, 8}, 0, 1, 4);
    Function f = compile({m.output()}, {m.input()});
    const double fx = f(x)[0][1], f0 = f(Tensor(x.shape(), 0.0f))[0][1];
    for (auto method : {IntegrationMethod::gauss_legendre, IntegrationMethod::riemann_middle, IntegrationMethod::riemann_trapezoid}) {
        IntegratedGradientsOptions o;
        o.steps = 64;
        o.method = method;
        const Tensor attr = integrated_gradients(m, -1, {1}, x, o);
        double total = 0;
        for (float v : attr) total += v;
        EXPECT_NEAR(total, fx - f0, 0.01 * std::fabs(fx - f0)) << "method " << static_cast<int>(method);
    }
    std::vector<double> a, w;
    integration_rule(IntegrationMethod::gauss_legendre, 5, a, w);
    double sw = 0, m3 = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sw += w[i], m3 += w[i] * a[i] * a[i] * a[i];
    EXPECT_NEAR(sw, 1.0, 1e-12);
    EXPECT_NEAR(m3, 0.25, 1e-12);  // ∫₀¹ α³ dα, exact for Gauss-Legendre
}

TEST(InputXGradient, IsInputTimesRawGradient) {
    Model m = two_layer(false);
    const Tensor x({1, 2}, {-1, 0.5});
    const Tensor g = raw_gradient(m, x, ""), ixg = input_x_gradient(m, -1, {0}, x);
    for (std::size_t k = 0; k < 2; ++k) EXPECT_FLOAT_EQ(ixg[k], x[k] * g[k]);
}

TEST(Saliency, OneAndThreeDimensionalInputs) {
    // 1-D signals [N, C, W] and volumes [N, C, D, H, W]: the channel axis is reduced unless keepdims.
    Model m1 = Model::sequential({std::make_shared<InputLayer>(Shape{2, 9}), std::make_shared<Flatten>(), std::make_shared<Dense>(3)});
    EXPECT_EQ(visualize_saliency(m1, -1, {1}, random_uniform<float>({1, 2, 9}, 0, 1, 1)).shape(), (Shape{1, 9}));
    Model m3 = Model::sequential({std::make_shared<InputLayer>(Shape{3, 4, 5, 6}), std::make_shared<Flatten>(), std::make_shared<Dense>(3)});
    const Tensor x3 = random_uniform<float>({2, 3, 4, 5, 6}, 0, 1, 2);
    EXPECT_EQ(visualize_saliency(m3, -1, {1}, x3).shape(), (Shape{2, 4, 5, 6}));
    SaliencyOptions keep;
    keep.keepdims = true;
    EXPECT_EQ(visualize_saliency(m3, -1, {1}, x3, keep).shape(), (Shape{2, 3, 4, 5, 6}));
    // channels_last volume: the last axis is the channel axis.
    SaliencyOptions last;
    last.data_format = DataFormat::channels_last;
    EXPECT_EQ(visualize_saliency(m3, -1, {1}, x3, last).shape(), (Shape{2, 3, 4, 5}));
}
