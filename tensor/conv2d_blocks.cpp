// Backward-data of one image in blocks whose panel stays in L2: detail/conv2d_blocks.hpp.
#include <xvis/tensor/detail/conv2d_blocks.hpp>
#include <xvis/tensor/detail/im2col.hpp>
#include <xvis/tensor/gemm.hpp>

#include <algorithm>
#include <cstddef>

namespace xvis::kernels::detail {

using std::size_t;

// Backward-data of one large image in blocks of output rows (an ImageNet stem's 7×7 / 2 panel is 147 × 12544,
// 7 MiB: written out whole and read back by col2im, it made the layer memory-bound, 22 % of the FMA peak).
// A block's panel stays in L2: GEMM, then col2im of that block. Threads take blocks in two passes, the even
// blocks then the odd ones: a block's dx rows overlap only its neighbours' (rows_per_block > (span − 1) / stride
// − 1), so no two threads write one element. Blocks depend on the geometry alone, so every dx element sums its
// contributions in one fixed order whatever the thread count.
constexpr size_t block_panel_elements = size_t(1) << 16;  // 256 KiB of float: a quarter of a Zen 4 / 5 L2

namespace {
size_t dx_block_rows(const Conv2dGeometry& g) {
    const size_t Q = g.C / g.p.groups * g.R * g.S, span = g.p.dilation_h * (g.R - 1) + 1;
    const size_t least = (span + g.p.stride_h - 1) / g.p.stride_h;  // b·stride ≥ span: blocks i, i+2 apart
    return std::max(least, block_panel_elements / std::max<size_t>(1, Q * g.OW));
}
}  // namespace

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
    team_run(threads, [&](size_t t, size_t nt) {
        T* panel = workspace + t * Q * ld;
        for (size_t pass = 0; pass < 2; ++pass) {
            const size_t mine = (blocks - pass + 1) / 2;  // blocks of this parity
            for (size_t i = mine * t / nt; i < mine * (t + 1) / nt; ++i) {
                const size_t oh0 = (2 * i + pass) * b, oh1 = std::min(g.OH, oh0 + b), n = (oh1 - oh0) * g.OW;
                for (size_t gi = 0; gi < G; ++gi) {
                    gemm<T>(true, false, Q, n, kg, T(1), w + gi * kg * Q, Q, dy + gi * kg * P + oh0 * g.OW, P, T(0), panel, ld);
                    for (size_t c = 0; c < cg; ++c) col2im_channel(g, c, panel, ld, oh0, oh1, dx + gi * cg * g.H * g.W);
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
    team_for(G * blocks, threads, [&](size_t u, int t) {
        const size_t gi = u / blocks, c0 = u % blocks * cb, c1 = std::min(cg, c0 + cb);
        T* panel = workspace + size_t(t) * cb * RS * ld;
        T* dxb = dx + (gi * cg + c0) * plane;
        std::fill(dxb, dxb + (c1 - c0) * plane, T(0));
        gemm<T>(true, false, (c1 - c0) * RS, P, kg, T(1), w + gi * kg * Q + c0 * RS, Q, dy + gi * kg * P, P, T(0), panel, ld);
        for (size_t c = 0; c < c1 - c0; ++c) col2im_channel(g, c, panel, ld, 0, g.OH, dxb);
    });
}

#define XVIS_CONV2D_BLOCKS_INSTANTIATE(T)                                                                   \
    template void backward_data_blocks<T>(const Conv2dGeometry&, const T*, const T*, T*, T*, int);           \
    template void backward_data_channel_blocks<T>(const Conv2dGeometry&, size_t, const T*, const T*, T*, T*, int);
XVIS_CONV2D_BLOCKS_INSTANTIATE(float)
XVIS_CONV2D_BLOCKS_INSTANTIATE(double)
#undef XVIS_CONV2D_BLOCKS_INSTANTIATE

}  // namespace xvis::kernels::detail
