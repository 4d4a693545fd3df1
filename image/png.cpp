#include <xvis/image/atomic_file.hpp>
#include <xvis/image/png.hpp>

// The stb_image_write implementation lives here and nowhere else in xvis (stb_image's is in image_reader.cpp).
// STATIC keeps its symbols internal, so a program that also compiles stb itself does not get duplicate definitions.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <xvis/image/detail/stb_warnings_off.hpp>
#include <stb/stb_image_write.h>
#include <xvis/image/detail/stb_warnings_on.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

namespace xvis {

namespace {

std::uint8_t to_byte(float v) noexcept {
    if (!(v > 0.0f)) return 0;  // also NaN
    if (v >= 255.0f) return 255;
    return static_cast<std::uint8_t>(std::lround(v));
}

}  // namespace

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
