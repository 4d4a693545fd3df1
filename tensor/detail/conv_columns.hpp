#pragma once
// Internal (not installed): the output columns of a convolution row whose input column is inside the image,
// shared by the im2col and the direct depthwise kernels.
#include <algorithm>
#include <cstddef>

namespace xvis::kernels::detail {

// Output columns [lo, hi) whose input column ow·stride + off lies inside [0, in).
inline void valid_range(long off, std::size_t stride, std::size_t in, std::size_t out, std::size_t& lo, std::size_t& hi) {
    // ow·stride + off >= 0  ⇔  ow >= ceil(−off / stride); ow·stride + off <= in − 1.
    const long s = long(stride);
    const long first = off >= 0 ? 0 : (-off + s - 1) / s;
    const long last = long(in) - 1 - off < 0 ? -1 : (long(in) - 1 - off) / s;  // inclusive
    lo = std::size_t(std::min<long>(first, long(out)));
    hi = std::size_t(std::clamp<long>(last + 1, long(lo), long(out)));
}

}  // namespace xvis::kernels::detail
