// Typed op attributes: the OpAttributes container (typed getters and their errors, display form, exact doubles)
// and, for every op with parameters, the exact typed attributes it reports.
#include <xvis/autodiff/dot.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/op.hpp>
#include <xvis/autodiff/ops.hpp>

#include "support/error_message.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace xvis::test {
namespace {

using I = std::vector<std::int64_t>;
using D = std::vector<double>;
using xvis::testing::message_of;

TEST(OpAttributes, TypedGettersReturnExactValues) {
    OpAttributes a("my_op");
    a.add_int("groups", 3).add_double("alpha", 0.1).add_ints("stride", I{2, 1}).add_doubles("scales", D{0.5, 1.0 / 3.0});
    a.add_bool("ceil_mode", true).add_enum("mode", 1, "linear").add_ints("shape", Shape{4, 5});
    EXPECT_EQ(a.size(), 7u);
    EXPECT_EQ(a.op_type(), "my_op");
    EXPECT_EQ(a.get_int("groups"), 3);
    EXPECT_EQ(a.get_double("alpha"), 0.1);
    EXPECT_EQ(a.get_ints("stride"), (I{2, 1}));
    EXPECT_EQ(a.get_doubles("scales"), (D{0.5, 1.0 / 3.0}));
    EXPECT_EQ(a.get_int("ceil_mode"), 1);
    EXPECT_EQ(a.get_int("mode"), 1);
    EXPECT_EQ(a.get_ints("shape"), (I{4, 5}));
    EXPECT_EQ(a[0].name, "groups");
    EXPECT_EQ(a[6].name, "shape");
    EXPECT_TRUE(a.has("alpha"));
    EXPECT_FALSE(a.has("beta"));
    EXPECT_EQ(a.find("beta"), nullptr);
}

TEST(OpAttributes, MissingOrMistypedAttributeNamesTheCallOpAttributeAndWhatIsThere) {
    OpAttributes a("conv2d");
    a.add_ints("stride", I{2, 2}).add_int("groups", 1);
    std::string m = message_of<std::invalid_argument>([&] { a.get_double("alpha"); });
    for (const char* s : {"get_double", "conv2d", "'alpha'", "stride=[2, 2] groups=1"})
        EXPECT_NE(m.find(s), std::string::npos) << s << " not in: " << m;
    m = message_of<std::invalid_argument>([&] { a.get_int("stride"); });
    for (const char* s : {"get_int", "conv2d", "'stride'", "a list of integers, not an integer", "groups=1"})
        EXPECT_NE(m.find(s), std::string::npos) << s << " not in: " << m;
    m = message_of<std::invalid_argument>([&] { a.get_double("groups"); });  // no conversions
    EXPECT_NE(m.find("an integer, not a double"), std::string::npos) << m;
    m = message_of<std::invalid_argument>([&] { a.get_doubles("stride"); });
    EXPECT_NE(m.find("not a list of doubles"), std::string::npos) << m;
    m = message_of<std::invalid_argument>([&] { OpAttributes("relu").get_ints("perm"); });
    EXPECT_NE(m.find("relu"), std::string::npos) << m;
    EXPECT_NE(m.find("no attributes"), std::string::npos) << m;
    EXPECT_THROW(a.add_int("groups", 2), std::logic_error);  // names are unique
}

TEST(OpAttributes, DisplayIsReadableAndDoublesReadBackExactly) {
    OpAttributes a("x");
    a.add_ints("stride", I{2, 2}).add_double("alpha", 0.3).add_enum("mode", 1, "linear").add_doubles("scales", D{2, 0.5});
    EXPECT_EQ(to_string(a), "stride=[2, 2] alpha=0.3 mode=linear scales=[2, 0.5]");
    EXPECT_EQ(to_string(OpAttributes("relu")), "");
    EXPECT_EQ(to_string(AttributeValue(std::int64_t{-7})), "-7");
    EXPECT_EQ(to_string(AttributeValue(I{})), "[]");
    EXPECT_EQ(to_string(AttributeValue(1e-5)), "1e-05");
    EXPECT_EQ(to_string(AttributeValue(std::numeric_limits<double>::quiet_NaN())), "nan");
    EXPECT_EQ(to_string(AttributeValue(-std::numeric_limits<double>::infinity())), "-inf");
    for (double v : {1.0 / 3.0, 0.1, 0.6000000238418579, -2.5e-300, 1e300, 5e-324, std::nextafter(1.0, 2.0)}) {
        const std::string s = to_string(AttributeValue(v));
        EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
        EXPECT_LE(s.size(), 24u) << s;
    }
}

TEST(OpAttributes, EqualityComparesNamesValuesLabelsAndOrder) {
    OpAttributes a("a"), b("b");
    a.add_int("k", 1).add_double("v", 0.5);
    b.add_int("k", 1).add_double("v", 0.5);
    EXPECT_EQ(a, b);  // the op type is not compared
    OpAttributes c;
    c.add_double("v", 0.5).add_int("k", 1);
    EXPECT_NE(a, c);
    OpAttributes d;
    d.add_int("k", 1).add_double("v", 0.5 + 1e-16);
    EXPECT_NE(a, d);
    OpAttributes e, f;
    e.add_enum("mode", 0, "nearest");
    f.add_int("mode", 0);
    EXPECT_NE(e, f);
}

// The op's attributes, checked for its type too (attributes() names the op in its errors).
OpAttributes attrs(const Node& n) {
    OpAttributes a = n.op().attributes();
    EXPECT_EQ(a.op_type(), n.type());
    return a;
}

TEST(OpAttributes, ElementwiseAndFusedOpsReportTheirScalarsExactly) {
    const Node x = placeholder({1, 2, 3, 3}, "x");
    EXPECT_EQ(attrs(leaky_relu(x, 0.1)), OpAttributes().add_double("alpha", 0.1));
    EXPECT_EQ(attrs(leaky_relu(x)), OpAttributes().add_double("alpha", 0.01));
    EXPECT_EQ(attrs(relu_grad(x, x, 0.2)), OpAttributes().add_double("alpha", 0.2));
    EXPECT_EQ(attrs(pow(x, -1.5)), OpAttributes().add_double("p", -1.5));
    EXPECT_EQ(attrs(scale(x, 1.0 / 3.0)), OpAttributes().add_double("s", 1.0 / 3.0));
    EXPECT_EQ(attrs(add_scalar(x, 1e-3)), OpAttributes().add_double("s", 1e-3));
    EXPECT_EQ(attrs(x / 7.0), OpAttributes().add_double("s", 1.0 / 7.0));
    EXPECT_EQ(attrs(lp_sum(x, 2.5)), OpAttributes().add_double("p", 2.5));
    EXPECT_EQ(attrs(tv_sum(x, 1.25, 1)), OpAttributes().add_double("beta", 1.25).add_int("channel_axis", 1));
    // The VJP-only gradient ops carry their forward op's attributes.
    const Node lp_grad = gradients(lp_sum(x, 2.5), {x})[0];
    EXPECT_EQ(lp_grad.type(), "lp_sum_grad");
    EXPECT_EQ(attrs(lp_grad), OpAttributes().add_double("p", 2.5));
    const Node tv_grad = gradients(tv_sum(x, 1.25, 1), {x})[0];
    EXPECT_EQ(tv_grad.type(), "tv_sum_grad");
    EXPECT_EQ(attrs(tv_grad), OpAttributes().add_double("beta", 1.25).add_int("channel_axis", 1));
    EXPECT_EQ(attrs(broadcast_to(placeholder({3}), {2, 3})), OpAttributes().add_ints("shape", I{2, 3}));
    EXPECT_EQ(attrs(sum_to(placeholder({2, 3}), {3})), OpAttributes().add_ints("shape", I{3}));
    for (const Node& n : {relu(x), exp(x), x + x, where(x, x, x), stop_gradient(x), erf(x), global_avg_pool(x)})
        EXPECT_TRUE(attrs(n).empty()) << n.type() << ": " << to_string(attrs(n));
}

TEST(OpAttributes, LayoutAndReductionOpsReportTheirShapesAndAxes) {
    const Node x = placeholder({2, 3, 4}, "x");
    EXPECT_EQ(attrs(reshape(x, {4, 6})), OpAttributes().add_ints("shape", I{4, 6}));
    EXPECT_EQ(attrs(transpose(x, {2, 0, 1})), OpAttributes().add_ints("perm", I{2, 0, 1}));
    // Normalized: begin 1, extent 2, step 1 on axis 0; the whole axis 1; axis 2 backwards from 3 in steps of 2.
    const Node s = slice(x, {-1}, {slice_full, slice_full, 0}, {-1, 1, -2});
    EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
    const OpAttributes slice_attrs = OpAttributes().add_ints("begin", I{1, 0, 3}).add_ints("end", I{-1, 3, -1}).add_ints("step", I{-1, 1, -2});
    EXPECT_EQ(attrs(s), slice_attrs);
    const Node sb = gradients(sum(s), {x})[0];
    ASSERT_EQ(sb.type(), "slice_backward");
    EXPECT_EQ(attrs(sb), OpAttributes(slice_attrs).add_ints("x_shape", I{2, 3, 4}));
    EXPECT_EQ(attrs(pad(x, {1}, {0, 2}, 1.5)), OpAttributes()
                                                    .add_ints("before", I{1, 0, 0})
                                                    .add_ints("after", I{0, 2, 0})
                                                    .add_enum("mode", std::int64_t(PadMode::constant), "constant")
                                                    .add_double("value", 1.5));
    EXPECT_EQ(attrs(concat({x, x}, -2)), OpAttributes().add_int("axis", -2));
    EXPECT_EQ(attrs(roll(x, {1, 2, -1}, {2, 0, 2})), OpAttributes().add_ints("shifts", I{2, 0, 0}).add_ints("axes", I{0, 1, 2}));
    const Node r = sum(x, {-1, 0}, false).inputs()[0];  // the primitive, under the reshape that drops the axes
    EXPECT_EQ(attrs(r), OpAttributes().add_ints("axes", I{0, 2}).add_int("keepdims", 1));
    EXPECT_EQ(attrs(max(x, {1}, true)), OpAttributes().add_ints("axes", I{1}).add_int("keepdims", 1));
    EXPECT_EQ(attrs(gather(x, placeholder({5}), -1)), OpAttributes().add_int("axis", -1));
    EXPECT_EQ(attrs(gather_backward(placeholder({2, 5, 4}), placeholder({5}), {2, 3, 4}, 1)),
              OpAttributes().add_int("axis", 1).add_ints("x_shape", I{2, 3, 4}));
    EXPECT_EQ(attrs(pad(x, {0, 1, 2}, {0, 1, 3}, PadMode::reflect)),
              OpAttributes().add_ints("before", I{0, 1, 2}).add_ints("after", I{0, 1, 3}).add_enum("mode", 1, "reflect"));
    EXPECT_EQ(attrs(pad_backward(placeholder({2, 5, 9}), {2, 3, 4}, {0, 1, 2}, {0, 1, 3}, PadMode::edge)),
              OpAttributes().add_ints("before", I{0, 1, 2}).add_ints("after", I{0, 1, 3}).add_enum("mode", 2, "edge"));
}

TEST(OpAttributes, ConvolutionPoolingMatmulAndResizeReportEveryParameter) {
    kernels::Conv2dParams p;
    p.stride_h = 2, p.stride_w = 1, p.pad_top = 1, p.pad_bottom = 0, p.pad_left = 2, p.pad_right = 3;
    p.dilation_h = 1, p.dilation_w = 2, p.groups = 2;
    const Node x = placeholder({1, 4, 7, 7}, "x"), w = placeholder({6, 2, 3, 3}, "w");
    const Node y = conv2d(x, w, p);
    const OpAttributes conv = OpAttributes()
                                  .add_ints("stride", I{2, 1})
                                  .add_ints("pad", I{1, 0, 2, 3})  // top, bottom, left, right
                                  .add_ints("dilation", I{1, 2})
                                  .add_int("groups", 2);
    EXPECT_EQ(attrs(y), conv);
    EXPECT_EQ(to_string(attrs(y)), "stride=[2, 1] pad=[1, 0, 2, 3] dilation=[1, 2] groups=2");
    EXPECT_EQ(attrs(conv2d_backward_data(placeholder(y.shape()), w, x.shape(), p)), OpAttributes(conv).add_ints("x_shape", I{1, 4, 7, 7}));
    EXPECT_EQ(attrs(conv2d_backward_weights(x, placeholder(y.shape()), w.shape(), p)),
              OpAttributes(conv).add_ints("w_shape", I{6, 2, 3, 3}));

    kernels::Pool2dParams q;
    q.kernel_h = 3, q.kernel_w = 2, q.stride_h = 2, q.stride_w = 1, q.pad_top = 1, q.pad_bottom = 0, q.pad_left = 1;
    q.pad_right = 0, q.ceil_mode = true, q.count_include_pad = true;
    const OpAttributes pool = OpAttributes()
                                  .add_ints("kernel", I{3, 2})
                                  .add_ints("stride", I{2, 1})
                                  .add_ints("pad", I{1, 0, 1, 0})
                                  .add_int("ceil_mode", 1)
                                  .add_int("count_include_pad", 1);
    const Node mp = max_pool2d(x, q), ap = avg_pool2d(x, q);
    for (const Node& n : {mp, ap, max_pool2d_backward(x, placeholder(mp.shape()), q), max_pool2d_select(x, x, q)})
        EXPECT_EQ(attrs(n), pool) << n.type();
    EXPECT_EQ(attrs(avg_pool2d_backward(placeholder(ap.shape()), x.shape(), q)), OpAttributes(pool).add_ints("x_shape", I{1, 4, 7, 7}));

    EXPECT_EQ(attrs(matmul(placeholder({3, 2}), placeholder({4, 3}), true, true)),
              OpAttributes().add_int("trans_a", 1).add_int("trans_b", 1));
    EXPECT_EQ(attrs(matmul(placeholder({2, 3}), placeholder({3, 4}))), OpAttributes().add_int("trans_a", 0).add_int("trans_b", 0));

    ResizeOptions o;
    o.mode = ResizeMode::linear, o.coordinates = ResizeCoordinates::align_corners, o.nearest = ResizeNearest::ceil;
    o.scales = {0.6000000238418579, 2.5};
    const OpAttributes rs = OpAttributes()
                                .add_enum("mode", 1, "linear")
                                .add_enum("coordinates", 2, "align_corners")
                                .add_enum("nearest", 3, "ceil")
                                .add_doubles("scales", D{0.6000000238418579, 2.5});
    EXPECT_EQ(attrs(resize(x, {1, 4, 4, 17}, o)), OpAttributes(rs).add_ints("y_shape", I{1, 4, 4, 17}));
    EXPECT_EQ(attrs(resize_backward(placeholder({1, 4, 4, 17}), x.shape(), o)), OpAttributes(rs).add_ints("x_shape", I{1, 4, 7, 7}));
    EXPECT_EQ(to_string(attrs(resize(x, {1, 4, 4, 17}, o))),
              "mode=linear coordinates=align_corners nearest=ceil scales=[0.6000000238418579, 2.5] y_shape=[1, 4, 4, 17]");
}

}  // namespace
}  // namespace xvis::test
