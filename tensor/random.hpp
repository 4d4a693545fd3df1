#pragma once
// Seeded, reproducible random numbers: the same seed gives the same numbers on every machine and build
// (std::mt19937_64 is fully specified; the conversions below are ours, not the library's distributions).
#include <xvis/tensor/tensor.hpp>

#include <cstdint>
#include <random>

namespace xvis {

class Rng {
public:
    explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}
    // Uniform in [0, 1), 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [lo, hi] (inclusive); requires lo <= hi.
    std::int64_t uniform_int(std::int64_t lo, std::int64_t hi);
    // Standard normal (Box-Muller).
    double normal();
    std::uint64_t next() { return engine_(); }

private:
    std::mt19937_64 engine_;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

// t[i] ~ U[lo, hi).
template <class T>
void fill_uniform(BasicTensor<T>& t, double lo, double hi, std::uint64_t seed);
// t[i] ~ N(mean, stddev^2).
template <class T>
void fill_normal(BasicTensor<T>& t, double mean, double stddev, std::uint64_t seed);

template <class T>
BasicTensor<T> random_uniform(const Shape& shape, double lo, double hi, std::uint64_t seed) {
    BasicTensor<T> t(shape);
    fill_uniform(t, lo, hi, seed);
    return t;
}
template <class T>
BasicTensor<T> random_normal(const Shape& shape, double mean, double stddev, std::uint64_t seed) {
    BasicTensor<T> t(shape);
    fill_normal(t, mean, stddev, seed);
    return t;
}

}  // namespace xvis
