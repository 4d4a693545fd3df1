// xvis demo: the whole story on Fashion-MNIST from one command.
#include "commands.hpp"
#include "inputs.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

#include <xvis/image/file_name.hpp>
#include <xvis/io/gallery.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace xvis::cli {

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

Tensor enlarge8(const Tensor& hwc) { return resize(hwc, hwc.shape()[0] * 8, hwc.shape()[1] * 8, Interpolation::nearest); }

// Lower case, then safe_file_name (image/file_name.hpp): "T-shirt/top" → "t-shirt_top".
std::string class_file_name(const std::string& label) {
    std::string lower = label;
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return safe_file_name(lower);
}

// Softmax of one sample's logits [1, classes], at class k.
double probability(const Tensor& logits, std::size_t k) {
    const float* v = logits.data();
    const std::size_t n = logits.size();
    double top = v[0], z = 0;
    for (std::size_t i = 1; i < n; ++i) top = std::max(top, double(v[i]));
    for (std::size_t i = 0; i < n; ++i) z += std::exp(double(v[i]) - top);
    return std::exp(double(v[k]) - top) / z;
}

std::string fixed(double v, int digits) {
    char s[64];
    std::snprintf(s, sizeof s, "%.*f", digits, v);
    return s;
}

int demo(const DemoArgs& a) {
    namespace fs = std::filesystem;
    if (!fashion_mnist_available(a.dataset, DatasetSubset::train) || !fashion_mnist_available(a.dataset, DatasetSubset::test))
        throw std::runtime_error("Fashion-MNIST is not in " + a.dataset +
                                 ": install the Debian package dataset-fashion-mnist (scripts/setup-debian.sh does), or pass --dataset");
    fs::create_directories(a.output);
    const std::string cache = a.model_cache.empty() ? a.output + "/fashion_cnn.onnx" : a.model_cache;
    const auto& names = fashion_mnist_class_names();
    std::vector<GalleryItem> gallery;  // the report: index.html, written last

    // 1. The model: reuse the cached one, or train it with xvis's own autodiff.
    Model model = fashion_cnn(1);
    std::vector<EpochStats> epochs;
    if (fs::exists(cache) && !a.retrain) {
        model = load_onnx(cache);
        std::printf("reusing the trained model %s (--retrain to train again)\n", cache.c_str());
    } else {
        const FashionMnist train = load_fashion_mnist(a.dataset, DatasetSubset::train);
        FitOptions fo;
        fo.epochs = static_cast<std::size_t>(a.epochs);
        fo.batch_size = 64;
        fo.optimizer = make_optimizer("adam", 1e-3);
        fo.seed = 1;
        attach_fit_progress(fo, "training");
        epochs = fit(model, train.images, train.labels, fo);
        save_onnx(model, cache);
    }
    const FashionMnist test = load_fashion_mnist(a.dataset, DatasetSubset::test);
    auto t0 = clock_type::now();
    const EvalResult eval = evaluate(model, test.images, test.labels);
    const double eval_s = seconds_since(t0);
    std::printf("test accuracy %.4f (%zu images, %.2f s)\n", eval.accuracy, test.size(), eval_s);

    // 2. Activation maximization of every class logit.
    t0 = clock_type::now();
    std::vector<Tensor> am_images;
    const std::string logits_layer = model.layer(-1)->name();
    Progress am_bar("activation maximization", 10L * a.iterations);
    for (int k = 0; k < 10; ++k) {
        VisualizeActivationOptions o;
        o.max_iter = a.iterations;
        o.input_range = {0, 1};  // the model was trained on pixels / 255
        o.seed = static_cast<std::uint64_t>(k);
        o.input_modifiers = {std::make_shared<Jitter>(0.05, DataFormat::channels_first, static_cast<std::uint64_t>(k))};
        o.callbacks = {std::make_shared<xvis::Progress>(a.iterations, [&, k](int done, int, double, bool finished) {
            if (!finished) stop_if_interrupted();  // every class image written so far stays, complete
            am_bar.update(k * a.iterations + done, names[k]);
        })};
        MinimizeResult r = visualize_activation(model, -1, {k}, o);
        // Shown clipped to the input range: keras-vis's standardized image is flat gray here, because a few
        // pixels end far outside [0, 1] (docs/keras-vis-differences.md).
        r.image = to_channels_last(clip_to_range(r.best_input, o.input_range), DataFormat::channels_first);
        r.image.reshape({28, 28, 1});
        for (auto& v : r.image) v *= 255.0f;
        am_images.push_back(enlarge8(r.image));
        const std::string file = "am_" + std::to_string(k) + "_" + class_file_name(names[k]) + ".png";
        write_png(a.output + "/" + file, am_images.back());
        GalleryItem item;
        item.id = "activation:" + logits_layer + "/class:" + std::to_string(k);
        item.images = {{"activation maximization", file}};
        item.class_index = k, item.class_name = names[k], item.layer = logits_layer, item.channel = k, item.method = "activation";
        // The logit the image shown (clipped to the input range) reaches.
        item.score = model.predict(clip_to_range(r.best_input, o.input_range)).data()[k];
        gallery.push_back(std::move(item));
    }
    am_bar.finish();
    write_png(a.output + "/activation_maximization.png", stitch_images(am_images, 8, 5, 128.0f));  // gray margins: the images are black and white
    {
        GalleryItem all;
        all.id = "activation:" + logits_layer + "/all classes";
        all.images = {{"classes 0 to 9, row by row", "activation_maximization.png"}};
        all.layer = logits_layer, all.method = "activation";
        gallery.insert(gallery.begin(), std::move(all));
    }
    const double am_s = seconds_since(t0);

    // 3. Saliency and Grad-CAM for the first test images of every class.
    t0 = clock_type::now();
    int explained = 0;
    std::size_t channels = 0;
    const Preprocessing pixels = resolve_preprocessing({}, model.input().shape(), channels);  // pixels / 255, as trained
    for (int k = 0; k < 10; ++k) {
        int found = 0;
        for (std::size_t i = 0; i < test.size() && found < a.per_class; ++i) {
            if (test.labels[i] != k) continue;
            stop_if_interrupted();  // an image boundary: its three PNGs are written together or not started
            ++found;
            ++explained;
            const ModelInput in = load_input("", static_cast<long>(i), a.dataset, pixels, channels);
            const std::string stem = "test" + std::to_string(i);
            write_png(a.output + "/" + stem + "_input.png", enlarge8(in.picture));
            GalleryItem item;
            item.id = "fashion-mnist:test:" + std::to_string(i) + "/class:" + std::to_string(k);
            item.images = {{"input", stem + "_input.png"}};
            for (const char* method : {"saliency", "gradcam"}) {
                const Tensor map = attribution_map(model, from_string<AttributionMethod>(method), -1, k, in, BackpropModifier::none, "", "", 0);
                write_png(a.output + "/" + stem + "_" + method + ".png", enlarge8(overlay_heatmap(in.picture, map, 0.5, Colormap::jet)));
                item.images.push_back({std::string(method == std::string("gradcam") ? "Grad-CAM" : method), stem + "_" + method + ".png"});
            }
            item.class_index = k, item.class_name = names[k], item.method = "saliency, gradcam";
            item.score = probability(model.predict(in.x), static_cast<std::size_t>(k));
            gallery.push_back(std::move(item));
        }
    }
    const double attr_s = seconds_since(t0);

    // 4. The report: a gallery (io/gallery.hpp) of everything above, with the accuracy and timings as its summary.
    GalleryOptions g;
    g.title = "xvis demo: Fashion-MNIST";
    g.summary.emplace_back("model", cache + " (" + std::to_string(model.count_params()) + " parameters)");
    g.summary.emplace_back("test accuracy", fixed(eval.accuracy * 100, 2) + " % on " + std::to_string(test.size()) + " images");
    for (const auto& e : epochs)
        g.summary.emplace_back("training epoch " + std::to_string(e.epoch + 1),
                               fixed(e.seconds, 1) + " s (train accuracy " + fixed(e.accuracy * 100, 2) + " %)");
    if (epochs.empty()) g.summary.emplace_back("training", "reused the cached model (--retrain to train again)");
    g.summary.emplace_back("evaluation", fixed(eval_s, 2) + " s for " + std::to_string(test.size()) + " test images");
    g.summary.emplace_back("activation maximization", fixed(am_s, 2) + " s, 10 classes × " + std::to_string(a.iterations) +
                                                          " iterations (keras-vis defaults: weights 1 / 10 / 10, jitter 0.05)");
    g.summary.emplace_back("saliency + Grad-CAM", fixed(attr_s, 2) + " s for " + std::to_string(explained) + " test images");
    g.summary.emplace_back("threads", std::to_string(num_threads()));
    g.summary.emplace_back("scores", "test images: the softmax probability of their class; activation maximization: the "
                                     "class logit its image reaches");
    g.summary.emplace_back("images", "activation maximization: the optimized input clipped to the input range [0, 1], not "
                                     "keras-vis's standardized deprocess_input (xvis activation --display keras-vis shows "
                                     "that one). Saliency (keras-vis) and Grad-CAM overlays, enlarged 8×");
    stop_if_interrupted();  // the gallery links every image, so it is written only when all of them are
    write_gallery(a.output, gallery, g);
    std::printf("wrote %s/index.html (open it in a browser), activation_maximization.png and %d saliency / Grad-CAM overlays\n",
                a.output.c_str(), explained);
    return 0;
}

}  // namespace

int run_demo(const DemoArgs& a) {
    return run_interruptible([&] { return demo(a); });
}

}  // namespace xvis::cli
