#pragma once
// Naive reduction references: every x element added (or maxed) into the output its index maps to, in double.
#include "reference/elementwise_reference.hpp"

#include <xvis/tensor/reduce.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace xvis::reference {

template <class T>
std::vector<double> reduce(kernels::ReduceOp op, const T* x, const Shape& sx, std::uint32_t mask) {
    Shape sy = sx;
    for (std::size_t d = 0; d < sx.size(); ++d)
        if (mask & (1u << d)) sy[d] = 1;
    const bool is_sum = op == kernels::ReduceOp::sum;
    std::vector<double> y(shape_size(sy), is_sum ? 0.0 : -std::numeric_limits<double>::infinity());
    std::vector<bool> nan(y.size(), false);
    for (std::size_t i = 0; i < shape_size(sx); ++i) {
        auto idx = unravel(i, sx);
        for (std::size_t d = 0; d < sx.size(); ++d)
            if (mask & (1u << d)) idx[d] = 0;
        const std::size_t j = ravel(idx, sy);
        const double v = x[i];
        if (is_sum) y[j] += v;
        else if (std::isnan(v)) nan[j] = true;
        else y[j] = std::max(y[j], v);
    }
    for (std::size_t j = 0; j < y.size(); ++j)
        if (nan[j]) y[j] = std::numeric_limits<double>::quiet_NaN();
    return y;
}

// y (shape sy) = sum of x over the broadcast that takes sy to sx.
template <class T>
std::vector<double> sum_to(const T* x, const Shape& sx, const Shape& sy) {
    std::vector<double> y(shape_size(sy), 0.0);
    for (std::size_t i = 0; i < shape_size(sx); ++i) y[broadcast_index(unravel(i, sx), sy)] += x[i];
    return y;
}

}  // namespace xvis::reference
