#pragma once
// The op table (PyTorch OpInfo style): one row per op variant, with a builder from input placeholders to an
// output node, input shapes, an input sampler and a double-precision reference forward. op_table.cpp holds
// the parameterized tests that every row runs; op_table_*.cpp hold the rows.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradcheck.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/buffer_cache.hpp>
#include <xvis/tensor/random.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace xvis::test {

using Inputs = std::vector<Node>;
using Values = std::vector<TensorD>;
using Builder = std::function<Node(const Inputs&)>;
using Reference = std::function<TensorD(const Values&)>;
using Sampler = std::function<Values(const std::vector<Shape>&, Rng&)>;

// ---- samplers
// Every element of every input ~ U[lo, hi).
inline Sampler uniform(double lo = -1.0, double hi = 1.0) {
    return [=](const std::vector<Shape>& shapes, Rng& rng) {
        Values v;
        for (const auto& s : shapes) {
            TensorD t(s);
            for (auto& e : t) e = rng.uniform(lo, hi);
            v.push_back(std::move(t));
        }
        return v;
    };
}
// Input i ~ U[ranges[i].first, ranges[i].second).
inline Sampler per_input(std::vector<std::pair<double, double>> ranges) {
    return [=](const std::vector<Shape>& shapes, Rng& rng) {
        Values v;
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            TensorD t(shapes[i]);
            for (auto& e : t) e = rng.uniform(ranges[i].first, ranges[i].second);
            v.push_back(std::move(t));
        }
        return v;
    };
}
// Magnitude in [lo, hi), random sign: keeps divisors away from 0.
inline Sampler signed_magnitude(double lo, double hi) {
    return [=](const std::vector<Shape>& shapes, Rng& rng) {
        Values v;
        for (const auto& s : shapes) {
            TensorD t(s);
            for (auto& e : t) e = rng.uniform(lo, hi) * (rng.uniform() < 0.5 ? -1.0 : 1.0);
            v.push_back(std::move(t));
        }
        return v;
    };
}
// All elements of all inputs distinct, on a shuffled grid of spacing `step` centred at 0 with no point
// nearer than step/2 to 0: away from every kink (relu, abs, max, maximum, max_pool argmax, sign).
inline Sampler distinct(double step = 0.1) {
    return [=](const std::vector<Shape>& shapes, Rng& rng) {
        std::size_t total = 0;
        for (const auto& s : shapes) total += shape_size(s);
        std::vector<double> grid(total);
        // Even count: ±step/2, ±3step/2, ...; odd count: shifted by step/2 so that 0 is not on the grid.
        const double shift = total % 2 ? step / 2.0 : 0.0;
        for (std::size_t k = 0; k < total; ++k) grid[k] = (double(k) - double(total) / 2.0 + 0.5) * step + shift;
        for (std::size_t k = total; k-- > 1;) std::swap(grid[k], grid[std::size_t(rng.uniform_int(0, std::int64_t(k)))]);
        Values v;
        std::size_t next = 0;
        for (const auto& s : shapes) {
            TensorD t(s);
            for (auto& e : t) e = grid[next++];
            v.push_back(std::move(t));
        }
        return v;
    };
}
// Input i drawn by samplers[i] (each applied to that one shape).
inline Sampler each(std::vector<Sampler> samplers) {
    return [=](const std::vector<Shape>& shapes, Rng& rng) {
        Values v;
        for (std::size_t i = 0; i < shapes.size(); ++i) v.push_back(samplers[i]({shapes[i]}, rng)[0]);
        return v;
    };
}
// Integers in [lo, hi] (as doubles): ties and equalities occur.
inline Sampler integers(int lo, int hi) {
    return [=](const std::vector<Shape>& shapes, Rng& rng) {
        Values v;
        for (const auto& s : shapes) {
            TensorD t(s);
            for (auto& e : t) e = double(rng.uniform_int(lo, hi));
            v.push_back(std::move(t));
        }
        return v;
    };
}

// Convolution parameters of the rows: strides, pads [top, bottom, left, right], dilation, groups.
inline kernels::Conv2dParams conv_params(std::size_t stride_h, std::size_t stride_w, std::size_t pt, std::size_t pb,
                                         std::size_t pl, std::size_t pr, std::size_t dilation = 1, std::size_t groups = 1) {
    kernels::Conv2dParams p;
    p.stride_h = stride_h, p.stride_w = stride_w;
    p.pad_top = pt, p.pad_bottom = pb, p.pad_left = pl, p.pad_right = pr;
    p.dilation_h = p.dilation_w = dilation;
    p.groups = groups;
    return p;
}

// ---- rows
struct OpCase {
    std::string name;  // test name suffix: letters, digits, underscores
    std::vector<Shape> shapes;
    Builder build;
    Reference reference;
    Sampler sample = uniform();
    // Inputs fed as constants in the gradient check (not differentiable there: where's condition, 0/1 inputs).
    std::vector<std::size_t> constant_inputs;
    // The gradient must be exactly zero (stop_gradient, comparisons, sign): checked instead of gradcheck.
    bool zero_gradient = false;
    double float_atol = 1e-5, float_rtol = 1e-4;
    GradcheckOptions grad;

    OpCase(std::string n, std::vector<Shape> s, Builder b, Reference r)
        : name(std::move(n)), shapes(std::move(s)), build(std::move(b)), reference(std::move(r)) {}
    OpCase& sampler(Sampler s) { sample = std::move(s); return *this; }
    OpCase& constants(std::vector<std::size_t> c) { constant_inputs = std::move(c); return *this; }
    OpCase& no_gradient() { zero_gradient = true; return *this; }
    OpCase& float_tolerance(double atol, double rtol) { float_atol = atol; float_rtol = rtol; return *this; }
    OpCase& grad_tolerance(double atol, double rtol) { grad.atol = atol; grad.rtol = rtol; return *this; }
};

inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

// Every row runs on dirty memory: before each test the buffer cache is filled with NaN blocks of every size
// class (three per class, 64 B to 1 MiB), so compiled functions get recycled buffers full of NaN, and an op
// that reads its output before writing all of it shows up as NaN.
class OpTableTest : public ::testing::TestWithParam<OpCase> {
protected:
    void SetUp() override {
        std::vector<CachedBlock> blocks;
        for (std::size_t bytes = 64; bytes <= (std::size_t(1) << 20); bytes *= 2)
            for (int k = 0; k < 3; ++k) {
                blocks.emplace_back(bytes);
                float* f = static_cast<float*>(blocks.back().data());
                std::fill(f, f + blocks.back().bytes() / sizeof(float), std::numeric_limits<float>::quiet_NaN());
            }
    }  // released into the cache here
};

inline std::string case_name(const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; }

// The row tables (one per file).
std::vector<OpCase> elementwise_cases();
std::vector<OpCase> reduce_layout_cases();
std::vector<OpCase> nn_cases();
std::vector<OpCase> fused_cases();
std::vector<OpCase> conv_fused_cases();
std::vector<OpCase> onnx_cases();
std::vector<OpCase> activation_grad_cases();

}  // namespace xvis::test
