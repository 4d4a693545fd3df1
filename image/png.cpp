#include <xvis/image/atomic_file.hpp>
#include <xvis/image/png.hpp>

// The stb implementations live here and nowhere else in xvis. STATIC keeps their symbols internal, so a program
// that also compiles stb itself does not get duplicate definitions.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

namespace xvis {

namespace {

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
struct StbFree {
    void operator()(void* p) const noexcept { stbi_image_free(p); }
};

std::runtime_error read_error(const std::string& path, const std::string& reason) {
    return std::runtime_error("read_image: cannot read '" + path + "': " + reason);
}

std::uint8_t to_byte(float v) noexcept {
    if (!(v > 0.0f)) return 0;  // also NaN
    if (v >= 255.0f) return 255;
    return static_cast<std::uint8_t>(std::lround(v));
}

}  // namespace

Tensor read_image(const std::string& path) {
    // Our own fopen gives the system's reason (ENOENT, EACCES, EISDIR...), which stb reduces to "can't fopen".
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) throw read_error(path, std::strerror(errno));
    int w = 0, h = 0, c = 0;
    const bool sixteen = stbi_is_16_bit_from_file(file.get()) != 0;  // rewinds the file afterwards
    Tensor out;
    if (sixteen) {
        std::unique_ptr<stbi_us, StbFree> pixels(stbi_load_from_file_16(file.get(), &w, &h, &c, 0));
        if (!pixels) throw read_error(path, stbi_failure_reason());
        out = Tensor({std::size_t(h), std::size_t(w), std::size_t(c)});
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(pixels.get()[i] / 257.0);
    } else {
        std::unique_ptr<stbi_uc, StbFree> pixels(stbi_load_from_file(file.get(), &w, &h, &c, 0));
        if (!pixels) throw read_error(path, stbi_failure_reason());
        out = Tensor({std::size_t(h), std::size_t(w), std::size_t(c)});
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(pixels.get()[i]);
    }
    return out;
}

std::vector<std::uint8_t> encode_png(const Tensor& image) {
    const Shape& s = image.shape();
    if (!(s.size() == 2 || (s.size() == 3 && s[2] >= 1 && s[2] <= 4)))
        throw ShapeError("encode_png: image " + shape_to_string(s) + " must be [H, W] or [H, W, C] with C in 1..4");
    const std::size_t h = s[0], w = s[1], c = s.size() == 3 ? s[2] : 1;
    if (h == 0 || w == 0) throw ShapeError("encode_png: image " + shape_to_string(s) + " is empty");
    // stb takes int sizes and an int row stride in bytes.
    constexpr auto int_max = static_cast<std::size_t>(std::numeric_limits<int>::max());
    if (h > int_max || w * c > int_max)
        throw ShapeError("encode_png: image " + shape_to_string(s) + " is too large for PNG encoding");
    std::vector<std::uint8_t> bytes(image.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = to_byte(image[i]);
    std::vector<std::uint8_t> png;
    auto sink = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<std::uint8_t>*>(context);
        const auto* p = static_cast<const std::uint8_t*>(data);
        out->insert(out->end(), p, p + size);
    };
    if (!stbi_write_png_to_func(sink, &png, int(w), int(h), int(c), bytes.data(), int(w * c)))
        throw std::runtime_error("encode_png: stb_image_write failed to encode a " + shape_to_string(s) + " image");
    return png;
}

void write_png(const std::string& path, const Tensor& image) {
    const std::vector<std::uint8_t> png = encode_png(image);  // shape errors before any file is touched
    try {
        AtomicFile file(path);
        file.write(png);
        file.commit();
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("write_png: ") + e.what());
    }
}

}  // namespace xvis
