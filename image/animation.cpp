#include <xvis/image/animation.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace xvis {

namespace {

constexpr int cube_levels = 6;
constexpr int gray_steps = 45;  // gray ramp 0..45, step 255/45; every 9th step is a cube gray (51 · level)
constexpr int first_extra_gray = cube_levels * cube_levels * cube_levels;  // 216

constexpr int bayer4[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};

std::uint8_t gray_level(int k) { return static_cast<std::uint8_t>(std::lround(255.0 * k / gray_steps)); }

int gray_palette_index(int k) {
    if (k % 9 == 0) return 43 * (k / 9);  // cube entry (l, l, l) = 36l + 6l + l
    return first_extra_gray + 8 * (k / 9) + (k % 9 - 1);
}

float clip255(float v) noexcept { return v > 0.0f ? (v < 255.0f ? v : 255.0f) : 0.0f; }  // NaN → 0

// Cube level (0..5) of v ∈ [0, 255] with dither threshold d ∈ (0, 1).
int cube_level(float v, double d) noexcept {
    const double t = v / 51.0;
    const int k = static_cast<int>(t);
    if (k >= cube_levels - 1) return cube_levels - 1;
    return k + (t - k + d >= 1.0 ? 1 : 0);
}

// Gray ramp step (0..45) of v ∈ [0, 255]; the ramp's levels are rounded, so locate the bracket explicitly.
int gray_step(float v, double d) noexcept {
    int k = static_cast<int>(v * gray_steps / 255.0);
    while (k < gray_steps && gray_level(k + 1) <= v) ++k;
    while (k > 0 && gray_level(k) > v) --k;
    if (k >= gray_steps) return gray_steps;
    const double frac = (v - gray_level(k)) / double(gray_level(k + 1) - gray_level(k));
    return k + (frac + d >= 1.0 ? 1 : 0);
}

void put16(std::vector<std::uint8_t>& out, std::size_t v) {  // GIF integers are little-endian
    out.push_back(static_cast<std::uint8_t>(v & 0xFF));
    out.push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
}

// Variable-width LZW as GIF uses it: codes are packed least-significant bit first, and chopped into data
// sub-blocks of at most 255 bytes each preceded by its length, the whole ended by a 0-length block.
// Its tables persist between frames (encode resets them in place), so encoding allocates nothing after the
// first frame.
class LzwEncoder {
public:
    void encode(const std::vector<std::uint8_t>& indices, std::vector<std::uint8_t>& out) {
        constexpr int min_code_size = 8;
        constexpr int clear = 1 << min_code_size, end = clear + 1;
        out_ = &out;
        bits_ = 0;
        nbits_ = 0;
        block_.clear();
        block_.reserve(255);
        out_->push_back(min_code_size);
        reset();
        emit(clear);
        int prefix = indices[0];
        for (std::size_t i = 1; i < indices.size(); ++i) {
            const int c = indices[i];
            const std::uint32_t key = (std::uint32_t(prefix) << 8) | std::uint32_t(c);
            const int found = lookup(key);
            if (found >= 0) {
                prefix = found;
                continue;
            }
            emit(prefix);
            if (next_ < 4096) {
                insert(key, next_++);
                // The decoder adds its entries one code late, so it reads the next code with the width of
                // code next_ − 1: widen once that code no longer fits.
                if (next_ > (1 << code_size_) && code_size_ < 12) ++code_size_;
            } else {  // table full: start over (emitted at 12 bits, as the decoder expects)
                emit(clear);
                reset();
            }
            prefix = c;
        }
        emit(prefix);
        emit(end);
        if (nbits_ > 0) byte(static_cast<std::uint8_t>(bits_ & 0xFF));
        flush_block();
        out_->push_back(0);  // block terminator
    }

private:
    static constexpr std::size_t table_size = 8192;  // power of two, ≥ 2 × 4096 keeps probe chains short

    void reset() {
        keys_.assign(table_size, -1);
        codes_.assign(table_size, 0);
        next_ = 258;
        code_size_ = 9;
    }
    static std::size_t slot(std::uint32_t key) { return (key * 2654435761u) >> (32 - 13); }
    int lookup(std::uint32_t key) const {
        for (std::size_t s = slot(key);; s = (s + 1) & (table_size - 1)) {
            if (keys_[s] < 0) return -1;
            if (std::uint32_t(keys_[s]) == key) return codes_[s];
        }
    }
    void insert(std::uint32_t key, int code) {
        std::size_t s = slot(key);
        while (keys_[s] >= 0) s = (s + 1) & (table_size - 1);
        keys_[s] = static_cast<std::int32_t>(key);
        codes_[s] = static_cast<std::uint16_t>(code);
    }
    void emit(int code) {
        bits_ |= std::uint32_t(code) << nbits_;
        nbits_ += code_size_;
        while (nbits_ >= 8) {
            byte(static_cast<std::uint8_t>(bits_ & 0xFF));
            bits_ >>= 8;
            nbits_ -= 8;
        }
    }
    void byte(std::uint8_t b) {
        block_.push_back(b);
        if (block_.size() == 255) flush_block();
    }
    void flush_block() {
        if (block_.empty()) return;
        out_->push_back(static_cast<std::uint8_t>(block_.size()));
        out_->insert(out_->end(), block_.begin(), block_.end());
        block_.clear();
    }

    std::vector<std::uint8_t>* out_ = nullptr;
    std::vector<std::int32_t> keys_;
    std::vector<std::uint16_t> codes_;
    std::vector<std::uint8_t> block_;
    std::uint32_t bits_ = 0;
    int nbits_ = 0;
    int next_ = 258;
    int code_size_ = 9;
};

}  // namespace

// Per-frame buffers, kept between frames: add_frame allocates nothing after the first frame.
struct GifWriter::Scratch {
    std::vector<std::uint8_t> indices, block;
    LzwEncoder lzw;
};

const std::array<std::uint8_t, 768>& GifWriter::palette() {
    static const std::array<std::uint8_t, 768> table = [] {
        std::array<std::uint8_t, 768> p{};
        for (int i = 0; i < first_extra_gray; ++i) {
            p[3 * i] = static_cast<std::uint8_t>(51 * (i / 36));
            p[3 * i + 1] = static_cast<std::uint8_t>(51 * (i / 6 % 6));
            p[3 * i + 2] = static_cast<std::uint8_t>(51 * (i % 6));
        }
        for (int k = 1; k < gray_steps; ++k) {
            if (k % 9 == 0) continue;
            const int i = gray_palette_index(k);
            p[3 * i] = p[3 * i + 1] = p[3 * i + 2] = gray_level(k);
        }
        return p;
    }();
    return table;
}

GifWriter::GifWriter(std::string path, std::size_t width, std::size_t height, unsigned delay_centiseconds,
                     bool loop)
    : file_(std::move(path)), width_(width), height_(height), delay_(delay_centiseconds), unwinding_(std::uncaught_exceptions()) {
    if (width == 0 || height == 0 || width > 65535 || height > 65535)
        throw ShapeError("GifWriter: frame size " + std::to_string(height) + "x" + std::to_string(width) +
                         " (height x width) must be within 1..65535 each");
    if (delay_centiseconds > 65535)
        throw std::invalid_argument("GifWriter: delay " + std::to_string(delay_centiseconds) +
                                    " centiseconds exceeds 65535");
    std::vector<std::uint8_t> head = {'G', 'I', 'F', '8', '9', 'a'};
    put16(head, width);
    put16(head, height);
    head.push_back(0xF7);  // global color table present, 8-bit color resolution, unsorted, 2^(7+1) entries
    head.push_back(0);     // background color index
    head.push_back(0);     // pixel aspect ratio: unspecified (square)
    head.insert(head.end(), palette().begin(), palette().end());
    if (loop) {
        const char app[] = "NETSCAPE2.0";
        head.insert(head.end(), {0x21, 0xFF, 11});
        head.insert(head.end(), app, app + 11);
        head.insert(head.end(), {3, 1, 0, 0, 0});  // sub-block: id 1, loop count 0 = forever; terminator
    }
    try {
        file_.write(head);
    } catch (...) {
        failed_ = true;
        throw;
    }
}

GifWriter::~GifWriter() {
    if (std::uncaught_exceptions() > unwinding_) return;  // file_'s destructor removes the temporary file
    if (!closed_) {
        try {
            close();
        } catch (...) {  // a destructor must not throw; file_ then removes the temporary file
        }
    }
}

void GifWriter::add_frame(const Tensor& image) {
    if (closed_) throw std::logic_error("GifWriter::add_frame: '" + path() + "' is already closed");
    if (failed_) throw std::runtime_error("GifWriter::add_frame: an earlier write to '" + path() + "' failed");
    const Shape& s = image.shape();
    const bool ok = (s.size() == 2 || (s.size() == 3 && (s[2] == 1 || s[2] == 3 || s[2] == 4))) && s[0] == height_ &&
                    s[1] == width_;
    if (!ok)
        throw ShapeError("GifWriter::add_frame: frame " + shape_to_string(s) + " does not match [" +
                         std::to_string(height_) + ", " + std::to_string(width_) + ", C] with C = 1, 3 or 4");
    const std::size_t c = s.size() == 3 ? s[2] : 1;
    if (!scratch_) {
        scratch_ = std::make_unique<Scratch>();
        scratch_->indices.resize(width_ * height_);
        // LZW output is at most 12 bits per pixel, plus a length byte per 255 and the frame's headers.
        const std::size_t lzw_max = width_ * height_ * 3 / 2 + 16;
        scratch_->block.reserve(lzw_max + lzw_max / 255 + 64);
    }
    std::vector<std::uint8_t>& indices = scratch_->indices;
    for (std::size_t y = 0; y < height_; ++y) {
        for (std::size_t x = 0; x < width_; ++x) {
            const std::size_t p = y * width_ + x;
            const float* px = image.data() + p * c;
            const double d = (bayer4[y % 4][x % 4] + 0.5) / 16.0;
            const float r = clip255(px[0]);
            const float g = c >= 3 ? clip255(px[1]) : r;
            const float b = c >= 3 ? clip255(px[2]) : r;
            if (r == g && g == b)
                indices[p] = static_cast<std::uint8_t>(gray_palette_index(gray_step(r, d)));
            else
                indices[p] = static_cast<std::uint8_t>(36 * cube_level(r, d) + 6 * cube_level(g, d) + cube_level(b, d));
        }
    }
    std::vector<std::uint8_t>& block = scratch_->block;
    block.clear();
    // Graphic control extension: disposal 1 (leave the frame; the next one covers it), no transparency, delay.
    block.insert(block.end(), {0x21, 0xF9, 4, 0x04});
    put16(block, delay_);
    block.insert(block.end(), {0, 0});  // transparent index (unused), terminator
    // Image descriptor: the whole screen, no local color table, not interlaced.
    block.push_back(0x2C);
    put16(block, 0);
    put16(block, 0);
    put16(block, width_);
    put16(block, height_);
    block.push_back(0);
    scratch_->lzw.encode(indices, block);
    try {
        file_.write(block);
    } catch (...) {
        failed_ = true;
        throw;
    }
    ++frames_;
}

void GifWriter::close() {
    if (closed_) return;
    closed_ = true;
    if (failed_) throw std::runtime_error("GifWriter::close: an earlier write to '" + path() + "' failed");
    if (frames_ == 0) {
        file_.abort();
        throw std::runtime_error("GifWriter::close: no frames were added to '" + path() + "'; nothing written");
    }
    const std::uint8_t trailer = 0x3B;
    file_.write(&trailer, 1);
    file_.commit();
}

}  // namespace xvis
