// Op-table rows for the fused convolutions (ops_conv_fused.cpp): conv2d_fused with every combination of bias,
// residual and ReLU, and conv2d_backward_data_fused with each activation VJP (ReLU, clip, SiLU, GELU), with and
// without a residual, on the convolution shapes of the plain rows (Winograd, strides, groups, depthwise, 1×1,
// batches), against the double reference of their compositions.
#include "op_table.hpp"
#include "reference/autodiff_reference.hpp"

#include <cmath>

namespace xvis::test {
namespace {

namespace R = xvis::reference;
using kernels::Conv2dParams;

struct FusedVariant {
    std::string name;
    Shape x, w;
    Conv2dParams p;
    bool bias, residual, relu;
    std::size_t bias_rank;  // 3: [K, 1, 1] (a Keras layer's), 4: [1, K, 1, 1] (an ONNX Conv's)
};

TensorD epilogue_reference(TensorD y, const TensorD* bias, const TensorD* residual, bool relu) {
    const Shape& s = y.shape();
    const std::size_t hw = s[2] * s[3];
    for (std::size_t i = 0; i < y.size(); ++i) {
        double v = y[i];
        if (bias) v += (*bias)[(i / hw) % s[1]];
        if (residual) v += (*residual)[i];
        y[i] = relu && v < 0 ? 0.0 : v;
    }
    return y;
}

}  // namespace

std::vector<OpCase> conv_fused_cases() {
    std::vector<OpCase> t;
    const std::vector<FusedVariant> forward{
        {"bias_relu_winograd", {1, 16, 14, 13}, {16, 16, 3, 3}, conv_params(1, 1, 1, 0, 2, 1), true, false, true, 3},
        {"bias_residual_relu_stride2", {1, 2, 5, 5}, {3, 2, 3, 3}, conv_params(2, 2, 1, 1, 1, 1), true, true, true, 4},
        {"residual_relu_1x1_batch2", {2, 3, 4, 4}, {2, 3, 1, 1}, {}, false, true, true, 4},
        {"relu_groups2", {1, 4, 4, 4}, {4, 2, 3, 3}, conv_params(1, 1, 1, 1, 1, 1, 1, 2), false, false, true, 4},
        {"bias_depthwise", {1, 2, 4, 4}, {2, 1, 3, 3}, conv_params(1, 1, 1, 1, 1, 1, 1, 2), true, false, false, 3},
        {"bias_residual_batch2", {2, 8, 6, 6}, {16, 8, 3, 3}, conv_params(2, 2, 1, 1, 1, 1), true, true, false, 4},
        {"residual", {1, 2, 5, 5}, {3, 2, 3, 3}, {}, false, true, false, 4},
    };
    for (const auto& c : forward) {
        const Shape ys = R::conv_geometry(c.x, c.w, c.p).output_shape();
        const Shape bs = c.bias_rank == 3 ? Shape{ys[1], 1, 1} : Shape{1, ys[1], 1, 1};
        std::vector<Shape> shapes{c.x, c.w};
        if (c.bias) shapes.push_back(bs);
        if (c.residual) shapes.push_back(ys);
        t.push_back(OpCase("conv2d_fused_" + c.name, shapes,
                           [c](const Inputs& in) {
                               return conv2d_fused(in[0], in[1], c.bias ? in[2] : Node(), c.residual ? in[2 + c.bias] : Node(), c.p, c.relu);
                           },
                           [c](const Values& v) {
                               return epilogue_reference(R::conv2d(v[0], v[1], c.p), c.bias ? &v[2] : nullptr,
                                                         c.residual ? &v[2 + c.bias] : nullptr, c.relu);
                           }));
    }
    // Each activation VJP on a Winograd shape, a strided one with a residual and a grouped batch.
    struct BackwardVariant {
        std::string name;
        Shape x, w;
        Conv2dParams p;
        bool residual;
        ActivationVjp act;
    };
    ActivationVjp clip, silu, gelu;
    clip.kind = ActivationVjp::Kind::clip, clip.lo = -0.5, clip.hi = 0.5;
    silu.kind = ActivationVjp::Kind::silu;
    gelu.kind = ActivationVjp::Kind::gelu, gelu.a = 0.7071067811865476, gelu.k = 1.0, gelu.c = 0.5;
    const std::vector<BackwardVariant> backward{
        {"relu_winograd", {1, 16, 14, 13}, {16, 16, 3, 3}, conv_params(1, 1, 1, 0, 2, 1), false, {}},
        {"relu_residual_stride2", {1, 2, 5, 5}, {3, 2, 3, 3}, conv_params(2, 2, 1, 1, 1, 1), true, {}},
        {"relu_residual_batch2_groups2", {2, 4, 4, 4}, {4, 2, 3, 3}, conv_params(1, 1, 1, 1, 1, 1, 1, 2), true, {}},
        {"clip_winograd", {1, 16, 14, 13}, {16, 16, 3, 3}, conv_params(1, 1, 1, 0, 2, 1), false, clip},
        {"clip_residual_depthwise", {1, 4, 5, 5}, {4, 1, 3, 3}, conv_params(1, 1, 1, 1, 1, 1, 1, 4), true, clip},
        {"silu_stride2", {1, 2, 5, 5}, {3, 2, 3, 3}, conv_params(2, 2, 1, 1, 1, 1), false, silu},
        {"silu_residual_1x1_batch2", {2, 3, 4, 4}, {2, 3, 1, 1}, {}, true, silu},
        {"gelu_residual_stride2", {1, 2, 5, 5}, {3, 2, 3, 3}, conv_params(2, 2, 1, 1, 1, 1), true, gelu},
    };
    for (const auto& c : backward) {
        const Shape ys = R::conv_geometry(c.x, c.w, c.p).output_shape();
        std::vector<Shape> shapes{ys, c.w};
        if (c.residual) shapes.push_back(c.x);
        const bool two_aux = c.act.kind == ActivationVjp::Kind::silu || c.act.kind == ActivationVjp::Kind::gelu;
        shapes.push_back(c.x);                // the activation's input (ReLU: its mask)
        if (two_aux) shapes.push_back(c.x);  // σ(x) of SiLU, erf(a·x) of GELU: any values, as the VJP ops take them
        OpCase row("conv2d_backward_data_fused_" + c.name, shapes,
                   [c, two_aux](const Inputs& in) {
                       const std::size_t a0 = 2 + c.residual;
                       std::vector<Node> aux{in[a0]};
                       if (two_aux) aux.push_back(in[a0 + 1]);
                       return conv2d_backward_data_fused(in[0], in[1], c.residual ? in[2] : Node(), aux, c.x, c.p, c.act);
                   },
                   [c, two_aux](const Values& v) {
                       TensorD dx = R::conv2d_backward_data(v[0], v[1], c.x, c.p);
                       const std::size_t a0 = 2 + c.residual;
                       const TensorD& x = v[a0];
                       for (std::size_t i = 0; i < dx.size(); ++i) {
                           const double z = dx[i] + (c.residual ? v[2][i] : 0.0);
                           const double s = two_aux ? v[a0 + 1][i] : 0.0;
                           switch (c.act.kind) {
                               case ActivationVjp::Kind::relu: dx[i] = x[i] > 0 ? z : 0.0; break;
                               case ActivationVjp::Kind::clip: dx[i] = x[i] >= c.act.lo && x[i] <= c.act.hi ? z : 0.0; break;
                               case ActivationVjp::Kind::silu: dx[i] = z * s * (1 + x[i] * (1 - s)); break;
                               case ActivationVjp::Kind::gelu:
                                   dx[i] = z * c.act.c *
                                           (c.act.k + s + x[i] * c.act.a * 1.1283791670955126 * std::exp(-c.act.a * c.act.a * x[i] * x[i]));
                                   break;
                           }
                       }
                       return dx;
                   });
        // ReLU's and clip's VJPs have none for their masks: constants there (away from the kinks is not needed).
        if (!two_aux) row.constants({2 + std::size_t(c.residual)});
        t.push_back(std::move(row));
    }
    return t;
}

}  // namespace xvis::test
