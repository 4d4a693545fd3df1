#pragma once
// Naive layout references: each output element located through its multi-index.
#include "reference/elementwise_reference.hpp"

#include <cstdint>
#include <vector>

namespace xvis::reference {

template <class T>
std::vector<T> transpose(const T* x, const Shape& sx, const std::vector<std::size_t>& perm) {
    Shape sy(sx.size());
    for (std::size_t i = 0; i < sx.size(); ++i) sy[i] = sx[perm[i]];
    std::vector<T> y(shape_size(sy));
    for (std::size_t i = 0; i < y.size(); ++i) {
        const auto yi = unravel(i, sy);
        std::vector<std::size_t> xi(sx.size());
        for (std::size_t k = 0; k < sx.size(); ++k) xi[perm[k]] = yi[k];
        y[i] = x[ravel(xi, sx)];
    }
    return y;
}

template <class T>
std::vector<T> slice(const T* x, const Shape& sx, const std::vector<std::int64_t>& begin,
                     const std::vector<std::int64_t>& step, const Shape& sy) {
    std::vector<T> y(shape_size(sy));
    for (std::size_t i = 0; i < y.size(); ++i) {
        const auto yi = unravel(i, sy);
        std::vector<std::size_t> xi(sx.size());
        for (std::size_t d = 0; d < sx.size(); ++d)
            xi[d] = static_cast<std::size_t>(begin[d] + static_cast<std::int64_t>(yi[d]) * step[d]);
        y[i] = x[ravel(xi, sx)];
    }
    return y;
}

template <class T>
std::vector<T> pad(const T* x, const Shape& sx, const std::vector<std::size_t>& before, T value, const Shape& sy) {
    std::vector<T> y(shape_size(sy), value);
    for (std::size_t i = 0; i < shape_size(sx); ++i) {
        auto idx = unravel(i, sx);
        for (std::size_t d = 0; d < sx.size(); ++d) idx[d] += before[d];
        y[ravel(idx, sy)] = x[i];
    }
    return y;
}

template <class T>
std::vector<T> roll(const T* x, const Shape& s, const std::vector<std::int64_t>& shifts) {
    std::vector<T> y(shape_size(s));
    for (std::size_t i = 0; i < y.size(); ++i) {
        auto idx = unravel(i, s);
        for (std::size_t d = 0; d < s.size(); ++d) {
            const auto n = static_cast<std::int64_t>(s[d]);
            std::int64_t j = (static_cast<std::int64_t>(idx[d]) + shifts[d]) % n;
            if (j < 0) j += n;
            idx[d] = static_cast<std::size_t>(j);
        }
        y[ravel(idx, s)] = x[i];
    }
    return y;
}

// Concatenation along `axis` of the given parts.
template <class T>
std::vector<T> concat(const std::vector<const T*>& xs, const std::vector<Shape>& shapes, std::size_t axis,
                      const Shape& sy) {
    std::vector<T> y(shape_size(sy));
    std::size_t offset = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        for (std::size_t i = 0; i < shape_size(shapes[k]); ++i) {
            auto idx = unravel(i, shapes[k]);
            idx[axis] += offset;
            y[ravel(idx, sy)] = xs[k][i];
        }
        offset += shapes[k][axis];
    }
    return y;
}

}  // namespace xvis::reference
