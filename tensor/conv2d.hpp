#pragma once
// 2-D convolution (cross-correlation, as in every deep-learning framework), NCHW:
//   y[n, k, oh, ow] = Σ_{c, r, s} x[n, g·C/G + c, oh·sh − pt + r·dh, ow·sw − pl + s·dw] · w[k, c, r, s]
// with g = k / (K/G), zero outside the image. x: [N, C, H, W]; w: [K, C/G, R, S]; y: [N, K, OH, OW],
// OH = (H + pt + pb − dh·(R−1) − 1) / sh + 1 (floor), likewise OW.
// Forward, backward-data (dx = ∂<y, dy>/∂x) and backward-weights (dw = ∂<y, dy>/∂w) are GEMMs on im2col
// panels, except depthwise convolutions (C/G = 1), which are computed directly, and the forward and
// backward-data of 3×3 stride-1 convolutions, which use Winograd's F(2×2, 3×3). Explicitly instantiated for
// float and double.
#include <xvis/tensor/shape.hpp>

#include <cstddef>

namespace xvis::kernels {

struct Conv2dParams {
    std::size_t stride_h = 1, stride_w = 1;
    // Asymmetric padding (Keras "same" with even kernels or strides pads more at the bottom / right).
    std::size_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
    std::size_t dilation_h = 1, dilation_w = 1;
    std::size_t groups = 1;
};

struct Conv2dGeometry {
    std::size_t N, C, H, W;  // input
    std::size_t K, R, S;     // output channels, kernel height, kernel width
    std::size_t OH, OW;      // output spatial size
    Conv2dParams p;
    Shape output_shape() const { return {N, K, OH, OW}; }
};

// Validates x [N, C, H, W] and w [K, C/G, R, S] against params and computes the output size. Throws ShapeError
// naming `call`, both shapes and the rule that failed (rank, C % G, K % G, channel mismatch, zero stride or
// dilation, kernel larger than the padded image).
Conv2dGeometry make_conv2d_geometry(const Shape& x, const Shape& w, const Conv2dParams& params,
                                    const std::string& call = "conv2d");

// Process-wide choice for forward and backward-data: `fast` (the default) takes Winograd's F(2×2, 3×3), 2.25×
// fewer multiply-adds, wherever it applies (3×3 kernels, stride 1, no dilation, one group, >= 16 input and
// output channels, >= 49 2×2 output tiles per image, i.e. 14×14 outputs; >= 16 with prepared weights, below);
// `gemm` always takes the im2col GEMM (to compare, or for the im2col GEMM's rounding). Both are within the
// reference tests' tolerance, and the workspace suits both, so the choice may change at any time.
enum class Conv2dAlgorithm { fast, gemm };
void set_conv2d_algorithm(Conv2dAlgorithm algorithm);
Conv2dAlgorithm conv2d_algorithm();
// Whether forward and backward-data of `g` take Winograd now, with prepared weights or without.
bool conv2d_uses_winograd(const Conv2dGeometry& g, bool prepared = false);

// Prepared weights: what forward or backward-data derives from w on every call (Winograd's transformed
// filters, 16/9 the size of w), computed once by a caller that knows when w changes (autodiff's compiled
// functions, docs/autodiff.md). With them Winograd also takes images of >= 16 2×2 output tiles (7×7 outputs),
// where transforming the filters on every call cost more than it saved.
enum class Conv2dPass { forward, backward_data };
// Elements conv2d_prepare_weights writes for `pass` (the same for float and double); 0 when that pass has
// nothing to prepare for g (no Winograd with prepared weights).
std::size_t conv2d_prepared_size(const Conv2dGeometry& g, Conv2dPass pass);
// prepared (conv2d_prepared_size elements, overwritten) from w [K, C/G, R, S].
template <class T>
void conv2d_prepare_weights(const Conv2dGeometry& g, Conv2dPass pass, const T* w, T* prepared);

// Scratch space (in elements of T) that the three functions below need; pass at least this many.
std::size_t conv2d_workspace_size(const Conv2dGeometry& g);

// y[N, K, OH, OW] (overwritten). `prepared`: conv2d_prepare_weights(g, forward, w) of this w, or nullptr.
template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, T* y, T* workspace, const T* prepared = nullptr);
// dx[N, C, H, W] (overwritten) from dy[N, K, OH, OW] and w. `prepared`: conv2d_prepare_weights(g,
// backward_data, w) of this w, or nullptr.
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, T* workspace,
                          const T* prepared = nullptr);
// dw[K, C/G, R, S] (overwritten) from x and dy, summed over the batch.
template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* workspace);

}  // namespace xvis::kernels
