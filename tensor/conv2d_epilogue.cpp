#include <xvis/tensor/conv2d_epilogue.hpp>
#include <xvis/tensor/detail/strided.hpp>

#include <xsimd/xsimd.hpp>

namespace xvis::kernels {
namespace {

template <class T>
using B = xsimd::batch<T>;

// v + b, + r, then relu as the unary kernel has it (select(v < 0, 0, v): NaN stays NaN, −0 stays −0).
template <bool BIAS, bool RES, bool RELU, class T>
void row(T* y, std::size_t n, T b, const T* r) {
    constexpr std::size_t W = B<T>::size;
    const B<T> bv(b), zero(T(0));
    const auto f = [&](B<T> v, B<T> rv) {
        if constexpr (BIAS) v = v + bv;
        if constexpr (RES) v = v + rv;
        if constexpr (RELU) v = xsimd::select(v < zero, zero, v);
        return v;
    };
    std::size_t i = 0;
    for (; i + W <= n; i += W) f(B<T>::load_unaligned(y + i), RES ? B<T>::load_unaligned(r + i) : zero).store_unaligned(y + i);
    if (i < n) {
        alignas(64) T yb[W] = {}, rb[W] = {};
        for (std::size_t j = 0; j < n - i; ++j) {
            yb[j] = y[i + j];
            if constexpr (RES) rb[j] = r[i + j];
        }
        f(B<T>::load_aligned(yb), B<T>::load_aligned(rb)).store_aligned(yb);
        for (std::size_t j = 0; j < n - i; ++j) y[i + j] = yb[j];
    }
}

template <bool BIAS, bool RES, bool RELU, class T>
void rows(T* y, std::size_t N, std::size_t K, std::size_t HW, const T* bias, const T* residual) {
    const std::size_t total = N * K * HW;
    // Whole rows per thread when there are enough of them (bias is per row); else element ranges.
    if (N * K >= 16 || !detail::worth_threads(total)) {
        detail::parallel_ranges(N * K, detail::worth_threads(total, N * K), 1, [&](std::size_t b, std::size_t e) {
            for (std::size_t nk = b; nk < e; ++nk)
                row<BIAS, RES, RELU>(y + nk * HW, HW, BIAS ? bias[nk % K] : T(0), RES ? residual + nk * HW : nullptr);
        });
        return;
    }
    detail::parallel_ranges(total, true, 64, [&](std::size_t b, std::size_t e) {
        while (b < e) {
            const std::size_t nk = b / HW, end = std::min(e, (nk + 1) * HW);
            row<BIAS, RES, RELU>(y + b, end - b, BIAS ? bias[nk % K] : T(0), RES ? residual + b : nullptr);
            b = end;
        }
    });
}

template <class T>
void relu_mask_range(T* dx, const T* r, const T* m, std::size_t n) {
    constexpr std::size_t W = B<T>::size;
    const B<T> zero(T(0));
    const auto f = [&](B<T> g, B<T> rv, B<T> mv) {
        if (r) g = g + rv;
        return xsimd::select(mv > zero, g, zero * g);  // binary relu_grad with slope 0
    };
    std::size_t i = 0;
    for (; i + W <= n; i += W)
        f(B<T>::load_unaligned(dx + i), r ? B<T>::load_unaligned(r + i) : zero, B<T>::load_unaligned(m + i)).store_unaligned(dx + i);
    if (i < n) {
        alignas(64) T gb[W] = {}, rb[W] = {}, mb[W] = {};
        for (std::size_t j = 0; j < n - i; ++j) {
            gb[j] = dx[i + j];
            rb[j] = r ? r[i + j] : T(0);
            mb[j] = m[i + j];
        }
        f(B<T>::load_aligned(gb), B<T>::load_aligned(rb), B<T>::load_aligned(mb)).store_aligned(gb);
        for (std::size_t j = 0; j < n - i; ++j) dx[i + j] = gb[j];
    }
}

}  // namespace

template <class T>
void conv2d_epilogue(T* y, std::size_t N, std::size_t K, std::size_t HW, const T* bias, const T* residual, bool relu) {
    const int key = (bias ? 4 : 0) + (residual ? 2 : 0) + (relu ? 1 : 0);
    switch (key) {
        case 0: return;
        case 1: return rows<false, false, true>(y, N, K, HW, bias, residual);
        case 2: return rows<false, true, false>(y, N, K, HW, bias, residual);
        case 3: return rows<false, true, true>(y, N, K, HW, bias, residual);
        case 4: return rows<true, false, false>(y, N, K, HW, bias, residual);
        case 5: return rows<true, false, true>(y, N, K, HW, bias, residual);
        case 6: return rows<true, true, false>(y, N, K, HW, bias, residual);
        default: return rows<true, true, true>(y, N, K, HW, bias, residual);
    }
}

template <class T>
void relu_mask_epilogue(T* dx, const T* residual, const T* mask, std::size_t n) {
    detail::parallel_ranges(n, detail::worth_threads(n), 64, [&](std::size_t b, std::size_t e) {
        relu_mask_range(dx + b, residual ? residual + b : nullptr, mask + b, e - b);
    });
}

template void conv2d_epilogue<float>(float*, std::size_t, std::size_t, std::size_t, const float*, const float*, bool);
template void conv2d_epilogue<double>(double*, std::size_t, std::size_t, std::size_t, const double*, const double*, bool);
template void relu_mask_epilogue<float>(float*, const float*, const float*, std::size_t);
template void relu_mask_epilogue<double>(double*, const double*, const double*, std::size_t);

}  // namespace xvis::kernels
