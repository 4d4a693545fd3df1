// Prepared inputs of compiled functions (autodiff/detail/prepared_inputs.hpp): a convolution's transformed
// weights are kept from the second run on, prepared again exactly when the weights' contents change (however
// they were written), never for weights the graph computes, and the results stay those of a fresh function.
#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>
#include <xvis/tensor/random.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "support/counting_allocator.hpp"

namespace xvis::test {
namespace {

// A 3×3 convolution on 7×7 (ResNet's layer4 size: Winograd only with prepared weights) and the gradient of
// <y, c> with respect to x (conv2d_backward_data of the same weights).
struct ConvGraph {
    Node x = placeholder({1, 32, 7, 7}, "x");
    Node y, dx;
    explicit ConvGraph(const Node& w) {
        kernels::Conv2dParams p;
        p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
        y = conv2d(x, w, p);
        const Node c = constant(random_uniform<float>(y.shape(), -1, 1, 21), "c");
        dx = gradients(sum(y * c), {x})[0];
    }
};

const Tensor& input() {
    static const Tensor x = random_uniform<float>({1, 32, 7, 7}, -1, 1, 22);
    return x;
}

// max |a − b| / (1 + max |b|)
double relative_difference(const Tensor& a, const Tensor& b) {
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
        scale = std::max(scale, std::abs(double(b[i])));
    }
    return diff / (1 + scale);
}

// y and dx from the first run of a new function: nothing prepared.
std::pair<Tensor, Tensor> fresh_run(const std::shared_ptr<Tensor>& w) {
    ConvGraph g(parameter(w, "w"));
    Function f = compile({g.y, g.dx}, {g.x});
    const auto& r = f(input());
    EXPECT_EQ(f.num_preparations(), 0u);
    return {r[0], r[1]};
}

TEST(PreparedInputs, KeptFromTheSecondRunAndPreparedAgainWhenTheWeightsChange) {
    auto w = std::make_shared<Tensor>(random_uniform<float>({24, 32, 3, 3}, -1, 1, 23));
    ConvGraph g(parameter(w, "w"));
    Function f = compile({g.y, g.dx}, {g.x});
    EXPECT_EQ(f.num_prepared(), 2u);  // the forward convolution and its backward-data
    EXPECT_GT(f.prepared_elements(), 2 * w->size());

    const auto first = fresh_run(w);
    f(input());
    EXPECT_EQ(f.num_preparations(), 0u);
    const Tensor y2 = f(input())[0], dx2 = f.output(1);
    EXPECT_EQ(f.num_preparations(), 2u);
    // Winograd (prepared) against the GEMM (the first run): rounding apart, the same.
    EXPECT_LT(relative_difference(y2, first.first), 1e-5);
    EXPECT_LT(relative_difference(dx2, first.second), 1e-5);
    f(input());
    EXPECT_EQ(f.num_preparations(), 2u);  // unchanged weights: nothing prepared again
    EXPECT_EQ(relative_difference(f.output(0), y2), 0.0);

    // Two weights swapped, written through a raw pointer: their sum (and any order-free checksum) is unchanged.
    float* raw = w->data();
    std::swap(raw[5], raw[w->size() - 3]);
    ASSERT_NE(raw[5], raw[w->size() - 3]);
    const auto changed = fresh_run(w);
    const auto& r = f(input());
    EXPECT_EQ(f.num_preparations(), 4u);
    EXPECT_LT(relative_difference(r[0], changed.first), 1e-5);
    EXPECT_LT(relative_difference(r[1], changed.second), 1e-5);
    EXPECT_GT(relative_difference(r[0], y2), 1e-3);  // the swap did change the output

    // Changed and changed back between two runs: what the weights are at the run is what counts.
    std::swap(raw[5], raw[w->size() - 3]);
    f(input());
    EXPECT_EQ(f.num_preparations(), 6u);
    EXPECT_EQ(relative_difference(f.output(0), y2), 0.0);
}

TEST(PreparedInputs, ConstantWeightsArePreparedOnce) {
    ConvGraph g(constant(random_uniform<float>({24, 32, 3, 3}, -1, 1, 24), "w"));
    Function f = compile({g.y, g.dx}, {g.x});
    EXPECT_EQ(f.num_prepared(), 2u);
    for (int k = 0; k < 4; ++k) f(input());
    EXPECT_EQ(f.num_preparations(), 2u);
}

TEST(PreparedInputs, NotForWeightsTheGraphComputes) {
    auto w = std::make_shared<Tensor>(random_uniform<float>({24, 32, 3, 3}, -1, 1, 25));
    ConvGraph g(parameter(w, "w") * 2.0);
    Function f = compile({g.y, g.dx}, {g.x});
    EXPECT_EQ(f.num_prepared(), 0u);
    for (int k = 0; k < 3; ++k) f(input());
    EXPECT_EQ(f.num_preparations(), 0u);
}

// Each function hashes for itself: a change seen by one is still seen by the other.
TEST(PreparedInputs, FunctionsSharingWeightsEachSeeTheChange) {
    auto w = std::make_shared<Tensor>(random_uniform<float>({24, 32, 3, 3}, -1, 1, 26));
    ConvGraph g(parameter(w, "w"));
    Function f1 = compile({g.y}, {g.x}), f2 = compile({g.y}, {g.x});
    for (int k = 0; k < 2; ++k) f1(input()), f2(input());
    (*w)[0] += 1.0f;
    f1(input());
    f2(input());
    EXPECT_EQ(f1.num_preparations(), 2u);
    EXPECT_EQ(f2.num_preparations(), 2u);
    EXPECT_EQ(relative_difference(f1.output(0), f2.output(0)), 0.0);
}

// Functions sharing weights run on separate threads (each hashes them and keeps its own prepared filters):
// every run gives the bits of its function's second run.
TEST(PreparedInputs, FunctionsSharingWeightsRunConcurrently) {
    auto w = std::make_shared<Tensor>(random_uniform<float>({24, 32, 3, 3}, -1, 1, 29));
    ConvGraph g(parameter(w, "w"));
    Function f1 = compile({g.y, g.dx}, {g.x}), f2 = compile({g.y}, {g.x});
    const Tensor x2 = random_uniform<float>({1, 32, 7, 7}, -1, 1, 30);
    f1(input()), f2(x2);
    const std::vector<Tensor> want1 = f1(input()), want2 = f2(x2);
    bool same1 = true, same2 = true;
    auto loop = [](Function& f, const Tensor& x, const std::vector<Tensor>& want, bool& same) {
        for (int k = 0; k < 20; ++k) {
            const auto& r = f(x);
            for (std::size_t o = 0; o < r.size(); ++o)
                if (relative_difference(r[o], want[o]) != 0.0) same = false;
        }
    };
    std::thread t1(loop, std::ref(f1), std::cref(input()), std::cref(want1), std::ref(same1));
    std::thread t2(loop, std::ref(f2), std::cref(x2), std::cref(want2), std::ref(same2));
    t1.join();
    t2.join();
    EXPECT_TRUE(same1);
    EXPECT_TRUE(same2);
    EXPECT_EQ(f1.num_preparations(), 2u);
    EXPECT_EQ(f2.num_preparations(), 1u);
}

// Double functions (gradcheck) prepare from the converted weights and agree with float ones.
TEST(PreparedInputs, DoubleFunctionsToo) {
    auto w = std::make_shared<Tensor>(random_uniform<float>({24, 32, 3, 3}, -1, 1, 27));
    ConvGraph g(parameter(w, "w"));
    FunctionD fd = compile_double({g.y}, {g.x});
    const TensorD xd = input().cast<double>();
    const TensorD y1 = fd(xd)[0];
    const TensorD y2 = fd(xd)[0];
    EXPECT_EQ(fd.num_preparations(), 1u);
    double diff = 0;
    for (std::size_t i = 0; i < y1.size(); ++i) diff = std::max(diff, std::abs(y1[i] - y2[i]));
    EXPECT_LT(diff, 1e-12);
}

// Preparing (on the second run, and after every change of the weights) allocates nothing.
TEST(PreparedInputs, NoHeapAllocation) {
    auto w = std::make_shared<Tensor>(random_uniform<float>({24, 32, 3, 3}, -1, 1, 28));
    ConvGraph g(parameter(w, "w"));
    Function f = compile({g.y, g.dx}, {g.x});
    f(input());
    const long before = xvis::testing::allocation_count();
    for (int k = 0; k < 10; ++k) {
        (*w)[std::size_t(k)] += 0.5f;
        f(input());
    }
    EXPECT_EQ(xvis::testing::allocation_count() - before, 0);
    EXPECT_EQ(f.num_preparations(), 20u);
}

}  // namespace
}  // namespace xvis::test
