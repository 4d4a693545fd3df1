// 2-D convolution as GEMMs on im2col panels, one image × one group at a time (so the workspace stays at
// C/G·R·S × OH·OW). 1×1 stride-1 unpadded convolutions skip im2col: the image already is the panel.
// Forward and backward-weights hand the panel to the GEMM as a callback that it fills tile by tile from the
// image (implicit im2col: 12-26 % faster than writing the panel out, measured on 3×3 and 7×7 layers);
// backward-data writes its panel and scatters it back (col2im), in blocks of output rows when the panel is
// larger than L2 (backward_data_blocks).
// Threads come from the GEMM and from the im2col / col2im loops (batch 1 is the common case); a batch of small
// per-image GEMMs takes whole images per thread instead. Depthwise convolutions (one input channel per group)
// skip the GEMM altogether: conv2d_depthwise.cpp.
#include <xvis/tensor/conv2d.hpp>
#include <xvis/tensor/detail/im2col.hpp>
#include <xvis/tensor/gemm.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#ifdef XVIS_HAVE_OPENMP
#include <omp.h>
#endif

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

bool is_pointwise(const Conv2dGeometry& g) {
    const auto& p = g.p;
    return g.R == 1 && g.S == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_bottom == 0 &&
           p.pad_left == 0 && p.pad_right == 0;
}

// Leading dimension of the im2col panel: rows start on 64-byte boundaries, and a row pitch that is a multiple
// of 4 KiB (e.g. 64×64 images in float) is avoided: the GEMM's packing reads 16 panel rows at once, and such a
// pitch maps them all to the same L1 set.
size_t panel_ld(const Conv2dGeometry& g) {
    const size_t ld = (g.OH * g.OW + 15) / 16 * 16;
    return ld % 512 == 0 ? ld + 16 : ld;
}

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

// The machine's cores (1 without OpenMP): per-thread workspace is sized from it, never from the thread count of
// the moment, so a geometry's workspace and path do not depend on set_num_threads.
size_t processors() {
#ifdef XVIS_HAVE_OPENMP
    return size_t(std::max(1, omp_get_num_procs()));
#else
    return 1;
#endif
}

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

// Backward-data of one large image in blocks of output rows (an ImageNet stem's 7×7 / 2 panel is 147 × 12544,
// 7 MiB: written out whole and read back by col2im, it made the layer memory-bound, 22 % of the FMA peak).
// A block's panel stays in L2: GEMM, then col2im of that block. Threads take blocks in two passes, the even
// blocks then the odd ones: a block's dx rows overlap only its neighbours' (rows_per_block > (span − 1) / stride
// − 1), so no two threads write one element. Blocks depend on the geometry alone, so every dx element sums its
// contributions in one fixed order whatever the thread count.
constexpr size_t block_panel_elements = size_t(1) << 16;  // 256 KiB of float: a quarter of a Zen 4 / 5 L2

size_t dx_block_rows(const Conv2dGeometry& g) {
    const size_t Q = g.C / g.p.groups * g.R * g.S, span = g.p.dilation_h * (g.R - 1) + 1;
    const size_t least = (span + g.p.stride_h - 1) / g.p.stride_h;  // b·stride ≥ span: blocks i, i+2 apart
    return std::max(least, block_panel_elements / std::max<size_t>(1, Q * g.OW));
}

// Per-thread block panels: as many as the machine has cores (at most 8), so that whether a geometry takes the
// blocks (and so its sums' order) does not depend on the thread count.
size_t block_slots() { return std::min<size_t>(processors(), 8); }

// Whether backward-data takes the blocks (a property of one image's geometry: an image gets the same bits alone
// and in a batch): a panel larger than L2, at least four blocks, and per-thread block panels that fit where the
// whole panel would have gone.
bool blocked_backward_data(const Conv2dGeometry& g) {
    const size_t Q = g.C / g.p.groups * g.R * g.S, b = dx_block_rows(g);
    return !is_pointwise(g) && Q * g.OH * g.OW > 4 * block_panel_elements && g.OH >= 4 * b &&
           block_slots() * b * g.OW <= panel_ld(g);
}

// One image: dy [K, OH, OW] to dx [C, H, W], `threads` threads each on its block panel from `workspace`.
template <class T>
void backward_data_blocks(const Conv2dGeometry& g, const T* dy, const T* w, T* dx, T* workspace, int threads) {
    const size_t G = g.p.groups, cg = g.C / G, kg = g.K / G, Q = cg * g.R * g.S, P = g.OH * g.OW;
    const size_t b = dx_block_rows(g), blocks = (g.OH + b - 1) / b, ld = b * g.OW;
    std::fill(dx, dx + g.C * g.H * g.W, T(0));
    detail::team_run(threads, [&](size_t t, size_t nt) {
        T* panel = workspace + t * Q * ld;
        for (size_t pass = 0; pass < 2; ++pass) {
            const size_t mine = (blocks - pass + 1) / 2;  // blocks of this parity
            for (size_t i = mine * t / nt; i < mine * (t + 1) / nt; ++i) {
                const size_t oh0 = (2 * i + pass) * b, oh1 = std::min(g.OH, oh0 + b), n = (oh1 - oh0) * g.OW;
                for (size_t gi = 0; gi < G; ++gi) {
                    gemm<T>(true, false, Q, n, kg, T(1), w + gi * kg * Q, Q, dy + gi * kg * P + oh0 * g.OW, P, T(0), panel, ld);
                    for (size_t c = 0; c < cg; ++c) detail::col2im_channel(g, c, panel, ld, oh0, oh1, dx + gi * cg * g.H * g.W);
                }
            }
#ifdef XVIS_HAVE_OPENMP
            if (nt > 1 && pass == 0) {
#pragma omp barrier
            }
#endif
        }
    });
}

// Backward-data of one image in blocks of input channels, where R·S panel rows a channel are small enough for
// several channels' rows to stay in L2 (every 3×3 / 2 layer of the ResNets). A block's panel rows
// [c0·R·S, c1·R·S) = w[:, c0·R·S ..)ᵀ · dy, then col2im of its channels alone: no two blocks write one dx
// element, so threads take blocks with no passes or barrier, each GEMM reads only its block's columns of w,
// and dy (K × OH·OW) is small. The row blocks above repack all of w per block: ResNet-50's layer3.0 3×3 / 2
// (256 → 256, 28² → 14²) took 7 blocks of 2 output rows, 28 columns each, 81 GFLOP/s at 1 thread.
// Blocks are fixed by the geometry and the machine (block_slots), never by the thread count.
constexpr size_t channel_block_elements = size_t(1) << 17;  // 512 KiB of float: half a Zen 4 / 5 L2

// Channels per block, or 0 when channel blocks do not apply: at least 4 channels a block, at least
// block_slots() blocks a group, and the per-thread panels within the workspace's one panel.
size_t dx_block_channels(const Conv2dGeometry& g) {
    const size_t cg = g.C / g.p.groups, per_channel = g.R * g.S * panel_ld(g), most = channel_block_elements / per_channel;
    if (is_pointwise(g) || most < 4 || cg * g.R * g.S * g.OH * g.OW <= 4 * block_panel_elements) return 0;
    const size_t slots = block_slots();
    const size_t blocks = (std::max((cg + most - 1) / most, slots) + slots - 1) / slots * slots;
    const size_t cb = (cg + blocks - 1) / blocks;
    return cb >= 4 && slots * cb <= cg ? cb : 0;
}

// One image: dy [K, OH, OW] to dx [C, H, W] in channel blocks of cb, `threads` threads each on its block panel.
template <class T>
void backward_data_channel_blocks(const Conv2dGeometry& g, size_t cb, const T* dy, const T* w, T* dx, T* workspace,
                                  int threads) {
    const size_t G = g.p.groups, cg = g.C / G, kg = g.K / G, RS = g.R * g.S, Q = cg * RS, P = g.OH * g.OW;
    const size_t ld = panel_ld(g), blocks = (cg + cb - 1) / cb, plane = g.H * g.W;
    detail::team_for(G * blocks, threads, [&](size_t u, int t) {
        const size_t gi = u / blocks, c0 = u % blocks * cb, c1 = std::min(cg, c0 + cb);
        T* panel = workspace + size_t(t) * cb * RS * ld;
        T* dxb = dx + (gi * cg + c0) * plane;
        std::fill(dxb, dxb + (c1 - c0) * plane, T(0));
        gemm<T>(true, false, (c1 - c0) * RS, P, kg, T(1), w + gi * kg * Q + c0 * RS, Q, dy + gi * kg * P, P, T(0), panel, ld);
        for (size_t c = 0; c < c1 - c0; ++c) detail::col2im_channel(g, c, panel, ld, 0, g.OH, dxb);
    });
}

}  // namespace

namespace {
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
    if (const size_t cb = dx_block_channels(g)) {
        const size_t in = g.C * g.H * g.W, out = g.K * P;
        if (image_threads(g) > 1)  // small images of a batch: whole images per thread, blocks on that thread
            return for_images(g, Q * ld, workspace, [&](size_t n, T* panel) {
                backward_data_channel_blocks(g, cb, dy + n * out, w, dx + n * in, panel, 1);
            });
        const int threads = int(std::min(size_t(detail::team_threads()), block_slots()));
        for (size_t n = 0; n < g.N; ++n) backward_data_channel_blocks(g, cb, dy + n * out, w, dx + n * in, workspace, threads);
        return;
    }
    if (blocked_backward_data(g)) {
        const size_t in = g.C * g.H * g.W, out = g.K * P;
        if (image_threads(g) > 1)  // small images of a batch: whole images per thread, blocks on that thread
            return for_images(g, Q * ld, workspace, [&](size_t n, T* panel) { backward_data_blocks(g, dy + n * out, w, dx + n * in, panel, 1); });
        const int threads = int(std::min(size_t(detail::team_threads()), block_slots()));
        for (size_t n = 0; n < g.N; ++n) backward_data_blocks(g, dy + n * out, w, dx + n * in, workspace, threads);
        return;
    }
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
