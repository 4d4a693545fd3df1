// Element-wise kernels. Every op is written once on xsimd batches; loop tails go through a one-batch stack
// buffer so vector and tail elements compute identically. Broadcasting runs on a collapsed plan
// (detail/strided.hpp): equal shapes and scalar operands collapse to one contiguous row, bias / row / column
// broadcasts to rows whose operands are each contiguous (stride 1) or constant (stride 0).
#include <xvis/tensor/detail/strided.hpp>
#include <xvis/tensor/elementwise.hpp>

#include <xsimd/xsimd.hpp>

#include <cmath>

#if defined(__GNUC__)
#define XVIS_FLATTEN __attribute__((flatten))
#else
#define XVIS_FLATTEN
#endif

namespace xvis::kernels {
namespace {

using detail::Plan;

template <class T>
using B = xsimd::batch<T>;

// Applies f to n elements of x into y (y may alias x).
template <class T, class F>
inline void map1(const F& f, const T* x, T* y, std::size_t n) {
    constexpr std::size_t W = B<T>::size;
    std::size_t i = 0;
    for (; i + W <= n; i += W) f(B<T>::load_unaligned(x + i)).store_unaligned(y + i);
    if (i < n) {
        alignas(64) T buf[W] = {};
        for (std::size_t j = 0; j < n - i; ++j) buf[j] = x[i + j];
        f(B<T>::load_aligned(buf)).store_aligned(buf);
        for (std::size_t j = 0; j < n - i; ++j) y[i + j] = buf[j];
    }
}

// Integer power by repeated squaring: exact to a few ulps and std::pow-compatible for negative bases.
template <class T>
inline B<T> ipow(B<T> x, long e) {
    const bool inv = e < 0;
    unsigned long u = static_cast<unsigned long>(inv ? -e : e);
    B<T> r(T(1));
    while (u) {
        if (u & 1u) r *= x;
        x *= x;
        u >>= 1;
    }
    return inv ? B<T>(T(1)) / r : r;
}

template <UnaryOp OP, class T>
struct UnaryFn {
    T p;
    bool int_pow = false;
    long ip = 0;
    B<T> operator()(B<T> x) const {
        const B<T> zero(T(0)), one(T(1));
        if constexpr (OP == UnaryOp::neg) return -x;
        else if constexpr (OP == UnaryOp::exp) return xsimd::exp(x);
        else if constexpr (OP == UnaryOp::log) return xsimd::log(x);
        else if constexpr (OP == UnaryOp::abs) return xsimd::abs(x);
        else if constexpr (OP == UnaryOp::sqrt) return xsimd::sqrt(x);
        else if constexpr (OP == UnaryOp::square) return x * x;
        else if constexpr (OP == UnaryOp::relu) return xsimd::select(x < zero, zero, x);  // NaN stays NaN
        else if constexpr (OP == UnaryOp::leaky_relu) return xsimd::select(x > zero, x, B<T>(p) * x);
        else if constexpr (OP == UnaryOp::sigmoid) {
            // e = e^−|x| never overflows; σ(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0.
            const B<T> e = xsimd::exp(-xsimd::abs(x));
            const B<T> s = one / (one + e);
            return xsimd::select(x >= zero, s, e * s);
        } else if constexpr (OP == UnaryOp::tanh) return xsimd::tanh(x);
        else if constexpr (OP == UnaryOp::sign)
            return xsimd::select(x > zero, one, xsimd::select(x < zero, -one, x * zero));  // NaN → NaN
        else if constexpr (OP == UnaryOp::pow) {
            if (int_pow) return ipow(x, ip);
            // xsimd's pow is exp(p·log|x|) with sign fixes; it maps 0 to 0 whatever p, std::pow does not.
            const B<T> r = xsimd::pow(x, B<T>(p));
            return xsimd::select(x == zero, B<T>(std::pow(T(0), p)), r);
        } else if constexpr (OP == UnaryOp::scale) return B<T>(p) * x;
        else if constexpr (OP == UnaryOp::add_scalar) return x + B<T>(p);
        else if constexpr (OP == UnaryOp::step) return xsimd::select(x > zero, one, zero);
        else if constexpr (OP == UnaryOp::erf) return xsimd::erf(x);
        else static_assert(OP == UnaryOp::neg, "unhandled UnaryOp");
    }
};

// flatten: GCC otherwise keeps xsimd's exp / erf / tanh as calls in the one-thread path (the OpenMP path
// inlines them): exp, sigmoid, tanh and erf run 35-42 % faster at 1 thread with it (1.2 M floats, in cache).
template <UnaryOp OP, class T>
XVIS_FLATTEN void unary_impl(const T* x, T* y, std::size_t n, T param) {
    UnaryFn<OP, T> f{param};
    if constexpr (OP == UnaryOp::pow) {
        f.int_pow = std::isfinite(param) && param == std::trunc(param) && std::fabs(param) <= T(64);
        f.ip = f.int_pow ? static_cast<long>(param) : 0;
    }
    detail::parallel_ranges(n, n >= detail::parallel_threshold, 64,
                            [&](std::size_t b, std::size_t e) { map1(f, x + b, y + b, e - b); });
}

template <BinaryOp OP, class T>
struct BinaryFn {
    T p;
    B<T> operator()(B<T> a, B<T> b) const {
        const B<T> zero(T(0)), one(T(1));
        if constexpr (OP == BinaryOp::add) return a + b;
        else if constexpr (OP == BinaryOp::sub) return a - b;
        else if constexpr (OP == BinaryOp::mul) return a * b;
        else if constexpr (OP == BinaryOp::div) return a / b;
        else if constexpr (OP == BinaryOp::maximum) return xsimd::select(a < b, b, a);  // std::max
        else if constexpr (OP == BinaryOp::minimum) return xsimd::select(b < a, b, a);  // std::min
        else if constexpr (OP == BinaryOp::equal) return xsimd::select(a == b, one, zero);
        else if constexpr (OP == BinaryOp::greater) return xsimd::select(a > b, one, zero);
        else if constexpr (OP == BinaryOp::greater_equal) return xsimd::select(a >= b, one, zero);
        else if constexpr (OP == BinaryOp::relu_grad) return xsimd::select(a > zero, b, B<T>(p) * b);
        else if constexpr (OP == BinaryOp::sigmoid_grad) return b * (a * (one - a));
        else if constexpr (OP == BinaryOp::tanh_grad) return b * (one - a * a);
        else if constexpr (OP == BinaryOp::erf_grad) return b * (B<T>(T(1.1283791670955126)) * xsimd::exp(-(a * a)));
        else static_assert(OP == BinaryOp::add, "unhandled BinaryOp");
    }
};

// One row of n outputs; an operand with flag false is constant over the row (stride 0).
template <bool AV, bool BV, class T, class F>
inline void row2(const F& f, const T* a, const T* b, T* y, std::size_t n) {
    constexpr std::size_t W = B<T>::size;
    const B<T> ac = AV ? B<T>(T(0)) : B<T>(*a), bc = BV ? B<T>(T(0)) : B<T>(*b);
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
        const B<T> av = AV ? B<T>::load_unaligned(a + i) : ac;
        const B<T> bv = BV ? B<T>::load_unaligned(b + i) : bc;
        f(av, bv).store_unaligned(y + i);
    }
    if (i < n) {
        alignas(64) T ab[W] = {}, bb[W] = {};
        for (std::size_t j = 0; j < n - i; ++j) {
            ab[j] = a[AV ? i + j : 0];
            bb[j] = b[BV ? i + j : 0];
        }
        f(B<T>::load_aligned(ab), B<T>::load_aligned(bb)).store_aligned(ab);
        for (std::size_t j = 0; j < n - i; ++j) y[i + j] = ab[j];
    }
}

// Runs row(off, begin, count) over a plan: rank-1 plans (equal shapes, scalar operands) are split
// element-wise across threads, others row-wise.
template <std::size_t K, class R>
void run_plan(const Plan<K>& p, const R& row) {
    if (p.rank == 0) return;
    if (p.rank == 1) {
        const std::size_t n = p.ext[0];
        detail::parallel_ranges(n, n >= detail::parallel_threshold, 64, [&](std::size_t b, std::size_t e) {
            std::array<std::ptrdiff_t, K> off{};
            row(off, b, e - b);
        });
        return;
    }
    detail::parallel_rows(p, [&](const std::array<std::ptrdiff_t, K>& off) { row(off, 0, p.inner()); });
}

template <BinaryOp OP, class T>
XVIS_FLATTEN void binary_impl(const T* a, const Shape& sa, const T* b, const Shape& sb, T* y, const Shape& sy,
                              T param) {
    const BinaryFn<OP, T> f{param};
    const auto p = detail::broadcast_plan<3>(sy, {&sy, &sa, &sb});
    const std::size_t last = p.rank ? p.rank - 1 : 0;
    const bool av = p.st[1][last] != 0, bv = p.st[2][last] != 0;
    run_plan(p, [&](const std::array<std::ptrdiff_t, 3>& off, std::size_t i, std::size_t n) {
        T* yr = y + off[0] + i;
        const T* ar = a + off[1] + (av ? i : 0);
        const T* br = b + off[2] + (bv ? i : 0);
        if (av && bv) row2<true, true>(f, ar, br, yr, n);
        else if (av) row2<true, false>(f, ar, br, yr, n);
        else if (bv) row2<false, true>(f, ar, br, yr, n);
        else row2<false, false>(f, ar, br, yr, n);
    });
}

}  // namespace

template <class T>
void unary(UnaryOp op, const T* x, T* y, std::size_t n, T param) {
    switch (op) {
#define XVIS_UNARY_CASE(name) \
    case UnaryOp::name: return unary_impl<UnaryOp::name>(x, y, n, param);
        XVIS_UNARY_CASE(neg) XVIS_UNARY_CASE(exp) XVIS_UNARY_CASE(log) XVIS_UNARY_CASE(abs)
        XVIS_UNARY_CASE(sqrt) XVIS_UNARY_CASE(square) XVIS_UNARY_CASE(relu) XVIS_UNARY_CASE(leaky_relu)
        XVIS_UNARY_CASE(sigmoid) XVIS_UNARY_CASE(tanh) XVIS_UNARY_CASE(sign) XVIS_UNARY_CASE(pow)
        XVIS_UNARY_CASE(scale) XVIS_UNARY_CASE(add_scalar) XVIS_UNARY_CASE(step) XVIS_UNARY_CASE(erf)
#undef XVIS_UNARY_CASE
    }
}

template <class T>
void binary(BinaryOp op, const T* a, const Shape& sa, const T* b, const Shape& sb, T* y, const Shape& sy,
            T param) {
    switch (op) {
#define XVIS_BINARY_CASE(name) \
    case BinaryOp::name: return binary_impl<BinaryOp::name>(a, sa, b, sb, y, sy, param);
        XVIS_BINARY_CASE(add) XVIS_BINARY_CASE(sub) XVIS_BINARY_CASE(mul) XVIS_BINARY_CASE(div)
        XVIS_BINARY_CASE(maximum) XVIS_BINARY_CASE(minimum) XVIS_BINARY_CASE(equal) XVIS_BINARY_CASE(greater)
        XVIS_BINARY_CASE(greater_equal) XVIS_BINARY_CASE(relu_grad) XVIS_BINARY_CASE(sigmoid_grad)
        XVIS_BINARY_CASE(tanh_grad) XVIS_BINARY_CASE(erf_grad)
#undef XVIS_BINARY_CASE
    }
}

template <class T>
XVIS_FLATTEN void activation_grad(ActivationGradOp op, const T* x, const T* aux, const T* g, T* y, std::size_t n,
                                  const ActivationGradParams& prm) {
    constexpr std::size_t W = B<T>::size;
    const B<T> one(T(1)), a(static_cast<T>(prm.a)), k(static_cast<T>(prm.k)), c(static_cast<T>(prm.c));
    const B<T> ca2(static_cast<T>(prm.c * prm.a * 1.1283791670955126));  // c · a · 2/√π
    const auto run = [&](const auto& f) {
        detail::parallel_ranges(n, n >= detail::parallel_threshold, 64, [&](std::size_t b, std::size_t e) {
            std::size_t i = b;
            for (; i + W <= e; i += W)
                f(B<T>::load_unaligned(x + i), B<T>::load_unaligned(aux + i), B<T>::load_unaligned(g + i))
                    .store_unaligned(y + i);
            if (i < e) {  // the tail through one batch, so it computes exactly as the vector part
                alignas(64) T xb[W] = {}, ab[W] = {}, gb[W] = {};
                for (std::size_t j = 0; j < e - i; ++j) xb[j] = x[i + j], ab[j] = aux[i + j], gb[j] = g[i + j];
                f(B<T>::load_aligned(xb), B<T>::load_aligned(ab), B<T>::load_aligned(gb)).store_aligned(xb);
                for (std::size_t j = 0; j < e - i; ++j) y[i + j] = xb[j];
            }
        });
    };
    switch (op) {
        case ActivationGradOp::silu:
            return run([&](B<T> xv, B<T> s, B<T> gv) { return gv * (s * (one + xv * (one - s))); });
        case ActivationGradOp::gelu:
            return run([&](B<T> xv, B<T> e, B<T> gv) {
                const B<T> ax = a * xv;
                return gv * xsimd::fma(ca2 * xv, xsimd::exp(-(ax * ax)), c * (k + e));
            });
    }
}

template <class T>
void clip(const T* x, T* y, std::size_t n, T lo, T hi) {
    const B<T> l(lo), h(hi);
    // maximum then minimum, as the binary kernels select: a NaN x stays NaN.
    const auto f = [&](B<T> v) {
        const B<T> m = xsimd::select(v < l, l, v);
        return xsimd::select(h < m, h, m);
    };
    detail::parallel_ranges(n, n >= detail::parallel_threshold, 64,
                            [&](std::size_t b, std::size_t e) { map1(f, x + b, y + b, e - b); });
}

template <class T>
void clip_grad(const T* x, const T* g, T* dx, std::size_t n, T lo, T hi) {
    const B<T> l(lo), h(hi), zero(T(0));
    const auto f = [&](B<T> v, B<T> gv) {
        const B<T> m = xsimd::select(v < l, l, v);
        return xsimd::select((v >= l) && (m <= h), gv, zero);
    };
    detail::parallel_ranges(n, n >= detail::parallel_threshold, 64,
                            [&](std::size_t b, std::size_t e) { row2<true, true>(f, x + b, g + b, dx + b, e - b); });
}

template <class T>
void where(const T* c, const Shape& sc, const T* a, const Shape& sa, const T* b, const Shape& sb, T* y,
           const Shape& sy) {
    const auto p = detail::broadcast_plan<4>(sy, {&sy, &sc, &sa, &sb});
    const std::size_t last = p.rank ? p.rank - 1 : 0;
    const bool cv = p.st[1][last] != 0, av = p.st[2][last] != 0, bv = p.st[3][last] != 0;
    constexpr std::size_t W = B<T>::size;
    run_plan(p, [&](const std::array<std::ptrdiff_t, 4>& off, std::size_t i0, std::size_t n) {
        T* yr = y + off[0] + i0;
        const T* cr = c + off[1] + (cv ? i0 : 0);
        const T* ar = a + off[2] + (av ? i0 : 0);
        const T* br = b + off[3] + (bv ? i0 : 0);
        // Loop-invariant flags (well predicted); where is not hot enough to specialize 8 combinations.
        const auto ld = [](const T* q, bool v, std::size_t i) { return v ? B<T>::load_unaligned(q + i) : B<T>(*q); };
        std::size_t i = 0;
        for (; i + W <= n; i += W)
            xsimd::select(ld(cr, cv, i) != B<T>(T(0)), ld(ar, av, i), ld(br, bv, i)).store_unaligned(yr + i);
        for (; i < n; ++i) yr[i] = cr[cv ? i : 0] != T(0) ? ar[av ? i : 0] : br[bv ? i : 0];
    });
}

template <class T>
void broadcast_to(const T* x, const Shape& sx, T* y, const Shape& sy) {
    const auto p = detail::broadcast_plan<2>(sy, {&sy, &sx});
    const bool xv = p.rank && p.st[1][p.rank - 1] != 0;
    run_plan(p, [&](const std::array<std::ptrdiff_t, 2>& off, std::size_t i, std::size_t n) {
        T* yr = y + off[0] + i;
        if (xv) std::copy(x + off[1] + i, x + off[1] + i + n, yr);
        else std::fill(yr, yr + n, x[off[1]]);
    });
}

#define XVIS_INSTANTIATE(T)                                                                                   \
    template void unary<T>(UnaryOp, const T*, T*, std::size_t, T);                                            \
    template void binary<T>(BinaryOp, const T*, const Shape&, const T*, const Shape&, T*, const Shape&, T);   \
    template void where<T>(const T*, const Shape&, const T*, const Shape&, const T*, const Shape&, T*,        \
                           const Shape&);                                                                     \
    template void broadcast_to<T>(const T*, const Shape&, T*, const Shape&);                                  \
    template void activation_grad<T>(ActivationGradOp, const T*, const T*, const T*, T*, std::size_t,          \
                                     const ActivationGradParams&);                                            \
    template void clip<T>(const T*, T*, std::size_t, T, T);                                                   \
    template void clip_grad<T>(const T*, const T*, T*, std::size_t, T, T);
XVIS_INSTANTIATE(float)
XVIS_INSTANTIATE(double)
#undef XVIS_INSTANTIATE

}  // namespace xvis::kernels
