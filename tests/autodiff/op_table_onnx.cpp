// Op-table rows for the ONNX import primitives: erf, gather / gather_backward, resize / resize_backward, pad
// modes / pad_backward, ceil-mode pooling and ConvTranspose (conv2d_backward_data used as a forward op), each
// against tests/reference/onnx_reference.hpp; then known answers from the ONNX backend tests, the run-time
// index clamp of gather, and the threaded paths against one thread.
#include "op_table.hpp"
#include "reference/onnx_reference.hpp"
#include "support/thread_guard.hpp"

#include <xvis/tensor/runtime.hpp>

#include <cmath>
#include <limits>

namespace xvis::test {

namespace R = xvis::reference;
using kernels::Conv2dParams;
using kernels::Pool2dParams;

namespace {

OpCase gather_row(const std::string& name, Shape x, Shape idx, std::int64_t axis) {
    const std::size_t ax = std::size_t(axis < 0 ? axis + std::int64_t(x.size()) : axis);
    const int n = int(x[ax]);
    return OpCase(name, {x, idx}, [axis](const Inputs& in) { return gather(in[0], in[1], axis); },
                  [ax](const Values& v) { return R::gather(v[0], v[1], ax); })
        .sampler(each({uniform(), integers(-n, n - 1)}))
        .constants({1});
}
OpCase gather_backward_row(const std::string& name, Shape x, Shape idx, std::int64_t axis) {
    const std::size_t ax = std::size_t(axis < 0 ? axis + std::int64_t(x.size()) : axis);
    const int n = int(x[ax]);
    return OpCase(name, {R::gather_shape(x, idx, ax), idx},
                  [x, axis](const Inputs& in) { return gather_backward(in[0], in[1], x, axis); },
                  [x, ax](const Values& v) { return R::gather_backward(v[0], v[1], x, ax); })
        .sampler(each({uniform(), integers(-n, n - 1)}))
        .constants({1});
}

ResizeOptions ropts(ResizeMode m, ResizeCoordinates c, ResizeNearest n = ResizeNearest::round_prefer_floor,
                    std::array<double, 2> scales = {0, 0}) {
    ResizeOptions o;
    o.mode = m, o.coordinates = c, o.nearest = n, o.scales = scales;
    return o;
}
void add_resize_rows(std::vector<OpCase>& t, const std::string& name, Shape x, Shape y, ResizeOptions o, bool backward) {
    t.push_back(OpCase("resize_" + name, {x}, [y, o](const Inputs& in) { return resize(in[0], y, o); },
                       [y, o](const Values& v) { return R::resize(v[0], y, o); }));
    if (backward)
        t.push_back(OpCase("resize_backward_" + name, {y}, [x, o](const Inputs& in) { return resize_backward(in[0], x, o); },
                           [x, o](const Values& v) { return R::resize_backward(v[0], x, o); }));
}

void add_pad_rows(std::vector<OpCase>& t, const std::string& name, Shape x, std::vector<std::size_t> b,
                  std::vector<std::size_t> a, PadMode m) {
    Shape y = x;
    for (std::size_t d = 0; d < x.size(); ++d) y[d] += b[d] + a[d];
    t.push_back(OpCase("pad_" + name, {x}, [=](const Inputs& in) { return pad(in[0], b, a, m, 1.5); },
                       [=](const Values& v) { return R::pad(v[0], b, a, m, 1.5); }));
    t.push_back(OpCase("pad_backward_" + name, {y}, [=](const Inputs& in) { return pad_backward(in[0], x, b, a, m); },
                       [=](const Values& v) { return R::pad_backward(v[0], x, b, a, m); }));
}

Pool2dParams ceil_pool(std::size_t k, std::size_t s, std::size_t pad, bool include_pad = false) {
    Pool2dParams p;
    p.kernel_h = p.kernel_w = k, p.stride_h = p.stride_w = s;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = pad;
    p.count_include_pad = include_pad, p.ceil_mode = true;
    return p;
}
void add_pool_rows(std::vector<OpCase>& t, const std::string& name, Shape x, Pool2dParams p) {
    const auto g = R::pool_windows(x, p);
    const Shape ys{g.N, g.C, g.OH, g.OW};
    t.push_back(OpCase("max_pool2d_" + name, {x}, [p](const Inputs& in) { return max_pool2d(in[0], p); },
                       [p](const Values& v) { return R::max_pool2d(v[0], p); })
                    .sampler(distinct()));
    t.push_back(OpCase("max_pool2d_backward_" + name, {x, ys}, [p](const Inputs& in) { return max_pool2d_backward(in[0], in[1], p); },
                       [p](const Values& v) { return R::max_pool2d_backward(v[0], v[1], p); })
                    .sampler(each({distinct(), uniform()})));
    t.push_back(OpCase("max_pool2d_select_" + name, {x, x}, [p](const Inputs& in) { return max_pool2d_select(in[0], in[1], p); },
                       [p](const Values& v) { return R::max_pool2d_select(v[0], v[1], p); })
                    .sampler(each({distinct(), uniform()})));
    for (bool include : {false, true}) {
        Pool2dParams q = p;
        q.count_include_pad = include;
        const std::string suffix = name + (include ? "_include_pad" : "_exclude_pad");
        t.push_back(OpCase("avg_pool2d_" + suffix, {x}, [q](const Inputs& in) { return avg_pool2d(in[0], q); },
                           [q](const Values& v) { return R::avg_pool2d(v[0], q); }));
        t.push_back(OpCase("avg_pool2d_backward_" + suffix, {ys},
                           [q, x](const Inputs& in) { return avg_pool2d_backward(in[0], x, q); },
                           [q, x](const Values& v) { return R::avg_pool2d_backward(v[0], x, q); }));
    }
}

Conv2dParams tconv(std::size_t sh, std::size_t sw, std::size_t pt, std::size_t pb, std::size_t pl, std::size_t pr,
                   std::size_t dilation = 1, std::size_t groups = 1) {
    Conv2dParams p;
    p.stride_h = sh, p.stride_w = sw, p.pad_top = pt, p.pad_bottom = pb, p.pad_left = pl, p.pad_right = pr;
    p.dilation_h = p.dilation_w = dilation, p.groups = groups;
    return p;
}
// ONNX ConvTranspose(x, w) with output_padding (oph, opw) = conv2d_backward_data(x, w, output shape, p).
OpCase conv_transpose_row(const std::string& name, Shape x, Shape w, Conv2dParams p, std::size_t oph, std::size_t opw) {
    const Shape ys = R::conv_transpose_shape(x, w, p, oph, opw);
    return OpCase("conv_transpose_" + name, {x, w}, [=](const Inputs& in) { return conv2d_backward_data(in[0], in[1], ys, p); },
                  [=](const Values& v) { return R::conv_transpose(v[0], v[1], p, oph, opw); });
}

}  // namespace

std::vector<OpCase> onnx_cases() {
    std::vector<OpCase> t;
    t.push_back(OpCase("erf", {{2, 3, 4}}, [](const Inputs& in) { return erf(in[0]); },
                       [](const Values& v) { return R::unary(v[0], [](double e) { return std::erf(e); }); })
                    .sampler(uniform(-2.5, 2.5)));

    t.push_back(gather_row("gather_axis0", {5, 3}, {4}, 0));
    t.push_back(gather_row("gather_axis1_2d_indices", {2, 4, 3}, {2, 3}, 1));
    t.push_back(gather_row("gather_last_axis_negative", {3, 5}, {2}, -1));
    t.push_back(gather_row("gather_scalar_index", {3, 4}, {}, 0));
    t.push_back(gather_row("gather_repeated", {3, 2}, {7}, 0));  // 7 draws over 3 rows: repeats accumulate
    t.push_back(gather_backward_row("gather_backward_axis1", {2, 4, 3}, {2, 3}, 1));
    t.push_back(gather_backward_row("gather_backward_repeated", {3, 2}, {7}, 0));
    t.push_back(gather_backward_row("gather_backward_scalar_index", {3, 4}, {}, -1));

    using M = ResizeMode;
    using C = ResizeCoordinates;
    using N = ResizeNearest;
    add_resize_rows(t, "nearest_up_half_pixel", {1, 2, 3, 4}, {1, 2, 5, 7}, ropts(M::nearest, C::half_pixel), true);
    add_resize_rows(t, "nearest_down_asymmetric_floor", {2, 1, 5, 6}, {2, 1, 3, 4},
                    ropts(M::nearest, C::asymmetric, N::floor), true);
    add_resize_rows(t, "nearest_asymmetric_prefer_ceil", {1, 1, 4, 4}, {1, 1, 8, 8},
                    ropts(M::nearest, C::asymmetric, N::round_prefer_ceil), false);
    add_resize_rows(t, "nearest_asymmetric_prefer_floor", {1, 1, 4, 4}, {1, 1, 8, 8},
                    ropts(M::nearest, C::asymmetric), false);
    add_resize_rows(t, "nearest_half_pixel_ceil", {1, 1, 4, 4}, {1, 1, 8, 8},
                    ropts(M::nearest, C::half_pixel, N::ceil), false);
    add_resize_rows(t, "nearest_align_corners_floor", {1, 1, 4, 4}, {1, 1, 8, 8},
                    ropts(M::nearest, C::align_corners, N::floor), false);
    add_resize_rows(t, "nearest_tf_half_pixel_for_nn", {1, 1, 4, 4}, {1, 1, 3, 2},
                    ropts(M::nearest, C::tf_half_pixel_for_nn), true);
    add_resize_rows(t, "nearest_pytorch_half_pixel_to_1", {1, 2, 3, 4}, {1, 2, 1, 6},
                    ropts(M::nearest, C::pytorch_half_pixel), false);
    add_resize_rows(t, "nearest_scales", {1, 1, 2, 2}, {1, 1, 4, 6},
                    ropts(M::nearest, C::half_pixel, N::round_prefer_floor, {2, 3}), false);
    add_resize_rows(t, "linear_up_half_pixel", {1, 2, 3, 4}, {1, 2, 6, 7}, ropts(M::linear, C::half_pixel), true);
    add_resize_rows(t, "linear_down_half_pixel", {1, 1, 5, 6}, {1, 1, 3, 4}, ropts(M::linear, C::half_pixel), true);
    add_resize_rows(t, "linear_align_corners_rank3", {2, 3, 4}, {2, 7, 5}, ropts(M::linear, C::align_corners), true);
    add_resize_rows(t, "linear_pytorch_half_pixel", {1, 1, 4, 4}, {1, 1, 3, 1},
                    ropts(M::linear, C::pytorch_half_pixel), true);
    add_resize_rows(t, "linear_asymmetric", {1, 1, 3, 3}, {1, 1, 5, 7}, ropts(M::linear, C::asymmetric), true);
    add_resize_rows(t, "linear_tf_half_pixel_for_nn", {1, 1, 3, 3}, {1, 1, 5, 4},
                    ropts(M::linear, C::tf_half_pixel_for_nn), false);
    add_resize_rows(t, "linear_scales_align_corners", {1, 1, 2, 4}, {1, 1, 1, 2},
                    ropts(M::linear, C::align_corners, N::floor, {0.6, 0.6}), true);
    add_resize_rows(t, "linear_rank2", {4, 5}, {7, 3}, ropts(M::linear, C::half_pixel), true);

    add_pad_rows(t, "reflect_2d", {3, 4}, {1, 2}, {2, 3}, PadMode::reflect);
    add_pad_rows(t, "reflect_nchw", {1, 2, 4, 5}, {0, 0, 2, 1}, {0, 0, 1, 3}, PadMode::reflect);
    add_pad_rows(t, "reflect_rank1", {5}, {4}, {2}, PadMode::reflect);
    add_pad_rows(t, "edge_2d", {3, 4}, {2, 0}, {1, 4}, PadMode::edge);
    add_pad_rows(t, "edge_nchw", {2, 1, 3, 3}, {0, 0, 3, 1}, {0, 0, 0, 2}, PadMode::edge);
    add_pad_rows(t, "edge_leading_axis", {3, 2, 2}, {2, 0, 0}, {1, 1, 0}, PadMode::edge);
    add_pad_rows(t, "constant_mode", {2, 3}, {1, 0}, {2, 1}, PadMode::constant);

    add_pool_rows(t, "ceil_2x2s2_odd", {1, 2, 5, 5}, ceil_pool(2, 2, 0));               // partial last row / column
    add_pool_rows(t, "ceil_3x3s2_pad1_overhang", {1, 2, 6, 6}, ceil_pool(3, 2, 1));     // window past H + pb
    add_pool_rows(t, "ceil_last_window_dropped", {1, 1, 5, 5}, ceil_pool(2, 3, 1));     // would start at H + pt
    add_pool_rows(t, "ceil_divisible", {2, 1, 5, 5}, ceil_pool(3, 2, 1));               // same as floor mode
    add_pool_rows(t, "ceil_large", {2, 3, 14, 13}, ceil_pool(3, 2, 0));

    t.push_back(conv_transpose_row("stride2", {1, 2, 3, 3}, {2, 3, 3, 3}, tconv(2, 2, 1, 1, 1, 1), 0, 0));
    t.push_back(conv_transpose_row("output_padding", {1, 2, 3, 3}, {2, 3, 3, 3}, tconv(2, 2, 1, 1, 1, 1), 1, 1));
    t.push_back(conv_transpose_row("groups", {1, 4, 3, 3}, {4, 1, 3, 3}, tconv(1, 1, 1, 1, 1, 1, 1, 2), 0, 0));
    t.push_back(conv_transpose_row("dilation2", {1, 2, 3, 3}, {2, 2, 2, 2}, tconv(2, 2, 0, 0, 0, 0, 2), 1, 1));
    t.push_back(conv_transpose_row("asym_rect", {2, 2, 3, 4}, {2, 1, 3, 2}, tconv(2, 1, 1, 0, 0, 1), 1, 0));
    t.push_back(conv_transpose_row("groups_stride3_output_padding", {1, 4, 2, 3}, {4, 2, 2, 3}, tconv(3, 2, 0, 1, 1, 0, 1, 2), 2, 1));
    return t;
}

namespace {

template <class T>
BasicTensor<T> run1(const Node& out, const Node& x, const BasicTensor<T>& v) {
    BasicFunction<T> f({out}, {x});
    return f(v)[0];
}

// Known answers: the ONNX backend test cases (onnx/backend/test/case/node/{resize,maxpool,averagepool}.py).
TEST(OnnxKnownAnswers, ResizeAndCeilPooling) {
    const Tensor x4({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    const Node x = placeholder({1, 1, 4, 4});
    auto check = [&](const Node& y, std::vector<float> want) {
        const Tensor got = run1(y, x, x4);
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
    };
    using C = ResizeCoordinates;
    check(resize(x, {1, 1, 3, 2}, ropts(ResizeMode::nearest, C::tf_half_pixel_for_nn)), {6, 8, 10, 12, 14, 16});
    check(resize(x, {1, 1, 3, 1}, ropts(ResizeMode::linear, C::pytorch_half_pixel)), {1.6666666f, 7, 12.333333f});
    std::vector<float> ceil_asym(64);  // rows / columns read 0,1,1,2,2,3,3,3
    const int m[8] = {0, 1, 1, 2, 2, 3, 3, 3};
    for (int i = 0; i < 64; ++i) ceil_asym[std::size_t(i)] = float(1 + 4 * m[i / 8] + m[i % 8]);
    check(resize(x, {1, 1, 8, 8}, ropts(ResizeMode::nearest, C::asymmetric, ResizeNearest::round_prefer_ceil)), ceil_asym);
    Pool2dParams p = ceil_pool(3, 2, 0);
    check(max_pool2d(x, p), {11, 12, 15, 16});
    check(avg_pool2d(x, p), {6, 7.5, 12, 13.5});
    const Node x24 = placeholder({1, 1, 2, 4});
    const Tensor got = run1(resize(x24, {1, 1, 1, 2}, ropts(ResizeMode::linear, C::align_corners, ResizeNearest::floor,
                                                               {0.6000000238418579, 0.6000000238418579})),
                            x24, Tensor({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_NEAR(got[0], 1.0, 1e-6);
    EXPECT_NEAR(got[1], 3.142857, 1e-5);
}

// Computed (placeholder) indices are clamped to the axis, NaN reads element 0: no out-of-bounds access.
TEST(OnnxGather, RunTimeIndicesAreClamped) {
    const Node x = placeholder({4, 2}), idx = placeholder({5});
    const Node y = gather(x, idx, 0), dx = gather_backward(y, idx, {4, 2}, 0);
    FunctionD f({y, dx}, {x, idx});
    const TensorD xv({4, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
    const TensorD iv({5}, {100, -100, std::numeric_limits<double>::quiet_NaN(), -1, 1e300});
    const auto& r = f(xv, iv);
    EXPECT_EQ(std::vector<double>(r[0].begin(), r[0].end()), (std::vector<double>{30, 31, 0, 1, 0, 1, 30, 31, 30, 31}));
    EXPECT_EQ(std::vector<double>(r[1].begin(), r[1].end()), (std::vector<double>{0, 2, 0, 0, 0, 0, 90, 93}));
}

// Big enough for the OpenMP paths: the result with two threads equals the one-thread result bit for bit, and
// the reference.
TEST(OnnxOps, ThreadedPathsMatchOneThreadAndReference) {
    Rng rng(11);
    const Shape xs{2, 8, 95, 91};  // odd: ceil-mode pooling adds partial windows
    const TensorD xv = uniform(-1, 1)({xs}, rng)[0];
    const Node x = placeholder(xs);
    const TensorD iv({6}, {3, -1, 3, 0, 5, 7});
    std::vector<std::pair<Node, TensorD>> cases = {
        {erf(x), R::unary(xv, [](double e) { return std::erf(e); })},
        {gather(x, constant(iv), 1), R::gather(xv, iv, 1)},
        {gather_backward(x, constant(TensorD({95}, 0.0)), {2, 8, 1, 91}, 2), R::gather_backward(xv, TensorD({95}, 0.0), {2, 8, 1, 91}, 2)},
        {resize(x, {2, 8, 131, 47}, ropts(ResizeMode::linear, ResizeCoordinates::half_pixel)),
         R::resize(xv, {2, 8, 131, 47}, ropts(ResizeMode::linear, ResizeCoordinates::half_pixel))},
        {resize_backward(x, {2, 8, 61, 150}, ropts(ResizeMode::linear, ResizeCoordinates::align_corners)),
         R::resize_backward(xv, {2, 8, 61, 150}, ropts(ResizeMode::linear, ResizeCoordinates::align_corners))},
        {pad(x, {0, 0, 5, 7}, {0, 0, 9, 2}, PadMode::reflect), R::pad(xv, {0, 0, 5, 7}, {0, 0, 9, 2}, PadMode::reflect, 0)},
        {pad_backward(x, {2, 8, 89, 85}, {0, 0, 2, 3}, {0, 0, 4, 3}, PadMode::edge),
         R::pad_backward(xv, {2, 8, 89, 85}, {0, 0, 2, 3}, {0, 0, 4, 3}, PadMode::edge)},
        {max_pool2d(x, ceil_pool(2, 2, 0)), R::max_pool2d(xv, ceil_pool(2, 2, 0))},
        {avg_pool2d(x, ceil_pool(3, 2, 1, true)), R::avg_pool2d(xv, ceil_pool(3, 2, 1, true))},
    };
    const xvis::testing::ThreadGuard guard;
    for (std::size_t c = 0; c < cases.size(); ++c) {
        std::vector<TensorD> got;
        for (int n : {1, 2}) {
            set_num_threads(n);
            got.push_back(run1(cases[c].first, x, xv));
        }
        ASSERT_EQ(got[0].shape(), cases[c].second.shape()) << c;
        for (std::size_t i = 0; i < got[0].size(); ++i) {
            ASSERT_EQ(got[0][i], got[1][i]) << "case " << c << " at " << i;
            ASSERT_NEAR(got[0][i], cases[c].second[i], 1e-12 * (1 + std::fabs(cases[c].second[i]))) << "case " << c << " at " << i;
        }
    }
}

}  // namespace
}  // namespace xvis::test
