// Compiled functions: results, repeated runs, parameters, no allocation after the first run (global operator
// new/delete are counting versions: tests/support/counting_allocator.cpp), buffer reuse, dead-node
// elimination, concurrency of separate functions, error cases, and float/double agreement.
#include "small_cnn.hpp"

#include <xvis/autodiff/function.hpp>
#include <xvis/autodiff/gradients.hpp>
#include <xvis/autodiff/ops.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <thread>

// Allocations are counted by tests/support/counting_allocator.cpp (linked into this executable).
#include "support/counting_allocator.hpp"

namespace xvis::test {
namespace {

// Allocations since construction.
class AllocationCounter {
public:
    long count() const { return xvis::testing::allocation_count() - start_; }

private:
    long start_ = xvis::testing::allocation_count();
};

std::vector<float> as_vector(const Tensor& t) { return std::vector<float>(t.begin(), t.end()); }

TEST(AllocationCounting, SeesEveryVariant) {
    long n = 0;
    {
        AllocationCounter c;
        void* volatile p = ::operator new(16);
        ::operator delete(p);
        void* volatile q = ::operator new(64, std::align_val_t{64});
        ::operator delete(q, std::align_val_t{64});
        Tensor t({4, 4});  // the tensor allocator goes through aligned operator new
        n = c.count();
    }
    EXPECT_GE(n, 3);
}

TEST(Function, ComputesItsOutputs) {
    const Node a = placeholder({2, 2}, "a"), b = placeholder({2}, "b");
    Function f = compile({a + b, a * b, sum(a)}, {a, b});
    EXPECT_EQ(f.num_inputs(), 2u);
    EXPECT_EQ(f.num_outputs(), 3u);
    const Tensor av({2, 2}, {1, 2, 3, 4}), bv({2}, {10, 20});
    const auto& r = f(av, bv);
    EXPECT_EQ(as_vector(r[0]), (std::vector<float>{11, 22, 13, 24}));
    EXPECT_EQ(as_vector(r[1]), (std::vector<float>{10, 40, 30, 80}));
    EXPECT_EQ(r[2].shape(), Shape{});
    EXPECT_EQ(r[2].item(), 10.0f);
    EXPECT_EQ(&f.output(1), &r[1]);
}

TEST(Function, OutputsThatAreLeavesViewsOrRepeated) {
    const Node x = placeholder({2, 3}, "x");
    const Node c = constant(Tensor({2}, {5, 6}), "c");
    const Node e = exp(x);
    Function f = compile({x, c, reshape(x, {3, 2}), e, e, reshape(e, {6}), stop_gradient(e)}, {x});
    const Tensor xv({2, 3}, {0, 1, -1, 0.5f, 2, -2});
    const auto& r = f(xv);
    EXPECT_EQ(as_vector(r[0]), as_vector(xv));
    EXPECT_EQ(as_vector(r[1]), (std::vector<float>{5, 6}));
    EXPECT_EQ(r[2].shape(), (Shape{3, 2}));
    EXPECT_EQ(as_vector(r[2]), as_vector(xv));
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_FLOAT_EQ(r[3][i], std::exp(xv[i]));
        EXPECT_EQ(r[4][i], r[3][i]);
        EXPECT_EQ(r[5][i], r[3][i]);
        EXPECT_EQ(r[6][i], r[3][i]);
    }
}

TEST(Function, ViewOutputKeepsItsBufferWhileLaterOpsRun) {
    const Node x = placeholder({8}, "x");
    const Node h = exp(x);  // its buffer must survive: reshape(h) is an output, copied at the end of the run
    Node chain = tanh(h);
    for (int i = 0; i < 10; ++i) chain = chain * 1.1 + 0.1;
    auto w = std::make_shared<Tensor>(Shape{2}, std::vector<float>{7, 8});
    Function f = compile({reshape(h, {2, 4}), chain, parameter(w, "w")}, {x});
    Tensor xv({8});
    for (std::size_t i = 0; i < 8; ++i) xv[i] = 0.1f * float(i);
    const auto& r = f(xv);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(r[0][i], std::exp(xv[i])) << i;
    EXPECT_EQ(as_vector(r[2]), (std::vector<float>{7, 8}));
    (*w)[1] = 9;
    EXPECT_EQ(as_vector(f(xv)[2]), (std::vector<float>{7, 9}));
}

TEST(Function, RepeatedRunsWithChangingInputs) {
    const Node x = placeholder({3}, "x"), y = placeholder({3}, "y");
    const Node out = sum(x * y + exp(x) * 0.5);
    Function f = compile({out, gradients(out, {x})[0]}, {x, y});
    for (int k = 0; k < 25; ++k) {
        const Tensor xv({3}, {0.1f * k, -0.2f * k, 1.0f}), yv({3}, {1.0f, float(k), -float(k)});
        double want = 0;
        for (std::size_t i = 0; i < 3; ++i) want += double(xv[i]) * yv[i] + std::exp(double(xv[i])) * 0.5;
        const auto& r = f(xv, yv);
        EXPECT_NEAR(r[0].item(), want, 1e-4 * (1 + std::abs(want))) << "run " << k;
        for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(r[1][i], yv[i] + 0.5 * std::exp(double(xv[i])), 1e-4) << "run " << k;
    }
}

TEST(Function, SeesParametersChangedBetweenRuns) {
    auto w = std::make_shared<Tensor>(Shape{2}, std::vector<float>{1, 2});
    const Node x = placeholder({2}, "x");
    const Node y = x * parameter(w, "w");
    Function f = compile({y}, {x});
    FunctionD fd = compile_double({y}, {x});
    const Tensor xv({2}, {3, 4});
    const TensorD xd({2}, {3, 4});
    EXPECT_EQ(as_vector(f(xv)[0]), (std::vector<float>{3, 8}));
    EXPECT_EQ(fd(xd)[0][1], 8.0);
    (*w)[0] = -1;
    (*w)[1] = 0.5f;
    EXPECT_EQ(as_vector(f(xv)[0]), (std::vector<float>{-3, 2}));
    EXPECT_EQ(fd(xd)[0][0], -3.0);
    EXPECT_EQ(fd(xd)[0][1], 2.0);
}

// Allocations over 50 runs of f (float) and of its double twin, after one warm-up run each.
std::pair<long, long> allocations_over_50_runs(const std::vector<Node>& outs, const Node& input, Tensor img) {
    Function f = compile(outs, {input});
    FunctionD fd = compile_double(outs, {input});
    const TensorD imgd = img.cast<double>();
    f(img);
    fd(imgd);
    std::pair<long, long> n{-1, -1};
    {
        AllocationCounter counter;
        for (int k = 0; k < 50; ++k) {
            img[std::size_t(k) % img.size()] += 0.01f;  // new values each run
            f(img);
        }
        n.first = counter.count();
    }
    {
        AllocationCounter counter;
        for (int k = 0; k < 50; ++k) {
            fd.set_input(0, imgd);
            fd.run();
        }
        n.second = counter.count();
    }
    return n;
}

TEST(Function, NoHeapAllocationAfterTheFirstRun) {
    const auto values = small_cnn_values();
    const SmallCnnParams params = small_cnn_params(values);
    const Node image = placeholder(SmallCnnShapes{}.image, "image");
    const Node loss = small_cnn_loss(image, params.nodes[0], params.nodes[1], params.nodes[2], params.nodes[3]);
    std::vector<Node> outs = {loss};
    for (const auto& g : gradients(loss, {image, params.nodes[0], params.nodes[1], params.nodes[2], params.nodes[3]}))
        outs.push_back(g);
    const auto [float_allocs, double_allocs] = allocations_over_50_runs(outs, image, values[0].cast<float>());
    EXPECT_EQ(float_allocs, 0) << "float CNN loss + gradients (conv2d, backward data, backward weights, max_pool, ...)";
    EXPECT_EQ(double_allocs, 0) << "double CNN loss + gradients";
}

// The same without convolutions, to localize a failure of the test above.
TEST(Function, NoHeapAllocationAfterTheFirstRunWithoutConvolutions) {
    const Node x = placeholder({2, 1, 6, 6}, "x");
    kernels::Pool2dParams pool;
    auto w = std::make_shared<Tensor>(random_uniform<float>({18, 5}, -0.5, 0.5, 3));
    const Node wn = parameter(w, "w");
    const Node h = relu(avg_pool2d(max_pool2d(x, pool), {1, 1, 1, 1}) * 2.0);  // [2, 1, 3, 3]
    const Node logits = matmul(concat({flatten(h), flatten(slice(pad(h, {0, 0, 1}, {0, 0, 1}), {}, {}, {1, 1, 2}))}, 1), wn);
    const Node loss = softmax_cross_entropy(logits, constant(Tensor({2, 5}, 0.2f), "labels")) + mean(global_avg_pool(x));
    std::vector<Node> outs = {loss};
    for (const auto& g : gradients(loss, {x, wn})) outs.push_back(g);
    const auto [float_allocs, double_allocs] =
        allocations_over_50_runs(outs, x, random_uniform<float>({2, 1, 6, 6}, -1, 1, 4));
    EXPECT_EQ(float_allocs, 0);
    EXPECT_EQ(double_allocs, 0);
}

TEST(Function, ReusesBuffersAlongAChain) {
    const Node x = placeholder({64}, "x");
    Node h = x;
    for (int i = 0; i < 40; ++i) h = (i % 2 == 0) ? tanh(h) : h * 1.5;
    Function f = compile({h}, {x});
    EXPECT_EQ(f.num_steps(), 40u);
    EXPECT_LE(f.num_buffers(), 3u) << f.plan_string();
    EXPECT_LE(f.buffer_elements(), 3u * 64u);
    Tensor xv({64}, 0.25f);
    float want = 0.25f;
    for (int i = 0; i < 40; ++i) want = (i % 2 == 0) ? std::tanh(want) : want * 1.5f;
    EXPECT_NEAR(f(xv)[0][0], want, 1e-5);
}

TEST(Function, RunsOnlyTheNeededOps) {
    const Node x = placeholder({4}, "x");
    const Node used = exp(x) + 1.0;                    // exp, add_scalar
    const Node unused = matmul(reshape(x, {2, 2}), reshape(x, {2, 2}));  // never needed
    (void)unused;
    Function f = compile({used}, {x});
    EXPECT_EQ(f.num_steps(), 2u) << f.plan_string();
    Function g = compile({reshape(exp(x), {2, 2})}, {x});  // the view is not a step
    EXPECT_EQ(g.num_steps(), 1u) << g.plan_string();
    // Of two outputs' shared graph, only the requested one's ops run.
    const Node t = tanh(x);  // shared by both outputs
    const Node a = sum(t), b = sum(sigmoid(x) * t);
    EXPECT_EQ(compile({a}, {x}).num_steps(), 2u);
    EXPECT_EQ(compile({a, b}, {x}).num_steps(), 5u);
    EXPECT_NE(f.plan_string().find("exp"), std::string::npos) << f.plan_string();
}

TEST(Function, SeparateFunctionsRunConcurrently) {
    const auto values = small_cnn_values();
    const SmallCnnParams params = small_cnn_params(values);
    const Node image = placeholder(SmallCnnShapes{}.image, "image");
    const Node loss = small_cnn_loss(image, params.nodes[0], params.nodes[1], params.nodes[2], params.nodes[3]);
    const std::vector<Node> outs = {loss, gradients(loss, {image})[0]};
    Function f1 = compile(outs, {image}), f2 = compile(outs, {image});
    const Tensor img1 = values[0].cast<float>();
    const Tensor img2 = random_uniform<float>(SmallCnnShapes{}.image, -1, 1, 99);
    const std::vector<Tensor> want1 = f1(img1), want2 = f2(img2);
    bool same1 = true, same2 = true;
    auto loop = [](Function& f, const Tensor& img, const std::vector<Tensor>& want, bool& same) {
        for (int k = 0; k < 30; ++k) {
            const auto& r = f(img);
            for (std::size_t o = 0; o < r.size(); ++o)
                for (std::size_t i = 0; i < r[o].size(); ++i)
                    if (std::abs(r[o][i] - want[o][i]) > 1e-6f * (1 + std::abs(want[o][i]))) same = false;
        }
    };
    std::thread t1(loop, std::ref(f1), std::cref(img1), std::cref(want1), std::ref(same1));
    std::thread t2(loop, std::ref(f2), std::cref(img2), std::cref(want2), std::ref(same2));
    t1.join();
    t2.join();
    EXPECT_TRUE(same1);
    EXPECT_TRUE(same2);
}

TEST(Function, DoubleAgreesWithFloat) {
    const auto values = small_cnn_values();
    const SmallCnnParams params = small_cnn_params(values);
    const Node image = placeholder(SmallCnnShapes{}.image, "image");
    const Node loss = small_cnn_loss(image, params.nodes[0], params.nodes[1], params.nodes[2], params.nodes[3]);
    std::vector<Node> outs = {loss};
    for (const auto& g : gradients(loss, {image, params.nodes[0], params.nodes[2]})) outs.push_back(g);
    Function f = compile(outs, {image});
    FunctionD fd = compile_double(outs, {image});
    const Tensor img = values[0].cast<float>();
    const auto& rf = f(img);
    const auto& rd = fd(img.cast<double>());
    for (std::size_t o = 0; o < rf.size(); ++o)
        for (std::size_t i = 0; i < rf[o].size(); ++i)
            EXPECT_NEAR(rf[o][i], rd[o][i], 1e-5 + 1e-4 * std::abs(rd[o][i])) << "output " << o << " element " << i;
}

TEST(Function, ErrorCases) {
    const Node x = placeholder({2, 3}, "x_in"), y = placeholder({3}, "y_missing");
    try {
        compile({x + y}, {x});
        ADD_FAILURE() << "a missing placeholder compiled";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("y_missing"), std::string::npos) << e.what();
    }
    Function f = compile({x * 2.0}, {x, y});  // extra inputs are allowed
    try {
        f.set_input(0, Tensor({3, 2}));
        ADD_FAILURE() << "a wrong shape was accepted";
    } catch (const ShapeError& e) {
        const std::string w = e.what();
        EXPECT_NE(w.find("x_in"), std::string::npos) << w;
        EXPECT_NE(w.find("[2, 3]"), std::string::npos) << w;
        EXPECT_NE(w.find("[3, 2]"), std::string::npos) << w;
    }
    EXPECT_THROW(f.set_input(2, Tensor({3})), std::logic_error);
    EXPECT_THROW(f.output(5), std::logic_error);
    EXPECT_THROW(f.run(), std::invalid_argument);  // x was never fed
    EXPECT_THROW(compile({x}, {x * 2.0}), std::invalid_argument);  // inputs must be placeholders
    EXPECT_THROW(compile({}, {x}), std::invalid_argument);
    const Tensor xv({2, 3}, 1.0f);
    EXPECT_EQ(f(xv, Tensor({3}))[0][0], 2.0f);
}

TEST(Function, ProfileTimesEveryStepWithoutAllocating) {
    const Node x = placeholder({1, 2, 8, 8}, "x");
    auto w = std::make_shared<Tensor>(random_uniform<float>({3, 2, 3, 3}, -1, 1, 5));
    const Node y = sum(relu(conv2d(x, parameter(w, "w"), {})));
    Function f = compile({y, gradients(y, {x})[0]}, {x});
    const Tensor xv = random_uniform<float>({1, 2, 8, 8}, -1, 1, 6);
    f(xv);
    for (const auto& s : f.profile()) EXPECT_EQ(s.seconds, 0.0) << "profiling is off by default";
    f.enable_profiling();
    long allocs = 0;
    {
        AllocationCounter counter;
        for (int i = 0; i < 3; ++i) f(xv);
        allocs = counter.count();
    }
    EXPECT_EQ(allocs, 0);
    const auto prof = f.profile();
    ASSERT_EQ(prof.size(), f.num_steps());
    double total = 0;
    bool saw_conv = false;
    for (const auto& s : prof) {
        EXPECT_EQ(s.runs, 3u);
        EXPECT_GE(s.seconds, 0.0);
        total += s.seconds;
        saw_conv |= s.type == "conv2d_fused" && s.shape == Shape{1, 3, 6, 6};  // the convolution and its ReLU
    }
    EXPECT_TRUE(saw_conv);
    EXPECT_GT(total, 0.0);
    const std::string table = f.profile_string(3);
    EXPECT_NE(table.find("profile over 3 runs"), std::string::npos) << table;
    EXPECT_NE(table.find("conv2d"), std::string::npos) << table;
    EXPECT_NE(table.find("slowest steps"), std::string::npos) << table;
    f.enable_profiling(false);  // resets the totals
    f(xv);
    for (const auto& s : f.profile()) EXPECT_EQ(s.seconds, 0.0);
}

TEST(Function, MovedFunctionStillRuns) {
    const Node x = placeholder({2}, "x");
    Function f = compile({x * 3.0}, {x});
    Function g = std::move(f);
    EXPECT_EQ(as_vector(g(Tensor({2}, {1, 2}))[0]), (std::vector<float>{3, 6}));
}

// Found by fuzzing (tests/fuzz/regressions/onnx/empty_input_memcpy_null.onnx): an empty input's data() is null,
// and copying it to an output was memcpy(out, nullptr, 0), undefined behaviour (UBSan in the sanitizer build).
TEST(Function, EmptyTensorsPassThrough) {
    const Node x = placeholder({0, 3}, "x");
    Function f = compile({x, reshape(x, {3, 0}), stop_gradient(x)}, {x});
    const Tensor empty(Shape{0, 3});
    const auto& out = f(empty);
    EXPECT_EQ(out[0].shape(), (Shape{0, 3}));
    EXPECT_EQ(out[1].shape(), (Shape{3, 0}));
    EXPECT_EQ(out[2].shape(), (Shape{0, 3}));
}

}  // namespace
}  // namespace xvis::test
