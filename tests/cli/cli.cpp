// The `xvis` command line, run as a user would: exit codes, messages and output files.
#include <xvis/xvis.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

#include <algorithm>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace {

struct CliRun {
    int code;
    std::string out;  // stdout and stderr
};

// Runs a shell command line, capturing stdout and stderr.
CliRun run_shell(const std::string& cmd) {
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed"};
    std::string out;
    std::array<char, 4096> buf;
    while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

CliRun xvis_cli(const std::string& args) { return run_shell(std::string(XVIS_CLI_PATH) + " " + args + " 2>&1"); }

fs::path scratch(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("xvis_cli_test_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
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
    const CliRun method = xvis_cli("attribute arch:fashion_cnn --method nope --image /nonexistent.png");
    EXPECT_EQ(method.code, 1);
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

TEST(Cli, AttributionMethodsWriteHeatmapAndOverlay) {
    const fs::path d = scratch("attribute");
    xvis::Tensor img({28, 28, 1});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>((i * 37) % 256);
    xvis::write_png((d / "input.png").string(), img);
    for (const std::string method : {"saliency", "gradcam", "gradcam++", "layercam", "scorecam", "smoothgrad", "integrated-gradients",
                                     "input-x-gradient", "guided-gradcam"}) {
        const fs::path out = d / method;
        const CliRun r = xvis_cli("attribute arch:fashion_cnn --method " + method + " --class 3 --image " + (d / "input.png").string() +
                               " -o " + out.string());
        ASSERT_EQ(r.code, 0) << method << ": " << r.out;
        EXPECT_EQ(xvis::read_image((out / "heatmap.png").string()).shape(), (xvis::Shape{224, 224, 3})) << method;
        EXPECT_EQ(xvis::read_image((out / "overlay.png").string()).shape(), (xvis::Shape{224, 224, 3})) << method;
    }
    const CliRun sal = xvis_cli("saliency arch:fashion_cnn --image " + (d / "input.png").string() + " -o " + (d / "s").string());
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
