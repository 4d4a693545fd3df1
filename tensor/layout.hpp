#pragma once
// Data-movement kernels: transpose (axis permutation), strided slice and its adjoint, constant padding,
// circular roll, and block copies for concat. No heap allocation; float and double.
// Callers validate arguments (the autodiff ops do, with messages); kernels assume them valid.
#include <xvis/tensor/shape.hpp>

#include <cstddef>
#include <cstdint>

namespace xvis::kernels {

// y = x with axes permuted: y.shape[i] = sx[perm[i]], y[i0..] = x[index with axis perm[k] = i_k].
// perm has sx.size() entries (a permutation of 0..rank−1).
template <class T>
void transpose(const T* x, const Shape& sx, const std::size_t* perm, T* y);

// y[i] = x[begin + i·step] per axis (step may be negative; begin is a valid start index). y has shape sy.
template <class T>
void slice(const T* x, const Shape& sx, const std::int64_t* begin, const std::int64_t* step, T* y, const Shape& sy);
// Adjoint of slice: dx (shape sx) = 0 everywhere, then dx[begin + i·step] = dy[i].
template <class T>
void slice_backward(const T* dy, const Shape& sy, const std::int64_t* begin, const std::int64_t* step, T* dx,
                    const Shape& sx);

// y (shape sy = sx + before + after per axis) = value, with x copied at offset `before`.
template <class T>
void pad(const T* x, const Shape& sx, const std::size_t* before, T value, T* y, const Shape& sy);

// Circular shift: y[(i + shift) mod n] = x[i] per axis; shifts has sx.size() entries (any sign, any size).
template <class T>
void roll(const T* x, const Shape& s, const std::int64_t* shifts, T* y);

// Concat building block: y[..., offset + i, ...] = x[..., i, ...] along `axis`; other extents equal.
template <class T>
void copy_to_axis_offset(const T* x, const Shape& sx, std::size_t axis, std::size_t offset, T* y, const Shape& sy);

}  // namespace xvis::kernels
