#pragma once
// Naive double-precision references for the autodiff op table: each op's defining formula, written out with
// explicit index arithmetic and loops (no kernels, no xtensor expressions), so tests compare against code that
// shares nothing with the implementation.
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/pooling.hpp>
#include <xvis/tensor/tensor.hpp>

#include "reference/conv2d_reference.hpp"
#include "reference/pool_window_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

namespace xvis::reference {

using Index = std::vector<std::size_t>;

inline Index unravel(std::size_t flat, const Shape& s) {
    Index idx(s.size());
    for (std::size_t i = s.size(); i-- > 0;) {
        idx[i] = flat % s[i];
        flat /= s[i];
    }
    return idx;
}
inline std::size_t ravel(const Index& idx, const Shape& s) {
    std::size_t flat = 0;
    for (std::size_t i = 0; i < s.size(); ++i) flat = flat * s[i] + idx[i];
    return flat;
}

// NumPy broadcasting, written independently of the library's helper.
inline Shape broadcast(const Shape& a, const Shape& b) {
    const std::size_t r = std::max(a.size(), b.size());
    Shape out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::size_t ea = i + a.size() >= r ? a[i + a.size() - r] : 1;
        const std::size_t eb = i + b.size() >= r ? b[i + b.size() - r] : 1;
        if (ea != eb && ea != 1 && eb != 1) throw std::logic_error("reference::broadcast: shapes do not broadcast");
        out[i] = ea == 1 ? eb : ea;
    }
    return out;
}
// Element of `t` that output position `out_idx` (of a broadcast shape of rank >= t.rank()) reads.
inline double at_broadcast(const TensorD& t, const Index& out_idx) {
    const Shape& s = t.shape();
    Index idx(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) idx[i] = s[i] == 1 ? 0 : out_idx[out_idx.size() - s.size() + i];
    return t[ravel(idx, s)];
}

inline TensorD unary(const TensorD& x, const std::function<double(double)>& f) {
    TensorD y(x.shape());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = f(x[i]);
    return y;
}
inline TensorD binary(const TensorD& a, const TensorD& b, const std::function<double(double, double)>& f) {
    TensorD y(broadcast(a.shape(), b.shape()));
    for (std::size_t i = 0; i < y.size(); ++i) {
        const Index idx = unravel(i, y.shape());
        y[i] = f(at_broadcast(a, idx), at_broadcast(b, idx));
    }
    return y;
}
inline TensorD where(const TensorD& c, const TensorD& a, const TensorD& b) {
    TensorD y(broadcast(broadcast(c.shape(), a.shape()), b.shape()));
    for (std::size_t i = 0; i < y.size(); ++i) {
        const Index idx = unravel(i, y.shape());
        y[i] = at_broadcast(c, idx) != 0 ? at_broadcast(a, idx) : at_broadcast(b, idx);
    }
    return y;
}
inline TensorD broadcast_to(const TensorD& x, const Shape& s) {
    TensorD y(s);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = at_broadcast(x, unravel(i, s));
    return y;
}
// Sums x into shape s (s broadcasts to x's shape).
inline TensorD sum_to(const TensorD& x, const Shape& s) {
    TensorD y(s, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const Index idx = unravel(i, x.shape());
        Index t(s.size());
        for (std::size_t k = 0; k < s.size(); ++k) t[k] = s[k] == 1 ? 0 : idx[idx.size() - s.size() + k];
        y[ravel(t, s)] += x[i];
    }
    return y;
}

// Reduction over `axes` (empty = all; negative allowed); kind: "sum", "mean" or "max".
inline TensorD reduce(const TensorD& x, std::vector<std::int64_t> axes, bool keepdims, const std::string& kind) {
    const std::size_t r = x.rank();
    std::vector<bool> red(r, axes.empty());
    for (auto a : axes) red[static_cast<std::size_t>(a < 0 ? a + std::int64_t(r) : a)] = true;
    Shape kept(r);
    std::size_t count = 1;
    for (std::size_t i = 0; i < r; ++i) {
        kept[i] = red[i] ? 1 : x.shape()[i];
        if (red[i]) count *= x.shape()[i];
    }
    TensorD y(kept, kind == "max" ? -std::numeric_limits<double>::infinity() : 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        Index idx = unravel(i, x.shape());
        for (std::size_t k = 0; k < r; ++k)
            if (red[k]) idx[k] = 0;
        double& acc = y[ravel(idx, kept)];
        acc = kind == "max" ? std::max(acc, x[i]) : acc + x[i];
    }
    if (kind == "mean")
        for (auto& v : y) v /= double(count);
    if (!keepdims) {
        Shape dropped;
        for (std::size_t i = 0; i < r; ++i)
            if (!red[i]) dropped.push_back(x.shape()[i]);
        y.reshape(dropped);
    }
    return y;
}

// Applies f to every 1-D lane along `axis`: f(in, out) with in/out of the lane's length.
inline TensorD along_axis(const TensorD& x, std::int64_t axis,
                          const std::function<void(const std::vector<double>&, std::vector<double>&)>& f) {
    const std::size_t ax = static_cast<std::size_t>(axis < 0 ? axis + std::int64_t(x.rank()) : axis);
    const std::size_t n = x.shape()[ax];
    TensorD y(x.shape());
    for (std::size_t i = 0; i < x.size(); ++i) {
        Index idx = unravel(i, x.shape());
        if (idx[ax] != 0) continue;
        std::vector<double> in(n), out(n);
        for (std::size_t k = 0; k < n; ++k) {
            idx[ax] = k;
            in[k] = x[ravel(idx, x.shape())];
        }
        f(in, out);
        for (std::size_t k = 0; k < n; ++k) {
            idx[ax] = k;
            y[ravel(idx, x.shape())] = out[k];
        }
    }
    return y;
}
inline TensorD softmax(const TensorD& x, std::int64_t axis) {
    return along_axis(x, axis, [](const std::vector<double>& in, std::vector<double>& out) {
        double total = 0;
        for (double v : in) total += std::exp(v);
        for (std::size_t k = 0; k < in.size(); ++k) out[k] = std::exp(in[k]) / total;
    });
}
inline TensorD log_softmax(const TensorD& x, std::int64_t axis) {
    return along_axis(x, axis, [](const std::vector<double>& in, std::vector<double>& out) {
        double total = 0;
        for (double v : in) total += std::exp(v);
        for (std::size_t k = 0; k < in.size(); ++k) out[k] = in[k] - std::log(total);
    });
}
inline TensorD softmax_cross_entropy(const TensorD& logits, const TensorD& labels) {
    const TensorD ls = log_softmax(logits, 1);
    double loss = 0;
    for (std::size_t i = 0; i < ls.size(); ++i) loss -= labels[i] * ls[i];
    return TensorD::scalar(loss / double(logits.shape()[0]));
}

inline TensorD transpose(const TensorD& x, const std::vector<std::size_t>& perm) {
    Shape s(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) s[i] = x.shape()[perm[i]];
    TensorD y(s);
    for (std::size_t i = 0; i < y.size(); ++i) {
        const Index o = unravel(i, s);
        Index in(perm.size());
        for (std::size_t k = 0; k < perm.size(); ++k) in[perm[k]] = o[k];
        y[i] = x[ravel(in, x.shape())];
    }
    return y;
}
// y[i0, i1, ...] = x[pick[0][i0], pick[1][i1], ...]: slices written as explicit index lists.
inline TensorD gather(const TensorD& x, const std::vector<std::vector<std::size_t>>& pick) {
    Shape s(pick.size());
    for (std::size_t k = 0; k < pick.size(); ++k) s[k] = pick[k].size();
    TensorD y(s);
    for (std::size_t i = 0; i < y.size(); ++i) {
        const Index o = unravel(i, s);
        Index in(o.size());
        for (std::size_t k = 0; k < o.size(); ++k) in[k] = pick[k][o[k]];
        y[i] = x[ravel(in, x.shape())];
    }
    return y;
}
inline std::vector<std::size_t> iota(std::size_t n) {
    std::vector<std::size_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = i;
    return v;
}
inline TensorD pad(const TensorD& x, const std::vector<std::size_t>& before, const std::vector<std::size_t>& after,
                   double value) {
    Shape s = x.shape();
    for (std::size_t k = 0; k < s.size(); ++k) s[k] += before[k] + after[k];
    TensorD y(s, value);
    for (std::size_t i = 0; i < x.size(); ++i) {
        Index idx = unravel(i, x.shape());
        for (std::size_t k = 0; k < idx.size(); ++k) idx[k] += before[k];
        y[ravel(idx, s)] = x[i];
    }
    return y;
}
inline TensorD concat(const std::vector<TensorD>& xs, std::size_t axis) {
    Shape s = xs[0].shape();
    s[axis] = 0;
    for (const auto& x : xs) s[axis] += x.shape()[axis];
    TensorD y(s);
    std::size_t offset = 0;
    for (const auto& x : xs) {
        for (std::size_t i = 0; i < x.size(); ++i) {
            Index idx = unravel(i, x.shape());
            idx[axis] += offset;
            y[ravel(idx, s)] = x[i];
        }
        offset += x.shape()[axis];
    }
    return y;
}
// out[(i + shift) mod n] = x[i] on every axis (shifts: one per axis).
inline TensorD roll(const TensorD& x, const std::vector<std::int64_t>& shifts) {
    TensorD y(x.shape());
    for (std::size_t i = 0; i < x.size(); ++i) {
        Index idx = unravel(i, x.shape());
        for (std::size_t k = 0; k < idx.size(); ++k) {
            const auto n = std::int64_t(x.shape()[k]);
            idx[k] = std::size_t(((std::int64_t(idx[k]) + shifts[k]) % n + n) % n);
        }
        y[ravel(idx, x.shape())] = x[i];
    }
    return y;
}

// op(a)·op(b), rank 2 or batched rank 3 (a rank-2 side is shared by the batch).
inline TensorD matmul(const TensorD& a, const TensorD& b, bool ta, bool tb) {
    const bool ba = a.rank() == 3, bb = b.rank() == 3;
    const std::size_t B = ba ? a.shape()[0] : bb ? b.shape()[0] : 1;
    const std::size_t ar = a.shape()[a.rank() - 2], ac = a.shape()[a.rank() - 1];
    const std::size_t br = b.shape()[b.rank() - 2], bc = b.shape()[b.rank() - 1];
    const std::size_t M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
    TensorD y(ba || bb ? Shape{B, M, N} : Shape{M, N}, 0.0);
    for (std::size_t n = 0; n < B; ++n)
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j) {
                double acc = 0;
                for (std::size_t k = 0; k < K; ++k) {
                    const double av = a[(ba ? n * ar * ac : 0) + (ta ? k * ac + i : i * ac + k)];
                    const double bv = b[(bb ? n * br * bc : 0) + (tb ? j * bc + k : k * bc + j)];
                    acc += av * bv;
                }
                y[(n * M + i) * N + j] = acc;
            }
    return y;
}

// Geometry computed here (not by the kernel's make_conv2d_geometry), then the 7-loop sums of conv2d_reference.hpp.
inline kernels::Conv2dGeometry conv_geometry(const Shape& x, const Shape& w, const kernels::Conv2dParams& p) {
    kernels::Conv2dGeometry g{};
    g.N = x[0], g.C = x[1], g.H = x[2], g.W = x[3];
    g.K = w[0], g.R = w[2], g.S = w[3];
    g.OH = (g.H + p.pad_top + p.pad_bottom - p.dilation_h * (g.R - 1) - 1) / p.stride_h + 1;
    g.OW = (g.W + p.pad_left + p.pad_right - p.dilation_w * (g.S - 1) - 1) / p.stride_w + 1;
    g.p = p;
    return g;
}
inline TensorD conv2d(const TensorD& x, const TensorD& w, const kernels::Conv2dParams& p) {
    const auto g = conv_geometry(x.shape(), w.shape(), p);
    TensorD y(g.output_shape());
    conv2d_forward(g, x.data(), w.data(), y.data());
    return y;
}
inline TensorD conv2d_backward_data(const TensorD& dy, const TensorD& w, const Shape& x_shape,
                                    const kernels::Conv2dParams& p) {
    const auto g = conv_geometry(x_shape, w.shape(), p);
    TensorD dx(x_shape);
    reference::conv2d_backward_data(g, dy.data(), w.data(), dx.data());
    return dx;
}
inline TensorD conv2d_backward_weights(const TensorD& x, const TensorD& dy, const Shape& w_shape,
                                       const kernels::Conv2dParams& p) {
    const auto g = conv_geometry(x.shape(), w_shape, p);
    TensorD dw(w_shape);
    reference::conv2d_backward_weights(g, x.data(), dy.data(), dw.data());
    return dw;
}

inline TensorD global_avg_pool(const TensorD& x) {
    const Shape& s = x.shape();
    TensorD y(Shape{s[0], s[1]}, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) y[i / (s[2] * s[3])] += x[i] / double(s[2] * s[3]);
    return y;
}

}  // namespace xvis::reference
