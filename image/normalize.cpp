#include <xvis/image/normalize.hpp>

#include <algorithm>

namespace xvis {

void normalize_inplace(float* data, std::size_t n) {
    if (n == 0) return;
    const auto [lo, hi] = std::minmax_element(data, data + n);
    const double min = *lo;
    // In double: for a range near float epsilon the 1e-7 would otherwise be lost in rounding.
    const double inv = 1.0 / (static_cast<double>(*hi) - min + 1e-7);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<float>((data[i] - min) * inv);
}

Tensor normalize(const Tensor& a) {
    Tensor out = a;
    normalize_inplace(out.data(), out.size());
    return out;
}

}  // namespace xvis
