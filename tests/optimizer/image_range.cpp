// clip_to_range: values outside the range saturate, inside are kept bit for bit, NaN stays NaN, a bad range
// is an error naming the call.
#include <xvis/optimizer/image_range.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace xvis;

TEST(ClipToRange, SaturatesOutsideKeepsInside) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor x({1, 1, 2, 3}, {-5.0f, 0.0f, 0.25f, 1.0f, 7.5f, nan});
    const Tensor y = clip_to_range(x, {0, 1});
    EXPECT_EQ(y.shape(), x.shape());
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_EQ(y[2], 0.25f);
    EXPECT_EQ(y[3], 1.0f);
    EXPECT_EQ(y[4], 1.0f);
    EXPECT_TRUE(std::isnan(y[5]));
    const Tensor z = clip_to_range(x, {-1, 255});
    EXPECT_EQ(z[0], -1.0f);
    EXPECT_EQ(z[4], 7.5f);
}

TEST(ClipToRange, RejectsEmptyRange) {
    const Tensor x({2}, {0.0f, 1.0f});
    try {
        clip_to_range(x, {1, 1});
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("clip_to_range"), std::string::npos) << e.what();
    }
}

}  // namespace
