// xvis demo: the whole story on Fashion-MNIST from one command.
#include "commands.hpp"
#include "inputs.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

#include <xvis/image/atomic_file.hpp>
#include <xvis/image/file_name.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

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

int demo(const DemoArgs& a) {
    namespace fs = std::filesystem;
    if (!fashion_mnist_available(a.dataset, DatasetSubset::train) || !fashion_mnist_available(a.dataset, DatasetSubset::test))
        throw std::runtime_error("Fashion-MNIST is not in " + a.dataset +
                                 ": install the Debian package dataset-fashion-mnist (scripts/setup-debian.sh does), or pass --dataset");
    fs::create_directories(a.output);
    const std::string cache = a.model_cache.empty() ? a.output + "/fashion_cnn.onnx" : a.model_cache;
    const auto& names = fashion_mnist_class_names();
    std::ostringstream timings;

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
        write_png(a.output + "/am_" + std::to_string(k) + "_" + class_file_name(names[k]) + ".png", am_images.back());
    }
    am_bar.finish();
    write_png(a.output + "/activation_maximization.png", stitch_images(am_images, 8, 5, 128.0f));  // gray margins: the images are black and white
    const double am_s = seconds_since(t0);

    // 3. Saliency and Grad-CAM for the first test images of every class.
    t0 = clock_type::now();
    std::ostringstream rows;
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
            for (const char* method : {"saliency", "gradcam"}) {
                const Tensor map = attribution_map(model, from_string<AttributionMethod>(method), -1, k, in, BackpropModifier::none, "", 0);
                write_png(a.output + "/" + stem + "_" + method + ".png", enlarge8(overlay_heatmap(in.picture, map, 0.5, Colormap::jet)));
            }
            rows << "| " << names[k] << " | " << i << " | ![](" << stem << "_input.png) | ![](" << stem << "_saliency.png) | ![]("
                 << stem << "_gradcam.png) |\n";
        }
    }
    const double attr_s = seconds_since(t0);

    // 4. The report.
    std::ostringstream md;
    md << "# xvis demo: Fashion-MNIST\n\n";
    md << "Model: " << cache << " (" << model.count_params() << " parameters). Test accuracy: **" << eval.accuracy * 100 << " %** on "
       << test.size() << " images.\n\n";
    md << "## Timings (" << num_threads() << " threads)\n\n| step | seconds |\n|---|---|\n";
    for (const auto& e : epochs) md << "| training epoch " << e.epoch + 1 << " (train accuracy " << e.accuracy << ") | " << e.seconds << " |\n";
    if (epochs.empty()) md << "| training | reused the cached model |\n";
    md << "| evaluation of " << test.size() << " test images | " << eval_s << " |\n";
    md << "| activation maximization, 10 classes × " << a.iterations << " iterations | " << am_s << " |\n";
    md << "| saliency + Grad-CAM for " << explained << " test images | " << attr_s << " |\n\n";
    md << "## Activation maximization of each class logit\n\n![](activation_maximization.png)\n\n";
    for (int k = 0; k < 10; ++k) md << (k ? ", " : "") << k << " " << names[k];
    md << " (row by row). keras-vis defaults (200 iterations, weights 1 / 10 / 10, jitter 0.05); each image is the "
          "optimized input clipped to the model's input range [0, 1], not keras-vis's standardized deprocess_input "
          "(`xvis activation --display keras-vis` shows that one).\n\n## Saliency (keras-vis) and Grad-CAM (on conv2) overlays\n\n| class | test index | input | saliency | Grad-CAM |\n|---|---|---|---|---|\n"
       << rows.str();
    stop_if_interrupted();  // the report links every image, so it is written only when all of them are
    AtomicFile report(a.output + "/report.md");
    const std::string text = md.str();
    report.write(text.data(), text.size());
    report.commit();
    std::printf("wrote %s/report.md, activation_maximization.png and %d saliency / Grad-CAM overlays\n", a.output.c_str(), explained);
    return 0;
}

}  // namespace

int run_demo(const DemoArgs& a) {
    return run_interruptible([&] { return demo(a); });
}

}  // namespace xvis::cli
