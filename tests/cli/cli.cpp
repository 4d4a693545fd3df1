// The `xvis` command line, run as a user would: exit codes, messages and output files.
#include <xvis/xvis.hpp>

#include "cli/cli_support.hpp"
#include "support/sanitizers.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include <algorithm>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

using namespace cli_test;

namespace {

std::string write_labels(const fs::path& dir, std::size_t n) {
    const std::string path = (dir / ("labels" + std::to_string(n) + ".txt")).string();
    std::ofstream out(path);
    for (std::size_t k = 0; k < n; ++k) out << "thing number " << k << "\n";
    return path;
}

// Protocol-buffer encoding, just enough for a small ONNX model shaped like a Keras export (the ONNX headers are
// private to the library): field numbers from onnx.proto.
struct Pb {
    std::string b;
    Pb& varint(std::uint64_t v) {
        for (; v >= 0x80; v >>= 7) b += static_cast<char>(v | 0x80);
        b += static_cast<char>(v);
        return *this;
    }
    Pb& num(int field, std::int64_t v) { return varint(static_cast<std::uint64_t>(field) << 3).varint(static_cast<std::uint64_t>(v)); }
    Pb& bytes(int field, const std::string& s) {
        varint(static_cast<std::uint64_t>(field) << 3 | 2).varint(s.size());
        b += s;
        return *this;
    }
    Pb& msg(int field, const Pb& m) { return bytes(field, m.b); }
};

Pb onnx_tensor(const std::string& name, const std::vector<std::int64_t>& dims) {
    Pb t;
    std::size_t n = 1;
    for (auto d : dims) t.num(1, d), n *= static_cast<std::size_t>(d);
    std::string raw(n * 4, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        const float v = 0.3f * std::sin(1.7f * static_cast<float>(i) + 0.3f);
        std::memcpy(&raw[i * 4], &v, 4);  // little-endian, as x86 stores it
    }
    return t.num(2, 1).bytes(8, name).bytes(9, raw);  // data_type 1: FLOAT
}

Pb onnx_value(const std::string& name, const std::vector<std::int64_t>& dims) {  // dim 0: symbolic batch
    Pb shape;
    for (auto d : dims) shape.msg(1, d ? Pb().num(1, d) : Pb().bytes(2, "N"));
    Pb tensor_type;
    tensor_type.num(1, 1).msg(2, shape);
    return Pb().bytes(1, name).msg(2, Pb().msg(1, tensor_type));
}

Pb onnx_node(const std::string& op, const std::vector<std::string>& in, const std::string& out,
             const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& int_lists = {}) {
    Pb n;
    for (const auto& i : in) n.bytes(1, i);
    n.bytes(2, out).bytes(3, out).bytes(4, op);
    for (const auto& [name, values] : int_lists) {
        Pb a;
        a.bytes(1, name).num(20, 7);  // type 7: INTS
        for (auto v : values) a.num(8, v);
        n.msg(5, a);
    }
    return n;
}

// NHWC [N, 20, 20, 3] → Transpose to NCHW → Conv 3→4 (3×3, same) → Relu → GlobalAveragePool → Flatten → MatMul → 10
// logits: what tf2onnx makes of a Keras CNN.
void write_nhwc_model(const std::string& path) {
    Pb g;
    g.msg(1, onnx_node("Transpose", {"image"}, "nchw", {{"perm", {0, 3, 1, 2}}}))
        .msg(1, onnx_node("Conv", {"nchw", "W"}, "conv", {{"kernel_shape", {3, 3}}, {"pads", {1, 1, 1, 1}}}))
        .msg(1, onnx_node("Relu", {"conv"}, "relu"))
        .msg(1, onnx_node("GlobalAveragePool", {"relu"}, "gap"))
        .msg(1, onnx_node("Flatten", {"gap"}, "flat"))
        .msg(1, onnx_node("MatMul", {"flat", "D"}, "logits"))
        .bytes(2, "keras_like")
        .msg(5, onnx_tensor("W", {4, 3, 3, 3}))
        .msg(5, onnx_tensor("D", {4, 10}))
        .msg(11, onnx_value("image", {0, 20, 20, 3}))
        .msg(12, onnx_value("logits", {0, 10}));
    Pb m;
    m.num(1, 7).msg(7, g).msg(8, Pb().num(2, 13));  // IR version 7, opset 13
    std::ofstream(path, std::ios::binary) << m.b;
}

}  // namespace

TEST(Cli, HelpAndBadFlags) {
    const CliRun help = xvis_cli("--help");
    EXPECT_EQ(help.code, 0);
    for (const char* sub : {"train", "info", "activation", "saliency", "cam", "attribute", "demo"})
        EXPECT_NE(help.out.find(sub), std::string::npos) << sub;
    const CliRun bad = xvis_cli("info --frobnicate arch:mlp");
    EXPECT_NE(bad.code, 0);
    EXPECT_NE(bad.out.find("frobnicate"), std::string::npos) << bad.out;
    EXPECT_NE(xvis_cli("").code, 0);  // a subcommand is required
    // Bad values: one line, "xvis: error:", the flag and what it expects.
    for (const auto& [args, want] : std::vector<std::pair<std::string, std::string>>{
             {"train --epochs 0", "--epochs: must be > 0, got 0"},
             {"train --lr abc", "--lr: expected a number, got 'abc'"},
             {"activation arch:mlp --jitter -1", "--jitter: must be >= 0, got -1"},
             {"info --frobnicate arch:mlp", "frobnicate"}}) {
        const CliRun r = xvis_cli(args);
        EXPECT_NE(r.code, 0) << args;
        EXPECT_EQ(r.out.rfind("xvis: error: ", 0), 0u) << args << ": " << r.out;
        EXPECT_NE(r.out.find(want), std::string::npos) << args << ": " << r.out;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
    }
}

TEST(Cli, InfoAndErrors) {
    const CliRun info = xvis_cli("info arch:fashion_cnn");
    EXPECT_EQ(info.code, 0) << info.out;
    EXPECT_NE(info.out.find("Total params: 421,642"), std::string::npos) << info.out;
    const CliRun missing = xvis_cli("info /nonexistent/model.onnx");
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.out.find("xvis: error:"), std::string::npos) << missing.out;
    EXPECT_NE(missing.out.find("/nonexistent/model.onnx"), std::string::npos) << missing.out;
    const CliRun layer = xvis_cli("activation arch:fashion_cnn --layer nope");
    EXPECT_EQ(layer.code, 1);
    EXPECT_NE(layer.out.find("conv1, pool1"), std::string::npos) << layer.out;
    // Enum options are checked while parsing (CLI11's validation exit code), naming every valid name.
    const CliRun method = xvis_cli("attribute arch:fashion_cnn --method nope --image /nonexistent.png");
    EXPECT_NE(method.code, 0);
    EXPECT_NE(method.out.find("unknown attribution method 'nope'"), std::string::npos) << method.out;
    EXPECT_NE(method.out.find("gradcam++"), std::string::npos) << method.out;
    const CliRun backprop = xvis_cli("saliency arch:fashion_cnn --backprop sideways --index 0");
    EXPECT_NE(backprop.code, 0);
    EXPECT_NE(backprop.out.find("guided, rectified (or deconv)"), std::string::npos) << backprop.out;
}

TEST(Cli, ActivationWritesAPngGrid) {
    const fs::path d = scratch("activation");
    const CliRun r = xvis_cli("activation arch:fashion_cnn --layer conv1 --filters 0,1,2 --iterations 3 -o " + (d / "grid.png").string() +
                           " --gif " + (d / "evolution.gif").string());
    ASSERT_EQ(r.code, 0) << r.out;
    const xvis::Tensor grid = xvis::read_image((d / "grid.png").string());
    EXPECT_EQ(grid.shape()[0], 224u);             // one row of 28×28 images enlarged 8×
    EXPECT_EQ(grid.shape()[1], 3 * 224u + 2 * 5u);  // three columns, 5-pixel margins
    EXPECT_TRUE(fs::exists(d / "evolution.gif"));
}

// --display clip shows the optimized input clipped to --range: after a few keras-vis RMSprop steps (about
// ±4 per pixel at first, more than the whole [0, 1] range) most pixels saturate; the keras-vis display
// standardizes them to mean 0.5 and leaves few at the ends. Only the logit is maximized (no regularizers),
// so the loss falls at every step and the best input is the last one, not the seed.
TEST(Cli, ActivationDisplayClipShowsTheInputRange) {
    const fs::path d = scratch("activation_display");
    const auto saturated = [](const xvis::Tensor& img) {
        std::size_t n = 0;
        for (float v : img) n += v == 0.0f || v == 255.0f;
        return static_cast<double>(n) / static_cast<double>(img.size());
    };
    for (const std::string display : {"clip", "keras-vis"}) {
        const fs::path out = d / (display + ".png");
        const CliRun r = xvis_cli("activation arch:fashion_cnn --filters 3 --iterations 10 --range 0 1 --tv-weight 0 --lp-weight 0 --display " + display +
                               " -o " + out.string());
        ASSERT_EQ(r.code, 0) << r.out;
        const double frac = saturated(xvis::read_image(out.string()));
        if (display == "clip")
            EXPECT_GT(frac, 0.5) << display;
        else
            EXPECT_LT(frac, 0.2) << display;
    }
    const CliRun bad = xvis_cli("activation arch:fashion_cnn --display nope");
    EXPECT_NE(bad.code, 0);
    EXPECT_NE(bad.out.find("--display"), std::string::npos) << bad.out;
}

// On a terminal, long work draws one bar redrawn in place (carriage return, erase to end of line); the plain
// "label: N%" lines are for pipes and logs. script(1) (util-linux, always on Debian) provides the terminal.
TEST(Cli, ProgressBarOnATerminal) {
    ASSERT_EQ(std::system("command -v script > /dev/null 2>&1"), 0) << "script(1) is part of Debian's bsdutils";
    const fs::path d = scratch("tty");
    const std::string inner = std::string(XVIS_CLI_PATH) + " activation arch:fashion_cnn --filters 0 --iterations 20 -o " +
                              (d / "a.png").string();
    const CliRun r = run_shell("script -qec '" + inner + "' /dev/null 2>&1");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("\ractivation ["), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("] 100%"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\033[K"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("activation: 10%"), std::string::npos) << "plain progress lines on a terminal: " << r.out;
    // Through a pipe: the plain lines, no escape codes.
    const CliRun piped = xvis_cli("activation arch:fashion_cnn --filters 0 --iterations 20 -o " + (d / "b.png").string());
    ASSERT_EQ(piped.code, 0) << piped.out;
    EXPECT_NE(piped.out.find("activation: 10%"), std::string::npos) << piped.out;
    EXPECT_EQ(piped.out.find("\033[K"), std::string::npos) << piped.out;
}

// The picture (45×60 gray) is resized to the model's 28×28; the heat-map and the overlay come back at 45×60.
TEST(Cli, AttributionMethodsWriteHeatmapAndOverlay) {
    const fs::path d = scratch("attribute");
    const std::string picture = write_picture(d, 45, 60, 1);
    for (const std::string method : {"saliency", "gradcam", "gradcam++", "layercam", "scorecam", "smoothgrad", "integrated-gradients",
                                     "input-x-gradient", "guided-gradcam"}) {
        const fs::path out = d / method;
        const CliRun r = xvis_cli("attribute arch:fashion_cnn --method " + method + " --class 3 --image " + picture + " -o " + out.string());
        ASSERT_EQ(r.code, 0) << method << ": " << r.out;
        EXPECT_EQ(png_shape(out / "heatmap.png"), (xvis::Shape{45, 60, 3})) << method;
        EXPECT_EQ(png_shape(out / "overlay.png"), (xvis::Shape{45, 60, 3})) << method;
    }
    const CliRun sal = xvis_cli("saliency arch:fashion_cnn --image " + picture + " -o " + (d / "s").string());
    EXPECT_EQ(sal.code, 0) << sal.out;
    const CliRun unreadable = xvis_cli("cam arch:fashion_cnn --image " + (d / "missing.png").string() + " -o " + (d / "c").string());
    EXPECT_EQ(unreadable.code, 1);
    EXPECT_NE(unreadable.out.find("missing.png"), std::string::npos) << unreadable.out;
}

TEST(Cli, TrainSmallAndReuseTheModel) {
    if (!xvis::fashion_mnist_available()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    const fs::path d = scratch("train");
    const std::string model = (d / "m.onnx").string();
    const CliRun t = xvis_cli("--threads 1 train --limit 512 --epochs 1 --batch 64 -o " + model);
    ASSERT_EQ(t.code, 0) << t.out;
    EXPECT_NE(t.out.find("test accuracy"), std::string::npos) << t.out;
    const CliRun info = xvis_cli("info " + model);
    EXPECT_EQ(info.code, 0) << info.out;
    EXPECT_NE(info.out.find("conv2 (Conv2D)"), std::string::npos) << info.out;
    const CliRun sal = xvis_cli("saliency " + model + " --index 0 -o " + (d / "s").string());
    EXPECT_EQ(sal.code, 0) << sal.out;
    EXPECT_NE(sal.out.find("true label 9"), std::string::npos) << sal.out;
}

TEST(Cli, DemoWithoutTheDatasetSaysWhatToInstall) {
    const CliRun r = xvis_cli("demo --dataset /nonexistent -o " + scratch("demo").string());
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("dataset-fashion-mnist"), std::string::npos) << r.out;
}

// An ImageNet-style run on a 3-channel model saved as ONNX (vgg_mini, 3×64×64, 10 classes): preset, labels,
// explicit mean / std / BGR / size / layout, an RGBA picture; every output at the picture's own size.
TEST(Cli, PreprocessingFlagsOnAThreeChannelModel) {
    const fs::path d = scratch("preprocess");
    const std::string model = (d / "vgg_mini.onnx").string(), labels = write_labels(d, 10);
    xvis::save_onnx(xvis::vgg_mini(1), model);
    const std::string rgb = write_picture(d, 50, 70, 3), rgba = write_picture(d, 33, 41, 4);
    const CliRun r = xvis_cli("saliency " + model + " --image " + rgb + " --preset imagenet --labels " + labels + " -o " + (d / "a").string());
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("top 5 of 10 classes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  1. class "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("saliency for class "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" (thing number "), std::string::npos) << "predictions name the class: " << r.out;
    EXPECT_EQ(png_shape(d / "a" / "heatmap.png"), (xvis::Shape{50, 70, 3}));
    EXPECT_EQ(png_shape(d / "a" / "overlay.png"), (xvis::Shape{50, 70, 3}));
    for (const std::string flags : {"--method gradcam --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25 --bgr --size 64x64 --layout nchw",
                                    "--method input-x-gradient --preset caffe --channel-order rgb --size 64", "--method saliency --preset tf --scale 1/255"}) {
        const CliRun c = xvis_cli("attribute " + model + " --image " + rgba + " --class 7 --labels " + labels + " " + flags + " -o " + (d / "b").string());
        ASSERT_EQ(c.code, 0) << flags << ": " << c.out;
        EXPECT_NE(c.out.find("for class 7 (thing number 7)"), std::string::npos) << c.out;
        EXPECT_EQ(png_shape(d / "b" / "heatmap.png"), (xvis::Shape{33, 41, 3})) << flags;
        EXPECT_EQ(png_shape(d / "b" / "overlay.png"), (xvis::Shape{33, 41, 4})) << flags;  // RGBA in, RGBA out
    }
    const CliRun act = xvis_cli("activation " + model + " --filters 2 --iterations 2 --preset imagenet --display clip --labels " + labels + " -o " +
                                (d / "act.png").string());
    ASSERT_EQ(act.code, 0) << act.out;
    EXPECT_NE(act.out.find("class 2 (thing number 2)"), std::string::npos) << act.out;
}

// A Keras-shaped ONNX model takes NHWC pictures: the layout is guessed from [N, 20, 20, 3]; reading it as NCHW
// is refused; Grad-CAM reads its feature maps as NCHW (they follow the graph's Transpose) and the map comes back
// at the picture's size.
TEST(Cli, NhwcModelsAreRecognized) {
    const fs::path d = scratch("nhwc");
    const std::string model = (d / "keras_like.onnx").string(), picture = write_picture(d, 31, 17, 3);
    write_nhwc_model(model);
    for (const std::string method : {"saliency", "integrated-gradients"}) {
        const CliRun r = xvis_cli("attribute " + model + " --method " + method + " --image " + picture + " --preset imagenet -o " + (d / method).string());
        ASSERT_EQ(r.code, 0) << method << ": " << r.out;
        EXPECT_EQ(png_shape(d / method / "overlay.png"), (xvis::Shape{31, 17, 3})) << method;
    }
    const CliRun forced = xvis_cli("saliency " + model + " --image " + picture + " --layout nchw");
    EXPECT_EQ(forced.code, 1);
    EXPECT_NE(forced.out.find("xvis: error: --layout nchw: the model input [1, 20, 20, 3] read as NCHW takes 20 channels"), std::string::npos)
        << forced.out;
    for (const std::string args : {" --penultimate relu", ""}) {  // named, and found on its own
        const CliRun cam = xvis_cli("cam " + model + " --image " + picture + args + " -o " + (d / "cam").string());
        ASSERT_EQ(cam.code, 0) << cam.out;
        EXPECT_EQ(png_shape(d / "cam" / "overlay.png"), (xvis::Shape{31, 17, 3}));
    }
}

// Bad preprocessing values: one line "xvis: error: <flag>: ...", whether CLI11 rejects the text while parsing
// or the value does not fit the model.
TEST(Cli, PreprocessingFlagErrors) {
    const fs::path d = scratch("preprocess_errors");
    const std::string img = " --image " + write_picture(d, 20, 20, 3), short_labels = write_labels(d, 3);
    for (const auto& [args, want] : std::vector<std::pair<std::string, std::string>>{
             {"saliency arch:vgg_mini --mean 0.5,abc,0.5" + img, "--mean: expected comma-separated numbers"},
             {"saliency arch:vgg_mini --mean 0.5,0.5" + img, "--mean: 2 mean values for the model's 3 input channels"},
             {"saliency arch:vgg_mini --std 0.2,0,0.2" + img, "--std: values must be > 0, got 0"},
             {"cam arch:vgg_mini --size 0" + img, "--size: expected H or HxW"},
             {"cam arch:vgg_mini --size 32x48" + img, "--size 32x48: the model takes 64x64 inputs"},
             {"cam arch:vgg_mini --preset bogus" + img, "--preset: bogus not in"},
             {"cam arch:vgg_mini --channel-order grb" + img, "--channel-order: grb not in"},
             {"cam arch:vgg_mini --layout nhwc" + img, "--layout nhwc: the model input [1, 3, 64, 64] read as NHWC takes 64 channels"},
             {"cam arch:vgg_mini --scale 0" + img, "--scale: must be > 0"},
             {"cam arch:fashion_cnn --preset imagenet" + img, "--preset imagenet: 3 mean values for the model's 1 input channel"},
             {"cam arch:vgg_mini --labels " + (d / "none.txt").string() + img, "none.txt: cannot read"},
             {"cam arch:vgg_mini --labels " + short_labels + img, "labels3.txt: 3 names for the model's 10 classes"},
             {"activation arch:vgg_mini --layer b1c1 --labels " + short_labels, "--labels: layer 'b1c1' outputs [1, 64, 64, 64]"},
             {"activation arch:vgg_mini --std 1,2,-3", "--std: values must be > 0, got -3"}}) {
        const CliRun r = xvis_cli(args);
        EXPECT_NE(r.code, 0) << args;
        EXPECT_EQ(r.out.rfind("xvis: error: ", 0), 0u) << args << ": " << r.out;
        EXPECT_NE(r.out.find(want), std::string::npos) << args << ": " << r.out;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
    }
}

// Issue 11: an unknown subcommand is named as such, also with --help (which printed the general help, exit 0).
TEST(Cli, UnknownSubcommandIsNamed) {
    for (const std::string args : {"frobnicate", "frobnicate --help", "--threads 2 frobnicate"}) {
        const CliRun r = xvis_cli(args);
        EXPECT_EQ(r.code, 2) << args << ": " << r.out;
        EXPECT_EQ(r.out.rfind("xvis: error: unknown subcommand 'frobnicate' (subcommands: train, info,", 0), 0u) << args << ": " << r.out;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
    }
    // Known subcommands still parse after the global option and its value.
    EXPECT_EQ(xvis_cli("--threads 2 info arch:mlp").code, 0);
    EXPECT_EQ(xvis_cli("info --help").code, 0);
}

// Issue 11: --class -5 meant "the predicted class"; out-of-range classes are errors naming the valid range.
TEST(Cli, ClassOutOfRangeIsAnError) {
    const fs::path d = scratch("class_range");
    const std::string img = " --image " + write_picture(d, 20, 20, 3) + " -o " + (d / "out").string();
    for (const std::string cls : {"-5", "-1", "10"}) {
        const CliRun r = xvis_cli("saliency arch:vgg_mini --class " + cls + img);
        EXPECT_EQ(r.code, 1) << r.out;
        EXPECT_NE(r.out.find("xvis: error: --class " + cls + ": layer 'out' has 10 classes / channels, valid: 0..9"), std::string::npos) << r.out;
    }
    const CliRun ok = xvis_cli("saliency arch:vgg_mini --class 9" + img);
    EXPECT_EQ(ok.code, 0) << ok.out;
    EXPECT_NE(ok.out.find("saliency for class 9"), std::string::npos) << ok.out;
}

// Issue 11: running out of memory anyway (ulimit -v) ends with one clear line and exit 3, not an abort. 80 MB
// holds the program but not ResNet-18 with its gradients (which needs about 120 MB).
TEST(Cli, OutOfMemoryIsOneLineAndAnExitCode) {
    if (XVIS_TEST_UNDER_ASAN) GTEST_SKIP() << "AddressSanitizer build: its runtime cannot even load under ulimit -v (it reserves terabytes of shadow memory)";
    const fs::path d = scratch("out_of_memory");
    const std::string cmd = "bash -c 'ulimit -v 80000; exec " + std::string(XVIS_CLI_PATH) + " saliency arch:resnet18 --image " +
                            write_picture(d, 20, 20, 3) + " -o " + (d / "out").string() + "' 2>&1 >/dev/null";
    const CliRun r = run_shell(cmd);
    EXPECT_EQ(r.code, 3) << r.out;
    EXPECT_EQ(r.out, "xvis: error: out of memory while running 'saliency' (the model, the input or the method needs more memory than this "
                     "process may use: see ulimit -v, or try a smaller model or input)\n");
    EXPECT_FALSE(fs::exists(d / "out" / "heatmap.png"));
}
