#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/random.hpp>
#include <xvis/tensor/runtime.hpp>

#include "reference/conv2d_reference.hpp"
#include "support/thread_guard.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace xvis;
using kernels::Conv2dGeometry;
using kernels::Conv2dParams;

namespace {

struct ConvCase {
    const char* name;
    Shape x, w;
    Conv2dParams p;
};

Conv2dParams params(std::size_t stride, std::size_t pt, std::size_t pb, std::size_t pl, std::size_t pr,
                    std::size_t dilation = 1, std::size_t groups = 1) {
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_top = pt, p.pad_bottom = pb, p.pad_left = pl, p.pad_right = pr;
    p.dilation_h = p.dilation_w = dilation;
    p.groups = groups;
    return p;
}

const std::vector<ConvCase>& cases() {
    static const std::vector<ConvCase> all = {
        {"3x3 pad 1", {1, 3, 8, 8}, {4, 3, 3, 3}, params(1, 1, 1, 1, 1)},
        {"3x3 stride 2 asymmetric pad, batch 2", {2, 4, 9, 10}, {6, 4, 3, 3}, params(2, 0, 1, 1, 2)},
        {"3x3 dilation 2", {1, 5, 11, 9}, {3, 5, 3, 3}, params(1, 2, 2, 2, 2, 2)},
        {"groups 2", {2, 4, 7, 6}, {6, 2, 3, 3}, params(1, 1, 1, 1, 1, 1, 2)},
        {"depthwise", {1, 6, 9, 9}, {6, 1, 3, 3}, params(1, 1, 1, 1, 1, 1, 6)},
        {"depthwise multiplier 2, stride 2", {2, 3, 10, 9}, {6, 1, 3, 3}, params(2, 1, 1, 1, 1, 1, 3)},
        {"depthwise, dilation 2, asymmetric pad, threaded", {2, 8, 40, 37}, {8, 1, 3, 3}, params(1, 2, 1, 0, 3, 2, 8)},
        {"depthwise 5x4 stride 3 multiplier 3", {1, 2, 17, 16}, {6, 1, 5, 4}, params(3, 2, 2, 1, 2, 1, 2)},
        {"depthwise multiplier 2, stride 1, padding wider than the kernel", {2, 3, 11, 12}, {6, 1, 3, 3},
         params(1, 3, 1, 4, 2, 1, 3)},
        {"depthwise 5x5 on 7x7 (half-width vectors)", {1, 6, 7, 7}, {6, 1, 5, 5}, params(1, 2, 2, 2, 2, 1, 6)},
        {"depthwise multiplier 2 on 5x6, asymmetric pad (half-width rows of 5)", {2, 3, 5, 6}, {6, 1, 3, 3},
         params(1, 1, 0, 0, 1, 1, 3)},
        {"depthwise on 3x3 (scalar rows in float, half-width in double)", {1, 2, 3, 3}, {2, 1, 3, 3}, params(1, 1, 1, 1, 1, 1, 2)},
        {"depthwise stride 2x1 (rows only)", {1, 4, 13, 10}, {4, 1, 3, 3}, [] {
             auto p = params(1, 1, 1, 1, 1, 1, 4);
             p.stride_h = 2;
             return p;
         }()},
        {"1x1 (no im2col)", {2, 8, 7, 7}, {5, 8, 1, 1}, params(1, 0, 0, 0, 0)},
        {"1x1 grouped (no im2col)", {1, 8, 5, 6}, {4, 2, 1, 1}, params(1, 0, 0, 0, 0, 1, 4)},
        {"1x1 stride 2 downsample", {1, 8, 9, 9}, {4, 8, 1, 1}, params(2, 0, 0, 0, 0)},
        // Stride 2: im2col gathers every other column, col2im adds kernel columns s, s + 1 as one interleaved
        // pair (an even kernel width: pairs only; asymmetric pads: the pair's valid ranges differ).
        {"2x4 kernel stride 2, asymmetric pads, odd width", {1, 3, 9, 11}, {5, 3, 2, 4}, params(2, 0, 1, 2, 0)},
        {"implicit panel: 2x2 stride 2 (a ConvNeXt downsample)", {1, 4, 24, 22}, {6, 4, 2, 2}, params(2, 0, 0, 0, 0)},
        {"1x3 kernel, batch 3", {3, 2, 5, 8}, {3, 2, 1, 3}, params(1, 0, 0, 1, 1)},
        {"5x5 stride 2 pad 2", {2, 3, 13, 13}, {8, 3, 5, 5}, params(2, 2, 2, 2, 2)},
        {"7x7 stride 2 pad 3", {1, 3, 20, 20}, {8, 3, 7, 7}, params(2, 3, 3, 3, 3)},
        {"kernel fills padded image", {1, 2, 4, 5}, {3, 2, 5, 7}, params(1, 1, 0, 1, 1)},
        {"stride 3 larger than kernel", {1, 2, 11, 11}, {2, 2, 2, 2}, params(3, 0, 0, 0, 0)},
        {"32->64 on 16x16 (threaded GEMM)", {1, 32, 16, 16}, {64, 32, 3, 3}, params(1, 1, 1, 1, 1)},
        // >= 128 output pixels: the forward GEMM reads its panel straight from the image.
        {"implicit panel: stride 2, asymmetric pad, dilation 2, groups 2", {2, 4, 30, 27}, {6, 2, 3, 3},
         params(2, 1, 2, 0, 1, 2, 2)},
        {"implicit panel: 7x7 stride 2 pad 3", {1, 3, 40, 40}, {8, 3, 7, 7}, params(2, 3, 3, 3, 3)},
        // Backward-data in blocks of output rows (the panel, 147 × 2304, is larger than L2): a stem.
        {"backward-data blocks: 7x7 stride 2 pad 3 on 96x96", {1, 3, 96, 96}, {16, 3, 7, 7}, params(2, 3, 3, 3, 3)},
        {"backward-data blocks: 5x5 stride 1, groups 2, a batch of small images", {2, 8, 80, 80}, {6, 4, 5, 5}, params(1, 2, 2, 2, 2, 1, 2)},
        // Backward-data in blocks of input channels (a channel's 9 panel rows are small, the panel larger than
        // L2): a ResNet 3×3 / 2; a last block of 7 of 37 channels; groups 2; a batch of small images.
        {"backward-data channel blocks: 3x3 stride 2, 37 channels", {1, 37, 64, 64}, {24, 37, 3, 3}, params(2, 1, 1, 1, 1)},
        {"backward-data channel blocks: groups 2", {1, 72, 64, 64}, {24, 36, 3, 3}, params(2, 1, 1, 1, 1, 1, 2)},
        {"backward-data channel blocks: a batch of small images", {3, 37, 64, 64}, {8, 37, 3, 3}, params(2, 1, 1, 1, 1)},
        {"implicit panel: several K blocks, M blocks and tiles", {1, 30, 17, 17}, {150, 30, 3, 3},
         params(1, 1, 1, 1, 1)},
        // Small per-image GEMMs in a batch: whole images per thread, one workspace panel per thread.
        {"image-parallel, implicit panel, odd batch", {5, 16, 14, 14}, {32, 16, 3, 3}, params(1, 1, 1, 1, 1)},
        {"image-parallel, explicit panels, groups 2", {4, 8, 6, 6}, {16, 4, 3, 3}, params(1, 1, 1, 1, 1, 1, 2)},
        // Stride 1 on >= 128 pixels with the less common geometries.
        {"implicit panel: stride 1, dilation 2, asymmetric pad, groups 2", {2, 4, 16, 13}, {6, 2, 3, 3},
         params(1, 2, 1, 2, 0, 2, 2)},
        {"implicit panel: 5x3 kernel, no pad on two sides", {1, 3, 14, 12}, {5, 3, 5, 3}, params(1, 0, 4, 2, 0)},
        {"implicit panel: a pad wider than the kernel", {1, 3, 12, 12}, {4, 3, 3, 3}, params(1, 3, 2, 1, 3)},
        {"implicit panel: groups 2, one output channel per group", {1, 4, 12, 12}, {2, 2, 3, 3}, params(1, 1, 1, 1, 1, 1, 2)},
        // Winograd F(2×2, 3×3) (3×3, stride 1, one group, >= 16 channels each way, >= 49 tiles): odd sizes
        // (half tiles), pads 0 to 3 (backward-data pads by 2 − pad, which goes negative), channel counts that
        // fill no whole GEMM panel, two K blocks, several blocks per thread, tile runs split across images.
        {"winograd: pad 1, odd size", {1, 16, 17, 15}, {20, 16, 3, 3}, params(1, 1, 1, 1, 1)},
        {"winograd: no pad, batch 3", {3, 17, 16, 15}, {19, 17, 3, 3}, params(1, 0, 0, 0, 0)},
        {"winograd: asymmetric pads 0 to 3", {2, 18, 13, 16}, {16, 18, 3, 3}, params(1, 3, 0, 2, 1)},
        {"winograd: 260 input channels (two K blocks), 20 output", {1, 260, 16, 16}, {20, 260, 3, 3},
         params(1, 1, 1, 1, 1)},
        {"winograd: several blocks per thread", {2, 16, 64, 62}, {16, 16, 3, 3}, params(1, 1, 1, 1, 1)},
        // Winograd with prepared weights only (>= 16 tiles): ResNet's 7×7 layers, an odd 8×9 with pads 0 to 2.
        {"prepared winograd: 7x7", {1, 32, 7, 7}, {24, 32, 3, 3}, params(1, 1, 1, 1, 1)},
        {"prepared winograd: 8x9, asymmetric pads, batch 2", {2, 17, 8, 9}, {18, 17, 3, 3}, params(1, 2, 0, 1, 1)},
    };
    return all;
}

template <class T>
std::vector<T> random_vector(std::size_t n, std::uint64_t seed) {
    auto t = random_uniform<T>({n}, -1.0, 1.0, seed);
    return std::vector<T>(t.begin(), t.end());
}

template <class T>
std::vector<T> abs_of(const std::vector<T>& v) {
    std::vector<T> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = std::abs(v[i]);
    return out;
}

// |got − want| <= tol · bound, bound being the same sum over absolute values.
template <class T>
void expect_close(const std::vector<T>& got, const std::vector<T>& want, const std::vector<T>& bound,
                  const std::string& what) {
    const double tol = sizeof(T) == 4 ? 1e-4 : 1e-12;
    ASSERT_EQ(got.size(), want.size());
    std::size_t failures = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (!(std::abs(double(got[i]) - double(want[i])) <= tol * double(bound[i]) + 1e-30) && ++failures <= 3)
            ADD_FAILURE() << what << ": element " << i << " = " << got[i] << ", expected " << want[i];
    EXPECT_EQ(failures, 0u) << what;
}

using xvis::testing::ThreadGuard;

struct AlgorithmGuard {
    kernels::Conv2dAlgorithm saved = kernels::conv2d_algorithm();
    ~AlgorithmGuard() { kernels::set_conv2d_algorithm(saved); }
};

bool is_winograd_case(const ConvCase& c) { return std::string(c.name).rfind("winograd", 0) == 0; }

// Prepared weights (conv2d_prepare_weights), with a sentinel tail; empty where nothing is prepared.
template <class T>
std::vector<T> prepare(const Conv2dGeometry& g, kernels::Conv2dPass pass, const std::vector<T>& w) {
    const std::size_t n = kernels::conv2d_prepared_size(g, pass);
    if (n == 0) return {};
    std::vector<T> out(n + 16, T(-7));
    kernels::conv2d_prepare_weights(g, pass, w.data(), out.data());
    for (std::size_t i = n; i < out.size(); ++i) EXPECT_EQ(out[i], T(-7)) << "prepared weights overrun";
    return out;
}

// With `prepared`, forward and backward-data take prepared weights wherever the geometry has some.
template <class T>
void check_against_reference(int threads, kernels::Conv2dAlgorithm algorithm, bool prepared = false) {
    ThreadGuard guard;
    AlgorithmGuard algorithm_guard;
    set_num_threads(threads);
    kernels::set_conv2d_algorithm(algorithm);
    std::uint64_t seed = 100;
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.name);
        const auto g = kernels::make_conv2d_geometry(c.x, c.w, c.p);
        // The cases named for Winograd take it with `fast` (else they test nothing new); `gemm` never does.
        if (algorithm == kernels::Conv2dAlgorithm::gemm || is_winograd_case(c)) {
            EXPECT_EQ(kernels::conv2d_uses_winograd(g), algorithm == kernels::Conv2dAlgorithm::fast);
        }
        const bool prepared_case = std::string(c.name).rfind("prepared", 0) == 0;
        if (prepared_case) {
            EXPECT_FALSE(kernels::conv2d_uses_winograd(g));
            EXPECT_EQ(kernels::conv2d_uses_winograd(g, true), algorithm == kernels::Conv2dAlgorithm::fast);
        }
        // Something to prepare exactly where Winograd can take prepared weights.
        if (algorithm == kernels::Conv2dAlgorithm::fast) {
            EXPECT_EQ(kernels::conv2d_prepared_size(g, kernels::Conv2dPass::forward) > 0, kernels::conv2d_uses_winograd(g, true));
        }
        const auto x = random_vector<T>(shape_size(c.x), seed++);
        const auto w = random_vector<T>(shape_size(c.w), seed++);
        const auto dy = random_vector<T>(shape_size(g.output_shape()), seed++);
        // The workspace gets a sentinel tail so an overrun shows; outputs start as NaN so "overwritten" shows.
        const std::size_t ws = kernels::conv2d_workspace_size(g);
        std::vector<T> work(ws + 16, T(-7));
        const T nan = std::numeric_limits<T>::quiet_NaN();
        std::vector<T> y(dy.size(), nan), dx(x.size(), nan), dw(w.size(), nan);
        const auto pf = prepared ? prepare(g, kernels::Conv2dPass::forward, w) : std::vector<T>();
        const auto pb = prepared ? prepare(g, kernels::Conv2dPass::backward_data, w) : std::vector<T>();
        kernels::conv2d_forward(g, x.data(), w.data(), y.data(), work.data(), pf.empty() ? nullptr : pf.data());
        kernels::conv2d_backward_data(g, dy.data(), w.data(), dx.data(), work.data(), pb.empty() ? nullptr : pb.data());
        kernels::conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), work.data());
        for (std::size_t i = ws; i < work.size(); ++i) ASSERT_EQ(work[i], T(-7)) << "workspace overrun";

        std::vector<T> y_ref(y.size()), dx_ref(dx.size()), dw_ref(dw.size());
        std::vector<T> y_mag(y.size()), dx_mag(dx.size()), dw_mag(dw.size());
        reference::conv2d_forward(g, x.data(), w.data(), y_ref.data());
        reference::conv2d_backward_data(g, dy.data(), w.data(), dx_ref.data());
        reference::conv2d_backward_weights(g, x.data(), dy.data(), dw_ref.data());
        const auto ax = abs_of(x), aw = abs_of(w), ady = abs_of(dy);
        reference::conv2d_forward(g, ax.data(), aw.data(), y_mag.data());
        reference::conv2d_backward_data(g, ady.data(), aw.data(), dx_mag.data());
        reference::conv2d_backward_weights(g, ax.data(), ady.data(), dw_mag.data());
        expect_close(y, y_ref, y_mag, "forward");
        expect_close(dx, dx_ref, dx_mag, "backward_data");
        expect_close(dw, dw_ref, dw_mag, "backward_weights");
    }
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace

constexpr auto fast = kernels::Conv2dAlgorithm::fast, gemm = kernels::Conv2dAlgorithm::gemm;
TEST(Conv2d, FloatMatchesReferenceOneThread) { check_against_reference<float>(1, fast); }
TEST(Conv2d, FloatMatchesReferenceTwoThreads) { check_against_reference<float>(2, fast); }
TEST(Conv2d, DoubleMatchesReferenceOneThread) { check_against_reference<double>(1, fast); }
TEST(Conv2d, DoubleMatchesReferenceTwoThreads) { check_against_reference<double>(2, fast); }
TEST(Conv2d, GemmAlgorithmFloatMatchesReference) { check_against_reference<float>(2, gemm); }
TEST(Conv2d, GemmAlgorithmDoubleMatchesReference) { check_against_reference<double>(1, gemm); }
TEST(Conv2d, PreparedFloatMatchesReferenceOneThread) { check_against_reference<float>(1, fast, true); }
TEST(Conv2d, PreparedFloatMatchesReferenceTwoThreads) { check_against_reference<float>(2, fast, true); }
TEST(Conv2d, PreparedDoubleMatchesReference) { check_against_reference<double>(2, fast, true); }
// Prepared weights left unused when the algorithm is `gemm`.
TEST(Conv2d, PreparedGemmAlgorithmFloatMatchesReference) { check_against_reference<float>(2, gemm, true); }

// Where Winograd applies either way (>= 49 tiles), prepared weights are the filters' transform computed once:
// the same bits as transforming them on every call, so a compiled function's first (unprepared) run and its
// later ones agree. Channel counts that fill no whole panel, 1 and 2 threads.
TEST(Conv2d, PreparedSameBitsAsUnprepared) {
    ThreadGuard guard;
    for (const int threads : {1, 2}) {
        set_num_threads(threads);
        for (const Shape& xs : {Shape{1, 136, 14, 14}, Shape{2, 19, 17, 15}}) {
            SCOPED_TRACE(shape_to_string(xs));
            const Shape ws{40, xs[1], 3, 3};
            const auto g = kernels::make_conv2d_geometry(xs, ws, params(1, 1, 1, 1, 1));
            ASSERT_TRUE(kernels::conv2d_uses_winograd(g));
            const auto x = random_vector<float>(shape_size(xs), 11), w = random_vector<float>(shape_size(ws), 12);
            const auto dy = random_vector<float>(shape_size(g.output_shape()), 13);
            const auto pf = prepare(g, kernels::Conv2dPass::forward, w), pb = prepare(g, kernels::Conv2dPass::backward_data, w);
            std::vector<float> work(kernels::conv2d_workspace_size(g)), y[2], dx[2];
            for (int k = 0; k < 2; ++k) {
                y[k].assign(dy.size(), 0.0f), dx[k].assign(x.size(), 0.0f);
                kernels::conv2d_forward(g, x.data(), w.data(), y[k].data(), work.data(), k ? pf.data() : nullptr);
                kernels::conv2d_backward_data(g, dy.data(), w.data(), dx[k].data(), work.data(), k ? pb.data() : nullptr);
            }
            for (std::size_t i = 0; i < y[0].size(); ++i) ASSERT_EQ(y[0][i], y[1][i]) << "forward element " << i;
            for (std::size_t i = 0; i < dx[0].size(); ++i) ASSERT_EQ(dx[0][i], dx[1][i]) << "backward-data element " << i;
        }
    }
}

// <conv(x, w), dy> = <x, backward_data(dy, w)> = <w, backward_weights(x, dy)>: the backward passes are the
// adjoints of the forward pass, checked without any reference implementation.
TEST(Conv2d, BackwardPassesAreAdjoints) {
    AlgorithmGuard algorithm_guard;
    std::uint64_t seed = 500;
    for (const auto algorithm : {fast, gemm})
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.name);
        kernels::set_conv2d_algorithm(algorithm);
        const auto g = kernels::make_conv2d_geometry(c.x, c.w, c.p);
        const auto x = random_vector<double>(shape_size(c.x), seed++);
        const auto w = random_vector<double>(shape_size(c.w), seed++);
        const auto dy = random_vector<double>(shape_size(g.output_shape()), seed++);
        std::vector<double> work(kernels::conv2d_workspace_size(g));
        std::vector<double> y(dy.size()), dx(x.size()), dw(w.size());
        kernels::conv2d_forward(g, x.data(), w.data(), y.data(), work.data());
        kernels::conv2d_backward_data(g, dy.data(), w.data(), dx.data(), work.data());
        kernels::conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), work.data());
        const double a = dot(y, dy), b = dot(x, dx), d = dot(w, dw);
        const double scale = std::sqrt(double(dy.size()) * double(g.C / g.p.groups * g.R * g.S)) + 1.0;
        EXPECT_NEAR(a, b, 1e-12 * scale);
        EXPECT_NEAR(a, d, 1e-12 * scale);
    }
}

TEST(Conv2d, GeometryOutputSizes) {
    // ResNet stem: 224 → 112 with 7×7 stride 2 pad 3.
    auto g = kernels::make_conv2d_geometry({1, 3, 224, 224}, {64, 3, 7, 7}, params(2, 3, 3, 3, 3));
    EXPECT_EQ(g.output_shape(), (Shape{1, 64, 112, 112}));
    // Keras "same", stride 2, even input: pads 0 on top/left and 1 at the bottom/right.
    g = kernels::make_conv2d_geometry({2, 4, 8, 8}, {5, 4, 3, 3}, params(2, 0, 1, 0, 1));
    EXPECT_EQ(g.output_shape(), (Shape{2, 5, 4, 4}));
    // Dilation 2 widens a 3×3 kernel to 5×5; floor on stride.
    g = kernels::make_conv2d_geometry({1, 1, 10, 11}, {1, 1, 3, 3}, params(2, 0, 0, 0, 0, 2));
    EXPECT_EQ(g.output_shape(), (Shape{1, 1, 3, 4}));
    EXPECT_GE(kernels::conv2d_workspace_size(g), 9u * 12u);  // R·S·C/G rows of OH·OW (rows may be padded)
    g = kernels::make_conv2d_geometry({1, 8, 5, 5}, {4, 2, 1, 1}, params(1, 0, 0, 0, 0, 1, 4));
    EXPECT_EQ(kernels::conv2d_workspace_size(g), 0u);  // 1×1: the input is the panel
}

namespace {

// Expects a ShapeError whose message contains every fragment.
void expect_error(const Shape& x, const Shape& w, const Conv2dParams& p, std::vector<std::string> fragments,
                  const std::string& call = "conv2d") {
    try {
        kernels::make_conv2d_geometry(x, w, p, call);
        ADD_FAILURE() << "no ShapeError for input " << shape_to_string(x) << " weights " << shape_to_string(w);
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        fragments.push_back(call + ":");
        fragments.push_back(shape_to_string(x));
        fragments.push_back(shape_to_string(w));
        for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
    }
}

}  // namespace

TEST(Conv2d, GeometryErrorsNameShapesAndRule) {
    expect_error({1, 3, 8}, {16, 3, 3, 3}, params(1, 0, 0, 0, 0), {"rank 4"});
    expect_error({1, 3, 8, 8}, {16, 4, 3, 3}, params(1, 0, 0, 0, 0), {"has 3 channels", "expect 4", "groups=1"});
    expect_error({1, 6, 8, 8}, {4, 2, 3, 3}, params(1, 0, 0, 0, 0, 1, 4), {"divisible by groups=4"});
    expect_error({1, 4, 8, 8}, {6, 1, 3, 3}, params(1, 0, 0, 0, 0, 1, 4), {"output channels 6"});
    expect_error({1, 4, 8, 8}, {6, 4, 3, 3}, params(0, 0, 0, 0, 0), {"stride"});
    expect_error({1, 4, 8, 8}, {6, 4, 3, 3}, params(1, 0, 0, 0, 0, 0), {"dilation"});
    expect_error({1, 4, 8, 8}, {6, 4, 3, 3}, params(1, 0, 0, 0, 0, 1, 0), {"groups"});
    expect_error({1, 1, 4, 4}, {1, 1, 5, 5}, params(1, 0, 0, 0, 0), {"larger than the padded image"});
    expect_error({1, 1, 8, 8}, {1, 1, 3, 3}, params(1, 0, 0, 0, 0, 4), {"9x9"}, "Conv2d layer 'conv1'");
    EXPECT_NO_THROW(kernels::make_conv2d_geometry({1, 1, 4, 4}, {1, 1, 5, 5}, params(1, 1, 0, 1, 0)));
}

// A batch of small images runs whole images per thread; the weight gradient still adds the images in a fixed
// order, so its bits do not depend on the thread count (training is reproducible on any machine load).
TEST(Conv2d, BackwardWeightsSameBitsForAnyThreadCount) {
    ThreadGuard guard;
    const auto g = kernels::make_conv2d_geometry({7, 16, 14, 14}, {32, 16, 3, 3}, params(1, 1, 1, 1, 1));
    const auto x = random_vector<float>(7 * 16 * 14 * 14, 3), dy = random_vector<float>(7 * 32 * 14 * 14, 4);
    std::vector<float> work(kernels::conv2d_workspace_size(g) + 1), dw1(32 * 16 * 9), dw2(dw1.size());
    set_num_threads(1);
    kernels::conv2d_backward_weights(g, x.data(), dy.data(), dw1.data(), work.data());
    set_num_threads(2);
    kernels::conv2d_backward_weights(g, x.data(), dy.data(), dw2.data(), work.data());
    for (std::size_t i = 0; i < dw1.size(); ++i) ASSERT_EQ(dw1[i], dw2[i]) << "element " << i;
}

// Winograd's threads take disjoint tile ranges, or with few tiles disjoint ranges of output channels, and no
// tile's sums depend on its block or its rows: forward and backward-data give the same bits with 1 and 2
// threads. A batch of 3 with 330 tiles (ranges cross images), one 14×14 image (49 tiles, 40 output channels
// in panels of 6 or 12, the last partial: split by output channels, the input transform shared) and one 27×27
// image (196 tiles in 7 blocks: the shared input transform's two alternating buffers). All have more than the
// 4 M multiply-adds (16 · tiles · 136 · 40) below which Winograd keeps to one thread.
TEST(Conv2d, WinogradSameBitsForAnyThreadCount) {
    ThreadGuard guard;
    for (const Shape& xs : {Shape{3, 136, 21, 19}, Shape{1, 136, 14, 14}, Shape{1, 136, 27, 27}}) {
        SCOPED_TRACE(shape_to_string(xs));
        const auto g = kernels::make_conv2d_geometry(xs, {40, 136, 3, 3}, params(1, 1, 1, 1, 1));
        ASSERT_TRUE(kernels::conv2d_uses_winograd(g));
        const auto x = random_vector<float>(shape_size(xs), 5);
        const auto w = random_vector<float>(40 * 136 * 9, 6);
        const auto dy = random_vector<float>(shape_size(g.output_shape()), 7);
        std::vector<float> work(kernels::conv2d_workspace_size(g));
        std::vector<float> y[2], dx[2];
        for (int t = 0; t < 2; ++t) {
            set_num_threads(t + 1);
            y[t].assign(dy.size(), 0.0f), dx[t].assign(x.size(), 0.0f);
            kernels::conv2d_forward(g, x.data(), w.data(), y[t].data(), work.data());
            kernels::conv2d_backward_data(g, dy.data(), w.data(), dx[t].data(), work.data());
        }
        for (std::size_t i = 0; i < y[0].size(); ++i) ASSERT_EQ(y[0][i], y[1][i]) << "forward element " << i;
        for (std::size_t i = 0; i < dx[0].size(); ++i) ASSERT_EQ(dx[0][i], dx[1][i]) << "backward-data element " << i;
    }
}

// Backward-data in blocks of output rows: threads take the even blocks, then the odd ones, and every dx element
// adds its block contributions in that fixed order: the same bits with 1 and 2 threads, and alone or in a batch.
// Blocks of input channels (a ResNet 3×3 / 2) depend on the geometry alone, and each writes only its channels.
TEST(Conv2d, BackwardDataBlocksSameBitsForAnyThreadCountAndBatch) {
    ThreadGuard guard;
    struct Layer {
        const char* name;
        std::size_t C, K, HW, RS, pad;
    };
    for (const Layer& l : {Layer{"row blocks: a 7x7 / 2 stem", 3, 16, 96, 7, 3}, Layer{"channel blocks: a 3x3 / 2", 37, 24, 64, 3, 1}}) {
        SCOPED_TRACE(l.name);
        const Shape ws{l.K, l.C, l.RS, l.RS};
        const auto p = params(2, l.pad, l.pad, l.pad, l.pad);
        const auto g = kernels::make_conv2d_geometry({3, l.C, l.HW, l.HW}, ws, p);
        const auto g1 = kernels::make_conv2d_geometry({1, l.C, l.HW, l.HW}, ws, p);
        const std::size_t in = l.C * l.HW * l.HW, out = l.K * g.OH * g.OW;
        const auto w = random_vector<float>(shape_size(ws), 11), dy = random_vector<float>(3 * out, 12);
        std::vector<float> work(kernels::conv2d_workspace_size(g)), dx(3 * in), dx1(in), first;
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            kernels::conv2d_backward_data(g, dy.data(), w.data(), dx.data(), work.data());
            for (std::size_t n = 0; n < 3; ++n) {
                kernels::conv2d_backward_data(g1, dy.data() + n * out, w.data(), dx1.data(), work.data());
                for (std::size_t i = 0; i < in; ++i) ASSERT_EQ(dx1[i], dx[n * in + i]) << threads << " threads, image " << n << ", element " << i;
            }
            if (threads == 1) first = dx;
            for (std::size_t i = 0; i < dx.size(); ++i) ASSERT_EQ(first[i], dx[i]) << "2 threads against 1, element " << i;
        }
    }
}

// Whether Winograd applies depends on one image's size, never on the batch, and a tile's sums do not depend
// on the other tiles: an image gets the same bits alone and in a batch (sweeps batch what the library runs one
// by one). The 7×7 layer is below the tile threshold, in a batch of 9 as alone.
TEST(Conv2d, SameBitsAloneAndInABatch) {
    for (const std::size_t hw : {std::size_t(14), std::size_t(7)}) {
        SCOPED_TRACE(hw);
        const Shape xs{9, 16, hw, hw}, ws{24, 16, 3, 3};
        const auto g = kernels::make_conv2d_geometry(xs, ws, params(1, 1, 1, 1, 1));
        const auto g1 = kernels::make_conv2d_geometry({1, 16, hw, hw}, ws, params(1, 1, 1, 1, 1));
        EXPECT_EQ(kernels::conv2d_uses_winograd(g), hw == 14);
        EXPECT_EQ(kernels::conv2d_uses_winograd(g1), hw == 14);
        const auto x = random_vector<float>(shape_size(xs), 8), w = random_vector<float>(shape_size(ws), 9);
        const auto dy = random_vector<float>(shape_size(g.output_shape()), 10);
        std::vector<float> work(kernels::conv2d_workspace_size(g)), y(dy.size()), dx(x.size());
        kernels::conv2d_forward(g, x.data(), w.data(), y.data(), work.data());
        kernels::conv2d_backward_data(g, dy.data(), w.data(), dx.data(), work.data());
        const std::size_t in = 16 * hw * hw, out = 24 * hw * hw;
        std::vector<float> work1(kernels::conv2d_workspace_size(g1)), y1(out), dx1(in);
        for (std::size_t n = 0; n < 9; ++n) {
            kernels::conv2d_forward(g1, x.data() + n * in, w.data(), y1.data(), work1.data());
            kernels::conv2d_backward_data(g1, dy.data() + n * out, w.data(), dx1.data(), work1.data());
            for (std::size_t i = 0; i < out; ++i) ASSERT_EQ(y1[i], y[n * out + i]) << "image " << n << " forward " << i;
            for (std::size_t i = 0; i < in; ++i) ASSERT_EQ(dx1[i], dx[n * in + i]) << "image " << n << " backward " << i;
        }
    }
}
