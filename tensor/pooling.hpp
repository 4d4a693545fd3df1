#pragma once
// 2-D max and average pooling, NCHW, with stride and (asymmetric) padding:
//   y[n, c, oh, ow] = max / mean over the window rows oh·sh − pt + [0, kh), cols ow·sw − pl + [0, kw)
// clipped to the image. OH = (H + pt + pb − kh) / sh + 1 (floor), or with ceil_mode (PyTorch / ONNX)
// ceil((H + pt + pb − kh) / sh) + 1, minus 1 when that last window would start at or beyond H + pt (entirely in
// the bottom padding or past it); the same for OW. Padding never wins a max; for the average, count_include_pad
// chooses the divisor: the window's cells inside the padded image [−pt, H + pb) × [−pl, W + pr) (kh·kw except
// for a ceil-mode window that overhangs it), or else the number of in-image cells.
// Max ties: the first maximum in row-major window order gets the whole gradient (as PyTorch / cuDNN).
// Global average pooling: y[n, c] = mean over H·W. Explicitly instantiated for float and double.
#include <xvis/tensor/shape.hpp>

#include <cstddef>
#include <string>

namespace xvis::kernels {

struct Pool2dParams {
    std::size_t kernel_h = 2, kernel_w = 2;
    std::size_t stride_h = 2, stride_w = 2;
    std::size_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
    bool count_include_pad = false;  // average pooling only
    bool ceil_mode = false;          // output size rounded up (partial last windows), see above
};

struct Pool2dGeometry {
    std::size_t N, C, H, W, OH, OW;
    Pool2dParams p;
    Shape output_shape() const { return {N, C, OH, OW}; }
};

// Validates x [N, C, H, W] against params. Throws ShapeError naming `call` (rank, zero kernel or stride,
// padding >= kernel, window larger than the padded image).
Pool2dGeometry make_pool2d_geometry(const Shape& x, const Pool2dParams& params, const std::string& call);

template <class T>
void max_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y);
// dx (overwritten, shape of x) = dy routed to the argmax of each window of x.
template <class T>
void max_pool2d_backward(const Pool2dGeometry& g, const T* x, const T* dy, T* dx);
// y[n, c, oh, ow] = v[n, c, argmax position of window (oh, ow) of x]; v has x's shape. Adjoint of the
// backward pass in dy: it is what the second derivative through max pooling needs.
template <class T>
void max_pool2d_select(const Pool2dGeometry& g, const T* x, const T* v, T* y);

template <class T>
void avg_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y);
// dx (overwritten) = adjoint of the average: each dy spread evenly (by the same divisor) over its window.
template <class T>
void avg_pool2d_backward(const Pool2dGeometry& g, const T* dy, T* dx);

// y[n·c] = mean of x[n·c, 0:hw]; x is [planes, hw] contiguous.
template <class T>
void global_avg_pool_forward(std::size_t planes, std::size_t hw, const T* x, T* y);

}  // namespace xvis::kernels
