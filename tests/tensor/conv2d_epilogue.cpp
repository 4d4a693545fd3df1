// The convolution epilogues against the element-wise kernels they replace, bit for bit (binary add with a
// [K, 1, 1] bias, binary add of the residual, unary relu; binary relu_grad), float and double, 1 and 2 threads,
// with NaN, ±inf and −0 among the values; shapes with few and many rows, above and below the parallel threshold.
#include "support/thread_guard.hpp"

#include <xvis/tensor/conv2d_epilogue.hpp>
#include <xvis/tensor/elementwise.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace {

using namespace xvis;
using kernels::BinaryOp;
using kernels::UnaryOp;

template <class T>
std::vector<T> values(std::size_t n, std::uint64_t seed) {
    const auto t = random_uniform<T>({n}, -1, 1, seed);
    std::vector<T> v(t.begin(), t.end());
    const T specials[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity(), T(-0.0), T(0.0)};
    for (std::size_t i = 0; i < n; i += 97) v[i] = specials[(i / 97) % 5];
    return v;
}

template <class T>
void expect_bits(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(T)), 0) << what << ": element " << i << " is " << got[i] << ", expected " << want[i];
}

template <class T>
void check_shapes(int threads) {
    xvis::testing::ThreadGuard guard;
    set_num_threads(threads);
    struct Case { std::size_t N, K, HW; };
    for (const Case c : {Case{1, 3, 5}, Case{2, 4, 49}, Case{1, 8, 5000}, Case{1, 64, 3136}, Case{3, 16, 17}}) {
        const std::size_t n = c.N * c.K * c.HW;
        const Shape ys{c.N, c.K, c.HW};
        const auto y0 = values<T>(n, 1), bias = values<T>(c.K, 2), res = values<T>(n, 3), mask = values<T>(n, 4);
        for (int combo = 0; combo < 8; ++combo) {
            const bool b = combo & 4, r = combo & 2, relu = combo & 1;
            std::vector<T> want = y0, got = y0;
            if (b) kernels::binary(BinaryOp::add, want.data(), ys, bias.data(), Shape{c.K, 1}, want.data(), ys);
            if (r) kernels::binary(BinaryOp::add, want.data(), ys, res.data(), ys, want.data(), ys);
            if (relu) kernels::unary(UnaryOp::relu, want.data(), want.data(), n);
            kernels::conv2d_epilogue(got.data(), c.N, c.K, c.HW, b ? bias.data() : nullptr, r ? res.data() : nullptr, relu);
            expect_bits(got, want, "conv2d_epilogue " + std::to_string(c.N) + "x" + std::to_string(c.K) + "x" +
                                       std::to_string(c.HW) + " combo " + std::to_string(combo));
        }
        for (bool r : {false, true}) {
            std::vector<T> want = y0, got = y0;
            if (r) kernels::binary(BinaryOp::add, want.data(), ys, res.data(), ys, want.data(), ys);
            kernels::binary(BinaryOp::relu_grad, mask.data(), ys, want.data(), ys, want.data(), ys);
            kernels::relu_mask_epilogue(got.data(), r ? res.data() : nullptr, mask.data(), n);
            expect_bits(got, want, "relu_mask_epilogue size " + std::to_string(n) + (r ? " with residual" : ""));
        }
    }
}

TEST(Conv2dEpilogue, FloatOneThread) { check_shapes<float>(1); }
TEST(Conv2dEpilogue, FloatTwoThreads) { check_shapes<float>(2); }
TEST(Conv2dEpilogue, DoubleOneThread) { check_shapes<double>(1); }
TEST(Conv2dEpilogue, DoubleTwoThreads) { check_shapes<double>(2); }

}  // namespace
