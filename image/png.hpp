#pragma once
// Reading PNG and JPEG images (via stb_image) and writing PNG (via stb_image_write). Images are float tensors
// [H, W, C], channels_last, values in [0, 255].
//
// Threat model: images come from anywhere, so the reader treats every byte as hostile (docs/security.md). Only
// PNG and JPEG are accepted, recognized by their magic bytes before stb sees the data (stb's other decoders are
// not compiled in); the header's size is checked against ImageLimits and against the bytes present before
// anything is decoded; stb's working memory is capped by what the header justifies. Any violation is one
// std::runtime_error naming the file, never a crash or an unbounded allocation (fuzzed: tests/fuzz/fuzz_image.cpp).
#include <xvis/tensor/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

// What the reader accepts. The defaults read any photo or scan (2^28 values: 16384 x 16384 gray, 9450 x 9450
// RGB; 1 GiB as float) while no file can make xvis allocate more than that.
struct ImageLimits {
    // Height × width × channels, from the header, checked before decoding. Each side is also at most 65536
    // (fixed: JPEG's own limit is 65535).
    std::size_t max_values = std::size_t(1) << 28;
    // File size, checked before reading (read_image only); an uncompressed PNG at max_values 16-bit is 512 MiB.
    std::size_t max_file_bytes = std::size_t(1) << 30;
};

// Decodes PNG (8 or 16 bits; gray, gray + alpha, RGB, RGBA, palette; interlaced or not) or JPEG (baseline or
// progressive) bytes into [H, W, C] floats in [0, 255], C = the file's channel count (1 gray, 2 gray + alpha,
// 3 RGB, 4 RGBA). 16-bit PNGs keep their precision: value / 257, so 65535 → 255. `name` labels the bytes in
// messages. Refused with std::runtime_error "decode_image: 'name' ...": other formats (named when known: "is a
// BMP image; xvis reads PNG and JPEG"), H·W·C > limits.max_values, a header that declares more pixels than the
// bytes can encode (PNG: deflate expands at most 1032:1; JPEG: at least one bit per 8×8 block), data that
// inflates beyond what the header justifies, and corrupt or truncated data.
Tensor decode_image(const std::uint8_t* data, std::size_t size, const std::string& name = "memory", const ImageLimits& limits = {});
Tensor decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name = "memory", const ImageLimits& limits = {});

// Reads the file at `path` (at most limits.max_file_bytes, checked before reading) and decodes it as
// decode_image does. Missing or unreadable files and every decode_image refusal → std::runtime_error
// "read_image: 'path' ..." with the reason.
Tensor read_image(const std::string& path, const ImageLimits& limits = {});

// Encodes [H, W] (gray) or [H, W, C] with C in 1..4 as an 8-bit PNG in memory: each value v becomes
// round(clamp(v, 0, 255)) (NaN → 0). Other shapes, or an empty image → ShapeError.
std::vector<std::uint8_t> encode_png(const Tensor& image);

// encode_png, then writes the bytes to `path` atomically (temporary file in the same directory, renamed when
// complete): the file is written whole or not at all. I/O failures → std::runtime_error naming `path` and the
// reason; bad shapes → ShapeError.
void write_png(const std::string& path, const Tensor& image);

}  // namespace xvis
