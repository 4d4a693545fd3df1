#pragma once
// Resizing of the last two axes (ONNX Resize / Upsample, opsets 11-17, modes nearest and linear), and its
// adjoint. x is viewed as [planes, H, W] and y as [planes, OH, OW]; every output coordinate o of an axis
// (length in → out) is mapped to a source coordinate s(o) by the coordinate transformation, with
// scale = the given scale, or out / in when none is given, and length = in · scale with a given scale (as ONNX's
// reference implementation does), else out:
//   half_pixel            s = (o + 0.5) / scale − 0.5
//   pytorch_half_pixel    s = length > 1 ? (o + 0.5) / scale − 0.5 : 0
//   align_corners         s = length == 1 ? 0 : o · (in − 1) / (length − 1)
//   asymmetric            s = o / scale
//   tf_half_pixel_for_nn  s = (o + 0.5) / scale                                       (opset 11)
// nearest: y reads x at the rounded s (nearest_mode; an integral s is itself), clamped to [0, in − 1].
// linear:  s clamped to [0, in − 1], i0 = floor(s), i1 = min(i0 + 1, in − 1), w = s − i0, per axis; then
//          y = (1 − wh)·((1 − ww)·x[i0h, i0w] + ww·x[i0h, i1w]) + wh·((1 − ww)·x[i1h, i0w] + ww·x[i1h, i1w]).
// (The ONNX reference pads the input by its edge values instead of clamping s: the same values.)
#include <xvis/tensor/shape.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace xvis {

enum class ResizeMode { nearest, linear };
enum class ResizeCoordinates { half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn };
// How nearest mode rounds a non-integral source coordinate s (ONNX nearest_mode).
enum class ResizeNearest {
    round_prefer_floor,  // nearest integer, halves down
    round_prefer_ceil,   // nearest integer, halves up
    floor,
    ceil
};

struct ResizeOptions {
    ResizeMode mode = ResizeMode::nearest;                             // ONNX defaults
    ResizeCoordinates coordinates = ResizeCoordinates::half_pixel;
    ResizeNearest nearest = ResizeNearest::round_prefer_floor;
    // Scales of the last two axes (H, W) used by the coordinate transformation; 0 = out / in. ONNX models that
    // give "scales" (not "sizes") use them as given: out = floor(in · scale), but the transform uses scale.
    std::array<double, 2> scales{0.0, 0.0};
};

namespace kernels {

// One axis: output position o reads source positions i0[o] (weight 1 − w[o]) and i1[o] (weight w[o]); for
// nearest mode i1 = i0 and w = 0.
struct ResizeAxis {
    std::vector<std::size_t> i0, i1;
    std::vector<double> w;
};

// The source coordinate s(o) of the table above (before rounding or clamping).
double resize_source_coordinate(std::size_t o, std::size_t in, std::size_t out, double scale,
                                ResizeCoordinates coordinates);
ResizeAxis make_resize_axis(std::size_t in, std::size_t out, double scale, const ResizeOptions& options);

struct ResizeGeometry {
    std::size_t planes, H, W, OH, OW;
    bool linear;
    ResizeAxis h, w;
    Shape x_shape, y_shape;
};

// Validates x (rank >= 2, H and W >= 1) against y (same rank, equal leading extents, OH and OW >= 1) and the
// scales (finite, >= 0) and builds the tables. Throws ShapeError naming `call`, both shapes and the rule.
ResizeGeometry make_resize_geometry(const Shape& x, const Shape& y, const ResizeOptions& options,
                                    const std::string& call);

// y [planes, OH, OW] (overwritten) from x [planes, H, W].
template <class T>
void resize_forward(const ResizeGeometry& g, const T* x, T* y);
// dx [planes, H, W] (overwritten) = the adjoint of resize_forward applied to dy [planes, OH, OW].
template <class T>
void resize_backward(const ResizeGeometry& g, const T* dy, T* dx);

}  // namespace kernels
}  // namespace xvis
