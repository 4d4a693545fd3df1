#include <xvis/optimizer/image_range.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/layout.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace xvis {

void fill_random_array(Tensor& t, double mean, double std, std::uint64_t seed) {
    if (t.size() == 0) return;
    // Two passes over the same stream (mean and variance, then the values): no scratch buffer.
    const std::size_t n = t.size();
    double m = 0;
    {
        Rng rng(seed);
        for (std::size_t i = 0; i < n; ++i) m += rng.uniform();
    }
    m /= static_cast<double>(n);
    double var = 0;
    {
        Rng rng(seed);
        for (std::size_t i = 0; i < n; ++i) {
            const double v = rng.uniform();
            var += (v - m) * (v - m);
        }
    }
    const double s = std::sqrt(var / static_cast<double>(n));
    Rng rng(seed);
    for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<float>((rng.uniform() - m) / (s + 1e-7) * std + mean);
}

Tensor random_array(const Shape& shape, double mean, double std, std::uint64_t seed) {
    Tensor t(shape);
    fill_random_array(t, mean, std, seed);
    return t;
}

void deprocess_input(const float* x, std::size_t n, InputRange range, float* out) {
    if (n == 0) return;
    double m = 0;
    for (std::size_t i = 0; i < n; ++i) m += x[i];
    m /= static_cast<double>(n);
    double var = 0;
    for (std::size_t i = 0; i < n; ++i) var += (x[i] - m) * (x[i] - m);
    const double s = std::sqrt(var / static_cast<double>(n));
    for (std::size_t i = 0; i < n; ++i) {
        const double v = std::clamp((x[i] - m) / (s + 1e-7) * 0.1 + 0.5, 0.0, 1.0);
        out[i] = static_cast<float>(range.first + (range.second - range.first) * v);
    }
}

void deprocess_batch(const Tensor& x, InputRange range, Tensor& out) {
    if (out.shape() != x.shape())
        throw ShapeError("deprocess_batch: output " + shape_to_string(out.shape()) + " must have the input's shape " + shape_to_string(x.shape()));
    const std::size_t per = x.rank() ? x.size() / std::max<std::size_t>(x.shape()[0], 1) : x.size();
    for (std::size_t n = 0; per && n < x.size() / per; ++n) deprocess_input(x.data() + n * per, per, range, out.data() + n * per);
}

Tensor deprocess_batch(const Tensor& x, InputRange range) {
    Tensor out(x.shape());
    deprocess_batch(x, range, out);
    return out;
}

Tensor clip_to_range(const Tensor& x, InputRange range) {
    if (!(range.first < range.second))
        throw std::invalid_argument("clip_to_range: range [" + std::to_string(range.first) + ", " +
                                    std::to_string(range.second) + "] needs lo < hi");
    Tensor out(x.shape());
    const float lo = static_cast<float>(range.first), hi = static_cast<float>(range.second);
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
    return out;
}

void to_channels_last(const Tensor& x, DataFormat format, Tensor& out) {
    if (format == DataFormat::channels_last || x.rank() < 3) {
        if (out.shape() != x.shape()) out = Tensor(x.shape());
        std::copy(x.begin(), x.end(), out.begin());
        return;
    }
    std::size_t perm[8];  // ranks of images: 3 to 5; no allocation
    if (x.rank() > 8) throw ShapeError("to_channels_last: rank " + std::to_string(x.rank()) + " > 8");
    perm[0] = 0;
    for (std::size_t i = 2; i < x.rank(); ++i) perm[i - 1] = i;
    perm[x.rank() - 1] = 1;
    bool same = out.rank() == x.rank();
    for (std::size_t i = 0; same && i < x.rank(); ++i) same = out.shape()[i] == x.shape()[perm[i]];
    if (!same) {
        Shape s(x.rank());
        for (std::size_t i = 0; i < x.rank(); ++i) s[i] = x.shape()[perm[i]];
        out = Tensor(s);
    }
    kernels::transpose(x.data(), x.shape(), perm, out.data());
}

Tensor to_channels_last(const Tensor& x, DataFormat format) {
    Tensor out;
    to_channels_last(x, format, out);
    return out;
}

}  // namespace xvis
