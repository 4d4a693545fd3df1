#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace xvis;

namespace {

// x [1, 1, 4, 4] → Conv2D(2 filters, 1×1, linear, kernels 1 and 2) → GlobalAveragePooling2D → Dense(1, [3, −1]).
// score = 3·mean(x) − 2·mean(x); g = (3/16, −1/16) everywhere; w = (3/16, −1/16);
// cam = relu(3/16 · x − 1/16 · 2x) = relu(x / 16).
Model hand_cnn() {
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{1, 4, 4}),
                                 std::make_shared<Conv2D>(2, std::array<std::size_t, 2>{1, 1}, ActivationKind::linear, Padding::valid, "conv"),
                                 std::make_shared<GlobalAveragePooling2D>(), std::make_shared<Dense>(1, ActivationKind::linear, "out")});
    m.set_weight("conv", "kernel", Tensor({2, 1, 1, 1}, {1, 2}));
    m.set_weight("out", "kernel", Tensor({2, 1}, {3, -1}));
    return m;
}

Tensor ramp() {
    Tensor x({1, 1, 4, 4});
    for (std::size_t i = 0; i < 16; ++i) x[i] = 0.5f + float(i);
    return x;
}

}  // namespace

TEST(GradCam, HandComputedMap) {
    Model m = hand_cnn();
    EXPECT_EQ(find_penultimate_layer(m, -1), 0);
    CamOptions raw;
    raw.normalize = false;
    const Tensor x = ramp();
    const Tensor cam = visualize_cam(m, -1, {0}, x, raw);
    ASSERT_EQ(cam.shape(), (Shape{1, 4, 4}));
    for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(cam[i], x[i] / 16, 1e-6) << i;
    const Tensor norm = visualize_cam(m, -1, {0}, x);
    for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(norm[i], float(i) / 15, 1e-5) << i;
    // Negating the class weight flips every gradient: relu leaves nothing (keras-vis's max-division would not).
    m.set_weight("out", "kernel", Tensor({2, 1}, {-3, 1}));
    const Tensor neg = visualize_cam(m, -1, {0}, x, raw);
    for (float v : neg) EXPECT_EQ(v, 0.0f);
}

TEST(GradCam, PlusPlusAndLayerCamOnTheHandModel) {
    Model m = hand_cnn();
    CamOptions raw;
    raw.normalize = false;
    const Tensor x = ramp();
    // LayerCAM: relu(g0)·A0 + relu(g1)·A1 = 3/16 · x.
    const Tensor lc = layercam(m, -1, {0}, x, raw);
    for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(lc[i], 3.0f / 16 * x[i], 1e-5);
    // Grad-CAM++: channel 1 has g < 0, so only channel 0 counts: w0 = Σ α·g with α = g²/(2g² + ΣA0·g³).
    double g = 3.0 / 16, sum_a = 0;
    for (float v : x) sum_a += v;
    const double w0 = 16 * (g * g / (2 * g * g + sum_a * g * g * g + 1e-6)) * g;
    const Tensor pp = gradcam_plus_plus(m, -1, {0}, x, raw);
    for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(pp[i], w0 * x[i], 1e-4 * w0 * x[i]);
}

TEST(GradCam, UpsamplesAndHandlesBatchesAndFormats) {
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{3, 16, 16}),
                                 std::make_shared<Conv2D>(4, std::array<std::size_t, 2>{3, 3}, ActivationKind::relu, Padding::same, "c1"),
                                 std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(),
                                 std::make_shared<Dense>(2, ActivationKind::softmax, "out")},
                                "up", 3);
    const Tensor x = random_uniform<float>({2, 3, 16, 16}, 0, 1, 8);
    for (auto interp : {Interpolation::bilinear, Interpolation::bicubic, Interpolation::nearest}) {
        CamOptions o;
        o.interpolation = interp;
        const Tensor cam = visualize_cam(m, -1, {1}, x, o);
        ASSERT_EQ(cam.shape(), (Shape{2, 16, 16}));
        for (float v : cam) {
            EXPECT_GE(v, 0.0f);
            EXPECT_LE(v, 1.0f);
        }
    }
    CamOptions named;
    named.penultimate_layer = 0;
    EXPECT_EQ(visualize_cam(m, -1, {1}, x, named).shape(), (Shape{2, 16, 16}));
}

TEST(GradCam, Errors) {
    Model dense = Model::sequential({std::make_shared<InputLayer>(Shape{4}), std::make_shared<Dense>(3), std::make_shared<Dense>(2)});
    EXPECT_THROW(visualize_cam(dense, -1, {0}, Tensor({1, 4})), std::invalid_argument);
    Model tiny = Model::sequential({std::make_shared<InputLayer>(Shape{1, 1, 1}),
                                    std::make_shared<Conv2D>(2, std::array<std::size_t, 2>{1, 1}, ActivationKind::relu, Padding::valid, "c"),
                                    std::make_shared<Flatten>(), std::make_shared<Dense>(2, ActivationKind::linear, "out")});
    try {
        visualize_cam(tiny, -1, {0}, Tensor({1, 1, 1, 1}, 1.0f));
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("1x1"), std::string::npos) << e.what();
    }
    Model m = hand_cnn();
    CamOptions late;
    late.penultimate_layer = 2;
    EXPECT_THROW(visualize_cam(m, -1, {0}, ramp(), late), std::invalid_argument);
}

TEST(ScoreCam, OneChannelAloneDrivesTheClass) {
    // conv: channel 0 = relu(x), channel 1 = relu(−x) = 0 for x > 0; the class reads channel 0 only.
    Model m = Model::sequential({std::make_shared<InputLayer>(Shape{1, 6, 6}),
                                 std::make_shared<Conv2D>(2, std::array<std::size_t, 2>{1, 1}, ActivationKind::relu, Padding::valid, "conv"),
                                 std::make_shared<GlobalAveragePooling2D>(), std::make_shared<Dense>(1, ActivationKind::linear, "out")});
    m.set_weight("conv", "kernel", Tensor({2, 1, 1, 1}, {1, -1}));
    m.set_weight("out", "kernel", Tensor({2, 1}, {1, 0}));
    Tensor x({1, 1, 6, 6}, 0.1f);
    x(0, 0, 2, 3) = 5.0f;  // a bright spot
    x(0, 0, 4, 1) = 2.0f;
    for (std::size_t max_channels : {0u, 1u}) {
        ScoreCamOptions o;
        o.max_channels = max_channels;
        o.batch = 1;
        const Tensor cam = score_cam(m, -1, {0}, x, o);
        // cam ∝ A0 = x, normalized.
        for (std::size_t i = 0; i < 36; ++i) EXPECT_NEAR(cam[i], (x[i] - 0.1f) / 4.9f, 1e-4) << i;
    }
    // Scored in chunks of 3 masked inputs, a batch of 2 seeds: the model is left built for the seeds' batch.
    Tensor x2({2, 1, 6, 6}, 0.1f);
    std::copy(x.begin(), x.end(), x2.begin());
    std::copy(x.begin(), x.end(), x2.begin() + 36);
    ScoreCamOptions o3;
    o3.batch = 3;
    const Tensor cam2 = score_cam(m, -1, {0}, x2, o3);
    EXPECT_EQ(m.batch_size(), 1u);  // explaining builds its own graph: the model is left as it was
    for (std::size_t i = 0; i < 72; ++i) EXPECT_NEAR(cam2[i], (x2[i] - 0.1f) / 4.9f, 1e-4) << i;
}

TEST(GuidedGradCam, IsGuidedBackpropTimesCam) {
    Model m = hand_cnn();
    const Tensor x = ramp();
    const Tensor ggc = guided_gradcam(m, -1, {0}, x);
    const Tensor cam = visualize_cam(m, -1, {0}, x);
    SaliencyOptions so;
    so.backprop_modifier = BackpropModifier::guided;
    so.grad_modifier = GradModifierKind::none;
    so.keepdims = true;
    so.normalize = false;
    const Tensor gb = visualize_saliency(m, -1, {0}, x, so);
    for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(ggc[i], gb[i] * cam[i], 1e-6);
}

TEST(GradCam, ResultsCarryTheirIntermediates) {
    // hand_cnn: A = conv(x) = (x, 2x); score = 3·mean(A0) − mean(A1), so g = (3/16, −1/16) at every position.
    const Model m = hand_cnn();
    CamOptions raw;
    raw.normalize = false;
    const Tensor x = ramp();
    GradCam cam(m, -1, {0}, x.shape(), raw);
    EXPECT_EQ(cam.penultimate_layer(), 0);
    const CamResult& r = cam.explain(x);
    ASSERT_EQ(r.activations.shape(), (Shape{1, 2, 4, 4}));
    ASSERT_EQ(r.gradients.shape(), (Shape{1, 2, 4, 4}));
    ASSERT_EQ(r.weights.shape(), (Shape{1, 2}));
    ASSERT_EQ(r.cam.shape(), (Shape{1, 4, 4}));
    ASSERT_EQ(r.heatmap.shape(), (Shape{1, 4, 4}));
    for (std::size_t p = 0; p < 16; ++p) {
        EXPECT_NEAR(r.activations[p], x[p], 1e-6) << p;
        EXPECT_NEAR(r.activations[16 + p], 2 * x[p], 1e-6) << p;
        EXPECT_NEAR(r.gradients[p], 3.0 / 16, 1e-7) << p;
        EXPECT_NEAR(r.gradients[16 + p], -1.0 / 16, 1e-7) << p;
        EXPECT_NEAR(r.cam[p], x[p] / 16, 1e-6) << p;  // relu(3/16 · x − 1/16 · 2x)
        EXPECT_NEAR(r.heatmap[p], x[p] / 16, 1e-6) << p;  // same resolution: the map itself
    }
    EXPECT_NEAR(r.weights[0], 3.0 / 16, 1e-7);
    EXPECT_NEAR(r.weights[1], -1.0 / 16, 1e-7);
    // The heat-map call returns the same map; normalized, it is the min-max scaled cam.
    EXPECT_EQ(cam(x).data(), r.heatmap.data());
    GradCam normalized(m, -1, {0}, x.shape());
    const CamResult& n = normalized.explain(x);
    for (std::size_t p = 0; p < 16; ++p) EXPECT_NEAR(n.heatmap[p], float(p) / 15, 1e-5) << p;

    // LayerCAM weighs each position by relu(g): 3/16 on channel 0, 0 on channel 1.
    LayerCam layer_cam(m, -1, {0}, x.shape(), raw);
    const CamResult& l = layer_cam.explain(x);
    ASSERT_EQ(l.weights.shape(), (Shape{1, 2, 4, 4}));
    for (std::size_t p = 0; p < 16; ++p) {
        EXPECT_NEAR(l.weights[p], 3.0 / 16, 1e-7);
        EXPECT_EQ(l.weights[16 + p], 0.0f);
    }
    // Grad-CAM++: w1 = 0 (g < 0 everywhere), w0 = Σ α·g.
    double g = 3.0 / 16, sum_a = 0;
    for (float v : x) sum_a += v;
    GradCamPlusPlus plus_plus(m, -1, {0}, x.shape(), raw);
    const CamResult& pp = plus_plus.explain(x);
    EXPECT_NEAR(pp.weights[0], 16 * (g * g / (2 * g * g + sum_a * g * g * g + 1e-6)) * g, 1e-6);
    EXPECT_EQ(pp.weights[1], 0.0f);
}

TEST(ScoreCam, ResultsCarryTheSoftmaxWeights) {
    const Model m = hand_cnn();
    ScoreCamOptions raw;
    raw.normalize = false;
    const Tensor x = ramp();
    ScoreCam cam(m, -1, {0}, x.shape(), raw);
    const CamResult& r = cam.explain(x);
    EXPECT_EQ(r.gradients.size(), 0u);
    ASSERT_EQ(r.weights.shape(), (Shape{1, 2}));
    EXPECT_NEAR(r.weights[0] + r.weights[1], 1.0, 1e-6);  // a softmax over the channels
    for (std::size_t p = 0; p < 16; ++p)
        EXPECT_NEAR(r.cam[p], std::max(0.0f, r.weights[0] * x[p] + r.weights[1] * 2 * x[p]), 1e-5) << p;
}

// ---------------------------------------------------------------------------------------------------------------
// Token grids: Grad-CAM of a ViT on the tokens entering its last block's attention, against PyTorch's float64
// Grad-CAM done as pytorch-grad-cam does it (class token dropped, patch tokens reshaped to their grid;
// scripts/make_onnx_fixtures.py, vit_gradcam_reference). The reduced ViT: 32×32 input, 8×8 patches, 17 tokens
// of 32 channels.
namespace {

std::string onnx_dir() { return std::string(XVIS_TEST_DATA) + "/onnx/"; }
const char* vit_ln_1 = "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization";

CamOptions vit_cam_options(const Model& m) {
    CamOptions o;
    o.penultimate_layer = static_cast<std::int64_t>(m.find_layer_idx(vit_ln_1));
    o.token_grid = TokenGrid{};
    o.normalize = false;
    return o;
}

void expect_close_to(const Tensor& got, const TensorD& ref, double tolerance, const char* what) {
    ASSERT_EQ(got.shape(), ref.shape()) << what;
    double scale = 0;
    for (double r : ref) scale = std::max(scale, std::fabs(r));
    ASSERT_GT(scale, 0.0) << what;
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], ref[i], tolerance * scale) << what << " element " << i;
}

}  // namespace

TEST(GradCam, TokenGridOnViTMatchesPyTorch) {
    Model m = import_onnx(onnx_dir() + "vit.onnx");
    const Tensor x = load_onnx_tensor(onnx_dir() + "vit.input.pb").cast<float>();
    GradCam cam(m, -1, {1}, x.shape(), vit_cam_options(m));
    const CamResult& r = cam.explain(x);
    EXPECT_EQ(r.activations.shape(), (Shape{1, 17, 32}));
    EXPECT_EQ(r.weights.shape(), (Shape{1, 32}));
    expect_close_to(r.cam, load_onnx_tensor(onnx_dir() + "vit.gradcam.pb"), 1e-3, "cam");
    expect_close_to(r.heatmap, load_onnx_tensor(onnx_dir() + "vit.gradcam_upsampled.pb"), 1e-3, "heatmap");
    // The class token carries gradient too (it is skipped, not zero): the map must not read it.
    double class_token_grad = 0;
    for (std::size_t c = 0; c < 32; ++c) class_token_grad += std::fabs(r.gradients[c]);
    EXPECT_GT(class_token_grad, 0.0);

    // A batch of two copies (this ViT was exported for batch 1: explained sample by sample): both maps are PyTorch's,
    // which a per-sample stride of h·w instead of the T tokens would break.
    Shape twice = x.shape();
    twice[0] = 2;
    Tensor x2(twice);
    std::copy(x.begin(), x.end(), x2.begin());
    std::copy(x.begin(), x.end(), x2.begin() + static_cast<std::ptrdiff_t>(x.size()));
    GradCam batch(m, -1, {1}, twice, vit_cam_options(m));
    const TensorD ref = load_onnx_tensor(onnx_dir() + "vit.gradcam.pb");
    const Tensor& cams = batch.explain(x2).cam;
    ASSERT_EQ(cams.shape(), (Shape{2, 4, 4}));
    for (std::size_t i = 0; i < cams.size(); ++i) ASSERT_NEAR(cams[i], ref[i % ref.size()], 1e-3 * std::fabs(ref[i % ref.size()]) + 1e-5) << i;

    CamOptions rows = vit_cam_options(m);  // one side given, the other derived: the same grid
    rows.token_grid->height = 4;
    GradCam by_rows(m, -1, {1}, x.shape(), rows);
    const Tensor& same = by_rows.explain(x).cam;
    ASSERT_EQ(same.shape(), r.cam.shape());
    EXPECT_TRUE(std::equal(same.begin(), same.end(), r.cam.begin()));
}

// LayerCAM and Grad-CAM++ read the same layout: their maps, recomputed here from the returned A and ∂score/∂A
// by token index (token 1 + p is position p), agree.
TEST(GradCam, TokenGridLayoutOfLayerCamAndPlusPlus) {
    Model m = import_onnx(onnx_dir() + "vit.onnx");
    const Tensor x = load_onnx_tensor(onnx_dir() + "vit.input.pb").cast<float>();
    LayerCam layer(m, -1, {1}, x.shape(), vit_cam_options(m));
    const CamResult& r = layer.explain(x);
    ASSERT_EQ(r.cam.shape(), (Shape{1, 4, 4}));
    for (std::size_t p = 0; p < 16; ++p) {
        double v = 0;
        for (std::size_t c = 0; c < 32; ++c) v += std::max(r.gradients[(1 + p) * 32 + c], 0.0f) * r.activations[(1 + p) * 32 + c];
        EXPECT_NEAR(r.cam[p], std::max(v, 0.0), 1e-5 * (1 + std::fabs(v))) << p;
    }
    GradCamPlusPlus plus(m, -1, {1}, x.shape(), vit_cam_options(m));
    EXPECT_EQ(plus.explain(x).cam.shape(), (Shape{1, 4, 4}));
    ScoreCamOptions so;
    static_cast<CamOptions&>(so) = vit_cam_options(m);
    so.max_channels = 4;
    EXPECT_EQ(score_cam(m, -1, {1}, x, so).shape(), (Shape{1, 32, 32}));
}

TEST(GradCam, TokenGridErrors) {
    Model m = import_onnx(onnx_dir() + "vit.onnx");
    const Tensor x = load_onnx_tensor(onnx_dir() + "vit.input.pb").cast<float>();
    const auto message = [&](CamOptions o) -> std::string {
        try {
            GradCam(m, -1, {1}, x.shape(), o);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "no exception";
    };
    const auto contains = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
    CamOptions no_layer;
    no_layer.token_grid = TokenGrid{};
    EXPECT_TRUE(contains(message(no_layer), "token_grid needs penultimate_layer")) << message(no_layer);
    CamOptions conv = vit_cam_options(m);  // the patch embedding's [1, 32, 4, 4] map is not tokens
    conv.penultimate_layer = static_cast<std::int64_t>(m.find_layer_idx("/conv_proj/Conv"));
    EXPECT_TRUE(contains(message(conv), "[N, T, C]")) << message(conv);
    CamOptions cf = vit_cam_options(m);
    cf.feature_format = DataFormat::channels_first;
    EXPECT_TRUE(contains(message(cf), "channels_first")) << message(cf);
    CamOptions no_skip = vit_cam_options(m);  // 17 tokens are no square
    no_skip.token_grid->skip = 0;
    EXPECT_TRUE(contains(message(no_skip), "not a square grid")) << message(no_skip);
    CamOptions rows = vit_cam_options(m);
    rows.token_grid->height = 3;
    EXPECT_TRUE(contains(message(rows), "not rows of 3")) << message(rows);
    CamOptions both = vit_cam_options(m);
    both.token_grid->height = 2;
    both.token_grid->width = 2;
    EXPECT_TRUE(contains(message(both), "needs 4 tokens")) << message(both);
    CamOptions all = vit_cam_options(m);
    all.token_grid->skip = 17;
    EXPECT_TRUE(contains(message(all), "none left")) << message(all);
    EXPECT_THROW(GradCam(m, -1, {1}, x.shape(), no_skip), ShapeError);
    CamOptions plain;  // tokens without a grid would be read as a 1-D map under a 2-D image: refused, with the hint
    plain.penultimate_layer = static_cast<std::int64_t>(m.find_layer_idx(vit_ln_1));
    EXPECT_TRUE(contains(message(plain), "token_grid")) << message(plain);
    EXPECT_THROW(GradCam(m, -1, {1}, x.shape(), plain), ShapeError);
    ScoreCamOptions score;
    score.penultimate_layer = plain.penultimate_layer;
    EXPECT_THROW(score_cam(m, -1, {1}, x, score), ShapeError);
}
