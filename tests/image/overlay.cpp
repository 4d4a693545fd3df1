#include <xvis/image/overlay.hpp>

#include <gtest/gtest.h>

using namespace xvis;

TEST(Overlay, BlendFormula) {
    const Tensor a({1, 2, 1}, {100.0f, 0.0f});
    const Tensor b({1, 2, 1}, {0.0f, 200.0f});
    const Tensor half = overlay(a, b);
    EXPECT_FLOAT_EQ(half[0], 50.0f);
    EXPECT_FLOAT_EQ(half[1], 100.0f);
    const Tensor quarter = overlay(a, b, 0.25);  // a·0.25 + b·0.75
    EXPECT_FLOAT_EQ(quarter[0], 25.0f);
    EXPECT_FLOAT_EQ(quarter[1], 150.0f);
}

TEST(Overlay, ShapeMismatchNamesBothShapes) {
    try {
        overlay(Tensor({2, 3, 3}), Tensor({3, 2, 3}));
        FAIL() << "no exception";
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("[2, 3, 3]"), std::string::npos) << msg;
        EXPECT_NE(msg.find("[3, 2, 3]"), std::string::npos) << msg;
    }
}

TEST(Overlay, HeatmapOnGrayImage) {
    // A constant heat-map stays constant through the resize; gray image replicated to RGB.
    const Tensor image({4, 6, 1}, 100.0f);
    const Tensor heat({2, 3}, 1.0f);
    const Tensor out = overlay_heatmap(image, heat, 0.5, Colormap::gray);
    ASSERT_EQ(out.shape(), (Shape{4, 6, 3}));
    for (float v : out) EXPECT_FLOAT_EQ(v, 0.5f * 255.0f + 0.5f * 100.0f);
    const Tensor jet = overlay_heatmap(Tensor({4, 6}, 0.0f), Tensor({2, 3}, 0.0f), 1.0);  // pure jet(0)
    EXPECT_FLOAT_EQ(jet(3, 5, 2), 127.5f);
    EXPECT_FLOAT_EQ(jet(3, 5, 0), 0.0f);
}

TEST(Overlay, HeatmapResizedBilinearAndRgbaKeepsAlpha) {
    const Tensor image({2, 4, 4}, 0.0f);
    Tensor rgba = image;
    for (std::size_t p = 0; p < 8; ++p) rgba[p * 4 + 3] = 77.0f;
    const Tensor heat({1, 2}, {0.0f, 1.0f});
    const Tensor out = overlay_heatmap(rgba, heat, 1.0, Colormap::gray);
    ASSERT_EQ(out.shape(), (Shape{2, 4, 4}));
    // 2 → 4 columns, half-pixel centres: weights of the right pixel 0, 0.25, 0.75, 1.
    const float expected[4] = {0.0f, 63.75f, 191.25f, 255.0f};
    for (std::size_t x = 0; x < 4; ++x) {
        EXPECT_FLOAT_EQ(out(1, x, 0), expected[x]);
        EXPECT_FLOAT_EQ(out(1, x, 3), 77.0f);
    }
}

TEST(Overlay, HeatmapShapeErrors) {
    EXPECT_THROW(overlay_heatmap(Tensor({4, 4, 2}), Tensor({2, 2})), ShapeError);
    EXPECT_THROW(overlay_heatmap(Tensor({4, 4, 3}), Tensor({2, 2, 1})), ShapeError);
    EXPECT_THROW(overlay_heatmap(Tensor({4}), Tensor({2, 2})), ShapeError);
}
