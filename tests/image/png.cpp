#include "image/temp_dir.hpp"

#include <xvis/image/png.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using namespace xvis;
using xvis::testing::TempDir;

namespace {

// Integer-valued test pattern covering 0..255 in every channel.
Tensor pattern(std::size_t h, std::size_t w, std::size_t c) {
    Tensor t({h, w, c});
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>((i * 37 + 11) % 256);
    return t;
}

void expect_same(const Tensor& a, const Tensor& b) {
    ASSERT_EQ(a.shape(), b.shape());
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "at flat index " << i;
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace

TEST(Png, RoundTripGrayRgbRgba) {
    TempDir dir;
    for (std::size_t c : {1u, 2u, 3u, 4u}) {
        const Tensor img = pattern(7, 5, c);
        const std::string path = dir.file("img" + std::to_string(c) + ".png");
        write_png(path, img);
        expect_same(read_image(path), img);
    }
}

TEST(Png, RankTwoIsGray) {
    TempDir dir;
    Tensor img({3, 4});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = float(i * 20);
    write_png(dir.file("g.png"), img);
    const Tensor back = read_image(dir.file("g.png"));
    ASSERT_EQ(back.shape(), (Shape{3, 4, 1}));
    for (std::size_t i = 0; i < img.size(); ++i) EXPECT_EQ(back[i], img[i]);
}

TEST(Png, ClipsAndRounds) {
    TempDir dir;
    const Tensor img({1, 6, 1}, {-20.0f, 300.0f, 12.4f, 12.6f, std::numeric_limits<float>::quiet_NaN(), 254.5f});
    write_png(dir.file("c.png"), img);
    const Tensor back = read_image(dir.file("c.png"));
    const std::vector<float> expected{0, 255, 12, 13, 0, 255};
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(back[i], expected[i]) << i;
}

TEST(Png, EncodeHasSignature) {
    const std::vector<std::uint8_t> png = encode_png(pattern(4, 4, 3));
    const std::vector<std::uint8_t> signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    ASSERT_GT(png.size(), signature.size());
    EXPECT_TRUE(std::equal(signature.begin(), signature.end(), png.begin()));
    // IEND chunk at the end.
    EXPECT_EQ(std::string(png.end() - 8, png.end() - 4), "IEND");
}

TEST(Png, BadShapes) {
    EXPECT_THROW(encode_png(Tensor({2, 2, 5})), ShapeError);
    EXPECT_THROW(encode_png(Tensor({4})), ShapeError);
    EXPECT_THROW(encode_png(Tensor({1, 2, 2, 3})), ShapeError);
    EXPECT_THROW(encode_png(Tensor({0, 2, 3})), ShapeError);
    TempDir dir;
    EXPECT_THROW(write_png(dir.file("x.png"), Tensor({2, 2, 7})), ShapeError);
    EXPECT_TRUE(dir.entries().empty());
}

TEST(Png, MissingFileNamesPath) {
    TempDir dir;
    const std::string path = dir.file("does-not-exist.png");
    const std::string msg = message_of([&] { read_image(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;
}

TEST(Png, CorruptAndTruncatedFilesNamePath) {
    TempDir dir;
    const std::string garbage = dir.file("garbage.png");
    xvis::testing::write_bytes(garbage, {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e', 0, 1, 2, 3});
    std::string msg = message_of([&] { read_image(garbage); });
    EXPECT_NE(msg.find(garbage), std::string::npos) << msg;

    std::vector<std::uint8_t> png = encode_png(pattern(16, 16, 3));
    png.resize(png.size() / 2);
    const std::string truncated = dir.file("truncated.png");
    xvis::testing::write_bytes(truncated, std::vector<unsigned char>(png.begin(), png.end()));
    msg = message_of([&] { read_image(truncated); });
    EXPECT_NE(msg.find(truncated), std::string::npos) << msg;

    const std::string empty = dir.file("empty.png");
    xvis::testing::write_bytes(empty, {});
    msg = message_of([&] { read_image(empty); });
    EXPECT_NE(msg.find(empty), std::string::npos) << msg;
}

TEST(Png, NoPartialFileInMissingDirectory) {
    TempDir dir;
    const std::string path = dir.file("no-such-dir/out.png");
    const std::string msg = message_of([&] { write_png(path, pattern(2, 2, 3)); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;
    EXPECT_TRUE(dir.entries().empty());
}

TEST(Png, OverwritesAtomicallyAndLeavesNoTemporary) {
    TempDir dir;
    const std::string path = dir.file("o.png");
    write_png(path, pattern(3, 3, 3));
    write_png(path, pattern(5, 2, 1));
    EXPECT_EQ(read_image(path).shape(), (Shape{5, 2, 1}));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"o.png"});
}
