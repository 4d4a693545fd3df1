#pragma once
// Reading images (PNG, JPEG, BMP, GIF's first frame, TGA, PSD, PNM, HDR via stb_image) and writing PNG (via
// stb_image_write). Images are float tensors [H, W, C], channels_last, values in [0, 255].
// stb_image is not hardened against malicious files: read only images you trust.
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xvis {

// Decodes the file at `path` into [H, W, C] floats in [0, 255], C = the file's channel count (1 gray, 2 gray +
// alpha, 3 RGB, 4 RGBA). 16-bit PNGs keep their precision: value / 257, so 65535 → 255.
// Missing, unreadable, corrupt or truncated files → std::runtime_error naming `path` and the reason.
Tensor read_image(const std::string& path);

// Encodes [H, W] (gray) or [H, W, C] with C in 1..4 as an 8-bit PNG in memory: each value v becomes
// round(clamp(v, 0, 255)) (NaN → 0). Other shapes, or an empty image → ShapeError.
std::vector<std::uint8_t> encode_png(const Tensor& image);

// encode_png, then writes the bytes to `path` atomically (temporary file in the same directory, renamed when
// complete): the file is written whole or not at all. I/O failures → std::runtime_error naming `path` and the
// reason; bad shapes → ShapeError.
void write_png(const std::string& path, const Tensor& image);

}  // namespace xvis
