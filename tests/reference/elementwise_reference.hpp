#pragma once
// Naive element-wise references for tests: one element at a time through explicit multi-indices, in double.
// Also the index helpers the other *_reference.hpp files use.
#include <xvis/tensor/elementwise.hpp>
#include <xvis/tensor/shape.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

namespace xvis::reference {

// Multi-index of flat row-major position `flat` in `s`.
inline std::vector<std::size_t> unravel(std::size_t flat, const Shape& s) {
    std::vector<std::size_t> idx(s.size());
    for (std::size_t d = s.size(); d-- > 0;) {
        idx[d] = flat % s[d];
        flat /= s[d];
    }
    return idx;
}
inline std::size_t ravel(const std::vector<std::size_t>& idx, const Shape& s) {
    std::size_t flat = 0;
    for (std::size_t d = 0; d < s.size(); ++d) flat = flat * s[d] + idx[d];
    return flat;
}
// Flat position in `s` of output multi-index `out_idx` under NumPy broadcasting (right-aligned, 1 → 0).
inline std::size_t broadcast_index(const std::vector<std::size_t>& out_idx, const Shape& s) {
    const std::size_t lead = out_idx.size() - s.size();
    std::vector<std::size_t> idx(s.size());
    for (std::size_t d = 0; d < s.size(); ++d) idx[d] = s[d] == 1 ? 0 : out_idx[d + lead];
    return ravel(idx, s);
}

inline double unary_op(kernels::UnaryOp op, double x, double p) {
    using kernels::UnaryOp;
    switch (op) {
        case UnaryOp::neg: return -x;
        case UnaryOp::exp: return std::exp(x);
        case UnaryOp::log: return std::log(x);
        case UnaryOp::abs: return std::fabs(x);
        case UnaryOp::sqrt: return std::sqrt(x);
        case UnaryOp::square: return x * x;
        case UnaryOp::relu: return x > 0 ? x : 0.0;
        case UnaryOp::leaky_relu: return x > 0 ? x : p * x;
        case UnaryOp::sigmoid: return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
        case UnaryOp::tanh: return std::tanh(x);
        case UnaryOp::sign: return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
        case UnaryOp::pow: return std::pow(x, p);
        case UnaryOp::scale: return p * x;
        case UnaryOp::add_scalar: return x + p;
        case UnaryOp::step: return x > 0 ? 1.0 : 0.0;
        case UnaryOp::erf: return std::erf(x);
    }
    return 0.0;
}

inline double binary_op(kernels::BinaryOp op, double a, double b, double p) {
    using kernels::BinaryOp;
    switch (op) {
        case BinaryOp::add: return a + b;
        case BinaryOp::sub: return a - b;
        case BinaryOp::mul: return a * b;
        case BinaryOp::div: return a / b;
        case BinaryOp::maximum: return a > b ? a : b;
        case BinaryOp::minimum: return a < b ? a : b;
        case BinaryOp::equal: return a == b ? 1.0 : 0.0;
        case BinaryOp::greater: return a > b ? 1.0 : 0.0;
        case BinaryOp::greater_equal: return a >= b ? 1.0 : 0.0;
        case BinaryOp::relu_grad: return a > 0 ? b : p * b;
        case BinaryOp::sigmoid_grad: return b * a * (1.0 - a);
        case BinaryOp::tanh_grad: return b * (1.0 - a * a);
        case BinaryOp::erf_grad: return b * 2.0 / std::sqrt(M_PI) * std::exp(-a * a);
    }
    return 0.0;
}

// Computed in double from the T inputs; callers compare with a tolerance (exact for comparisons).
template <class T>
std::vector<double> binary(kernels::BinaryOp op, const T* a, const Shape& sa, const T* b, const Shape& sb,
                           const Shape& sy, double p) {
    std::vector<double> y(shape_size(sy));
    for (std::size_t i = 0; i < y.size(); ++i) {
        const auto idx = unravel(i, sy);
        y[i] = binary_op(op, a[broadcast_index(idx, sa)], b[broadcast_index(idx, sb)], p);
    }
    return y;
}

template <class T>
std::vector<double> where(const T* c, const Shape& sc, const T* a, const Shape& sa, const T* b, const Shape& sb,
                          const Shape& sy) {
    std::vector<double> y(shape_size(sy));
    for (std::size_t i = 0; i < y.size(); ++i) {
        const auto idx = unravel(i, sy);
        y[i] = c[broadcast_index(idx, sc)] != T(0) ? a[broadcast_index(idx, sa)] : b[broadcast_index(idx, sb)];
    }
    return y;
}

template <class T>
std::vector<double> broadcast_to(const T* x, const Shape& sx, const Shape& sy) {
    std::vector<double> y(shape_size(sy));
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = x[broadcast_index(unravel(i, sy), sx)];
    return y;
}

}  // namespace xvis::reference
