#include <xvis/optimizer/image_range.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/layout.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace xvis {

Tensor random_array(const Shape& shape, double mean, double std, std::uint64_t seed) {
    Tensor t(shape);
    if (t.size() == 0) return t;
    Rng rng(seed);
    std::vector<double> u(t.size());
    double m = 0;
    for (auto& v : u) m += (v = rng.uniform());
    m /= static_cast<double>(u.size());
    double var = 0;
    for (double v : u) var += (v - m) * (v - m);
    const double s = std::sqrt(var / static_cast<double>(u.size()));
    for (std::size_t i = 0; i < u.size(); ++i) t[i] = static_cast<float>((u[i] - m) / (s + 1e-7) * std + mean);
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

Tensor deprocess_batch(const Tensor& x, InputRange range) {
    Tensor out(x.shape());
    const std::size_t per = x.rank() ? x.size() / std::max<std::size_t>(x.shape()[0], 1) : x.size();
    for (std::size_t n = 0; per && n < x.size() / per; ++n) deprocess_input(x.data() + n * per, per, range, out.data() + n * per);
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

Tensor to_channels_last(const Tensor& x, DataFormat format) {
    if (format == DataFormat::channels_last || x.rank() < 3) return x;
    std::vector<std::size_t> perm{0};
    for (std::size_t i = 2; i < x.rank(); ++i) perm.push_back(i);
    perm.push_back(1);
    Shape s(x.rank());
    for (std::size_t i = 0; i < perm.size(); ++i) s[i] = x.shape()[perm[i]];
    Tensor out(s);
    kernels::transpose(x.data(), x.shape(), perm.data(), out.data());
    return out;
}

}  // namespace xvis
