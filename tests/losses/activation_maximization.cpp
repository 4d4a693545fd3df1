#include "losses/losses_common.hpp"

#include <gtest/gtest.h>

using namespace xvis;
using namespace xvis::testing;

namespace {
TensorD iota(const Shape& s) {
    TensorD t(s);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<double>(i);
    return t;
}
}  // namespace

TEST(ActivationMaximization, NameAndRank2) {
    Node out = placeholder({2, 3});
    ActivationMaximization am(out, {1});
    EXPECT_EQ(am.name(), "ActivationMax Loss");
    // out = [[0,1,2],[3,4,5]]: mean over the batch of channel 1 = (1 + 4)/2
    EXPECT_DOUBLE_EQ(eval_loss(am, out, iota({2, 3})), -2.5);
    // Same in channels_last: rank 2 is [N, C] in both formats.
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(out, {1}, DataFormat::channels_last), out, iota({2, 3})), -2.5);
}

TEST(ActivationMaximization, Rank4BothFormatsSeveralFilters) {
    const TensorD x = iota({2, 3, 2, 2});  // channel k of sample n holds 12n + 4k + [0..3]
    Node p = placeholder(x.shape());
    // mean of channel 0: (0+1+2+3+12+13+14+15)/8 = 7.5; channel 2: 15.5; index 2 listed twice.
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(p, {0, 2, 2}), p, x), -(7.5 + 2 * 15.5));
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(p, {-1}), p, x), -15.5);
    const TensorD xl = to_channels_last(x);
    Node pl = placeholder(xl.shape());
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(pl, {0, 2, 2}, DataFormat::channels_last), pl, xl), -(7.5 + 2 * 15.5));
}

TEST(ActivationMaximization, Ranks3And5AndNoIndices) {
    const TensorD x3 = iota({1, 2, 4});  // 1-D conv output: channel 1 = 4..7
    Node p3 = placeholder(x3.shape());
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(p3, {1}), p3, x3), -5.5);
    const TensorD x5 = iota({1, 2, 2, 2, 2});  // 3-D: channel 1 = 8..15
    Node p5 = placeholder(x5.shape());
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(p5, {1}), p5, x5), -11.5);
    const TensorD x5l = to_channels_last(x5);
    Node p5l = placeholder(x5l.shape());
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(p5l, {1}, DataFormat::channels_last), p5l, x5l), -11.5);
    // No indices: mean over every unit.
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(p5, {}), p5, x5), -7.5);
}

TEST(ActivationMaximization, GradientIsMinusOneOverCountOnTheChannel) {
    const TensorD x = iota({2, 3, 2, 2});
    Node p = placeholder(x.shape());
    const TensorD g = eval_grad(ActivationMaximization(p, {1}), p, x);
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(g[n * 12 + c * 4 + i], c == 1 ? -1.0 / 8 : 0.0);
    const auto r = gradcheck(ActivationMaximization(p, {0, 2}).build_loss(), {p}, {x});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(ActivationMaximization, Errors) {
    Node p = placeholder({1, 3, 4, 4});
    try {
        ActivationMaximization(p, {3});
        FAIL() << "index 3 of 3 channels must throw";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find("3 channels"), std::string::npos) << e.what();
    }
    EXPECT_THROW(ActivationMaximization(p, {-4}), std::out_of_range);
    EXPECT_THROW(ActivationMaximization(placeholder({5}), {0}), ShapeError);
    EXPECT_THROW(ActivationMaximization(placeholder({1, 1, 1, 1, 1, 1}), {0}), ShapeError);
}

TEST(DataFormat, SlicerAndImgShape) {
    // keras-vis utils: get_img_shape gives (batch, channels, spatial...) whatever the format.
    EXPECT_EQ(get_img_shape({2, 3, 5, 7}, DataFormat::channels_first), (Shape{2, 3, 5, 7}));
    EXPECT_EQ(get_img_shape({2, 5, 7, 3}, DataFormat::channels_last), (Shape{2, 3, 5, 7}));
    EXPECT_EQ(get_img_shape({4, 10}, DataFormat::channels_last), (Shape{4, 10}));
    EXPECT_EQ(get_img_shape({1, 8, 2}, DataFormat::channels_last), (Shape{1, 2, 8}));
    // slicer: an index written channels_first moved to the tensor's format.
    EXPECT_EQ(slicer({0, 2, 4, 5}, DataFormat::channels_last), (std::vector<std::int64_t>{0, 4, 5, 2}));
    EXPECT_EQ(slicer({0, 2, 4, 5}, DataFormat::channels_first), (std::vector<std::int64_t>{0, 2, 4, 5}));
    EXPECT_EQ(channel_axis(5, DataFormat::channels_last), 4u);
    EXPECT_THROW(channel_axis(1, DataFormat::channels_first), ShapeError);
}

// A few of many channels (a quarter or less): the loss gathers them and reads nothing else; same values and
// gradient as the reduction over every channel, both formats.
TEST(ActivationMaximization, FewOfManyChannelsGatheredSameLossAndGradient) {
    const TensorD x = iota({2, 12, 2, 3});  // channel k of sample n holds 72n + 6k + [0..5]
    Node p = placeholder(x.shape());
    const ActivationMaximization am(p, {1, 9, 9});  // 2 distinct of 12 channels
    // mean of channel k over both samples: (6k + 2.5 + 72 + 6k + 2.5) / 2 = 6k + 38.5
    EXPECT_DOUBLE_EQ(eval_loss(am, p, x), -((6 + 38.5) + 2 * (54 + 38.5)));
    const TensorD g = eval_grad(am, p, x);
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t c = 0; c < 12; ++c)
            for (std::size_t i = 0; i < 6; ++i)
                EXPECT_DOUBLE_EQ(g[(n * 12 + c) * 6 + i], c == 1 ? -1.0 / 12 : (c == 9 ? -2.0 / 12 : 0.0)) << n << " " << c << " " << i;
    const TensorD xl = to_channels_last(x);
    Node pl = placeholder(xl.shape());
    EXPECT_DOUBLE_EQ(eval_loss(ActivationMaximization(pl, {1, 9, 9}, DataFormat::channels_last), pl, xl),
                     -((6 + 38.5) + 2 * (54 + 38.5)));
    const auto r = gradcheck(ActivationMaximization(pl, {-1, 4}, DataFormat::channels_last).build_loss(), {pl}, {xl});
    EXPECT_TRUE(r.ok) << r.message;
}
