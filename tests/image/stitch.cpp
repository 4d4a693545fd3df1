#include <xvis/image/stitch.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

using namespace xvis;

namespace {
// Image k is filled with k + 1 so the background (0) is distinguishable.
std::vector<Tensor> numbered(std::size_t n, const Shape& shape) {
    std::vector<Tensor> images;
    for (std::size_t k = 0; k < n; ++k) images.emplace_back(shape, float(k + 1));
    return images;
}
}  // namespace

TEST(Stitch, GeometryAndPlacement) {
    // 7 images of 3×4×2, margin 2, cols 3 → rows 3: out [3·3 + 2·2, 3·4 + 2·2, 2] = [13, 16, 2].
    std::vector<Tensor> images = numbered(7, {3, 4, 2});
    images[5](1, 2, 1) = 99.0f;  // marked pixel of image 5: row 1, col 2
    const Tensor out = stitch_images(images, 2, 3);
    ASSERT_EQ(out.shape(), (Shape{13, 16, 2}));
    EXPECT_EQ(out(1 * 5 + 1, 2 * 6 + 2, 1), 99.0f);
    EXPECT_EQ(out(1 * 5 + 1, 2 * 6 + 2, 0), 6.0f);
    // Every image's block holds its number; margins and the empty cells of the last row hold 0.
    for (std::size_t y = 0; y < 13; ++y)
        for (std::size_t x = 0; x < 16; ++x) {
            const std::size_t row = y / 5, col = x / 6, k = row * 3 + col;
            const bool inside = y % 5 < 3 && x % 6 < 4 && k < 7;
            const float v = out(y, x, 0);
            EXPECT_EQ(v, inside ? float(k + 1) : 0.0f) << y << "," << x;
        }
}

TEST(Stitch, ColsLargerThanCount) {
    const Tensor out = stitch_images(numbered(2, {2, 3, 1}), 5, 5);  // cols' = 2, rows = 1
    ASSERT_EQ(out.shape(), (Shape{2, 3 * 2 + 5, 1}));
    EXPECT_EQ(out(1, 0, 0), 1.0f);
    EXPECT_EQ(out(1, 8, 0), 2.0f);
    EXPECT_EQ(out(1, 5, 0), 0.0f);
}

TEST(Stitch, DefaultsAndRankTwo) {
    const Tensor out = stitch_images(numbered(6, {2, 2}));  // margin 5, cols 5 → 2 rows
    ASSERT_EQ(out.shape(), (Shape{2 * 2 + 5, 5 * 2 + 4 * 5}));
    EXPECT_EQ(out(7, 0), 6.0f);
    const Tensor one = stitch_images(numbered(1, {3, 3, 3}));
    EXPECT_EQ(one.shape(), (Shape{3, 3, 3}));
}

TEST(Stitch, BackgroundFillsMarginsAndEmptyCells) {
    const Tensor out = stitch_images(numbered(3, {2, 2, 1}), 1, 2, 128.0f);  // 2 rows: the last has one empty cell
    ASSERT_EQ(out.shape(), (Shape{5, 5, 1}));
    EXPECT_EQ(out(0, 2, 0), 128.0f);  // margin between images 0 and 1
    EXPECT_EQ(out(2, 0, 0), 128.0f);  // margin between the rows
    EXPECT_EQ(out(4, 4, 0), 128.0f);  // empty cell after image 2
    EXPECT_EQ(out(4, 1, 0), 3.0f);
}

TEST(Stitch, Errors) {
    EXPECT_THROW(stitch_images({}), std::invalid_argument);
    EXPECT_THROW(stitch_images(numbered(2, {2, 2, 1}), 1, 0), std::invalid_argument);
    std::vector<Tensor> mixed = numbered(3, {2, 2, 3});
    mixed[2] = Tensor({2, 3, 3});
    try {
        stitch_images(mixed);
        FAIL() << "no exception";
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("image 2"), std::string::npos) << msg;
        EXPECT_NE(msg.find("[2, 3, 3]"), std::string::npos) << msg;
    }
    EXPECT_THROW(stitch_images({Tensor({4})}), ShapeError);
}
