#include "losses/losses_common.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace xvis;
using namespace xvis::testing;

TEST(LPNorm, Names) {
    Node p = placeholder({1, 2});
    EXPECT_EQ(LPNorm(p).name(), "L-6.0 Norm Loss");
    EXPECT_EQ(LPNorm(p, 2.5).name(), "L-2.5 Norm Loss");
    EXPECT_EQ(LPNorm(p, std::numeric_limits<double>::infinity()).name(), "L-inf Norm Loss");
}

TEST(LPNorm, HandComputedValues) {
    // One image 1×2×2 = [1, -2, 3, -1]; C·S = 4.
    const TensorD x({1, 1, 2, 2}, {1, -2, 3, -1});
    Node p = placeholder(x.shape());
    EXPECT_NEAR(eval_loss(LPNorm(p, 2), p, x), std::sqrt(15.0) / 4, 1e-12);
    EXPECT_NEAR(eval_loss(LPNorm(p, 6), p, x), std::pow(1 + 64 + 729 + 1, 1.0 / 6) / 4, 1e-12);
    EXPECT_NEAR(eval_loss(LPNorm(p, 3), p, x), std::pow(1 + 8 + 27 + 1, 1.0 / 3) / 4, 1e-12);
    EXPECT_NEAR(eval_loss(LPNorm(p, 1), p, x), 7.0 / 4, 1e-12);
    // p = inf: the raw maximum, not of |x|.
    const TensorD neg({1, 1, 2, 2}, {-1, -2, -3, -5});
    EXPECT_NEAR(eval_loss(LPNorm(p, std::numeric_limits<double>::infinity()), p, neg), -1.0 / 4, 1e-12);
}

TEST(LPNorm, BatchNormalizesByOneImageAndChannelsLastIsTheSame) {
    // Batch of 2: the sum runs over everything, the divisor is one image's size (C·S = 3·2 = 6).
    TensorD x = random_uniform<double>({2, 3, 2}, -1, 1, 3);
    Node p = placeholder(x.shape());
    double s = 0;
    for (double v : x) s += std::pow(v, 6);
    EXPECT_NEAR(eval_loss(LPNorm(p), p, x), std::pow(s, 1.0 / 6) / 6, 1e-12);
}

TEST(LPNorm, Gradcheck) {
    TensorD x = random_uniform<double>({1, 2, 3, 3}, -1, 1, 5);
    for (auto& v : x) v += v > 0 ? 0.1 : -0.1;  // away from |x|'s kink
    Node p = placeholder(x.shape());
    for (double pw : {1.5, 2.0, 3.0, 6.0}) {
        const auto r = gradcheck(LPNorm(p, pw).build_loss(), {p}, {x});
        EXPECT_TRUE(r.ok) << "p=" << pw << ": " << r.message;
    }
}

TEST(LPNorm, Errors) {
    Node p = placeholder({1, 3});
    EXPECT_THROW(LPNorm(p, 0.5), std::invalid_argument);
    EXPECT_THROW(LPNorm(p, std::nan("")), std::invalid_argument);
    EXPECT_THROW(LPNorm(placeholder({3})), ShapeError);
}
