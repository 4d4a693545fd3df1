// Layout kernels against the naive references: all permutations of a rank-4 tensor (and larger, tiled
// ones), slices with positive and negative steps and the adjoint identity of slice_backward, pad then slice,
// roll by negative and oversized shifts, concat; float and double, 1 and 2 threads.
#include "reference/layout_reference.hpp"
#include "support/thread_guard.hpp"

#include <xvis/tensor/layout.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace {

using namespace xvis;

using xvis::testing::ThreadGuard;

template <class T>
void expect_equal(const T* got, const std::vector<T>& want, const std::string& what) {
    for (std::size_t i = 0; i < want.size(); ++i)
        if (got[i] != want[i]) {
            ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << want[i];
            return;
        }
}

template <class T>
void check_all_permutations(const Shape& sx) {
    ThreadGuard guard;
    const auto x = random_uniform<T>(sx, -1, 1, 5);
    std::vector<std::size_t> perm(sx.size());
    std::iota(perm.begin(), perm.end(), 0);
    do {
        const auto want = reference::transpose(x.data(), sx, perm);
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            std::vector<T> y(want.size(), T(-77));
            kernels::transpose(x.data(), sx, perm.data(), y.data());
            std::string p;
            for (auto a : perm) p += std::to_string(a);
            expect_equal(y.data(), want, "transpose " + shape_to_string(sx) + " perm " + p);
        }
    } while (std::next_permutation(perm.begin(), perm.end()));
}
TEST(Layout, TransposeAllPermutationsRank4Float) { check_all_permutations<float>({2, 3, 4, 5}); }
TEST(Layout, TransposeAllPermutationsRank4Double) { check_all_permutations<double>({3, 1, 5, 2}); }
TEST(Layout, TransposeLargeTiled) {
    check_all_permutations<float>({2, 37, 41, 23});   // tiles with ragged edges, above the parallel threshold
    check_all_permutations<float>({1, 3, 70, 65});   // NCHW <-> NHWC of an image
}
TEST(Layout, TransposeRanks0To6) {
    check_all_permutations<float>({});
    check_all_permutations<float>({5});
    check_all_permutations<double>({2, 3, 1, 2, 3});
    check_all_permutations<float>({2, 1, 3, 2, 2, 3});
}

template <class T>
double dot(const T* a, const T* b, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
    return s;
}

template <class T>
void check_slices() {
    ThreadGuard guard;
    struct Case {
        Shape sx;
        std::vector<std::int64_t> begin, step;
        Shape sy;
    };
    const std::vector<Case> cases = {
        {{10}, {0}, {1}, {10}},
        {{10}, {9}, {-1}, {10}},
        {{10}, {8}, {-3}, {3}},
        {{6, 7}, {1, 2}, {2, 1}, {3, 5}},
        {{6, 7}, {5, 6}, {-1, -2}, {6, 4}},
        {{4, 5, 6}, {3, 0, 5}, {-1, 1, -1}, {4, 5, 6}},
        {{4, 5, 6}, {1, 4, 0}, {1, -2, 3}, {2, 3, 2}},
        {{2, 3, 4, 5, 3, 2}, {1, 0, 3, 4, 0, 1}, {-1, 2, -1, -2, 1, -1}, {2, 2, 4, 3, 3, 2}},
        {{64, 33, 20}, {2, 32, 1}, {1, -1, 1}, {60, 33, 18}},  // above the parallel threshold
        {{5, 4}, {0, 0}, {1, 1}, {0, 4}},                      // empty result
        {{}, {}, {}, {}},
    };
    for (const auto& c : cases) {
        const auto x = random_uniform<T>(c.sx, -1, 1, 9);
        const auto dy = random_uniform<T>(c.sy, -1, 1, 10);
        const auto want = reference::slice(x.data(), c.sx, c.begin, c.step, c.sy);
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            const std::string what = "slice " + shape_to_string(c.sx) + " -> " + shape_to_string(c.sy);
            std::vector<T> y(want.size(), T(-77));
            kernels::slice(x.data(), c.sx, c.begin.data(), c.step.data(), y.data(), c.sy);
            expect_equal(y.data(), want, what);
            std::vector<T> dx(x.size(), T(-77));
            kernels::slice_backward(dy.data(), c.sy, c.begin.data(), c.step.data(), dx.data(), c.sx);
            // Adjoint identity <slice(x), dy> == <x, slice_backward(dy)>.
            const double lhs = dot(y.data(), dy.data(), y.size()), rhs = dot(x.data(), dx.data(), x.size());
            EXPECT_NEAR(lhs, rhs, 1e-9 * (1 + std::fabs(lhs))) << what;
            // Every element of dx is either 0 or the dy element that reads it.
            std::size_t nonzero = 0;
            for (auto v : dx) nonzero += v != T(0);
            EXPECT_EQ(nonzero, std::count_if(dy.begin(), dy.end(), [](T v) { return v != T(0); })) << what;
        }
    }
}
TEST(Layout, SliceAndAdjointFloat) { check_slices<float>(); }
TEST(Layout, SliceAndAdjointDouble) { check_slices<double>(); }

template <class T>
void check_pad() {
    ThreadGuard guard;
    const std::vector<std::pair<Shape, std::vector<std::size_t>>> cases = {
        {{5}, {2}}, {{3, 4}, {1, 0}}, {{2, 3, 4, 5}, {0, 1, 2, 3}}, {{2, 8, 60, 61}, {0, 0, 3, 1}},
        {{1, 2, 1, 2, 1, 2}, {1, 0, 1, 0, 1, 0}}, {{}, {}},
    };
    for (const auto& [sx, before] : cases) {
        Shape sy = sx;
        std::vector<std::size_t> after(sx.size());
        for (std::size_t d = 0; d < sx.size(); ++d) {
            after[d] = (d * 7 + 1) % 3;
            sy[d] += before[d] + after[d];
        }
        const auto x = random_uniform<T>(sx, -1, 1, 4);
        const auto want = reference::pad(x.data(), sx, before, T(0.5), sy);
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            std::vector<T> y(want.size(), T(-77));
            kernels::pad(x.data(), sx, before.data(), T(0.5), y.data(), sy);
            expect_equal(y.data(), want, "pad " + shape_to_string(sx) + " -> " + shape_to_string(sy));
            // Slicing the padded tensor at `before` recovers x.
            std::vector<std::int64_t> b(before.begin(), before.end()), step(sx.size(), 1);
            std::vector<T> back(x.size(), T(-77));
            kernels::slice(y.data(), sy, b.data(), step.data(), back.data(), sx);
            expect_equal(back.data(), std::vector<T>(x.begin(), x.end()), "pad then slice " + shape_to_string(sx));
        }
    }
}
TEST(Layout, PadFloat) { check_pad<float>(); }
TEST(Layout, PadDouble) { check_pad<double>(); }

template <class T>
void check_roll() {
    ThreadGuard guard;
    const std::vector<std::pair<Shape, std::vector<std::int64_t>>> cases = {
        {{7}, {3}}, {{7}, {-3}}, {{7}, {17}}, {{7}, {-22}}, {{7}, {0}}, {{7}, {7}},
        {{4, 5}, {1, -2}}, {{4, 5}, {-9, 0}}, {{4, 5}, {0, 0}},
        {{2, 3, 4, 5}, {0, 0, 3, -11}}, {{2, 3, 4, 5}, {1, 2, 0, 0}}, {{2, 3, 4, 5}, {-1, 0, 5, 0}},
        {{1, 3, 128, 129}, {0, 0, -13, 300}},  // an image jitter, above the parallel threshold
        {{2, 1, 3, 2, 2, 3}, {1, 5, -1, 1, 0, 2}}, {{}, {}}, {{3, 0}, {1, 2}},
    };
    for (const auto& [s, shifts] : cases) {
        const auto x = random_uniform<T>(s, -1, 1, 8);
        const auto want = reference::roll(x.data(), s, shifts);
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            std::vector<T> y(want.size(), T(-77));
            kernels::roll(x.data(), s, shifts.data(), y.data());
            expect_equal(y.data(), want, "roll " + shape_to_string(s));
        }
    }
}
TEST(Layout, RollFloat) { check_roll<float>(); }
TEST(Layout, RollDouble) { check_roll<double>(); }

template <class T>
void check_concat() {
    ThreadGuard guard;
    const Shape base{3, 4, 5, 2};
    for (std::size_t axis = 0; axis < base.size(); ++axis) {
        std::vector<Shape> shapes{base, base, base};
        shapes[0][axis] = 1;
        shapes[2][axis] = 3;
        Shape sy = base;
        sy[axis] = shapes[0][axis] + shapes[1][axis] + shapes[2][axis];
        std::vector<BasicTensor<T>> parts;
        std::vector<const T*> ptrs;
        for (std::size_t k = 0; k < 3; ++k) parts.push_back(random_uniform<T>(shapes[k], -1, 1, 20 + k));
        for (auto& p : parts) ptrs.push_back(p.data());
        const auto want = reference::concat(ptrs, shapes, axis, sy);
        std::vector<T> y(want.size(), T(-77));
        std::size_t offset = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            kernels::copy_to_axis_offset(ptrs[k], shapes[k], axis, offset, y.data(), sy);
            offset += shapes[k][axis];
        }
        expect_equal(y.data(), want, "concat axis " + std::to_string(axis));
    }
}
TEST(Layout, ConcatEveryAxisFloat) { check_concat<float>(); }
TEST(Layout, ConcatEveryAxisDouble) { check_concat<double>(); }

}  // namespace
