// The tests every op-table row runs (rows: op_table_elementwise.cpp, op_table_reduce_layout.cpp,
// op_table_nn.cpp, op_table_fused.cpp, op_table_onnx.cpp, op_table_activation_grad.cpp):
//   Forward: the compiled output in double and in float against the row's double reference;
//   Gradient: gradcheck of sum(out · W), W fixed random weights, w.r.t. every differentiable input (or, for
//             rows without a gradient, that the symbolic gradient is exactly zero); the float gradient
//             against the double one;
//   GradGrad: gradgradcheck of the same scalar (Hessian-vector products against central differences).
#include "op_table.hpp"

#include <xvis/autodiff/gradients.hpp>

#include <algorithm>
#include <cmath>

namespace xvis::test {
namespace {

std::uint64_t seed_of(const std::string& name) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a: reproducible on every platform
    for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
    return h;
}

Inputs placeholders_for(const std::vector<Shape>& shapes) {
    Inputs x;
    for (std::size_t i = 0; i < shapes.size(); ++i) x.push_back(placeholder(shapes[i], "x" + std::to_string(i)));
    return x;
}

Values sample(const OpCase& c) {
    Rng rng(seed_of(c.name));
    Values v = c.sample(c.shapes, rng);
    if (v.size() != c.shapes.size()) throw std::logic_error("sampler of " + c.name + " gave the wrong number of inputs");
    return v;
}

template <class T>
::testing::AssertionResult all_close(const BasicTensor<T>& got, const TensorD& want, double atol, double rtol) {
    if (got.shape() != want.shape())
        return ::testing::AssertionFailure() << "shape " << shape_to_string(got.shape()) << " vs expected "
                                             << shape_to_string(want.shape());
    std::size_t bad = 0, worst = 0;
    double worst_excess = -1;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double d = std::abs(double(got[i]) - want[i]);
        const double excess = std::isnan(d) ? INFINITY : d / (atol + rtol * std::abs(want[i]));
        if (!(excess <= 1.0)) ++bad;
        if (excess > worst_excess) worst_excess = excess, worst = i;
    }
    if (bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << bad << " of " << want.size() << " elements differ; worst at flat index "
                                         << worst << ": got " << double(got[worst]) << ", expected " << want[worst]
                                         << " (atol " << atol << ", rtol " << rtol << ")";
}

// y = sum(out · W): placeholders for the differentiable inputs, constants for the others.
struct Scalarized {
    Node y;
    Inputs diff;
    Values diff_values;
};
Scalarized scalarize(const OpCase& c, const Values& v) {
    Scalarized s;
    Inputs all;
    for (std::size_t i = 0; i < c.shapes.size(); ++i) {
        const bool is_constant =
            std::find(c.constant_inputs.begin(), c.constant_inputs.end(), i) != c.constant_inputs.end();
        if (is_constant) {
            all.push_back(constant(v[i], "c" + std::to_string(i)));
        } else {
            all.push_back(placeholder(c.shapes[i], "x" + std::to_string(i)));
            s.diff.push_back(all.back());
            s.diff_values.push_back(v[i]);
        }
    }
    const Node out = c.build(all);
    Rng rng(seed_of(c.name) ^ 0x5eedull);
    TensorD w(out.shape());
    for (auto& e : w) e = rng.uniform(0.5, 1.5) * (rng.uniform() < 0.5 ? -1.0 : 1.0);
    s.y = sum(mul(out, constant(w, "weights")));
    return s;
}

// Forward in double (against the reference at the same inputs) and in float (against the reference at the
// float-rounded inputs).
TEST_P(OpTableTest, Forward) {
    const OpCase& c = GetParam();
    const Values v = sample(c);
    const Inputs x = placeholders_for(c.shapes);
    const Node out = c.build(x);
    const TensorD want = c.reference(v);
    ASSERT_EQ(shape_to_string(out.shape()), shape_to_string(want.shape())) << "inferred shape";
    FunctionD fd = compile_double({out}, x);
    for (std::size_t i = 0; i < v.size(); ++i) fd.set_input(i, v[i]);
    EXPECT_TRUE(all_close(fd.run()[0], want, 1e-12, 1e-10)) << "double";

    std::vector<Tensor> vf;
    Values rounded;
    for (const auto& t : v) {
        vf.push_back(t.cast<float>());
        rounded.push_back(vf.back().cast<double>());
    }
    const TensorD want_f = c.reference(rounded);
    Function f = compile({out}, x);
    for (std::size_t i = 0; i < vf.size(); ++i) f.set_input(i, vf[i]);
    EXPECT_TRUE(all_close(f.run()[0], want_f, c.float_atol, c.float_rtol)) << "float";
}

// gradcheck of sum(out · W) (or, for rows without a gradient, an exactly zero gradient), then the float
// gradient against the double one.
TEST_P(OpTableTest, Gradient) {
    const OpCase& c = GetParam();
    const Values v = sample(c);
    const Scalarized s = scalarize(c, v);
    const std::vector<Node> grads = gradients(s.y, s.diff);
    if (c.zero_gradient) {
        FunctionD g = compile_double(grads, s.diff);
        for (std::size_t i = 0; i < s.diff.size(); ++i) g.set_input(i, s.diff_values[i]);
        const auto& gv = g.run();
        for (std::size_t i = 0; i < gv.size(); ++i)
            for (std::size_t j = 0; j < gv[i].size(); ++j)
                ASSERT_EQ(gv[i][j], 0.0) << "gradient of input " << i << " at flat index " << j;
    } else {
        const GradcheckResult r = gradcheck(s.y, s.diff, s.diff_values, c.grad);
        EXPECT_TRUE(r.ok) << r.message;
        std::size_t total = 0;
        for (const auto& t : s.diff_values) total += t.size();
        EXPECT_EQ(r.checked, total);
    }

    std::vector<Tensor> vf;
    Values rounded;
    for (const auto& t : s.diff_values) {
        vf.push_back(t.cast<float>());
        rounded.push_back(vf.back().cast<double>());
    }
    FunctionD gd = compile_double(grads, s.diff);
    Function gf = compile(grads, s.diff);
    for (std::size_t i = 0; i < s.diff.size(); ++i) {
        gd.set_input(i, rounded[i]);
        gf.set_input(i, vf[i]);
    }
    const std::vector<TensorD> want = gd.run();
    const auto& got = gf.run();
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_TRUE(all_close(got[i], want[i], 10 * c.float_atol, 10 * c.float_rtol)) << "float gradient of input " << i;
}

// Second derivatives: every VJP is built from differentiable ops (for linear ops the check confirms the
// gradient graph differentiates to zero).
TEST_P(OpTableTest, GradGrad) {
    const OpCase& c = GetParam();
    if (c.zero_gradient) return;
    const Values v = sample(c);
    const Scalarized s = scalarize(c, v);
    const GradcheckResult r = gradgradcheck(s.y, s.diff, s.diff_values, c.grad);
    EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Elementwise, OpTableTest, ::testing::ValuesIn(elementwise_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(ReduceLayout, OpTableTest, ::testing::ValuesIn(reduce_layout_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(NN, OpTableTest, ::testing::ValuesIn(nn_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Fused, OpTableTest, ::testing::ValuesIn(fused_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(ConvFused, OpTableTest, ::testing::ValuesIn(conv_fused_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(ActivationGrad, OpTableTest, ::testing::ValuesIn(activation_grad_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Onnx, OpTableTest, ::testing::ValuesIn(onnx_cases()), case_name);

}  // namespace xvis::test
