// Real architectures exported by PyTorch (reduced torchvision families) and tf2onnx-shaped Keras graphs
// (tests/data/onnx, made by scripts/make_onnx_fixtures.py): imported with import_onnx, their logits and the
// saliency gradient d(Σ_n logits[n, k]) / d(input) must match PyTorch's float64 references:
// |logits − ref| ≤ 1e-4·max|ref| and |grad − ref| ≤ 1e-3·max|ref|, element-wise.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/io/onnx.hpp>
#include <xvis/image/resize.hpp>
#include <xvis/visualization/cam.hpp>
#include <xvis/visualization/integrated_gradients.hpp>
#include <xvis/visualization/saliency.hpp>
#include <xvis/visualization/score_cam.hpp>
#include <xvis/visualization/visualize_activation.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

using namespace xvis;

namespace {

struct Fixture {
    std::string model;
    int opset = 0;
    std::int64_t k = 0;
    std::string batch_kind;
    bool softmax = false;
};

std::string dir() { return std::string(XVIS_TEST_DATA) + "/onnx/"; }

std::vector<Fixture> fixtures() {
    std::vector<Fixture> out;
    std::ifstream in(dir() + "manifest.txt");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Fixture f;
        std::string shape, extra;
        if (!(ls >> f.model >> f.opset >> f.k >> shape >> f.batch_kind)) continue;
        f.softmax = (ls >> extra) && extra == "softmax";
        out.push_back(f);
    }
    return out;
}

// Worst |got − ref| relative to max|ref|, with the element where it happens.
std::pair<double, std::size_t> relative_error(const Tensor& got, const TensorD& ref) {
    EXPECT_EQ(got.shape(), ref.shape());
    double scale = 0, worst = 0;
    std::size_t at = 0;
    for (double r : ref) scale = std::max(scale, std::fabs(r));
    for (std::size_t i = 0; i < ref.size() && i < got.size(); ++i) {
        const double e = std::fabs(double(got.data()[i]) - ref.data()[i]);
        if (!(e <= worst)) worst = e, at = i;
    }
    return {worst / std::max(scale, 1e-30), at};
}

// Logits and d(Σ_n logits[n, k]) / d(input) of the model's first output.
std::pair<Tensor, Tensor> logits_and_gradient(Model& model, const Tensor& x, std::int64_t k) {
    if (x.shape()[0] != model.input().shape()[0]) model.build(x.shape()[0]);
    EXPECT_EQ(model.input().shape(), x.shape());
    Node logits = model.output();
    Node score = sum(slice(logits, {0, k}, {slice_full, k + 1}));
    Node grad = gradients(score, {model.input()})[0];
    Function f = compile({logits, grad}, {model.input()});
    const auto& out = f(x);
    return {out[0], out[1]};
}

class Architecture : public ::testing::TestWithParam<Fixture> {};

TEST_P(Architecture, LogitsAndSaliencyMatchPyTorch) {
    const Fixture& p = GetParam();
    Model model = import_onnx(dir() + p.model + ".onnx");
    const Tensor x = load_onnx_tensor(dir() + p.model + ".input.pb").cast<float>();
    if (p.softmax) {  // the graph's output is the softmax; keras-vis swaps it for linear to explain logits
        auto [probs, unused] = logits_and_gradient(model, x, p.k);
        auto e = relative_error(probs, load_onnx_tensor(dir() + p.model + ".logits.pb"));
        EXPECT_LE(e.first, 1e-4) << p.model << " softmax output, element " << e.second;
        model.set_activation(-1, ActivationKind::linear);
    }
    auto [logits, grad] = logits_and_gradient(model, x, p.k);
    const std::string suffix = p.softmax ? ".prelogits" : ".logits";
    auto el = relative_error(logits, load_onnx_tensor(dir() + p.model + suffix + ".pb"));
    EXPECT_LE(el.first, 1e-4) << p.model << " logits, element " << el.second;
    auto eg = relative_error(grad, load_onnx_tensor(dir() + p.model + (p.softmax ? ".prelogits_grad.pb" : ".grad.pb")));
    EXPECT_LE(eg.first, 1e-3) << p.model << " input gradient, element " << eg.second;
}

// A model exported for one batch size explains a batch of another: every sample's logits are those of the
// reference (here the reference input twice over), or building fails saying why; never a wrong answer.
TEST_P(Architecture, ExplainsABatchOfAnotherSize) {
    const Fixture& p = GetParam();
    Model model = import_onnx(dir() + p.model + ".onnx");
    const Tensor x = load_onnx_tensor(dir() + p.model + ".input.pb").cast<float>();
    const TensorD ref = load_onnx_tensor(dir() + p.model + ".logits.pb");
    Shape twice = x.shape();
    twice[0] *= 2;
    Tensor x2(twice);
    std::copy(x.begin(), x.end(), x2.begin());
    std::copy(x.begin(), x.end(), x2.begin() + static_cast<std::ptrdiff_t>(x.size()));
    try {
        model.build(twice[0]);
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("explain one image at a time"), std::string::npos) << e.what();
        // Only ViT's fixed-batch export does not follow: PyTorch's attention reshapes to [L, N·heads, d] with
        // N = 1 baked in the middle of the shape, which no rule can tell from a model dimension.
        EXPECT_EQ(p.model, "vit") << e.what();
        return;
    }
    Function f = compile({model.output()}, {model.input()});
    const Tensor& got = f(x2)[0];
    ASSERT_EQ(got.size(), 2 * ref.size());
    double scale = 0;
    for (double r : ref) scale = std::max(scale, std::fabs(r));
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got.data()[i], ref.data()[i % ref.size()], 1e-4 * scale) << p.model << " " << i;
}

// keras-vis's Grad-CAM on an imported torchvision ResNet: the penultimate layer found is the last block's
// output (after its ReLU), and the map covers the input with values in [0, 1] and a peak of 1.
TEST(ArchitectureCam, GradCamOnImportedResNetUsesTheLastBlock) {
    Model model = import_onnx(dir() + "resnet_bottleneck.onnx");
    const std::int64_t pen = find_penultimate_layer(model, -1);
    const std::string name = model.layer(pen)->name();
    EXPECT_EQ(name.rfind("/layer4/", 0), 0u) << name;
    EXPECT_EQ(model.layer(pen)->class_name(), "Relu") << name;
    const Tensor x = load_onnx_tensor(dir() + "resnet_bottleneck.input.pb").cast<float>();
    const Tensor cam = visualize_cam(model, -1, {1}, x);
    ASSERT_EQ(cam.shape(), (Shape{1, 64, 64}));
    float lo = 1, hi = 0;
    for (float v : cam) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_GE(lo, 0.0f);
    EXPECT_NEAR(hi, 1.0f, 1e-5);
}

// A tf2onnx Keras model: NHWC input, NCHW feature maps after its Transpose. Grad-CAM with feature_format set
// equals the map computed by hand from A and ∂logit/∂A, upsampled to the input's 20×20.
TEST(ArchitectureCam, KerasNhwcInputWithNchwFeatureMaps) {
    Model model = import_onnx(dir() + "keras_cnn_nhwc.onnx");
    model.set_activation(-1, ActivationKind::linear);
    const Tensor x = load_onnx_tensor(dir() + "keras_cnn_nhwc.input.pb").cast<float>();  // [1, 20, 20, 3]
    const std::int64_t pen = find_penultimate_layer(model, -1);
    const Node a = model.layer_output(pen);
    ASSERT_EQ(a.rank(), 4u);
    CamOptions o;
    o.data_format = DataFormat::channels_last;
    o.feature_format = DataFormat::channels_first;
    o.normalize = false;
    const Tensor cam = visualize_cam(model, -1, {1}, x, o);
    ASSERT_EQ(cam.shape(), (Shape{1, 20, 20}));

    const Node score = sum(slice(model.output(), {0, 1}, {1, 2}));
    Function f = compile({a, gradients(score, {a})[0]}, {model.input()});
    const auto& out = f(x);
    const std::size_t c = a.shape()[1], h = a.shape()[2], w = a.shape()[3];
    Tensor low({h, w}, 0.0f);
    for (std::size_t k = 0; k < c; ++k) {
        double wk = 0;
        for (std::size_t p = 0; p < h * w; ++p) wk += out[1][k * h * w + p];
        wk /= double(h * w);
        for (std::size_t p = 0; p < h * w; ++p) low[p] += float(wk) * out[0][k * h * w + p];
    }
    for (auto& v : low) v = std::max(v, 0.0f);
    Tensor up({20, 20});
    resize_plane(low.data(), h, w, up.data(), 20, 20, Interpolation::bilinear);
    for (std::size_t i = 0; i < up.size(); ++i) EXPECT_NEAR(cam[i], up[i], 1e-5 * (1 + std::fabs(up[i]))) << i;
}

// keras-vis activation maximization on an imported model: 30 RMSprop steps raise the class logit well above
// where the random start had it.
TEST(ArchitectureActivation, MaximizingAClassOfAnImportedMobileNetRaisesItsLogit) {
    Model model = import_onnx(dir() + "mobilenet_v2.onnx");
    VisualizeActivationOptions o;
    o.input_range = {-2, 2};
    o.max_iter = 30;
    o.lp_norm_weight = o.tv_weight = 0;  // the class score alone
    const MinimizeResult r = visualize_activation(model, -1, {1}, o);
    Function logits = compile({model.output()}, {model.input()});
    Tensor start = random_normal<float>(model.input().shape(), 0.0, 0.2, 0);
    const float before = logits(start)[0][1];
    const float after = logits(r.best_input)[0][1];
    EXPECT_GT(after, before + 1.0f) << before << " -> " << after;
    float top = -INFINITY;
    for (float v : logits(r.best_input)[0]) top = std::max(top, v);
    EXPECT_EQ(after, top);  // class 1 now wins
}

// keras-vis saliency on a batch of 2 for ViT exported with a fixed batch of 1, whose graph cannot follow
// another batch: explained sample by sample, each sample's raw gradient equals PyTorch's; the model is left
// usable at its exported batch.
TEST(ArchitectureBatch, FixedBatchViTExplainsABatchSampleBySample) {
    Model model = import_onnx(dir() + "vit.onnx");
    const Tensor x = load_onnx_tensor(dir() + "vit.input.pb").cast<float>();
    const TensorD ref = load_onnx_tensor(dir() + "vit.grad.pb");
    Shape twice = x.shape();
    twice[0] = 2;
    Tensor x2(twice);
    std::copy(x.begin(), x.end(), x2.begin());
    std::copy(x.begin(), x.end(), x2.begin() + static_cast<std::ptrdiff_t>(x.size()));
    EXPECT_THROW(model.build(2), std::runtime_error);
    EXPECT_EQ(model.batch_size(), 1u);
    EXPECT_EQ(model.input().shape(), x.shape());
    SaliencyOptions o;
    o.grad_modifier = GradModifierKind::none;
    o.keepdims = true;
    o.normalize = false;
    const Tensor g = visualize_saliency(model, -1, {1}, x2, o);
    ASSERT_EQ(g.shape(), twice);
    double scale = 0;
    for (double r : ref) scale = std::max(scale, std::fabs(r));
    for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g.data()[i], ref.data()[i % ref.size()], 1e-3 * scale) << i;
    const Tensor cams = visualize_cam(model, -1, {1}, x2, CamOptions{});  // the Grad-CAM family likewise
    ASSERT_EQ(cams.shape()[0], 2u);
    const Tensor ixg = input_x_gradient(model, -1, {1}, x2);  // and input × gradient, SmoothGrad
    for (std::size_t i = 0; i < ixg.size(); ++i) ASSERT_NEAR(ixg.data()[i], g.data()[i] * x2.data()[i], 1e-5 * scale) << i;
    SmoothGradOptions so;
    so.samples = 2;
    EXPECT_EQ(smoothgrad(model, -1, {1}, x2, so).shape()[0], 2u);
    IntegratedGradientsOptions io;  // Integrated Gradients and Score-CAM too
    io.steps = 2;
    EXPECT_EQ(integrated_gradients(model, -1, {1}, x2, io).shape(), twice);
    ScoreCamOptions sc;
    sc.max_channels = 2;
    EXPECT_EQ(score_cam(model, -1, {1}, x2, sc).shape()[0], 2u);
    // predict runs the batch sample by sample: both rows are PyTorch's logits.
    const Tensor logits = model.predict(x2);
    const TensorD want = load_onnx_tensor(dir() + "vit.logits.pb");
    ASSERT_EQ(logits.size(), 2 * want.size());
    for (std::size_t i = 0; i < logits.size(); ++i) EXPECT_NEAR(logits[i], want[i % want.size()], 1e-3) << i;
    EXPECT_EQ(model.batch_size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Onnx, Architecture, ::testing::ValuesIn(fixtures()),
                         [](const ::testing::TestParamInfo<Fixture>& i) { return i.param.model; });

// Imported graphs are built and explained from two threads at once (the layers' builds only read the import;
// run under ThreadSanitizer by hand, see docs/attribution.md): the same maps as one thread computes.
TEST(ArchitectureThreads, TwoThreadsExplainOneImportedModel) {
    const Model model = import_onnx(dir() + "swin.onnx");
    const Tensor x = load_onnx_tensor(dir() + "swin.input.pb").cast<float>();
    const Tensor want = Saliency(model, -1, {1}, x.shape())(x);
    std::string errors[2];
    auto work = [&](int id) {
        try {
            Saliency s(model, -1, {1}, x.shape());
            for (int i = 0; i < 3; ++i) {
                const Tensor& got = s(x);
                for (std::size_t k = 0; k < got.size(); ++k)
                    if (got[k] != want[k]) throw std::runtime_error("element " + std::to_string(k) + " differs");
            }
        } catch (const std::exception& e) {
            errors[id] = e.what();
        }
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
}

TEST(Architecture, ManifestListsTheFamilies) { EXPECT_GE(fixtures().size(), 18u); }

}  // namespace
