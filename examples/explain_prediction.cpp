// Explaining a prediction, keras-vis style, on a network whose right answer is known.
// The data: 16×16 noise images holding one bright shape at a random place; the class is the shape (a
// horizontal bar, a vertical bar or a hollow square). A small CNN is trained on it with xvis's own autodiff (a
// second or two), then saliency and Grad-CAM explain a test image, the heat-maps are written as PNG overlays,
// and the example checks that both maps concentrate on the shape: the share of each map inside the shape's box
// (grown by 2 pixels) must be at least twice the box's share of the image.
// It also shows the profiler of the compiled saliency function.
//   example_explain_prediction [output folder, default: a temporary one]
#include <xvis/xvis.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

using namespace xvis;

namespace {

using K2 = std::array<std::size_t, 2>;

struct Box {
    std::size_t top, left, bottom, right;  // rows [top, bottom), columns [left, right)
};

struct Data {
    Tensor images;
    std::vector<std::uint8_t> labels;
    std::vector<Box> boxes;
};

// n images [n, 1, 16, 16]: noise in [0, 0.3] plus shape `label` (+0.7): 0 a 1×6 bar, 1 a 6×1 bar, 2 a hollow
// 4×4 square, placed anywhere in the image.
Data shapes(std::size_t n, std::uint64_t seed) {
    Data d{random_uniform<float>({n, 1, 16, 16}, 0.0, 0.3, seed), {}, {}};
    Rng rng(seed + 1);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::uint8_t>(rng.uniform_int(0, 2));
        const std::size_t h = c == 0 ? 1 : c == 1 ? 6 : 4, w = c == 0 ? 6 : c == 1 ? 1 : 4;
        const auto top = std::size_t(rng.uniform_int(0, std::int64_t(16 - h))), left = std::size_t(rng.uniform_int(0, std::int64_t(16 - w)));
        for (std::size_t y = top; y < top + h; ++y)
            for (std::size_t x = left; x < left + w; ++x)
                if (c != 2 || y == top || y == top + 3 || x == left || x == left + 3) d.images[i * 256 + y * 16 + x] += 0.7f;
        d.labels.push_back(c);
        d.boxes.push_back({top, left, top + h, left + w});
    }
    return d;
}

// The share of the map's mass inside `box` grown by 2 pixels, divided by that region's share of the image:
// 1 for a map that ignores the shape, larger when the map concentrates on it.
double concentration(const Tensor& map, const Box& b) {
    const std::size_t t = b.top >= 2 ? b.top - 2 : 0, l = b.left >= 2 ? b.left - 2 : 0;
    const std::size_t bo = std::min<std::size_t>(16, b.bottom + 2), r = std::min<std::size_t>(16, b.right + 2);
    double inside = 0, total = 0;
    for (std::size_t y = 0; y < 16; ++y)
        for (std::size_t x = 0; x < 16; ++x) {
            const double v = map[y * 16 + x];
            total += v;
            if (y >= t && y < bo && x >= l && x < r) inside += v;
        }
    const double area = double((bo - t) * (r - l)) / 256.0;
    return total > 0 ? inside / total / area : 0.0;
}

// [1, 1, 16, 16] in [0, 1] → [128, 128] gray in [0, 255], for display.
Tensor enlarged(const Tensor& image) {
    Tensor out({128, 128});
    for (std::size_t y = 0; y < 128; ++y)
        for (std::size_t x = 0; x < 128; ++x) out(y, x) = 255.0f * std::min(1.0f, image[(y / 8) * 16 + x / 8]);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? std::filesystem::path(argv[1])
                                               : std::filesystem::temp_directory_path() / "xvis_explain_prediction";
    std::filesystem::create_directories(dir);

    Model model = Model::sequential({std::make_shared<InputLayer>(Shape{1, 16, 16}, "image"),
                                     std::make_shared<Conv2D>(8, K2{3, 3}, ActivationKind::relu, Padding::same, "conv1"),
                                     std::make_shared<MaxPooling2D>(K2{2, 2}, K2{0, 0}, Padding::valid, DataFormat::channels_first, "pool"),
                                     std::make_shared<Conv2D>(16, K2{3, 3}, ActivationKind::relu, Padding::same, "conv2"),
                                     std::make_shared<GlobalAveragePooling2D>(DataFormat::channels_first, "gap"),
                                     std::make_shared<Dense>(4, ActivationKind::linear, "logits")},
                                    "shapes", 3);
    const Data train = shapes(1536, 1), test = shapes(200, 2);
    FitOptions fo;
    fo.epochs = 8;
    fo.batch_size = 32;
    fo.optimizer = make_optimizer("adam", 0.01);
    fo.seed = 4;
    fit(model, train.images, train.labels, fo);
    const EvalResult eval = evaluate(model, test.images, test.labels);
    std::printf("test accuracy %.3f on %zu images\n", eval.accuracy, test.labels.size());

    // Explain test image 0 for its true class: saliency (keras-vis: |d logit / d image|) and Grad-CAM on conv2.
    Tensor x({1, 1, 16, 16});
    std::copy(test.images.begin(), test.images.begin() + 256, x.begin());
    const std::int64_t cls = test.labels[0];
    const Tensor saliency = visualize_saliency(model, -1, {cls}, x);
    CamOptions co;
    co.penultimate_layer = static_cast<std::int64_t>(model.find_layer_idx("conv2"));
    const Tensor cam = visualize_cam(model, -1, {cls}, x, co);
    const double sal_conc = concentration(saliency, test.boxes[0]), cam_conc = concentration(cam, test.boxes[0]);
    std::printf("class %lld: concentration on the shape (1 = none): saliency %.2f, Grad-CAM %.2f\n",
                static_cast<long long>(cls), sal_conc, cam_conc);

    const Tensor shown = enlarged(x);
    Tensor sal2d({16, 16}), cam2d({16, 16});
    std::copy(saliency.begin(), saliency.begin() + 256, sal2d.begin());
    std::copy(cam.begin(), cam.begin() + 256, cam2d.begin());
    write_png((dir / "input.png").string(), shown);
    write_png((dir / "saliency_overlay.png").string(), overlay_heatmap(shown, sal2d, 0.5));
    write_png((dir / "gradcam_overlay.png").string(), overlay_heatmap(shown, cam2d, 0.5, Colormap::viridis));
    std::printf("wrote %s/{input,saliency_overlay,gradcam_overlay}.png\n", dir.string().c_str());

    // A program explaining many images keeps the explainer: built once, each call only runs the compiled
    // gradient. Where that time goes: the profile of the function behind it.
    Saliency explain(model, -1, {cls}, x.shape());
    explain.score_gradient().function().enable_profiling();
    for (int i = 0; i < 100; ++i) explain(x);
    std::printf("%s", explain.score_gradient().function().profile_string(5).c_str());

    const bool ok = eval.accuracy > 0.9 && sal_conc >= 2 && cam_conc >= 2;
    if (!ok) std::printf("FAILED: expected accuracy > 0.9 and both maps concentrated at least 2x on the shape\n");
    return ok ? 0 : 1;
}
