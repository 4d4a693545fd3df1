// xvis: the command line. `xvis --help` lists the subcommands; every error is one line and a non-zero exit.
#include "commands.hpp"
#include "image_options.hpp"

#include <xvis/xvis.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>

namespace {

using namespace xvis;

// Validates an option against an enum's name table, so a bad value is reported with every valid name.
template <class E>
CLI::Validator enum_check() {
    return CLI::Validator(
        [](std::string& value) {
            try {
                from_string<E>(value);
                return std::string();
            } catch (const std::invalid_argument& e) {
                return std::string(e.what());
            }
        },
        "", EnumNames<E>::noun);
}

// CLI11's PositiveNumber prints the whole double range in its message ("not in range 0.000000 to 1797...");
// these say what is expected in a few words.
CLI::Validator number_check(bool allow_zero) {
    return CLI::Validator(
        [allow_zero](std::string& s) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(s.c_str(), &end);
            if (end == s.c_str() || *end != '\0') return "expected a number, got '" + s + "'";
            if (allow_zero ? v < 0 : v <= 0) return std::string("must be ") + (allow_zero ? ">= 0" : "> 0") + ", got " + s;
            return {};
        },
        allow_zero ? "NONNEGATIVE" : "POSITIVE");
}

// Syntax checks of the preprocessing flags (image_options.hpp), run while parsing like the number checks.
CLI::Validator text_check(std::string (*check)(const std::string&), const char* name) {
    return CLI::Validator([check](std::string& s) { return check(s); }, name);
}
CLI::Validator list_check(bool positive) {
    return CLI::Validator([positive](std::string& s) { return xvis::cli::check_number_list(s, positive); }, "A,B,C");
}

// The preprocessing flags; --size only for the commands that read a picture.
void add_image_options(CLI::App* c, xvis::cli::ImageOptions& o, bool picture) {
    c->add_option("--preset", o.preset,
                  "input preprocessing: imagenet (torchvision: mean 0.485,0.456,0.406 std 0.229,0.224,0.225), caffe (Keras VGG / "
                  "ResNet50: BGR, v - 103.939,116.779,123.68), tf (Keras MobileNet / Inception: v / 127.5 - 1), none (v / 255)")
        ->check(CLI::IsMember({"imagenet", "caffe", "tf", "none"}))
        ->capture_default_str();
    if (picture) c->add_option("--size", o.size, "H or HxW the picture is resized to (default: the model's input size)")->check(text_check(xvis::cli::check_size, "HxW"));
    c->add_option("--mean", o.mean, "per-channel mean, in the model's channel order, after --scale (overrides the preset)")->check(list_check(false));
    c->add_option("--std", o.std, "per-channel std, in the model's channel order, after --scale (overrides the preset)")->check(list_check(true));
    c->add_option("--scale", o.scale, "multiplies the 0..255 values before mean / std (default 1/255; 1 for raw 0..255 inputs)")
        ->check(text_check(xvis::cli::check_scale, "S"));
    auto* order = c->add_option("--channel-order", o.order, "rgb or bgr: the model's input channel order (default: the preset's, else rgb)")
                      ->check(CLI::IsMember({"rgb", "bgr"}));
    c->add_flag("--bgr", o.bgr, "same as --channel-order bgr")->excludes(order);
    c->add_option("--layout", o.layout, "nchw or nhwc (default: nhwc when the input is [N, H, W, 1 or 3], else nchw)")->check(CLI::IsMember({"nchw", "nhwc"}));
    c->add_option("--labels", o.labels, "class names, one per line: predictions and outputs name the class");
}

}  // namespace

int main(int argc, char** argv) {
    using namespace xvis::cli;
    const CLI::Validator positive = number_check(false), non_negative = number_check(true);
    CLI::App app{"xvis: activation maximization, saliency maps and Grad-CAM for convolutional networks"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("xvis 0.1.0 (") + xvis::build_info_string() + ")");
    int threads = 0;
    app.add_option("--threads", threads, "kernel threads (default: all cores)")->check(positive);

    TrainArgs tr;
    auto* train = app.add_subcommand("train", "train a CNN on Fashion-MNIST with xvis's own autodiff and save it as ONNX");
    train->add_option("--dataset", tr.dataset, "folder with the Fashion-MNIST IDX files")->capture_default_str();
    train->add_option("--arch", tr.arch, "architecture: fashion_cnn or mlp")->capture_default_str();
    train->add_option("--epochs", tr.epochs)->check(positive)->capture_default_str();
    train->add_option("--batch", tr.batch)->check(positive)->capture_default_str();
    train->add_option("--optimizer", tr.optimizer, "adam or sgd (momentum 0.9)")->check(CLI::IsMember({"adam", "sgd"}))->capture_default_str();
    train->add_option("--lr", tr.lr)->check(positive)->capture_default_str();
    train->add_option("--limit", tr.limit, "use the first N training images (0: all)")->check(non_negative);
    train->add_option("--seed", tr.seed)->capture_default_str();
    train->add_option("-o,--output", tr.output, "ONNX file to write")->capture_default_str();

    std::string info_model;
    auto* info = app.add_subcommand("info", "print a model's summary");
    info->add_option("model", info_model, "ONNX file, or arch:<name>")->required();

    ActivationArgs ac;
    auto* act = app.add_subcommand("activation", "synthesize the input that maximizes filters (activation maximization) → PNG grid");
    act->add_option("model", ac.model, "ONNX file, or arch:<name>")->required();
    act->add_option("--layer", ac.layer, "layer name or index (negative from the end)")->capture_default_str();
    act->add_option("--filters", ac.filters, "comma-separated filter / class indices, one image each")->capture_default_str();
    act->add_option("--iterations", ac.iterations)->check(positive)->capture_default_str();
    act->add_option("--am-weight", ac.am_weight)->capture_default_str();
    act->add_option("--lp-weight", ac.lp_weight)->capture_default_str();
    act->add_option("--tv-weight", ac.tv_weight)->capture_default_str();
    act->add_option("--jitter", ac.jitter, "fraction of the size (< 1) or pixels; 0: none")->check(non_negative)->capture_default_str();
    auto* range = act->add_option("--range", ac.range, "the model's input range LO HI (keras-vis input_range; 0 1 for models trained on pixels / "
                                                     "255; with a --preset other than none, --mean, --std or --scale: what pictures give)")
                      ->expected(2)
                      ->capture_default_str();
    act->add_flag("--logits", ac.use_logits, "maximize the layer's pre-activation output (class logits)");
    act->add_option("--backprop", ac.backprop, valid_names<BackpropModifier>())->check(enum_check<BackpropModifier>());
    act->add_option("--display", ac.display,
                    "keras-vis: deprocess_input (standardized by mean and std); clip: the optimized input clipped to --range")
        ->check(CLI::IsMember({"keras-vis", "clip"}))
        ->capture_default_str();
    act->add_option("--gif", ac.gif, "also record the first filter's optimization as an animated GIF");
    act->add_option("--seed", ac.seed)->capture_default_str();
    act->add_option("-o,--output", ac.output, "PNG file")->capture_default_str();
    add_image_options(act, ac.prep, false);

    AttributeArgs at;
    auto add_attribute_options = [&](CLI::App* c, bool with_method) {
        c->add_option("model", at.model, "ONNX file, or arch:<name>")->required();
        if (with_method) c->add_option("--method", at.method, attribute_methods())->check(enum_check<AttributionMethod>())->capture_default_str();
        auto* img = c->add_option("--image", at.image, "input image file (PNG, JPEG, ...)");
        c->add_option("--index", at.index, "Fashion-MNIST test image index instead of --image")->excludes(img)->check(non_negative);
        c->add_option("--dataset", at.dataset)->capture_default_str();
        c->add_option("--class,--target", at.target, "class / filter to explain, 0..classes-1 (default: the predicted class)");
        c->add_option("--layer", at.layer, "layer holding the class scores")->capture_default_str();
        c->add_option("--penultimate", at.penultimate, "CAM layer (default: automatic search)");
        c->add_option("--tokens", at.tokens, "CAM layer of transformer tokens [N, T, C] read as a map: SKIP leading tokens (a ViT class token: 1) then a square grid, or SKIP:HxW");
        c->add_option("--backprop", at.backprop, valid_names<BackpropModifier>())->check(enum_check<BackpropModifier>());
        c->add_option("--colormap", at.colormap, "jet, viridis or gray")->capture_default_str();
        c->add_option("--alpha", at.alpha, "heat-map weight in the overlay")->check(CLI::Range(0.0, 1.0))->capture_default_str();
        c->add_option("--seed", at.seed)->capture_default_str();
        c->add_option("-o,--output", at.output, "folder for heatmap.png and overlay.png (at the picture's size)")->capture_default_str();
        add_image_options(c, at.prep, true);
    };
    auto* sal = app.add_subcommand("saliency", "saliency map (keras-vis visualize_saliency) → heat-map and overlay PNGs");
    add_attribute_options(sal, false);
    auto* cam = app.add_subcommand("cam", "Grad-CAM (keras-vis visualize_cam) → heat-map and overlay PNGs");
    add_attribute_options(cam, false);
    auto* attr = app.add_subcommand("attribute", "any attribution method → heat-map and overlay PNGs");
    add_attribute_options(attr, true);

    DemoArgs de;
    auto* demo = app.add_subcommand("demo", "end to end: train (or reuse) the Fashion-MNIST CNN, then write activation maximization, "
                                            "saliency and Grad-CAM images and a gallery (index.html)");
    demo->add_option("-o,--output", de.output, "output folder")->capture_default_str();
    demo->add_option("--dataset", de.dataset)->capture_default_str();
    demo->add_option("--epochs", de.epochs)->check(positive)->capture_default_str();
    demo->add_option("--iterations", de.iterations, "activation maximization iterations")->check(positive)->capture_default_str();
    demo->add_option("--per-class", de.per_class, "test images explained per class")->check(positive)->capture_default_str();
    demo->add_option("--model-cache", de.model_cache, "trained model to reuse (default: <output>/fashion_cnn.onnx)");
    demo->add_flag("--retrain", de.retrain, "train even when the cached model exists");

    SweepArgs sw;
    auto* sweep = app.add_subcommand("sweep", "explain many items into one folder (images x classes, or layers x channels): resumable, "
                                              "--shard i/n for job arrays, distributed under mpirun (docs/sweep.md)");
    sweep->add_option("model", sw.model, "ONNX file, or arch:<name>")->required();
    sweep->add_option("--method", sw.method, attribute_methods() + ", or activation (layers x channels)")
        ->check(CLI::Validator([](std::string& m) { return m == "activation" ? std::string() : enum_check<AttributionMethod>()(m); }, "METHOD"))
        ->capture_default_str();
    auto* sw_images = sweep->add_option("--images", sw.images, "folder of .png / .jpg images (sorted by name)");
    sweep->add_option("--image-list", sw.image_list, "text file: one image path per line")->excludes(sw_images);
    sweep->add_option("--dataset", sw.dataset, "Fashion-MNIST folder (when neither --images nor --image-list)")->capture_default_str();
    sweep->add_option("--split", sw.split, "test or train")->check(CLI::IsMember({"test", "train"}))->capture_default_str();
    sweep->add_option("--indices", sw.indices, "dataset images: e.g. 0-999,1234 (default: all)");
    auto* sw_classes = sweep->add_option("--classes", sw.classes, "classes to explain: a list (0,3,5) or label (the dataset's); default: the top --top-k");
    sweep->add_option("--top-k", sw.top_k, "explain each image's k best classes")->check(positive)->excludes(sw_classes)->capture_default_str();
    sweep->add_option("--layer", sw.layer, "layer holding the class scores")->capture_default_str();
    sweep->add_option("--penultimate", sw.penultimate, "CAM layer (default: automatic search)");
    sweep->add_option("--tokens", sw.tokens, "CAM layer of transformer tokens [N, T, C] read as a map: SKIP leading tokens (a ViT class token: 1) then a square grid, or SKIP:HxW");
    sweep->add_option("--backprop", sw.backprop, valid_names<BackpropModifier>())->check(enum_check<BackpropModifier>());
    sweep->add_option("--colormap", sw.colormap, "jet, viridis or gray")->check(enum_check<Colormap>())->capture_default_str();
    sweep->add_option("--alpha", sw.alpha, "heat-map weight in the overlay")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    sweep->add_option("--layers", sw.layers, "activation: comma-separated layer names or indices")->capture_default_str();
    sweep->add_option("--channels", sw.channels, "activation: comma-separated channels, or all")->capture_default_str();
    sweep->add_option("--iterations", sw.iterations, "activation: optimizer iterations")->check(positive)->capture_default_str();
    sweep->add_option("--range", sw.range, "activation: the model's input range LO HI")->expected(2)->capture_default_str();
    sweep->add_flag("--logits", sw.use_logits, "activation: maximize the pre-activation output");
    sweep->add_option("--jitter", sw.jitter, "activation: fraction of the size (< 1) or pixels; 0: none")->check(non_negative)->capture_default_str();
    sweep->add_option("--seed", sw.seed)->capture_default_str();
    sweep->add_option("-o,--output", sw.output, "output folder (rerun the same command to resume)")->capture_default_str();
    sweep->add_option("--shard", sw.shard, "i/n: only this process's part of the items, 0 <= i < n (job arrays)")
        ->check(CLI::Validator([](std::string& t) { try { xvis::shard_from_string(t); return std::string(); } catch (const std::exception& e) { return std::string(e.what()); } }, "i/n"));
    sweep->add_option("--backend", sw.backend, "auto (mpi when started by mpirun), local or mpi")->check(CLI::IsMember({"auto", "local", "mpi"}))->capture_default_str();
    sweep->add_option("--threads", threads, "kernel threads per process / rank (default: all cores)")->check(positive);
    add_image_options(sweep, sw.prep, false);

    // CLI11 reports an unknown word as "A subcommand is required", and `xvis frobnicate --help` would print
    // the general help with exit 0: the first word that is neither an option nor --threads' value is checked
    // against the subcommands first.
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--threads") ++i;
        if (arg.empty() || arg[0] == '-') continue;
        std::string names;
        bool known = false;
        for (const auto* sub : app.get_subcommands({})) {
            known = known || sub->get_name() == arg;
            names += (names.empty() ? "" : ", ") + sub->get_name();
        }
        if (known) break;
        std::fprintf(stderr, "xvis: error: unknown subcommand '%s' (subcommands: %s; see --help)\n", arg.c_str(), names.c_str());
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        std::fprintf(stderr, "xvis: error: %s (see --help)\n", e.what());
        return e.get_exit_code();
    }
    try {
        // A fixed --threads (or OMP_NUM_THREADS / OMP_DYNAMIC) is honoured as given; otherwise the processors
        // that others keep busy at start-up are left alone (threads_for_load).
        if (threads > 0) xvis::set_num_threads(threads);
        else if (!std::getenv("OMP_NUM_THREADS") && !std::getenv("OMP_DYNAMIC")) xvis::set_num_threads(xvis::threads_for_load());
        if (*train) return run_train(tr);
        if (*info) return run_info(info_model);
        ac.range_given = range->count() > 0;
        for (auto* c : {sal, cam, attr}) at.target_given = at.target_given || c->get_option("--class")->count() > 0;
        if (*act) return run_activation(ac);
        if (*sal) at.method = "saliency";
        if (*cam) at.method = "gradcam";
        if (*sal || *cam || *attr) return run_attribute(at);
        if (*demo) return run_demo(de);
        if (*sweep) {
            for (int i = 0; i < argc; ++i) sw.command += (i ? " " : "") + std::string(argv[i]);
            return run_sweep_command(sw);
        }
    } catch (const std::bad_alloc&) {
        // One line and a non-zero exit when memory runs out anyway (ulimit -v, a model too large for the machine),
        // instead of std::terminate's abort. Nothing is allocated here: the message is a literal.
        std::fprintf(stderr, "xvis: error: out of memory while running '%s' (the model, the input or the method needs more memory "
                             "than this process may use: see ulimit -v, or try a smaller model or input)\n",
                     *train ? "train" : *info ? "info" : *act ? "activation" : *sal ? "saliency" : *cam ? "cam" : *attr ? "attribute" : *demo ? "demo" : "sweep");
        return 3;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xvis: error: %s\n", e.what());
        return 1;
    }
    return 1;
}
