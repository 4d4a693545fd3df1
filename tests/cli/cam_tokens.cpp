// `xvis cam --tokens` on a vision transformer (the reduced ViT fixture, tests/data/onnx): the token layer read
// as a map, and the flag's errors.
#include "cli/cli_support.hpp"

#include <gtest/gtest.h>

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
