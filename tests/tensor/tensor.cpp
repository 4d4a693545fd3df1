#include <xvis/tensor/random.hpp>
#include <xvis/tensor/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

using namespace xvis;

TEST(Tensor, ShapeFillAndIndexing) {
    Tensor t({2, 3, 4}, 1.5f);
    EXPECT_EQ(t.rank(), 3u);
    EXPECT_EQ(t.size(), 24u);
    EXPECT_EQ(t.dim(-1), 4u);
    EXPECT_EQ(t(1, 2, 3), 1.5f);
    t(1, 2, 3) = 7.0f;
    EXPECT_EQ(t[23], 7.0f);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u);
}

TEST(Tensor, ScalarAndValues) {
    auto s = Tensor::scalar(3.0f);
    EXPECT_EQ(s.rank(), 0u);
    EXPECT_EQ(s.item(), 3.0f);
    Tensor v({2, 2}, {1, 2, 3, 4});
    EXPECT_EQ(v(1, 0), 3.0f);
    EXPECT_THROW(Tensor({2, 2}, {1, 2, 3}), ShapeError);
    EXPECT_THROW(v.item(), ShapeError);
}

TEST(Tensor, RankLimitAndReshape) {
    EXPECT_NO_THROW(Tensor({1, 1, 1, 1, 1, 1}));
    EXPECT_THROW(Tensor({1, 1, 1, 1, 1, 1, 1}), ShapeError);
    Tensor t({2, 6});
    t[7] = 5.0f;
    t.reshape({3, 4});
    EXPECT_EQ(t(1, 3), 5.0f);
    try {
        t.reshape({5, 5});
        FAIL() << "reshape to a different size must throw";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("[3, 4]"), std::string::npos) << e.what();
    }
}

TEST(Shape, BroadcastAndAxes) {
    EXPECT_EQ(broadcast_shapes({3, 1, 5}, {4, 1}, "t"), (Shape{3, 4, 5}));
    EXPECT_EQ(broadcast_shapes({}, {2, 2}, "t"), (Shape{2, 2}));
    EXPECT_THROW(broadcast_shapes({3}, {4}, "t"), ShapeError);
    EXPECT_TRUE(broadcastable_to({1, 5}, {3, 5}));
    EXPECT_FALSE(broadcastable_to({2, 5}, {3, 5}));
    EXPECT_EQ(normalize_axis(-1, 4, "t"), 3u);
    EXPECT_THROW(normalize_axis(4, 4, "t"), ShapeError);
    EXPECT_EQ(shape_to_string({}), "[]");
    EXPECT_EQ(row_major_strides({2, 3, 4}), (std::vector<std::size_t>{12, 4, 1}));
}

TEST(Random, SeededAndReproducible) {
    auto a = random_uniform<float>({1000}, -1, 1, 42);
    auto b = random_uniform<float>({1000}, -1, 1, 42);
    auto c = random_uniform<float>({1000}, -1, 1, 43);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
    EXPECT_FALSE(std::equal(a.begin(), a.end(), c.begin()));
    for (float v : a) {
        EXPECT_GE(v, -1.0f);
        EXPECT_LT(v, 1.0f);
    }
    auto n = random_normal<double>({20000}, 2.0, 3.0, 7);
    double mean = 0, sq = 0;
    for (double v : n) mean += v;
    mean /= n.size();
    for (double v : n) sq += (v - mean) * (v - mean);
    EXPECT_NEAR(mean, 2.0, 0.1);
    EXPECT_NEAR(std::sqrt(sq / n.size()), 3.0, 0.1);
    Rng rng(1);
    for (int i = 0; i < 1000; ++i) {
        auto k = rng.uniform_int(-3, 3);
        EXPECT_GE(k, -3);
        EXPECT_LE(k, 3);
    }
    EXPECT_THROW(rng.uniform_int(2, 1), std::invalid_argument);
}
