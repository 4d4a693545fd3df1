// Reductions against the naive reference: every axis mask, sum and max, NaN in max, accuracy of a large
// float sum, sum_to for every kind of broadcast it undoes; float and double, 1 and 2 threads.
#include "reference/reduce_reference.hpp"
#include "support/thread_guard.hpp"

#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace xvis;
using kernels::ReduceOp;

template <class T>
void expect_close(const T* got, const std::vector<double>& want, double rt, const std::string& what) {
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double g = got[i], w = want[i];
        if (std::isnan(w) || std::isnan(g)) {
            if (std::isnan(w) != std::isnan(g)) {
                ADD_FAILURE() << what << ": element " << i << " is " << g << ", expected " << w;
                return;
            }
            continue;
        }
        if (!(std::fabs(g - w) <= rt * (1.0 + std::fabs(w)))) {
            ADD_FAILURE() << what << ": element " << i << " is " << g << ", expected " << w;
            return;
        }
    }
}

using xvis::testing::ThreadGuard;

template <class T>
constexpr double tol() { return sizeof(T) == 4 ? 1e-5 : 1e-12; }

Shape keepdims(const Shape& s, std::uint32_t mask) {
    Shape y = s;
    for (std::size_t d = 0; d < s.size(); ++d)
        if (mask & (1u << d)) y[d] = 1;
    return y;
}

template <class T>
void check_every_mask(const Shape& sx, bool with_nan) {
    ThreadGuard guard;
    auto x = random_uniform<T>(sx, -1, 1, 7 + sx.size());
    if (with_nan && x.size() > 5) x[x.size() / 3] = std::numeric_limits<T>::quiet_NaN();
    for (std::uint32_t mask = 0; mask < (1u << sx.size()); ++mask)
        for (const ReduceOp op : {ReduceOp::sum, ReduceOp::max}) {
            if (with_nan && op == ReduceOp::sum) continue;
            const auto want = reference::reduce(op, x.data(), sx, mask);
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                BasicTensor<T> y(keepdims(sx, mask), T(-77));
                kernels::reduce(op, x.data(), sx, mask, y.data());
                expect_close(y.data(), want, tol<T>(),
                             std::string(op == ReduceOp::sum ? "sum" : "max") + " of " + shape_to_string(sx) +
                                 " mask " + std::to_string(mask) + " threads " + std::to_string(threads));
            }
        }
}

TEST(Reduce, EveryMaskRank4Float) { check_every_mask<float>({3, 4, 5, 6}, false); }
TEST(Reduce, EveryMaskRank4Double) { check_every_mask<double>({3, 4, 5, 6}, false); }
TEST(Reduce, EveryMaskWithUnitExtents) { check_every_mask<float>({5, 1, 7, 1}, false); }
TEST(Reduce, EveryMaskRank6) { check_every_mask<double>({2, 3, 1, 4, 2, 3}, false); }
TEST(Reduce, EveryMaskAboveParallelThreshold) { check_every_mask<float>({2, 64, 17, 19}, false); }
TEST(Reduce, Rank0AndRank1) {
    check_every_mask<float>({}, false);
    check_every_mask<double>({1}, false);
    check_every_mask<float>({37}, false);
}
TEST(Reduce, MaxPropagatesNaNFloat) { check_every_mask<float>({3, 4, 5, 6}, true); }
TEST(Reduce, MaxPropagatesNaNDouble) { check_every_mask<double>({4, 9, 33}, true); }

TEST(Reduce, ManyRowsAndColumns) {
    check_every_mask<float>({3000, 13}, false);
    check_every_mask<float>({7, 9000}, false);
    check_every_mask<double>({300, 300}, false);
}

TEST(Reduce, EmptyAxisSumIsZero) {
    float y[3] = {5, 5, 5};
    kernels::reduce(ReduceOp::sum, static_cast<const float*>(nullptr), Shape{0, 3}, 1u, y);
    for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST(Reduce, LargeFloatSumIsAccurate) {
    ThreadGuard guard;
    // 150k values with a large common offset: naive float accumulation loses about 1e-3 relative here.
    auto x = random_uniform<float>({150001}, 0.0, 1.0, 11);
    for (auto& v : x) v += 1000.0f;
    double want = 0.0;
    for (float v : x) want += v;
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        float full = 0;
        kernels::reduce(ReduceOp::sum, x.data(), x.shape(), 1u, &full);
        EXPECT_NEAR(full, want, 1e-6 * want) << "threads " << threads;
        // The same values as a column sum (leading-axis reduction) and as row sums.
        float col[10];
        kernels::reduce(ReduceOp::sum, x.data(), Shape{15000, 10}, 1u, col);
        for (std::size_t j = 0; j < 10; ++j) {
            double w = 0;
            for (std::size_t i = 0; i < 15000; ++i) w += x[i * 10 + j];
            EXPECT_NEAR(col[j], w, 1e-6 * w) << "column " << j;
        }
    }
}

template <class T>
void check_sum_to() {
    ThreadGuard guard;
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{2, 3, 4}, {3, 4}},       {{2, 3, 4}, {4}},           {{2, 3, 4}, {1, 4}},
        {{2, 3, 4}, {3, 1}},       {{2, 3, 4}, {}},            {{2, 3, 4}, {1}},
        {{2, 3, 4}, {2, 1, 4}},    {{2, 3, 4}, {2, 3, 4}},     {{2, 3, 4}, {1, 1, 1}},
        {{5, 1, 4}, {1, 4}},       {{}, {}},                   {{1}, {}},
        {{2, 64, 17, 19}, {64, 1, 1}}, {{2, 64, 17, 19}, {1, 64, 1, 1}}, {{300, 129}, {300, 1}},
        {{2, 1, 3, 1, 4, 5}, {3, 1, 1, 5}},
    };
    for (const auto& [sx, sy] : cases) {
        ASSERT_TRUE(broadcastable_to(sy, sx));
        const auto x = random_uniform<T>(sx, -1, 1, 3);
        const auto want = reference::sum_to(x.data(), sx, sy);
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            BasicTensor<T> y(sy, T(-77));
            kernels::sum_to(x.data(), sx, y.data(), sy);
            expect_close(y.data(), want, tol<T>(), "sum_to " + shape_to_string(sx) + " -> " + shape_to_string(sy));
        }
    }
}
TEST(Reduce, SumToFloat) { check_sum_to<float>(); }
TEST(Reduce, SumToDouble) { check_sum_to<double>(); }

}  // namespace
