#include <xvis/image/normalize.hpp>

#include <gtest/gtest.h>

using namespace xvis;

TEST(Normalize, RangeIsZeroToOne) {
    const Tensor a({2, 3}, {-3.0f, 1.0f, 5.0f, 0.0f, 2.0f, -1.0f});
    const Tensor n = normalize(a);
    ASSERT_EQ(n.shape(), a.shape());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(n[i], (a[i] + 3.0) / (8.0 + 1e-7), 1e-6);
    EXPECT_EQ(n[0], 0.0f);
    EXPECT_NEAR(n[2], 1.0f, 1e-6f);
    EXPECT_LT(n[2], 1.0f + 1e-7f);
    EXPECT_EQ(a[0], -3.0f);  // input untouched
}

TEST(Normalize, ConstantInputGivesZeros) {
    for (float v : normalize(Tensor({4, 4}, 7.5f))) EXPECT_EQ(v, 0.0f);
}

TEST(Normalize, InPlaceAndEmpty) {
    float data[3] = {10.0f, 20.0f, 30.0f};
    normalize_inplace(data, 3);
    EXPECT_EQ(data[0], 0.0f);
    EXPECT_NEAR(data[1], 0.5f, 1e-6f);
    EXPECT_NEAR(data[2], 1.0f, 1e-6f);
    normalize_inplace(nullptr, 0);
    EXPECT_EQ(normalize(Tensor({0, 3})).size(), 0u);
}
