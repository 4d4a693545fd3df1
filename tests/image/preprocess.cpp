#include <xvis/image/preprocess.hpp>
#include <xvis/image/resize.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

using namespace xvis;

namespace {

// A picture whose every value differs, so a swapped channel or transposed axis shows.
Tensor ramp_picture(std::size_t h, std::size_t w, std::size_t c) {
    Tensor img({h, w, c});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>((i * 37 + 11) % 256);
    return img;
}

Preprocessing with_layout(Preprocessing p, TensorLayout layout, std::size_t h = 0, std::size_t w = 0) {
    p.layout = layout;
    p.height = h;
    p.width = w;
    return p;
}

// Expects `call` to throw std::invalid_argument whose message holds every one of `parts`.
void expect_error(const std::function<void()>& call, std::initializer_list<const char*> parts) {
    try {
        call();
        ADD_FAILURE() << "no exception; expected one mentioning " << *parts.begin();
    } catch (const std::invalid_argument& e) {
        for (const char* part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what() << " lacks " << part;
    }
}

}  // namespace

TEST(Preprocess, ImagenetPresetOnAKnownPixel) {
    const Preprocessing p = imagenet_preprocessing();
    EXPECT_EQ(p.height, 224u);
    EXPECT_EQ(p.width, 224u);
    EXPECT_EQ(p.order, ChannelOrder::rgb);
    EXPECT_EQ(p.layout, TensorLayout::nchw);
    // A constant picture stays constant through the resize, so every position holds the one pixel's values.
    Tensor img({3, 5, 3});
    for (std::size_t i = 0; i < 15; ++i) img[i * 3] = 255, img[i * 3 + 1] = 0, img[i * 3 + 2] = 128;
    const Tensor x = preprocess_image(img, p, 3);
    ASSERT_EQ(x.shape(), (Shape{1, 3, 224, 224}));
    const float want[3] = {(1.0f - 0.485f) / 0.229f, (0.0f - 0.456f) / 0.224f, (128.0f / 255 - 0.406f) / 0.225f};
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t y : {0, 100, 223})
            for (std::size_t xx : {0, 57, 223}) EXPECT_NEAR(x(0, c, y, xx), want[c], 1e-5f) << c;
}

TEST(Preprocess, KerasPresets) {
    Tensor img({1, 1, 3}, {200.0f, 100.0f, 50.0f});
    // caffe: BGR, v − mean with the mean listed in B, G, R order.
    Preprocessing caffe = caffe_preprocessing();
    caffe.height = caffe.width = 0;
    const Tensor c = preprocess_image(img, caffe, 3);
    EXPECT_NEAR(c[0], 50.0f - 103.939f, 1e-4f);
    EXPECT_NEAR(c[1], 100.0f - 116.779f, 1e-4f);
    EXPECT_NEAR(c[2], 200.0f - 123.68f, 1e-4f);
    // tf: v / 127.5 − 1.
    Preprocessing tf = tf_preprocessing();
    tf.height = tf.width = 0;
    const Tensor t = preprocess_image(Tensor({1, 2, 1}, {0.0f, 255.0f}), tf, 3);
    EXPECT_NEAR(t(0, 0, 0, 0), -1.0f, 1e-6f);
    EXPECT_NEAR(t(0, 2, 0, 1), 1.0f, 1e-6f);
}

TEST(Preprocess, NhwcHoldsTheSameValuesAsNchw) {
    const Tensor img = ramp_picture(4, 6, 3);
    const Tensor a = preprocess_image(img, with_layout(imagenet_preprocessing(), TensorLayout::nchw, 3, 5), 3);
    const Tensor b = preprocess_image(img, with_layout(imagenet_preprocessing(), TensorLayout::nhwc, 3, 5), 3);
    ASSERT_EQ(a.shape(), (Shape{1, 3, 3, 5}));
    ASSERT_EQ(b.shape(), (Shape{1, 3, 5, 3}));
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t y = 0; y < 3; ++y)
            for (std::size_t x = 0; x < 5; ++x) EXPECT_EQ(a(0, c, y, x), b(0, y, x, c));
}

TEST(Preprocess, BgrSwapsChannelsAndThePresetFollows) {
    const Tensor img = ramp_picture(2, 3, 3);
    const Preprocessing rgb = with_layout(imagenet_preprocessing(), TensorLayout::nchw);
    const Preprocessing bgr = with_channel_order(rgb, ChannelOrder::bgr);
    EXPECT_EQ(bgr.mean, (std::vector<float>{0.406f, 0.456f, 0.485f}));  // blue's mean first
    EXPECT_EQ(bgr.std, (std::vector<float>{0.225f, 0.224f, 0.229f}));
    EXPECT_EQ(with_channel_order(bgr, ChannelOrder::rgb).mean, rgb.mean);
    const Tensor a = preprocess_image(img, rgb, 3), b = preprocess_image(img, bgr, 3);
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(b[c * 6 + i], a[(2 - c) * 6 + i]) << c;
    // Explicit values are taken in the model's channel order as given.
    Preprocessing raw;
    raw.order = ChannelOrder::bgr;
    const Tensor r = preprocess_image(Tensor({1, 1, 3}, {10.0f, 20.0f, 30.0f}), raw, 3);
    EXPECT_NEAR(r[0], 30.0f / 255, 1e-7f);
    EXPECT_NEAR(r[2], 10.0f / 255, 1e-7f);
}

TEST(Preprocess, ChannelConversions) {
    Preprocessing p;  // v / 255
    // Gray ([H, W] or [H, W, 1]) into 3 channels: replicated.
    const Tensor g = preprocess_image(Tensor({1, 2}, {51.0f, 102.0f}), p, 3);
    ASSERT_EQ(g.shape(), (Shape{1, 3, 1, 2}));
    for (std::size_t c = 0; c < 3; ++c) EXPECT_NEAR(g(0, c, 0, 1), 0.4f, 1e-6f);
    // RGB(A) into 1 channel: luma, alpha ignored.
    const Tensor l = preprocess_image(Tensor({1, 1, 4}, {255.0f, 0.0f, 0.0f, 7.0f}), p, 1);
    ASSERT_EQ(l.shape(), (Shape{1, 1, 1, 1}));
    EXPECT_NEAR(l[0], 0.299f, 1e-6f);
    // Gray + alpha into 1 channel: the gray.
    EXPECT_NEAR(preprocess_image(Tensor({1, 1, 2}, {255.0f, 0.0f}), p, 1)[0], 1.0f, 1e-6f);
}

TEST(Preprocess, ResizesWithTheBilinearCode) {
    const Tensor img = ramp_picture(10, 20, 3);
    const Tensor x = preprocess_image(img, with_layout(Preprocessing{}, TensorLayout::nhwc, 5, 8), 3);
    ASSERT_EQ(x.shape(), (Shape{1, 5, 8, 3}));
    const Tensor r = resize(img, 5, 8, Interpolation::bilinear);
    for (std::size_t i = 0; i < r.size(); ++i) EXPECT_NEAR(x[i], r[i] / 255.0f, 1e-6f);
}

TEST(Preprocess, InputToImageInvertsTheValues) {
    const Tensor img = ramp_picture(3, 4, 3);
    for (TensorLayout layout : {TensorLayout::nchw, TensorLayout::nhwc})
        for (ChannelOrder order : {ChannelOrder::rgb, ChannelOrder::bgr}) {
            const Preprocessing p = with_channel_order(with_layout(imagenet_preprocessing(), layout), order);
            const Tensor back = input_to_image(preprocess_image(img, p, 3), p);
            ASSERT_EQ(back.shape(), img.shape());
            for (std::size_t i = 0; i < img.size(); ++i) EXPECT_NEAR(back[i], img[i], 1e-3f);
        }
}

TEST(Preprocess, MapToImageReturnsThePictureSize) {
    Tensor m({7, 7});
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i % 5) / 4.0f;
    const Tensor up = map_to_image(m, 480, 640);
    ASSERT_EQ(up.shape(), (Shape{480, 640}));
    for (float v : up) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);  // resampled, not rescaled
    const Tensor batch = map_to_image(Tensor({2, 14, 14}, 0.25f), 33, 17);
    ASSERT_EQ(batch.shape(), (Shape{2, 33, 17}));
    for (float v : batch) EXPECT_NEAR(v, 0.25f, 1e-6f);
}

// preprocess_image is affine in the picture's values, so for a linear score s = Σ w · x raising one picture value
// by 1 changes s by exactly ∂s/∂v there: gradient_to_image at the model's size must give those differences.
TEST(Preprocess, GradientChainRuleMatchesDifferences) {
    struct Case {
        std::size_t picture_channels, model_channels;
        ChannelOrder order;
        TensorLayout layout;
    };
    for (const Case& k : {Case{3, 3, ChannelOrder::rgb, TensorLayout::nchw}, Case{3, 3, ChannelOrder::bgr, TensorLayout::nhwc},
                          Case{1, 3, ChannelOrder::bgr, TensorLayout::nchw}, Case{4, 3, ChannelOrder::rgb, TensorLayout::nhwc},
                          Case{3, 1, ChannelOrder::rgb, TensorLayout::nchw}, Case{2, 1, ChannelOrder::rgb, TensorLayout::nhwc}}) {
        Preprocessing p = with_layout(imagenet_preprocessing(), k.layout);
        if (k.model_channels == 1) p.mean = {0.5f}, p.std = {0.25f};
        p = with_channel_order(p, k.order);
        const Tensor img = ramp_picture(3, 4, k.picture_channels);
        const Tensor x0 = preprocess_image(img, p, k.model_channels);
        Tensor w(x0.shape());
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.7f * static_cast<float>(i)) + 0.1f;
        const auto score = [&](const Tensor& x) {
            double s = 0;
            for (std::size_t i = 0; i < x.size(); ++i) s += double(w[i]) * x[i];
            return s;
        };
        const Tensor g = gradient_to_image(w, p, 3, 4, k.picture_channels);
        ASSERT_EQ(g.shape(), img.shape());
        for (std::size_t i = 0; i < img.size(); ++i) {
            Tensor bumped = img;
            bumped[i] += 1.0f;
            const double diff = score(preprocess_image(bumped, p, k.model_channels)) - score(x0);
            EXPECT_NEAR(g[i], diff, 1e-4) << "picture channels " << k.picture_channels << ", model " << k.model_channels << ", value " << i;
        }
    }
}

TEST(Preprocess, GradientChainRuleScalesByScaleOverStd) {
    const Preprocessing p = with_layout(imagenet_preprocessing(), TensorLayout::nchw);
    const Tensor g = gradient_to_image(Tensor({1, 3, 2, 2}, 1.0f), p, 2, 2, 3);
    for (std::size_t c = 0; c < 3; ++c) EXPECT_NEAR(g(1, 0, c), (1.0f / 255) / p.std[c], 1e-7f) << c;
    // Alpha gets no gradient: the model never sees it.
    EXPECT_EQ(gradient_to_image(Tensor({1, 3, 2, 2}, 1.0f), p, 2, 2, 4)(0, 1, 3), 0.0f);
}

// Onto a larger picture the gradient is resampled and scaled by the area ratio, so the total (what the exact
// transpose of the resize preserves: each model pixel's sampling weights sum to 1) stays the same.
TEST(Preprocess, GradientOntoTheOriginalSizeKeepsTheTotal) {
    Preprocessing p;
    Tensor g({1, 1, 8, 8});
    for (std::size_t y = 0; y < 8; ++y)
        for (std::size_t x = 0; x < 8; ++x) g(0, 0, y, x) = 1.0f + 0.1f * static_cast<float>(x) + 0.05f * static_cast<float>(y);
    const Tensor up = gradient_to_image(g, p, 37, 53, 1);
    ASSERT_EQ(up.shape(), (Shape{37, 53, 1}));
    double total_model = 0, total_picture = 0;
    for (float v : g) total_model += v * p.scale;
    for (float v : up) total_picture += v;
    EXPECT_NEAR(total_picture, total_model, 0.02 * total_model);
}

TEST(Preprocess, Errors) {
    const Tensor img = ramp_picture(4, 4, 3);
    Preprocessing zero_std = imagenet_preprocessing();
    zero_std.std[1] = 0;
    expect_error([&] { preprocess_image(img, zero_std, 3); }, {"preprocess_image", "std[1] = 0", "> 0"});
    Preprocessing neg = imagenet_preprocessing();
    neg.std[2] = -1;
    expect_error([&] { preprocess_image(img, neg, 3); }, {"std[2] = -1"});
    Preprocessing nan_mean = imagenet_preprocessing();
    nan_mean.mean[0] = std::nanf("");
    expect_error([&] { preprocess_image(img, nan_mean, 3); }, {"mean[0] = nan"});
    Preprocessing two = imagenet_preprocessing();
    two.mean = {0.5f, 0.5f};
    expect_error([&] { preprocess_image(img, two, 3); }, {"preprocess_image", "mean (0.5, 0.5) has 2 values for 3 channels"});
    expect_error([&] { preprocess_image(img, imagenet_preprocessing(), 1); }, {"has 3 values for 1 channel"});
    Preprocessing scale;
    scale.scale = 0;
    expect_error([&] { preprocess_image(img, scale, 3); }, {"scale 0"});
    Preprocessing half;
    half.height = 10;
    expect_error([&] { preprocess_image(img, half, 3); }, {"size 10x0"});
    expect_error([&] { preprocess_image(img, Preprocessing{}, 4); }, {"takes 4 channels"});
    expect_error([&] { preprocess_image(Tensor({2, 2, 5}), Preprocessing{}, 3); }, {"picture [2, 2, 5]"});
    expect_error([&] { preprocess_image(Tensor({4}), Preprocessing{}, 3); }, {"picture [4]"});
    expect_error([&] { preprocess_image(Tensor({0, 3, 3}), Preprocessing{}, 3); }, {"is empty"});
    expect_error([&] { input_to_image(Tensor({1, 1, 3, 4, 4}), Preprocessing{}); }, {"input_to_image", "[1, 1, 3, 4, 4]"});
    expect_error([&] { input_to_image(Tensor({1, 2, 4, 4}), Preprocessing{}); }, {"input_to_image", "takes 2 channels"});
    expect_error([&] { map_to_image(Tensor({4, 4}), 0, 10); }, {"map_to_image", "0x10"});
    expect_error([&] { map_to_image(Tensor({1, 1, 4, 4}), 4, 4); }, {"map_to_image", "[1, 1, 4, 4]"});
    expect_error([&] { gradient_to_image(Tensor({1, 3, 4, 4}), Preprocessing{}, 4, 0, 3); }, {"gradient_to_image", "4x0"});
    expect_error([&] { gradient_to_image(Tensor({1, 3, 4, 4}), Preprocessing{}, 4, 4, 5); }, {"gradient_to_image", "5 channels"});
    expect_error([&] { gradient_to_image(Tensor({1, 3, 4, 4}), zero_std, 4, 4, 3); }, {"gradient_to_image", "std[1] = 0"});
}
