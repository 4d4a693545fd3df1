#pragma once
// Image resizing with the half-pixel-centre convention of OpenCV, PIL and torch (align_corners=False): output
// pixel (y, x) of an [oh, ow] result samples the input at
//     sy = (y + 0.5) · h / oh − 0.5,   sx = (x + 0.5) · w / ow − 0.5
// (continuous input coordinates in which input pixel i covers [i − 0.5, i + 0.5]).
//   nearest:  input pixel (min(floor((y + 0.5) · h / oh), h − 1), same for x)
//             (PIL / torch "nearest-exact"; OpenCV INTER_NEAREST and torch "nearest" use floor(y · h / oh)).
//   bilinear: sy, sx clamped to [0, h − 1] and [0, w − 1]; with i = floor(sy), t = sy − i:
//             out = (1 − t)·in[i] + t·in[i + 1] along each axis (OpenCV INTER_LINEAR, torch bilinear).
//   bicubic:  Keys' cubic convolution with a = −0.75 (OpenCV INTER_CUBIC, torch bicubic) over taps i − 1 .. i + 2
//             with i = floor(sy), t = sy − i, weights
//                 W(d) = (a + 2)|d|³ − (a + 3)|d|² + 1          for |d| ≤ 1
//                 W(d) = a|d|³ − 5a|d|² + 8a|d| − 4a            for 1 < |d| < 2,  d = tap − sy;
//             taps outside the image are clamped to the edge (replicate). The result may overshoot the input's
//             range near edges (a cubic does): it is not clipped. With a = −0.75 (sharper than Keys' a = −0.5) a
//             linear ramp is reproduced exactly only at t = 0 and t = 0.5; elsewhere it is off by up to
//             0.0481 × the slope per pixel, as in OpenCV and torch.
// No anti-aliasing when shrinking (like OpenCV and torch without antialias): large reductions alias.
// Grad-CAM upsamples small maps, which is what these are for.
#include <xvis/tensor/enum_names.hpp>
#include <xvis/tensor/tensor.hpp>

#include <cstddef>
#include <string>

namespace xvis {

enum class Interpolation { nearest, bilinear, bicubic };

template <>
struct EnumNames<Interpolation> {
    static constexpr const char* type_name = "Interpolation";
    static constexpr const char* noun = "interpolation";
    static constexpr EnumName<Interpolation> table[] = {
        {"nearest", Interpolation::nearest}, {"bilinear", Interpolation::bilinear}, {"bicubic", Interpolation::bicubic}};
};

// "nearest", "bilinear", "bicubic".
inline std::string to_string(Interpolation interpolation) { return enum_name(interpolation); }
// Same as from_string<Interpolation> (kept for existing callers): unknown → std::invalid_argument listing the names.
inline Interpolation interpolation_from_string(const std::string& name) { return from_string<Interpolation>(name); }

// [H, W] → [out_h, out_w], or [H, W, C] → [out_h, out_w, C] (each channel resized independently).
// Empty input or output sizes, or another rank → ShapeError.
Tensor resize(const Tensor& image, std::size_t out_h, std::size_t out_w,
              Interpolation interpolation = Interpolation::bilinear);

// One row-major plane: in [h, w] → out [oh, ow]. Allocation-free (for per-sample Grad-CAM upsampling); `in` and
// `out` must not overlap. All sizes must be ≥ 1 (not checked: the caller owns the buffers).
void resize_plane(const float* in, std::size_t h, std::size_t w, float* out, std::size_t oh, std::size_t ow,
                  Interpolation interpolation = Interpolation::bilinear);

}  // namespace xvis
