#include "image/temp_dir.hpp"
#include "support/error_message.hpp"

#include <xvis/image/png.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

using namespace xvis;
using xvis::testing::message_of;
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

// ---- The reader's refusals and limits (docs/security.md). Real files: the fuzz seed corpus, made by
// tests/fuzz/make_image_corpus.py (cjpeg / hand-built PNG chunks).

namespace {

const std::string corpus = std::string(XVIS_TEST_DATA) + "/../fuzz/corpus/image/";
const std::string regressions = std::string(XVIS_TEST_DATA) + "/../fuzz/regressions/image/";

std::vector<std::uint8_t> bytes_of(const std::string& path) {
    const std::vector<unsigned char> b = xvis::testing::read_bytes(path);
    return std::vector<std::uint8_t>(b.begin(), b.end());
}

std::string decode_message(const std::vector<std::uint8_t>& bytes, const ImageLimits& limits = {}) {
    return message_of([&] { decode_image(bytes, "x", limits); });
}

}  // namespace

TEST(ReadImage, RefusesOtherFormatsNamingThem) {
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> files{
        {"refused.bmp", "BMP"}, {"refused.gif", "GIF"}, {"refused.tif", "TIFF"}, {"refused.webp", "WebP"}, {"refused.pgm", "PNM"}};
    for (const auto& [name, format] : files) {
        const std::string msg = message_of([&] { read_image(corpus + name); });
        EXPECT_NE(msg.find("read_image: '" + corpus + name + "' is a " + format + " image; xvis reads PNG and JPEG"), std::string::npos) << msg;
    }
    EXPECT_NE(message_of([&] { read_image(corpus + "text.txt"); }).find("text.txt' is not a PNG or JPEG file"), std::string::npos);
    EXPECT_NE(decode_message({}).find("decode_image: 'x' is not a PNG or JPEG file (it is empty)"), std::string::npos);
}

TEST(ReadImage, DecodeImageMatchesWhatEncodePngWrote) {
    const Tensor img = pattern(6, 9, 3);
    expect_same(decode_image(encode_png(img)), img);
    const std::vector<std::uint8_t> png = encode_png(img);
    expect_same(decode_image(png.data(), png.size(), "mem"), img);
    EXPECT_THROW(decode_image(nullptr, 4, "null"), std::invalid_argument);
}

TEST(ReadImage, PngVariants) {
    const std::vector<std::pair<std::string, Shape>> files{
        {"gray1.png", {5, 13, 1}},         {"gray8.png", {7, 9, 1}},          {"gray_alpha8.png", {6, 6, 2}},
        {"rgb8.png", {5, 8, 3}},           {"rgba8.png", {8, 5, 4}},          {"rgb16.png", {3, 4, 3}},
        {"gray16.png", {5, 5, 1}},         {"rgba16.png", {4, 3, 4}},         {"palette4_trns.png", {6, 7, 4}},
        {"interlaced_rgb8.png", {9, 11, 3}}, {"interlaced_gray16.png", {3, 10, 1}}};
    for (const auto& [name, shape] : files) {
        const Tensor t = read_image(corpus + name);
        EXPECT_EQ(t.shape(), shape) << name;
        for (std::size_t i = 0; i < t.size(); ++i) ASSERT_TRUE(t[i] >= 0.0f && t[i] <= 255.0f) << name;
    }
    // 16 bits keep their precision: every value is k / 257 for a 16-bit k, not all k multiples of 257 (8 bits).
    const Tensor t16 = read_image(corpus + "rgb16.png");
    bool finer_than_8_bits = false;
    for (std::size_t i = 0; i < t16.size(); ++i) {
        const double k = std::round(t16[i] * 257.0);
        ASSERT_NEAR(t16[i] * 257.0, k, 1e-2);
        finer_than_8_bits = finer_than_8_bits || std::fmod(k, 257.0) != 0;
    }
    EXPECT_TRUE(finer_than_8_bits);
}

TEST(ReadImage, JpegBaselineAndProgressive) {
    // Made by cjpeg from the same 16x12 picture: R = 9x, G = 11y, B = 5(x + y).
    for (const std::string name : {"baseline420.jpg", "baseline444_restart.jpg", "progressive.jpg", "optimized.jpg"}) {
        const Tensor t = read_image(corpus + name);
        ASSERT_EQ(t.shape(), (Shape{12, 16, 3})) << name;
        double error = 0;
        for (std::size_t y = 0; y < 12; ++y)
            for (std::size_t x = 0; x < 16; ++x) {
                const double expected[3] = {double(9 * x), double(11 * y), double(5 * (x + y))};
                for (std::size_t c = 0; c < 3; ++c) error += std::fabs(t[(y * 16 + x) * 3 + c] - expected[c]);
            }
        EXPECT_LT(error / t.size(), 6.0) << name;
    }
    EXPECT_EQ(read_image(corpus + "gray.jpg").shape(), (Shape{17, 9, 1}));
    EXPECT_EQ(read_image(corpus + "progressive_gray.jpg").shape(), (Shape{17, 9, 1}));
}

TEST(ReadImage, SizeLimitBeforeDecoding) {
    ImageLimits small;
    small.max_values = 100;
    const std::string msg = decode_message(encode_png(pattern(16, 16, 3)), small);
    EXPECT_NE(msg.find("decode_image: 'x' is 16x16 with 3 channels: 768 values, more than the limit of 100"), std::string::npos) << msg;
    EXPECT_NE(message_of([&] { read_image(corpus + "huge_header.png"); }).find("a side longer than 65536 pixels"), std::string::npos);
    TempDir dir;
    write_png(dir.file("a.png"), pattern(4, 4, 3));
    ImageLimits tiny_file;
    tiny_file.max_file_bytes = 10;
    EXPECT_NE(message_of([&] { read_image(dir.file("a.png"), tiny_file); }).find("larger than the limit of 10 bytes"), std::string::npos);
    EXPECT_NE(message_of([&] { read_image(dir.file("")); }).find("it is a directory"), std::string::npos);
}

TEST(ReadImage, HeaderLargerThanItsBytesCanHold) {
    // PNG: 4000x4000 RGB needs 48 MB of filtered rows; deflate expands at most 1032:1, so ~46 KB at least.
    std::vector<std::uint8_t> png = encode_png(pattern(2, 2, 3));
    const std::uint8_t big[8] = {0, 0, 0x0f, 0xa0, 0, 0, 0x0f, 0xa0};  // IHDR width, height = 4000
    std::copy(big, big + 8, png.begin() + 16);
    std::string msg = decode_message(png);
    EXPECT_NE(msg.find("its PNG header declares 4000x4000 pixels, more than its " + std::to_string(png.size()) + " bytes can encode"),
              std::string::npos) << msg;
    // JPEG: at least one bit per 8x8 block; 8000x8000 needs 125000 bytes.
    std::vector<std::uint8_t> jpeg = bytes_of(corpus + "baseline420.jpg");
    const std::uint8_t sof0[2] = {0xFF, 0xC0};
    const auto sof = std::search(jpeg.begin(), jpeg.end(), sof0, sof0 + 2);
    ASSERT_NE(sof, jpeg.end());
    const std::uint8_t dims[4] = {0x1f, 0x40, 0x1f, 0x40};  // height, width = 8000
    std::copy(dims, dims + 4, sof + 5);
    msg = decode_message(jpeg);
    EXPECT_NE(msg.find("its JPEG header declares 8000x8000 pixels"), std::string::npos) << msg;
}

TEST(ReadImage, DecompressionBombStopsAtTheHeadersBudget) {
    // 1x1 gray PNG whose IDAT inflates to 16 MiB: stb alone grows its buffer to hold it all (up to 4 GiB).
    const std::string msg = message_of([&] { read_image(corpus + "bomb_1x1_16MiB.png"); });
    EXPECT_NE(msg.find("the PNG data needs more memory than its 1x1 header justifies"), std::string::npos) << msg;
}

TEST(ReadImage, JpegTablesStbWouldOverrun) {
    // A DHT with 300 codes (stb 2.27 writes past its 257-entry tables; the counts satisfy Kraft at length 16).
    std::vector<std::uint8_t> jpeg{0xFF, 0xD8, 0xFF, 0xC4};
    const std::size_t length = 2 + 17 + 300;
    jpeg.push_back(std::uint8_t(length >> 8));
    jpeg.push_back(std::uint8_t(length & 0xFF));
    jpeg.push_back(0x10);  // AC table 0
    for (int len = 1; len <= 16; ++len) jpeg.push_back(len == 15 ? 45 : len == 16 ? 255 : 0);
    jpeg.resize(jpeg.size() + 300, 1);
    jpeg.insert(jpeg.end(), {0xFF, 0xD9});
    std::string msg = decode_message(jpeg);
    EXPECT_NE(msg.find("corrupt JPEG (DHT table AC 0 has 300 codes, more than 256)"), std::string::npos) << msg;
    // Fuzzer findings (tests/fuzz/regressions/image): a scan using a Huffman table no DHT defined (SEGV in
    // stb_image), an empty first IDAT (memcpy to null).
    msg = message_of([&] { read_image(regressions + "jpeg_undefined_huffman_table_segv.jpg"); });
    EXPECT_NE(msg.find("corrupt JPEG ("), std::string::npos) << msg;
    msg = message_of([&] { read_image(regressions + "png_empty_first_idat_memcpy_null.png"); });
    EXPECT_NE(msg.find("corrupt PNG (an empty first IDAT chunk)"), std::string::npos) << msg;
}
