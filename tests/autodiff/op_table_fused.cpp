// Op-table rows for the fused regularizer primitives (lp_sum, tv_sum), with naive references, plus checks
// that each fused primitive equals its composition in value and gradient.
#include "op_table.hpp"

#include <cmath>

namespace xvis::test {
namespace {

double lp_reference(const TensorD& x, double p) {
    double s = 0;
    for (double v : x) s += std::pow(std::fabs(v), p);
    return s;
}

// Σ over the region (last index of every spatial axis dropped) of (Σ_i d_i²)^(β/2), by multi-indices.
double tv_reference(const TensorD& x, double beta, std::size_t c) {
    const Shape& s = x.shape();
    const auto strides = row_major_strides(s);
    double total = 0;
    for (std::size_t flat = 0; flat < x.size(); ++flat) {
        bool in_region = true;
        std::vector<std::size_t> idx(s.size());
        for (std::size_t i = 0, rem = flat; i < s.size(); ++i) {
            idx[i] = rem / strides[i];
            rem %= strides[i];
            if (i != 0 && i != c && idx[i] + 1 >= s[i]) in_region = false;
        }
        if (!in_region) continue;
        double sq = 0;
        for (std::size_t i = 1; i < s.size(); ++i)
            if (i != c) {
                const double d = x[flat + strides[i]] - x[flat];
                sq += d * d;
            }
        total += sq > 0 ? std::pow(sq, beta / 2) : 0.0;
    }
    return total;
}

}  // namespace

std::vector<OpCase> fused_cases() {
    std::vector<OpCase> t;
    for (double p : {1.5, 2.0, 3.0, 6.0}) {
        std::string name = "lp_sum_p" + std::to_string(int(p * 10));
        t.push_back(OpCase(name, {{2, 3, 4, 5}}, [p](const Inputs& in) { return lp_sum(in[0], p); },
                           [p](const Values& v) { return TensorD::scalar(lp_reference(v[0], p)); })
                        .sampler(signed_magnitude(0.1, 1.0)));
    }
    for (double p : {2.0, 3.0, 6.0}) {  // 111 values: four-batch groups, single batches and a scalar tail
        t.push_back(OpCase("lp_sum_tail_p" + std::to_string(int(p * 10)), {{3, 37}}, [p](const Inputs& in) { return lp_sum(in[0], p); },
                           [p](const Values& v) { return TensorD::scalar(lp_reference(v[0], p)); })
                        .sampler(signed_magnitude(0.1, 1.0)));
    }
    struct TvCase {
        const char* name;
        Shape shape;
        std::size_t channel_axis;
        double beta;
    };
    for (const TvCase& c : {TvCase{"tv_sum_nchw_b2", {2, 3, 5, 4}, 1, 2.0}, TvCase{"tv_sum_nchw_b1", {1, 2, 4, 6}, 1, 1.0},
                           TvCase{"tv_sum_nhwc_b3", {2, 4, 5, 3}, 3, 3.0}, TvCase{"tv_sum_1d_b2", {2, 3, 7}, 1, 2.0},
                           TvCase{"tv_sum_3d_b15", {1, 2, 3, 4, 3}, 1, 1.5},
                           // Rows as wide as a SIMD batch and wider (the planes' batched rows: whole batches, an
                           // overlapping last one, exactly one batch of interior cells) in float and double.
                           TvCase{"tv_sum_nchw_b2_w21", {1, 2, 5, 21}, 1, 2.0}, TvCase{"tv_sum_nchw_b2_w17_h2", {2, 2, 2, 17}, 1, 2.0},
                           TvCase{"tv_sum_nchw_b2_w10", {1, 3, 6, 10}, 1, 2.0}, TvCase{"tv_sum_nchw_b2_w9", {1, 2, 4, 9}, 1, 2.0},
                           TvCase{"tv_sum_nchw_b15_w19", {1, 2, 4, 19}, 1, 1.5}}) {
        t.push_back(OpCase(c.name, {c.shape}, [c](const Inputs& in) { return tv_sum(in[0], c.beta, c.channel_axis); },
                           [c](const Values& v) { return TensorD::scalar(tv_reference(v[0], c.beta, c.channel_axis)); })
                        .grad_tolerance(1e-6, 1e-4));
    }
    return t;
}

TEST(Fused, EqualsTheComposition) {
    Rng rng(3);
    auto check = [&](const Node& x, const Node& fused, const Node& composed, const TensorD& value) {
        FunctionD f = compile_double({fused, composed, gradients(fused, {x})[0], gradients(composed, {x})[0]}, {x});
        const auto& r = f(value);
        EXPECT_NEAR(r[0][0], r[1][0], 1e-10 * std::fabs(r[1][0]) + 1e-12);
        for (std::size_t i = 0; i < value.size(); ++i) EXPECT_NEAR(r[2][i], r[3][i], 1e-9 * (1 + std::fabs(r[3][i]))) << i;
    };
    for (double p : {1.0, 2.0, 2.5, 6.0}) {
        Node x = placeholder({1, 3, 6, 6});
        check(x, lp_sum(x, p), lp_sum_composed(x, p), uniform(-2, 2)({x.shape()}, rng)[0]);
    }
    for (double beta : {1.0, 2.0, 2.5}) {
        Node x = placeholder({2, 3, 6, 5});
        check(x, tv_sum(x, beta, 1), tv_sum_composed(x, beta, 1), uniform(0, 1)({x.shape()}, rng)[0]);
        Node xl = placeholder({2, 6, 5, 3});
        check(xl, tv_sum(xl, beta, 3), tv_sum_composed(xl, beta, 3), uniform(0, 1)({xl.shape()}, rng)[0]);
    }
    // Flat images: both give the subgradient 0 for β < 2.
    Node x = placeholder({1, 1, 3, 3});
    check(x, tv_sum(x, 1.0, 1), tv_sum_composed(x, 1.0, 1), TensorD({1, 1, 3, 3}, 0.5));
    EXPECT_THROW(lp_sum(x, 0.5), ShapeError);
    EXPECT_THROW(tv_sum(x, 0.0, 1), ShapeError);
    EXPECT_THROW(tv_sum(placeholder({1, 3, 1, 4}), 2.0, 1), ShapeError);
}

}  // namespace xvis::test
