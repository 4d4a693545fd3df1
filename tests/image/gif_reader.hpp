#pragma once
// Test-only GIF reader: xvis reads PNG and JPEG only, but the GIF writer's tests want an independent decoder.
// stb_image compiled here with its GIF decoder alone, STATIC (private to the including test file). Include it
// from one .cpp per test executable.
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <xvis/image/detail/stb_warnings_off.hpp>
#include <stb/stb_image.h>
#include <xvis/image/detail/stb_warnings_on.hpp>

#include "image/temp_dir.hpp"

#include <xvis/tensor/tensor.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace xvis::testing {

// The first frame of the GIF at `path` as [H, W, 4] (RGBA) floats in 0..255.
inline Tensor read_gif_first_frame(const std::string& path) {
    const std::vector<unsigned char> bytes = read_bytes(path);
    int w = 0, h = 0, c = 0;
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &c, 4), stbi_image_free);
    if (!pixels) throw std::runtime_error("read_gif_first_frame: '" + path + "': " + stbi_failure_reason());
    Tensor out({std::size_t(h), std::size_t(w), std::size_t(4)});
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = pixels.get()[i];
    return out;
}

}  // namespace xvis::testing
