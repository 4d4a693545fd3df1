#include "image/gif_reader.hpp"
#include "image/temp_dir.hpp"

#include <xvis/image/animation.hpp>
#include <xvis/image/png.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

using namespace xvis;
using xvis::testing::TempDir;

namespace {

// A minimal GIF reader for the tests: enough of the format to check what GifWriter writes, with its own LZW
// decoder (independent of the encoder's code) so the round trip tests the bit stream, not just self-consistency.
struct DecodedGif {
    std::size_t width = 0, height = 0;
    std::vector<std::uint8_t> palette;  // 768 bytes
    bool netscape_loop = false;
    std::vector<unsigned> delays;
    std::vector<std::vector<std::uint8_t>> frames;  // palette indices, row-major
};

class Reader {
public:
    explicit Reader(const std::vector<unsigned char>& b) : b_(b) {}
    std::uint8_t u8() {
        if (pos_ >= b_.size()) throw std::runtime_error("GIF ends early");
        return b_[pos_++];
    }
    unsigned u16() {
        const unsigned lo = u8();
        return lo | (unsigned(u8()) << 8);
    }
    std::vector<std::uint8_t> bytes(std::size_t n) {
        std::vector<std::uint8_t> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(u8());
        return out;
    }
    std::vector<std::uint8_t> sub_blocks() {
        std::vector<std::uint8_t> out;
        for (std::uint8_t n = u8(); n != 0; n = u8()) {
            auto part = bytes(n);
            out.insert(out.end(), part.begin(), part.end());
        }
        return out;
    }
    bool at_end() const { return pos_ == b_.size(); }

private:
    const std::vector<unsigned char>& b_;
    std::size_t pos_ = 0;
};

std::vector<std::uint8_t> lzw_decode(const std::vector<std::uint8_t>& data, int min_code_size) {
    const int clear = 1 << min_code_size, end = clear + 1;
    std::vector<std::vector<std::uint8_t>> table;
    int code_size = 0, old = -1;
    auto reset = [&] {
        table.assign(clear + 2, {});
        for (int i = 0; i < clear; ++i) table[i] = {std::uint8_t(i)};
        code_size = min_code_size + 1;
        old = -1;
    };
    reset();
    std::vector<std::uint8_t> out;
    std::size_t bitpos = 0;
    while (true) {
        if (bitpos + code_size > data.size() * 8) throw std::runtime_error("LZW data ends without an end code");
        int code = 0;
        for (int i = 0; i < code_size; ++i, ++bitpos)
            code |= ((data[bitpos / 8] >> (bitpos % 8)) & 1) << i;
        if (code == clear) {
            reset();
            continue;
        }
        if (code == end) break;
        std::vector<std::uint8_t> entry;
        if (old < 0) {
            if (code >= clear) throw std::runtime_error("first code after clear is not a root");
            entry = table[code];
        } else {
            if (code < int(table.size())) {
                entry = table[code];
            } else if (code == int(table.size())) {  // the KwKwK case
                entry = table[old];
                entry.push_back(table[old][0]);
            } else {
                throw std::runtime_error("LZW code " + std::to_string(code) + " beyond the table");
            }
            if (table.size() < 4096) {
                std::vector<std::uint8_t> added = table[old];
                added.push_back(entry[0]);
                table.push_back(added);
                if (int(table.size()) == (1 << code_size) && code_size < 12) ++code_size;
            }
        }
        out.insert(out.end(), entry.begin(), entry.end());
        old = code;
    }
    return out;
}

DecodedGif decode_gif(const std::vector<unsigned char>& bytes) {
    DecodedGif gif;
    Reader r(bytes);
    if (std::string(bytes.begin(), bytes.begin() + 6) != "GIF89a") throw std::runtime_error("not GIF89a");
    r.bytes(6);
    gif.width = r.u16();
    gif.height = r.u16();
    const std::uint8_t packed = r.u8();
    r.u8();
    r.u8();
    if (packed & 0x80) gif.palette = r.bytes(3u << ((packed & 7) + 1));
    while (true) {
        const std::uint8_t kind = r.u8();
        if (kind == 0x3B) break;
        if (kind == 0x21) {
            const std::uint8_t label = r.u8();
            const std::vector<std::uint8_t> body = r.sub_blocks();
            if (label == 0xFF && std::string(body.begin(), body.begin() + 11) == "NETSCAPE2.0")
                gif.netscape_loop = body.size() == 14 && body[11] == 1;
            if (label == 0xF9) gif.delays.push_back(body[1] | (unsigned(body[2]) << 8));  // packed, delay, transparent index
        } else if (kind == 0x2C) {
            r.u16();
            r.u16();
            const unsigned w = r.u16(), h = r.u16();
            const std::uint8_t flags = r.u8();
            if (flags & 0x80) throw std::runtime_error("unexpected local color table");
            const int min_code_size = r.u8();
            std::vector<std::uint8_t> pixels = lzw_decode(r.sub_blocks(), min_code_size);
            if (pixels.size() != std::size_t(w) * h) throw std::runtime_error("frame pixel count mismatch");
            gif.frames.push_back(std::move(pixels));
        } else {
            throw std::runtime_error("unknown block " + std::to_string(kind));
        }
    }
    if (!r.at_end()) throw std::runtime_error("bytes after the trailer");
    return gif;
}

// A frame whose pixel p has palette color (p · step + offset) mod 256.
Tensor palette_frame(std::size_t h, std::size_t w, std::size_t step, std::size_t offset) {
    const auto& pal = GifWriter::palette();
    Tensor t({h, w, 3});
    for (std::size_t p = 0; p < h * w; ++p) {
        const std::size_t i = (p * step + offset) % 256;
        for (std::size_t k = 0; k < 3; ++k) t[p * 3 + k] = pal[i * 3 + k];
    }
    return t;
}

}  // namespace

TEST(GifWriter, PaletteIsDistinct) {
    const auto& pal = GifWriter::palette();
    std::vector<std::uint32_t> colors;
    for (std::size_t i = 0; i < 256; ++i) colors.push_back(pal[3 * i] << 16 | pal[3 * i + 1] << 8 | pal[3 * i + 2]);
    std::sort(colors.begin(), colors.end());
    EXPECT_EQ(std::unique(colors.begin(), colors.end()), colors.end());
}

TEST(GifWriter, StructureAndExactRoundTrip) {
    TempDir dir;
    const std::string path = dir.file("anim.gif");
    // 37×53 with repetitive content long enough to fill the 4096-entry table and force clear codes.
    const Tensor f0 = palette_frame(53, 37, 1, 0);
    const Tensor f1 = palette_frame(53, 37, 7, 3);
    Tensor f2({53, 37, 3}, 0.0f);  // one color: the longest LZW runs (KwKwK codes)
    {
        GifWriter gif(path, 37, 53, 25);
        gif.add_frame(f0);
        gif.add_frame(f1);
        gif.add_frame(f2);
        EXPECT_EQ(gif.frame_count(), 3u);
        gif.close();
    }
    const std::vector<unsigned char> bytes = xvis::testing::read_bytes(path);
    ASSERT_GT(bytes.size(), 800u);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 6), "GIF89a");
    EXPECT_EQ(bytes.back(), 0x3B);
    const DecodedGif gif = decode_gif(bytes);
    EXPECT_EQ(gif.width, 37u);
    EXPECT_EQ(gif.height, 53u);
    EXPECT_TRUE(gif.netscape_loop);
    EXPECT_EQ(gif.delays, (std::vector<unsigned>{25, 25, 25}));
    ASSERT_EQ(gif.frames.size(), 3u);
    ASSERT_EQ(gif.palette.size(), 768u);
    const Tensor* inputs[] = {&f0, &f1, &f2};
    for (std::size_t f = 0; f < 3; ++f)
        for (std::size_t p = 0; p < 53 * 37; ++p)
            for (std::size_t k = 0; k < 3; ++k)
                ASSERT_EQ(gif.palette[gif.frames[f][p] * 3 + k], (*inputs[f])[p * 3 + k]) << f << " " << p;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"anim.gif"});
}

TEST(GifWriter, LargeNoisyFrameRoundTrips) {
    // Pseudo-random indices: many table resets and every code width from 9 to 12 bits.
    TempDir dir;
    const auto& pal = GifWriter::palette();
    Tensor img({120, 160, 3});
    std::uint32_t state = 12345;
    std::vector<std::uint8_t> expected(120 * 160);
    for (std::size_t p = 0; p < expected.size(); ++p) {
        state = state * 1664525u + 1013904223u;
        const std::size_t i = (state >> 24) % 256;
        for (std::size_t k = 0; k < 3; ++k) img[p * 3 + k] = pal[i * 3 + k];
        expected[p] = static_cast<std::uint8_t>(i);
    }
    GifWriter gif(dir.file("noise.gif"), 160, 120, 5, false);
    gif.add_frame(img);
    gif.close();
    const DecodedGif back = decode_gif(xvis::testing::read_bytes(dir.file("noise.gif")));
    EXPECT_FALSE(back.netscape_loop);
    ASSERT_EQ(back.frames.size(), 1u);
    for (std::size_t p = 0; p < expected.size(); ++p) {
        // Same color (indices may differ only if the palette had duplicates, which PaletteIsDistinct rules out).
        ASSERT_EQ(back.frames[0][p], expected[p]) << p;
    }
}

TEST(GifWriter, GrayAndDitheredFrames) {
    TempDir dir;
    Tensor gray({8, 8, 1});
    for (std::size_t i = 0; i < gray.size(); ++i) gray[i] = float(i * 4);  // 0..252: off-palette grays get dithered
    Tensor rgb({8, 8, 3}, 100.0f);
    rgb(0, 0, 0) = 300.0f;  // clipped
    rgb(0, 1, 2) = -5.0f;
    GifWriter gif(dir.file("g.gif"), 8, 8);
    gif.add_frame(gray);
    gif.add_frame(Tensor({8, 8}, 128.0f));
    gif.add_frame(rgb);
    gif.close();
    const DecodedGif back = decode_gif(xvis::testing::read_bytes(dir.file("g.gif")));
    ASSERT_EQ(back.frames.size(), 3u);
    // Gray pixels stay gray and within one ramp step (255/45) of the input.
    for (std::size_t p = 0; p < 64; ++p) {
        const std::uint8_t* c = &back.palette[back.frames[0][p] * 3];
        EXPECT_EQ(c[0], c[1]);
        EXPECT_EQ(c[1], c[2]);
        EXPECT_NEAR(c[0], gray[p], 255.0 / 45 + 0.5);
    }
    // Dithering keeps the mean: 128 on a ramp step ≈ 5.67 wide averages back to ≈ 128 over a 4×4 tile.
    double mean = 0;
    for (std::size_t p = 0; p < 64; ++p) mean += back.palette[back.frames[1][p] * 3];
    EXPECT_NEAR(mean / 64, 128.0, 0.5);
    const std::uint8_t* clipped = &back.palette[back.frames[2][0] * 3];
    EXPECT_EQ(clipped[0], 255);
}

TEST(GifWriter, ErrorsAndNoPartialFiles) {
    TempDir dir;
    {
        GifWriter gif(dir.file("a.gif"), 4, 3);
        EXPECT_THROW(gif.add_frame(Tensor({4, 3, 3})), ShapeError);  // transposed
        EXPECT_THROW(gif.add_frame(Tensor({3, 4, 2})), ShapeError);
        EXPECT_THROW(gif.add_frame(Tensor({3, 4, 3, 1})), ShapeError);
        // Nothing is visible until close().
        for (const std::string& name : dir.entries()) EXPECT_NE(name, "a.gif");
        EXPECT_THROW(gif.close(), std::runtime_error);  // no frames
    }
    EXPECT_TRUE(dir.entries().empty());
    {
        GifWriter gif(dir.file("b.gif"), 4, 3);
        gif.add_frame(Tensor({3, 4, 3}, 10.0f));
    }  // the destructor closes
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"b.gif"});
    {
        GifWriter gif(dir.file("c.gif"), 4, 3);
        gif.add_frame(Tensor({3, 4}, 10.0f));
        gif.close();
        gif.close();  // no-op
        EXPECT_THROW(gif.add_frame(Tensor({3, 4}, 10.0f)), std::logic_error);
    }
    EXPECT_THROW(GifWriter(dir.file("d.gif"), 0, 3), ShapeError);
    EXPECT_THROW(GifWriter(dir.file("d.gif"), 4, 3, 70000), std::invalid_argument);
    const std::string missing = dir.file("no-such-dir/e.gif");
    try {
        GifWriter gif(missing, 4, 3);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
    EXPECT_EQ(dir.entries().size(), 2u);
}

TEST(GifWriter, StbImageDecodesFirstFrame) {
    // A second, independent decoder: stb_image's GIF decoder (test-only; xvis itself reads PNG and JPEG).
    TempDir dir;
    const Tensor frame = palette_frame(19, 23, 5, 1);
    GifWriter gif(dir.file("s.gif"), 23, 19);
    gif.add_frame(frame);
    gif.add_frame(palette_frame(19, 23, 3, 0));
    gif.close();
    const Tensor back = xvis::testing::read_gif_first_frame(dir.file("s.gif"));
    ASSERT_EQ(back.shape(), (Shape{19, 23, 4}));
    for (std::size_t p = 0; p < 19 * 23; ++p) {
        for (std::size_t k = 0; k < 3; ++k) ASSERT_EQ(back[p * 4 + k], frame[p * 3 + k]) << p;
        ASSERT_EQ(back[p * 4 + 3], 255.0f);
    }
}
