#pragma once
// Gather along one axis (ONNX Gather) and its adjoint, on x viewed as [outer, n, inner] and the m index values
// flattened (y is then [outer, m, inner]):
//   y[o, j, i]  = x[o, k(j), i]
//   dx[o, k, i] = Σ_{j : k(j) = k} dy[o, j, i]        (repeated indices accumulate)
// k(j) = gather_index(indices[j], n). Index values are floats holding integers (ONNX's int64 indices, carried
// by the graph as values). Negative values count from the end. Out-of-range values never read or write out of
// bounds: see gather_index. No heap allocation; float and double.
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace xvis::kernels {

struct GatherGeometry {
    std::size_t outer;  // product of x's extents before the axis
    std::size_t n;      // extent of the gathered axis (>= 1)
    std::size_t inner;  // product of x's extents after the axis
    std::size_t m;      // number of index values
};

// The position index value v selects on an axis of n >= 1 elements: v rounded to the nearest integer, clamped to
// [−n, n − 1] (so an out-of-range index reads the first or last element, and NaN reads element 0), then negative
// values wrapped by + n. Graph-level callers validate constant indices when the node is built; this clamp is
// what keeps run-time (computed) indices safe.
template <class T>
inline std::size_t gather_index(T v, std::size_t n) {
    const double lo = -static_cast<double>(n), hi = static_cast<double>(n) - 1.0;
    double d = std::floor(static_cast<double>(v) + 0.5);
    if (!(d >= lo)) d = lo;  // also NaN
    if (d > hi) d = hi;
    const auto k = static_cast<std::int64_t>(d);
    return static_cast<std::size_t>(k < 0 ? k + static_cast<std::int64_t>(n) : k);
}

// y [outer, m, inner] (overwritten) from x [outer, n, inner].
template <class T>
void gather_forward(const GatherGeometry& g, const T* x, const T* indices, T* y);
// dx [outer, n, inner] (overwritten) = the adjoint of gather_forward applied to dy [outer, m, inner].
template <class T>
void gather_backward(const GatherGeometry& g, const T* dy, const T* indices, T* dx);

}  // namespace xvis::kernels
