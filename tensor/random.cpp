#include <xvis/tensor/random.hpp>

#include <cmath>
#include <stdexcept>

namespace xvis {

std::int64_t Rng::uniform_int(std::int64_t lo, std::int64_t hi) {
    if (lo > hi)
        throw std::invalid_argument("Rng::uniform_int: empty range [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + "]");
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<std::int64_t>(engine_());  // the full 64-bit range
    // Rejection sampling: unbiased for any span.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    std::uint64_t r;
    do r = engine_(); while (r >= limit);
    return lo + static_cast<std::int64_t>(r % span);
}

double Rng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u1;
    do u1 = uniform(); while (u1 <= 0.0);
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 6.283185307179586 * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
}

template <class T>
void fill_uniform(BasicTensor<T>& t, double lo, double hi, std::uint64_t seed) {
    if (!(lo <= hi)) throw std::invalid_argument("fill_uniform: lo " + std::to_string(lo) + " > hi " + std::to_string(hi));
    Rng rng(seed);
    for (auto& v : t) v = static_cast<T>(rng.uniform(lo, hi));
}

template <class T>
void fill_normal(BasicTensor<T>& t, double mean, double stddev, std::uint64_t seed) {
    if (!(stddev >= 0)) throw std::invalid_argument("fill_normal: stddev " + std::to_string(stddev) + " < 0");
    Rng rng(seed);
    for (auto& v : t) v = static_cast<T>(mean + stddev * rng.normal());
}

template void fill_uniform<float>(BasicTensor<float>&, double, double, std::uint64_t);
template void fill_uniform<double>(BasicTensor<double>&, double, double, std::uint64_t);
template void fill_normal<float>(BasicTensor<float>&, double, double, std::uint64_t);
template void fill_normal<double>(BasicTensor<double>&, double, double, std::uint64_t);

}  // namespace xvis
