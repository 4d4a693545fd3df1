#include "losses/losses_common.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace xvis;
using namespace xvis::testing;

TEST(TotalVariation, Names) {
    Node p = placeholder({1, 1, 3, 3});
    EXPECT_EQ(TotalVariation(p).name(), "TV(2.0) Loss");
    EXPECT_EQ(TotalVariation(p, 1.5).name(), "TV(1.5) Loss");
}

TEST(TotalVariation, HandComputed2D) {
    // 1×1×3×3 image 0..8 (row-major): region = top-left 2×2; d_h = +3, d_w = +1 everywhere.
    TensorD x({1, 1, 3, 3});
    for (std::size_t i = 0; i < 9; ++i) x[i] = double(i);
    Node p = placeholder(x.shape());
    // beta 2: Σ (9 + 1) over 4 cells / (C·S = 9)
    EXPECT_NEAR(eval_loss(TotalVariation(p), p, x), 40.0 / 9, 1e-12);
    // beta 1: Σ sqrt(10) over 4 cells / 9
    EXPECT_NEAR(eval_loss(TotalVariation(p, 1.0), p, x), 4 * std::sqrt(10.0) / 9, 1e-12);
    // channels_last gives the same value
    const TensorD xl = to_channels_last(x);
    Node pl = placeholder(xl.shape());
    EXPECT_NEAR(eval_loss(TotalVariation(pl, 2.0, DataFormat::channels_last), pl, xl), 40.0 / 9, 1e-12);
}

TEST(TotalVariation, OneAndThreeDimensional) {
    // 1-D: [0, 1, 4, 9] → differences 1, 3, 5 on a region of 3; beta 2 → 35 / 4.
    const TensorD x1({1, 1, 4}, {0, 1, 4, 9});
    Node p1 = placeholder(x1.shape());
    EXPECT_NEAR(eval_loss(TotalVariation(p1), p1, x1), 35.0 / 4, 1e-12);
    // 3-D: 1×1×2×2×2 values 0..7: one region cell; differences +4, +2, +1 → 21 / 8.
    TensorD x3({1, 1, 2, 2, 2});
    for (std::size_t i = 0; i < 8; ++i) x3[i] = double(i);
    Node p3 = placeholder(x3.shape());
    EXPECT_NEAR(eval_loss(TotalVariation(p3), p3, x3), 21.0 / 8, 1e-12);
    const TensorD x3l = to_channels_last(x3);
    Node p3l = placeholder(x3l.shape());
    EXPECT_NEAR(eval_loss(TotalVariation(p3l, 2.0, DataFormat::channels_last), p3l, x3l), 21.0 / 8, 1e-12);
}

TEST(TotalVariation, GradcheckAndFiniteGradientOnFlatImages) {
    TensorD x = random_uniform<double>({2, 2, 4, 3}, 0, 1, 11);
    Node p = placeholder(x.shape());
    for (double beta : {1.0, 2.0, 3.0}) {
        const auto r = gradcheck(TotalVariation(p, beta).build_loss(), {p}, {x});
        EXPECT_TRUE(r.ok) << "beta=" << beta << ": " << r.message;
    }
    // beta < 2 on a constant image: exact gradient would be infinite; xvis gives 0 (documented).
    const TensorD flat({1, 1, 3, 3}, 0.5);
    Node pf = placeholder(flat.shape());
    const TensorD g = eval_grad(TotalVariation(pf, 1.0), pf, flat);
    for (double v : g) EXPECT_EQ(v, 0.0);
}

TEST(TotalVariation, Errors) {
    EXPECT_THROW(TotalVariation(placeholder({1, 1, 3, 3}), 0.0), std::invalid_argument);
    EXPECT_THROW(TotalVariation(placeholder({1, 3})), ShapeError);
    EXPECT_THROW(TotalVariation(placeholder({1, 1, 1, 5})), ShapeError);  // one pixel along an axis
}
