// `xvis cam --tokens` on a vision transformer (the reduced ViT fixture, tests/data/onnx): the token layer read
// as a map, and the flag's errors.
#include "cli/cli_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

using namespace cli_test;

namespace {

const std::string vit = std::string(XVIS_TEST_DATA) + "/onnx/vit.onnx";
const std::string ln_1 = "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization";

bool has(const CliRun& r, const std::string& part) { return r.out.find(part) != std::string::npos; }

}  // namespace

TEST(Cli, CamOnTransformerTokens) {
    const fs::path d = scratch("cam_tokens");
    const std::string picture = write_picture(d, 40, 24, 3);
    const std::string base = "cam " + vit + " --image " + picture + " --penultimate " + ln_1;
    for (const std::string tokens : {"1", "1:4x4"}) {
        const fs::path out = d / ("out" + std::to_string(tokens.size()));
        const CliRun r = xvis_cli(base + " --tokens " + tokens + " -o " + out.string());
        ASSERT_EQ(r.code, 0) << r.out;
        EXPECT_EQ(png_shape(out / "overlay.png"), (xvis::Shape{40, 24, 3})) << r.out;
        EXPECT_EQ(png_shape(out / "heatmap.png").size(), 3u) << r.out;
    }
    const CliRun attr = xvis_cli("attribute " + vit + " --method layercam --image " + picture + " --penultimate " + ln_1 +
                                 " --tokens 1 -o " + (d / "layercam").string());
    EXPECT_EQ(attr.code, 0) << attr.out;

    const CliRun no_tokens = xvis_cli(base + " -o " + (d / "plain").string());  // [1, 17, 32] is no image map
    EXPECT_NE(no_tokens.code, 0);
    EXPECT_TRUE(has(no_tokens, "token")) << no_tokens.out;
    const CliRun wrong_grid = xvis_cli(base + " --tokens 1:3x3 -o " + (d / "bad").string());
    EXPECT_NE(wrong_grid.code, 0);
    EXPECT_TRUE(has(wrong_grid, "needs 9 tokens")) << wrong_grid.out;
    for (const std::string bad : {"abc", "1:4", "1:4x", "-1", "1:0x16"}) {
        const CliRun r = xvis_cli(base + " --tokens " + bad + " -o " + (d / "bad").string());
        EXPECT_NE(r.code, 0) << bad;
        EXPECT_TRUE(has(r, "--tokens '" + bad + "'")) << bad << ": " << r.out;
    }
}

TEST(Cli, SweepOnTransformerTokens) {
    const fs::path d = scratch("sweep_tokens"), images = d / "images";
    fs::create_directories(images);
    write_picture(images, 36, 30, 3);
    const std::string base = "--threads 1 sweep " + vit + " --method gradcam --images " + images.string() + " --penultimate " + ln_1;
    const CliRun ok = xvis_cli(base + " --tokens 1 -o " + (d / "out").string());
    ASSERT_EQ(ok.code, 0) << ok.out;
    const auto manifest = [](const fs::path& out) {
        std::ifstream in(out / "manifest.jsonl");
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string done = manifest(d / "out");
    EXPECT_EQ(std::count(done.begin(), done.end(), '\n'), 1) << done;
    EXPECT_TRUE(done.find("\"status\":\"ok\"") != std::string::npos) << done;
    const CliRun other = xvis_cli(base + " --tokens 1:4x4 -o " + (d / "out").string());  // another job: not resumed
    EXPECT_NE(other.code, 0);
    EXPECT_TRUE(has(other, "another output folder")) << other.out;
    // A sweep records an item's failure in its manifest line and goes on (docs/sweep.md).
    const CliRun bad = xvis_cli(base + " --tokens 1:3x3 -o " + (d / "bad").string());
    EXPECT_TRUE(has(bad, "1 failed")) << bad.out;
    const std::string failed = manifest(d / "bad");
    EXPECT_TRUE(failed.find("\"status\":\"error\"") != std::string::npos) << failed;
    EXPECT_TRUE(failed.find("needs 9 tokens") != std::string::npos) << failed;
}
