#pragma once
// Animated GIF writer, for recording how an image evolves over optimizer iterations (GifGenerator).
//
// Format: GIF89a, one global 256-colour palette, full-frame images, LZW-compressed, each preceded by a graphic
// control extension carrying the delay; a NETSCAPE2.0 application extension makes viewers loop forever.
// Palette (fixed, so frames can be streamed to disk as they come; no per-frame palette search):
//   indices 0..215:   a 6×6×6 RGB cube, index = 36·r + 6·g + b, channel value = 51 · level (0, 51, ..., 255);
//   indices 216..255: 40 grays filling the cube's gray diagonal in, so grays form a 46-step ramp
//                     round(255·k / 45), k = 0..45 (k a multiple of 9 is the cube's own gray).
// Pixels with R = G = B (and every pixel of a 1-channel image) are quantized on the gray ramp, others on the cube,
// each channel with 4×4 ordered (Bayer) dithering: between palette levels L_k ≤ v < L_{k+1} the pixel takes
// L_{k+1} when (v − L_k)/(L_{k+1} − L_k) + d ≥ 1 with d = (bayer(y mod 4, x mod 4) + 0.5)/16 ∈ (0, 1). A value
// equal to a palette level therefore maps to it exactly: frames made of palette colors round-trip losslessly.
#include <xvis/image/atomic_file.hpp>
#include <xvis/tensor/tensor.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

namespace xvis {

class GifWriter {
public:
    // Opens `path` for writing (through a temporary file renamed on close(): a reader never sees half a GIF).
    // width, height in 1..65535, delay_centiseconds in 0..65535 (otherwise ShapeError / std::invalid_argument);
    // loop: play forever (NETSCAPE2.0 extension) or once. I/O failures → std::runtime_error naming `path`.
    GifWriter(std::string path, std::size_t width, std::size_t height, unsigned delay_centiseconds = 10,
              bool loop = true);
    // Closes if still open, swallowing errors (call close() to see them); a writer that never got a frame leaves
    // no file behind. Destroyed while an exception unwinds the stack (an error, an interrupted run), it discards
    // the recording instead: a GIF cut short is not the animation that was asked for.
    ~GifWriter();
    GifWriter(const GifWriter&) = delete;
    GifWriter& operator=(const GifWriter&) = delete;

    // Appends one frame: image [height, width, C] with C = 1 (gray), 3 (RGB) or 4 (RGBA, alpha ignored), or
    // [height, width] (gray); values in [0, 255], clipped, NaN → 0. Other shapes → ShapeError (nothing written).
    // After close() → std::logic_error.
    void add_frame(const Tensor& image);
    // Writes the trailer and renames the temporary file to `path`. Needs at least one frame (else
    // std::runtime_error and no file). Calling it again is a no-op.
    void close();

    std::size_t frame_count() const noexcept { return frames_; }
    const std::string& path() const noexcept { return file_.path(); }
    // The fixed palette as 256 RGB triples (768 bytes), the file's global color table.
    static const std::array<std::uint8_t, 768>& palette();

private:
    AtomicFile file_;
    std::size_t width_, height_;
    unsigned delay_;
    std::size_t frames_ = 0;
    bool closed_ = false;
    bool failed_ = false;  // an I/O error already aborted the file
    int unwinding_ = 0;    // std::uncaught_exceptions() at construction: more at destruction means an exception
    struct Scratch;
    std::unique_ptr<Scratch> scratch_;
};

}  // namespace xvis
