// 2-D convolution as GEMMs on im2col panels, one image × one group at a time (so the workspace stays at
// C/G·R·S × OH·OW). 1×1 stride-1 unpadded convolutions skip im2col: the image already is the panel.
// Forward and backward-weights hand the panel to the GEMM as a callback that it fills tile by tile from the
// image (implicit im2col: 12-26 % faster than writing the panel out, measured on 3×3 and 7×7 layers);
// backward-data writes its panel and scatters it back (col2im), in blocks when the panel is larger than L2
// (conv2d_blocks.cpp).
// Threads come from the GEMM and from the im2col / col2im loops (batch 1 is the common case); a batch of small
// per-image GEMMs takes whole images per thread instead. Depthwise convolutions (one input channel per group)
// skip the GEMM altogether: conv2d_depthwise.cpp.
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/detail/conv2d_blocks.hpp>
#include <xvis/tensor/detail/im2col.hpp>
#include <xvis/tensor/gemm.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

namespace xvis::kernels {

namespace detail {  // conv2d_depthwise.cpp: one input channel per group, computed directly
bool is_depthwise(const Conv2dGeometry& g);
template <class T>
void depthwise_forward(const Conv2dGeometry& g, const T* x, const T* w, T* y);
template <class T>
void depthwise_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx);
template <class T>
void depthwise_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw);
// conv2d_winograd.cpp: 3×3 stride-1 forward and backward-data
bool winograd_applies(const Conv2dGeometry& g, bool prepared);
std::size_t winograd_workspace_size(const Conv2dGeometry& g);
std::size_t winograd_prepared_size(const Conv2dGeometry& g, bool backward_data);
template <class T>
void winograd_prepare(const Conv2dGeometry& g, bool backward_data, const T* w, T* prepared);
template <class T>
void winograd_forward(const Conv2dGeometry& g, const T* x, const T* w, T* y, T* workspace, const T* prepared);
template <class T>
void winograd_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, T* workspace, const T* prepared);
}  // namespace detail

namespace {

using std::size_t;
using detail::col2im;
using detail::im2col;
using detail::PanelSource;
using detail::is_pointwise;
using detail::panel_ld;
using detail::processors;
using detail::block_slots;
using detail::blocked_backward_data;
using detail::dx_block_channels;
using detail::backward_data_blocks;
using detail::backward_data_channel_blocks;

// Output pixels from which the forward pass fills the GEMM's B tiles straight from the image.
constexpr size_t min_implicit_columns = 128;

}  // namespace

Conv2dGeometry make_conv2d_geometry(const Shape& x, const Shape& w, const Conv2dParams& params,
                                    const std::string& call) {
    // Built only on failure: geometries are made for every conv node of every graph.
    const auto shapes = [&] { return "input " + shape_to_string(x) + " and weights " + shape_to_string(w); };
    auto fail = [&](const std::string& rule) { throw ShapeError(call + ": " + rule); };
    if (x.size() != 4 || w.size() != 4)
        fail(shapes() + ": expected rank 4 for both (input [N, C, H, W], weights [K, C/groups, R, S])");
    const size_t G = params.groups;
    if (G == 0) fail(shapes() + ": groups must be >= 1, got 0");
    if (params.stride_h == 0 || params.stride_w == 0)
        fail(shapes() + ": stride must be >= 1, got " + std::to_string(params.stride_h) + "x" +
             std::to_string(params.stride_w));
    if (params.dilation_h == 0 || params.dilation_w == 0)
        fail(shapes() + ": dilation must be >= 1, got " + std::to_string(params.dilation_h) + "x" +
             std::to_string(params.dilation_w));
    Conv2dGeometry g{x[0], x[1], x[2], x[3], w[0], w[2], w[3], 0, 0, params};
    if (g.C % G != 0)
        fail(shapes() + ": input channels " + std::to_string(g.C) + " are not divisible by groups=" +
             std::to_string(G));
    if (g.K % G != 0)
        fail(shapes() + ": output channels " + std::to_string(g.K) + " (weights dim 0) are not divisible by groups=" +
             std::to_string(G));
    if (w[1] * G != g.C)
        fail("input " + shape_to_string(x) + " has " + std::to_string(g.C) + " channels but weights " +
             shape_to_string(w) + " expect " + std::to_string(w[1] * G) + " (C/groups with groups=" +
             std::to_string(G) + ")");
    if (g.R == 0 || g.S == 0) fail(shapes() + ": kernel size must be >= 1 in both dimensions");
    const size_t span_h = params.dilation_h * (g.R - 1) + 1, span_w = params.dilation_w * (g.S - 1) + 1;
    const size_t padded_h = g.H + params.pad_top + params.pad_bottom, padded_w = g.W + params.pad_left + params.pad_right;
    if (span_h > padded_h || span_w > padded_w)
        fail(shapes() + ": dilated kernel " + std::to_string(span_h) + "x" + std::to_string(span_w) +
             " is larger than the padded image " + std::to_string(padded_h) + "x" + std::to_string(padded_w));
    g.OH = (padded_h - span_h) / params.stride_h + 1;
    g.OW = (padded_w - span_w) / params.stride_w + 1;
    return g;
}

namespace {

// Per-image GEMMs below this many multiply-adds are too small to split well between threads (W1's second
// conv: 64 × 196 × 288 = 3.6 M, 1.58× on 2 threads): a batch of them runs whole images per thread instead.
constexpr size_t image_parallel_max_work = size_t(1) << 23;
// Panels in the workspace for image-parallel passes (fixed at geometry time: the workspace is sized once).
constexpr size_t max_image_slots = 8;

// A batch whose per-image GEMMs are small enough to run whole images per thread.
bool small_images(const Conv2dGeometry& g) {
    return g.N >= 2 && g.K * g.OH * g.OW * (g.C / g.p.groups) * g.R * g.S < image_parallel_max_work;
}

// Backward-weights over such a batch sums images into this many partial dw (fixed, not the thread count:
// each partial adds its images in order and the partials are added in order, so dw is the same bits with any
// number of threads, and training is reproducible).
size_t dw_partials(const Conv2dGeometry& g) { return small_images(g) ? std::min<size_t>(g.N, 4) : 1; }

size_t image_slots(const Conv2dGeometry& g) { return small_images(g) ? std::min({g.N, processors(), max_image_slots}) : 1; }

// Threads for an image-parallel pass, or 1 for the per-image (GEMM-parallel) path.
// (team_threads: 1 inside a region or while the team watch has the team stepped down.)
int image_threads(const Conv2dGeometry& g) {
    const size_t slots = image_slots(g);
    return slots < 2 ? 1 : int(std::min(slots, size_t(detail::team_threads())));
}

// f(n, panel) for every image n; panel is `panel_size` elements of the workspace owned by the calling thread.
// The one-thread case takes no OpenMP construct at all (team_for): an inactive `parallel if(false)` region
// around the GEMM's own parallel region made that region a nested team, created on every call (10× slower).
template <class T, class F>
void for_images(const Conv2dGeometry& g, size_t panel_size, T* workspace, F&& f) {
    detail::team_for(g.N, image_threads(g), [&](size_t n, int t) { f(n, workspace + size_t(t) * panel_size); });
}

// Backward-data in blocks, f(dy_n, dx_n, panel, threads) per image: small images of a batch take whole images per
// thread (their blocks on that thread); otherwise images go in turn, the team sharing each image's blocks, each
// thread on its block panel of the workspace.
template <class T, class F>
void for_image_blocks(const Conv2dGeometry& g, size_t panel_size, const T* dy, T* dx, T* workspace, F&& f) {
    const size_t in = g.C * g.H * g.W, out = g.K * g.OH * g.OW;
    if (image_threads(g) > 1)
        return for_images(g, panel_size, workspace, [&](size_t n, T* panel) { f(dy + n * out, dx + n * in, panel, 1); });
    const int threads = int(std::min(size_t(detail::team_threads()), block_slots()));
    for (size_t n = 0; n < g.N; ++n) f(dy + n * out, dx + n * in, workspace, threads);
}

std::atomic<Conv2dAlgorithm> algorithm_choice{Conv2dAlgorithm::fast};

}  // namespace

void set_conv2d_algorithm(Conv2dAlgorithm algorithm) { algorithm_choice.store(algorithm, std::memory_order_relaxed); }
Conv2dAlgorithm conv2d_algorithm() { return algorithm_choice.load(std::memory_order_relaxed); }

bool conv2d_uses_winograd(const Conv2dGeometry& g, bool prepared) {
    return conv2d_algorithm() == Conv2dAlgorithm::fast && detail::winograd_applies(g, prepared);
}

size_t conv2d_prepared_size(const Conv2dGeometry& g, Conv2dPass pass) {
    return detail::winograd_applies(g, true) ? detail::winograd_prepared_size(g, pass == Conv2dPass::backward_data) : 0;
}

template <class T>
void conv2d_prepare_weights(const Conv2dGeometry& g, Conv2dPass pass, const T* w, T* prepared) {
    if (detail::winograd_applies(g, true)) detail::winograd_prepare(g, pass == Conv2dPass::backward_data, w, prepared);
}

size_t conv2d_workspace_size(const Conv2dGeometry& g) {
    if (detail::is_depthwise(g)) return 0;
    const size_t Q = g.C / g.p.groups * g.R * g.S;
    const size_t panels = is_pointwise(g) ? 0 : Q * panel_ld(g) * image_slots(g);
    const size_t partials = dw_partials(g) > 1 ? dw_partials(g) * g.K * Q : 0;
    // Enough for either algorithm: the choice can change between sizing a workspace and using it.
    const size_t winograd = detail::winograd_applies(g, true) ? detail::winograd_workspace_size(g) : 0;
    return std::max({panels, partials, winograd});
}

template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, T* y, T* workspace, const T* prepared) {
    if (detail::is_depthwise(g)) return detail::depthwise_forward(g, x, w, y);
    if (conv2d_uses_winograd(g, prepared != nullptr)) return detail::winograd_forward(g, x, w, y, workspace, prepared);
    const size_t G = g.p.groups, cg = g.C / G, kg = g.K / G, Q = cg * g.R * g.S, P = g.OH * g.OW;
    const bool pointwise = is_pointwise(g);
    const size_t ld = pointwise ? P : panel_ld(g);
    // With more than one image thread each thread takes whole images (the GEMMs and im2col inside see
    // omp_in_parallel() and stay serial) and uses its own panel of the workspace.
    for_images(g, Q * ld, workspace, [&](size_t n, T* panel) {
        for (size_t gi = 0; gi < G; ++gi) {
            const T* xg = x + (n * g.C + gi * cg) * g.H * g.W;
            T* yg = y + (n * g.K + gi * kg) * P;
            if (pointwise) {
                gemm<T>(false, false, kg, P, Q, T(1), w + gi * kg * Q, Q, xg, P, T(0), yg, P);
            } else if (P >= min_implicit_columns) {
                const PanelSource<T> panel{&g, xg};
                detail::gemm_source_b<T>(false, false, kg, P, Q, T(1), w + gi * kg * Q, Q, panel.source(), T(0), yg, P);
            } else {  // a few output pixels: the plain GEMM's narrow-C path does better
                im2col(g, cg, xg, panel, ld);
                gemm<T>(false, false, kg, P, Q, T(1), w + gi * kg * Q, Q, panel, ld, T(0), yg, P);
            }
        }
    });
}

template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, T* workspace, const T* prepared) {
    if (detail::is_depthwise(g)) return detail::depthwise_backward_data(g, dy, w, dx);
    if (conv2d_uses_winograd(g, prepared != nullptr)) return detail::winograd_backward_data(g, dy, w, dx, workspace, prepared);
    const size_t G = g.p.groups, cg = g.C / G, kg = g.K / G, Q = cg * g.R * g.S, P = g.OH * g.OW;
    const bool pointwise = is_pointwise(g);
    const size_t ld = pointwise ? P : panel_ld(g);
    if (const size_t cb = dx_block_channels(g))
        return for_image_blocks(g, Q * ld, dy, dx, workspace, [&](const T* dyn, T* dxn, T* panel, int threads) {
            backward_data_channel_blocks(g, cb, dyn, w, dxn, panel, threads);
        });
    if (blocked_backward_data(g))
        return for_image_blocks(g, Q * ld, dy, dx, workspace, [&](const T* dyn, T* dxn, T* panel, int threads) {
            backward_data_blocks(g, dyn, w, dxn, panel, threads);
        });
    for_images(g, Q * ld, workspace, [&](size_t n, T* panel) {
        if (!pointwise) std::fill(dx + n * g.C * g.H * g.W, dx + (n + 1) * g.C * g.H * g.W, T(0));
        for (size_t gi = 0; gi < G; ++gi) {
            T* dxg = dx + (n * g.C + gi * cg) * g.H * g.W;
            const T* dyg = dy + (n * g.K + gi * kg) * P;
            // dcol[Q, P] = w_g^T · dy_g; for pointwise convs dcol is dx_g itself.
            gemm<T>(true, false, Q, P, kg, T(1), w + gi * kg * Q, Q, dyg, P, T(0), pointwise ? dxg : panel, ld);
            if (!pointwise) col2im(g, cg, panel, ld, dxg);
        }
    });
}

template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* workspace) {
    if (detail::is_depthwise(g)) return detail::depthwise_backward_weights(g, x, dy, dw);
    const size_t G = g.p.groups, cg = g.C / G, kg = g.K / G, Q = cg * g.R * g.S, P = g.OH * g.OW;
    const bool pointwise = is_pointwise(g);
    // out (+)= image n's dw: dw_g[kg, Q] (+)= dy_g[kg, P] · col[Q, P]^T for every group; beta 0 overwrites.
    const auto image_dw = [&](size_t n, T beta, T* out) {
        for (size_t gi = 0; gi < G; ++gi) {
            const T* xg = x + (n * g.C + gi * cg) * g.H * g.W;
            const T* dyg = dy + (n * g.K + gi * kg) * P;
            if (pointwise) {
                gemm<T>(false, true, kg, Q, P, T(1), dyg, P, xg, P, beta, out + gi * kg * Q, Q);
            } else {
                const PanelSource<T> panel{&g, xg};
                detail::gemm_source_b<T>(false, true, kg, Q, P, T(1), dyg, P, panel.source(), beta, out + gi * kg * Q, Q);
            }
        }
    };
    const size_t KQ = g.K * Q, parts = dw_partials(g);
    if (parts == 1) {
        if (g.N == 0) std::fill(dw, dw + KQ, T(0));
        for (size_t n = 0; n < g.N; ++n) image_dw(n, n == 0 ? T(0) : T(1), dw);
        return;
    }
    // Partial p sums images [p·N/parts, (p+1)·N/parts) into its own slice of the workspace (every image adds to
    // all of dw, so threads cannot share it); threads take whole partials; then the partials are added in order.
    const auto partial = [&](size_t p) {
        T* part = workspace + p * KQ;
        for (size_t n = p * g.N / parts; n < (p + 1) * g.N / parts; ++n) image_dw(n, n == p * g.N / parts ? T(0) : T(1), part);
    };
    detail::team_for(parts, image_threads(g), [&](size_t p, int) { partial(p); });
    std::copy(workspace, workspace + KQ, dw);
    for (size_t p = 1; p < parts; ++p) {
        const T* part = workspace + p * KQ;
        for (size_t i = 0; i < KQ; ++i) dw[i] += part[i];
    }
}

#define XVIS_CONV2D_INSTANTIATE(T)                                                                   \
    template void conv2d_prepare_weights<T>(const Conv2dGeometry&, Conv2dPass, const T*, T*);      \
    template void conv2d_forward<T>(const Conv2dGeometry&, const T*, const T*, T*, T*, const T*);  \
    template void conv2d_backward_data<T>(const Conv2dGeometry&, const T*, const T*, T*, T*, const T*); \
    template void conv2d_backward_weights<T>(const Conv2dGeometry&, const T*, const T*, T*, T*);
XVIS_CONV2D_INSTANTIATE(float)
XVIS_CONV2D_INSTANTIATE(double)
#undef XVIS_CONV2D_INSTANTIATE

}  // namespace xvis::kernels
