#include <xvis/image/colormap.hpp>

#include "tensor/enum_names_check.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

using namespace xvis;

namespace {
void expect_rgb(const std::array<float, 3>& got, double r, double g, double b, double tol = 1e-3) {
    EXPECT_NEAR(got[0], r, tol);
    EXPECT_NEAR(got[1], g, tol);
    EXPECT_NEAR(got[2], b, tol);
}
}  // namespace

TEST(Colormap, JetKnownValues) {
    // Entry floor(v·256) of the 256-entry table sampled at i/255 (matplotlib).
    expect_rgb(colormap_color(0.0, Colormap::jet), 0, 0, 127.5);
    // Entry 128 at x = 128/255: red (x − 0.35)/0.31 = 0.490196, green 1, blue 1 − (x − 0.34)/0.31 = 0.477546.
    expect_rgb(colormap_color(0.5, Colormap::jet), 125.0, 255.0, 121.7742, 1e-2);
    expect_rgb(colormap_color(0.25, Colormap::jet), 0, 128.5, 255, 1e-2);  // entry 64
    expect_rgb(colormap_color(1.0, Colormap::jet), 127.5, 0, 0);
}

TEST(Colormap, ViridisKnownValues) {
    expect_rgb(colormap_color(0.0, Colormap::viridis), 0.267004 * 255, 0.004874 * 255, 0.329415 * 255);
    expect_rgb(colormap_color(0.5, Colormap::viridis), 0.127568 * 255, 0.566949 * 255, 0.550556 * 255);
    expect_rgb(colormap_color(1.0, Colormap::viridis), 0.993248 * 255, 0.906157 * 255, 0.143936 * 255);
}

TEST(Colormap, GrayClippingAndNaN) {
    expect_rgb(colormap_color(0.25, Colormap::gray), 63.75, 63.75, 63.75);
    expect_rgb(colormap_color(-3.0, Colormap::gray), 0, 0, 0);
    expect_rgb(colormap_color(7.0, Colormap::gray), 255, 255, 255);
    expect_rgb(colormap_color(std::numeric_limits<double>::quiet_NaN(), Colormap::jet), 0, 0, 127.5);
    expect_rgb(colormap_color(2.0, Colormap::jet), 127.5, 0, 0);
}

TEST(Colormap, ApplyShapes) {
    const Tensor heat({2, 2}, {0.0f, 0.5f, 1.0f, 0.25f});
    const Tensor rgb = apply_colormap(heat, Colormap::gray);
    ASSERT_EQ(rgb.shape(), (Shape{2, 2, 3}));
    for (std::size_t p = 0; p < 4; ++p)
        for (std::size_t k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(rgb[p * 3 + k], heat[p] * 255.0f);
    const Tensor jet = apply_colormap(Tensor({2, 3, 1}, 0.5f));
    ASSERT_EQ(jet.shape(), (Shape{2, 3, 3}));
    EXPECT_NEAR(jet(1, 2, 0), 125.0f, 1e-3f);
    EXPECT_THROW(apply_colormap(Tensor({2, 2, 3})), ShapeError);
    EXPECT_THROW(apply_colormap(Tensor({4})), ShapeError);
}

TEST(Colormap, Names) {
    xvis::testing::expect_enum_names<Colormap>({{"jet", Colormap::jet}, {"viridis", Colormap::viridis}, {"gray", Colormap::gray}});
    EXPECT_EQ(colormap_from_string("jet"), Colormap::jet);
    EXPECT_EQ(colormap_from_string("viridis"), Colormap::viridis);
    EXPECT_EQ(colormap_from_string("gray"), Colormap::gray);
    EXPECT_EQ(to_string(Colormap::viridis), "viridis");
    try {
        colormap_from_string("hot");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("hot"), std::string::npos);
        EXPECT_NE(msg.find("jet, viridis, gray"), std::string::npos);
    }
}
