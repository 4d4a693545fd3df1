#include <xvis/image/resize.hpp>

#include "tensor/enum_names_check.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

using namespace xvis;

namespace {
const Interpolation all_modes[] = {Interpolation::nearest, Interpolation::bilinear, Interpolation::bicubic};
}

TEST(Resize, ConstantStaysConstant) {
    const Tensor img({5, 7, 3}, 42.5f);
    const std::pair<std::size_t, std::size_t> sizes[] = {{5, 7}, {10, 14}, {3, 4}, {11, 2}, {1, 1}, {17, 23}};
    for (Interpolation mode : all_modes)
        for (auto [oh, ow] : sizes) {
            const Tensor out = resize(img, oh, ow, mode);
            ASSERT_EQ(out.shape(), (Shape{oh, ow, 3}));
            for (float v : out) ASSERT_NEAR(v, 42.5f, 1e-4f) << to_string(mode) << " " << oh << "x" << ow;
        }
}

TEST(Resize, IdentitySizeIsExactCopy) {
    Tensor img({4, 3});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = float(i * i) - 3.25f;
    for (Interpolation mode : all_modes) {
        const Tensor out = resize(img, 4, 3, mode);
        ASSERT_EQ(out.shape(), img.shape());
        for (std::size_t i = 0; i < img.size(); ++i) EXPECT_EQ(out[i], img[i]);
    }
}

TEST(Resize, BilinearTwoByTwoToFourByFour) {
    // Half-pixel centres: output i samples (i + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped to 0, 0.25,
    // 0.75, 1 → weights of the second pixel 0, 0.25, 0.75, 1 on both axes.
    const Tensor img({2, 2}, {0.0f, 4.0f, 8.0f, 12.0f});
    const Tensor out = resize(img, 4, 4, Interpolation::bilinear);
    const std::vector<float> expected{0, 1, 3, 4,    //
                                      2, 3, 5, 6,    //
                                      6, 7, 9, 10,   //
                                      8, 9, 11, 12};
    ASSERT_EQ(out.shape(), (Shape{4, 4}));
    for (std::size_t i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(out[i], expected[i]) << i;
}

TEST(Resize, BicubicOnLinearRampInInterior) {
    // f(y, x) = 2y + 3x on 16×16. Keys' kernel reproduces linear functions exactly only for a = −0.5; with
    // OpenCV's a = −0.75 it is exact where the sample lies on a pixel or halfway between (t = 0 or 0.5) and
    // otherwise off by slope · e(t), e(t) = Σ_k W(k − t)·k − t over taps k = −1..2: e(0.25) = 0.046875 = −e(0.75).
    Tensor img({16, 16});
    for (std::size_t y = 0; y < 16; ++y)
        for (std::size_t x = 0; x < 16; ++x) img(y, x) = float(2 * y + 3 * x);
    // Halving: s = 2o + 0.5, t = 0.5 everywhere. Interior (taps 2o − 1 .. 2o + 2 inside): o = 1..6.
    const Tensor half = resize(img, 8, 8, Interpolation::bicubic);
    for (std::size_t y = 1; y <= 6; ++y)
        for (std::size_t x = 1; x <= 6; ++x) EXPECT_NEAR(half(y, x), 2 * (2 * y + 0.5) + 3 * (2 * x + 0.5), 1e-4);
    // Doubling: s = (o + 0.5)/2 − 0.5, t alternates 0.75, 0.25. Interior: o = 3..28.
    const Tensor twice = resize(img, 32, 32, Interpolation::bicubic);
    auto e = [](double s) { return s - std::floor(s) == 0.25 ? 0.046875 : -0.046875; };
    for (std::size_t y = 3; y <= 28; ++y)
        for (std::size_t x = 3; x <= 28; ++x) {
            const double sy = (y + 0.5) / 2 - 0.5, sx = (x + 0.5) / 2 - 0.5;
            EXPECT_NEAR(twice(y, x), 2 * (sy + e(sy)) + 3 * (sx + e(sx)), 1e-4) << y << "," << x;
        }
}

TEST(Resize, BicubicKnownWeights) {
    // 1×4 → 1×8: output 3 samples sx = 1.25 (t = 0.25) from taps 0..3 with Keys a = −0.75 weights
    // W(1.25) = −0.10546875, W(0.25) = 0.87890625, W(0.75) = 0.26171875, W(1.75) = −0.03515625.
    const Tensor img({1, 4}, {1.0f, 10.0f, 100.0f, 1000.0f});
    const Tensor out = resize(img, 1, 8, Interpolation::bicubic);
    EXPECT_NEAR(out[3], -0.10546875 * 1 + 0.87890625 * 10 + 0.26171875 * 100 - 0.03515625 * 1000, 1e-3);
}

TEST(Resize, NearestPicksExpectedPixels) {
    const Tensor row({1, 4}, {0.0f, 1.0f, 2.0f, 3.0f});
    const Tensor down = resize(row, 1, 2, Interpolation::nearest);  // centres 1 and 3 → pixels 1, 3
    EXPECT_EQ(down[0], 1.0f);
    EXPECT_EQ(down[1], 3.0f);
    const Tensor three({1, 3}, {5.0f, 6.0f, 7.0f});
    const Tensor two = resize(three, 1, 2, Interpolation::nearest);  // 0.75 → 0, 2.25 → 2
    EXPECT_EQ(two[0], 5.0f);
    EXPECT_EQ(two[1], 7.0f);
    const Tensor img({2, 2}, {1.0f, 2.0f, 3.0f, 4.0f});
    const Tensor up = resize(img, 4, 4, Interpolation::nearest);  // each pixel becomes a 2×2 block
    for (std::size_t y = 0; y < 4; ++y)
        for (std::size_t x = 0; x < 4; ++x) EXPECT_EQ(up(y, x), img(y / 2, x / 2));
}

TEST(Resize, ChannelsAreIndependentAndPlaneMatches) {
    Tensor img({3, 4, 2});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = float((i * 7) % 11);
    for (Interpolation mode : all_modes) {
        const Tensor out = resize(img, 7, 5, mode);
        for (std::size_t ch = 0; ch < 2; ++ch) {
            Tensor plane({3, 4});
            for (std::size_t p = 0; p < 12; ++p) plane[p] = img[p * 2 + ch];
            std::vector<float> expected(35);
            resize_plane(plane.data(), 3, 4, expected.data(), 7, 5, mode);
            for (std::size_t p = 0; p < 35; ++p) EXPECT_EQ(out[p * 2 + ch], expected[p]);
        }
    }
}

TEST(Resize, Errors) {
    EXPECT_THROW(resize(Tensor({4}), 2, 2), ShapeError);
    EXPECT_THROW(resize(Tensor({2, 2, 2, 2}), 2, 2), ShapeError);
    EXPECT_THROW(resize(Tensor({2, 2}), 0, 2), ShapeError);
    EXPECT_THROW(resize(Tensor({0, 2}), 2, 2), ShapeError);
    EXPECT_EQ(interpolation_from_string("bicubic"), Interpolation::bicubic);
    try {
        interpolation_from_string("lanczos");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("bilinear"), std::string::npos);
    }
}

TEST(Resize, InterpolationNames) {
    xvis::testing::expect_enum_names<Interpolation>(
        {{"nearest", Interpolation::nearest}, {"bilinear", Interpolation::bilinear}, {"bicubic", Interpolation::bicubic}});
}
