// Gather and its scatter-add adjoint. The forward pass copies whole rows of `inner` elements (threads take
// rows, which are disjoint in y). The adjoint must add rows that repeated indices send to the same place, so
// threads own disjoint (outer, column block) tiles of dx instead and each walks every index in order: no atomics,
// and the summation order (j ascending) does not depend on the thread count.
#include <xvis/tensor/detail/strided.hpp>
#include <xvis/tensor/gather.hpp>

#include <algorithm>

namespace xvis::kernels {
namespace {



// Columns per adjoint tile: a few cache lines of dx per row, enough tiles for two threads on [1, n, 64+] data.
constexpr std::size_t column_block = 256;

}  // namespace

template <class T>
void gather_forward(const GatherGeometry& g, const T* x, const T* indices, T* y) {
    const std::size_t rows = g.outer * g.m;
    detail::parallel_for(rows, detail::worth_threads(rows * g.inner), [&](std::size_t r) {
        const std::size_t o = r / g.m, j = r % g.m;
        const T* src = x + (o * g.n + gather_index(indices[j], g.n)) * g.inner;
        std::copy(src, src + g.inner, y + r * g.inner);
    });
}

template <class T>
void gather_backward(const GatherGeometry& g, const T* dy, const T* indices, T* dx) {
    const std::size_t blocks = (g.inner + column_block - 1) / column_block;
    detail::parallel_for(g.outer * blocks, detail::worth_threads((g.m + g.n) * g.outer * g.inner), [&](std::size_t t) {
        const std::size_t o = t / blocks, c0 = t % blocks * column_block, c1 = std::min(g.inner, c0 + column_block);
        T* d = dx + o * g.n * g.inner;
        for (std::size_t k = 0; k < g.n; ++k) std::fill(d + k * g.inner + c0, d + k * g.inner + c1, T(0));
        const T* s = dy + o * g.m * g.inner;
        for (std::size_t j = 0; j < g.m; ++j) {
            T* dst = d + gather_index(indices[j], g.n) * g.inner;
            const T* src = s + j * g.inner;
            for (std::size_t c = c0; c < c1; ++c) dst[c] += src[c];
        }
    });
}

#define XVIS_INSTANTIATE(T)                                                              \
    template void gather_forward<T>(const GatherGeometry&, const T*, const T*, T*);      \
    template void gather_backward<T>(const GatherGeometry&, const T*, const T*, T*);
XVIS_INSTANTIATE(float)
XVIS_INSTANTIATE(double)
#undef XVIS_INSTANTIATE

}  // namespace xvis::kernels
