// Op-table rows: matmul (transposes, batching, broadcast operands), conv2d and its backward ops, max / average
// pooling and their backward ops, global average pooling.
#include "op_table.hpp"
#include "reference/autodiff_reference.hpp"

namespace xvis::test {

namespace R = xvis::reference;
using kernels::Conv2dParams;
using kernels::Pool2dParams;

namespace {

OpCase matmul_row(const std::string& name, Shape a, Shape b, bool ta, bool tb) {
    return OpCase(name, {a, b}, [=](const Inputs& x) { return matmul(x[0], x[1], ta, tb); },
                  [=](const Values& v) { return R::matmul(v[0], v[1], ta, tb); });
}

Pool2dParams pool_params(std::size_t k, std::size_t s, std::size_t pt = 0, std::size_t pb = 0, std::size_t pl = 0,
                         std::size_t pr = 0, bool count_include_pad = false) {
    Pool2dParams p;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = s;
    p.pad_top = pt, p.pad_bottom = pb, p.pad_left = pl, p.pad_right = pr;
    p.count_include_pad = count_include_pad;
    return p;
}

struct ConvVariant {
    std::string name;
    Shape x, w;
    Conv2dParams p;
};

std::vector<ConvVariant> conv_variants() {
    return {
        {"basic", {1, 2, 5, 5}, {3, 2, 3, 3}, {}},
        {"stride2_pad1", {1, 2, 5, 5}, {3, 2, 3, 3}, conv_params(2, 2, 1, 1, 1, 1)},
        {"stride2_uncovered", {1, 1, 6, 6}, {2, 1, 3, 3}, conv_params(2, 2, 0, 0, 0, 0)},
        {"asym_pad", {1, 2, 5, 5}, {2, 2, 2, 2}, conv_params(1, 1, 0, 1, 1, 0)},
        {"dilation2", {1, 2, 6, 6}, {2, 2, 3, 3}, conv_params(1, 1, 1, 1, 1, 1, 2)},
        {"groups2", {1, 4, 4, 4}, {4, 2, 3, 3}, conv_params(1, 1, 1, 1, 1, 1, 1, 2)},
        {"depthwise", {1, 2, 4, 4}, {2, 1, 3, 3}, conv_params(1, 1, 1, 1, 1, 1, 1, 2)},
        {"1x1", {2, 3, 4, 4}, {2, 3, 1, 1}, {}},
        {"batch2_rect", {2, 2, 5, 6}, {2, 2, 3, 2}, conv_params(2, 1, 1, 0, 0, 1)},
        {"large", {2, 8, 11, 11}, {16, 8, 3, 3}, conv_params(2, 2, 1, 1, 1, 1)},
        // The smallest shape that takes Winograd F(2×2, 3×3) forward and backward-data (16 channels, 7×7 tiles),
        // with an odd-sized, asymmetrically padded output.
        {"winograd", {1, 16, 14, 13}, {16, 16, 3, 3}, conv_params(1, 1, 1, 0, 2, 1)},
    };
}

}  // namespace

std::vector<OpCase> nn_cases() {
    std::vector<OpCase> t;
    t.push_back(matmul_row("matmul_nn", {3, 4}, {4, 2}, false, false));
    t.push_back(matmul_row("matmul_tn", {4, 3}, {4, 2}, true, false));
    t.push_back(matmul_row("matmul_nt", {3, 4}, {2, 4}, false, true));
    t.push_back(matmul_row("matmul_tt", {4, 3}, {2, 4}, true, true));
    t.push_back(matmul_row("matmul_batched", {2, 3, 4}, {2, 4, 5}, false, false));
    t.push_back(matmul_row("matmul_batched_tt", {2, 4, 3}, {2, 5, 4}, true, true));
    t.push_back(matmul_row("matmul_rank3_rank2", {2, 3, 4}, {4, 2}, false, false));
    t.push_back(matmul_row("matmul_rank3_rank2_nt", {2, 3, 4}, {2, 4}, false, true));
    t.push_back(matmul_row("matmul_rank2_rank3", {3, 4}, {2, 4, 2}, false, false));
    t.push_back(matmul_row("matmul_rank2_rank3_tn", {4, 3}, {2, 4, 2}, true, false));
    t.push_back(matmul_row("matmul_large", {33, 47}, {47, 29}, false, false));
    t.push_back(matmul_row("matmul_large_batched_tt", {3, 19, 21}, {3, 17, 19}, true, true));
    t.push_back(OpCase("matmul_same_operand", {{3, 3}}, [](const Inputs& x) { return matmul(x[0], x[0], false, true); },
                       [](const Values& v) { return R::matmul(v[0], v[0], false, true); }));

    for (const auto& c : conv_variants()) {
        const Conv2dParams p = c.p;
        const Shape xs = c.x, ws = c.w;
        const Shape ys = R::conv_geometry(xs, ws, p).output_shape();
        t.push_back(OpCase("conv2d_" + c.name, {xs, ws}, [p](const Inputs& x) { return conv2d(x[0], x[1], p); },
                           [p](const Values& v) { return R::conv2d(v[0], v[1], p); }));
        if (c.name == "asym_pad" || c.name == "1x1" || c.name == "depthwise") continue;
        t.push_back(OpCase("conv2d_backward_data_" + c.name, {ys, ws},
                           [p, xs](const Inputs& x) { return conv2d_backward_data(x[0], x[1], xs, p); },
                           [p, xs](const Values& v) { return R::conv2d_backward_data(v[0], v[1], xs, p); }));
        t.push_back(OpCase("conv2d_backward_weights_" + c.name, {xs, ys},
                           [p, ws](const Inputs& x) { return conv2d_backward_weights(x[0], x[1], ws, p); },
                           [p, ws](const Values& v) { return R::conv2d_backward_weights(v[0], v[1], ws, p); }));
    }

    struct PoolVariant {
        std::string name;
        Shape x;
        Pool2dParams p;
    };
    const std::vector<PoolVariant> max_variants = {
        {"2x2s2", {1, 2, 4, 4}, pool_params(2, 2)},
        {"3x3s2_pad1", {1, 2, 5, 5}, pool_params(3, 2, 1, 1, 1, 1)},
        {"odd_floor", {1, 1, 5, 4}, pool_params(2, 2)},
        {"asym_pad", {1, 1, 5, 5}, pool_params(2, 2, 0, 1, 0, 1)},
        {"3x3s1_batch2", {2, 1, 4, 4}, pool_params(3, 1)},
        {"large", {2, 4, 13, 13}, pool_params(3, 2, 1, 1, 1, 1)},
    };
    for (const auto& v : max_variants) {
        const Pool2dParams p = v.p;
        const auto g = R::pool_windows(v.x, p);
        const Shape ys{g.N, g.C, g.OH, g.OW};
        t.push_back(OpCase("max_pool2d_" + v.name, {v.x}, [p](const Inputs& x) { return max_pool2d(x[0], p); },
                           [p](const Values& in) { return R::max_pool2d(in[0], p); })
                        .sampler(distinct()));
        // x decides the routing only (no gradient; kept away from ties); dy / v carry the linear part.
        t.push_back(OpCase("max_pool2d_backward_" + v.name, {v.x, ys},
                           [p](const Inputs& x) { return max_pool2d_backward(x[0], x[1], p); },
                           [p](const Values& in) { return R::max_pool2d_backward(in[0], in[1], p); })
                        .sampler(each({distinct(), uniform()})));
        t.push_back(OpCase("max_pool2d_select_" + v.name, {v.x, v.x},
                           [p](const Inputs& x) { return max_pool2d_select(x[0], x[1], p); },
                           [p](const Values& in) { return R::max_pool2d_select(in[0], in[1], p); })
                        .sampler(each({distinct(), uniform()})));
    }

    const std::vector<PoolVariant> avg_variants = {
        {"2x2s2", {1, 2, 4, 4}, pool_params(2, 2)},
        {"3x3s2_pad1_exclude_pad", {1, 2, 5, 5}, pool_params(3, 2, 1, 1, 1, 1, false)},
        {"3x3s2_pad1_include_pad", {1, 2, 5, 5}, pool_params(3, 2, 1, 1, 1, 1, true)},
        {"asym_pad_include_pad", {1, 1, 5, 5}, pool_params(2, 2, 0, 1, 0, 1, true)},
        {"large", {2, 4, 13, 13}, pool_params(3, 2, 1, 1, 1, 1)},
    };
    for (const auto& v : avg_variants) {
        const Pool2dParams p = v.p;
        const Shape xs = v.x;
        const auto g = R::pool_windows(xs, p);
        const Shape ys{g.N, g.C, g.OH, g.OW};
        t.push_back(OpCase("avg_pool2d_" + v.name, {xs}, [p](const Inputs& x) { return avg_pool2d(x[0], p); },
                           [p](const Values& in) { return R::avg_pool2d(in[0], p); }));
        t.push_back(OpCase("avg_pool2d_backward_" + v.name, {ys},
                           [p, xs](const Inputs& x) { return avg_pool2d_backward(x[0], xs, p); },
                           [p, xs](const Values& in) { return R::avg_pool2d_backward(in[0], xs, p); }));
    }

    t.push_back(OpCase("global_avg_pool", {{2, 3, 3, 4}}, [](const Inputs& x) { return global_avg_pool(x[0]); },
                       [](const Values& v) { return R::global_avg_pool(v[0]); }));
    return t;
}

}  // namespace xvis::test
