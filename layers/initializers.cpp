#include <xvis/layers/initializers.hpp>
#include <xvis/tensor/random.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

std::pair<double, double> fans(const Shape& s) {
    if (s.size() == 2) return {double(s[0]), double(s[1])};
    if (s.size() >= 3) {
        double receptive = 1;
        for (std::size_t i = 2; i < s.size(); ++i) receptive *= double(s[i]);
        return {double(s[1]) * receptive, double(s[0]) * receptive};
    }
    const double n = double(shape_size(s));
    return {n, n};
}

Tensor initialize(const Shape& shape, Initializer init, std::uint64_t seed) {
    Tensor t(shape);
    const auto [fan_in, fan_out] = fans(shape);
    switch (init) {
        case Initializer::zeros: break;
        case Initializer::ones: t.fill(1.0f); break;
        case Initializer::glorot_uniform: {
            const double limit = std::sqrt(6.0 / std::max(1.0, fan_in + fan_out));
            fill_uniform(t, -limit, limit, seed);
            break;
        }
        case Initializer::he_normal: {
            const double stddev = std::sqrt(2.0 / std::max(1.0, fan_in)) / 0.87962566103423978;
            Rng rng(seed);
            for (auto& v : t) {
                double z;
                do z = rng.normal(); while (std::fabs(z) > 2.0);
                v = static_cast<float>(stddev * z);
            }
            break;
        }
    }
    return t;
}

}  // namespace xvis
